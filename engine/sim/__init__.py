"""Peak-sale simulation: a digital twin of the delivery day, run on the engine's own code.

``load_scenario`` reads a scenario (``scenarios/*.toml``), ``apply_overrides``
varies it (``{"fleet.van.count": 40}``), and ``run_replication(scenario, r)``
simulates one day of it and returns a ``ReplicationResult``: per-order
outcomes, the fleet over the day, KPIs and timings.  Running many
replications, confidence intervals, the fleet-size search and the report
live in ``runner``, ``aggregate``, ``fleet`` and ``report``.

``engine.sim`` is an edge: it composes every stage and no stage imports it.
Names resolve on first use (PEP 562), so importing the package loads neither
numba nor OR-Tools, and a module that is missing breaks only its own names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    "run_replication": ("engine.sim.day", "run_replication"),
    "load_scenario": ("engine.sim.scenario", "load_scenario"),
    "apply_overrides": ("engine.sim.scenario", "apply_overrides"),
    "Scenario": ("engine.sim.scenario", "Scenario"),
    "ScenarioError": ("engine.errors", "ScenarioError"),
    "ReplicationResult": ("engine.sim.result", "ReplicationResult"),
    "OrderOutcomes": ("engine.sim.result", "OrderOutcomes"),
    # many replications, their statistics, the fleet search and the report (the runner's modules)
    "Runner": ("engine.sim.runner", "Runner"),
    "summarise": ("engine.sim.aggregate", "summarise"),
    "find_fleet": ("engine.sim.fleet", "find_fleet"),
    "FleetSearch": ("engine.sim.fleet", "FleetSearch"),
    "write_report": ("engine.sim.report", "write_report"),
    "write_kpis": ("engine.sim.report", "write_kpis"),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'engine.sim' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from engine.errors import ScenarioError
    from engine.sim.aggregate import summarise
    from engine.sim.day import run_replication
    from engine.sim.fleet import FleetSearch, find_fleet
    from engine.sim.report import write_kpis, write_report
    from engine.sim.result import OrderOutcomes, ReplicationResult
    from engine.sim.runner import Runner
    from engine.sim.scenario import Scenario, apply_overrides, load_scenario
