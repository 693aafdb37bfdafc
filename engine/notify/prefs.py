"""When a message may go: quiet hours in the customer's time zone and a per-customer rate limit.

Critical messages (a broken promise, a critical delay) go at once; the rest
wait for the quiet hours to end and for the customer's rolling hour to have
room.  The result is the outbox row's ``not_before``: nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from engine.domain.notification import Customer
from engine.errors import InputError

__all__ = ["in_quiet_hours", "quiet_until", "send_time"]

HOUR = 3600.0


def _zone(c: Customer) -> ZoneInfo:
    try:
        return ZoneInfo(c.timezone)
    except Exception as exc:  # noqa: BLE001 -- ZoneInfo raises several kinds for a bad name
        raise InputError(f"unknown time zone {c.timezone!r}", item="customer", field="timezone") from exc


def in_quiet_hours(c: Customer, t: float) -> bool:
    """Whether ``t`` falls in the customer's quiet hours (local ``[quiet_start, quiet_end)``)."""
    if c.quiet_start == c.quiet_end:
        return False
    h = datetime.fromtimestamp(t, timezone.utc).astimezone(_zone(c)).hour
    if c.quiet_start < c.quiet_end:
        return c.quiet_start <= h < c.quiet_end
    return h >= c.quiet_start or h < c.quiet_end


def quiet_until(c: Customer, t: float) -> float:
    """``t`` itself outside quiet hours, else the next local ``quiet_end:00``."""
    if not in_quiet_hours(c, t):
        return t
    local = datetime.fromtimestamp(t, timezone.utc).astimezone(_zone(c))
    end = local.replace(hour=c.quiet_end, minute=0, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    # Through UTC so a DST change in the night lands on the right instant.
    return max(t, end.astimezone(timezone.utc).timestamp())


def send_time(c: Customer, now: float, *, critical: bool, scheduled: Sequence[float] = ()) -> float:
    """When a new message to ``c`` may be sent.

    Parameters
    ----------
    scheduled
        Due times of the customer's other messages (one per cause) from an hour before ``now`` on.
    """
    if critical:
        return now
    t = quiet_until(c, now)
    times = sorted(scheduled)
    for _ in range(len(times) + 2):  # each round moves past one message: bounded
        window = [x for x in times if t - HOUR < x <= t]
        if len(window) < max(1, c.rate_per_hour):
            return t
        t = quiet_until(c, window[0] + HOUR)
    return t
