"""An independent delivery-history generator for the benchmark only: Bengaluru, Asia/Kolkata, India's calendar.

``engine.eta.simulate`` writes the history the engine's own figures come
from; a method tuned on it can fit its quirks.  This generator shares no
code, parameter or structure with it (it imports nothing from ``engine``):

* **Region and calendar**: a depot in Bengaluru, timestamps with the +05:30
  offset of Asia/Kolkata, India's public holidays (the ``holidays`` package)
  *plus* closures it does not list (the day after Diwali, Govardhan Puja, and a
  regional bandh day a year), so the model's calendar is not the generator's.
* **Carriers and service mix**: the own fleet (``own``: ``same_day``,
  ``next_day``), Delhivery ``surface`` (2-5 days, no Sunday work), Blue Dart
  ``priority`` (an air product: mostly next day), Ekart ``pickup_point``
  (parcel shops, deliver on Sundays too), Shadowfax ``hyperlocal`` (a
  third-party same/next-day service).
* **Transit-time family**: gamma mixtures per carrier (a fast mode and a
  slow mode), log-normal van speeds with a shared daily traffic factor, a
  monsoon (June-September) with more rain days; carrier-specific weekday
  effects (Delhivery's Saturday hand-overs wait for a thin Sunday hub shift,
  Blue Dart's Monday flights run full).
* **Queues, not odds**: every carrier's last mile has a daily capacity; parcels
  that arrive at the delivery hub wait FIFO for a day with room, so a holiday
  leaves a backlog that drains over the following days, and the festive sale
  (Big Billion Days, three weeks before Diwali; volume x2.6, capacity x2.3)
  builds capacity-limited delays that no fixed odds table holds.
* **CSV**: another column order, extra columns (``payment``,
  ``customer_segment``, ``pincode``), times written ``YYYY-MM-DD HH:MM:SS+05:30``.

Usage (one command; writes the whole history and a train/test split)::

    .venv/bin/python benchmarks/independent_history.py --out benchmarks/out/bengaluru  # ~20 s

writes ``history.csv`` (78 weeks from 2025-10-06), ``train.csv`` (orders
created in the first 52 weeks) and ``test.csv`` (the last 26: the 2026 festive
sale, Diwali, Christmas, Republic Day, Holi).
"""

from __future__ import annotations

import argparse
from collections import deque
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

IST = 19800.0  # +05:30: India has no daylight saving time
H, DAY = 3600.0, 86400.0
DEPOT = (12.9352, 77.6245)  # a fulfilment centre in Koramangala
EPOCH0 = date(1970, 1, 1)

#: Order volume by local hour: lunch and late evening peaks (IST shopping pattern).
HOURS = np.array([1.2, 0.6, 0.3, 0.2, 0.2, 0.3, 0.6, 1.0, 1.6, 2.0, 2.3, 2.6, 3.0, 3.1, 2.7, 2.4,
                  2.3, 2.4, 2.7, 3.0, 3.4, 3.6, 3.0, 2.0])
WEEKDAYS = np.array([1.05, 1.0, 0.95, 0.95, 1.0, 1.15, 1.25])  # weekends shop more

