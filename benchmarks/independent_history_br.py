#!/usr/bin/env python3
"""Independent delivery history for Greater São Paulo, Brazil (written blind, without reading the engine).

DATA CARD
=========

What it is
----------
A seeded simulation of an e-commerce platform that ships from two warehouses near São Paulo and hands
parcels to five carriers. One CSV row per order; every order is delivered (the simulation keeps running,
with no new demand, until every backlog has drained). ``train.csv`` holds orders created (local date) in
the first 52 weeks after ``--start``, ``test.csv`` the following 26 weeks (default 78 weeks). With
``--days N`` the first round(2N/3) days are train and the rest test. The 10 days before ``--start`` are
simulated as warm-up (queues fill up realistically) but are not written. ``--seed`` fully determines the
output (one ``numpy.random.Generator``).

Columns (deliberately NOT in the engine's documented order)
    order_id, created_at, carrier, service, weight_kg, dest_lat, dest_lon, origin_lat, origin_lon,
    delivered_at, handed_over_at, dest_city, dest_area, dest_uf, notes
- Times: Unix epoch MILLISECONDS (integers) by default; ``--time-format iso`` writes local ISO-8601 with
  seconds and the offset ``-03:00`` (Brazil has had no daylight saving since 2019, so every row is -03:00).
- created_at: order placed. handed_over_at: the carrier took the parcel (collection truck scan at the
  warehouse; for the own fleet the van leaving the warehouse). delivered_at: at the door, in the locker or
  at the pickup point.
- carrier is written in mixed case as the export writes it: ``Own``, ``Loggi``, ``Correios``, ``Jadlog``,
  ``Pegaki``. origin = the warehouse; dest = the door, locker bank or pickup point.
- dest_city / dest_area (São Paulo city is split in zones, e.g. "Zona Leste") / dest_uf, and notes = the
  creation day's tags joined by "|", are informational. Tags: holiday names from the `holidays` package
  (English), sp_city_anniversary, consumer_week, dia_do_consumidor, mothers_day_sale,
  dia_dos_namorados_sale, black_november, black_friday_week, black_friday, black_friday_weekend,
  cyber_monday, christmas_rush, correios_strike, correios_backlog_recovery, storm:<areas joined by +>,
  storm_day2:<areas>.
- order_id: BR + 8 digits in creation order (warm-up orders use ids too, so ids do not start at 0);
  times carry milliseconds (ISO output truncates to the second).
- Rows are roughly in creation order: sorted by created_at plus a uniform 0-3 h jitter.

Geography
---------
Warehouses: Cajamar CD (-23.356, -46.877) and Guarulhos CD (-23.433, -46.487).
Destinations (share of orders):
- São Paulo city 55 %: Centro, Zona Oeste, Zona Sul, Zona Norte, Zona Leste, Extremo Sul.
- Rest of Greater São Paulo 25 %: Guarulhos, Osasco, Santo André, São Bernardo do Campo, São Caetano do
  Sul, Diadema, Mauá, Barueri, Carapicuíba, Taboão da Serra, Cotia, Mogi das Cruzes.
- São Paulo state outside the metro 6 %: Campinas, Santos.
- Other states 14 %: Rio de Janeiro, Belo Horizonte, Curitiba, Porto Alegre, Brasília, Salvador, Recife,
  Manaus (~2,700 km straight line).
Door addresses are uniform in a disc around each area's centre (radius 2-12 km). Lockers (10 banks per
area) and pickup points (12 per area/city) are fixed seeded sites, so their coordinates repeat.
Metro areas belong to an own-fleet sector; sectors Norte, Leste and ABC are served from Guarulhos, the
others from Cajamar (same-day always from that warehouse; other services 70 % from it, 30 % from the other
one). Orders outside the metro come 65 % from Cajamar (50 % for Rio, Salvador, Recife, Manaus).

Demand
------
- ~800 orders/day on --start, growing 12 %/year (exponential, also before start during warm-up).
- Weekday factors Mon..Sun 1.12, 1.08, 1.04, 1.00, 0.93, 0.82, 1.01 (rescaled to mean 1); month factors
  Jan..Dec 0.93, 0.95, 1.0, 0.98, 1.02, 0.99, 1.02, 1.0, 0.98, 1.02, 1.0, 1.0.
- Hour-of-day weights 00..23: 2.0 1.2 0.7 0.4 0.3 0.4 0.9 1.8 3.0 4.2 4.8 5.0 5.4 5.2 4.8 4.7 4.7 4.8 5.2
  6.0 7.4 8.0 7.4 4.6 (evening peak 20:00-23:00), uniform within the hour. On Black Friday the midnight
  sale opening multiplies hours 00, 01, 02 by 7, 3.5, 1.5.
- Sales: Dia do Consumidor (Mar 15) x2.2, Mar 10-16 x1.3; Mother's Day sale (the 12 to 4 days before the
  2nd Sunday of May) x1.35; Dia dos Namorados week (Jun 5-11) x1.2; "Black November" (all of November) x1.3,
  Black Friday week Mon-Thu x1.9, Black Friday (day after the 4th Thursday of November) x U(4, 6) drawn per
  year, its Saturday x2.4, Sunday x1.9, Cyber Monday x2.6; Christmas run-up Dec 1-19 x1.35, Dec 20-23 x1.1,
  Dec 24 x0.6, Dec 25 x0.35, Dec 26-30 x0.8, Dec 31 x0.5, Jan 1 x0.45.
- São Paulo public holidays without a sale factor x0.8; Carnival Mon/Tue additionally x0.7.
- Daily count = Poisson(expected x lognormal(0, 0.07) noise).
- Weights: log-normal, median 1.0 kg, sigma 0.9, clipped to 0.05-50 kg (3 decimals).

Services and checkout choice
----------------------------
    carrier   service        kind          where
    Own       Same Day       same_day      SP city + Guarulhos, Osasco, Santo André, São Bernardo, São
                                           Caetano, Diadema, Barueri, Carapicuíba, Taboão; created
                                           Mon-Sat before 12:00 on an own-fleet working day (not on
                                           holidays outside Nov 1 - Dec 23, Ash Wednesday, Dec 24/31,
                                           Dec 25, Jan 1); <= 20 kg
    Own       Locker         locker        SP city (not Extremo Sul), Guarulhos, Osasco, Santo André,
                                           São Bernardo, São Caetano; <= 10 kg; lockers 24/7
    Loggi     Expresso       next_day      Greater SP + Campinas; <= 30 kg
    Correios  SEDEX          next_day      everywhere (express: 1-2 days from collection, Manaus 2-3);
                                           <= 30 kg
    Correios  PAC            standard      everywhere (slow: ~4 days metro, 5-7 other capitals,
                                           ~12 Manaus); <= 30 kg
    Jadlog    Package        standard      everywhere, any weight
    Pegaki    Ponto Pegaki   pickup_point  Greater SP + Campinas, Rio, Belo Horizonte, Curitiba; <= 15 kg
The buyer picks among the eligible services with fixed weights per region: metro same-day 0.40, locker
0.10, Loggi 0.30, SEDEX 0.10, PAC 0.14, Jadlog 0.12, Pegaki 0.08; Campinas Loggi .35, SEDEX .18, PAC .20,
Jadlog .17, Pegaki .10; Santos SEDEX .35, PAC .35, Jadlog .30; other states SEDEX .38, PAC .35, Jadlog .27,
Pegaki .08 (where it exists). Parcels over 5 kg shift away from SEDEX (x0.6) to PAC (x1.2) and Jadlog
(x1.3). During the Correios strike the platform down-weights SEDEX and PAC x0.4. Same-day slots are
rationed on sale days: weight x min(1, 1.2 / demand factor), and x0.4 from Black Friday to Cyber Monday.

Operations: every stage is a timed wave with a capacity and a FIFO queue
-------------------------------------------------------------------------
Each stage (per warehouse, hub, line-haul lane, destination area) releases, at fixed local clock times,
at most `capacity` parcels in arrival order; what does not fit waits for the next wave, so spikes and
closures build backlogs that drain over the following days (re-attempts aside, there is no priority).
Capacity planning: for every (weekday, wave) the planner knows its long-run load (parcels whose first
possible wave it is) per unit of planned volume P(d); the wave gets margin x P(d) x max(that load rate,
the wave's weight share of the weekday's load rate). P(d) follows 800/day x 12 %/year growth x month
factor x *planned* peaks: November x1.2, Black Friday to +10 days x1.5, consumer week x1.15, Mother's
Day x1.2, Dia dos Namorados x1.1, Dec 1-19 x1.35, Dec 20-23 x1.1, Dec 24 - Jan 2 x0.85. Real peaks exceed
the plan (Black Friday week x1.9 then x4-6), so backlogs appear. Then x calendar factor x daily
lognormal(0, 0.06) noise; vans and trucks come whole (capacity rounded up to `unit` parcels: own vans
30, locker vans 60, Loggi drivers 35, Correios carteiros 60 (SEDEX) / 80 (PAC), Jadlog 40, Pegaki runs
40, collection/line-haul trucks 200-500; sorters are per parcel); then unplanned disruption (strike,
flood): each vehicle runs with the disruption's probability (binomial), per-parcel stages scale; finally
stochastic rounding. Margins: 1.25-1.4 (PAC 1.15, line-haul trucks 1.25-1.6). Gated waves (Black Friday
night shifts, peak Sundays) get their weight x an average wave of that weekday.
"Mon-Fri" etc. are the days a wave exists.

1. Warehouse (per warehouse). General lane: hourly waves 06:00-23:00 Mon-Sat, 08:00-18:00 Sun, plus
   night waves 00:00-05:00 from Black Friday to Cyber Monday; ready 35-60 min after the wave.
   Same-day express lane: every 30 min 07:00-12:30 Mon-Sat, ready 20-35 min after.
2. Own Same Day (queue per destination area): vans leave the warehouse at 10:30, 13:30 and 15:30
   Mon-Sat (handover = departure + 0-15 min); delivered = departure + 15 min + drive (road km = 1.35 x
   straight line at 25 km/h) + a route position (Beta(1.2, 1.2)) in a 3.5 / 5.5 / 4.5 h window, x1.3 on
   a storm day in that area. Not on a van today -> next working day (a missed promise).
3. Own Locker (per area): vans at 07:00 and 14:00 every day from the warehouse; drive + up to 2.5 h.
4. Loggi: collection trucks Mon-Fri 17:00 and 21:00, Sat 15:00 (40-60 min to the hub) -> hub sort
   22:00 Mon-Sat, 01:00 and 04:00 Tue-Sun, ready +1 h -> Campinas only: line-haul 05:00 Mon-Sat (+1h40)
   -> last mile per area 08:00 and 12:00 Mon-Sat (also Sundays between Black Friday and Dec 23), routes
   of 10.5 h / 7 h after 20 min + drive from the area centre (20 km/h).
5. Correios: collection Mon-Fri 16:00, Sat 11:00 (SEDEX and PAC share it) -> CTE Cajamar.
   SEDEX: sort 20:00 and 23:00 Mon-Sat, 02:00 Tue-Sun, ready +45 min -> metro: trucks 03:30/05:00 to the
   delivery units (CDD); Campinas/Santos road 02:30; Rio/Curitiba overnight road 21:30/01:00 (road km/70
   + 30 min); Belo Horizonte, Porto Alegre, Brasília, Salvador, Recife by air 21:30/01:30 and Manaus one
   nightly slot 23:30 (tight space), arrival = departure + 2 h + great circle/750 km/h + 0.4 h + 1.5 h
   -> destination sort 05:00, 11:00, 17:00 Mon-Sat (Sun 05:00), +75 min to the CDD -> CDD delivery
   09:30 Mon-Fri, Sat half capacity, 7.5 h routes.
   PAC: sort 22:00 Mon-Fri, 20:00 Sat, 04:00 Tue-Sat, ready +1 h -> metro: shuttle 10:00 Mon-Sat to the
   CTCE Jaguaré, which sorts into the next morning's routes at 22:00 Sun-Thu; elsewhere: road trucks
   at 23:00 (Rio/BH/Curitiba and Campinas/Santos Mon-Fri, Porto Alegre/Brasília Mon/Wed/Fri, Salvador/
   Recife Tue/Thu/Sat, Manaus Mon/Thu), transit road km/50 h + 4 h + 0-3 h per departure (Manaus 150-186
   h, road + river), destination sort 08:00/20:00 Mon-Fri, +3 h to the CDD, where the parcel joins a
   route only 18 h after arriving -> delivery 09:00 Mon-Fri, 7.5 h routes.
6. Jadlog: collection Mon-Fri 15:00 -> hub Barueri sort 21:00 Mon-Fri and 03:00 Tue-Sat, ready +1 h
   -> metro trucks 04:30 Mon-Sat; Campinas/Santos 04:00 Mon-Sat; interstate 23:30 Mon-Fri (Manaus
   Tue/Fri), road km/55 + 2 h (Manaus 140-164 h) -> franchise unit sort 06:00 Mon-Sat -> delivery 09:30
   Mon-Fri, Sat 09:00 at 40 % capacity, 8 h routes.
7. Pegaki pickup points: collection Mon-Fri 18:30, Sat 14:00 (+1 h) -> consolidation centre Barra
   Funda 23:00 Mon-Sat and 05:00 Tue-Sun -> metro: van runs to the points 09:00 and 14:00 Mon-Sat;
   Campinas, Rio, BH, Curitiba: line-haul 22:00 Mon-Fri (road km/60 + 1 h), then the same runs. Points
   are shops: closed on Sundays and holidays. delivered = drop at the point (within 4 h of the run).
Road km = 1.25 x great circle from central São Paulo (1.35 inside the metro). Failed first attempts
(nobody home): Own same-day 2 %, Loggi 4 %, Jadlog 5 %, Correios 6 % -> delivered on the next wave of
the same last-mile queue at least 14 h later (re-attempts use no capacity); another 1 % of Correios
parcels wait at the agency and are collected by the buyer 1-6 days later (10:00-17:00, never Sunday).

Calendar
--------
holidays.country_holidays('BR', subdiv=UF) public holidays for each location (São Paulo state for the
warehouses, hubs and sorts; the destination's state for destination sorts and last mile), plus
Corpus Christi everywhere (municipal holiday in São Paulo and most capitals), São Paulo city's
anniversary (Jan 25) for São Paulo city areas, and the optional Carnival Monday/Tuesday, Ash Wednesday,
Christmas Eve and New Year's Eve from the package's 'optional' category.
- Warehouses: closed on holidays (70 % inside Nov 1 - Dec 23), 60 % on Carnival Mon/Tue.
- Private carriers and the own fleet (Loggi, Jadlog, Own): closed on holidays (60 % inside Nov 1 - Dec
  23), 60 % on Carnival Mon/Tue. Lockers: 60 % on holidays.
- Correios: closed on holidays and Carnival Mon/Tue (sorting centres run at 50 %).
- Pickup points: closed on holidays, 50 % on Carnival Mon/Tue.
- Everyone except line-haul: Ash Wednesday opens at 12:00; Dec 24 and Dec 31 close at 14:00;
  Dec 25 and Jan 1 everything (line-haul too) is closed.
- Correios strike: the first national strike window inside the simulated period - it starts on a seeded
  Monday between Aug 18 and Sep 15 and lasts 8-14 days. Each Correios vehicle/route runs with
  probability (or per-parcel sorting scales by): collections 60 %, SEDEX sorts 35 %, PAC sorts 20 %,
  SEDEX delivery 30 %, PAC delivery 20 %. Then 21 days of task force at 150 % capacity. (The default run
  has it in Sep 2025, in train; a run not covering Aug-Sep has none.)
- Summer storms Dec-Mar: each day a storm with probability 8 %; it floods 2-5 metro areas (weighted by
  flood proneness: Zona Leste, Zona Norte, Extremo Sul, São Caetano most) and cuts last-mile capacity
  there (all carriers, lockers and points) to 20-60 % of normal (each van runs with that probability);
  half the storms last two days (the second day again 20-60 %). Routes in a flooded area run 30 % longer.

Runtime: the default (78 weeks, ~0.55 M orders) runs in well under a minute on one core.

Usage
-----
    python benchmarks/independent_history_br.py --out DIR [--seed 0] [--days N] [--start 2025-02-03]
        [--time-format ms|iso] [--quiet]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import sys
import time

import holidays
import numpy as np

DAY = 1440.0
WARM = 10
DRAIN = 75
TZ_HOURS = -3
ALL = (0, 1, 2, 3, 4, 5, 6)
WK = (0, 1, 2, 3, 4)
MS = (0, 1, 2, 3, 4, 5)
SAT = (5,)
SUN = (6,)
TS = (1, 2, 3, 4, 5, 6)

WAREHOUSES = [("Cajamar", -23.3560, -46.8770), ("Guarulhos", -23.4330, -46.4870)]
CAJ, GRU = 0, 1
CTE_CAJAMAR = (-23.3500, -46.8600)
CTCE_JAGUARE = (-23.5480, -46.7480)
JADLOG_HUB = (-23.5100, -46.8760)
PEGAKI_CD = (-23.5250, -46.6650)
SP_CENTER = (-23.5475, -46.6361)

# name(area), city, uf, lat, lon, radius km, weight in group, group, sector, flood, same-day, locker,
# pegaki, loggi
Z = [
    ("Centro", "São Paulo", "SP", -23.5475, -46.6361, 4, .10, "spc", "C", 1.0, 1, 1, 1, 1),
    ("Zona Oeste", "São Paulo", "SP", -23.5670, -46.6940, 5, .17, "spc", "O", 1.0, 1, 1, 1, 1),
    ("Zona Sul", "São Paulo", "SP", -23.6330, -46.6900, 7, .24, "spc", "S", 1.0, 1, 1, 1, 1),
    ("Zona Norte", "São Paulo", "SP", -23.4900, -46.6250, 6, .16, "spc", "N", 1.3, 1, 1, 1, 1),
    ("Zona Leste", "São Paulo", "SP", -23.5450, -46.5100, 9, .25, "spc", "L", 1.6, 1, 1, 1, 1),
    ("Extremo Sul", "São Paulo", "SP", -23.7600, -46.6900, 6, .08, "spc", "S", 1.2, 1, 0, 1, 1),
    ("Guarulhos", "Guarulhos", "SP", -23.4543, -46.5333, 7, .20, "met", "N", 0.9, 1, 1, 1, 1),
    ("Osasco", "Osasco", "SP", -23.5325, -46.7917, 4, .12, "met", "O", 0.9, 1, 1, 1, 1),
    ("Santo André", "Santo André", "SP", -23.6639, -46.5383, 5, .12, "met", "A", 1.0, 1, 1, 1, 1),
    ("São Bernardo do Campo", "São Bernardo do Campo", "SP", -23.6914, -46.5646, 6, .13, "met", "A", 0.9,
     1, 1, 1, 1),
    ("São Caetano do Sul", "São Caetano do Sul", "SP", -23.6229, -46.5548, 2, .04, "met", "A", 1.1,
     1, 1, 1, 1),
    ("Diadema", "Diadema", "SP", -23.6861, -46.6228, 3, .06, "met", "A", 0.6, 1, 0, 1, 1),
    ("Mauá", "Mauá", "SP", -23.6677, -46.4613, 4, .05, "met", "A", 0.7, 0, 0, 1, 1),
    ("Barueri", "Barueri", "SP", -23.5057, -46.8790, 4, .06, "met", "O", 0.5, 1, 0, 1, 1),
    ("Carapicuíba", "Carapicuíba", "SP", -23.5235, -46.8407, 3, .05, "met", "O", 0.5, 1, 0, 1, 1),
    ("Taboão da Serra", "Taboão da Serra", "SP", -23.6019, -46.7526, 3, .05, "met", "S", 0.6, 1, 0, 1, 1),
    ("Cotia", "Cotia", "SP", -23.6022, -46.9190, 6, .04, "met", "O", 0.3, 0, 0, 1, 1),
    ("Mogi das Cruzes", "Mogi das Cruzes", "SP", -23.5208, -46.1854, 7, .08, "met", "L", 0.5, 0, 0, 1, 1),
    ("Campinas", "Campinas", "SP", -22.9099, -47.0626, 8, .75, "sps", "-", 0, 0, 0, 1, 1),
    ("Santos", "Santos", "SP", -23.9608, -46.3336, 5, .25, "sps", "-", 0, 0, 0, 0, 0),
    ("Rio de Janeiro", "Rio de Janeiro", "RJ", -22.9068, -43.1729, 12, .30, "int", "-", 0, 0, 0, 1, 0),
    ("Belo Horizonte", "Belo Horizonte", "MG", -19.9167, -43.9345, 9, .15, "int", "-", 0, 0, 0, 1, 0),
    ("Curitiba", "Curitiba", "PR", -25.4284, -49.2733, 8, .12, "int", "-", 0, 0, 0, 1, 0),
    ("Porto Alegre", "Porto Alegre", "RS", -30.0346, -51.2177, 8, .09, "int", "-", 0, 0, 0, 0, 0),
    ("Brasília", "Brasília", "DF", -15.7939, -47.8828, 12, .10, "int", "-", 0, 0, 0, 0, 0),
    ("Salvador", "Salvador", "BA", -12.9714, -38.5014, 9, .09, "int", "-", 0, 0, 0, 0, 0),
    ("Recife", "Recife", "PE", -8.0476, -34.8770, 7, .08, "int", "-", 0, 0, 0, 0, 0),
    ("Manaus", "Manaus", "AM", -3.1190, -60.0217, 9, .07, "int", "-", 0, 0, 0, 0, 0),
]
NZ = len(Z)
GROUP_SHARE = {"spc": .55, "met": .25, "sps": .06, "int": .14}
ROAD_EXPRESS = {"Rio de Janeiro", "Curitiba"}  # SEDEX overnight trucks; the other capitals fly
MANAUS = "Manaus"
PAC_DAYS = {"Rio de Janeiro": WK, "Belo Horizonte": WK, "Curitiba": WK, "Campinas": WK, "Santos": WK,
            "Porto Alegre": (0, 2, 4), "Brasília": (0, 2, 4), "Salvador": (1, 3, 5), "Recife": (1, 3, 5),
            "Manaus": (0, 3)}

SERVICES = [  # carrier, service, kind
    ("Own", "Same Day", "same_day"),
    ("Own", "Locker", "locker"),
    ("Loggi", "Expresso", "next_day"),
    ("Correios", "SEDEX", "next_day"),
    ("Correios", "PAC", "standard"),
    ("Jadlog", "Package", "standard"),
    ("Pegaki", "Ponto Pegaki", "pickup_point"),
]
SD, LK, LG, SX, PAC, JD, PG = range(7)

WEEKDAY_F = np.array([1.12, 1.08, 1.04, 1.00, 0.93, 0.82, 1.01])
WEEKDAY_F = WEEKDAY_F / WEEKDAY_F.mean()
MONTH_F = np.array([0.93, 0.95, 1.0, 0.98, 1.02, 0.99, 1.02, 1.0, 0.98, 1.02, 1.0, 1.0])
HOUR_W = np.array([2.0, 1.2, 0.7, 0.4, 0.3, 0.4, 0.9, 1.8, 3.0, 4.2, 4.8, 5.0, 5.4, 5.2, 4.8, 4.7, 4.7,
                   4.8, 5.2, 6.0, 7.4, 8.0, 7.4, 4.6])


def haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def drive_min(lat1, lon1, lat2, lon2, kmh, factor=1.35):
    return haversine(lat1, lon1, lat2, lon2) * factor / kmh * 60.0


def fifo(arr, tie, wt, wc):
    """FIFO queue served by waves at times wt (sorted) with integer capacities wc.

    Returns the index of the wave that takes each item. D(w) = min(A(w), D(w-1) + c_w) unrolled as
    D(w) = C(w) + min(0, min_{v<=w} (A(v) - C(v))).
    """
    o = np.lexsort((tie, arr))
    a = arr[o]
    A = np.searchsorted(a, wt, side="right")
    C = np.cumsum(wc)
    D = C + np.minimum(0, np.minimum.accumulate(A - C))
    w = np.searchsorted(D, np.arange(len(a)), side="right")
    if len(w) and w.max() >= len(wt):
        raise RuntimeError("queue did not drain within the horizon; raise DRAIN")
    out = np.empty(len(a), dtype=np.int64)
    out[o] = w
    return out


class Sim:
    def __init__(self, start: dt.date, ndays: int, seed: int):
        self.rng = np.random.default_rng(seed)
        self.start = start
        self.N = ndays
        self.day0 = start - dt.timedelta(days=WARM)
        self.nd = WARM + ndays + DRAIN
        self.ndem = WARM + ndays
        self.dates = [self.day0 + dt.timedelta(days=i) for i in range(self.nd)]
        self.wd = np.array([d.weekday() for d in self.dates])
        self.month = np.array([d.month for d in self.dates])
        self.build_calendar()
        self.build_demand_profile()

    # ------------------------------------------------------------------ calendar
    def dayidx(self, d: dt.date):
        i = (d - self.day0).days
        return i if 0 <= i < self.nd else None

    def flag(self, dates):
        a = np.zeros(self.nd, bool)
        for d in dates:
            i = self.dayidx(d)
            if i is not None:
                a[i] = True
        return a

    def build_calendar(self):
        rng = self.rng
        years = list(range(self.day0.year, self.dates[-1].year + 1))
        opt = holidays.country_holidays("BR", subdiv="SP", years=years, categories=("optional",),
                                        language="en_US")
        self.tags = [[] for _ in range(self.nd)]
        carn, ash, eve, corpus = [], [], [], []
        for d, n in opt.items():
            if "Carnival" in n:
                carn.append(d)
            elif "Ash" in n:
                ash.append(d)
            elif "Eve" in n:
                eve.append(d)
            elif "Corpus" in n:
                corpus.append(d)
            i = self.dayidx(d)
            if i is not None:
                self.tags[i].append(n)
        self.carnival = self.flag(carn)
        self.ash = self.flag(ash)
        self.eve = self.flag(eve)
        self.xny = self.flag([dt.date(y, 12, 25) for y in years] + [dt.date(y, 1, 1) for y in years])
        self.peak = np.array([(d.month == 11) or (d.month == 12 and d.day <= 23) for d in self.dates])
        self.open_from = np.where(self.ash, 12.0, 0.0)
        self.open_until = np.where(self.eve, 14.0, 24.0)
        # holidays per state / location
        self.hol_state = {}
        for uf in sorted({z[2] for z in Z}):
            h = holidays.country_holidays("BR", subdiv=uf, years=years, language="en_US")
            self.hol_state[uf] = self.flag(list(h.keys()) + corpus)
            if uf == "SP":
                for d, n in h.items():
                    i = self.dayidx(d)
                    if i is not None:
                        self.tags[i].append(n)
        anniv = self.flag([dt.date(y, 1, 25) for y in years])
        for i in np.nonzero(anniv)[0]:
            self.tags[i].append("sp_city_anniversary")
        self.hol_sp = self.hol_state["SP"]
        self.hol_zone = []
        for z in Z:
            h = self.hol_state[z[2]].copy()
            if z[7] == "spc":
                h |= anniv
            self.hol_zone.append(h)
        # Correios strike: first window Aug 18 - Sep 15 inside the simulated period
        self.strike = np.zeros(self.nd, bool)
        self.recovery = np.zeros(self.nd, bool)
        for y in years:
            lo, hi = dt.date(y, 8, 18), dt.date(y, 9, 15)
            mondays = [lo + dt.timedelta(days=k) for k in range((hi - lo).days + 1)
                       if (lo + dt.timedelta(days=k)).weekday() == 0]
            s0 = mondays[int(rng.integers(len(mondays)))]
            length = int(rng.integers(8, 15))
            i0 = self.dayidx(s0)
            if i0 is None or i0 >= self.ndem:
                continue
            self.strike[i0:i0 + length] = True
            self.recovery[i0 + length:i0 + length + 21] = True
            self.strike_dates = (s0, s0 + dt.timedelta(days=length - 1))
            break
        else:
            self.strike_dates = None
        for i in np.nonzero(self.strike[:self.nd])[0]:
            self.tags[i].append("correios_strike")
        for i in np.nonzero(self.recovery[:self.nd])[0]:
            self.tags[i].append("correios_backlog_recovery")
        # storms Dec-Mar: per-zone last-mile capacity factor
        self.storm = np.ones((NZ, self.nd))
        metro = [k for k in range(NZ) if Z[k][7] in ("spc", "met")]
        fl = np.array([Z[k][9] for k in metro])
        fl = fl / fl.sum()
        self.storm_days = []
        storm_draw = rng.random(self.nd)
        for i in range(self.nd):
            if self.dates[i].month not in (12, 1, 2, 3) or storm_draw[i] >= 0.08:
                continue
            k = int(rng.integers(2, 6))
            zs = rng.choice(metro, size=k, replace=False, p=fl)
            two = rng.random() < 0.5
            for zi in zs:
                self.storm[zi, i] = min(self.storm[zi, i], rng.uniform(0.2, 0.6))
                if two and i + 1 < self.nd:
                    self.storm[zi, i + 1] = min(self.storm[zi, i + 1], rng.uniform(0.2, 0.6))
            names = "+".join(Z[zi][0] for zi in sorted(zs))
            self.tags[i].append("storm:" + names)
            if two and i + 1 < self.nd:
                self.tags[i + 1].append("storm_day2:" + names)
            self.storm_days.append(self.dates[i])

    # calendar factor families (per day)
    def f_wh(self):
        return np.where(self.xny, 0, np.where(self.hol_sp, np.where(self.peak, .7, 0),
                                              np.where(self.carnival, .6, 1.0)))

    def f_private(self, hol):
        return np.where(self.xny, 0, np.where(hol, np.where(self.peak, .6, 0),
                                              np.where(self.carnival, .6, 1.0)))

    def f_correios(self, hol):
        return np.where(self.xny | hol | self.carnival, 0, 1.0)

    def f_correios_sort(self, hol):
        return np.where(self.xny, 0, np.where(hol | self.carnival, .5, 1.0))

    def f_locker(self, hol):
        return np.where(self.xny, 0, np.where(hol, .6, 1.0))

    def f_points(self, hol):
        return np.where(self.xny | hol, 0, np.where(self.carnival, .5, 1.0))

    def f_lh(self):
        return np.where(self.xny, 0, 1.0)

    def f_strike(self, f):
        return np.where(self.strike, f, np.where(self.recovery, 1.5, 1.0))

    # ------------------------------------------------------------------ demand
    def build_demand_profile(self):
        rng = self.rng
        t = (np.arange(self.nd) - WARM) / 365.25
        growth = 800.0 * 1.12 ** t
        ev = np.ones(self.nd)
        plan = np.ones(self.nd)
        self.bf = np.zeros(self.nd, bool)
        years = range(self.day0.year, self.dates[-1].year + 1)
        tag = self.tags

        def span(a, b, f, pf=None, name=None):
            for k in range((b - a).days + 1):
                i = self.dayidx(a + dt.timedelta(days=k))
                if i is None:
                    continue
                if f is not None:
                    ev[i] = f
                if pf is not None:
                    plan[i] = max(plan[i], pf) if pf >= 1 else pf
                if name:
                    tag[i].append(name)

        for y in years:
            D = dt.date
            span(D(y, 3, 10), D(y, 3, 16), 1.3, 1.15, "consumer_week")
            span(D(y, 3, 15), D(y, 3, 15), 2.2, None, "dia_do_consumidor")
            span(D(y, 3, 17), D(y, 3, 20), None, 1.15)
            may1 = D(y, 5, 1)
            sun2 = may1 + dt.timedelta(days=(6 - may1.weekday()) % 7 + 7)
            span(sun2 - dt.timedelta(days=12), sun2 - dt.timedelta(days=4), 1.35, 1.2, "mothers_day_sale")
            span(sun2 - dt.timedelta(days=3), sun2 - dt.timedelta(days=1), None, 1.2)
            span(D(y, 6, 5), D(y, 6, 11), 1.2, 1.1, "dia_dos_namorados_sale")
            # Christmas first so that a Cyber Monday on Dec 1 keeps its own factor
            span(D(y, 12, 1), D(y, 12, 19), 1.35, 1.35, "christmas_rush")
            span(D(y, 12, 20), D(y, 12, 23), 1.1, 1.1, "christmas_rush")
            nov1 = D(y, 11, 1)
            thu4 = nov1 + dt.timedelta(days=(3 - nov1.weekday()) % 7 + 21)
            bf = thu4 + dt.timedelta(days=1)
            span(D(y, 11, 1), D(y, 11, 30), 1.3, 1.2, "black_november")
            span(bf - dt.timedelta(days=4), bf - dt.timedelta(days=1), 1.9, None, "black_friday_week")
            bfx = float(rng.uniform(4.0, 6.0))
            span(bf, bf, bfx, None, "black_friday")
            span(bf + dt.timedelta(days=1), bf + dt.timedelta(days=1), 2.4, None, "black_friday_weekend")
            span(bf + dt.timedelta(days=2), bf + dt.timedelta(days=2), 1.9, None, "black_friday_weekend")
            span(bf + dt.timedelta(days=3), bf + dt.timedelta(days=3), 2.6, None, "cyber_monday")
            span(bf, bf + dt.timedelta(days=10), None, 1.5)
            span(D(y, 12, 24), D(y, 12, 24), 0.6, None)
            span(D(y, 12, 25), D(y, 12, 25), 0.35, None)
            span(D(y, 12, 26), D(y, 12, 30), 0.8, None)
            span(D(y, 12, 31), D(y, 12, 31), 0.5, None)
            span(D(y, 1, 1), D(y, 1, 1), 0.45, None)
            span(D(y, 12, 24), D(y, 12, 31), None, 0.85)
            span(D(y, 1, 1), D(y, 1, 2), None, 0.85)
            i = self.dayidx(bf)
            if i is not None:
                self.bf[i] = True
            if i is not None and WARM <= i < self.ndem and not hasattr(self, "bf_info"):
                self.bf_info = (bf, bfx)
        ev = np.where(self.hol_sp & (ev == 1.0), 0.8, ev)
        ev = np.where(self.carnival & ~self.ash, ev * 0.7, ev)
        self.ev = ev
        mf = MONTH_F[self.month - 1]
        self.Dexp = growth * WEEKDAY_F[self.wd] * mf * ev
        self.Dexp[self.ndem:] = 0
        self.Dsum = self.Dexp.sum()
        self.P = growth * mf * plan
        # warehouse night shift gate: Black Friday .. Cyber Monday
        gate = np.zeros(self.nd)
        for i in np.nonzero(self.bf)[0]:
            gate[i:i + 4] = 1
        self.bf_gate = gate
        self.peak_sun = np.zeros(self.nd)
        for i in np.nonzero(self.bf)[0]:
            for j in range(i, min(self.nd, i + 40)):
                if self.dates[j].weekday() == 6 and self.peak[j]:
                    self.peak_sun[j] = 1

    # ------------------------------------------------------------------ queues
    def waves(self, spec, arr):
        """Wave times and integer capacities of one queue over the whole horizon.

        Capacity is planned per (weekday, wave): the planner knows the long-run load whose first
        possible wave is that one (`arr` mapped to the next wave regardless of capacity), per unit of
        planned volume P(d). A wave gets margin x P(d) x max(its own load rate, its weight share of the
        weekday's load rate); gated waves (Black Friday night shifts, peak Sundays) get their weight
        times an average wave of that weekday. Then calendar factor, daily noise, whole vehicles
        (`unit`), and finally unplanned disruptions (`extra`: strike, floods), stochastically rounded.
        """
        slots = spec["slots"]
        ts, ds, gs, ws, gated = [], [], [], [], []
        for g, s in enumerate(slots):
            wds, h, w = s[0], s[1], s[2]
            gate = s[3] if len(s) > 3 else None
            m = np.isin(self.wd, wds)
            if gate is not None:
                m &= gate > 0
            days = np.nonzero(m)[0]
            ts.append(days * DAY + h * 60.0)
            ds.append(days)
            gs.append(np.full(len(days), g))
            ws.append(np.full(len(days), float(w)))
            gated.append(np.full(len(days), gate is not None))
        t = np.concatenate(ts)
        o = np.argsort(t, kind="stable")
        t = t[o]
        d = np.concatenate(ds)[o]
        g = np.concatenate(gs)[o]
        w = np.concatenate(ws)[o]
        gt = np.concatenate(gated)[o]
        wdd = self.wd[d]
        key = g * 7 + wdd
        nk = len(slots) * 7
        first = np.minimum(np.searchsorted(t, arr, side="left"), len(t) - 1)
        load = np.bincount(key[first], minlength=nk).astype(float)
        live = d < self.ndem + 3
        psum = np.bincount(key[live], weights=self.P[d[live]], minlength=nk)
        rate = np.where(psum > 0, load / np.maximum(psum, 1e-9), 0.0)
        # weekday load rate = sum of the rates of that weekday's ungated waves
        day_rate = np.zeros(7)
        wsum = np.zeros(7)
        nslot = np.zeros(7)
        for gi, s in enumerate(slots):
            if len(s) > 3:
                continue
            for wd in s[0]:
                day_rate[wd] += rate[gi * 7 + wd]
                wsum[wd] += s[2]
                nslot[wd] += 1
        share = w / np.maximum(wsum[wdd], 1e-9)
        plan = np.where(gt, w * day_rate[wdd] / np.maximum(nslot[wdd], 1),
                        np.maximum(rate[key], share * day_rate[wdd]))
        cal = np.broadcast_to(np.asarray(spec.get("cal", 1.0), float), (self.nd,))
        extra = np.broadcast_to(np.asarray(spec.get("extra", 1.0), float), (self.nd,))
        noise = self.rng.lognormal(0.0, 0.06, self.nd)
        c = spec["margin"] * self.P[d] * plan * cal[d] * noise[d]
        if spec.get("hours", True):
            h = (t - d * DAY) / 60.0
            c = np.where((h < self.open_from[d]) | (h >= self.open_until[d]), 0.0, c)
        unit = spec.get("unit", 1)
        if unit > 1:  # whole vehicles: the planned capacity is rounded up to full vans / trucks
            c = unit * np.ceil(c / unit - 1e-9)
        # unplanned disruption (strike, flood) hits what was planned: with whole vehicles each van /
        # route runs or not (binomial), otherwise the throughput scales; factors > 1 are overtime
        e = extra[d]
        if unit > 1:
            nveh = np.round(c / unit).astype(np.int64)
            c = np.where(e < 1, self.rng.binomial(nveh, np.minimum(e, 1.0)) * unit, c * e)
        else:
            c = c * e
        c = np.floor(c + self.rng.random(len(c))).astype(np.int64)
        return t, c

    def queue(self, items, keys, arr, spec_fn):
        """items: order indices; keys: int key per item; arr: arrival minutes. Returns departure
        minutes, and a dict key -> (wave times, caps) for re-attempt lookups."""
        dep = np.empty(len(items))
        W = {}
        if len(items) == 0:
            return dep, W
        o = np.argsort(keys, kind="stable")
        uk, first = np.unique(keys[o], return_index=True)
        bounds = list(first) + [len(o)]
        for j, k in enumerate(uk):
            sel = o[bounds[j]:bounds[j + 1]]
            spec = spec_fn(int(k))
            t, c = self.waves(spec, arr[sel])
            w = fifo(arr[sel], self.created[items[sel]], t, c)
            dep[sel] = t[w]
            W[int(k)] = (t, c)
        return dep, W

    def next_wave(self, W, keys, tmin):
        out = np.empty(len(keys))
        for k in np.unique(keys):
            m = keys == k
            t, c = W[int(k)]
            tp = t[c > 0]
            j = np.searchsorted(tp, tmin[m])
            ok = j < len(tp)
            r = tmin[m] + DAY
            r[ok] = tp[j[ok]]
            out[m] = r
        return out

    # ------------------------------------------------------------------ orders
    def gen_orders(self):
        rng = self.rng
        lam = self.Dexp[:self.ndem] * rng.lognormal(0.0, 0.07, self.ndem)
        counts = rng.poisson(lam)
        n = int(counts.sum())
        day = np.repeat(np.arange(self.ndem), counts)
        hw = HOUR_W / HOUR_W.sum()
        hour = rng.choice(24, size=n, p=hw)
        bfm = self.bf[day]
        if bfm.any():
            hb = HOUR_W.copy()
            hb[0] *= 7
            hb[1] *= 3.5
            hb[2] *= 1.5
            hour[bfm] = rng.choice(24, size=int(bfm.sum()), p=hb / hb.sum())
        created = day * DAY + hour * 60.0 + rng.random(n) * 60.0
        o = np.argsort(created, kind="stable")
        created, day = created[o], day[o]
        self.n = n
        self.created = created
        self.cday = day
        # destination
        zw = np.array([z[6] * GROUP_SHARE[z[7]] for z in Z])
        zw = zw / zw.sum()
        zone = rng.choice(NZ, size=n, p=zw)
        self.zone = zone
        grp = np.array([z[7] for z in Z])[zone]
        # weight
        wt = np.clip(np.round(rng.lognormal(0.0, 0.9, n), 3), 0.05, 50.0)
        self.weight = wt
        # service choice
        hod = (created - day * DAY) / 60.0
        own_open = np.array([self.f_private(self.hol_zone[z]) > 0 for z in range(NZ)])
        own_open &= (self.wd < 6) & ~self.eve & ~self.ash
        zsd = np.array([z[10] for z in Z], bool)[zone]
        zlk = np.array([z[11] for z in Z], bool)[zone]
        zpg = np.array([z[12] for z in Z], bool)[zone]
        zlg = np.array([z[13] for z in Z], bool)[zone]
        metro = (grp == "spc") | (grp == "met")
        city = np.array([z[1] for z in Z])[zone]
        W = np.zeros((n, 7))
        W[metro] = [0.40, 0.10, 0.30, 0.10, 0.14, 0.12, 0.08]
        camp = city == "Campinas"
        W[camp] = [0, 0, 0.35, 0.18, 0.20, 0.17, 0.10]
        sant = city == "Santos"
        W[sant] = [0, 0, 0, 0.35, 0.35, 0.30, 0]
        other = grp == "int"
        W[other] = [0, 0, 0, 0.38, 0.35, 0.27, 0.08]
        W[:, SD] *= zsd & (hod < 12.0) & own_open[zone, day] & (wt <= 20)
        W[:, SD] *= np.where((self.bf_gate[day] > 0), 0.4, np.minimum(1.0, 1.2 / self.ev[day]))
        W[:, LK] *= zlk & (wt <= 10)
        W[:, PG] *= zpg & (wt <= 15)
        W[:, LG] *= zlg & (wt <= 30)
        heavy = wt > 5
        W[heavy, SX] *= 0.6
        W[heavy, PAC] *= 1.2
        W[heavy, JD] *= 1.3
        W[wt > 30, SX] = 0
        W[wt > 30, PAC] = 0
        st = self.strike[day]
        W[st, SX] *= 0.4
        W[st, PAC] *= 0.4
        cw = np.cumsum(W, axis=1)
        u = rng.random(n) * cw[:, -1]
        svc = (u[:, None] >= cw).sum(axis=1)
        svc = np.minimum(svc, 6)
        self.svc = svc
        # warehouse
        sector = np.array([z[8] for z in Z])[zone]
        home = np.where(np.isin(sector, ["N", "L", "A"]), GRU, CAJ)
        far_ne = np.isin(city, ["Rio de Janeiro", "Salvador", "Recife", "Manaus"])
        p_caj = np.where(far_ne, 0.5, 0.65)
        nonmetro_wh = np.where(rng.random(n) < p_caj, CAJ, GRU)
        metro_wh = np.where(rng.random(n) < 0.7, home, 1 - home)
        wh = np.where(metro, metro_wh, nonmetro_wh)
        wh[svc == SD] = home[svc == SD]
        self.wh = wh
        # destination coordinates
        zlat = np.array([z[3] for z in Z])
        zlon = np.array([z[4] for z in Z])
        zr = np.array([z[5] for z in Z], float)
        r = zr[zone] * np.sqrt(rng.random(n))
        th = rng.random(n) * 2 * np.pi
        lat = zlat[zone] + r * np.cos(th) / 111.0
        lon = zlon[zone] + r * np.sin(th) / (111.0 * np.cos(np.radians(zlat[zone])))
        # sites: lockers and points
        for s, nsite in ((LK, 10), (PG, 12)):
            slat = zlat[:, None] + zr[:, None] * 0.7 * rng.uniform(-1, 1, (NZ, nsite)) / 111.0
            slon = zlon[:, None] + zr[:, None] * 0.7 * rng.uniform(-1, 1, (NZ, nsite)) / (
                111.0 * np.cos(np.radians(zlat[:, None])))
            m = svc == s
            pick = rng.integers(0, nsite, int(m.sum()))
            lat[m] = slat[zone[m], pick]
            lon[m] = slon[zone[m], pick]
        self.dlat, self.dlon = lat, lon
        self.zlat, self.zlon = zlat, zlon

    # ------------------------------------------------------------------ operations
    def run_ops(self):
        rng = self.rng
        n = self.n
        created, zone, wh, svc = self.created, self.zone, self.wh, self.svc
        grp = np.array([z[7] for z in Z])[zone]
        metro = (grp == "spc") | (grp == "met")
        city_names = [z[1] for z in Z]
        whlat = np.array([w[1] for w in WAREHOUSES])
        whlon = np.array([w[2] for w in WAREHOUSES])
        ready = np.full(n, np.nan)
        handed = np.full(n, np.nan)
        deliv = np.full(n, np.nan)
        U = lambda k, lo, hi: rng.uniform(lo, hi, k)
        pos = lambda k: rng.beta(1.2, 1.2, k)
        hs = lambda d: ((d % DAY) / 60.0)
        dayof = lambda t: np.minimum((t // DAY).astype(np.int64), self.nd - 1)

        def lm_time(dep, idx, base_lat, base_lon, kmh, span_h, lead=15.0):
            drive = drive_min(base_lat, base_lon, self.dlat[idx], self.dlon[idx], kmh)
            stormy = self.storm[zone[idx], dayof(dep)] < 1.0
            return dep + lead + drive + pos(len(idx)) * span_h * 60.0 * np.where(stormy, 1.3, 1.0)

        # 1. warehouse
        i = np.nonzero(svc != SD)[0]
        wh_night = [(ALL, float(h), 1.0, self.bf_gate) for h in range(0, 6)]
        spec = lambda k: dict(slots=[(MS, float(h), 1.0) for h in range(6, 24)]
                              + [(SUN, float(h), 1.0) for h in range(8, 19)] + wh_night,
                              margin=1.3, cal=self.f_wh())
        dep, _ = self.queue(i, wh[i], created[i], spec)
        ready[i] = dep + U(len(i), 35, 60)
        i = np.nonzero(svc == SD)[0]
        spec = lambda k: dict(slots=[(MS, 7 + 0.5 * j, 1.0) for j in range(12)], margin=1.4,
                              cal=self.f_wh())
        dep, _ = self.queue(i, wh[i], created[i], spec)
        ready[i] = dep + U(len(i), 20, 35)

        # 2. own same day (per destination area)
        i = np.nonzero(svc == SD)[0]
        spec = lambda z: dict(unit=30, slots=[(MS, 10.5, .3), (MS, 13.5, .55), (MS, 15.5, .15)], margin=1.3,
                              cal=self.f_private(self.hol_zone[z]), extra=self.storm[z])
        dep, W = self.queue(i, zone[i], ready[i], spec)
        handed[i] = dep + U(len(i), 0, 15)
        h = hs(dep)
        span = np.where(h < 12, 3.5, np.where(h < 14, 5.5, 4.5))
        drive = drive_min(whlat[wh[i]], whlon[wh[i]], self.dlat[i], self.dlon[i], 25.0)
        stormy = self.storm[zone[i], dayof(dep)] < 1.0
        deliv[i] = dep + 15 + drive + pos(len(i)) * span * 60 * np.where(stormy, 1.3, 1.0)
        self._fail(i, deliv, W, zone[i], 0.02, drive + 15, span)

        # 3. own locker
        i = np.nonzero(svc == LK)[0]
        spec = lambda z: dict(unit=60, slots=[(ALL, 7.0, .5), (ALL, 14.0, .5)], margin=1.3,
                              cal=self.f_locker(self.hol_zone[z]), extra=self.storm[z])
        dep, W = self.queue(i, zone[i], ready[i], spec)
        handed[i] = dep + U(len(i), 0, 10)
        deliv[i] = lm_time(dep, i, whlat[wh[i]], whlon[wh[i]], 25.0, 2.5, lead=10.0)

        # 4. Loggi
        i = np.nonzero(svc == LG)[0]
        spec = lambda k: dict(unit=300, slots=[(WK, 17.0, .55), (WK, 21.0, .45), (SAT, 15.0, .5)], margin=1.4,
                              cal=self.f_private(self.hol_sp))
        dep, _ = self.queue(i, wh[i], ready[i], spec)
        handed[i] = dep + U(len(i), 0, 30)
        arr = dep + 40 + np.where(wh[i] == GRU, 20, 0) + U(len(i), 0, 20)
        arr = np.maximum(arr, handed[i] + 5)
        spec = lambda k: dict(slots=[(MS, 22.0, .4), (TS, 1.0, .35), (TS, 4.0, .25)], margin=1.25,
                              cal=self.f_private(self.hol_sp))
        dep, _ = self.queue(i, np.zeros(len(i), np.int64), arr, spec)
        arr = dep + 60
        c = city_names.index("Campinas")
        m = zone[i] == c
        spec = lambda k: dict(unit=300, slots=[(MS, 5.0, 1.0), (SUN, 5.0, 1.0, self.peak_sun)], margin=1.5,
                              cal=self.f_lh(), hours=False)
        d2, _ = self.queue(i[m], np.zeros(int(m.sum()), np.int64), arr[m], spec)
        arr[m] = d2 + 100 + U(int(m.sum()), 0, 20)
        spec = lambda z: dict(unit=35, slots=[(MS, 8.0, .8), (MS, 12.0, .2), (SUN, 8.0, .5, self.peak_sun)],
                              margin=1.3, cal=self.f_private(self.hol_zone[z]), extra=self.storm[z])
        dep, W = self.queue(i, zone[i], arr, spec)
        span = np.where(hs(dep) < 10, 10.5, 7.0)
        zc = zone[i]
        drive = drive_min(self.zlat[zc], self.zlon[zc], self.dlat[i], self.dlon[i], 20.0)
        stormy = self.storm[zc, dayof(dep)] < 1.0
        deliv[i] = dep + 20 + drive + pos(len(i)) * span * 60 * np.where(stormy, 1.3, 1.0)
        self._fail(i, deliv, W, zc, 0.04, drive + 20, span)

        # 5. Correios
        i = np.nonzero((svc == SX) | (svc == PAC))[0]
        spec = lambda k: dict(unit=300, slots=[(WK, 16.0, 1.0), (SAT, 11.0, .4)], margin=1.4,
                              cal=self.f_correios(self.hol_sp), extra=self.f_strike(0.6))
        dep, _ = self.queue(i, wh[i], ready[i], spec)
        handed[i] = dep + U(len(i), 0, 40)
        arr_cte = np.maximum(dep + np.where(wh[i] == GRU, 75, 20) + U(len(i), 0, 15), handed[i] + 5)
        arr_all = np.full(n, np.nan)
        arr_all[i] = arr_cte
        # SEDEX
        i = np.nonzero(svc == SX)[0]
        spec = lambda k: dict(slots=[(MS, 20.0, .45), (MS, 23.0, .35), (TS, 2.0, .2)], margin=1.3,
                              cal=self.f_correios_sort(self.hol_sp), extra=self.f_strike(0.35))
        dep, _ = self.queue(i, np.zeros(len(i), np.int64), arr_all[i], spec)
        ready_s = dep + 45
        arr_cdd = np.full(len(i), np.nan)
        zc = zone[i]
        gm = metro[i]
        m = gm
        spec = lambda k: dict(unit=500, slots=[(ALL, 3.5, .6), (ALL, 5.0, .4)], margin=1.6, cal=self.f_lh(),
                              hours=False)
        d2, _ = self.queue(i[m], np.zeros(int(m.sum()), np.int64), ready_s[m], spec)
        arr_cdd[m] = d2 + drive_min(CTE_CAJAMAR[0], CTE_CAJAMAR[1], self.zlat[zc[m]], self.zlon[zc[m]], 40.0)
        nm = ~gm
        road_km = haversine(SP_CENTER[0], SP_CENTER[1], self.zlat, self.zlon) * 1.25
        gc_km = haversine(-23.4356, -46.4731, self.zlat, self.zlon)  # from GRU airport

        def sedex_lh_spec(z):
            name = Z[z][1]
            if Z[z][7] == "sps":
                sl = [(ALL, 2.5, 1.0)]
                mg = 1.5
            elif name in ROAD_EXPRESS:
                sl = [(ALL, 21.5, .5), (ALL, 1.0, .5)]
                mg = 1.4
            elif name == MANAUS:
                sl = [(ALL, 23.5, 1.0)]
                mg = 1.25
            else:
                sl = [(ALL, 21.5, .5), (ALL, 1.5, .5)]
                mg = 1.3
            return dict(slots=sl, margin=mg, cal=self.f_lh(), hours=False,
                        unit=300 if Z[z][7] == "sps" or name in ROAD_EXPRESS else 1)

        d2, _ = self.queue(i[nm], zc[nm], ready_s[nm], sedex_lh_spec)
        zn = zc[nm]
        is_air = np.array([Z[z][7] == "int" and Z[z][1] not in ROAD_EXPRESS for z in range(NZ)])[zn]
        t_road = road_km[zn] / 70.0 * 60 + 30
        t_air = 120 + (gc_km[zn] / 750.0 + 0.4) * 60 + 90
        arr2 = d2 + np.where(is_air, t_air, t_road) + U(len(zn), 0, 30)
        spec = lambda z: dict(unit=20, slots=[(MS, 5.0, .4), (MS, 11.0, .3), (MS, 17.0, .3), (SUN, 5.0, .3)],
                              margin=1.3, cal=self.f_correios_sort(self.hol_zone[z]),
                              extra=self.f_strike(0.35))
        d3, _ = self.queue(i[nm], zn, arr2, spec)
        arr_cdd[nm] = d3 + 75
        spec = lambda z: dict(unit=60, slots=[(WK, 9.5, 1.0), (SAT, 9.5, .5)], margin=1.3,
                              cal=self.f_correios(self.hol_zone[z]),
                              extra=self.f_strike(0.3) * self.storm[z])
        dep, W = self.queue(i, zc, arr_cdd, spec)
        drive = drive_min(self.zlat[zc], self.zlon[zc], self.dlat[i], self.dlon[i], 20.0)
        stormy = self.storm[zc, dayof(dep)] < 1.0
        deliv[i] = dep + 15 + drive + pos(len(i)) * 7.5 * 60 * np.where(stormy, 1.3, 1.0)
        self._fail(i, deliv, W, zc, 0.06, drive + 15, 7.5, agency=0.01)
        # PAC
        i = np.nonzero(svc == PAC)[0]
        zc = zone[i]
        gm = metro[i]
        spec = lambda k: dict(slots=[(WK, 22.0, .6), (SAT, 20.0, .4), ((1, 2, 3, 4, 5), 4.0, .4)],
                              margin=1.15,
                              cal=self.f_correios(self.hol_sp), extra=self.f_strike(0.2))
        dep, _ = self.queue(i, np.zeros(len(i), np.int64), arr_all[i], spec)
        ready_p = dep + 60
        arr_cdd = np.full(len(i), np.nan)
        m = gm
        spec = lambda k: dict(slots=[(MS, 10.0, 1.0)], margin=3.0, cal=self.f_correios(self.hol_sp))
        d2, _ = self.queue(i[m], np.zeros(int(m.sum()), np.int64), ready_p[m], spec)
        # CTCE Jaguaré sorts straight into the next morning's carteiro routes (Sun-Thu nights)
        spec = lambda k: dict(slots=[((6, 0, 1, 2, 3), 22.0, 1.0)], margin=1.15,
                              cal=self.f_correios_sort(self.hol_sp), extra=self.f_strike(0.2))
        d3, _ = self.queue(i[m], np.zeros(int(m.sum()), np.int64), d2 + 90, spec)
        arr_cdd[m] = d3 + 60 + drive_min(CTCE_JAGUARE[0], CTCE_JAGUARE[1], self.zlat[zc[m]],
                                         self.zlon[zc[m]], 35.0)
        route_lag = np.where(gm, 0.0, 18 * 60.0)  # elsewhere the CDD routes a parcel the day after
        nm = ~gm
        zn = zc[nm]
        spec = lambda z: dict(unit=400, slots=[(PAC_DAYS[Z[z][1]], 23.0, 1.0)], margin=1.25, cal=self.f_lh(),
                              hours=False)
        d2, W2 = self.queue(i[nm], zn, ready_p[nm], spec)
        # per-departure transit noise (road conditions, river crossing for Manaus)
        tr = road_km[zn] / 50.0 * 60 + 240
        man = np.array([Z[z][1] == MANAUS for z in range(NZ)])[zn]
        tr = np.where(man, 150 * 60.0, tr)
        wave_noise = {}
        for z, (t, _c) in W2.items():
            wave_noise[z] = (t, rng.uniform(0, 36 * 60 if Z[z][1] == MANAUS else 180, len(t)))
        extra_t = np.empty(len(zn))
        for z in np.unique(zn):
            mm = zn == z
            t, nz_ = wave_noise[int(z)]
            extra_t[mm] = nz_[np.searchsorted(t, d2[mm])]
        arr2 = d2 + tr + extra_t
        spec = lambda z: dict(unit=20, slots=[(WK, 8.0, .5), (WK, 20.0, .5)], margin=1.15,
                              cal=self.f_correios(self.hol_zone[z]), extra=self.f_strike(0.2))
        d3, _ = self.queue(i[nm], zn, arr2, spec)
        arr_cdd[nm] = d3 + 180
        spec = lambda z: dict(unit=80, slots=[(WK, 9.0, 1.0)], margin=1.15,
                              cal=self.f_correios(self.hol_zone[z]),
                              extra=self.f_strike(0.2) * self.storm[z])
        dep, W = self.queue(i, zc, arr_cdd + route_lag, spec)
        drive = drive_min(self.zlat[zc], self.zlon[zc], self.dlat[i], self.dlon[i], 20.0)
        stormy = self.storm[zc, dayof(dep)] < 1.0
        deliv[i] = dep + 15 + drive + pos(len(i)) * 7.5 * 60 * np.where(stormy, 1.3, 1.0)
        self._fail(i, deliv, W, zc, 0.06, drive + 15, 7.5, agency=0.01)

        # 6. Jadlog
        i = np.nonzero(svc == JD)[0]
        zc = zone[i]
        gm = metro[i]
        spec = lambda k: dict(unit=300, slots=[(WK, 15.0, 1.0)], margin=1.4, cal=self.f_private(self.hol_sp))
        dep, _ = self.queue(i, wh[i], ready[i], spec)
        handed[i] = dep + U(len(i), 0, 45)
        arr = np.maximum(dep + np.where(wh[i] == GRU, 80, 35) + U(len(i), 0, 15), handed[i] + 5)
        spec = lambda k: dict(slots=[(WK, 21.0, .5), ((1, 2, 3, 4, 5), 3.0, .5)], margin=1.25,
                              cal=self.f_private(self.hol_sp))
        dep, _ = self.queue(i, np.zeros(len(i), np.int64), arr, spec)
        ready_j = dep + 60
        arr_u = np.full(len(i), np.nan)
        m = gm
        spec = lambda k: dict(unit=400, slots=[(MS, 4.5, 1.0)], margin=1.6, cal=self.f_lh(), hours=False)
        d2, _ = self.queue(i[m], np.zeros(int(m.sum()), np.int64), ready_j[m], spec)
        arr_u[m] = d2 + drive_min(JADLOG_HUB[0], JADLOG_HUB[1], self.zlat[zc[m]], self.zlon[zc[m]], 45.0)
        nm = ~gm
        zn = zc[nm]

        def jd_lh_spec(z):
            if Z[z][7] == "sps":
                sl = [(MS, 4.0, 1.0)]
            elif Z[z][1] == MANAUS:
                sl = [((1, 4), 23.5, 1.0)]
            else:
                sl = [(WK, 23.5, 1.0)]
            return dict(unit=300, slots=sl, margin=1.3, cal=self.f_lh(), hours=False)

        d2, _ = self.queue(i[nm], zn, ready_j[nm], jd_lh_spec)
        man = np.array([Z[z][1] == MANAUS for z in range(NZ)])[zn]
        tr = np.where(man, 140 * 60 + U(len(zn), 0, 24 * 60), road_km[zn] / 55.0 * 60 + 120)
        arr_u[nm] = d2 + tr + U(len(zn), 0, 40)
        spec = lambda z: dict(unit=20, slots=[(MS, 6.0, 1.0)], margin=1.3,
                              cal=self.f_private(self.hol_zone[z]))
        d3, _ = self.queue(i, zc, arr_u, spec)
        spec = lambda z: dict(unit=40, slots=[(WK, 9.5, 1.0), (SAT, 9.0, .4)], margin=1.3,
                              cal=self.f_private(self.hol_zone[z]), extra=self.storm[z])
        dep, W = self.queue(i, zc, d3 + 90, spec)
        drive = drive_min(self.zlat[zc], self.zlon[zc], self.dlat[i], self.dlon[i], 20.0)
        stormy = self.storm[zc, dayof(dep)] < 1.0
        deliv[i] = dep + 20 + drive + pos(len(i)) * 8 * 60 * np.where(stormy, 1.3, 1.0)
        self._fail(i, deliv, W, zc, 0.05, drive + 20, 8.0)

        # 7. Pegaki pickup points
        i = np.nonzero(svc == PG)[0]
        zc = zone[i]
        gm = metro[i]
        spec = lambda k: dict(unit=300, slots=[(WK, 18.5, 1.0), (SAT, 14.0, .5)], margin=1.4,
                              cal=self.f_private(self.hol_sp))
        dep, _ = self.queue(i, wh[i], ready[i], spec)
        handed[i] = dep + U(len(i), 0, 30)
        arr = np.maximum(dep + 60 + U(len(i), 0, 20), handed[i] + 5)
        spec = lambda k: dict(slots=[(MS, 23.0, .6), (TS, 5.0, .4)], margin=1.25,
                              cal=self.f_private(self.hol_sp))
        dep, _ = self.queue(i, np.zeros(len(i), np.int64), arr, spec)
        arr = dep + 45
        nm = ~gm
        zn = zc[nm]
        spec = lambda z: dict(unit=200, slots=[(WK, 22.0, 1.0)], margin=1.4, cal=self.f_lh(), hours=False)
        d2, _ = self.queue(i[nm], zn, arr[nm], spec)
        arr[nm] = d2 + road_km[zn] / 60.0 * 60 + 60 + U(len(zn), 0, 30)
        spec = lambda z: dict(unit=40, slots=[(MS, 9.0, .75), (MS, 14.0, .25)], margin=1.3,
                              cal=self.f_points(self.hol_zone[z]), extra=self.storm[z])
        dep, W = self.queue(i, zc, arr, spec)
        base_lat = np.where(gm, PEGAKI_CD[0], self.zlat[zc])
        base_lon = np.where(gm, PEGAKI_CD[1], self.zlon[zc])
        deliv[i] = lm_time(dep, i, base_lat, base_lon, 22.0, 4.0, lead=10.0)

        self.handed, self.deliv = handed, deliv
        bad = ~np.isfinite(handed) | ~np.isfinite(deliv)
        if bad.any():
            raise RuntimeError(f"{int(bad.sum())} orders without times")
        if (handed < created).any() or (deliv < handed).any():
            raise RuntimeError("time order violated")

    def _fail(self, idx, deliv, W, keys, p, lead, span_h, agency=0.0):
        rng = self.rng
        k = len(idx)
        u = rng.random(k)
        f = u < p
        if f.any():
            first = deliv[idx[f]]
            nxt = self.next_wave(W, keys[f], first + 14 * 60)
            sp = np.broadcast_to(np.asarray(span_h, float), (k,))[f]
            ld = np.broadcast_to(np.asarray(lead, float), (k,))[f]
            deliv[idx[f]] = nxt + ld + rng.beta(1.2, 1.2, int(f.sum())) * sp * 60
        a = (u >= p) & (u < p + agency)
        if a.any():
            first = deliv[idx[a]]
            d = np.floor(first / DAY) + rng.integers(1, 7, int(a.sum()))
            d = np.minimum(d, self.nd - 1)
            d = np.where(self.wd[d.astype(int)] == 6, d + 1, d)
            deliv[idx[a]] = d * DAY + rng.uniform(10 * 60, 17 * 60, int(a.sum()))


def day_tags(sim: Sim):
    out = []
    for t in sim.tags:
        seen = []
        for x in t:
            if x not in seen:
                seen.append(x)
        out.append("|".join(seen))
    return np.array(out, dtype=object)


def fmt_times(minutes, epoch0_s, mode):
    ms = np.round((epoch0_s + minutes * 60.0) * 1000.0).astype(np.int64)
    if mode == "ms":
        return ms
    local_s = ms // 1000 + TZ_HOURS * 3600
    s = np.datetime_as_string(local_s.astype("datetime64[s]"), unit="s")
    return np.char.add(s.astype(str), "-03:00")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--start", default="2025-02-03")
    ap.add_argument("--time-format", choices=("ms", "iso"), default="ms")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.time()
    start = dt.date.fromisoformat(a.start)
    ndays = a.days if a.days is not None else 78 * 7
    ntrain = 52 * 7 if a.days is None else int(math.floor(2 * ndays / 3 + 0.5))
    sim = Sim(start, ndays, a.seed)
    sim.gen_orders()
    sim.run_ops()

    cday = sim.cday - WARM
    keep = cday >= 0
    idx = np.nonzero(keep)[0]
    # order ids in creation order (warm-up orders use ids too)
    oid = np.array([f"BR{1000000 + k:08d}" for k in range(sim.n)], dtype=object)
    epoch0 = (sim.day0 - dt.date(1970, 1, 1)).days * 86400 - TZ_HOURS * 3600
    jitter = sim.rng.uniform(0, 180, sim.n)
    tags = day_tags(sim)
    os.makedirs(a.out, exist_ok=True)
    header = ["order_id", "created_at", "carrier", "service", "weight_kg", "dest_lat", "dest_lon",
              "origin_lat", "origin_lon", "delivered_at", "handed_over_at", "dest_city", "dest_area",
              "dest_uf", "notes"]
    carriers = np.array([s[0] for s in SERVICES], dtype=object)
    services = np.array([s[1] for s in SERVICES], dtype=object)
    whlat = np.array([w[1] for w in WAREHOUSES])
    whlon = np.array([w[2] for w in WAREHOUSES])
    zcity = np.array([z[1] for z in Z], dtype=object)
    zarea = np.array([z[0] for z in Z], dtype=object)
    zuf = np.array([z[2] for z in Z], dtype=object)
    cr = fmt_times(sim.created, epoch0, a.time_format)
    ho = fmt_times(sim.handed, epoch0, a.time_format)
    de = fmt_times(sim.deliv, epoch0, a.time_format)
    counts = {}
    for name, lo, hi in (("train", 0, ntrain), ("test", ntrain, ndays)):
        sel = np.nonzero((cday >= lo) & (cday < hi))[0]
        sel = sel[np.argsort(sim.created[sel] + jitter[sel], kind="stable")]
        counts[name] = sel
        cols = [oid[sel], cr[sel], carriers[sim.svc[sel]], services[sim.svc[sel]],
                np.char.mod("%.3f", sim.weight[sel]), np.char.mod("%.6f", sim.dlat[sel]),
                np.char.mod("%.6f", sim.dlon[sel]), np.char.mod("%.4f", whlat[sim.wh[sel]]),
                np.char.mod("%.4f", whlon[sim.wh[sel]]), de[sel], ho[sel], zcity[sim.zone[sel]],
                zarea[sim.zone[sel]], zuf[sim.zone[sel]], tags[sim.cday[sel]]]
        cols = [c.tolist() for c in cols]
        with open(os.path.join(a.out, f"{name}.csv"), "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(zip(*cols))
    el = time.time() - t0
    if not a.quiet:
        print(f"Greater São Paulo history: start {start}, {ndays} days ({ntrain} train), seed {a.seed}, "
              f"{len(idx)} orders written to {a.out} in {el:.1f} s")
        if sim.strike_dates:
            print(f"Correios strike: {sim.strike_dates[0]} .. {sim.strike_dates[1]}")
        if hasattr(sim, "bf_info"):
            print(f"Black Friday: {sim.bf_info[0]} x{sim.bf_info[1]:.2f}")
        end = start + dt.timedelta(days=ndays)
        print(f"storm days: {sum(1 for d in sim.storm_days if start <= d < end)}")
        print("rows per service; delivered - created in hours over train + test:")
        print(f"{'carrier':9s} {'service':13s} {'train':>7s} {'test':>7s} {'med h':>7s} {'p95 h':>7s}")
        lead = (sim.deliv - sim.created) / 60.0
        for s, (c, sv, _k) in enumerate(SERVICES):
            tr = int((sim.svc[counts["train"]] == s).sum())
            te = int((sim.svc[counts["test"]] == s).sum())
            m = keep & (sim.svc == s)
            med, p95 = (np.percentile(lead[m], [50, 95]) if m.any() else (float("nan"),) * 2)
            print(f"{c:9s} {sv:13s} {tr:7d} {te:7d} {med:7.1f} {p95:7.1f}")
        per_day = np.bincount(cday[keep], minlength=ndays)
        b = int(per_day.argmax())
        print(f"biggest day: {start + dt.timedelta(days=b)} with {per_day[b]} orders "
              f"({tags[b + WARM] or 'no tags'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
