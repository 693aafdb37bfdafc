#!/usr/bin/env python3
"""Independent delivery history: Jakarta (Jabodetabek), Indonesia -- synthetic, held-out benchmark data.

DATA CARD
=========
What it is
    A discrete-wave simulation of ~18 months of an e-commerce platform's parcels in Jakarta. One row per
    delivered order in train.csv (first part of the period) and test.csv (the rest). It was written blind:
    its author never read the delivery-promise engine, its tests, or the other independent histories.
    Nothing here is fitted to real data; the numbers are plausible, not measured.

Columns (in this order)
    order_id        "JKT" + 8 digits, numbered in creation order over the whole simulation (the 10 warm-up days
                    take the first numbers, so the files start above 0).
    carrier         own | jne | jnt | sicepat | indomaret
    service         own/same_day, own/next_day, jne/standard ("REG"), jnt/standard ("EZ"),
                    sicepat/next_day ("BEST"), indomaret/pickup_point (parcel dropped at a convenience store).
    origin_lat/lon  the shipping warehouse (fixed point per warehouse, see below).
    dest_lat/lon    the customer (or the store, for pickup_point), 5 decimals.
    created_at      order placed.      } ISO-8601 with seconds and "+07:00" (WIB, no daylight saving), or with
    handed_over_at  carrier took it.   } --time-format unix integer Unix seconds; all three floored to the
    delivered_at    at the door/store. } second, so created <= handed_over <= delivered always holds.
    weight_kg       2 decimals.
    dest_city       one of the 21 destination cities below.
    origin_hub      CKR (Cikarang) or TGR (Tangerang, Cikupa).
    product         the carrier's product name (SAMEDAY, NEXTDAY, REG, EZ, BEST, PICKUP).
    notes           the CREATION day's public tags, ';'-separated (empty on ordinary days):
                    holiday:<name> (national holiday), cuti_bersama:<name> (collective leave day),
                    ramadan (Eid-30..Eid-1), ramadan_peak (Eid-14..Eid-4), lebaran_break (Eid-4..Eid+7),
                    mudik (Eid-7..Eid-1 and Eid+2..Eid+8), flash_sale:<m>.<m> (plus harbolnas on 12.12),
                    payday (the 25th), rainy_season (Nov-Mar), nyepi, flood:<city>+<city>... (cities
                    flooded that day). Hidden events (hub incidents, staffing noise) are never tagged.

Files, split and row order
    --start (default 2025-01-06, a Monday) opens the written period; it lasts 78 weeks (546 days) or --days N.
    train.csv = orders created (local date) in the first 52 weeks (or the first round(2N/3) days with --days),
    test.csv = the rest. 10 warm-up days before --start are simulated (so queues are not empty at the start)
    but not written. After the last creation day the operation runs on (up to 90 more days) until every
    queue has drained, so every order is delivered and in the file of its creation date. Rows are written in
    creation order perturbed by Gaussian jitter of 1.5 h (so nearly, but not exactly, sorted).

Geography
    Warehouses: CKR Cikarang (-6.3040, 107.1530), east of Jakarta; TGR Tangerang/Cikupa (-6.2230, 106.5230),
    west. Metro destinations (85% of orders), each a Gaussian blob around a centre: Central, North, West,
    South, East Jakarta, Bekasi, Depok, Tangerang, South Tangerang, Bogor (weights by population). A metro
    order ships from the nearer warehouse with probability 0.8, else from the other (stock split).
    Intercity destinations (15%), with road distance from Jakarta: Bandung 150 km, Cirebon 220, Bandar
    Lampung 240 (Sumatra, Merak-Bakauheni ferry), Semarang 450, Yogyakarta 560, Surakarta 570, Palembang 570
    (ferry), Surabaya 780, Malang 850, Denpasar 1,180 (Bali, Ketapang-Gilimanuk ferry), Medan 1,950 by road
    (~1,420 km straight-line, the one city beyond 1,200 km). Java/Bali ship from CKR, Sumatra from TGR, each
    with probability 0.8.

Demand
    Expected orders/day = 900 x 1.15^(years since --start) x weekday factor (Mon 1.08, Tue 1.05, Wed 1.03,
    Thu 1.00, Fri 0.95, Sat 0.92, Sun 0.97) x calendar factors x day noise (lognormal, sigma 0.06); the count
    is Poisson. Calendar factors: national holiday 0.85 (outside Eid-3..Eid+7); payday (25th) 1.10; twin-date flash sales m.m:
    1.1 and 2.2 x2.0, 3.3 4.4 x2.2, 5.5 x2.3, 6.6 7.7 x2.6, 8.8 x2.8, 9.9 x3.0, 10.10 x3.3, 11.11 x4.0,
    12.12 (Harbolnas) x5.0, each times U(0.9,1.1); the day before a flash sale x0.92, the day after x1.2.
    Ramadan = the 30 days before Eid al-Fitr (from holidays 'ID'); its last two weeks (Eid-14..Eid-4) x1.3;
    Lebaran (Eid = day 0): days -3..-1 x0.6 (mudik travel), 0..1 x0.4, 2..4 x0.7, 5..7 x0.9. Nyepi (Day
    of Silence): orders to Denpasar that day x0.05 (island offline).
    Hour of day: ordinary days peak 11-13 h and 19-23 h with a trough 02-05 h; Ramadan days have a sahur
    peak around 03 h, a dip around 17-18 h and the day's biggest peak 19-22 h after iftar; flash-sale days
    open with a midnight rush (00-01 h is the busiest hour) plus the usual peaks; a flash sale in Ramadan
    uses the average of the two profiles. Minute within the hour uniform.
    Weight: lognormal, median 0.8 kg, sigma 0.9, clipped to 0.05-30 kg.
    Service choice, weights before eligibility: metro: same_day 0.25, next_day 0.20+0.03*years (the
    platform pushes its own fleet), jne 0.16-0.02*years, jnt 0.21, sicepat 0.18, indomaret 0.13;
    intercity: jne 0.42, jnt 0.43, sicepat 0.15 (Bandung only), indomaret 0.12 (Java and Bali only).
    During the Lebaran break (Eid-4..Eid+6) the indomaret weight doubles (stores keep running).
    Eligibility: same_day only to metro, <= 10 kg, created before 11:00 local on a same-day operating day
    (Mon-Sat, not a national holiday or cuti bersama, not Eid-3..Eid+5); own next_day metro only, <= 20 kg;
    sicepat BEST metro + Bandung; pickup_point <= 5 kg. Ineligible weights are dropped and the rest
    renormalised. Same-day slots sell out: per warehouse and day at most ceil(1.4 x the median daily
    same-day count of the previous 28 same-day operating days x the day's surge factor, below) same-day
    orders are accepted (first come, first served); later choosers get own next_day instead.

Operations (every stage is a set of daily timed waves with a capacity; each queue is FIFO by ready time)
    A parcel is "ready" for a stage when the previous stage finished it; a wave takes, in order of
    readiness, every ready parcel up to its capacity; the rest wait for the next wave (possibly days later).
    Within a wave the parcel's position (FIFO rank / capacity) spreads its finishing time over the wave's
    processing duration.
    1. Packing, per warehouse and lane. Same-day lane: waves every 30 min 06:00-13:30 (capacity elastic,
       see planning). Express lane (sicepat BEST): every 30 min 06:00-22:30. Parcel lane (the rest): hourly
       07:00-22:00 and reduced waves (60%) at 23:00, 00:00, 01:00.
       Packed = wave + 10 min + 40 min x position + U(0,10) min.
    2a. Own fleet vans leave the warehouse straight to customers (queue per warehouse x service):
       same_day vans 12:30 (60%) and 14:30 (40%); next_day vans 07:00 (65%) and 10:00 (35%); a parcel
       must be packed 15 min before. handed_over = departure + U(0,15) min. Delivered = handover +
       distance/22 km/h + U(0,1) x route span (same_day 5 h, next_day 8 h; x1.1 Nov-Mar, x1.4 in a flooded
       city). In a flooded city each parcel is reached that day only with probability = the flood factor;
       the others are delivered like failed attempts (below).
    2b. Carrier pickups at each warehouse (queue per warehouse x carrier), parcel packed 20 min before:
       jne 15:00, 20:00 (Mon-Sat); jnt 13:00, 18:00, 22:00 (daily); sicepat 16:00 (daily),
       and sicepat only takes orders CREATED by 15:00 that day (later ones go the next day: the cut-off);
       indomaret 10:00, 17:00 (daily). handed_over = pickup + U(0,25) min.
    3. Origin hub sort per carrier, arrival = handover + U(45,150) min: jne 02:00, 18:00, 22:00; jnt 01:00,
       15:00, 21:00; sicepat 18:00, 22:00; indomaret DC 12:00, 21:00. Done = wave + 20 min + 3 h x pos.
    4. Line-haul per carrier x destination city (not for indomaret metro, whose DC trucks go to stores):
       metro shuttles jne 03:00/05:30, jnt 02:30/05:30/15:00, sicepat 01:30/04:30, 40-120 min (+1 h into a
       flooded city). Intercity trucks jne 00:30/04:30, jnt 04:30/23:30, sicepat
       Bandung 00:30/03:30, indomaret 23:00; travel = road km / N(52,5) km/h + 1 h rest per 350 km; ferries
       Sumatra +2.5 h + Exp(1.5 h) wait, Bali +1 h + Exp(0.75 h). jne to Medan flies: 10:00 departure,
       arrives 4.5-7.5 h later. Mudik traffic: driving x1.6 on Eid-7..Eid-1 and x1.4 on Eid+2..Eid+8, and
       Sumatra ferry waits + U(4,18) h then. Nyepi: nothing arrives in Bali from 06:00 on Nyepi to 06:00 the
       next day (arrivals held until then).
    5. Destination hub sort (intercity only) per carrier x city: every 2 h, each wave able to sort 35% of
       the day's planned capacity, as trucks arrive in batches (indomaret regional DC: 04:00 and 16:00,
       each 60% of the day); done = wave + 15 min + 2 h x pos. Metro delivery stations instead add a 20-40
       min inbound scan after the shuttle arrives.
    6. Last mile per carrier x city (parcel at the station 30 min before): jne 09:00/13:00 Mon-Sat; jnt
       08:30/13:30 daily; sicepat 08:00/12:00 daily; courier delivery = wave + U(10,40) + U(15,45)
       min + U(0,1) x 7 h (x1.1 in the rainy season, x1.4 in a flooded city). indomaret store trucks
       05:00/14:00, store arrival 1-6 h after departure (that is delivered_at; no failed attempts).
       Door deliveries that would end after 21:30 of the dispatch day go out on the queue's next open day
       (09:00 + U(0,3) h).
       A door attempt fails with p = 3.5% (5% Nov-Mar, doubled in a flooded city; own fleet 2%) and is
       delivered on the queue's next open day (09:00 + U(0,8) h); retries use reserved capacity.
    Capacity planning: each queue's daily capacity = its trailing 42-day share of expected demand x the
    planned base (900 x growth x Ramadan +30%, no flash or Lebaran factors) x 1/(mean weekday factor of
    the stage) x a fixed headroom U(1.18,1.38) per queue x daily staffing noise (lognormal sigma 0.07) x
    the day's operating factor (below) x surge; never below a floor x the operating factor (line-haul 40 a
    day, a truck; pickups 20; destination sort 20; own vans 10; couriers 6; packing 3). It is split over
    the day's waves by fixed shares (those given above) and rounded stochastically. The same-day packing
    lane and same-day vans are elastic (gig staff booked on the day): at least 1.15 x that day's same-day
    orders, at most 2.5 x the plan. Surge: flash sale day m.m and the 4 days after x(1 + 0.25(m-1));
    after Lebaran (Eid+6..Eid+20) x1.5 overtime.
    Operating factors by weekday (Mon, Tue-Sat, Sun; 1 where not listed; Mondays are staffed up where
    Sunday is short): warehouse 1.1/1/0.8; own same_day 1/1/0; own next_day 1.2/1/0.7; jne pickups and
    last mile 1.6/1/0; jne origin sort 1.6/1/0.3; sicepat pickups 1.3/1/0.7, last mile 1.3/1/0.6.
    National holidays (holidays.country_holidays('ID')): warehouse 0.6, own same_day 0, next_day 0.5, jne
    pickups and last mile 0 (other jne stages 0.5), jnt 0.7, sicepat 0.6, indomaret 1. Cuti bersama
    ("Joint Holiday" in the library's 'government' category): warehouse 0.8, same_day 0, own next_day
    0.8, jne pickups/last mile 0.5, jnt 0.9, sicepat 0.8, indomaret 1. On such days the factor is the
    smaller of the weekday and the holiday one. Lebaran (replaces the holiday rules; still capped by the
    weekday factor; day = Eid offset): warehouse -3: 0.7, -2: 0.6, -1: 0.4, 0..1: 0, 2: 0.5, 3: 0.6,
    4: 0.7, 5: 0.9; own next_day -3: 0.6, -2: 0.3, -1..1: 0, 2..3: 0.3, 4: 0.6, 5: 0.8; own same_day off
    -3..5; jne -4: 0.6, -3..-2: 0.3, -1..1: 0, 2..3: 0.3, 4..5: 0.6; jnt -3: 0.5, -2..-1: 0.3, 0: 0,
    1..2: 0.3, 3: 0.5, 4: 0.7; sicepat -3: 0.5, -2: 0.3, -1..1: 0, 2: 0.3, 3: 0.5, 4: 0.7; indomaret
    -2..2: 0.5 except 0 (closed). Nyepi: Denpasar destination sort and last mile closed that day.
    Rainy season Nov-Mar: each day a flood starts with p = 2% (Nov), 4% (Dec), 7% (Jan, Feb), 3% (Mar),
    lasting 1-3 days in 2-5 metro cities (flood-prone ones more likely: North/East Jakarta, Bekasi, West
    Jakarta, Tangerang); their carriers' last-mile capacity x U(0.3,0.7) for the event (own fleet: see 2a).
    Hidden incidents (not tagged): each carrier's origin sort and each warehouse has on average 2 days a
    year at 0.4 capacity.

Determinism: everything comes from numpy Generators seeded with --seed (one for the simulation, one for
the row-order jitter); same arguments, same bytes. --time-format only changes how the times are written.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import time

import holidays
import numpy as np

DAY = 86400.0
HOUR = 3600.0
MINUTE = 60.0
WARMUP_DAYS = 10
DRAIN_DAYS = 90
BASE_ORDERS = 900.0
GROWTH = 0.15
METRO_SHARE = 0.85

WAREHOUSES = (("CKR", -6.3040, 107.1530), ("TGR", -6.2230, 106.5230))

# name, lat, lon, radius_km (blob sd ~ radius/2), order weight, flood-proneness
METRO = (
    ("Central Jakarta", -6.1865, 106.8341, 3.5, 5.0, 1.0),
    ("North Jakarta", -6.1384, 106.8636, 6.0, 9.0, 3.0),
    ("West Jakarta", -6.1683, 106.7588, 5.0, 12.0, 2.0),
    ("South Jakarta", -6.2615, 106.8106, 6.0, 13.0, 1.5),
    ("East Jakarta", -6.2250, 106.9004, 6.0, 14.0, 3.0),
    ("Bekasi", -6.2383, 106.9756, 7.0, 13.0, 2.5),
    ("Depok", -6.4025, 106.7942, 6.0, 9.0, 0.7),
    ("Tangerang", -6.1783, 106.6319, 6.0, 10.0, 2.0),
    ("South Tangerang", -6.2886, 106.7179, 5.0, 8.0, 1.0),
    ("Bogor", -6.5971, 106.8060, 7.0, 7.0, 0.7),
)
# name, lat, lon, road_km, weight, region
INTERCITY = (
    ("Bandung", -6.9175, 107.6191, 150, 22.0, "java"),
    ("Cirebon", -6.7063, 108.5570, 220, 5.0, "java"),
    ("Bandar Lampung", -5.3971, 105.2668, 240, 6.0, "sumatra"),
    ("Semarang", -6.9667, 110.4167, 450, 10.0, "java"),
    ("Yogyakarta", -7.7956, 110.3695, 560, 9.0, "java"),
    ("Surakarta", -7.5755, 110.8243, 570, 5.0, "java"),
    ("Palembang", -2.9761, 104.7754, 570, 7.0, "sumatra"),
    ("Surabaya", -7.2575, 112.7521, 780, 14.0, "java"),
    ("Malang", -7.9666, 112.6326, 850, 6.0, "java"),
    ("Denpasar", -8.6705, 115.2126, 1180, 6.0, "bali"),
    ("Medan", 3.5952, 98.6722, 1950, 6.0, "sumatra"),
)
NM = len(METRO)
NI = len(INTERCITY)
NCITY = NM + NI
CITY_NAMES = [c[0] for c in METRO] + [c[0] for c in INTERCITY]
CITY_LAT = np.array([c[1] for c in METRO] + [c[1] for c in INTERCITY])
CITY_LON = np.array([c[2] for c in METRO] + [c[2] for c in INTERCITY])
CITY_RAD = np.array([c[3] for c in METRO] + [12.0] * NI)
ROAD_KM = np.array([0.0] * NM + [float(c[3]) for c in INTERCITY])
REGION = ["metro"] * NM + [c[5] for c in INTERCITY]
BANDUNG = CITY_NAMES.index("Bandung")
DENPASAR = CITY_NAMES.index("Denpasar")
MEDAN = CITY_NAMES.index("Medan")

# service index -> (carrier, service kind, product)
SERVICES = (
    ("own", "same_day", "SAMEDAY"),
    ("own", "next_day", "NEXTDAY"),
    ("jne", "standard", "REG"),
    ("jnt", "standard", "EZ"),
    ("sicepat", "next_day", "BEST"),
    ("indomaret", "pickup_point", "PICKUP"),
)
SD, ND, JNE, JNT, SCP, IDM = range(6)
CARRIERS = ("jne", "jnt", "sicepat", "indomaret")  # third-party carriers, index = svc - 2

HOUR_NORMAL = np.array([1.3, 0.8, 0.5, 0.35, 0.3, 0.45, 0.9, 1.6, 2.6, 3.4, 4.2, 5.0,
                        5.6, 5.2, 4.5, 4.0, 3.8, 3.9, 4.4, 5.4, 6.2, 6.5, 6.0, 3.6])
HOUR_RAMADAN = np.array([2.4, 1.6, 2.6, 4.2, 3.2, 0.9, 0.6, 0.9, 1.6, 2.4, 3.0, 3.4,
                         3.5, 3.3, 3.1, 3.0, 2.8, 2.3, 3.6, 6.4, 7.0, 7.2, 6.4, 4.2])
HOUR_FLASH = np.array([10.0, 6.5, 3.2, 1.5, 0.7, 0.6, 0.9, 1.6, 2.6, 3.4, 4.2, 5.0,
                       6.4, 5.4, 4.6, 4.2, 4.0, 4.1, 4.6, 5.6, 6.6, 7.2, 6.8, 5.4])
WEEKDAY_DEMAND = np.array([1.08, 1.05, 1.03, 1.00, 0.95, 0.92, 0.97])
FLASH_MULT = {1: 2.0, 2: 2.0, 3: 2.2, 4: 2.2, 5: 2.3, 6: 2.6, 7: 2.6, 8: 2.8, 9: 3.0, 10: 3.3, 11: 4.0, 12: 5.0}

# weekday operating factors (Mon..Sun) per (carrier, stage)
ALL7 = [1.0] * 7
MON_SAT = [1.0] * 6 + [0.0]
WEEKDAY_OPS = {  # Mondays staffed up where Sunday is short
    ("wh", "pack"): [1.1] + [1.0] * 5 + [0.8],
    ("own", "sd"): MON_SAT,
    ("own", "nd"): [1.2] + [1.0] * 5 + [0.7],
    ("jne", "pickup"): [1.6] + [1.0] * 5 + [0.0],
    ("jne", "sort"): [1.6] + [1.0] * 5 + [0.3],
    ("jne", "lastmile"): [1.6] + [1.0] * 5 + [0.0],
    ("sicepat", "pickup"): [1.3] + [1.0] * 5 + [0.7],
    ("sicepat", "lastmile"): [1.3] + [1.0] * 5 + [0.6],
}
HOLIDAY_OPS = {"wh": 0.6, "jnt": 0.7, "sicepat": 0.6, "indomaret": 1.0}
JOINT_OPS = {"wh": 0.8, "jnt": 0.9, "sicepat": 0.8, "indomaret": 1.0}
LEBARAN_OPS = {  # day offset from Eid al-Fitr -> operating factor (overrides holiday rules)
    "wh": {-3: .7, -2: .6, -1: .4, 0: 0, 1: 0, 2: .5, 3: .6, 4: .7, 5: .9},
    "own_nd": {-3: .6, -2: .3, -1: 0, 0: 0, 1: 0, 2: .3, 3: .3, 4: .6, 5: .8},
    "own_sd": {k: 0.0 for k in range(-3, 6)},
    "jne": {-4: .6, -3: .3, -2: .3, -1: 0, 0: 0, 1: 0, 2: .3, 3: .3, 4: .6, 5: .6},
    "jnt": {-3: .5, -2: .3, -1: .3, 0: 0, 1: .3, 2: .3, 3: .5, 4: .7},
    "sicepat": {-3: .5, -2: .3, -1: 0, 0: 0, 1: 0, 2: .3, 3: .5, 4: .7},
    "indomaret": {-2: .5, -1: .5, 0: 0, 1: .5, 2: .5},
}
FLOOD_START_P = {11: 0.02, 12: 0.04, 1: 0.07, 2: 0.07, 3: 0.03}


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


WH_LAT = np.array([w[1] for w in WAREHOUSES])
WH_LON = np.array([w[2] for w in WAREHOUSES])
# home warehouse per city: nearest for metro, CKR for Java/Bali, TGR for Sumatra
HOME_WH = np.array(
    [int(np.argmin(haversine_km(CITY_LAT[i], CITY_LON[i], WH_LAT, WH_LON))) for i in range(NM)]
    + [1 if r == "sumatra" else 0 for r in REGION[NM:]])


# ----------------------------------------------------------------------------------------------- calendar
class Calendar:
    """Per-day arrays over the whole simulated span: warm-up + written days + drain days."""

    def __init__(self, start: dt.date, ndays: int, rng: np.random.Generator):
        self.sim0 = start - dt.timedelta(days=WARMUP_DAYS)
        self.nc = WARMUP_DAYS + ndays            # days on which orders are created
        self.n = self.nc + DRAIN_DAYS            # days on which operations run
        n = self.n
        self.dates = [self.sim0 + dt.timedelta(days=i) for i in range(n)]
        years = range(self.sim0.year - 1, self.dates[-1].year + 2)
        pub = holidays.country_holidays("ID", years=years, language="en_US")
        gov = holidays.country_holidays("ID", years=years, categories=("government",), language="en_US")
        eids = sorted(d for d, nm in pub.items() if nm.startswith("Eid al-Fitr") and "Second" not in nm)
        nyepis = {d for d, nm in pub.items() if nm.startswith("Day of Silence")}
        self.wd = np.array([d.weekday() for d in self.dates])
        self.hol = np.array([d in pub for d in self.dates])
        self.joint = np.array([(d in gov) and (d not in pub) for d in self.dates])
        self.hol_name = [pub.get(d, "") for d in self.dates]
        self.joint_name = [gov.get(d, "").replace(" Joint Holiday", "") for d in self.dates]
        # Lebaran offset (days from nearest Eid al-Fitr)
        k = np.full(n, 999)
        for e in eids:
            off = np.array([(d - e).days for d in self.dates])
            k = np.where(np.abs(off) < np.abs(k), off, k)
        self.leb = k
        self.ramadan = (k >= -30) & (k <= -1)
        self.ramadan_peak = (k >= -14) & (k <= -4)
        self.nyepi = np.array([d in nyepis for d in self.dates])
        self.month = np.array([d.month for d in self.dates])
        self.dom = np.array([d.day for d in self.dates])
        self.rainy = np.isin(self.month, [11, 12, 1, 2, 3])
        self.yrs = (np.arange(n) - WARMUP_DAYS) / 365.25
        # flash sales
        flash = (self.month == self.dom)
        fm = np.ones(n)
        for i in np.nonzero(flash)[0]:
            fm[i] = FLASH_MULT[self.month[i]] * rng.uniform(0.9, 1.1)
        self.flash = flash
        self.flash_mult = fm
        # mudik travel factor for line-haul driving
        self.mudik = np.where((k >= -7) & (k <= -1), 1.6, np.where((k >= 2) & (k <= 8), 1.4, 1.0))
        # floods: (n, NM) capacity multiplier for metro last mile / own fleet
        flood = np.ones((n, NM))
        fw = np.array([c[5] for c in METRO])
        fw = fw / fw.sum()
        for i in range(n):
            p = FLOOD_START_P.get(self.month[i], 0.0)
            if p and rng.random() < p:
                dur = int(rng.integers(1, 4))
                ncity = int(rng.integers(2, 6))
                cities = rng.choice(NM, size=ncity, replace=False, p=fw)
                sev = rng.uniform(0.3, 0.7)
                for j in range(i, min(n, i + dur)):
                    flood[j, cities] = np.minimum(flood[j, cities], sev)
        self.flood = flood
        # surge capacity (flash sales and post-Lebaran overtime)
        surge = np.ones(n)
        for i in np.nonzero(flash)[0]:
            surge[i:i + 5] *= 1 + 0.25 * (FLASH_MULT[self.month[i]] - 1)
        surge *= np.where((k >= 6) & (k <= 20), 1.5, 1.0)
        self.surge = surge
        # hidden incidents: per (key) ~2 days a year at 0.4
        self._incidents = {}
        for key in ("wh0", "wh1", "jne", "jnt", "sicepat", "indomaret"):
            m = np.ones(n)
            m[rng.random(n) < 2.0 / 365.0] = 0.4
            self._incidents[key] = m
        # demand
        growth = (1 + GROWTH) ** self.yrs
        ram = np.where(self.ramadan_peak, 1.3, 1.0)
        leb = np.ones(n)
        for lo, hi, f in ((-3, -1, 0.6), (0, 1, 0.4), (2, 4, 0.7), (5, 7, 0.9)):
            leb = np.where((k >= lo) & (k <= hi), f, leb)
        hol_dip = np.where(self.hol & ((k < -3) | (k > 7)), 0.85, 1.0)
        payday = np.where(self.dom == 25, 1.10, 1.0)
        pre = np.zeros(n, bool)
        post = np.zeros(n, bool)
        pre[:-1] = flash[1:]
        post[1:] = flash[:-1]
        around = np.where(pre & ~flash, 0.92, 1.0) * np.where(post & ~flash, 1.2, 1.0)
        noise = np.exp(rng.normal(0, 0.06, n))
        self.base = BASE_ORDERS * growth * ram      # what capacity planners plan for
        self.lam = BASE_ORDERS * growth * self.wd_demand() * ram * leb * hol_dip * payday * fm * around * noise
        self.lam[self.nc:] = 0.0
        # same-day operating day (for eligibility)
        self.sd_ok = self.ops("own", "sd") > 0

    def wd_demand(self):
        return WEEKDAY_DEMAND[self.wd]

    def ops(self, carrier: str, stage: str) -> np.ndarray:
        """Operating factor per day for a (carrier, stage); carrier 'wh' = warehouse packing."""
        wdo = np.array(WEEKDAY_OPS.get((carrier, stage), ALL7))[self.wd]
        if carrier == "own":
            hol_f = 0.0 if stage == "sd" else 0.5
            joint_f = 0.0 if stage == "sd" else 0.8
            leb_tab = LEBARAN_OPS["own_" + stage]
        elif carrier == "jne":
            hol_f = 0.0 if stage in ("pickup", "lastmile") else 0.5
            joint_f = 0.5 if stage in ("pickup", "lastmile") else 1.0
            leb_tab = LEBARAN_OPS["jne"]
        else:
            hol_f = HOLIDAY_OPS[carrier]
            joint_f = JOINT_OPS[carrier]
            leb_tab = LEBARAN_OPS[carrier]
        f = np.where(self.hol, np.minimum(wdo, hol_f), np.where(self.joint, np.minimum(wdo, joint_f), wdo))
        for kk, v in leb_tab.items():
            f = np.where(self.leb == kk, np.minimum(wdo, v), f)
        if stage == "sort" and carrier in self._incidents:
            f = f * self._incidents[carrier]
        return f

    def opsfactor(self, carrier: str, stage: str) -> float:
        return 1.0 / float(np.mean(WEEKDAY_OPS.get((carrier, stage), ALL7)))

    def tags(self, i: int) -> str:
        t = []
        if self.hol_name[i]:
            t.append("holiday:" + self.hol_name[i])
        if self.joint[i]:
            t.append("cuti_bersama:" + self.joint_name[i])
        if self.ramadan[i]:
            t.append("ramadan")
        if self.ramadan_peak[i]:
            t.append("ramadan_peak")
        if -4 <= self.leb[i] <= 7:
            t.append("lebaran_break")
        if self.mudik[i] > 1.0:
            t.append("mudik")
        if self.flash[i]:
            t.append("flash_sale:%d.%d" % (self.month[i], self.dom[i]) + (";harbolnas" if self.month[i] == 12 else ""))
        if self.dom[i] == 25:
            t.append("payday")
        if self.nyepi[i]:
            t.append("nyepi")
        if self.rainy[i]:
            t.append("rainy_season")
        fl = np.nonzero(self.flood[i] < 1.0)[0]
        if len(fl):
            t.append("flood:" + "+".join(CITY_NAMES[j] for j in fl))
        return ";".join(t)


# -------------------------------------------------------------------------------------------- queue engine
def fifo(ready: np.ndarray, grp: np.ndarray, wave_t: np.ndarray, wave_cap: np.ndarray):
    """FIFO batch service. ready, grp: per parcel. wave_t, wave_cap: (G, K), times ascending per row.
    A wave serves, in order of readiness, up to its capacity of the parcels ready by its time.
    Returns per parcel (wave time, position in its wave as a fraction of the wave's capacity)."""
    G, K = wave_t.shape
    n = len(ready)
    order = np.lexsort((ready, grp))
    g_s = grp[order]
    r_s = ready[order]
    counts = np.bincount(grp, minlength=G)
    gstart = np.concatenate([[0], np.cumsum(counts)[:-1]])
    big = 1e9
    key_o = g_s * big + r_s
    key_w = (np.arange(G)[:, None] * big + wave_t).ravel()
    arrived = np.searchsorted(key_o, key_w, side="right").reshape(G, K) - gstart[:, None]
    C = np.cumsum(wave_cap, axis=1)
    m = np.minimum.accumulate(arrived - C, axis=1)
    served = C + np.minimum(m, 0)            # served[g,k] = parcels served by waves 0..k
    if np.any(served[:, -1] != counts):
        bad = np.nonzero(served[:, -1] != counts)[0]
        raise RuntimeError("queue did not drain (groups %s): extend DRAIN_DAYS" % bad[:5])
    big2 = n + 1
    s_flat = (np.arange(G)[:, None] * big2 + served).ravel()
    rank = np.arange(n) - gstart[g_s]
    idx = np.searchsorted(s_flat, g_s * big2 + rank, side="right")
    k = idx - g_s * K
    prev = np.where(k > 0, served.ravel()[np.maximum(idx - 1, 0)], 0)
    cap = wave_cap.ravel()[idx]
    frac = (rank - prev + 0.5) / np.maximum(cap, 1)
    t_out = np.empty(n)
    f_out = np.empty(n)
    t_out[order] = wave_t.ravel()[idx]
    f_out[order] = frac
    return t_out, f_out


def plan_capacity(cal: Calendar, grp, G, cday, ops_gd, opsfactor_g, rng, min_daily=3.0, elastic=None):
    """Daily capacity (G, D): trailing 42-day share of expected demand x planned base x factors."""
    nc, n = cal.nc, cal.n
    counts = np.bincount(grp * nc + cday, minlength=G * nc).reshape(G, nc).astype(float)
    cs_n = np.concatenate([np.zeros((G, 1)), np.cumsum(counts, axis=1)], axis=1)
    cs_l = np.concatenate([[0.0], np.cumsum(cal.lam[:nc])])
    d = np.minimum(np.arange(n), nc - 1)
    hi = np.minimum(np.maximum(d, 13), nc - 1)
    lo = np.maximum(0, hi - 41)
    share = (cs_n[:, hi + 1] - cs_n[:, lo]) / np.maximum(cs_l[hi + 1] - cs_l[lo], 1e-9)
    head = rng.uniform(1.18, 1.38, G)
    noise = np.exp(rng.normal(0, 0.07, (G, n)))
    cap = (share * cal.base[None, :] * np.asarray(opsfactor_g)[:, None] * head[:, None] * noise * ops_gd
           * cal.surge[None, :])
    cap = np.maximum(cap, min_daily * ops_gd)
    if elastic is not None:
        # gig drivers booked on the day: up to elastic[0] x today's orders, at most elastic[1] x the plan
        today = np.zeros((G, n))
        today[:, :nc] = counts
        cap = np.minimum(np.maximum(cap, elastic[0] * today), elastic[1] * cap)
    return np.where(ops_gd > 0, cap, 0.0)


def build_waves(offsets, shares, daily_cap, rng):
    """offsets/shares (G, W) (offsets ascending per row, seconds of day); daily_cap (G, D)."""
    offsets = np.asarray(offsets, float)
    shares = np.asarray(shares, float)
    shares = shares / shares.sum(axis=1, keepdims=True)
    G, W = offsets.shape
    D = daily_cap.shape[1]
    t = (np.arange(D)[None, :, None] * DAY + offsets[:, None, :]).reshape(G, D * W)
    c = daily_cap[:, :, None] * shares[:, None, :]
    c = np.floor(c + rng.random(c.shape)).astype(np.int64).reshape(G, D * W)
    return t, c


def hm(h, m=0):
    return h * HOUR + m * MINUTE


def pad(rows):
    """rows: list of [(offset, share), ...] -> padded (G, W) offsets and shares."""
    W = max(len(r) for r in rows)
    offs = np.zeros((len(rows), W))
    shs = np.zeros((len(rows), W))
    for i, r in enumerate(rows):
        r = sorted(r)
        for j in range(W):
            o, s = r[min(j, len(r) - 1)]
            offs[i, j] = o
            shs[i, j] = s if j < len(r) else 0.0
    return offs, shs


def next_open(ops: np.ndarray) -> np.ndarray:
    """next_open[d] = first day >= d with ops > 0."""
    n = len(ops)
    idx = np.where(ops > 0, np.arange(n), n - 1)
    return np.minimum.accumulate(idx[::-1])[::-1]


# ----------------------------------------------------------------------------------------------- simulate
def simulate(start: dt.date, ndays: int, seed: int):
    rng = np.random.default_rng(seed)
    cal = Calendar(start, ndays, rng)
    nc = cal.nc

    # ---- demand
    cnt = rng.poisson(cal.lam[:nc])
    N = int(cnt.sum())
    cday = np.repeat(np.arange(nc), cnt)
    prof = np.where(cal.flash[:nc] & cal.ramadan[:nc], 3, np.where(cal.flash[:nc], 2,
                    np.where(cal.ramadan[:nc], 1, 0)))[cday]
    profiles = [HOUR_NORMAL / HOUR_NORMAL.sum(), HOUR_RAMADAN / HOUR_RAMADAN.sum(), HOUR_FLASH / HOUR_FLASH.sum()]
    profiles.append((profiles[1] + profiles[2]) / 2)
    hour = np.empty(N, np.int64)
    for p in range(4):
        sel = np.nonzero(prof == p)[0]
        hour[sel] = rng.choice(24, size=len(sel), p=profiles[p])
    created = cday * DAY + hour * HOUR + rng.random(N) * HOUR
    o = np.argsort(created, kind="stable")
    created, cday, hour = created[o], cday[o], hour[o]

    # destination
    metro = rng.random(N) < METRO_SHARE
    mw = np.array([c[4] for c in METRO])
    iw = np.array([c[4] for c in INTERCITY])
    city = np.where(metro, rng.choice(NM, size=N, p=mw / mw.sum()), NM + rng.choice(NI, size=N, p=iw / iw.sum()))
    # Nyepi: Bali is offline -> 95% of its orders that day never happen
    ny = (city == DENPASAR) & cal.nyepi[cday] & (rng.random(N) < 0.95)
    if ny.any():
        keep = ~ny
        created, cday, hour, metro, city = created[keep], cday[keep], hour[keep], metro[keep], city[keep]
        N = len(created)
    r = CITY_RAD[city] / 2.0
    dlat = CITY_LAT[city] + rng.normal(0, 1, N) * r / 111.0
    dlon = CITY_LON[city] + rng.normal(0, 1, N) * r / (111.0 * np.cos(np.radians(CITY_LAT[city])))
    wh = np.where(rng.random(N) < 0.8, HOME_WH[city], 1 - HOME_WH[city])
    weight = np.clip(np.exp(np.log(0.8) + 0.9 * rng.normal(0, 1, N)), 0.05, 30.0)
    weight = np.round(weight, 2)

    # service choice
    yrs = cal.yrs[cday]
    lebbreak = (cal.leb[cday] >= -4) & (cal.leb[cday] <= 6)
    W = np.zeros((N, 6))
    W[:, SD] = np.where(metro, 0.25, 0.0)
    W[:, ND] = np.where(metro, 0.20 + 0.03 * yrs, 0.0)
    W[:, JNE] = np.where(metro, 0.16 - 0.02 * yrs, 0.42)
    W[:, JNT] = np.where(metro, 0.21, 0.43)
    W[:, SCP] = np.where(metro, 0.18, 0.15)
    W[:, IDM] = np.where(metro, 0.13, 0.12) * np.where(lebbreak, 2.0, 1.0)
    region = np.array(REGION)[city]
    W[:, SD] *= (weight <= 10) & (hour < 11) & cal.sd_ok[cday]
    W[:, ND] *= weight <= 20
    W[:, SCP] *= metro | (city == BANDUNG)
    W[:, IDM] *= (weight <= 5) & (region != "sumatra")
    cw = np.cumsum(W, axis=1)
    svc = (cw < (rng.random(N) * cw[:, -1])[:, None]).sum(axis=1)
    svc = same_day_quota(cal, svc, cday, wh)
    own = svc <= ND
    third = ~own
    car = np.where(third, svc - 2, -1)      # 0 jne, 1 jnt, 2 sicepat, 3 indomaret
    n_all = cal.n

    # ---- 1. packing
    lane = np.where(svc == SD, 2, np.where(svc == SCP, 1, 0))
    g = wh * 3 + lane
    parcel = [(hm(h), 1.0) for h in range(7, 23)] + [(hm(23), .6), (hm(0), .6), (hm(1), .6)]
    express = [(hm(6) + i * 30 * MINUTE, 1.0) for i in range(34)]
    sameday = [(hm(6) + i * 30 * MINUTE, 1.0) for i in range(16)]
    offs, shs = pad([parcel, express, sameday] * 2)
    ops = np.stack([cal.ops("wh", "pack") * cal._incidents["wh%d" % (gi // 3)] for gi in range(6)])
    capd = plan_capacity(cal, g, 6, cday, ops, [cal.opsfactor("wh", "pack")] * 6, rng)
    capd[2::3] = plan_capacity(cal, g[lane == 2] // 3, 2, cday[lane == 2], ops[2::3], [1.0] * 2, rng,
                               elastic=(1.15, 2.5))
    wt, wc = build_waves(offs, shs, capd, rng)
    t, f = fifo(created, g, wt, wc)
    packed = t + 10 * MINUTE + 40 * MINUTE * f + rng.random(N) * 10 * MINUTE

    handed = np.empty(N)
    delivered = np.full(N, np.nan)
    rain_span = np.where(cal.rainy, 1.1, 1.0)

    # ---- 2a. own fleet vans (warehouse -> door)
    io = np.nonzero(own)[0]
    s_o = svc[io]
    c_o = city[io]
    g = wh[io] * 2 + (s_o == ND)
    G = 4
    sd_ops = cal.ops("own", "sd")
    nd_ops = cal.ops("own", "nd")
    rows = [[(hm(12, 30), .6), (hm(14, 30), .4)], [(hm(7), .65), (hm(10), .35)]] * 2
    ops = np.stack([sd_ops, nd_ops] * 2)
    ofac = [cal.opsfactor("own", "sd"), cal.opsfactor("own", "nd")] * 2
    offs, shs = pad(rows)
    capd = plan_capacity(cal, g, G, cday[io], ops, ofac, rng, min_daily=10.0)
    capd[0::2] = plan_capacity(cal, g[s_o == SD] // 2, 2, cday[io][s_o == SD], ops[0::2], ofac[0::2], rng,
                               min_daily=10.0, elastic=(1.15, 2.5))
    wt, wc = build_waves(offs, shs, capd, rng)
    t, f = fifo(packed[io] + 15 * MINUTE, g, wt, wc)
    h = t + rng.random(len(io)) * 15 * MINUTE
    handed[io] = h
    dist = haversine_km(WH_LAT[wh[io]], WH_LON[wh[io]], dlat[io], dlon[io])
    dday = np.minimum((h // DAY).astype(np.int64), n_all - 1)
    flooded = cal.flood[dday, c_o] < 1.0
    span = np.where(s_o == SD, 5.0, 8.0) * HOUR * rain_span[dday] * np.where(flooded, 1.4, 1.0)
    d = h + dist / 22.0 * HOUR + rng.random(len(io)) * span
    pfail = 0.02 * np.where(flooded, 2.0, 1.0)
    # a flooded city: the van reaches only a share (the flood factor) of its stops; the rest go next day
    stuck = rng.random(len(io)) > cal.flood[dday, c_o]
    fail = (rng.random(len(io)) < pfail) | stuck
    d = door_fixups(d, h, fail, next_open(nd_ops)[None, :], np.zeros(len(io), np.int64), rng)
    delivered[io] = d

    # ---- 2b. carrier pickups at the warehouse
    it = np.nonzero(third)[0]
    c_t = car[it]
    g = wh[it] * 4 + c_t
    pick = {0: [(hm(15), .55), (hm(20), .45)],
            1: [(hm(13), .3), (hm(18), .4), (hm(22), .3)],
            2: [(hm(16), 1.0)],
            3: [(hm(10), .4), (hm(17), .6)]}
    rows = [pick[gi % 4] for gi in range(8)]
    offs, shs = pad(rows)
    ops = np.stack([cal.ops(CARRIERS[gi % 4], "pickup") for gi in range(8)])
    ofac = [cal.opsfactor(CARRIERS[gi % 4], "pickup") for gi in range(8)]
    capd = plan_capacity(cal, g, 8, cday[it], ops, ofac, rng, min_daily=20.0)
    wt, wc = build_waves(offs, shs, capd, rng)
    ready = packed[it] + 20 * MINUTE
    cr = created[it]
    late = (c_t == 2) & ((cr % DAY) > hm(15))
    ready = np.where(late, np.maximum(ready, (cr // DAY + 1) * DAY), ready)
    t, f = fifo(ready, g, wt, wc)
    h = t + rng.random(len(it)) * 25 * MINUTE
    handed[it] = h

    # ---- 3. origin hub sort per carrier
    arr = h + rng.uniform(45, 150, len(it)) * MINUTE
    sorts = {0: [(hm(2), .3), (hm(18), .3), (hm(22), .4)],
             1: [(hm(1), .35), (hm(15), .25), (hm(21), .4)],
             2: [(hm(18), .6), (hm(22), .4)],
             3: [(hm(12), .4), (hm(21), .6)]}
    offs, shs = pad([sorts[i] for i in range(4)])
    ops = np.stack([cal.ops(CARRIERS[i], "sort") for i in range(4)])
    ofac = [cal.opsfactor(CARRIERS[i], "sort") for i in range(4)]
    capd = plan_capacity(cal, c_t, 4, cday[it], ops, ofac, rng)
    wt, wc = build_waves(offs, shs, capd, rng)
    t, f = fifo(arr, c_t, wt, wc)
    sorted1 = t + 20 * MINUTE + 3 * HOUR * f
    city_t = city[it]
    is_metro_t = city_t < NM

    # ---- 4. line-haul per carrier x city (indomaret metro skips: DC trucks go straight to stores)
    lh = ~((c_t == 3) & is_metro_t)
    il = np.nonzero(lh)[0]
    c_l = c_t[il]
    ci_l = city_t[il]
    g = c_l * NCITY + ci_l
    G = 4 * NCITY
    rows = []
    for gi in range(G):
        c, ci = divmod(gi, NCITY)
        metro_c = ci < NM
        if c == 0:
            if metro_c:
                rows.append([(hm(3), .6), (hm(5, 30), .4)])
            elif ci == MEDAN:
                rows.append([(hm(10), 1.0)])
            else:
                rows.append([(hm(0, 30), .5), (hm(4, 30), .5)])
        elif c == 1:
            rows.append([(hm(2, 30), .45), (hm(5, 30), .35), (hm(15), .2)] if metro_c
                        else [(hm(4, 30), .5), (hm(23, 30), .5)])
        elif c == 2:
            rows.append([(hm(1, 30), .5), (hm(4, 30), .5)] if metro_c else [(hm(0, 30), .6), (hm(3, 30), .4)])
        else:
            rows.append([(hm(23), 1.0)])
    offs, shs = pad(rows)
    ops = np.stack([cal.ops(CARRIERS[gi // NCITY], "linehaul") for gi in range(G)])
    ofac = [cal.opsfactor(CARRIERS[gi // NCITY], "linehaul") for gi in range(G)]
    capd = plan_capacity(cal, g, G, cday[it][il], ops, ofac, rng, min_daily=40.0)
    wt, wc = build_waves(offs, shs, capd, rng)
    t, f = fifo(sorted1[il], g, wt, wc)
    nl = len(il)
    dep_day = np.minimum((t // DAY).astype(np.int64), n_all - 1)
    mud = cal.mudik[dep_day]
    road = ROAD_KM[ci_l]
    speed = np.clip(rng.normal(52, 5, nl), 38, 65)
    drive = (road / speed + np.floor(road / 350.0)) * HOUR * mud
    reg = np.array(REGION)[ci_l]
    ferry = np.where(reg == "sumatra", 2.5 * HOUR + rng.exponential(1.5 * HOUR, nl), 0.0)
    ferry += np.where(reg == "sumatra", np.where(mud > 1, rng.uniform(4, 18, nl) * HOUR, 0.0), 0.0)
    ferry += np.where(reg == "bali", 1.0 * HOUR + rng.exponential(0.75 * HOUR, nl), 0.0)
    m_metro = ci_l < NM
    fl_metro = np.where(m_metro, cal.flood[dep_day, np.minimum(ci_l, NM - 1)] < 1.0, False)
    shuttle = rng.uniform(40, 120, nl) * MINUTE + np.where(fl_metro, HOUR, 0.0)
    air = (c_l == 0) & (ci_l == MEDAN)
    travel = np.where(m_metro, shuttle, np.where(air, rng.uniform(4.5, 7.5, nl) * HOUR, drive + ferry))
    arrive = t + travel
    # Nyepi: nothing arrives in Bali between 06:00 Nyepi and 06:00 the day after
    bali = ci_l == DENPASAR
    if bali.any():
        aday = np.minimum((arrive // DAY).astype(np.int64), n_all - 1)
        tod = arrive - aday * DAY
        in_win = (cal.nyepi[aday] & (tod >= hm(6))) | (cal.nyepi[np.maximum(aday - 1, 0)] & (tod < hm(6)))
        win_end = np.where(tod >= hm(6), (aday + 1) * DAY + hm(6), aday * DAY + hm(6))
        hold = bali & in_win
        arrive = np.where(hold, win_end + rng.random(nl) * 2 * HOUR, arrive)

    # ---- 5. destination sort (intercity) / station inbound (metro)
    ready_lm = np.empty(len(it))
    ready_lm[~lh] = sorted1[~lh] + 10 * MINUTE          # indomaret metro: from the DC
    ready_lm[il[m_metro]] = arrive[m_metro] + rng.uniform(20, 40, int(m_metro.sum())) * MINUTE
    ix = np.nonzero(~m_metro)[0]
    if len(ix):
        g = c_l[ix] * NI + (ci_l[ix] - NM)
        G = 4 * NI
        dsort = [(hm(2 * i), 1.0) for i in range(12)]
        rows = [[(hm(4), .6), (hm(16), .4)] if gi // NI == 3 else dsort for gi in range(G)]
        offs, shs = pad(rows)
        ops = np.stack([cal.ops(CARRIERS[gi // NI], "dsort")
                        * np.where((gi % NI) + NM == DENPASAR, ~cal.nyepi, True) for gi in range(G)])
        ofac = [1.0] * G
        capd = plan_capacity(cal, g, G, cday[it][il][ix], ops, ofac, rng, min_daily=20.0)
        # trucks arrive in batches: every wave can sort 35% of the planned day (hub throughput per shift)
        capd[:3 * NI] *= 0.35 * 12
        capd[3 * NI:] *= 0.6 * 2
        wt, wc = build_waves(offs, shs, capd, rng)
        t2, f2 = fifo(arrive[ix], g, wt, wc)
        ready_lm[il[ix]] = t2 + 15 * MINUTE + 2 * HOUR * f2

    # ---- 6. last mile per carrier x city
    g = c_t * NCITY + city_t
    G = 4 * NCITY
    lm = {0: [(hm(9), .65), (hm(13), .35)], 1: [(hm(8, 30), .6), (hm(13, 30), .4)],
          2: [(hm(8), .7), (hm(12), .3)], 3: [(hm(5), .6), (hm(14), .4)]}
    rows = [lm[gi // NCITY] for gi in range(G)]
    offs, shs = pad(rows)
    lm_ops = [cal.ops(c, "lastmile") for c in CARRIERS]
    ops = np.zeros((G, n_all))
    ofac = np.zeros(G)
    for gi in range(G):
        c, ci = divmod(gi, NCITY)
        o_ = lm_ops[c].copy()
        if ci < NM:
            o_ = o_ * cal.flood[:, ci]
        if ci == DENPASAR:
            o_ = o_ * ~cal.nyepi
        ops[gi] = o_
        ofac[gi] = cal.opsfactor(CARRIERS[c], "lastmile")
    capd = plan_capacity(cal, g, G, cday[it], ops, ofac, rng, min_daily=6.0)
    wt, wc = build_waves(offs, shs, capd, rng)
    t, f = fifo(ready_lm + 30 * MINUTE, g, wt, wc)
    nt = len(it)
    lday = np.minimum((t // DAY).astype(np.int64), n_all - 1)
    fl = np.where(city_t < NM, cal.flood[lday, np.minimum(city_t, NM - 1)] < 1.0, False)
    span = 7.0 * HOUR * rain_span[lday] * np.where(fl, 1.4, 1.0)
    door = t + rng.uniform(10, 40, nt) * MINUTE + rng.uniform(15, 45, nt) * MINUTE + rng.random(nt) * span
    store = t + rng.uniform(1, 6, nt) * HOUR
    is_store = c_t == 3
    pfail = np.where(cal.rainy[lday], 0.05, 0.035) * np.where(fl, 2.0, 1.0)
    fail = (~is_store) & (rng.random(nt) < pfail)
    nxt_rows = np.stack([next_open(ops[gi]) for gi in range(G)])
    d = np.where(is_store, store, door_fixups(door, t, fail, nxt_rows, g, rng))
    delivered[it] = d

    return dict(cal=cal, created=created, handed=handed, delivered=delivered, cday=cday, svc=svc, wh=wh,
                city=city, dlat=dlat, dlon=dlon, weight=weight)


def same_day_quota(cal: Calendar, svc, cday, wh):
    """Same-day slots sell out: per warehouse and day, at most ceil(1.4 x the median daily same-day count
    of the previous 28 same-day operating days x the day's surge) orders; later ones get own next_day."""
    nc = cal.nc
    sd = np.nonzero(svc == SD)[0]                      # orders are in creation order
    key = cday[sd] * 2 + wh[sd]
    o = np.argsort(key, kind="stable")
    ks = key[o]
    rank = np.arange(len(ks)) - np.searchsorted(ks, ks, side="left")
    counts = np.bincount(key, minlength=2 * nc).reshape(nc, 2)
    open_days = np.nonzero(cal.sd_ok[:nc])[0]
    quota = np.zeros((nc, 2))
    for d in open_days:
        prev = open_days[(open_days < d)][-28:]
        med = np.median(counts[prev], axis=0) if len(prev) >= 5 else counts[d].astype(float)
        quota[d] = np.ceil(1.4 * np.maximum(med, 2.0) * cal.surge[d])
    over = rank >= quota.ravel()[ks]
    svc = svc.copy()
    svc[sd[o[over]]] = ND
    return svc


def door_fixups(d, t0, fail, nxt_rows, row, rng):
    """Door deliveries that would end after 21:30 of the dispatch day go out on the next open day
    09:00-12:00; failed attempts are delivered on the next open day after that, 09:00-17:00.
    nxt_rows[row, day] = first open day >= day for the parcel's queue."""
    n_all = nxt_rows.shape[1]
    day0 = (t0 // DAY).astype(np.int64)
    late = d > day0 * DAY + hm(21, 30)
    nd = nxt_rows[row, np.minimum(day0 + 1, n_all - 1)]
    d = np.where(late, nd * DAY + hm(9) + rng.random(len(d)) * 3 * HOUR, d)
    dday = (d // DAY).astype(np.int64)
    retry = nxt_rows[row, np.minimum(dday + 1, n_all - 1)] * DAY + hm(9) + rng.random(len(d)) * 8 * HOUR
    return np.where(fail, retry, d)


# ----------------------------------------------------------------------------------------------- output
def local_seconds(sec_sim: np.ndarray, sim0: dt.date) -> np.ndarray:
    """Simulation seconds -> integer local wall-clock seconds since 1970-01-01 00:00 (WIB as if UTC)."""
    epoch_local = int((dt.datetime(sim0.year, sim0.month, sim0.day) - dt.datetime(1970, 1, 1)).total_seconds())
    return np.floor(sec_sim).astype(np.int64) + epoch_local


def fmt_times(local_s: np.ndarray, unix: bool) -> list:
    if unix:
        return (local_s - 7 * 3600).astype(str).tolist()
    iso = np.datetime_as_string(local_s.astype("datetime64[s]"), unit="s")
    return np.char.add(iso, "+07:00").tolist()


HEADER = ["order_id", "carrier", "service", "origin_lat", "origin_lon", "dest_lat", "dest_lon", "created_at",
          "handed_over_at", "delivered_at", "weight_kg", "dest_city", "origin_hub", "product", "notes"]
CARRIER_COL = np.array([s[0] for s in SERVICES])
KIND_COL = np.array([s[1] for s in SERVICES])
PRODUCT_COL = np.array([s[2] for s in SERVICES])
HUB_COL = np.array([w[0] for w in WAREHOUSES])
CITY_COL = np.array(CITY_NAMES)


def columns(sub, sim, times, day_tags, unix):
    """The CSV columns (lists of strings) for the orders `sub`."""
    wh, svc = sim["wh"][sub], sim["svc"][sub]
    f = lambda fmt, x: np.char.mod(fmt, x).tolist()  # noqa: E731
    return [["JKT%08d" % (i + 1) for i in sub.tolist()], CARRIER_COL[svc].tolist(), KIND_COL[svc].tolist(),
            f("%.4f", WH_LAT[wh]), f("%.4f", WH_LON[wh]), f("%.5f", sim["dlat"][sub]), f("%.5f", sim["dlon"][sub]),
            fmt_times(times[0][sub], unix), fmt_times(times[1][sub], unix), fmt_times(times[2][sub], unix),
            f("%.2f", sim["weight"][sub]), CITY_COL[sim["city"][sub]].tolist(), HUB_COL[wh].tolist(),
            PRODUCT_COL[svc].tolist(), day_tags[sim["cday"][sub]].tolist()]


def write(path, idx, sim, times, day_tags, unix, rng):
    key = sim["created"][idx] + rng.normal(0, 1.5 * HOUR, len(idx))
    idx = idx[np.argsort(key, kind="stable")]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for k in range(0, len(idx), 50000):
            w.writerows(zip(*columns(idx[k:k + 50000], sim, times, day_tags, unix)))
    return len(idx)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--start", default="2025-01-06")
    ap.add_argument("--time-format", choices=("iso", "unix"), default="iso")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.time()
    start = dt.date.fromisoformat(a.start)
    ndays = a.days if a.days is not None else 78 * 7
    ntrain = int(round(2 * ndays / 3)) if a.days is not None else 52 * 7
    if ndays < 2:
        ap.error("--days must be >= 2")
    sim = simulate(start, ndays, a.seed)
    cal = sim["cal"]
    rng = np.random.default_rng([a.seed, 7])
    N = len(sim["created"])
    assert not np.isnan(sim["delivered"]).any() and not np.isnan(sim["handed"]).any()
    unix = a.time_format == "unix"
    times = [local_seconds(sim[k], cal.sim0) for k in ("created", "handed", "delivered")]
    assert np.all(times[0] <= times[1]) and np.all(times[1] <= times[2])
    svc = sim["svc"]
    day_tags = np.array([cal.tags(i) for i in range(cal.nc)], dtype=object)
    rel = sim["cday"] - WARMUP_DAYS
    tr = np.nonzero((rel >= 0) & (rel < ntrain))[0]
    te = np.nonzero((rel >= ntrain) & (rel < ndays))[0]
    os.makedirs(a.out, exist_ok=True)
    n_tr = write(os.path.join(a.out, "train.csv"), tr, sim, times, day_tags, unix, rng)
    n_te = write(os.path.join(a.out, "test.csv"), te, sim, times, day_tags, unix, rng)
    if not a.quiet:
        lead = (sim["delivered"] - sim["created"]) / HOUR
        print("Jakarta history: start %s, %d days (%d train / %d test), seed %d, %d orders simulated "
              "(incl. warm-up)" % (start, ndays, ntrain, ndays - ntrain, a.seed, N))
        print("%-24s %9s %9s %9s %9s %9s %9s" % ("carrier/service", "train", "test", "med_h", "p95_h",
                                              "tr_med", "te_med"))
        for s in range(len(SERVICES)):
            a_tr = tr[svc[tr] == s]
            a_te = te[svc[te] == s]
            both = np.concatenate([a_tr, a_te])
            q = lambda ix, p: np.percentile(lead[ix], p) if len(ix) else float("nan")
            print("%-24s %9d %9d %9.1f %9.1f %9.1f %9.1f" % (
                SERVICES[s][0] + "/" + SERVICES[s][1], len(a_tr), len(a_te), q(both, 50), q(both, 95),
                q(a_tr, 50), q(a_te, 50)))
        allw = np.concatenate([tr, te])
        per_day = np.bincount(rel[allw], minlength=ndays)
        b = int(np.argmax(per_day))
        print("rows: train %d, test %d; biggest day %s with %d orders (%s); median day %d" % (
            n_tr, n_te, start + dt.timedelta(days=b), per_day[b], cal.tags(b + WARMUP_DAYS) or "-",
            int(np.median(per_day))))
        print("wrote %s in %.1f s" % (a.out, time.time() - t0))


if __name__ == "__main__":
    main()