#: Service mix (share of orders that chose each, when all are open to them).
MIX = {
    ("own", "same_day"): 0.18, ("own", "next_day"): 0.14, ("delhivery", "surface"): 0.24,
    ("bluedart", "priority"): 0.12, ("ekart", "pickup_point"): 0.20, ("shadowfax", "hyperlocal"): 0.12,
}
#: Third-party carriers: pick-up time (local h), pick-up weekdays, delivery weekdays, delivery hours,
#: hub transit as a gamma mixture ((weight, shape, scale_h), ...), km-dependent hours.
CARRIERS = {
    ("delhivery", "surface"): dict(pickup=18.5, pick_wd=(0, 1, 2, 3, 4, 5), del_wd=(0, 1, 2, 3, 4, 5), hours=(10.0, 19.5),
                                   mix=((0.7, 5.0, 7.0), (0.3, 3.0, 20.0)), per_km_h=0.25, cap=1.15),
    ("bluedart", "priority"): dict(pickup=19.0, pick_wd=(0, 1, 2, 3, 4), del_wd=(0, 1, 2, 3, 4, 5), hours=(9.5, 18.0),
                                   mix=((0.85, 9.0, 1.2), (0.15, 2.5, 10.0)), per_km_h=0.05, cap=1.25),
    ("ekart", "pickup_point"): dict(pickup=16.0, pick_wd=(0, 1, 2, 3, 4, 5, 6), del_wd=(0, 1, 2, 3, 4, 5, 6), hours=(8.0, 13.0),
                                    mix=((0.8, 4.0, 4.0), (0.2, 2.0, 18.0)), per_km_h=0.10, cap=1.20),
    ("shadowfax", "hyperlocal"): dict(pickup=15.0, pick_wd=(0, 1, 2, 3, 4, 5, 6), del_wd=(0, 1, 2, 3, 4, 5, 6), hours=(16.0, 22.0),
                                      mix=((0.9, 3.0, 0.5), (0.1, 2.0, 8.0)), per_km_h=0.04, cap=1.30),
}
#: Carrier-specific weekday effects on hub transit (weekday of the hand-over -> factor).
WEEKDAY_EFFECT = {("delhivery", "surface"): {5: 1.35}, ("bluedart", "priority"): {0: 1.25}}
OWN_SAME_DAY_CUTOFF = 13.0
OWN_WAVES = (11.0, 14.0, 16.5)  # same-day van departures
OWN_NEXT_DAY_CUTOFF = 22.0
OWN_WD = (0, 1, 2, 3, 4, 5)  # the own fleet rests on Sundays
FESTIVE_VOLUME, FESTIVE_CAPACITY = 2.6, 2.3


def day_no(d: date) -> int:
    return (d - EPOCH0).days


def festive(days: np.ndarray) -> np.ndarray:
    """Festive-sale days: the three weeks before Diwali (dates from the holidays package)."""
    import holidays  # noqa: PLC0415

    out = np.zeros(days.shape, dtype=bool)
    years = sorted({(EPOCH0 + timedelta(days=int(d))).year for d in (days.min(), days.max())})
    for y in range(years[0], years[-1] + 1):
        for d, name in holidays.country_holidays("IN", years=[y]).items():
            if "Diwali" in name:
                n = day_no(d)
                out |= (days >= n - 24) & (days <= n - 4)
    return out


