#!/usr/bin/env python3
"""Independent delivery history: an e-commerce platform shipping from two Seoul-metro FCs.

Written BLIND to the engine (nothing under engine/ or api/ was read; only the README's history
schema and the command-line interface and split rule of independent_history_au.py) as held-out
benchmark data for a region the engine was never tuned on.  Writes DIR/train.csv and DIR/test.csv.

Output: one row per delivered order, columns
    order_id, carrier, service, origin_lat, origin_lon, dest_lat, dest_lon,
    created_at, handed_over_at, delivered_at, weight_kg, dest_city, notes
Times are ISO-8601 local Asia/Seoul wall clock with a fixed +09:00 offset (Korea has no DST).
notes: ';'-joined tags of the order's creation day (holiday:<name>, surge:seollal_gifts,
surge:chuseok_gifts, sale:11_11, sale:black_friday, weather:heavy_rain, year_end,
courier_rest_day).  Split: --days N days from --start (default 546 = 78 weeks from 2025-03-03);
train = creation days [0, round(2N/3)) (364 = 52 weeks by default), test = the rest.

What it models
--------------
* FCs: Gimpo (west) and Songpa (east); customers in 30 Seoul districts and Gyeonggi/Incheon cities
  up to ~45 km away, jittered N(0, 0.012 deg); 10% of carrier parcels ship from the other FC.
* Calendar: holidays.country_holidays("KR") (Seollal, Chuseok, substitute and election days).
  "Major" days = the three Seollal/Chuseok days.  The FCs close on major days.
* Services (carrier, service):
  own_fleet same_day   orders by 12:00 on an own-fleet day, van waves 13:00-15:00, at the door
                       by ~23:00; later orders ride the next run.
  own_fleet next_day   "dawn delivery": orders by 23:00 at the door by 07:00 next morning.
                       Own fleet delivers Mon-Sat mornings, not on major days; on other public
                       holidays it drives at reduced capacity (20% slip a day, more late runs).
  cj_logistics standard  FC pickup 16:00 Mon-Sat, delivers every day incl. Sunday (30% of Sunday
                       drops slip to Monday); 1-3 network days (mostly 2-3 days door to door).
  hanjin standard      pickup 15:30 Mon-Sat, delivers Mon-Sat; a bit slower and noisier.
  korea_post standard  pickup 15:00 Mon-Sat, delivers Mon-Sat, mostly next working day.
  gs25_pickup locker   convenience-store pickup: pickup 19:00 Mon-Sat, store drop 2-4 working
                       days later, 05:00-14:00 (3-4 days door to store).
  All parcel carriers stop on every public holiday; CJ and Hanjin also on the 14 Aug courier
  rest day.  After a break of >= 2 non-working days, parcels due on the first working day slip a
  day with p 0.5 (0.7 after >= 3 days), the second day with half that: about a day of backlog.
* Demand: ~1,000 orders/day at start, +8%/year, weekday Mon 1.18 .. Sat 0.82, Sun 1.0, evening
  peak 20-23h.  Gift surges in the 14 days before Seollal/Chuseok (x up to 2.9, peaking a week
  before; CJ/Post gain share), 11.11 x2.4, Black Friday weekend x1.4-1.9, year end x1.25; major
  days x0.55, other holidays x0.85.  Per-carrier shares wander (AR(1) + daily noise).
* Slowness: a parcel's due day slips with p = sensitivity x (load of the 4 previous creation days
  - 1.15) + heavy rain (monsoon spells 25 Jun - 31 Jul) + year end (24-31 Dec) + backlog, and again
  with 35% of that; failed first attempts (1-3.5%) add a day; ~1.2% are mis-sorted and take a
  geometric number of extra days (heavy right tail).  FC processing has a lognormal tail.
Deterministic per --seed (one numpy Generator).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, timedelta

import holidays
import numpy as np

H, DAY, DRAIN = 3600.0, 86400.0, 45
OFFSET = "+09:00"
DEPOTS = [("Gimpo FC", 37.6153, 126.7156), ("Songpa FC", 37.4785, 127.1255)]
# name, lat, lon, weight, depot
AREAS = [
    ("Gangnam-gu", 37.5172, 127.0473, .07, 1), ("Songpa-gu", 37.5145, 127.1066, .06, 1),
    ("Seocho-gu", 37.4837, 127.0324, .05, 1), ("Gangdong-gu", 37.5301, 127.1238, .04, 1),
    ("Gwangjin-gu", 37.5385, 127.0823, .03, 1), ("Nowon-gu", 37.6542, 127.0568, .04, 1),
    ("Jungnang-gu", 37.6066, 127.0927, .03, 1), ("Seongbuk-gu", 37.5894, 127.0167, .03, 1),
    ("Dongdaemun-gu", 37.5744, 127.0396, .03, 1), ("Seongdong-gu", 37.5634, 127.0369, .03, 1),
    ("Gangseo-gu", 37.5509, 126.8495, .05, 0), ("Mapo-gu", 37.5663, 126.9019, .04, 0),
    ("Yeongdeungpo-gu", 37.5264, 126.8962, .03, 0), ("Yangcheon-gu", 37.5170, 126.8665, .03, 0),
    ("Guro-gu", 37.4954, 126.8874, .03, 0), ("Gwanak-gu", 37.4784, 126.9516, .04, 0),
    ("Dongjak-gu", 37.5124, 126.9393, .03, 0), ("Eunpyeong-gu", 37.6027, 126.9291, .03, 0),
    ("Jongno-gu", 37.5735, 126.9790, .01, 0), ("Jung-gu", 37.5641, 126.9979, .01, 1),
    ("Seongnam", 37.3827, 127.1189, .04, 1), ("Suwon", 37.2636, 127.0286, .04, 1),
    ("Yongin", 37.3220, 127.0980, .03, 1), ("Hwaseong Dongtan", 37.2000, 127.0750, .02, 1),
    ("Hanam", 37.5393, 127.2149, .02, 1), ("Namyangju", 37.6360, 127.2165, .02, 1),
    ("Uijeongbu", 37.7381, 127.0337, .02, 1), ("Goyang", 37.6584, 126.7700, .04, 0),
    ("Bucheon", 37.5034, 126.7660, .03, 0), ("Incheon", 37.4470, 126.7310, .04, 0),
    ("Anyang", 37.3943, 126.9568, .02, 0), ("Gimpo", 37.6153, 126.7156, .02, 0),
    ("Paju", 37.7140, 126.7560, .01, 0),
]
SERVICES = [("own_fleet", "same_day"), ("own_fleet", "next_day"), ("cj_logistics", "standard"),
            ("hanjin", "standard"), ("korea_post", "standard"), ("gs25_pickup", "locker")]
SAME, DAWN, CJ, HANJIN, POST, GS25 = range(6)
SHARE = np.array([.20, .30, .25, .12, .12, .13])
# parcel carriers: pickup hour, network-day choices and probs, slip sensitivity, failed-attempt p,
# Sunday slip, time of day (start h, span h, beta a, beta b)
CARRIERS = {
    CJ: dict(pick=16.0, k=(1, 2, 3), pk=(.45, .45, .10), sens=.30, fail=.03, sun=.30, tod=(8.5, 13.0, 2.0, 1.6)),
    HANJIN: dict(pick=15.5, k=(1, 2, 3), pk=(.35, .50, .15), sens=.35, fail=.035, sun=0., tod=(9.0, 12.5, 2.0, 1.8)),
    POST: dict(pick=15.0, k=(1, 2, 3), pk=(.60, .35, .05), sens=.22, fail=.02, sun=0., tod=(9.5, 8.5, 2.0, 2.0)),
    GS25: dict(pick=19.0, k=(2, 3, 4), pk=(.45, .45, .10), sens=.30, fail=.005, sun=0., tod=(5.0, 9.0, 1.5, 2.5)),
}
WEEKDAY = np.array([1.18, 1.08, 1.02, 0.98, 0.92, 0.82, 1.00])
MONTH = np.array([.97, .95, .98, .97, 1.0, .98, .97, .96, 1.0, 1.02, 1.08, 1.10])
HOUR = np.array([.35, .20, .12, .08, .06, .07, .15, .30, .50, .75, .95, 1.0, 1.0, .95, .90, .90,
                 .90, .85, .85, .95, 1.10, 1.30, 1.40, .90])


def build_calendar(start: date, n_all: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-day arrays (index 0 = --start) for demand, slowness and each carrier's working days."""
    dates = [start + timedelta(days=i) for i in range(n_all)]
    kr = holidays.country_holidays("KR", years=list(range(start.year, dates[-1].year + 2)))
    names = [kr.get(d, "") for d in dates]
    wd = np.array([d.weekday() for d in dates])
    month = np.array([d.month for d in dates])
    mday = np.array([d.day for d in dates])
    hol = np.array([bool(n) for n in names])
    major = np.array([any(("Korean New Year" in p or "Chuseok" in p) and not p.startswith("Alternative")
                          for p in n.split("; ")) for n in names])
    tags: list[list[str]] = [[f"holiday:{n.replace('; ', '/').replace(' ', '_')}"] if n else [] for n in names]
    vol = np.where(major, 0.55, np.where(hol, 0.85, 1.0))
    gift = np.zeros(n_all)
    for i in np.nonzero(major & ~np.roll(major, 1))[0]:  # first day of each Seollal/Chuseok block
        label = "seollal_gifts" if dates[i].month <= 3 else "chuseok_gifts"
        for k in range(1, 15):
            if i - k >= 0:
                gift[i - k] = 1.9 * np.exp(-((k - 7) / 3.5) ** 2)
                tags[i - k].append(f"surge:{label}")
    vol = vol * (1 + gift)
    rest = np.zeros(n_all, bool)
    rain = np.zeros(n_all, bool)
    yearend = (month == 12) & (mday >= 24)
    wet = False
    for i, d in enumerate(dates):
        if d.month == 11 and d.day in (10, 11, 12):
            vol[i] *= {10: 1.2, 11: 2.4, 12: 1.5}[d.day]
            tags[i].append("sale:11_11")
        bf = date(d.year, 11, 22) + timedelta(days=(3 - date(d.year, 11, 22).weekday()) % 7 + 1)
        if -1 <= (d - bf).days <= 3:
            vol[i] *= {-1: 1.2, 0: 1.9, 1: 1.5, 2: 1.4, 3: 1.5}[(d - bf).days]
            tags[i].append("sale:black_friday")
        if yearend[i]:
            vol[i] *= 1.25
            tags[i].append("year_end")
        if d.month == 8 and d.day == 14:
            rest[i] = True
            tags[i].append("courier_rest_day")
        in_jangma = (d.month == 6 and d.day >= 25) or d.month == 7
        wet = in_jangma and rng.random() < (0.5 if wet else 0.12)
        rain[i] = wet
        if wet:
            tags[i].append("weather:heavy_rain")
    load = np.array([vol[max(0, i - 4):i].mean() if i else 1.0 for i in range(n_all)])
    mon_sat = wd < 6
    return dict(wd=wd, month=month, hol=hol, major=major, vol=vol, gift=gift, rain=rain,
                yearend=yearend, load=load, tags=np.array([";".join(t) for t in tags], dtype=object),
                own=np.nonzero(mon_sat & ~major)[0], holred=hol & ~major,
                pick={c: np.nonzero(mon_sat & ~hol & ~(rest & (c in (CJ, HANJIN))))[0] for c in CARRIERS},
                deliv={CJ: np.nonzero(~hol & ~rest)[0], HANJIN: np.nonzero(mon_sat & ~hol & ~rest)[0],
                       POST: np.nonzero(mon_sat & ~hol)[0], GS25: np.nonzero(mon_sat & ~hol)[0]})


