"""``MonitorParams``: the thresholds and sizes of the live monitor."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import InputError
from engine.eta.route import EtaNoise

__all__ = ["MonitorParams"]


@dataclass(frozen=True, slots=True)
class MonitorParams:
    """How the monitor forecasts and when it warns.

    Parameters
    ----------
    warn_below
        A warning when P(delivered by the promise) falls below this ...
    clear_above
        ... and a ``recovered`` notice only once it is back above this (hysteresis).
    confirm_s
        A minor risk (P between 0.5 and ``warn_below``, p50 still within the
        promise) is warned only once it has lasted this long: a van a few
        minutes behind often catches up, and customers should not hear of
        every wobble.  Major and critical risks are warned at once.
    silent_after_s
        A vehicle with no event for this long puts its orders in ``unknown``.
    future_tolerance_s
        Events stamped further than this past the newest known time are refused.
    samples
        Monte Carlo samples per forecast.
    pace_prior_s
        Planned seconds of "on plan" driving the observed pace is shrunk towards.
    noise
        The route ETA noise.  The day factor is smaller than checkout's: the
        monitor sees each van's pace and is told about weather as incidents.
    rescue
        Propose rescues (moves to a neighbouring vehicle) for at-risk orders.
    auto_apply
        Apply the best proposal at once instead of waiting for ``accept``.
    max_takeovers
        Most orders one van takes over from others in a day (rescues chained
        onto one van delay its own orders).
    neighbour_km
        Vehicles whose remaining stops come this close to an order may take it.
    """

    warn_below: float = 0.8
    clear_above: float = 0.9
    confirm_s: float = 1200.0
    silent_after_s: float = 600.0
    future_tolerance_s: float = 3600.0
    samples: int = 200
    pace_prior_s: float = 600.0
    noise: EtaNoise = field(default_factory=lambda: EtaNoise(sigma_day=0.04, bad_day_p=0.0))
    rescue: bool = True
    auto_apply: bool = False
    neighbour_km: float = 3.0
    max_takeovers: int = 3

    def __post_init__(self) -> None:
        if not 0.0 < self.warn_below <= self.clear_above <= 1.0:
            raise InputError("need 0 < warn_below <= clear_above <= 1", item="monitor", field="warn_below")
        if self.samples < 16:
            raise InputError("samples must be >= 16", item="monitor", field="samples")
        if self.confirm_s < 0:
            raise InputError("confirm_s must be >= 0", item="monitor", field="confirm_s")
        if self.silent_after_s <= 0:
            raise InputError("silent_after_s must be > 0", item="monitor", field="silent_after_s")
