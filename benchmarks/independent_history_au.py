#!/usr/bin/env python3
"""Independent delivery history: an online grocery + general-merchandise platform in Sydney.

Written blind (without reading the engine) as held-out benchmark data.  Writes train.csv and
test.csv into --out.

DATA CARD
=========

Output
------
One row per order, every order delivered.  Columns, in this order:

    order_id, carrier, service, origin_lat, origin_lon, dest_lat, dest_lon,
    created_at, handed_over_at, delivered_at, weight_kg, dest_city, slot_start, notes

* Times are ISO-8601 with seconds and the UTC offset of Australia/Sydney local time at that
  instant (+10:00 AEST, +11:00 AEDT from the first Sunday of October 02:00 to the first Sunday
  of April 03:00).  All timestamps, even for Brisbane deliveries, are written in Sydney time.
* created_at: order placed.  handed_over_at: the carrier's driver (or our own van) took the
  parcel at the fulfilment centre.  delivered_at: at the door, or in the locker.
* origin_lat/lon: the fulfilment centre (exact coordinates); dest: the customer (or the locker
  bank near them), a jittered point around a suburb / city centre.
* weight_kg: two decimals.  dest_city: Sydney suburb name or regional city name.
* slot_start: for kind `slot` only, the booked 2-hour slot's start (slot end = start + 2 h);
  empty otherwise.  notes: ';'-joined tags of the order's local creation day
  (holiday:<name>, sale:click_frenzy, sale:black_friday_week, sale:black_friday,
  sale:black_friday_weekend, sale:cyber_monday, sale:boxing_day, sale:boxing_day_week,
  sale:eofy, christmas_rush, last_day_to_post:parcel_post, last_day_to_post:express,
  weather:storm, weather:smoke, weather:east_coast_low, dst:start, dst:end); empty if none.
* order_id: AU + 8 digits, numbered in creation order over the written orders.
* Split: the simulated window is --days days from --start (default 546 days = 78 weeks from
  2025-03-03).  train.csv = orders whose local creation date is in the first round(2N/3) days
  (364 = 52 weeks by default), test.csv = the rest.  Orders of a 10-day warm-up before --start
  are simulated (they load the queues) but not written.  Rows in each file are sorted by
  created_at plus N(0, 1.5 h) noise, i.e. roughly in creation order with a few hours' jitter.

Carriers / services (carrier, service = kind)
---------------------------------------------
    own_fleet       slot       grocery home delivery in a customer-booked 2-hour slot
    own_fleet       same_day   metro general merchandise, cut-off 13:00
    auspost         standard   Australia Post Parcel Post
    auspost         next_day   Australia Post Express Post
    sendle          standard   Sendle, driver pickups Mon-Fri
    couriersplease  standard   CouriersPlease
    parcel_lockers  locker     a 24/7 parcel-locker network

Geography
---------
Fulfilment centres: Moorebank FC (-33.9375, 150.9350) and Eastern Creek FC (-33.8030, 150.8510).
Both pick general merchandise (GM) and both run a grocery operation.  Destinations:

* Greater Sydney, 21 suburbs with weights: Sydney CBD .08, Parramatta .08, Penrith .06,
  Liverpool .07, Chatswood .06, Bondi .05, Sutherland .05, Blacktown .07, Campbelltown .06,
  Hornsby .05, Castle Hill .05, Bankstown .06, Manly .03, Randwick .05, Hurstville .05, Ryde .05,
  Strathfield .04, Newtown .04, Cronulla .02, Mona Vale .02, Katoomba .01.  Point = centre +
  N(0, 0.015 deg lat, 0.018 deg lon).  North/west suburbs (Parramatta, Penrith, Chatswood,
  Blacktown, Hornsby, Castle Hill, Manly, Ryde, Mona Vale, Katoomba) belong to Eastern Creek,
  the rest to Moorebank.
* Regional / interstate (GM only), shares among non-Sydney GM orders: Newcastle .20,
  Wollongong .15, Canberra .15, Central Coast .15, Brisbane .12, Melbourne .15, Gold Coast .08;
  point = centre + N(0, 0.04 deg).  Newcastle, Central Coast, Brisbane, Gold Coast ship from
  Eastern Creek; Wollongong, Canberra, Melbourne from Moorebank.
* Grocery orders all go to Greater Sydney, from the suburb's own FC.  GM orders: 78 % Greater
  Sydney, 22 % regional; 12 % of GM orders ship from the other FC (stock location).  Overall
  about 85 % of orders go to Greater Sydney.
* Road distance = great-circle distance x 1.25 (metro) or x 1.2 (line-haul).  Carrier hubs:
  Australia Post Chullora (-33.893, 151.056), CouriersPlease Chullora (-33.899, 151.048),
  Sendle partner depot Mascot (-33.926, 151.190), locker hub Silverwater (-33.834, 151.047).

Calendar
--------
* holidays.country_holidays('AU', subdiv='NSW') for everything done in Sydney (FC closed only on
  Christmas Day; carriers do not pick up, sort or run line-haul on NSW public holidays, including
  Easter Saturday/Sunday).  The last-mile (and destination-sort) waves of a regional city follow
  that city's state calendar: ACT for Canberra, QLD for Brisbane/Gold Coast, VIC for Melbourne
  (e.g. Melbourne Cup Day), NSW otherwise.  Queensland waves are timed in Brisbane local time
  (no daylight saving, so in the Sydney-time output they sit one hour later in summer).
* Own fleet (slot and same_day) does not operate on Christmas Day and Good Friday.  The locker
  network runs every day except Christmas Day.
* Peak season: from 10 Nov to 23 Dec every carrier and FC stage has 15 % extra capacity
  (casual staff), on top of the planned capacity below.
* Daylight saving: every wave is defined on the local wall clock (Sydney, or Brisbane for QLD).
  A wave timed inside the skipped hour (02:00-03:00 on the first Sunday of October; the locker
  hub's 02:30 sort) runs at 03:30 AEDT; one inside the repeated hour (first Sunday of April) runs
  at its first occurrence (+11:00).  The DST-start day has 23 hours of demand, the DST-end day 25.

Demand
------
Two streams, each a non-homogeneous Poisson process sampled in 15-minute bins of real time,
the rate of a bin set by the bin's local date and local hour:
    rate(day, hour) = base x growth x weekday x month x event(day, hour) x hour_profile(hour)
* base: GM 480/day, grocery 220/day (about 700 orders/day at the start).
* growth: 1.10 ** (days since --start / 365.25)  (10 % a year; negative in the warm-up).
* weekday (Mon..Sun): GM 1.12 1.08 1.03 1.00 0.93 0.86 0.98; grocery 1.10 1.00 0.95 0.95 0.95
  0.97 1.08 (both normalised to mean 1).
* month (Jan..Dec): GM .90 .93 .97 .96 1.00 1.04 .99 .98 1.00 1.03 1.10 1.12;
  grocery .96 .98 1 1 1 1 1 1 1 1 1.02 1.06.
* hour profile (local hour 0..23): GM .30 .18 .10 .07 .06 .09 .22 .45 .70 .90 1.00 1.05 1.15
  1.10 1.00 .98 1.00 1.05 1.20 1.40 1.50 1.35 1.00 .60;  grocery .20 .10 .05 .04 .05 .12 .35 .65
  .95 1.10 1.10 1.05 1.05 .95 .90 .90 .95 1.05 1.15 1.30 1.35 1.20 .85 .45.
* events (GM multipliers unless said):
  - Click Frenzy, second Tuesday of November: Tuesday from 19:00 x2.8, Wednesday x1.9,
    Thursday x1.5.
  - Black Friday = day after the 4th Thursday of November: Mon-Thu before x1.3, Friday x2.6,
    Saturday x1.9, Sunday x1.7, Cyber Monday x2.2.
  - Christmas run-up 1-17 Dec x1.22 (christmas_rush); last day to post: Parcel Post (and the
    other standard services) 17 Dec, Express 20 Dec; 18-23 Dec x1.05; 24 Dec x0.8; 25 Dec x0.45;
    Boxing Day sales 26 Dec x2.1, 27-31 Dec x1.35; 1 Jan x0.7.
  - EOFY sales 15-29 June x1.2, 30 June x1.45.
  - Other NSW public holidays (incl. Easter Saturday/Sunday) GM x0.85, grocery x0.9; Good
    Friday GM x0.85.
  - Grocery: 18-23 Dec x1.3, 24 Dec x1.15, 25 Dec x0.5, 26 Dec x0.8, Thursday before Good
    Friday x1.3, Good Friday x0.7.  East-coast-low days: grocery x1.12, GM x0.95.
* Weights: GM log-normal, median 1.5 kg, sigma 0.85, clipped to [0.05, 30]; grocery log-normal
  median 9 kg, sigma 0.32, clipped to [2, 30] (mostly 5-15 kg).

Service choice (GM)
-------------------
Shares (same_day, auspost standard, auspost next_day, sendle, couriersplease, locker):
* Greater Sydney (not Katoomba): .13 .30 .11 .11 .17 .13 if created by 13:00 on an own-fleet
  day, else same_day .025 (it then goes on the next operating day's run).
* Katoomba and regional cities: no same_day; .42 .14 .14 .18 .12 for the others.
* 18-24 Dec (after the standard services' last day to post): standard services x0.45,
  express x1.8, same_day x2.0, locker x1.2; 21-24 Dec express x0.6 instead of x1.8.
* Parcels over 20 kg: no locker, express x0.5; over 10 kg: same_day x0.7.  Renormalised.

Queues (every stage)
--------------------
Every stage is a queue served FIFO (by arrival at that stage) in timed waves.  An item is
eligible for a wave if it arrived at or before the wave time; a wave takes at most its capacity;
the rest waits for the next wave.  Capacity of a wave is planned from volume:
    planned = mean of the arrivals (count since the previous wave) of the last 4 waves with the
              same weekday and time of day (the first 4 weeks use the average of the first 4
              such waves inside the order-creation window),
    capacity = ceil(mult x (headroom x planned + 1.5 sqrt(planned) + 1)),
where mult = peak season 1.15 x the disruptions below.  Holidays (no wave), Monday
accumulation and sales therefore create backlogs that drain over the following waves.
Times below are local wall clock; U(a,b) uniform.

* FC picking (each FC, two lanes: priority = same_day + express, standard = the rest): hourly
  waves 06:00-23:00 every day but Christmas Day; headroom 1.4 (priority) / 1.25; ready for the
  dock at wave + U(15,55) min.  Release into picking = created + U(2,15) min; same_day orders
  after 13:00 (or on a non-operating day) are released at 06:00 of the next own-fleet day.
  East-coast low: x0.85.
* own_fleet same_day: vans at 14:00 and 15:30 on own-fleet days from each FC (item eligible
  10 min after it is ready), headroom 1.25, mult x the Sydney last-mile weather factor.
  handed_over = wave + U(0,15) min; delivered = handed_over + road km / 35 km/h + U(0,4.5) h
  (+U(0,1.5) h on east-coast-low days).
* Pickup at the FC dock (per carrier per FC; item eligible 15 min after ready; handed_over =
  wave + loading time; headroom; east-coast low x0.8):
    auspost standard  Mon-Fri 16:00                    1.30  load U(0,20) min
    auspost express   Mon-Fri 16:00, 19:30              1.35  U(0,20) min
    sendle            Mon-Fri 13:00 driver window       1.20  U(0,240) min (13:00-17:00)
    couriersplease    Mon-Fri 17:30                     1.25  U(0,25) min
    parcel_lockers    daily 10:00, 19:00               1.30  U(0,15) min
  (Mon-Fri = NSW business days.)
* Sydney hub sort (arrival = handed_over + drive; sorted = wave + sort duration; ECL x0.8):
    auspost standard  Mon-Fri 10:00 (standard parcels wait for the day sort)  drive U(35,70)
                      min, duration U(60,150) min, headroom 1.25
    auspost express   Mon-Fri 20:30, 22:30; U(35,70), U(30,90), 1.30
    sendle (Mascot)   Mon-Fri 21:00; U(30,75), U(60,180), 1.15
    couriersplease    Mon-Fri 20:00 and 02:00 the morning after a business day; U(35,70),
                      U(60,120), 1.25
    parcel_lockers    daily 02:30 and 13:30; U(30,60), U(45,90), 1.25
* Greater Sydney: sorted -> delivery centre after U(60,120) min (express U(45,90), Sendle
  U(60,150), lockers U(0,15)), then the last mile.
* Regional: line-haul queue per carrier per city, departures (headroom):
    auspost standard Mon-Sat 20:00 road 70 km/h (1.30); express 00:30 after each NSW
    business day (i.e. Tue-Sat early morning), by air to
    Brisbane / Gold Coast / Melbourne (1.5 h flight + U(1.5,2.5) h handling), else road 75 km/h
    (1.35); sendle Mon-Fri 23:30 road 65 km/h (1.20); couriersplease Mon-Fri 22:30 road 70 km/h
    (1.25); lockers daily 21:00 road 65 km/h (1.30).  Road transit = km / speed x
    lognormal(0, 0.08) + U(0.3,1.0) h; departures on east-coast-low days +U(2,6) h (air +U(0,3)).
  Then a destination sort (destination state business days unless said; headroom 1.25,
  duration): auspost standard 22:00 U(90,180) min; express 05:30 U(45,90); sendle 06:00
  U(90,180) (headroom 1.15); couriersplease 05:00 U(60,120); lockers daily 04:00, 12:00
  U(30,60).
* Last mile (per carrier per destination city; destination state calendar; headroom; mult x
  weather; delivered = van wave + route offset):
    auspost standard  Mon-Fri 08:00      1.20  U(0.5,8.5) h   failed first attempt 3 %
    auspost express   07:30 Mon-Sat in Sydney, Mon-Fri regional  1.25  U(0.4,6.5) h  1.5 %
    sendle            Mon-Fri 08:30      1.10  U(0.5,9.0) h   4 %
    couriersplease    Mon-Fri 07:45      1.15  U(0.5,9.0) h   3 %
    parcel_lockers    daily 06:00, 15:00 1.20  U(0.3,3.0) h   1 % (bank full, next run)
  A failed attempt is delivered on the next wave of the same van schedule (no capacity used).

own_fleet slot (groceries)
--------------------------
* Slots 07-09, 16-18, 18-20, 20-22 every own-fleet day, per FC.  Booking cut-off: 22:00 the day
  before for the 07-09 slot, slot start - 4 h for the others.
* The customer prefers day offset 0..6 (from the local creation date) with probabilities
  .30 .38 .14 .08 .05 .03 .02 and slot 07/16/18/20 with .14 .22 .38 .26; a preference already
  past its cut-off moves to the first bookable slot.  Orders are booked in creation order; if
  the wanted slot is full the customer takes the next slot (chronologically) with room.
* Slot capacity per FC = ceil(mult x (1.12 x planned + 1.5 sqrt(planned) + 1)), planned = mean of
  the unconstrained requests for the same slot 7, 14, 21, 28 days earlier (the first 4 weeks use
  the average of their first four same-weekday days inside the creation window); mult = 0 on
  Christmas Day and Good Friday, 0.6 on east-coast-low days, 0.9 on storm days, 1.1 from 18 to
  24 Dec.  Slot picking/packing is not a separate queue: the slot capacity is the constraint.
* handed_over = slot start - (road km from the FC / 30 km/h + 10 min) - U(10,30) min (van
  departs the FC).  delivered inside the slot (start + 120 min x Beta(1.3,1.3)) unless late:
  late probability 3.2 % normally, 7 % smoke, 12 % storm, 10 % on 24 Dec, 35 % east-coast low;
  late by Exp(mean 15 min) clipped to [1, 60] min after the slot end (ECL: mean 30, up to
  100 min).  About 96 % inside the slot overall.

Weather (drawn per day from the seed)
-------------------------------------
* Summer storms: probability per day .08 in Dec-Feb, .035 in Nov and Mar.  Sydney last-mile
  and same_day capacity x U(0.70,0.85).
* Bushfire smoke: in Nov (.01/day) and Dec-Feb (.025/day) a smoky spell of 2-4 days starts;
  Sydney, Newcastle, Wollongong and Central Coast last mile x0.93.
* East-coast low: each calendar year one event starting between 1 May and 31 Jul with
  probability .9, and one between 10 Feb and 20 Apr with probability .4; 1-3 days (p .3/.4/.3).
  Last mile in Sydney, Newcastle, Wollongong and Central Coast x U(0.4,0.7) per day (30-60 %
  lost), pickups and hub sorts x0.8, FC picking x0.85, slow line-haul, late slots.

CLI
---
--out DIR (required), --seed N (default 0; one numpy Generator, fully deterministic),
--days N (default 546), --start YYYY-MM-DD (default 2025-03-03), --quiet.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np

SYD = ZoneInfo("Australia/Sydney")
BNE = ZoneInfo("Australia/Brisbane")
EPOCH = date(1970, 1, 1)
H = 3600.0
MIN = 60.0
DAY = 86400.0
WARMUP_DAYS = 10
DRAIN_DAYS = 80

FCS = [("Moorebank FC", -33.9375, 150.9350), ("Eastern Creek FC", -33.8030, 150.8510)]
HUB_AUSPOST = (-33.893, 151.056)
HUB_CP = (-33.899, 151.048)
HUB_SENDLE = (-33.926, 151.190)
HUB_LOCKER = (-33.834, 151.047)

SUBURBS = [  # name, lat, lon, weight, fc
    ("Sydney CBD", -33.8688, 151.2093, 0.08, 0),
    ("Parramatta", -33.8150, 151.0011, 0.08, 1),
    ("Penrith", -33.7507, 150.6877, 0.06, 1),
    ("Liverpool", -33.9200, 150.9230, 0.07, 0),
    ("Chatswood", -33.7969, 151.1803, 0.06, 1),
    ("Bondi", -33.8915, 151.2767, 0.05, 0),
    ("Sutherland", -34.0310, 151.0570, 0.05, 0),
    ("Blacktown", -33.7710, 150.9063, 0.07, 1),
    ("Campbelltown", -34.0650, 150.8140, 0.06, 0),
    ("Hornsby", -33.7025, 151.0990, 0.05, 1),
    ("Castle Hill", -33.7310, 151.0040, 0.05, 1),
    ("Bankstown", -33.9170, 151.0350, 0.06, 0),
    ("Manly", -33.7970, 151.2850, 0.03, 1),
    ("Randwick", -33.9140, 151.2410, 0.05, 0),
    ("Hurstville", -33.9670, 151.1010, 0.05, 0),
    ("Ryde", -33.8150, 151.1030, 0.05, 1),
    ("Strathfield", -33.8720, 151.0940, 0.04, 0),
    ("Newtown", -33.8980, 151.1790, 0.04, 0),
    ("Cronulla", -34.0580, 151.1520, 0.02, 0),
    ("Mona Vale", -33.6770, 151.3030, 0.02, 1),
    ("Katoomba", -33.7140, 150.3120, 0.01, 1),
]
KATOOMBA = len(SUBURBS) - 1

# region index 0 = Greater Sydney; 1.. = regional cities
REGIONS = [  # key, name, lat, lon, share among regional GM, state, tz key, fc
    ("sydney", "Sydney", -33.8688, 151.2093, 0.0, "NSW", "syd", -1),
    ("newcastle", "Newcastle", -32.9283, 151.7817, 0.20, "NSW", "syd", 1),
    ("wollongong", "Wollongong", -34.4278, 150.8931, 0.15, "NSW", "syd", 0),
    ("canberra", "Canberra", -35.2809, 149.1300, 0.15, "ACT", "syd", 0),
    ("central_coast", "Central Coast", -33.4250, 151.3420, 0.15, "NSW", "syd", 1),
    ("brisbane", "Brisbane", -27.4698, 153.0251, 0.12, "QLD", "bne", 1),
    ("melbourne", "Melbourne", -37.8136, 144.9631, 0.15, "VIC", "syd", 0),
    ("gold_coast", "Gold Coast", -28.0167, 153.4000, 0.08, "QLD", "bne", 1),
]
NREG = len(REGIONS)
ECL_REGIONS = [0, 1, 2, 4]  # Sydney, Newcastle, Wollongong, Central Coast

SERVICES = [  # carrier, service(kind)
    ("own_fleet", "slot"),
    ("own_fleet", "same_day"),
    ("auspost", "standard"),
    ("auspost", "next_day"),
    ("sendle", "standard"),
    ("couriersplease", "standard"),
    ("parcel_lockers", "locker"),
]
SLOT, SAME, AP_STD, AP_EXP, SENDLE, CP, LOCKER = range(7)

GM_WEEKDAY = np.array([1.12, 1.08, 1.03, 1.00, 0.93, 0.86, 0.98])
GR_WEEKDAY = np.array([1.10, 1.00, 0.95, 0.95, 0.95, 0.97, 1.08])
GM_WEEKDAY = GM_WEEKDAY / GM_WEEKDAY.mean()
GR_WEEKDAY = GR_WEEKDAY / GR_WEEKDAY.mean()
GM_MONTH = np.array([0.90, 0.93, 0.97, 0.96, 1.00, 1.04, 0.99, 0.98, 1.00, 1.03, 1.10, 1.12])
GR_MONTH = np.array([0.96, 0.98, 1, 1, 1, 1, 1, 1, 1, 1, 1.02, 1.06])
GM_HOUR = np.array([.30, .18, .10, .07, .06, .09, .22, .45, .70, .90, 1.00, 1.05, 1.15, 1.10,
                    1.00, .98, 1.00, 1.05, 1.20, 1.40, 1.50, 1.35, 1.00, .60])
GR_HOUR = np.array([.20, .10, .05, .04, .05, .12, .35, .65, .95, 1.10, 1.10, 1.05, 1.05, .95,
                    .90, .90, .95, 1.05, 1.15, 1.30, 1.35, 1.20, .85, .45])
GM_BASE = 480.0
GR_BASE = 220.0

SLOT_HOURS = [7, 16, 18, 20]


# ----------------------------------------------------------------------------------------------
# time
# ----------------------------------------------------------------------------------------------
class Clock:
    """Local calendar days (index 0 = first simulated day) and Sydney/Brisbane offsets."""

    def __init__(self, first: date, ndays: int):
        self.first = first
        self.n = ndays
        self.dates = [first + timedelta(days=i) for i in range(ndays)]
        self.naive = np.array([(d - EPOCH).days * DAY for d in self.dates])
        self.off = {}
        for key, tz in (("syd", SYD), ("bne", BNE)):
            self.off[key] = np.array(
                [[datetime(d.year, d.month, d.day, h, tzinfo=tz).utcoffset().total_seconds()
                  for h in range(24)] for d in self.dates])
        self.t0 = self.naive[0] - 2 * DAY  # aligned to a UTC hour
        nh = int((self.naive[-1] + 3 * DAY - self.t0) // H)
        self.hour_off = np.array([datetime.fromtimestamp(self.t0 + i * H, SYD).utcoffset().total_seconds()
                                  for i in range(nh)])
        self.weekday = np.array([d.weekday() for d in self.dates])
        self.month = np.array([d.month for d in self.dates])
        self.mday = np.array([d.day for d in self.dates])

    def utc(self, day, h, m=0, tz="syd"):
        day = np.asarray(day)
        return self.naive[day] + h * H + m * MIN - self.off[tz][day, h]

    def offset(self, t):
        i = ((np.asarray(t, dtype=float) - self.t0) // H).astype(np.int64)
        if np.any(i < 0) or np.any(i >= len(self.hour_off)):
            raise RuntimeError("time outside the simulated calendar")
        return self.hour_off[i]

    def local_day(self, t):
        return np.floor((t + self.offset(t) - self.naive[0]) / DAY).astype(np.int64)

    def local_hours(self, t):
        return ((t + self.offset(t) - self.naive[0]) % DAY) / H

    def day_index(self, d: date):
        return (d - self.first).days

    def iso(self, t):
        ti = np.round(np.asarray(t, dtype=float)).astype(np.int64)
        off = self.offset(ti).astype(np.int64)
        s = np.datetime_as_string((ti + off).astype("datetime64[s]"), unit="s")
        return np.char.add(s.astype("U19"), np.where(off == 39600, "+11:00", "+10:00"))


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    dp = p2 - p1
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


# ----------------------------------------------------------------------------------------------
# calendar, events, weather
# ----------------------------------------------------------------------------------------------
class Calendar:
    def __init__(self, clock: Clock, start_idx: int, rng: np.random.Generator):
        c = clock
        n = c.n
        years = list(range(c.dates[0].year, c.dates[-1].year + 1))
        self.hol = {}
        hol_objs = {}
        for st in ("NSW", "ACT", "QLD", "VIC"):
            hol_objs[st] = holidays.country_holidays("AU", subdiv=st, years=years)
            self.hol[st] = np.array([d in hol_objs[st] for d in c.dates])
        self.tags = [[] for _ in range(n)]
        for i, d in enumerate(c.dates):
            name = hol_objs["NSW"].get(d)
            if name:
                self.tags[i].append("holiday:" + name.replace(";", "/").replace(",", ""))
            o0, o23 = c.off["syd"][i, 0], c.off["syd"][i, 23]
            if o23 > o0:
                self.tags[i].append("dst:start")
            elif o23 < o0:
                self.tags[i].append("dst:end")
        wd = c.weekday
        self.dec25 = (c.month == 12) & (c.mday == 25)
        self.good_friday = np.array([hol_objs["NSW"].get(d) == "Good Friday" for d in c.dates])
        self.nsw_bus = (wd < 5) & ~self.hol["NSW"]
        self.nsw_monsat = (wd < 6) & ~self.hol["NSW"]
        self.after_nsw_bus = np.concatenate([[False], self.nsw_bus[:-1]])
        self.fc_open = ~self.dec25
        self.own_op = ~(self.dec25 | self.good_friday)
        self.locker_op = ~self.dec25
        self.peak = np.where(((c.month == 11) & (c.mday >= 10)) | ((c.month == 12) & (c.mday <= 23)),
                             1.15, 1.0)
        nxt = np.full(n, n - 1)
        nx = n - 1
        for i in range(n - 1, -1, -1):
            nxt[i] = nx
            if self.own_op[i]:
                nx = i
        self.next_own_op = nxt

        # demand multipliers per day x local hour
        self.ev_gm = np.ones((n, 24))
        self.ev_gr = np.ones((n, 24))
        self.post_ldtp = np.zeros(n, bool)      # 18-24 Dec
        self.post_ldtp_exp = np.zeros(n, bool)  # 21-24 Dec

        def idx(d):
            i = c.day_index(d)
            return i if 0 <= i < n else None

        def mul(arr, d, f, tag=None, hours=slice(None)):
            i = idx(d)
            if i is None:
                return
            arr[i, hours] *= f
            if tag and tag not in self.tags[i]:
                self.tags[i].append(tag)

        special = set()
        for y in years:
            # Click Frenzy: second Tuesday of November
            first = date(y, 11, 1)
            cf = first + timedelta(days=(1 - first.weekday()) % 7 + 7)
            mul(self.ev_gm, cf, 2.8, "sale:click_frenzy", slice(19, 24))
            mul(self.ev_gm, cf + timedelta(1), 1.9, "sale:click_frenzy")
            mul(self.ev_gm, cf + timedelta(2), 1.5, "sale:click_frenzy")
            # Black Friday
            thu = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
            bf = thu + timedelta(1)
            for k in range(4, 0, -1):
                mul(self.ev_gm, bf - timedelta(k), 1.3, "sale:black_friday_week")
            mul(self.ev_gm, bf, 2.6, "sale:black_friday")
            mul(self.ev_gm, bf + timedelta(1), 1.9, "sale:black_friday_weekend")
            mul(self.ev_gm, bf + timedelta(2), 1.7, "sale:black_friday_weekend")
            mul(self.ev_gm, bf + timedelta(3), 2.2, "sale:cyber_monday")
            # Christmas
            for dd in range(1, 18):
                mul(self.ev_gm, date(y, 12, dd), 1.22, "christmas_rush")
            for dd in range(18, 24):
                mul(self.ev_gm, date(y, 12, dd), 1.05)
                mul(self.ev_gr, date(y, 12, dd), 1.3)
            i = idx(date(y, 12, 17))
            if i is not None:
                self.tags[i].append("last_day_to_post:parcel_post")
            i = idx(date(y, 12, 20))
            if i is not None:
                self.tags[i].append("last_day_to_post:express")
            for dd in range(18, 25):
                i = idx(date(y, 12, dd))
                if i is not None:
                    self.post_ldtp[i] = True
                    self.post_ldtp_exp[i] = dd >= 21
            mul(self.ev_gm, date(y, 12, 24), 0.8)
            mul(self.ev_gr, date(y, 12, 24), 1.15)
            mul(self.ev_gm, date(y, 12, 25), 0.45)
            mul(self.ev_gr, date(y, 12, 25), 0.5)
            mul(self.ev_gm, date(y, 12, 26), 2.1, "sale:boxing_day")
            mul(self.ev_gr, date(y, 12, 26), 0.8)
            for dd in range(27, 32):
                mul(self.ev_gm, date(y, 12, dd), 1.35, "sale:boxing_day_week")
            mul(self.ev_gm, date(y, 1, 1), 0.7)
            special.update({date(y, 12, 25), date(y, 12, 26), date(y, 1, 1)})
            # EOFY
            for dd in range(15, 30):
                mul(self.ev_gm, date(y, 6, dd), 1.2, "sale:eofy")
            mul(self.ev_gm, date(y, 6, 30), 1.45, "sale:eofy")
        for i, d in enumerate(c.dates):
            if self.good_friday[i]:
                self.ev_gr[i] *= 0.7
                self.ev_gm[i] *= 0.85
                if i >= 1:
                    self.ev_gr[i - 1] *= 1.3
                special.add(d)
            if self.hol["NSW"][i] and d not in special:
                self.ev_gm[i] *= 0.85
                self.ev_gr[i] *= 0.9

        # weather
        m = c.month
        p_storm = np.where(np.isin(m, [12, 1, 2]), 0.08, np.where(np.isin(m, [11, 3]), 0.035, 0.0))
        self.storm = rng.random(n) < p_storm
        self.smoke = np.zeros(n, bool)
        p_smoke = np.where(np.isin(m, [12, 1, 2]), 0.025, np.where(m == 11, 0.01, 0.0))
        starts = rng.random(n) < p_smoke
        lens = rng.integers(2, 5, n)
        for i in np.nonzero(starts)[0]:
            self.smoke[i:i + lens[i]] = True
        self.ecl = np.zeros(n, bool)
        for y in years:
            for lo, hi, p in ((date(y, 5, 1), date(y, 7, 31), 0.9), (date(y, 2, 10), date(y, 4, 20), 0.4)):
                go = rng.random() < p
                off = int(rng.integers(0, (hi - lo).days + 1))
                dur = int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
                if not go:
                    continue
                for k in range(dur):
                    i = idx(lo + timedelta(days=off + k))
                    if i is not None:
                        self.ecl[i] = True
        self.lm_mult = np.ones((n, NREG))
        self.lm_mult[:, 0] = np.where(self.storm, rng.uniform(0.70, 0.85, n), 1.0)
        for r in ECL_REGIONS:
            self.lm_mult[:, r] *= np.where(self.smoke, 0.93, 1.0)
            self.lm_mult[:, r] *= np.where(self.ecl, rng.uniform(0.4, 0.7, n), 1.0)
        self.ops_mult = np.where(self.ecl, 0.8, 1.0)
        self.pick_mult = np.where(self.ecl, 0.85, 1.0)
        for i in range(n):
            if self.storm[i]:
                self.tags[i].append("weather:storm")
            if self.smoke[i]:
                self.tags[i].append("weather:smoke")
            if self.ecl[i]:
                self.tags[i].append("weather:east_coast_low")
                self.ev_gr[i] *= 1.12
                self.ev_gm[i] *= 0.95

    def mask(self, name, state="NSW"):
        wd = CLOCK.weekday
        if name == "nsw_bus":
            return self.nsw_bus
        if name == "nsw_monsat":
            return self.nsw_monsat
        if name == "after_nsw_bus":
            return self.after_nsw_bus
        if name == "fc_open":
            return self.fc_open
        if name == "own_op":
            return self.own_op
        if name == "locker_op":
            return self.locker_op
        if name == "bus":
            return (wd < 5) & ~self.hol[state]
        if name == "monsat":
            return (wd < 6) & ~self.hol[state]
        raise KeyError(name)


CLOCK: Clock = None  # set in simulate()
CAL: Calendar = None
T_END = np.inf  # end of the order-creation window (UTC seconds)
_SCHED_CACHE: dict = {}


def schedule(parts, state="NSW", tz="syd"):
    """parts: tuple of (mask name, ((h, m), ...)).  Returns (times, keys, days) sorted by time."""
    ck = (parts, state, tz)
    if ck in _SCHED_CACHE:
        return _SCHED_CACHE[ck]
    ts, ks, ds = [], [], []
    j = 0
    nslots = sum(len(t) for _, t in parts)
    for mname, times in parts:
        days = np.nonzero(CAL.mask(mname, state))[0]
        for h, m in times:
            ts.append(CLOCK.utc(days, h, m, tz))
            ks.append(CLOCK.weekday[days] * nslots + j)
            ds.append(days)
            j += 1
    t = np.concatenate(ts)
    k = np.concatenate(ks)
    d = np.concatenate(ds)
    o = np.argsort(t, kind="stable")
    res = (t[o], k[o], d[o])
    _SCHED_CACHE[ck] = res
    return res


def plan_capacity(counts, keys, headroom, mult, valid):
    """valid: waves inside the order-creation window (the initial plan only uses those)."""
    planned = np.empty_like(counts)
    overall = counts[valid].mean() if valid.any() else 0.0
    for k in np.unique(keys):
        idx = np.nonzero(keys == k)[0]
        cnt = counts[idx]
        cs = np.concatenate([[0.0], np.cumsum(cnt)])
        j = np.arange(len(cnt))
        lo = np.maximum(j - 4, 0)
        have = j - lo
        first = cnt[valid[idx]][:4]
        init = first.mean() if len(first) else overall
        planned[idx] = (cs[j] - cs[lo] + init * (4 - have)) / 4.0
    return np.ceil(mult * (headroom * planned + 1.5 * np.sqrt(planned) + 1.0)).astype(np.int64)


def fifo_queue(arr, wt, wkey, mult, headroom):
    """Serve arrivals FIFO in timed waves with planned capacities; return wave index per item."""
    n = len(arr)
    if n == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(arr, kind="stable")
    a = arr[order]
    elig = np.searchsorted(a, wt, side="right")
    counts = np.diff(elig, prepend=0).astype(float)
    cap = plan_capacity(counts, wkey, headroom, mult, wt < T_END)
    assigned = np.full(n, -1, np.int64)
    p = 0
    el = elig.tolist()
    cl = cap.tolist()
    for w in range(len(wt)):
        e = el[w]
        if e > p:
            take = min(cl[w], e - p)
            if take > 0:
                assigned[p:p + take] = w
                p += take
                if p >= n:
                    break
    if p < n:
        raise RuntimeError("queue did not drain; increase DRAIN_DAYS")
    out = np.empty(n, np.int64)
    out[order] = assigned
    return out


def run_stage(arr, groups, sched_fn, headroom, mult_fn):
    """Run one queue per group.  Returns (wave time, wave day, group schedule lookup)."""
    wt_out = np.empty(len(arr))
    wd_out = np.empty(len(arr), np.int64)
    for g in np.unique(groups):
        m = groups == g
        wt, wk, wd = sched_fn(int(g))
        mult = mult_fn(int(g), wd)
        w = fifo_queue(arr[m], wt, wk, mult, headroom)
        wt_out[m] = wt[w]
        wd_out[m] = wd[w]
    return wt_out, wd_out


def U(rng, a, b, n):
    return rng.uniform(a, b, n)


# ----------------------------------------------------------------------------------------------
# parcel networks
# ----------------------------------------------------------------------------------------------
NETWORKS = {
    AP_STD: dict(
        pickup=((("nsw_bus", ((16, 0),)),), 1.30, (0, 20)),
        hub=(HUB_AUSPOST, (35, 70), (("nsw_bus", ((10, 0),)),), 1.25, (60, 150)),
        metro_dc=(60, 120),
        linehaul=((("nsw_monsat", ((20, 0),)),), 70.0, 1.30, False),
        dest_sort=((("bus", ((22, 0),)),), 1.25, (90, 180)),
        lastmile=("bus", "bus", ((8, 0),), 1.20, (0.5, 8.5), 0.03),
    ),
    AP_EXP: dict(
        pickup=((("nsw_bus", ((16, 0), (19, 30))),), 1.35, (0, 20)),
        hub=(HUB_AUSPOST, (35, 70), (("nsw_bus", ((20, 30), (22, 30))),), 1.30, (30, 90)),
        metro_dc=(45, 90),
        linehaul=((("after_nsw_bus", ((0, 30),)),), 75.0, 1.35, True),
        dest_sort=((("bus", ((5, 30),)),), 1.25, (45, 90)),
        lastmile=("monsat", "bus", ((7, 30),), 1.25, (0.4, 6.5), 0.015),
    ),
    SENDLE: dict(
        pickup=((("nsw_bus", ((13, 0),)),), 1.20, (0, 240)),
        hub=(HUB_SENDLE, (30, 75), (("nsw_bus", ((21, 0),)),), 1.15, (60, 180)),
        metro_dc=(60, 150),
        linehaul=((("nsw_bus", ((23, 30),)),), 65.0, 1.20, False),
        dest_sort=((("bus", ((6, 0),)),), 1.15, (90, 180)),
        lastmile=("bus", "bus", ((8, 30),), 1.10, (0.5, 9.0), 0.04),
    ),
    CP: dict(
        pickup=((("nsw_bus", ((17, 30),)),), 1.25, (0, 25)),
        hub=(HUB_CP, (35, 70), (("nsw_bus", ((20, 0),)), ("after_nsw_bus", ((2, 0),))), 1.25, (60, 120)),
        metro_dc=(60, 120),
        linehaul=((("nsw_bus", ((22, 30),)),), 70.0, 1.25, False),
        dest_sort=((("bus", ((5, 0),)),), 1.25, (60, 120)),
        lastmile=("bus", "bus", ((7, 45),), 1.15, (0.5, 9.0), 0.03),
    ),
    LOCKER: dict(
        pickup=((("locker_op", ((10, 0), (19, 0))),), 1.30, (0, 15)),
        hub=(HUB_LOCKER, (30, 60), (("locker_op", ((2, 30), (13, 30))),), 1.25, (45, 90)),
        metro_dc=(0, 15),
        linehaul=((("locker_op", ((21, 0),)),), 65.0, 1.30, False),
        dest_sort=((("locker_op", ((4, 0), (12, 0))),), 1.25, (30, 60)),
        lastmile=("locker_op", "locker_op", ((6, 0), (15, 0)), 1.20, (0.3, 3.0), 0.01),
    ),
}


def parcel_network(svc, ready, fc, reg, rng):
    """ready: FC dock-ready times.  Returns (handed_over, delivered)."""
    spec = NETWORKS[svc]
    n = len(ready)
    cal = CAL
    # pickup at the FC dock
    parts, head, load = spec["pickup"]
    wt, wd = run_stage(ready + 15 * MIN, fc, lambda g: schedule(parts),
                       head, lambda g, d: cal.peak[d] * cal.ops_mult[d])
    handed = wt + U(rng, load[0], load[1], n) * MIN
    # Sydney hub sort
    hub, drive, parts, head, dur = spec["hub"]
    arr = handed + U(rng, drive[0], drive[1], n) * MIN
    wt, wd = run_stage(arr, np.zeros(n, np.int64), lambda g: schedule(parts),
                       head, lambda g, d: cal.peak[d] * cal.ops_mult[d])
    sorted_t = wt + U(rng, dur[0], dur[1], n) * MIN
    dc = np.empty(n)
    metro = reg == 0
    a, b = spec["metro_dc"]
    dc[metro] = sorted_t[metro] + U(rng, a, b, int(metro.sum())) * MIN
    # regional: line-haul, destination sort
    rsel = np.nonzero(~metro)[0]
    if len(rsel):
        parts, speed, head, air = spec["linehaul"]
        wt, wd = run_stage(sorted_t[rsel], reg[rsel], lambda g: schedule(parts),
                           head, lambda g, d: cal.peak[d])
        rr = reg[rsel]
        km = np.array([haversine_km(hub[0], hub[1], REGIONS[r][2], REGIONS[r][3]) * 1.2 for r in range(NREG)])[rr]
        k = len(rsel)
        road = km / speed * np.exp(rng.normal(0, 0.08, k)) + U(rng, 0.3, 1.0, k)
        road += np.where(cal.ecl[wd], U(rng, 2, 6, k), 0.0)
        if air:
            fly = 1.5 + U(rng, 1.5, 2.5, k) + np.where(cal.ecl[wd], U(rng, 0, 3, k), 0.0)
            road = np.where(km > 500, fly, road)
        arr = wt + road * H
        parts, head, dur = spec["dest_sort"]
        wt, wd = run_stage(arr, rr,
                           lambda g: schedule(parts, REGIONS[g][5], REGIONS[g][6]),
                           head, lambda g, d: cal.peak[d])
        dc[rsel] = wt + U(rng, dur[0], dur[1], k) * MIN
    # last mile
    m_mask, r_mask, times, head, route, pfail = spec["lastmile"]

    def lm_sched(g):
        mk = m_mask if g == 0 else r_mask
        return schedule(((mk, times),), REGIONS[g][5], REGIONS[g][6])

    wt, wd = run_stage(dc, reg, lm_sched, head,
                       lambda g, d: cal.peak[d] * cal.lm_mult[d, g])
    fail = rng.random(n) < pfail
    for g in np.unique(reg[fail]):
        m = fail & (reg == g)
        st = lm_sched(int(g))[0]
        j = np.searchsorted(st, wt[m] + H)
        wt[m] = st[j]
    delivered = wt + U(rng, route[0], route[1], n) * H
    return handed, delivered


# ----------------------------------------------------------------------------------------------
# simulation
# ----------------------------------------------------------------------------------------------
def sample_arrivals(clock, n_create, base_day, ev, prof, rng):
    t_start = float(clock.utc(0, 0))
    t_end = float(clock.utc(n_create, 0))
    b = np.arange(t_start, t_end, 900.0)
    off = clock.offset(b)
    loc = b + off - clock.naive[0]
    d = (loc // DAY).astype(np.int64)
    h = ((loc % DAY) // H).astype(np.int64)
    lam = base_day[d] * ev[d, h] * prof[h] / (4.0 * prof.sum())
    cnt = rng.poisson(lam)
    return np.repeat(b, cnt) + rng.uniform(0, 900.0, int(cnt.sum()))


def simulate(start: date, n_days: int, seed: int):
    global CLOCK, CAL, T_END
    rng = np.random.default_rng(seed)
    first = start - timedelta(days=WARMUP_DAYS)
    n_create = WARMUP_DAYS + n_days
    n_all = n_create + DRAIN_DAYS
    CLOCK = Clock(first, n_all)
    _SCHED_CACHE.clear()
    T_END = float(CLOCK.utc(n_create, 0))
    CAL = Calendar(CLOCK, WARMUP_DAYS, rng)
    c, cal = CLOCK, CAL

    dd = np.arange(n_all)
    growth = 1.10 ** ((dd - WARMUP_DAYS) / 365.25)
    gm_day = GM_BASE * growth * GM_WEEKDAY[c.weekday] * GM_MONTH[c.month - 1]
    gr_day = GR_BASE * growth * GR_WEEKDAY[c.weekday] * GR_MONTH[c.month - 1]
    t_gm = sample_arrivals(c, n_create, gm_day, cal.ev_gm, GM_HOUR, rng)
    t_gr = sample_arrivals(c, n_create, gr_day, cal.ev_gr, GR_HOUR, rng)
    created = np.concatenate([t_gm, t_gr])
    grocery = np.concatenate([np.zeros(len(t_gm), bool), np.ones(len(t_gr), bool)])
    o = np.argsort(created, kind="stable")
    created, grocery = created[o], grocery[o]
    n = len(created)
    cday = c.local_day(created)
    chour = c.local_hours(created)

    # geography
    sub_w = np.array([s[3] for s in SUBURBS])
    sub_w = sub_w / sub_w.sum()
    reg_w = np.array([r[4] for r in REGIONS])
    reg_w = reg_w / reg_w.sum()
    suburb = rng.choice(len(SUBURBS), n, p=sub_w)
    to_regional = (~grocery) & (rng.random(n) < 0.22)
    reg = np.where(to_regional, rng.choice(NREG, n, p=reg_w), 0)
    suburb = np.where(reg == 0, suburb, -1)
    sub_lat = np.array([s[1] for s in SUBURBS])
    sub_lon = np.array([s[2] for s in SUBURBS])
    sub_fc = np.array([s[4] for s in SUBURBS])
    reg_lat = np.array([r[2] for r in REGIONS])
    reg_lon = np.array([r[3] for r in REGIONS])
    reg_fc = np.array([r[7] for r in REGIONS])
    metro = reg == 0
    jl = rng.normal(0, 1, n)
    jo = rng.normal(0, 1, n)
    dest_lat = np.where(metro, sub_lat[np.maximum(suburb, 0)] + 0.015 * jl, reg_lat[reg] + 0.04 * jl)
    dest_lon = np.where(metro, sub_lon[np.maximum(suburb, 0)] + 0.018 * jo, reg_lon[reg] + 0.04 * jo)
    fc = np.where(metro, sub_fc[np.maximum(suburb, 0)], reg_fc[reg])
    swap = (~grocery) & (rng.random(n) < 0.12)
    fc = np.where(swap, 1 - fc, fc)
    fc_lat = np.array([f[1] for f in FCS])
    fc_lon = np.array([f[2] for f in FCS])
    dest_city = np.where(metro, np.array([s[0] for s in SUBURBS])[np.maximum(suburb, 0)],
                         np.array([r[1] for r in REGIONS])[reg])

    # weights
    weight = np.where(grocery, np.clip(rng.lognormal(np.log(9.0), 0.32, n), 2.0, 30.0),
                      np.clip(rng.lognormal(np.log(1.5), 0.85, n), 0.05, 30.0))
    weight = np.round(weight, 2)

    # service choice
    sd_ok = metro & (suburb != KATOOMBA)
    before_cut = cal.own_op[cday] & (chour <= 13.0)
    P = np.zeros((n, 7))
    P[:, SAME] = np.where(sd_ok, np.where(before_cut, 0.13, 0.025), 0.0)
    P[:, AP_STD] = np.where(sd_ok, 0.30, 0.42)
    P[:, AP_EXP] = np.where(sd_ok, 0.11, 0.14)
    P[:, SENDLE] = np.where(sd_ok, 0.11, 0.14)
    P[:, CP] = np.where(sd_ok, 0.17, 0.18)
    P[:, LOCKER] = np.where(sd_ok, 0.13, 0.12)
    pl = cal.post_ldtp[cday]
    ple = cal.post_ldtp_exp[cday]
    for s in (AP_STD, SENDLE, CP):
        P[:, s] *= np.where(pl, 0.45, 1.0)
    P[:, AP_EXP] *= np.where(ple, 0.6, np.where(pl, 1.8, 1.0))
    P[:, SAME] *= np.where(pl, 2.0, 1.0)
    P[:, LOCKER] *= np.where(pl, 1.2, 1.0)
    P[:, LOCKER] *= np.where(weight > 20, 0.0, 1.0)
    P[:, AP_EXP] *= np.where(weight > 20, 0.5, 1.0)
    P[:, SAME] *= np.where(weight > 10, 0.7, 1.0)
    P = P / P.sum(1, keepdims=True)
    cum = np.cumsum(P, 1)
    svc = (rng.random(n)[:, None] > cum).sum(1)
    svc = np.minimum(svc, 6)
    svc = np.where(grocery, SLOT, svc)

    handed = np.full(n, np.nan)
    delivered = np.full(n, np.nan)
    slot_start = np.full(n, np.nan)

    # ---------------- FC picking (GM) ----------------
    gm = np.nonzero(svc != SLOT)[0]
    release = created[gm] + U(rng, 2, 15, len(gm)) * MIN
    is_sd = svc[gm] == SAME
    late_sd = is_sd & ~before_cut[gm]
    nd = cal.next_own_op[cday[gm]]
    release = np.where(late_sd, np.maximum(release, c.utc(nd, 6, 0)), release)
    lane = np.where(np.isin(svc[gm], [SAME, AP_EXP]), 0, 1)
    pick_parts = (("fc_open", tuple((h, 0) for h in range(6, 24))),)
    grp = fc[gm] * 2 + lane
    wt_pick = np.empty(len(gm))
    for g in (0, 1, 2, 3):
        m = grp == g
        wt, wk, wd = schedule(pick_parts)
        w = fifo_queue(release[m], wt, wk, cal.peak[wd] * cal.pick_mult[wd], 1.4 if g % 2 == 0 else 1.25)
        wt_pick[m] = wt[w]
    ready = np.empty(n)
    ready[gm] = wt_pick + U(rng, 15, 55, len(gm)) * MIN

    # ---------------- own same_day ----------------
    sd = np.nonzero(svc == SAME)[0]
    wt, wd = run_stage(ready[sd] + 10 * MIN, fc[sd], lambda g: schedule((("own_op", ((14, 0), (15, 30))),)),
                       1.25, lambda g, d: cal.peak[d] * cal.lm_mult[d, 0])
    handed[sd] = wt + U(rng, 0, 15, len(sd)) * MIN
    km = haversine_km(fc_lat[fc[sd]], fc_lon[fc[sd]], dest_lat[sd], dest_lon[sd]) * 1.25
    delivered[sd] = (handed[sd] + km / 35.0 * H + U(rng, 0, 4.5, len(sd)) * H
                     + np.where(cal.ecl[wd], U(rng, 0, 1.5, len(sd)), 0.0) * H)

    # ---------------- carrier networks ----------------
    for s in (AP_STD, AP_EXP, SENDLE, CP, LOCKER):
        idx = np.nonzero(svc == s)[0]
        h_, d_ = parcel_network(s, ready[idx], fc[idx], reg[idx], rng)
        handed[idx] = h_
        delivered[idx] = d_

    # ---------------- grocery slots ----------------
    gi = np.nonzero(svc == SLOT)[0]
    ng = len(gi)
    sdays = np.arange(n_all - 1)
    ss = np.stack([c.utc(sdays, h, 0) for h in SLOT_HOURS], 1)  # (days, 4)
    cut = ss - 4 * H
    cut[:, 0] = np.concatenate([[ss[0, 0] - 9 * H], c.utc(sdays[1:] - 1, 22, 0)])
    ss_f = ss.ravel()
    cut_f = cut.ravel()
    nslot = len(ss_f)
    first_ok = np.searchsorted(cut_f, created[gi], side="left")
    koff = rng.choice(7, ng, p=[.30, .38, .14, .08, .05, .03, .02])
    spref = rng.choice(4, ng, p=[.14, .22, .38, .26])
    req = np.maximum((cday[gi] + koff) * 4 + spref, first_ok)
    gfc = fc[gi]
    # planned capacity from unconstrained requests, same slot 7..28 days earlier
    caps = []
    sday = np.arange(nslot) // 4
    smult = np.where(cal.ecl, 0.6, 1.0) * np.where(cal.storm, 0.9, 1.0)
    xmas = (c.month == 12) & (c.mday >= 18) & (c.mday <= 24)
    smult = smult * np.where(xmas, 1.1, 1.0) * np.where(cal.own_op, 1.0, 0.0)
    for f in (0, 1):
        C = np.bincount(req[gfc == f], minlength=nslot)[:nslot].astype(float).reshape(-1, 4)
        nd_ = C.shape[0]
        plan = np.zeros_like(C)
        init_days = np.arange(min(n_create, 28))
        for d in range(nd_):
            if d >= 28:
                plan[d] = C[[d - 7, d - 14, d - 21, d - 28]].mean(0)
            else:
                same = init_days[init_days % 7 == d % 7]
                plan[d] = C[same if len(same) else init_days].mean(0)
        cap = np.ceil(smult[sday].reshape(-1, 4) * (1.12 * plan + 1.5 * np.sqrt(plan) + 1.0))
        caps.append(cap.ravel().astype(np.int64).tolist())
    booked = np.empty(ng, np.int64)
    order = np.argsort(created[gi], kind="stable")
    req_l = req.tolist()
    fc_l = gfc.tolist()
    for i in order.tolist():
        cc = caps[fc_l[i]]
        j = req_l[i]
        while cc[j] <= 0:
            j += 1
        cc[j] -= 1
        booked[i] = j
    st = ss_f[booked]
    bday = booked // 4
    moved = np.zeros(n, bool)
    moved[gi] = booked != req
    slot_start[gi] = st
    km = haversine_km(fc_lat[gfc], fc_lon[gfc], dest_lat[gi], dest_lon[gi]) * 1.25
    handed[gi] = st - (km / 30.0 * H + 10 * MIN) - U(rng, 10, 30, ng) * MIN
    handed[gi] = np.maximum(handed[gi], created[gi] + 20 * MIN)
    p_late = np.full(ng, 0.032)
    p_late = np.where(cal.smoke[bday], 0.07, p_late)
    p_late = np.where((c.month[bday] == 12) & (c.mday[bday] == 24), 0.10, p_late)
    p_late = np.where(cal.storm[bday], 0.12, p_late)
    p_late = np.where(cal.ecl[bday], 0.35, p_late)
    late = rng.random(ng) < p_late
    inside = st + np.clip(120.0 * rng.beta(1.3, 1.3, ng), 0.5, 119.5) * MIN
    ecl_b = cal.ecl[bday]
    late_min = np.where(ecl_b, np.clip(rng.exponential(30.0, ng), 1, 100), np.clip(rng.exponential(15.0, ng), 1, 60))
    delivered[gi] = np.where(late, st + 120 * MIN + late_min * MIN, inside)
    delivered[gi] = np.maximum(delivered[gi], handed[gi] + 5 * MIN)

    return dict(created=created, handed=handed, delivered=delivered, slot_start=slot_start, svc=svc,
                fc=fc, dest_lat=dest_lat, dest_lon=dest_lon, weight=weight, dest_city=dest_city,
                cday=cday, fc_lat=fc_lat, fc_lon=fc_lon, slot_moved=moved)


# ----------------------------------------------------------------------------------------------
# output
# ----------------------------------------------------------------------------------------------
HEADER = ["order_id", "carrier", "service", "origin_lat", "origin_lon", "dest_lat", "dest_lon",
          "created_at", "handed_over_at", "delivered_at", "weight_kg", "dest_city", "slot_start", "notes"]


def write_csv(path, cols, order):
    with open(path, "w", newline="") as fh:
        fh.write(",".join(HEADER) + "\n")
        rows = zip(*[col[order].tolist() for col in cols])
        fh.writelines(",".join(r) + "\n" for r in rows)


def main(argv=None):
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
    c, cal = CLOCK, CAL
    created, handed, delivered = sim["created"], sim["handed"], sim["delivered"]
    assert np.all(np.isfinite(handed)) and np.all(np.isfinite(delivered))
    assert np.all(handed > created) and np.all(delivered > handed)

    day = sim["cday"] - WARMUP_DAYS
    keep = (day >= 0) & (day < n_days)
    idx = np.nonzero(keep)[0]  # already in creation order
    rng = np.random.default_rng([args.seed, 1])
    svc = sim["svc"]
    m = len(idx)
    order_id = np.array([f"AU{i:08d}" for i in range(1, m + 1)])
    carrier = np.array([s[0] for s in SERVICES])[svc[idx]]
    service = np.array([s[1] for s in SERVICES])[svc[idx]]
    fc = sim["fc"][idx]
    f6 = lambda a: np.char.mod("%.6f", a)
    ss = sim["slot_start"][idx]
    slot_str = np.full(m, "", dtype=object)
    has = np.isfinite(ss)
    slot_str[has] = c.iso(ss[has])
    day_notes = np.array([";".join(t) for t in cal.tags], dtype=object)
    cols = [
        order_id.astype(object), carrier.astype(object), service.astype(object),
        f6(sim["fc_lat"][fc]).astype(object), f6(sim["fc_lon"][fc]).astype(object),
        f6(sim["dest_lat"][idx]).astype(object), f6(sim["dest_lon"][idx]).astype(object),
        c.iso(created[idx]).astype(object), c.iso(handed[idx]).astype(object),
        c.iso(delivered[idx]).astype(object),
        np.char.mod("%.2f", sim["weight"][idx]).astype(object),
        sim["dest_city"][idx].astype(object), slot_str, day_notes[sim["cday"][idx]],
    ]
    dk = day[idx]
    jitter = created[idx] + rng.normal(0, 1.5 * H, m)
    os.makedirs(args.out, exist_ok=True)
    splits = {}
    for name, sel in (("train", dk < n_train), ("test", dk >= n_train)):
        pos = np.nonzero(sel)[0]
        pos = pos[np.argsort(jitter[pos], kind="stable")]
        write_csv(os.path.join(args.out, f"{name}.csv"), cols, pos)
        splits[name] = sel
    if args.quiet:
        return
    print(f"wrote {args.out}/train.csv ({int(splits['train'].sum())} rows) and test.csv "
          f"({int(splits['test'].sum())} rows); {n_days} days from {start}, seed {args.seed}, "
          f"{time.time() - t0:.1f}s")
    lead = (delivered[idx] - created[idx]) / H
    sv = svc[idx]
    print(f"{'carrier':15s} {'service':9s} {'train':>7s} {'test':>7s} {'med h':>7s} {'p95 h':>7s}")
    for s, (car, kind) in enumerate(SERVICES):
        ms = sv == s
        if not ms.any():
            print(f"{car:15s} {kind:9s} {0:7d} {0:7d}")
            continue
        print(f"{car:15s} {kind:9s} {int((ms & splits['train']).sum()):7d} {int((ms & splits['test']).sum()):7d} "
              f"{np.median(lead[ms]):7.1f} {np.percentile(lead[ms], 95):7.1f}")
    ms = sv == SLOT
    if ms.any():
        d_ = delivered[idx][ms]
        s_ = sim["slot_start"][idx][ms]
        inside = (d_ >= s_) & (d_ <= s_ + 2 * H)
        moved = sim["slot_moved"][idx][ms]
        print(f"slot deliveries inside their slot: {inside.mean() * 100:.1f}%; "
              f"slot orders moved off a full slot: {moved.mean() * 100:.1f}%")
    counts = np.bincount(dk, minlength=n_days)
    b = int(np.argmax(counts))
    bi = b + WARMUP_DAYS
    print(f"biggest day: {c.dates[bi]} ({c.dates[bi]:%a}) with {counts[b]} orders "
          f"[{';'.join(cal.tags[bi])}]; median day {int(np.median(counts))}")


if __name__ == "__main__":
    main()