def closures(days: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(carriers closed, own fleet closed) per day: public holidays plus closures the calendar does not list."""
    import holidays  # noqa: PLC0415

    y0, y1 = (EPOCH0 + timedelta(days=int(days.min()))).year, (EPOCH0 + timedelta(days=int(days.max()))).year
    cal = holidays.country_holidays("IN", years=list(range(y0, y1 + 1)))
    hol = {day_no(d): n for d, n in cal.items()}
    big = {n for n, name in hol.items() if any(k in name for k in ("Diwali", "Republic", "Independence", "Holi", "Gandhi", "Dussehra"))}
    extra = {n + 1 for n, name in hol.items() if "Diwali" in name}  # Govardhan Puja: not in the national list
    # One regional bandh (strike) a year, on a random weekday: nobody works, nobody announced it.
    for y in range(y0, y1 + 1):
        extra.add(day_no(date(y, 1, 1)) + int(rng.integers(30, 330)))
    carriers = np.isin(days, list(set(hol) | extra))
    own = np.isin(days, list(big | extra))  # the own fleet works the minor holidays
    return carriers, own


def generate(start: date, weeks: int, seed: int, per_day: float = 900.0) -> pd.DataFrame:
    """The history as a frame of strings (the CSV's columns, in its order)."""
    rng = np.random.default_rng(seed)
    n_days = weeks * 7
    days = np.arange(day_no(start), day_no(start) + n_days + 40)  # 40 more days for the queues to drain
    wd_of = (days + 3) % 7
    fest = festive(days)
    closed, own_closed = closures(days, rng)
    month = np.array([(EPOCH0 + timedelta(days=int(d))).month for d in days])
    rain = rng.random(days.shape) < np.where((month >= 6) & (month <= 9), 0.45, 0.08)
    traffic = np.exp(rng.normal(0.0, 0.12, days.shape)) * np.where(rain, 1.35, 1.0)

    # ---- orders
    vol = per_day * WEEKDAYS[wd_of[:n_days]] * np.where(fest[:n_days], FESTIVE_VOLUME, 1.0) * np.where(closed[:n_days], 0.7, 1.0)
    counts = rng.poisson(vol)
    oday = np.repeat(days[:n_days], counts)
    n = oday.shape[0]
    hour = rng.choice(24, size=n, p=HOURS / HOURS.sum())
    created_loc = oday * DAY + hour * H + rng.uniform(0, H, n)
    # Destinations: the city (log-normal radius), the outskirts, and a few parcels to other cities.
    r = np.where(rng.random(n) < 0.85, rng.lognormal(np.log(7.0), 0.6, n), rng.uniform(15.0, 55.0, n))
    r = np.where(rng.random(n) < 0.002, rng.uniform(250.0, 350.0, n), r)
    ang = rng.uniform(0, 2 * np.pi, n)
    dlat = DEPOT[0] + r * np.cos(ang) / 111.32
    dlon = DEPOT[1] + r * np.sin(ang) / (111.32 * np.cos(np.radians(DEPOT[0])))
    km = r
    weight = np.clip(rng.lognormal(np.log(1.2), 0.9, n), 0.05, 40.0)

    # Service choice: same-day only before its cut-off on a fleet day, within 30 km (else next-day).
    keys = list(MIX)
    p = np.array([MIX[k] for k in keys])
    pick = rng.choice(len(keys), size=n, p=p / p.sum())
    wd = (oday + 3) % 7
    oc = np.isin(oday, days[own_closed])
    sd = keys.index(("own", "same_day"))
    nd = keys.index(("own", "next_day"))
    no_sd = (hour >= OWN_SAME_DAY_CUTOFF) | (wd == 6) | oc | (km > 30)
    pick = np.where((pick == sd) & no_sd, nd, pick)
    hyper = keys.index(("shadowfax", "hyperlocal"))
    pick = np.where((pick == hyper) & (km > 25), keys.index(("delhivery", "surface")), pick)
    pick = np.where((pick == nd) & (km > 45), keys.index(("bluedart", "priority")), pick)

    # Warehouse: packs 07:00-23:30 except on the fleet's closed days; gamma packing time.
    wh_closed = set(days[own_closed].tolist())
    t = created_loc.copy()
    open_h, close_h = 7.0 * H, 23.5 * H
    for _ in range(5):  # move to the next open minute (closed days, nights)
        d = np.floor(t / DAY)
        tod = t - d * DAY
        shut = np.isin(d, list(wh_closed))
        t = np.where(shut, (d + 1) * DAY + open_h, np.where(tod < open_h, d * DAY + open_h, np.where(tod > close_h, (d + 1) * DAY + open_h, t)))
    packing = rng.gamma(2.0, 0.45, n) * np.where(np.isin(np.floor(t / DAY), days[fest]), 2.2, 1.0) * H
    pack_loc = t + packing

    handed = np.empty(n)
    ready = np.empty(n)  # at the delivery hub / in the van
    deliv = np.full(n, np.nan)

    def next_day_in(d0: np.ndarray, allowed_wd: tuple[int, ...], shut: np.ndarray) -> np.ndarray:
        d = d0.astype(np.int64).copy()
        for _ in range(12):
            bad = ~np.isin((d + 3) % 7, allowed_wd) | np.isin(d, days[shut])
            if not bad.any():
                break
            d = np.where(bad, d + 1, d)
        return d

    # ---- own fleet: same-day waves, next-day morning vans
    m = pick == sd
    pd_ = np.floor(pack_loc[m] / DAY)
    tod = pack_loc[m] - pd_ * DAY
    wave = np.full(m.sum(), np.nan)
    for w in reversed(OWN_WAVES):
        wave = np.where(tod <= (w - 0.5) * H, w, wave)
    late = np.isnan(wave)
    dd = np.where(late, next_day_in(pd_ + 1, OWN_WD, own_closed), pd_)
    wave = np.where(late, OWN_WAVES[0], wave)
    handed[m] = dd * DAY + wave * H
    day_f = traffic[(dd - days[0]).astype(int)]
    speed = rng.lognormal(np.log(24.0), 0.25, m.sum())
    route = rng.gamma(2.2, 0.55, m.sum()) * H  # stops before this one
    deliv[m] = handed[m] + (km[m] * 1.45 / speed * H + route) * day_f
    m = pick == nd
    pd_ = np.floor(pack_loc[m] / DAY)
    tod = pack_loc[m] - pd_ * DAY
    dd = next_day_in(pd_ + np.where(tod <= OWN_NEXT_DAY_CUTOFF * H, 1, 2), OWN_WD, own_closed)
    handed[m] = dd * DAY + 8.0 * H
    day_f = traffic[(dd - days[0]).astype(int)]
    pos = rng.beta(1.6, 1.4, m.sum()) * 10.5 * H
    deliv[m] = handed[m] + (0.75 * H + pos + km[m] * 1.45 / 28.0 * H) * day_f
    own_mask = (pick == sd) | (pick == nd)
    # Failed first attempt: the next fleet day.
    retry = own_mask & (rng.random(n) < 0.012)
    deliv[retry] += DAY * (1 + (rng.random(retry.sum()) < 0.3))

    # ---- third-party carriers: pick-up, hub transit (gamma mixture), last mile with daily capacity
    for (c, s), cfg in CARRIERS.items():
        m = pick == keys.index((c, s))
        idx = np.flatnonzero(m)
        if not idx.size:
            continue
        pd_ = np.floor(pack_loc[m] / DAY)
        tod = pack_loc[m] - pd_ * DAY
        dd = next_day_in(pd_ + (tod > (cfg["pickup"] - 0.75) * H), cfg["pick_wd"], closed)
        handed[m] = dd * DAY + cfg["pickup"] * H + rng.uniform(0, 0.5 * H, idx.size)
        comp = rng.choice(len(cfg["mix"]), size=idx.size, p=[w for w, _, _ in cfg["mix"]])
        shape = np.array([k for _, k, _ in cfg["mix"]])[comp]
        scale = np.array([sc for _, _, sc in cfg["mix"]])[comp]
        eff = np.ones(idx.size)
        for wday, f in WEEKDAY_EFFECT.get((c, s), {}).items():
            eff = np.where((dd + 3) % 7 == wday, f, eff)
        hub = rng.gamma(shape, scale) * H * eff + km[m] * cfg["per_km_h"] * H
        ready[m] = handed[m] + hub
        # Daily capacity per delivery day: the carrier's ordinary weekly volume spread over its delivery
        # days, times its slack; surge staff in the festive sale bring it to x2.3 (volume x2.6).
        base_daily = m.sum() / n_days / np.mean(np.where(fest[:n_days], FESTIVE_VOLUME, 1.0)) * 7.0 / len(cfg["del_wd"])
        cap = np.floor(base_daily * cfg["cap"] * np.where(fest, FESTIVE_CAPACITY, 1.0) * np.where(np.isin(wd_of, cfg["del_wd"]) & ~closed, 1.0, 0.0))
        h0, h1 = cfg["hours"]
        # A parcel at the hub before the morning sort (h0 - 1.5 h) can go out that day.
        first = np.floor((ready[m] - (h0 - 1.5) * H) / DAY) + 1
        first = np.where(ready[m] - np.floor(ready[m] / DAY) * DAY <= (h0 - 1.5) * H, np.floor(ready[m] / DAY), first)
        order = np.argsort(ready[m], kind="stable")
        out_day = np.empty(idx.size)
        fi = first[order]
        j = 0
        q: deque[int] = deque()
        for di, d in enumerate(days):
            while j < fi.shape[0] and fi[j] <= d:
                q.append(j)
                j += 1
            k = int(min(cap[di], len(q)))
            for _ in range(k):
                out_day[order[q.popleft()]] = d
        while q:  # past the simulated span: the last day with room
            out_day[order[q.popleft()]] = days[-1]
        # Within the day: route position, slower on rain/traffic days.
        span = (h1 - h0) * H
        f = traffic[(out_day - days[0]).astype(int)]
        deliv[m] = out_day * DAY + h0 * H + np.minimum(rng.beta(1.3, 1.3, idx.size) * span * f, span + 1.5 * H)
    # Address problems: a few parcels come back days later.
    ex = rng.random(n) < 0.004
    deliv[ex] += rng.integers(1, 5, ex.sum()) * DAY
    deliv = np.maximum(deliv, handed + 600.0)

    keep = oday < days[0] + n_days
    to_epoch = lambda loc: loc - IST  # noqa: E731
    ts = lambda loc: pd.to_datetime(np.round(to_epoch(loc)), unit="s", utc=True).tz_convert("Asia/Kolkata").strftime("%Y-%m-%d %H:%M:%S%z").str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True)  # noqa: E731
    carrier = np.array([k[0] for k in keys], dtype=object)[pick]
    service = np.array([k[1] for k in keys], dtype=object)[pick]
    frame = pd.DataFrame({
        "delivered_at": ts(deliv), "service": service, "weight_kg": np.round(weight, 2), "created_at": ts(created_loc),
        "dest_lon": np.round(dlon, 6), "dest_lat": np.round(dlat, 6), "carrier": carrier,
        "payment": np.where(rng.random(n) < 0.55, "cod", "prepaid"), "handed_over_at": ts(handed),
        "origin_lat": DEPOT[0], "origin_lon": DEPOT[1], "order_id": [f"BLR{seed:02d}-{i:07d}" for i in range(n)],
        "customer_segment": rng.choice(["new", "repeat", "plus"], size=n, p=[0.3, 0.55, 0.15]),
        "pincode": (560000 + rng.integers(1, 110, n)).astype(str),
    })
    frame["_created_loc"] = created_loc
    return frame[keep].reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "bengaluru")
    ap.add_argument("--start", default="2025-10-06")
    ap.add_argument("--weeks", type=int, default=78)
    ap.add_argument("--train-weeks", type=int, default=52)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-day", type=float, default=900.0)
    args = ap.parse_args()
    start = date.fromisoformat(args.start)
    f = generate(start, args.weeks, args.seed, args.per_day)
    split = day_no(start + timedelta(weeks=args.train_weeks)) * DAY
    tr = f["_created_loc"] < split
    args.out.mkdir(parents=True, exist_ok=True)
    cols = [c for c in f.columns if not c.startswith("_")]
    f[cols].to_csv(args.out / "history.csv", index=False)
    f.loc[tr, cols].to_csv(args.out / "train.csv", index=False)
    f.loc[~tr, cols].to_csv(args.out / "test.csv", index=False)
    print(f"wrote {args.out}/history.csv ({len(f)} rows), train.csv ({int(tr.sum())}), test.csv ({int((~tr).sum())}); "
          f"split at {start + timedelta(weeks=args.train_weeks)}")
    print(f.groupby(["carrier", "service"]).size().to_string())


if __name__ == "__main__":
    main()