def haversine_km(a1: np.ndarray, o1: np.ndarray, a2: np.ndarray, o2: np.ndarray) -> np.ndarray:
    a1, o1, a2, o2 = map(np.radians, (a1, o1, a2, o2))
    h = np.sin((a2 - a1) / 2) ** 2 + np.cos(a1) * np.cos(a2) * np.sin((o2 - o1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(h))


def backlog(days: np.ndarray) -> np.ndarray:
    """Slip probability on each working day from the break (non-working days) just before it."""
    gap = np.diff(days, prepend=days[0] - 1) - 1
    b = np.where(gap >= 3, 0.7, np.where(gap == 2, 0.5, 0.0))
    return b + 0.5 * np.concatenate([[0.0], b[:-1]])


def slips(p: np.ndarray, fail: float, rng: np.random.Generator) -> np.ndarray:
    n = p.size
    extra = (rng.random(n) < p).astype(int) + (rng.random(n) < 0.35 * p)
    extra += rng.random(n) < fail
    return extra + (rng.random(n) < 0.012) * rng.geometric(0.45, n)


def parcel_leg(c: int, ready: np.ndarray, km: np.ndarray, cal: dict, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray]:
    s, n = CARRIERS[c], ready.size
    P, D = cal["pick"][c], cal["deliv"][c]
    rday = np.floor(ready / DAY).astype(int)
    cand = rday + ((ready - rday * DAY) > (s["pick"] - 0.5) * H)
    pday = P[np.searchsorted(P, cand)]
    handed = pday * DAY + s["pick"] * H + rng.uniform(0, 40, n) * 60
    k = rng.choice(s["k"], n, p=s["pk"]) + ((km > 30) & (rng.random(n) < 0.15))
    di = np.searchsorted(D, pday, side="right") + k - 1
    due = D[di]
    p = (s["sens"] * np.maximum(0.0, cal["load"][due] - 1.15) + 0.2 * cal["rain"][due]
         + 0.15 * cal["yearend"][due] + backlog(D)[di] + s["sun"] * (cal["wd"][due] == 6))
    final = D[np.minimum(di + slips(np.minimum(p, 0.8), s["fail"], rng), D.size - 1)]
    t0, span, a, b = s["tod"]
    tod = t0 + span * rng.beta(a, b, n) + (rng.random(n) < 0.04) * rng.exponential(0.7, n)
    delivered = np.maximum(final * DAY + np.minimum(tod, 23.9) * H, handed + 2 * H)
    return handed, delivered


def own_leg(svc: int, created: np.ndarray, hour: np.ndarray, km: np.ndarray, cal: dict,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n, O = created.size, cal["own"]
    cday = np.floor(created / DAY).astype(int)
    first = cday + (hour >= 23) + 1 if svc == DAWN else cday + (hour >= 12)
    oi = np.searchsorted(O, first)
    d0 = O[oi]
    load = np.maximum(0.0, cal["load"][d0] - 1.15)
    p = 0.2 * cal["holred"][d0] + 0.08 * load + 0.06 * cal["rain"][d0]
    run = O[np.minimum(oi + slips(p, 0.01, rng), O.size - 1)]
    if svc == DAWN:
        handed = np.maximum(run * DAY - 0.5 * H + rng.uniform(0, 2.5, n) * H, created + 0.5 * H)
        late = rng.random(n) < 0.03 + 0.25 * cal["rain"][run] + 0.15 * cal["holred"][run] + 0.1 * load
        tod = np.where(late, 7.0 + np.minimum(rng.exponential(1.0, n), 5.0), 0.5 + 6.5 * rng.beta(2.4, 1.5, n))
        delivered = np.maximum(run * DAY + tod * H, handed + (km / 35.0 + 1 / 6) * H)
    else:
        handed = np.maximum(run * DAY + (13.0 + rng.uniform(0, 2.0, n)) * H, created + 0.5 * H)
        delivered = (handed + (km / 30.0 + rng.uniform(0.5, 7.0, n)
                               + cal["rain"][run] * rng.uniform(0, 1.5, n)
                               + 0.8 * cal["holred"][run] * rng.random(n)) * H)
    return handed, delivered


def simulate(start: date, n_days: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    cal = build_calendar(start, n_days + DRAIN, rng)
    d = np.arange(n_days)
    mean = 1000.0 * 1.08 ** (d / 365.25) * WEEKDAY[cal["wd"][d]] * MONTH[cal["month"][d] - 1] * cal["vol"][d]
    cday = np.repeat(d, rng.poisson(mean))
    n = cday.size
    hour = rng.choice(24, n, p=HOUR / HOUR.sum())
    created = np.sort(cday * DAY + (hour + rng.random(n)) * H)
    cday = np.floor(created / DAY).astype(int)
    hour = np.floor((created - cday * DAY) / H).astype(int)

    # service choice: base shares x wandering per-day carrier mix x hour x gift season
    ar = np.zeros((n_days, 6))
    for i in range(1, n_days):
        ar[i] = 0.98 * ar[i - 1] + rng.normal(0, 0.04, 6)
    mix = np.exp(ar + rng.normal(0, 0.12, (n_days, 6)))
    g = cal["gift"][cday] > 0.3
    P = SHARE[None, :] * mix[cday]
    P[:, SAME] *= np.where(hour < 12, 1.0, 0.04) * np.where(g, 0.8, 1.0)
    P[:, DAWN] *= np.where((hour >= 18) & (hour < 23), 1.3, 0.9)
    P[:, CJ] *= np.where(g, 1.4, 1.0)
    P[:, POST] *= np.where(g, 1.4, 1.0)
    P /= P.sum(1, keepdims=True)
    svc = np.minimum((rng.random(n)[:, None] > np.cumsum(P, 1)).sum(1), 5)

    w = np.array([a[3] for a in AREAS])
    area = rng.choice(len(AREAS), n, p=w / w.sum())
    dest_lat = np.array([a[1] for a in AREAS])[area] + rng.normal(0, 0.012, n)
    dest_lon = np.array([a[2] for a in AREAS])[area] + rng.normal(0, 0.015, n)
    depot = np.array([a[4] for a in AREAS])[area]
    depot = np.where((svc >= CJ) & (rng.random(n) < 0.10), 1 - depot, depot)
    dep_lat = np.array([x[1] for x in DEPOTS])[depot]
    dep_lon = np.array([x[2] for x in DEPOTS])[depot]
    km = haversine_km(dep_lat, dep_lon, dest_lat, dest_lon) * 1.3

    med = np.select([svc == DAWN, g], [3.5, 3.0], 1.2)
    weight = np.round(np.clip(rng.lognormal(np.log(med), np.where(svc == DAWN, 0.5, 0.9)), 0.05, 30.0), 2)

    # FC processing for parcel carriers (lognormal tail; FCs closed on Seollal/Chuseok days)
    proc = rng.uniform(1.0, 3.5, n) * (1 + 0.25 * np.maximum(0, cal["load"][cday] - 1)) + rng.lognormal(-1.5, 1.0, n)
    ready = created + proc * H
    rd = np.floor(ready / DAY).astype(int)
    open_days = np.nonzero(~cal["major"])[0]
    reopen = open_days[np.searchsorted(open_days, rd)]
    ready = np.where(cal["major"][rd], reopen * DAY + (7 + rng.uniform(0, 2, n)) * H, ready)

    handed, delivered = np.empty(n), np.empty(n)
    for s in range(6):
        m = svc == s
        if s in CARRIERS:
            handed[m], delivered[m] = parcel_leg(s, ready[m], km[m], cal, rng)
        else:
            handed[m], delivered[m] = own_leg(s, created[m], hour[m], km[m], cal, rng)
    return dict(created=created, handed=handed, delivered=delivered, svc=svc, cday=cday,
                dep_lat=dep_lat, dep_lon=dep_lon, dest_lat=dest_lat, dest_lon=dest_lon, weight=weight,
                city=np.array([a[0] for a in AREAS], dtype=object)[area], tags=cal["tags"])


HEADER = ["order_id", "carrier", "service", "origin_lat", "origin_lon", "dest_lat", "dest_lon",
          "created_at", "handed_over_at", "delivered_at", "weight_kg", "dest_city", "notes"]


def iso(t: np.ndarray, start: date) -> np.ndarray:
    base = np.datetime64(start.isoformat(), "s")
    s = np.datetime_as_string(base + np.round(t).astype("timedelta64[s]"), unit="s")
    return np.char.add(s, OFFSET).astype(object)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--start", default="2025-03-03")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.time()
    start = date.fromisoformat(args.start)
    if args.days is None:
        n_days, n_train = 78 * 7, 52 * 7
    else:
        n_days = args.days
        n_train = int(round(2 * n_days / 3))
    if n_days < 1:
        ap.error("--days must be positive")
    sim = simulate(start, n_days, args.seed)
    created, handed, delivered, svc = sim["created"], sim["handed"], sim["delivered"], sim["svc"]
    assert np.all(handed > created) and np.all(delivered > handed)
    m = created.size
    f6 = lambda a: np.char.mod("%.6f", a).astype(object)  # noqa: E731
    cols = [np.array([f"KR{i:08d}" for i in range(1, m + 1)], dtype=object),
            np.array([s[0] for s in SERVICES], dtype=object)[svc],
            np.array([s[1] for s in SERVICES], dtype=object)[svc],
            f6(sim["dep_lat"]), f6(sim["dep_lon"]), f6(sim["dest_lat"]), f6(sim["dest_lon"]),
            iso(created, start), iso(handed, start), iso(delivered, start),
            np.char.mod("%.2f", sim["weight"]).astype(object), sim["city"], sim["tags"][sim["cday"]]]
    os.makedirs(args.out, exist_ok=True)
    train = sim["cday"] < n_train
    for name, sel in (("train", train), ("test", ~train)):
        with open(os.path.join(args.out, f"{name}.csv"), "w", newline="", encoding="utf-8") as fh:
            fh.write(",".join(HEADER) + "\n")
            fh.writelines(",".join(r) + "\n" for r in zip(*[c[sel].tolist() for c in cols]))
    if args.quiet:
        return
    print(f"wrote {args.out}/train.csv ({int(train.sum())} rows) and test.csv ({int((~train).sum())} rows); "
          f"{n_days} days from {start}, seed {args.seed}, {time.time() - t0:.1f}s")
    lead = (delivered - created) / H
    print(f"{'carrier':13s} {'service':9s} {'train':>7s} {'test':>7s} {'share':>6s} {'med h':>6s} {'p95 h':>6s}")
    for s, (car, kind) in enumerate(SERVICES):
        ms = svc == s
        print(f"{car:13s} {kind:9s} {int((ms & train).sum()):7d} {int((ms & ~train).sum()):7d} "
              f"{ms.mean() * 100:5.1f}% {np.median(lead[ms]):6.1f} {np.percentile(lead[ms], 95):6.1f}")
    counts = np.bincount(sim["cday"], minlength=n_days)
    b = int(np.argmax(counts))
    print(f"biggest day: {start + timedelta(days=b)} with {counts[b]} orders [{sim['tags'][b]}]; "
          f"median day {int(np.median(counts))}, smallest {int(counts.min())}")


if __name__ == "__main__":
    main()
