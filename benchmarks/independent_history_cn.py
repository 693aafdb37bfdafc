#!/usr/bin/env python3
"""Synthetic delivery history for a Chinese e-commerce platform (Chengdu), held-out benchmark data.

Data card
=========

Purpose
    Held-out benchmark history for a delivery-promise engine, written without reference to the
    engine's code (its structure is not shaped by what the engine models).  One row per delivered
    order, in the engine's CSV schema plus two extra columns.

Region and network
    * One fulfilment centre (FC) in Shuangliu district, south-west Chengdu (30.548 N, 103.916 E),
      origin of every order.  Asia/Shanghai, written as ``+08:00`` (China has no DST).
    * Destinations: ~86 % in 14 Chengdu metro zones (Jinjiang, Qingyang, Jinniu, Wuhou, Chenghua,
      Gaoxin, Tianfu New Area, Longquanyi, Xindu, Wenjiang, Shuangliu, Pidu, Xinjin, Qingbaijiang;
      Gaussian scatter around each zone centre), ~14 % intra-Sichuan cities 50-250 km away
      (Deyang, Mianyang, Leshan, Meishan, Ziyang, Suining, Ya'an, Neijiang, Zigong, Nanchong,
      Yibin).  Road distance = 1.3 x great-circle distance.

Services (carrier, service)
    * ``own same_day`` - platform fleet, zones <= 32 km; offered at checkout only before the
      11:00 cut-off (a few late-paid orders slip past it and go on the next morning's van).
      FC priority lane (half-hourly waves from 05:00), vans at 08:30 and 12:30, van
      capacity-limited; delivered along the route the same afternoon/evening.
    * ``own next_day`` - platform fleet, metro + Deyang + Meishan; vans at 15:00 and 23:00
      (22:00 cut-off), own delivery stations dispatch at 08:30 and 13:30.
    * ``sf express`` - SF Express; pickups 11:00/16:00/22:30 every day (Sundays, public holidays and
      Spring Festival included, reduced capacity), hub sorts 00:30 and 14:00, station waves
      08:30/13:30.  Mostly next day.
    * ``zto standard`` - ZTO economy under a workday pickup contract: one pickup at 17:30 on
      official working days only (Mon-Fri plus China's make-up workdays 调休; none on weekends or
      public holidays, with a half-size "duty" pickup every other day inside breaks longer than
      three days).  Economy parcels are held >= 10 h at the hub for the consolidated 02:00 sort,
      franchise outlets dispatch once a day at 14:00 with a thin Sunday shift (45 %; a make-up
      Sunday is a full shift).  No pickups for the 7 days New Year's Day -3..+3, then catch-up
      pickups every day for five days; backlog drains over the following week.
    * ``jd standard`` - JD Logistics; pickups 13:00/20:00, sorting 16:00/01:00, station waves
      08:00/14:00.  1-2 days.
    * ``cainiao locker`` - parcel locker (<= 10 kg); pickup 15:00, sort 22:00, locker loading runs
      09:00/16:00.  ``delivered_at`` = put into the locker.  Locker slots stay occupied for about a
      day, so a full locker cuts the next day's capacity (queues cascade at peaks).

Queueing structure (not per-order noise)
    Every stage is a set of timed waves with a daily capacity: FC pick/pack lanes (hourly waves),
    carrier pickups at the FC, carrier hub sorts, and per-(service, destination zone) last-mile
    waves.  Parcels wait FIFO (by the time they become ready) for the first wave with free
    capacity, so backlogs build up over peaks and drain over the following days.  Capacities are
    sized from each resource's ordinary-day volume times a headroom, then scaled by: peak staffing
    (Double 11, 618, Double 12), Spring Festival staffing, public holidays, weekday rules, weather,
    and a small day-level staffing noise.  Last-mile delivery time inside a wave = dispatch +
    position on the route x route span, the span growing with the wave's load and with rain;
    deliveries that would end after 21:30 roll to the next morning; 1-3 % failed first attempts
    are delivered the next day.

Calendar
    Public holidays from ``holidays.China`` (``holidays`` package, checked with 0.109).  It has no
    "workday" category for China; make-up workdays are taken from the labels of its substituted
    days off ("Day off (substituted from ...)") and unioned with a hard-coded list for 2025 and
    2026 copied from the State Council notices (2025: Jan 26, Feb 8, Apr 27, Sep 28, Oct 11;
    2026: Jan 4, Feb 14, Feb 28, May 9, Sep 20, Oct 10).  A mismatch is reported on stderr.
    Official rest day = public holiday, or Saturday/Sunday that is not a make-up workday.
    Spring Festival: carriers run reduced capacity from New Year's Day - 5 to + 8 (down to ~22 %
    on days 0..3 as couriers go home; SF and JD keep a little more staff), line-hauls run thin
    schedules (+2-8 h) from -3 to +6, the FC runs at 60 % from -3 to +5; demand dips to ~40 %
    around the New Year after a January "New Year goods" bump.
    Peaks: carriers add capacity (x1.25-1.55 for Double 11, x1.15-1.35 for 618, x1.15 for
    Double 12) but not enough for the spike days; the FC runs around the clock at peak.

Demand
    ~480 orders a day on an ordinary weekday at the start, growing ~12 %/year, Sunday/Monday a
    little higher, log-normal day noise, slightly more orders on rainy days.  Chinese e-commerce
    hour-of-day profile (late-evening peak 20:00-23:00).  Double 11: first wave from Oct 20 (20:00
    launch), final-payment spikes at 20:00 on Oct 31 and Nov 10, Nov 1-11 peak with ~4x on Nov 11
    (a midnight spike), post-peak lull.  618: May 31 20:00 launch, Jun 1-18 at 1.5-2.5x with a
    midnight spike on Jun 18.  Smaller: Women's day (Mar 8), 99 (Sep 9), Double 12.  Lower during
    Golden Week, Labour Day and Dragon Boat.

Weather
    Per city, a two-state Markov rain chain with Chengdu's monthly rain-day frequency (most rain
    days in July-August, ~55 %), heavy rain (暴雨) mostly in July-August, winter fog days.  Rain
    cuts last-mile capacity (-20 %, heavy -55 %) and stretches routes (+25 %, heavy +60 %);
    heavy rain and fog slow trunk line-hauls.  (Own same-day vans are not capacity-cut by rain.)

Columns
    order_id, carrier, service, origin_lat, origin_lon, dest_lat, dest_lon, created_at,
    handed_over_at, delivered_at, weight_kg, dest_city, payment.  Times ``YYYY-MM-DDTHH:MM:SS+08:00``;
    ``handed_over_at`` = carrier pickup scan at the FC (own fleet: van departure).  Weights: skewed
    mixture (median ~0.8 kg, most 0.2-3 kg, a few 5-20 kg).  Rows are loosely time-ordered
    (export order, not sorted).  All orders are delivered (the export is taken after the
    backlog has drained).

Split
    Default 78 weeks from 2025-03-03: ``train.csv`` = orders created in the first 52 weeks
    (holds 618 2025, Double 11 2025, Spring Festival 2026), ``test.csv`` = last 26 weeks
    (Labour Day, 618 2026, Dragon Boat 2026).  With ``--days N`` the first round(2N/3) days are
    train and the rest test.

Usage
    python benchmarks/independent_history_cn.py --out DIR [--seed N] [--days N] [--start YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------------
# Static network description
# --------------------------------------------------------------------------------------------

SERVICES: list[tuple[str, str]] = [
    ("own", "same_day"),
    ("own", "next_day"),
    ("sf", "express"),
    ("zto", "standard"),
    ("jd", "standard"),
    ("cainiao", "locker"),
]
S_SAME, S_NEXT, S_SF, S_ZTO, S_JD, S_CN = range(len(SERVICES))

FC_LAT, FC_LON = 30.5480, 103.9160  # Shuangliu district, near the airport logistics zone

METRO_SHARE = 0.86


@dataclass(frozen=True)
class Zone:
    name: str
    city: str
    lat: float
    lon: float
    sigma_km: float
    weight: float


METRO_ZONES: list[Zone] = [
    Zone("jinjiang", "chengdu", 30.6573, 104.0831, 2.0, 0.060),
    Zone("qingyang", "chengdu", 30.6740, 104.0630, 2.0, 0.060),
    Zone("jinniu", "chengdu", 30.6910, 104.0520, 2.5, 0.080),
    Zone("wuhou", "chengdu", 30.6420, 104.0430, 2.5, 0.090),
    Zone("chenghua", "chengdu", 30.6600, 104.1020, 2.5, 0.080),
    Zone("gaoxin", "chengdu", 30.5850, 104.0640, 3.0, 0.090),
    Zone("tianfu", "chengdu", 30.4900, 104.0700, 4.0, 0.060),
    Zone("longquanyi", "chengdu", 30.5600, 104.2700, 5.0, 0.070),
    Zone("xindu", "chengdu", 30.8230, 104.1590, 4.5, 0.070),
    Zone("wenjiang", "chengdu", 30.6820, 103.8560, 4.0, 0.050),
    Zone("shuangliu", "chengdu", 30.5740, 103.9230, 4.0, 0.070),
    Zone("pidu", "chengdu", 30.8080, 103.8870, 4.0, 0.060),
    Zone("xinjin", "chengdu", 30.4100, 103.8110, 3.0, 0.020),
    Zone("qingbaijiang", "chengdu", 30.8820, 104.2510, 3.0, 0.020),
]
PROVINCE_ZONES: list[Zone] = [
    Zone("deyang", "deyang", 31.1270, 104.3980, 3.0, 0.20),
    Zone("mianyang", "mianyang", 31.4680, 104.6790, 3.5, 0.20),
    Zone("leshan", "leshan", 29.5520, 103.7660, 3.0, 0.12),
    Zone("meishan", "meishan", 30.0750, 103.8490, 2.5, 0.12),
    Zone("ziyang", "ziyang", 30.1290, 104.6270, 2.5, 0.06),
    Zone("suining", "suining", 30.5330, 105.5930, 2.5, 0.07),
    Zone("yaan", "yaan", 29.9810, 103.0130, 2.0, 0.05),
    Zone("neijiang", "neijiang", 29.5800, 105.0580, 2.5, 0.05),
    Zone("zigong", "zigong", 29.3390, 104.7790, 2.5, 0.05),
    Zone("nanchong", "nanchong", 30.8370, 106.1100, 3.0, 0.05),
    Zone("yibin", "yibin", 28.7520, 104.6430, 3.0, 0.03),
]
ZONES: list[Zone] = METRO_ZONES + PROVINCE_ZONES
N_METRO = len(METRO_ZONES)
CITIES: list[str] = ["chengdu"] + [z.city for z in PROVINCE_ZONES]

# State Council make-up workday notices (调休上班日), used with the `holidays` labels.
MAKEUP_WORKDAYS_NOTICES: dict[int, list[dt.date]] = {
    2025: [dt.date(2025, 1, 26), dt.date(2025, 2, 8), dt.date(2025, 4, 27),
           dt.date(2025, 9, 28), dt.date(2025, 10, 11)],
    2026: [dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28),
           dt.date(2026, 5, 9), dt.date(2026, 9, 20), dt.date(2026, 10, 10)],
}
LUNAR_NEW_YEAR_FALLBACK: dict[int, dt.date] = {
    2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26),
}

# Per-carrier peak staffing factors (Double 11, 618) and public-holiday last-mile factor.
PEAK_FACTOR: dict[str, tuple[float, float]] = {
    "own": (1.45, 1.3), "sf": (1.4, 1.25), "zto": (1.3, 1.2), "jd": (1.55, 1.35), "cainiao": (1.25, 1.15),
}
HOLIDAY_FACTOR: dict[str, float] = {"own": 0.85, "sf": 0.9, "zto": 0.7, "jd": 0.9, "cainiao": 0.85}
SF_BONUS: dict[str, float] = {"own": 0.0, "sf": 0.1, "zto": -0.05, "jd": 0.1, "cainiao": 0.0}

HOUR_PROFILE = np.array([3.0, 1.5, 0.8, 0.5, 0.4, 0.5, 1.0, 2.0, 3.5, 5.0, 6.0, 6.0,
                         5.5, 5.0, 5.5, 5.5, 5.0, 4.5, 4.5, 5.5, 7.0, 8.0, 7.5, 5.5])
HOUR_PROFILE = HOUR_PROFILE / HOUR_PROFILE.sum()


# --------------------------------------------------------------------------------------------
# Calendar, weather, demand
# --------------------------------------------------------------------------------------------


@dataclass
class Calendar:
    start: dt.date
    dates: list[dt.date]
    weekday: np.ndarray  # 0 = Monday
    holiday: np.ndarray  # public holiday per holidays.China
    makeup: np.ndarray  # official make-up workday (调休)
    rest: np.ndarray  # official rest day
    ny_phase: np.ndarray  # days from the nearest Lunar New Year's Day
    duty_pickup: np.ndarray  # ZTO half pickup inside long breaks
    month: np.ndarray

    @property
    def n(self) -> int:
        return len(self.dates)


def _makeup_workdays(years: Sequence[int]) -> set[dt.date]:
    found: set[dt.date] = set()
    cn = holidays.China(years=list(years), language="en_US")
    for _day, name in cn.items():
        for m in re.finditer(r"substituted from (\d{2})/(\d{2})/(\d{4})", str(name)):
            found.add(dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2))))
    for y in years:
        notice = set(MAKEUP_WORKDAYS_NOTICES.get(y, []))
        from_pkg = {d for d in found if d.year == y}
        if notice and from_pkg != notice:
            print(f"warning: make-up workdays {y} from holidays {sorted(from_pkg)} differ from the "
                  f"State Council notice {sorted(notice)}; using the union", file=sys.stderr)
        found |= notice
    return found


def _lunar_new_years(years: Sequence[int]) -> list[dt.date]:
    out: list[dt.date] = []
    cn = holidays.China(years=list(years), language="en_US")
    for y in years:
        days = [d for d, n in cn.items() if d.year == y and str(n) == "Chinese New Year (Spring Festival)"]
        out.append(min(days) if days else LUNAR_NEW_YEAR_FALLBACK[y])
    return out


def build_calendar(start: dt.date, n_days: int) -> Calendar:
    dates = [start + dt.timedelta(days=i) for i in range(n_days)]
    years = sorted({d.year for d in dates} | {dates[0].year - 1, dates[-1].year + 1})
    cn = holidays.China(years=years, language="en_US")
    makeup_days = _makeup_workdays(years)
    weekday = np.array([d.weekday() for d in dates])
    hol = np.array([d in cn for d in dates])
    makeup = np.array([d in makeup_days for d in dates])
    rest = hol | ((weekday >= 5) & ~makeup)
    nys = _lunar_new_years(years)
    ny_phase = np.array([min(((d - ny).days for ny in nys), key=abs) for d in dates])
    in_sf = np.abs(ny_phase) <= 10
    duty = np.zeros(n_days, dtype=bool)
    i = 0
    while i < n_days:
        if rest[i]:
            j = i
            while j < n_days and rest[j]:
                j += 1
            if j - i > 3 and not in_sf[i:j].any():
                duty[i + 1:j:2] = True
            i = j
        else:
            i += 1
    month = np.array([d.month for d in dates])
    return Calendar(start, dates, weekday, hol, makeup, rest, ny_phase, duty, month)


RAIN_P = np.array([0.15, 0.20, 0.30, 0.35, 0.40, 0.45, 0.55, 0.55, 0.45, 0.35, 0.20, 0.12])
HEAVY_P = np.array([0.0, 0.0, 0.02, 0.03, 0.05, 0.12, 0.25, 0.25, 0.12, 0.03, 0.0, 0.0])
FOG_P = np.array([0.15, 0.10, 0.03, 0, 0, 0, 0, 0, 0, 0.02, 0.08, 0.15])


def build_weather(cal: Calendar, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Rain state (0 dry, 1 rain, 2 heavy) and fog flag, shape (n_cities, n_days)."""
    rho = 0.4
    rain = np.zeros((len(CITIES), cal.n), dtype=np.int8)
    p = RAIN_P[cal.month - 1]
    hp = HEAVY_P[cal.month - 1]
    u = rng.random((len(CITIES), cal.n))
    uh = rng.random((len(CITIES), cal.n))
    wet = np.zeros(len(CITIES), dtype=bool)
    for d in range(cal.n):
        prob = np.where(wet, p[d] + rho * (1 - p[d]), p[d] * (1 - rho))
        wet = u[:, d] < prob
        rain[:, d] = np.where(wet, np.where(uh[:, d] < hp[d], 2, 1), 0)
    fog = rng.random((len(CITIES), cal.n)) < FOG_P[cal.month - 1]
    return rain, fog


