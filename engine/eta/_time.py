"""Vectorised time-zone arithmetic on epoch seconds.

Quoting many orders must not call ``zoneinfo`` once per timestamp, so local
offsets are looked up once per distinct UTC hour (a batch of a month of orders
has at most ~720) and broadcast back.  Every offset the IANA database uses is
a whole number of minutes and changes on the hour for the zones we serve, so
the hour is the right granularity.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from engine.errors import InputError

#: Range of years accepted anywhere in the engine; outside it a time is a typo.
MIN_YEAR, MAX_YEAR = 2000, 2100
MIN_EPOCH = datetime(MIN_YEAR, 1, 1, tzinfo=timezone.utc).timestamp()
MAX_EPOCH = datetime(MAX_YEAR, 1, 1, tzinfo=timezone.utc).timestamp()


def zone_key(name: str, field: str = "tz") -> str:
    """The IANA zone ``name`` as ``zoneinfo`` knows it; an ``InputError`` naming ``field`` when it is none."""
    try:
        return ZoneInfo(name).key
    except Exception:  # noqa: BLE001 - zoneinfo raises several types for a bad key
        raise InputError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)", field=field) from None


@lru_cache(maxsize=1 << 17)
def _hour_offset(tz: ZoneInfo, hour: int) -> int:
    off = datetime.fromtimestamp(hour * 3600, tz).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def utc_offsets(epoch: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Offset of ``tz`` from UTC in seconds at each epoch second (int64 array)."""
    epoch = np.asarray(epoch, dtype=np.float64)
    if epoch.size <= 32:
        # The checkout path quotes one cart: a dict hit per value beats np.unique.
        flat = [_hour_offset(tz, math.floor(x / 3600.0)) for x in epoch.ravel().tolist()]
        return np.array(flat, dtype=np.int64).reshape(epoch.shape)
    hours = np.floor(epoch / 3600.0).astype(np.int64)
    uniq, inv = np.unique(hours, return_inverse=True)
    offs = np.fromiter((_hour_offset(tz, h) for h in uniq.tolist()), dtype=np.int64, count=uniq.shape[0])
    return offs[inv].reshape(epoch.shape)


def utc_offset_one(epoch: float, tz: ZoneInfo) -> int:
    """Scalar :func:`utc_offsets` (the checkout path, where numpy's per-call cost would dominate)."""
    return _hour_offset(tz, math.floor(epoch / 3600.0))


def local_seconds(epoch: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Local wall-clock seconds since 1970-01-01 local midnight (float64)."""
    epoch = np.asarray(epoch, dtype=np.float64)
    return epoch + utc_offsets(epoch, tz)


def local_seconds_one(epoch: float, tz: ZoneInfo) -> float:
    """Scalar :func:`local_seconds`."""
    return epoch + _hour_offset(tz, math.floor(epoch / 3600.0))


def weekday_hour(epoch: np.ndarray, tz: ZoneInfo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local weekday (Mon=0), hour (0-23) and local day number for each epoch second."""
    loc = local_seconds(epoch, tz)
    day = np.floor(loc / 86400.0).astype(np.int64)
    # 1970-01-01 was a Thursday (weekday 3).
    wd = (day + 3) % 7
    hr = ((loc - day * 86400.0) // 3600.0).astype(np.int64)
    return wd, np.clip(hr, 0, 23), day


def weekday_hour_one(epoch: float, tz: ZoneInfo) -> tuple[int, int, int]:
    """Scalar :func:`weekday_hour`."""
    loc = epoch + _hour_offset(tz, math.floor(epoch / 3600.0))
    day = math.floor(loc / 86400.0)
    return (day + 3) % 7, min(max(int((loc - day * 86400.0) // 3600.0), 0), 23), day


def local_to_epoch(local: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Inverse of :func:`local_seconds` (wall-clock seconds -> epoch).

    Two passes settle the offset everywhere except inside the spring-forward
    gap, where the result is shifted by the gap (as ``zoneinfo`` does with fold=0).
    """
    local = np.asarray(local, dtype=np.float64)
    guess = local - utc_offsets(local, tz)
    return local - utc_offsets(guess, tz)


def local_to_epoch_one(local: float, tz: ZoneInfo) -> float:
    """Scalar :func:`local_to_epoch` (the same two passes)."""
    guess = local - _hour_offset(tz, math.floor(local / 3600.0))
    return local - _hour_offset(tz, math.floor(guess / 3600.0))


def _offset_strings(offs: np.ndarray) -> np.ndarray:
    sign = np.where(offs < 0, "-", "+")
    a = np.abs(offs)
    hh = np.char.zfill((a // 3600).astype(str), 2)
    mm = np.char.zfill(((a % 3600) // 60).astype(str), 2)
    return np.char.add(np.char.add(np.char.add(sign, hh), ":"), mm)


def to_iso(epoch: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """ISO-8601 strings with the local offset (``2026-11-11T18:00:00+02:00``)."""
    epoch = np.asarray(epoch, dtype=np.float64)
    offs = utc_offsets(epoch, tz)
    loc = np.round(epoch + offs).astype(np.int64).astype("datetime64[s]")
    body = np.datetime_as_string(loc, unit="s")
    return np.char.add(body, _offset_strings(offs))


def epoch_of(dt: datetime) -> float:
    """Epoch seconds of an aware datetime; a naive one is an error."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise InputError(f"time {dt.isoformat()} has no UTC offset; give it one (e.g. +02:00)")
    ts = dt.timestamp()
    if not (MIN_EPOCH <= ts < MAX_EPOCH):
        raise InputError(f"time {dt.isoformat()} is outside the supported years {MIN_YEAR}-{MAX_YEAR - 1}")
    return ts


def from_epoch(ts: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, tz)


