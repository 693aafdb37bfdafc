"""The tunables of a solve: ``SolveParams`` (the pipeline) holding ``SearchParams`` (the numba search).

Both are small frozen dataclasses, so one value describes a configuration: a
sweep builds one per point, pickles it to a worker, or reads it from TOML::

    matrix_source = "auto"
    strategies = ["SAVINGS"]
    search_share = 0.8

    [search]
    race_share = 0.2

``SolveParams.from_toml`` reads that (a path or the text itself; a key it does
not know is an ``InputError`` naming it), ``to_toml`` writes every field.
What to stop on is not a tunable: see ``engine.dispatch.stop``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import FormatError, InputError

#: OR-Tools first-solution strategies tried, best kept, when ``strategies="auto"``.
DEFAULT_STRATEGIES: tuple[str, ...] = ("PARALLEL_CHEAPEST_INSERTION", "SAVINGS", "LOCAL_CHEAPEST_INSERTION")
MATRIX_SOURCES = ("auto", "network", "haversine")


def _bad(field_name: str, message: str) -> InputError:
    return InputError(f"params: {field_name}: {message}", item="params", field=field_name)


def _number(obj: object, name: str, prefix: str, *, lo: float, hi: float = math.inf, lo_open: bool = False, whole: bool = False) -> None:
    """Check (and normalise to float / int) the field ``name`` of a frozen dataclass."""
    v = getattr(obj, name)
    where = prefix + name
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _bad(where, f"expected a finite number, got {v!r}")
    if whole and int(v) != v:
        raise _bad(where, f"expected a whole number, got {v!r}")
    if v < lo or (lo_open and v == lo) or v > hi:
        lo_txt = f"> {lo:g}" if lo_open else f">= {lo:g}"
        raise _bad(where, f"must be {lo_txt}" + (f" and <= {hi:g}" if hi < math.inf else "") + f", got {v!r}")
    object.__setattr__(obj, name, int(v) if whole else float(v))


def _flag(obj: object, name: str, prefix: str) -> None:
    v = getattr(obj, name)
    if not isinstance(v, bool):
        raise _bad(prefix + name, f"expected true or false, got {v!r}")


@dataclass(frozen=True)
class SearchParams:
    """Tuning of the numba SISR search (defaults chosen on Solomon subsets at 5-10 s; see benchmarks/vrptw.py).

    Temperatures are relative to the average cost per routed job of the first
    solution, so that they carry over between scaled instances and real
    problems in metres or cost units.
    """

    #: Average number of jobs removed per iteration (SISR's c-bar).
    avg_removed: float = 10.0
    #: Longest string removed from one route (SISR's L_max).
    max_string: int = 10
    #: Probability of a plain string (else a split string).
    split_rate: float = 0.5
    #: Chance to stop growing the kept part of a split string.
    split_depth: float = 0.01
    #: Probability of skipping an insertion position.
    blink: float = 0.01
    #: Share of the iterations in which one ruined route is split in two where the depot
    #: detour adds least, its tail moved to an empty vehicle of its class, before the
    #: recreate (``kernels._open_route``), while routes are long (``open_min_jobs``).
    #: Gehring-Homberger R2 400: -5.30% against -5.02% without; neutral on Solomon's
    #: type-2 classes, C2 200 and the real-road days (RESULTS.md, 2026-11-29 midday).
    open_rate: float = 0.02
    #: ``open_rate`` applies only while the routes in use carry this many jobs or more on
    #: average (checked every iteration, after the ruin).  Splits pay on long routes with
    #: wide windows (R2, RC2: 18-50 jobs a route) and cost on short ones (R1, RC1: about
    #: 10 jobs a route, 0.08 points worse with splits).
    open_min_jobs: float = 15.0
    #: At most this many independent runs one after the other under a time limit, each
    #: cooling over its share of the time; the best is kept (``improve._restarts``; one
    #: thread, no optional jobs racing, not over-full).  As many as the time holds at
    #: ``run_iterations`` x jobs^2 iterations each.  Three (from two): on Gehring-Homberger
    #: R1 and RC1 200 at 60 s, three seeds, -0.264 and -0.248% against -0.221 and -0.166%
    #: (the bad seed's tail gone), all 60 -3.236% against -3.196% (RESULTS.md, 2026-12-01).
    runs: int = 3
    #: Iterations x jobs^2 a run needs for ``runs`` to count it (the pace is read over
    #: ``pace_share`` of the time, at 78-98 thousand iterations a second on Gehring-Homberger
    #: 200 and 45-59 thousand at 400): 200 jobs at 60 s hold three, 400 jobs one.  At 50, R2 200
    #: (99 x jobs^2 in all at 60 s) fell just short of two runs, and the gated set lost the
    #: 0.2 points that two runs had won on R2 and RC2 (RESULTS.md, 2026-11-29 evening).
    run_iterations: float = 30.0
    #: Share of the time over which the first run's pace is read (after as much again to warm up).
    pace_share: float = 0.02
    #: Start / end temperature, times the average cost per job.
    t_start: float = 5.0
    t_end: float = 0.05
    #: Weights of the recreate orders: random, demand, far, close, tight window.
    order_weights: tuple[float, float, float, float, float] = (4.0, 4.0, 2.0, 1.0, 2.0)
    #: Nearest neighbours kept per job for the string removals.
    neighbours: int = 100
    #: Drop penalty every job gets while the second, forced start is built; jobs whose
    #: real penalty is below it get that start (``engine.io.solomon`` uses the same value,
    #: so Solomon instances get none).
    construction_penalty: int = 10**12
    #: Share of the time (or iteration) budget in which the two starts race.
    race_share: float = 0.1
    #: Under an iteration budget (the deterministic stop): iterations without a new best,
    #: per job (at least 5,000), after which the search has converged and the solve
    #: returns early.
    stall_iterations: int = 1000
    #: Under a time limit: the cooling schedule spans at most this many iterations times
    #: the number of jobs squared (at least 5,000), and a search that completes it has
    #: converged (a 2-job day answers in milliseconds, 20 jobs take 60,000 iterations,
    #: Solomon's 100 1.5 million, about what 9 s allow since the kernels got a third
    #: faster; at 100 the schedule ended at 5-8 s of a 10 s limit).  A stall counter cannot say this
    #: under a clock: at the start of the schedule the annealing is hot and often finds
    #: no new best for a second or more (Solomon R205: 0.15 s to 2.2 s) while it still
    #: has far to go.
    cooling_iterations: float = 150.0
    #: Above this many jobs the schedule grows with the cube of the jobs, not the square
    #: (``improve.cooling_limit``): a 200-job search no longer cools 10-30 s before its limit.
    cooling_jobs: int = 100
    #: Nearest jobs each job is tried against by the descent that finishes every search
    #: (``engine.dispatch.search.descent``: relocations, swaps, 2-opt and 2-opt*); 0: no descent.
    descent_neighbours: int = 40
    #: Passes over every job the descent makes at most (it stops at the first without a move).
    descent_passes: int = 50
    #: From this share of the cooling schedule on, the current solution is run through the
    #: descent whenever it is the best found (1: only the final routes).  Below 1 it was not
    #: shown to help: on four Gehring-Homberger 400 instances, two seeds, 30 s, 0 and 0.5 were
    #: within the run-to-run noise of 1 (RESULTS.md, 2026-11-29 evening).
    descent_from: float = 1.0
    #: Nearest jobs the descent tries for each job a recreate re-inserted, inside the search:
    #: every complete recreate is followed by that local descent before the annealing judges
    #: the plan (``kernels.run_chunk``); 0: none.  With 10 (and one pass) it won 0.35 points on
    #: Gehring-Homberger R2 at 400, where the time holds one run; 20 lost on R1, RC1 and C2
    #: (RESULTS.md, 2026-11-29 night and 2026-11-30).
    ls_neighbours: int = 10
    #: Passes over those jobs that descent makes at most.
    ls_passes: int = 1
    #: From this share of the cooling schedule on (0: from the start).
    ls_from: float = 0.0
    #: That descent adds no job to the shortest route (which the search may be emptying).
    ls_keep: bool = True
    #: That descent only when the time holds one run of the search (``runs``): with time
    #: for two, the first runs without it (a second seed gained more than the iterations the
    #: descent costs) and, with ``ls_mixed``, the second with it.
    ls_scarce: bool = True
    #: With ``ls_scarce`` and time for several runs, every second run has that descent: the
    #: runs differ in kind, not only in seed, and the best is kept.  Gehring-Homberger 200 at
    #: 60 s: R2/RC2 take the descent's gain (-8.34/-8.94 against -8.13/-8.75) while C2 keeps
    #: the run without it, which never falls into 8-van plans (-3.210% in all against -3.139%;
    #: RESULTS.md, 2026-11-30 early morning).
    ls_mixed: bool = True

    #: Share of the time (under a clock) kept for recombining the routes the runs have seen: a
    #: set-partitioning over the pool of routes of every plan within ``pool_gap`` of its run's
    #: best (``engine.dispatch.search.recombine``); 0: none.  Only for problems of at most
    #: ``pool_max_jobs`` jobs that route every job, without carriers or fixed steps.
    pool_share: float = 0.05
    #: A plan offers its routes to the pool when within this share of its run's best cost.
    pool_gap: float = 0.05
    pool_max_jobs: int = 1000

    def __post_init__(self) -> None:
        p = "search."  # field names in messages as in the TOML document
        _number(self, "avg_removed", p, lo=0.0, lo_open=True)
        _number(self, "max_string", p, lo=1, whole=True)
        for name in ("split_rate", "split_depth", "blink", "race_share", "open_rate", "pool_share"):
            _number(self, name, p, lo=0.0, hi=1.0)
        _number(self, "open_min_jobs", p, lo=0.0)
        _number(self, "pool_gap", p, lo=0.0)
        _number(self, "pool_max_jobs", p, lo=0, whole=True)
        _number(self, "t_start", p, lo=0.0, lo_open=True)
        _number(self, "t_end", p, lo=0.0, lo_open=True)
        _number(self, "neighbours", p, lo=1, whole=True)
        _number(self, "runs", p, lo=1, hi=64, whole=True)
        _number(self, "run_iterations", p, lo=0.0, lo_open=True)
        _number(self, "pace_share", p, lo=0.0, hi=1.0, lo_open=True)
        _number(self, "stall_iterations", p, lo=1, whole=True)
        _number(self, "cooling_iterations", p, lo=0.0, lo_open=True)
        _number(self, "cooling_jobs", p, lo=1, whole=True)
        _number(self, "descent_neighbours", p, lo=0, whole=True)
        _number(self, "descent_passes", p, lo=1, whole=True)
        _number(self, "descent_from", p, lo=0.0, hi=1.0)
        _number(self, "ls_neighbours", p, lo=0, whole=True)
        _number(self, "ls_passes", p, lo=1, whole=True)
        _number(self, "ls_from", p, lo=0.0, hi=1.0)
        _flag(self, "ls_keep", p)
        _flag(self, "ls_scarce", p)
        _flag(self, "ls_mixed", p)
        _number(self, "construction_penalty", p, lo=0, hi=2**62, whole=True)
        w = self.order_weights
        if not isinstance(w, (list, tuple)) or len(w) != 5:
            raise _bad(p + "order_weights", f"expected 5 weights (random, demand, far, close, tight window), got {w!r}")
        if any(isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0 for x in w) or sum(w) <= 0:
            raise _bad(p + "order_weights", f"weights must be finite, >= 0 and not all 0, got {list(w)!r}")
        object.__setattr__(self, "order_weights", tuple(float(x) for x in w))


@dataclass(frozen=True)
class SolveParams:
    """Everything a parameter sweep may vary in ``engine.dispatch.solve`` (defaults: the shipped behaviour)."""

    #: ``"network"`` (shortest paths on the roads), ``"haversine"`` (straight line) or
    #: ``"auto"`` (network when one is given).
    matrix_source: str = "auto"
    #: OR-Tools first-solution strategies, or ``"auto"``: ``DEFAULT_STRATEGIES`` on small
    #: problems, the numba search's own start when it models every constraint.
    strategies: str | tuple[str, ...] = "auto"
    #: Run the numba search between OR-Tools' phases (when numba is installed).
    use_improve: bool = True
    #: Iterations of the numba search under a ``SolutionLimit`` (the deterministic stop).
    improve_iterations: int = 2000
    #: Share of the time limit the numba search gets when it models the problem exactly.
    search_share: float = 0.9
    #: Above this many orders, ``strategies="auto"`` skips OR-Tools' constructions
    #: (minutes on ~1,000 orders) when the numba search applies.
    auto_construction_max_jobs: int = 250
    #: Above this many orders, when the numba search models the problem exactly, its routes
    #: are kept as they are: OR-Tools' local search on ~5,000 orders cannot stop within its
    #: time limit (a 2 s polish took 25 s), and the search gets the whole time instead.  At
    #: 1,000 orders its guided local search still overran a 30 s limit by 1.6-2.5 s on a quiet
    #: machine (krems and west-oakland tight road days) for 1 travel-second in 6,000; the
    #: search alone ended at 30.04 s with lower costs on both.  At 400 orders (Gehring-Homberger,
    #: 60 s) its last 6 s gained 0-0.006% and ended 0.7-0.9 s late; at 200 orders 0-0.09%, on time.
    gls_max_jobs: int = 300
    #: Under a time limit with no ``NoImprovement`` stop given, OR-Tools' guided local search
    #: (the last phase) stops after this many seconds per order squared without a better plan
    #: than it started from or last found, at least half a second: a 6-order day with a break
    #: answers in under a second, not at the limit, while 100 orders keep 5 s of patience and
    #: 300 orders 45 s (more than the phase ever gets on the benchmark sets).  0: search until the limit.
    gls_stall: float = 5e-4
    #: Cost units added to an order's drop penalty per priority level.
    priority_step: float = 25.0
    #: Kept so that older parameter files still read; it changes nothing: carriers'
    #: capacities are in the model (``carriers.with_carriers``), so no repair round runs.
    repair: bool = True
    #: Orders farther than this from the road network are unassigned as off-network.
    max_snap_m: float = 1000.0
    #: Tuning of the numba search.
    search: SearchParams = field(default_factory=SearchParams)

    def __post_init__(self) -> None:
        if self.matrix_source not in MATRIX_SOURCES:
            raise _bad("matrix_source", f"expected one of {', '.join(MATRIX_SOURCES)}, got {self.matrix_source!r}")
        s = self.strategies
        if s != "auto":
            if isinstance(s, str) or not isinstance(s, (list, tuple)) or not all(isinstance(x, str) for x in s):
                raise _bad("strategies", f"expected \"auto\" or a list of OR-Tools first-solution strategies, got {s!r}")
            from ortools.constraint_solver import (
                routing_enums_pb2,  # the enum only, not the solver
            )

            known = routing_enums_pb2.FirstSolutionStrategy.Value.keys()
            for name in s:
                if name not in known:
                    raise _bad("strategies", f"unknown OR-Tools first-solution strategy {name!r}")
            object.__setattr__(self, "strategies", tuple(s))
        _flag(self, "use_improve", "")
        _flag(self, "repair", "")
        _number(self, "improve_iterations", "", lo=1, whole=True)
        _number(self, "search_share", "", lo=0.0, hi=1.0, lo_open=True)
        _number(self, "auto_construction_max_jobs", "", lo=0, whole=True)
        _number(self, "gls_max_jobs", "", lo=0, whole=True)
        _number(self, "gls_stall", "", lo=0.0)
        _number(self, "priority_step", "", lo=0.0)
        _number(self, "max_snap_m", "", lo=0.0, lo_open=True)
        if not isinstance(self.search, SearchParams):
            raise _bad("search", f"expected SearchParams, got {type(self.search).__name__}")

    # ----------------------------------------------------------------- TOML

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> SolveParams:
        """From a mapping shaped like the TOML document (``search`` a nested mapping)."""
        return _build(cls, doc, "")

    def to_dict(self) -> dict[str, Any]:
        """Every field, as plain TOML-able values (tuples become lists)."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_toml(cls, source: str | Path) -> SolveParams:
        """Read TOML from a file (a ``Path``, or a string without ``=``) or from the text itself.

        Keys left out keep their defaults; an unknown key raises ``InputError``
        naming it (``search.race_shar``), as does a value of the wrong type.
        """
        if isinstance(source, Path) or ("=" not in source and "[" not in source and source.strip()):
            path = Path(source)
            try:
                text = path.read_text()
            except OSError as exc:
                raise FormatError(f"cannot read parameters file {path}: {exc.strerror or exc}", item=str(path)) from None
            where = str(path)
        else:
            text, where = source, "params"
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise FormatError(f"{where}: not valid TOML ({exc})", item=where) from None
        try:
            return cls.from_dict(doc)
        except InputError as exc:
            if where == "params":
                raise
            # Name the file rather than "params".
            raise InputError(f"{where}: {str(exc).removeprefix('params: ')}", item=where, field=exc.field) from None

    def to_toml(self) -> str:
        """Every field as TOML text that ``from_toml`` reads back to an equal value."""
        top = self.to_dict()
        search = top.pop("search")
        lines = [f"{k} = {_toml_value(v)}" for k, v in top.items()]
        lines += ["", "[search]"] + [f"{k} = {_toml_value(v)}" for k, v in search.items()]
        return "\n".join(lines) + "\n"


def _build(cls: type, doc: Mapping[str, Any], prefix: str) -> Any:
    if not isinstance(doc, Mapping):
        raise _bad(prefix.rstrip(".") or "params", f"expected a table, got {doc!r}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in doc.items():
        if key not in known:
            raise _bad(prefix + key, f"unknown key (known: {', '.join(known)})")
        if key == "search" and cls is SolveParams:
            value = _build(SearchParams, value, "search.")
        kwargs[key] = value
    return cls(**kwargs)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)  # finite by validation; Python's float repr is valid TOML
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string for the ASCII names used here
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {v!r}")


__all__ = ["DEFAULT_STRATEGIES", "MATRIX_SOURCES", "SearchParams", "SolveParams"]