def _md(d: dt.date) -> tuple[int, int]:
    return d.month, d.day


def demand_multiplier(cal: Calendar, rain_cd: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mult = np.ones(cal.n)
    for i, d in enumerate(cal.dates):
        m, day = _md(d)
        f = 1.0
        # Double 11
        if (m, day) == (10, 20):
            f = 1.5
        elif m == 10 and 21 <= day <= 30:
            f = 1.4
        elif (m, day) == (10, 31):
            f = 2.2
        elif m == 11 and 1 <= day <= 3:
            f = 2.0
        elif m == 11 and 4 <= day <= 9:
            f = 1.6
        elif (m, day) == (11, 10):
            f = 2.2
        elif (m, day) == (11, 11):
            f = 4.0
        elif m == 11 and 12 <= day <= 13:
            f = 1.3
        elif m == 11 and 14 <= day <= 20:
            f = 0.85
        # 618
        elif (m, day) == (5, 31):
            f = 1.3
        elif (m, day) == (6, 1):
            f = 2.0
        elif m == 6 and 2 <= day <= 15:
            f = 1.5
        elif m == 6 and 16 <= day <= 17:
            f = 1.8
        elif (m, day) == (6, 18):
            f = 2.5
        elif m == 6 and 19 <= day <= 22:
            f = 0.85
        # smaller promotions
        elif m == 3 and 6 <= day <= 8:
            f = 1.3
        elif (m, day) == (9, 9):
            f = 1.3
        elif m == 12 and 10 <= day <= 12:
            f = 1.35 if day == 12 else 1.15
        elif m == 12 and day >= 20:
            f = 1.05
        # Spring Festival (overrides)
        p = cal.ny_phase[i]
        if -25 <= p <= -11:
            f *= 1.15
        elif -10 <= p <= -6:
            f *= 0.9
        elif -5 <= p <= -2:
            f *= 0.7
        elif -1 <= p <= 3:
            f *= 0.4
        elif 4 <= p <= 7:
            f *= 0.6
        elif 8 <= p <= 12:
            f *= 0.8
        elif cal.holiday[i]:
            f *= 0.8
        if m == 2 and abs(p) > 12:
            f *= 0.92
        mult[i] = f
    wk = np.array([1.05, 1.0, 0.98, 0.97, 0.95, 0.97, 1.08])[cal.weekday]
    years = np.arange(cal.n) / 365.25
    rainy = np.where(rain_cd > 0, 1.05, 1.0)
    noise = np.exp(rng.normal(0.0, 0.07, cal.n))
    return mult * wk * (1 + 0.12 * years) * rainy * noise


def hour_spikes(d: dt.date) -> list[tuple[int, float]]:
    m, day = _md(d)
    return {
        (11, 11): [(0, 0.25), (20, 0.08)],
        (10, 20): [(20, 0.15)],
        (10, 31): [(20, 0.20)],
        (11, 10): [(20, 0.20)],
        (5, 31): [(20, 0.15)],
        (6, 18): [(0, 0.20)],
        (12, 12): [(0, 0.10)],
    }.get((m, day), [])


# --------------------------------------------------------------------------------------------
# Queues
# --------------------------------------------------------------------------------------------


def make_waves(daily_cap: np.ndarray, hours: Sequence[float], shares: Sequence[float],
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Wave times (hours from the start) and integer capacities; the last day flushes."""
    n = len(daily_cap)
    h = np.asarray(hours, dtype=float)
    t = (np.arange(n)[:, None] * 24.0 + h[None, :]).ravel()
    c = (daily_cap[:, None] * np.asarray(shares, dtype=float)[None, :]).ravel()
    c = np.floor(c + rng.random(c.shape)).astype(np.int64)
    c[-len(h):] = 10**9
    return t, c


def fifo(ready: np.ndarray, wave_t: np.ndarray, wave_c: np.ndarray, carry: float = 0.0,
         per_day: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Serve items FIFO by ready time in the first wave (time >= ready) with free capacity.

    ``carry``: a share of what wave k served still blocks capacity in wave k + per_day
    (locker slots occupied until collected).  Returns (wave index per item, served per wave).
    """
    order = np.argsort(ready, kind="stable")
    r = ready[order]
    n = len(r)
    out = np.empty(n, dtype=np.int64)
    served = np.zeros(len(wave_t), dtype=np.int64)
    arrived = np.searchsorted(r, wave_t, side="right")
    ptr = 0
    for k in range(len(wave_t)):
        if ptr >= n:
            break
        a = arrived[k]
        if a <= ptr:
            continue
        cap = wave_c[k]
        if carry and k >= per_day:
            cap = max(1, cap - int(carry * served[k - per_day]))
        take = min(cap, a - ptr)
        if take <= 0:
            continue
        out[ptr:ptr + take] = k
        served[k] = take
        ptr += take
    if ptr < n:
        raise RuntimeError("queue did not drain; extend the simulated tail")
    res = np.empty(n, dtype=np.int64)
    res[order] = out
    return res, served


# --------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------


def _haversine_km(lat1: np.ndarray | float, lon1: np.ndarray | float,
                  lat2: np.ndarray | float, lon2: np.ndarray | float) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


class Generator:
    def __init__(self, start: dt.date, n_days: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.start = start
        self.n_days = n_days
        self.tail = 60  # simulated drain days after the last order day
        self.cal = build_calendar(start, n_days + self.tail)
        self.rain, self.fog = build_weather(self.cal, self.rng)
        self.demand = demand_multiplier(self.cal, self.rain[0], self.rng)[:n_days]
        # carriers grow capacity with the platform's volume trend (same 12 %/year as demand)
        self.trend = 1 + 0.12 * np.arange(self.cal.n) / 365.25

    # ---- calendar multipliers ----------------------------------------------------------------
    def _peak(self, carrier: str) -> np.ndarray:
        d11, s618 = PEAK_FACTOR[carrier]
        f = np.ones(self.cal.n)
        for i, d in enumerate(self.cal.dates):
            m, day = _md(d)
            if m == 10 and 20 <= day <= 27:
                f[i] = 1 + 0.4 * (d11 - 1)
            elif (m == 10 and day >= 28) or (m == 11 and day <= 22):
                f[i] = d11
            elif m == 11 and 23 <= day <= 27:
                f[i] = 1 + 0.4 * (d11 - 1)
            elif (m == 5 and day >= 28) or (m == 6 and day <= 22):
                f[i] = s618
            elif m == 12 and 10 <= day <= 14:
                f[i] = 1.15
        return f

    def _spring(self, carrier: str) -> np.ndarray:
        p = self.cal.ny_phase
        g = np.ones(self.cal.n)
        g[(p >= -5) & (p <= -4)] = 0.7
        g[(p >= -3) & (p <= -1)] = 0.4
        g[(p >= 0) & (p <= 3)] = 0.22
        g[(p >= 4) & (p <= 6)] = 0.35
        g[(p >= 7) & (p <= 8)] = 0.6
        sf = (p >= -5) & (p <= 8)
        g[sf] = np.clip(g[sf] + SF_BONUS[carrier], 0.15, 1.0)
        return g

    def cap_mult(self, carrier: str, stage: str) -> np.ndarray:
        """Daily capacity multiplier for one carrier stage ('pickup', 'hub', 'lastmile')."""
        cal = self.cal
        m = self._peak(carrier) * self._spring(carrier)
        sf_window = np.abs(cal.ny_phase) <= 8
        if stage == "lastmile":
            m = m * np.where(cal.holiday & ~sf_window, HOLIDAY_FACTOR[carrier], 1.0)
        if carrier == "zto":
            p = cal.ny_phase
            if stage == "pickup":
                open_ = ~cal.rest | cal.duty_pickup
                m = m * np.where(open_, np.where(cal.duty_pickup, 0.5, 1.0), 0.0)
                m[(p >= -3) & (p <= 3)] = 0.0  # Spring Festival pickup pause, 7 days
                catch_up = (p >= 4) & (p <= 8)  # after the pause: pickups every day
                m[catch_up] = self._peak(carrier)[catch_up] * self._spring(carrier)[catch_up]
            else:
                m[(p >= -3) & (p <= 3)] = np.minimum(m[(p >= -3) & (p <= 3)], 0.25)
                m[(p >= 4) & (p <= 8)] = np.minimum(m[(p >= 4) & (p <= 8)], 0.5)
            if stage == "lastmile":
                thin_sunday = (cal.weekday == 6) & ~cal.makeup
                m = m * np.where(thin_sunday, 0.45, 1.0)
        return m * np.exp(self.rng.normal(0.0, 0.06, cal.n))

    def weather_cap(self, city: int) -> np.ndarray:
        return np.array([1.0, 0.8, 0.45])[self.rain[city]]

    # ---- orders --------------------------------------------------------------------------------
    def orders(self) -> pd.DataFrame:
        rng, cal = self.rng, self.cal
        counts = rng.poisson(480.0 * self.demand)
        day_idx = np.repeat(np.arange(self.n_days), counts)
        n = len(day_idx)
        hours = np.empty(n)
        pos = 0
        for d, c in enumerate(counts):
            prof = HOUR_PROFILE.copy()
            spikes = hour_spikes(cal.dates[d])
            for h, s in spikes:
                prof = prof * (1 - s)
                prof[h] += s
            hr = rng.choice(24, size=c, p=prof / prof.sum())
            frac = rng.random(c)
            for h, _s in spikes:  # spike hours concentrate right after the launch
                sel = hr == h
                frac[sel] = np.minimum(rng.exponential(0.2, sel.sum()), 0.999)
            hours[pos:pos + c] = hr + frac
            pos += c
        created = day_idx * 24.0 + hours

        # destinations
        zw = np.array([z.weight for z in ZONES])
        zw[:N_METRO] *= METRO_SHARE / zw[:N_METRO].sum()
        zw[N_METRO:] *= (1 - METRO_SHARE) / zw[N_METRO:].sum()
        zone = rng.choice(len(ZONES), size=n, p=zw)
        zlat = np.array([z.lat for z in ZONES])[zone]
        zlon = np.array([z.lon for z in ZONES])[zone]
        sig = np.array([z.sigma_km for z in ZONES])[zone]
        off = rng.normal(0.0, 1.0, (n, 2))
        r = np.linalg.norm(off, axis=1)
        off *= (np.minimum(r, 2.5) / np.maximum(r, 1e-9))[:, None]
        dlat = zlat + off[:, 0] * sig / 111.0
        dlon = zlon + off[:, 1] * sig / (111.0 * np.cos(np.radians(zlat)))
        road_km = 1.3 * _haversine_km(FC_LAT, FC_LON, dlat, dlon) + 1.0
        straight_zone_km = _haversine_km(FC_LAT, FC_LON, zlat, zlon)

        # weights: skewed mixture
        comp = rng.random(n)
        w = np.where(comp < 0.88, rng.lognormal(np.log(0.8), 0.85, n),
                     np.where(comp < 0.97, rng.lognormal(np.log(3.5), 0.5, n),
                              rng.lognormal(np.log(10.0), 0.35, n)))
        w = np.round(np.clip(w, 0.05, 30.0), 2)

        # service choice
        metro = zone < N_METRO
        near_city = np.isin(zone, [N_METRO + 0, N_METRO + 3])  # Deyang, Meishan
        local_h = hours
        before_cutoff = local_h < 11.0
        peak_day = self.demand[day_idx] > 1.7
        sw = np.zeros((n, len(SERVICES)))
        same_ok = metro & (straight_zone_km <= 32) & (w <= 25)
        sw[:, S_SAME] = np.where(same_ok, np.where(before_cutoff, 0.32, 0.002), 0.0)
        sw[peak_day, S_SAME] *= 0.6  # throttled at checkout on peak days
        sw[:, S_NEXT] = np.where(metro, 0.20, np.where(near_city, 0.10, 0.0))
        sw[:, S_SF] = np.where(metro, 0.14, 0.22)
        sw[:, S_ZTO] = np.where(metro, 0.22, 0.35)
        sw[:, S_JD] = np.where(metro, 0.12, 0.18)
        sw[:, S_CN] = np.where(w <= 10, np.where(metro, 0.13, 0.15), 0.0)
        cum = np.cumsum(sw / sw.sum(axis=1, keepdims=True), axis=1)
        svc = (rng.random(n)[:, None] > cum).sum(axis=1)

        pay = rng.choice(["alipay", "wechat_pay", "huabei", "unionpay", "credit_card"], size=n,
                         p=[0.50, 0.34, 0.08, 0.06, 0.02])
        return pd.DataFrame({
            "created": created, "day": day_idx, "zone": zone, "svc": svc,
            "dest_lat": dlat, "dest_lon": dlon, "road_km": road_km, "weight_kg": w,
            "payment": pay,
        })

    # ---- stages --------------------------------------------------------------------------------
    def _vol(self, mask_count: int) -> np.ndarray:
        """Ordinary-day volume per day (following the trend) behind a count over the history."""
        return mask_count / self.demand.sum() * self.trend

    def fc_stage(self, df: pd.DataFrame) -> np.ndarray:
        rng, cal = self.rng, self.cal
        created = df["created"].to_numpy()
        packed = np.empty(len(df))
        fc_peak = np.zeros(cal.n, dtype=bool)
        for i, d in enumerate(cal.dates):
            m, day = _md(d)
            fc_peak[i] = (m == 10 and day == 31) or (m == 11 and day <= 14) or (m == 6 and 16 <= day <= 20)
        p = cal.ny_phase
        staff = np.where((p >= -3) & (p <= 5), 0.6, 1.0) * np.where(cal.holiday, 0.9, 1.0)
        staff *= np.exp(rng.normal(0, 0.05, cal.n))
        for lane in (True, False):
            sel = (df["svc"].to_numpy() == S_SAME) == lane
            vol = self._vol(int(sel.sum()))
            if lane:
                hours = [5 + 0.5 * i for i in range(15)] + list(range(13, 22))
                shares = [0.11] * 15 + [0.05] * 9
                daily = 1.6 * vol * staff * np.where(fc_peak, 1.6, 1.0)
                t, c = make_waves(daily, hours, shares, rng)
            else:
                # ordinary days 07:00-23:00; peak days around the clock
                hours = list(range(24))
                base = np.zeros(24)
                base[7:24] = 1.6 / 17
                peak = np.full(24, 2.6 / 24)
                daily = vol * staff
                shares_day = np.where(fc_peak[:, None], peak[None, :], base[None, :])
                t = (np.arange(cal.n)[:, None] * 24.0 + np.arange(24)[None, :]).ravel()
                c = (daily[:, None] * shares_day).ravel()
                c = np.floor(c + rng.random(c.shape)).astype(np.int64)
                c[-24:] = 10**9
            k, _ = fifo(created[sel] + 0.15, t, c)
            dur = (0.1, 0.6) if lane else (0.1, 0.9)
            packed[sel] = np.maximum(t[k], created[sel] + 0.15) + rng.uniform(*dur, sel.sum())
        return packed

    def run(self) -> pd.DataFrame:
        rng, cal = self.rng, self.cal
        df = self.orders()
        n = len(df)
        svc = df["svc"].to_numpy()
        zone = df["zone"].to_numpy()
        road_km = df["road_km"].to_numpy()
        created = df["created"].to_numpy()
        packed = self.fc_stage(df)
        handed = np.empty(n)
        delivered = np.empty(n)
        city_of_zone = np.array([CITIES.index(z.city) for z in ZONES])
        far = zone >= N_METRO

        def pickup(sel: np.ndarray, carrier: str, hours: Sequence[float], shares: Sequence[float],
                   headroom: float, van: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            vol = self._vol(int(sel.sum()))
            daily = headroom * vol * self.cap_mult(carrier, "pickup")
            t, c = make_waves(daily, hours, shares, rng)
            k, served = fifo(packed[sel] + 0.25, t, c)
            busy = np.repeat(self._peak(carrier), len(hours)) > 1.2
            delay = rng.exponential(np.where(busy, 0.5, 0.12))
            jitter = rng.uniform(0.0, 0.3 if van else 0.6, sel.sum())
            h = t[k] + delay[k] + jitter
            return np.maximum(h, packed[sel] + 0.05), k, served / np.maximum(c, 1)

        def trunk(sel: np.ndarray, depart: np.ndarray, metro_speed: float) -> np.ndarray:
            km = road_km[sel]
            is_far = far[sel]
            d = np.clip((depart // 24).astype(int), 0, cal.n - 1)
            city = city_of_zone[zone[sel]]
            wet = self.rain[city, d]
            slow = np.where(wet == 2, 1.5, np.where(wet == 1, 0.3, 0.0))
            slow += np.where(self.fog[city, d] & is_far, 1.5, 0.0)
            # Spring Festival: thin line-haul schedules, trucks leave only when full enough
            p = cal.ny_phase[d]
            slow += np.where((p >= -3) & (p <= 6), rng.uniform(2.0, 8.0, sel.sum()), 0.0)
            t = np.where(is_far, 0.5 + km / 65.0, km / metro_speed) + slow
            return depart + t + rng.uniform(0, 0.4, sel.sum())

        def hub(sel: np.ndarray, carrier: str, ready: np.ndarray, hours: Sequence[float],
                shares: Sequence[float], headroom: float) -> np.ndarray:
            vol = self._vol(int(sel.sum()))
            daily = headroom * vol * self.cap_mult(carrier, "hub")
            t, c = make_waves(daily, hours, shares, rng)
            k, _ = fifo(ready, t, c)
            return t[k] + rng.uniform(0.2, 1.2, sel.sum())  # sort finished, outbound leaves

        def lastmile(sel: np.ndarray, carrier: str, ready: np.ndarray, hours: Sequence[float],
                     shares: Sequence[float], headroom: float, span: float, fail: float,
                     carry: float = 0.0) -> np.ndarray:
            idx = np.flatnonzero(sel)
            out = np.empty(len(idx))
            zs = zone[idx]
            base_mult = self.cap_mult(carrier, "lastmile")
            for z in np.unique(zs):
                m = zs == z
                city = city_of_zone[z]
                vol = self._vol(int(m.sum()))
                daily = np.maximum(headroom * vol, 6.0) * base_mult * self.weather_cap(city)
                daily *= np.exp(rng.normal(0, 0.05, cal.n))
                t, c = make_waves(daily, hours, shares, rng)
                k, served = fifo(ready[m], t, c, carry=carry, per_day=len(hours))
                load = np.clip(served / np.maximum(c, 1), 0, 1.5)[k]
                day = np.clip((t[k] // 24).astype(int), 0, cal.n - 1)
                wspan = np.array([1.0, 1.25, 1.6])[self.rain[city, day]]
                sp = span * (0.55 + 0.45 * load) * wspan
                out[m] = t[k] + 0.3 + rng.random(m.sum()) * sp
            out = self._failed(out, fail)
            return out

        # own same_day: vans straight from the FC
        sel = svc == S_SAME
        h, k, load = pickup(sel, "own", [8.5, 12.5], [0.5, 1.0], 1.5, van=True)
        handed[sel] = h
        d = np.clip((h // 24).astype(int), 0, cal.n - 1)
        wspan = np.array([1.0, 1.25, 1.6])[self.rain[0, d]]
        sp = (2.5 + 1.5 * np.clip(load[k], 0, 1.2)) * wspan
        dl = h + 0.2 + road_km[sel] / 30.0 + rng.random(sel.sum()) * sp
        delivered[sel] = self._failed(dl, 0.01)

        # own next_day: van to own station, station waves
        sel = svc == S_NEXT
        h, _, _ = pickup(sel, "own", [15.0, 23.0], [0.5, 1.2], 1.4, van=True)
        handed[sel] = h
        ready = trunk(sel, h, 35.0) + 0.5
        delivered[sel] = lastmile(sel, "own", ready, [8.5, 13.5], [0.8, 0.6], 1.3, 4.0, 0.015)

        # SF express
        sel = svc == S_SF
        h, _, _ = pickup(sel, "sf", [11.0, 16.0, 22.5], [0.4, 0.5, 0.7], 1.5, van=False)
        handed[sel] = h
        sorted_t = hub(sel, "sf", h + 0.6, [0.5, 14.0], [1.0, 0.6], 1.4)
        ready = trunk(sel, sorted_t, 40.0) + 0.5
        delivered[sel] = lastmile(sel, "sf", ready, [8.5, 13.5], [0.85, 0.55], 1.3, 3.5, 0.012)

        # ZTO economy
        sel = svc == S_ZTO
        h, _, _ = pickup(sel, "zto", [17.5], [3.2], 1.0, van=False)
        handed[sel] = h
        sorted_t = hub(sel, "zto", h + 1.5 + 10.0, [2.0], [1.0], 2.5)
        ready = trunk(sel, sorted_t, 35.0) + 2.0
        delivered[sel] = lastmile(sel, "zto", ready, [14.0], [1.0], 1.9, 5.0, 0.03)

        # JD standard
        sel = svc == S_JD
        h, _, _ = pickup(sel, "jd", [13.0, 20.0], [0.7, 0.9], 1.4, van=False)
        handed[sel] = h
        sorted_t = hub(sel, "jd", h + 1.0, [1.0, 16.0], [1.0, 0.6], 1.4)
        ready = trunk(sel, sorted_t, 40.0) + 0.5
        delivered[sel] = lastmile(sel, "jd", ready, [8.0, 14.0], [0.85, 0.55], 1.3, 4.0, 0.015)

        # Cainiao locker
        sel = svc == S_CN
        h, _, _ = pickup(sel, "cainiao", [15.0], [1.6], 1.0, van=False)
        handed[sel] = h
        sorted_t = hub(sel, "cainiao", h + 1.0, [22.0], [1.0], 1.35)
        ready = trunk(sel, sorted_t, 35.0) + 0.5
        delivered[sel] = lastmile(sel, "cainiao", ready, [9.0, 16.0], [0.8, 0.6], 1.6, 3.0, 0.0,
                                  carry=0.3)

        df["handed"] = np.maximum(handed, created + 1 / 60)
        df["delivered"] = np.maximum(delivered, df["handed"].to_numpy() + 5 / 60)
        return df

    def _failed(self, t: np.ndarray, share: float) -> np.ndarray:
        """Roll late-evening deliveries to the next morning; failed first attempts to next day."""
        rng = self.rng
        t = t.copy()
        if share > 0:
            fail = rng.random(len(t)) < share
            t[fail] += 24.0 + rng.normal(0.0, 1.5, fail.sum())
        hod = t % 24
        late = hod > 21.5
        t[late] = (t[late] // 24 + 1) * 24 + 9.0 + rng.random(late.sum()) * 3.0
        early = hod < 7.5
        t[early] = (t[early] // 24) * 24 + 8.0 + rng.random(early.sum()) * 2.0
        return t


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _iso(start: dt.date, hours: np.ndarray) -> np.ndarray:
    base = np.datetime64(start.isoformat() + "T00:00:00", "s")
    ts = base + np.round(hours * 3600.0).astype(np.int64).astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(ts, unit="s"), "+08:00")


def to_export(df: pd.DataFrame, start: dt.date, rng: np.random.Generator) -> pd.DataFrame:
    key = df["created"].to_numpy() + rng.exponential(2.0, len(df))
    df = df.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
    day = df["day"].to_numpy()
    yymmdd = np.array([(start + dt.timedelta(days=int(d))).strftime("%y%m%d") for d in range(day.max() + 1)])
    seq = rng.permutation(len(df)) + 10_000_000
    tail = rng.integers(0, 10_000, len(df))
    oid = [f"{yymmdd[d]}{s:08d}{t:04d}" for d, s, t in zip(day, seq, tail)]
    carriers = np.array([c for c, _ in SERVICES])[df["svc"].to_numpy()]
    services = np.array([s for _, s in SERVICES])[df["svc"].to_numpy()]
    cities = np.array([z.city for z in ZONES])[df["zone"].to_numpy()]
    return pd.DataFrame({
        "order_id": oid,
        "carrier": carriers,
        "service": services,
        "origin_lat": FC_LAT,
        "origin_lon": FC_LON,
        "dest_lat": np.round(df["dest_lat"].to_numpy(), 6),
        "dest_lon": np.round(df["dest_lon"].to_numpy(), 6),
        "created_at": _iso(start, df["created"].to_numpy()),
        "handed_over_at": _iso(start, df["handed"].to_numpy()),
        "delivered_at": _iso(start, df["delivered"].to_numpy()),
        "weight_kg": df["weight_kg"].to_numpy(),
        "dest_city": cities,
        "payment": df["payment"].to_numpy(),
        "_day": day,
        "_lead_h": df["delivered"].to_numpy() - df["created"].to_numpy(),
    })


def period_labels(start: dt.date, day: np.ndarray, cal: Calendar) -> np.ndarray:
    lab = np.full(cal.n, "ordinary", dtype=object)
    for i, d in enumerate(cal.dates):
        m, dd = _md(d)
        if (m == 10 and dd >= 20) or (m == 11 and dd <= 15):
            lab[i] = "double11"
        elif (m == 5 and dd >= 28) or (m == 6 and dd <= 20):
            lab[i] = "618"
        elif -7 <= cal.ny_phase[i] <= 10:
            lab[i] = "spring_fest"
        elif cal.holiday[i] or (cal.rest[i] and not (cal.weekday[i] >= 5)):
            lab[i] = "holiday"
    return lab[day]


def summary(out: pd.DataFrame, n_train_days: int, gen: Generator) -> str:
    lines: list[str] = []
    out = out.assign(split=np.where(out["_day"] < n_train_days, "train", "test"),
                     period=period_labels(gen.start, out["_day"].to_numpy(), gen.cal),
                     cs=out["carrier"] + " " + out["service"])
    for split in ("train", "test"):
        part = out[out["split"] == split]
        if part.empty:
            continue
        lines.append(f"== {split}: {len(part)} rows, {part['_day'].nunique()} days")
        g = part.groupby("cs")["_lead_h"]
        tab = pd.DataFrame({"rows": g.size(), "p50_h": g.quantile(0.5).round(1),
                            "p95_h": g.quantile(0.95).round(1)})
        lines.append(tab.to_string())
        pv = part.groupby(["cs", "period"])["_lead_h"].agg(
            lambda s: f"{s.quantile(0.5):.0f}/{s.quantile(0.95):.0f}").unstack("period").fillna("-")
        lines.append("p50/p95 hours by period (created date):")
        lines.append(pv.to_string())
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--out", required=True, type=Path, help="output directory")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--days", type=int, default=78 * 7, help="history length in days (default 546)")
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 3, 3))
    ap.add_argument("--quiet", action="store_true", help="do not print the sanity summary")
    args = ap.parse_args(argv)
    if args.days < 3:
        ap.error("--days must be >= 3")
    n_train = round(2 * args.days / 3)  # 546 days -> 364 = 52 weeks

    gen = Generator(args.start, args.days, args.seed)
    df = gen.run()
    out = to_export(df, args.start, gen.rng)
    args.out.mkdir(parents=True, exist_ok=True)
    cols = [c for c in out.columns if not c.startswith("_")]
    train = out["_day"] < n_train
    out[cols].to_csv(args.out / "history.csv", index=False)
    out.loc[train, cols].to_csv(args.out / "train.csv", index=False)
    out.loc[~train, cols].to_csv(args.out / "test.csv", index=False)
    if not args.quiet:
        end = args.start + dt.timedelta(days=args.days - 1)
        split = args.start + dt.timedelta(days=n_train)
        print(f"history {args.start}..{end} ({len(out)} rows); train < {split} ({int(train.sum())}), "
              f"test >= {split} ({int((~train).sum())}) -> {args.out}")
        print(summary(out, n_train, gen))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
