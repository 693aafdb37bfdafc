"""promise-engine: road networks, travel-time matrices, multi-carrier dispatch,
ETA distributions and 95%-on-time delivery promises.

Data flows one way through the stage packages::

    network -> matrix -> dispatch / eta -> promise -> monitor -> tickets -> notify

with ``domain`` (records and enums) under all of them and ``io``, ``store``,
``plot``, ``cli``, ``sim`` and ``api`` as the edges that compose them.

The public API, re-exported here::

    from engine import load_network, travel_times, solve, SolveParams, MaxRuntime, quote, check

Names are resolved on first use (PEP 562), so ``import engine`` (and
``promise --help``) stays fast: numba, OR-Tools and the ETA model load only
when their stage is used.  Each name is the real object, not a wrapper.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    # network
    "RoadNetwork": ("engine.network", "RoadNetwork"),
    "load_network": ("engine.network", "load"),
    "from_arrays": ("engine.network", "from_arrays"),
    # matrix
    "travel_times": ("engine.matrix", "travel_times"),
    "distances": ("engine.matrix", "distances"),
    "travel_times_and_lengths": ("engine.matrix", "travel_times_and_lengths"),
    # domain
    "Problem": ("engine.domain.problem", "Problem"),
    "Order": ("engine.domain.problem", "Order"),
    "Depot": ("engine.domain.problem", "Depot"),
    "VehicleType": ("engine.domain.problem", "VehicleType"),
    "Carrier": ("engine.domain.problem", "Carrier"),
    "TimeWindow": ("engine.domain.problem", "TimeWindow"),
    "Plan": ("engine.domain.plan", "Plan"),
    # dispatch
    "solve": ("engine.dispatch", "solve"),
    "replan": ("engine.dispatch", "replan"),
    "SolveParams": ("engine.dispatch", "SolveParams"),
    "MaxRuntime": ("engine.dispatch", "MaxRuntime"),
    # promise
    "quote": ("engine.promise", "quote"),
    "check": ("engine.promise", "check"),
    "Promise": ("engine.promise", "Promise"),
    # foundation
    "Settings": ("engine.config", "Settings"),
    "EngineError": ("engine.errors", "EngineError"),
    "InputError": ("engine.errors", "InputError"),
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'engine' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # next access skips this hook
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from engine.config import Settings
    from engine.dispatch import MaxRuntime, SolveParams, replan, solve
    from engine.domain.plan import Plan
    from engine.domain.problem import Carrier, Depot, Order, Problem, TimeWindow, VehicleType
    from engine.errors import EngineError, InputError
    from engine.matrix import distances, travel_times, travel_times_and_lengths
    from engine.network import RoadNetwork, from_arrays
    from engine.network import load as load_network
    from engine.promise import Promise, check, quote
