"""KPIs over replications: means with Student-t confidence intervals, and the report's series.

A replication's ``kpis`` (:class:`~engine.sim.result.ReplicationResult`) is a
nested dict of numbers; :func:`flatten` names each leaf by its dotted path
(``on_time.by_option.same_day``) and :func:`summarise` gives every name its
mean, standard deviation and 95% interval over the replications that report
it (an option nobody chose in one replication is absent there, not zero).

:func:`series` reduces the per-order outcomes to what the report draws
(on-time share by hour of order, fleet utilisation per 15-minute bin, quoted
probability against realised on-time), and :func:`kpis_document` assembles
``kpis.json``.  Everything but the ``timing`` keys is a function of the
scenario, the overrides and the seeds, so two runs with the same root seed
give byte-identical documents once ``timing`` is removed.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from scipy import stats

from engine.sim.result import BIN_S, ReplicationResult

__all__ = [
    "CI_LEVEL",
    "flatten",
    "interval",
    "summarise",
    "on_time_share",
    "headline",
    "series",
    "variant_document",
    "kpis_document",
    "strip_timing",
    "jsonable",
]

#: Confidence level of every interval in ``kpis.json``.
CI_LEVEL = 0.95
#: Quoted-probability bins of the reliability table (the promise target sits in the last).
RELIABILITY_EDGES = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 1.0000001)


def flatten(kpis: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Leaves of a nested KPI dict, keyed by their dotted path (booleans as 0/1, ``None`` skipped)."""
    out: dict[str, float] = {}
    for key, value in kpis.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif value is None:
            continue
        elif isinstance(value, (bool, np.bool_)):
            out[name] = float(value)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            out[name] = float(value)
        else:
            # A string or list among the KPIs is a broken contract, not something to average quietly.
            raise TypeError(f"KPI {name!r} is a {type(value).__name__}, not a number")
    return out


def interval(values: Sequence[float], level: float = CI_LEVEL) -> tuple[float | None, float | None]:
    """Student-t interval for the mean of ``values`` (``None`` when fewer than two)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return None, None
    mean = float(x.mean())
    sem = float(x.std(ddof=1)) / math.sqrt(x.size)
    if sem == 0.0:
        return mean, mean
    lo, hi = stats.t.interval(level, x.size - 1, loc=mean, scale=sem)
    return float(lo), float(hi)


def _json_float(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


def summarise(per_replication: Sequence[Mapping[str, Any]], level: float = CI_LEVEL) -> dict[str, dict[str, Any]]:
    """For every KPI name: ``mean``, ``std``, ``ci_low``, ``ci_high``, ``n`` and ``values``.

    ``values`` is aligned with ``per_replication`` (``None`` where a replication
    does not report the KPI or reports ``nan``, e.g. a lead time with no
    warnings); the statistics use the finite values only and ``n`` says how many.
    """
    flat = [flatten(k) for k in per_replication]
    names: list[str] = []
    seen: set[str] = set()
    for f in flat:
        for name in f:
            if name not in seen:
                seen.add(name)
                names.append(name)
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(names):
        values = [f.get(name) for f in flat]
        finite = [v for v in values if v is not None and math.isfinite(v)]
        if finite:
            arr = np.asarray(finite)
            mean = float(arr.mean())
            std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
        else:
            mean = std = math.nan
        lo, hi = interval(finite, level)
        out[name] = {
            "mean": _json_float(mean),
            "std": _json_float(std),
            "ci_low": lo,
            "ci_high": hi,
            "n": len(finite),
            "values": [None if v is None or not math.isfinite(v) else v for v in values],
        }
    return out


def on_time_share(result: ReplicationResult) -> float:
    """Share of the replication's orders delivered by their promise (late, undelivered and unplanned count against)."""
    n = len(result.orders)
    return float(np.count_nonzero(result.orders.on_time)) / n if n else math.nan


def _by_hour(results: Sequence[ReplicationResult]) -> dict[str, Any]:
    """On-time share by local hour of order: per replication, then mean and interval over replications."""
    per_rep = np.full((len(results), 24), np.nan)
    counts = np.zeros(24, dtype=np.int64)
    for i, r in enumerate(results):
        # Local hour of day, whichever day: the morning's backlog (placed the day before, negative
        # placed_s) falls in the evening hours it was ordered in.
        hour = (np.floor(np.asarray(r.orders.placed_s, dtype=np.float64) / 3600.0).astype(np.int64)) % 24
        n = np.bincount(hour, minlength=24)
        k = np.bincount(hour, weights=np.asarray(r.orders.on_time, dtype=np.float64), minlength=24)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_rep[i] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        counts += n
    mean, lo, hi = [], [], []
    for h in range(24):
        col = per_rep[:, h][np.isfinite(per_rep[:, h])]
        mean.append(float(col.mean()) if col.size else None)
        a, b = interval(col)
        lo.append(a)
        hi.append(b)
    return {"hour": list(range(24)), "orders": [int(c) for c in counts], "on_time": mean, "ci_low": lo, "ci_high": hi}


def _utilisation(results: Sequence[ReplicationResult]) -> dict[str, Any]:
    """Own-fleet vehicles on the road over fleet size, per ``BIN_S`` bin, averaged over replications."""
    rows = [np.asarray(r.on_road, dtype=np.float64) / r.fleet_size for r in results if r.fleet_size > 0]
    if not rows:
        return {"bin_s": BIN_S, "start_s": [], "utilisation": []}
    width = max(len(x) for x in rows)
    padded = np.vstack([np.pad(x, (0, width - len(x))) for x in rows])
    return {
        "bin_s": BIN_S,
        "start_s": [int(i * BIN_S) for i in range(width)],
        "utilisation": [float(v) for v in padded.mean(axis=0)],
    }


def _reliability(results: Sequence[ReplicationResult]) -> dict[str, Any]:
    """Quoted probability against realised on-time share, pooled over replications, per quoted-probability bin."""
    p = np.concatenate([np.asarray(r.orders.quoted_p, dtype=np.float64) for r in results]) if results else np.zeros(0)
    ok = np.concatenate([np.asarray(r.orders.on_time, dtype=bool) for r in results]) if results else np.zeros(0, bool)
    keep = np.isfinite(p)
    p, ok = p[keep], ok[keep]
    edges = np.asarray(RELIABILITY_EDGES)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        m = which == b
        if not m.any():
            continue
        rows.append({
            "low": float(edges[b]),
            "high": float(min(edges[b + 1], 1.0)),
            "orders": int(m.sum()),
            "quoted": float(p[m].mean()),
            "realised": float(ok[m].mean()),
        })
    return {"bins": rows}


def series(results: Sequence[ReplicationResult]) -> dict[str, Any]:
    """What the report draws, from the per-order outcomes and the fleet over the day."""
    return {"on_time_by_hour": _by_hour(results), "utilisation": _utilisation(results), "reliability": _reliability(results)}


def _timing(results: Sequence[ReplicationResult]) -> dict[str, Any]:
    phases: dict[str, float] = {}
    for r in results:
        for k, v in r.timing.items():
            phases[k] = phases.get(k, 0.0) + float(v)
    return {"phases_s": phases, "per_replication_s": [float(r.timing.get("total", math.nan)) for r in results]}


def headline(results: Sequence[ReplicationResult], target: float) -> dict[str, Any]:
    """On-time share per replication from the outcomes (the fleet search's definition), its interval,
    and the share of replications that reach ``target``."""
    shares = [on_time_share(r) for r in results]
    finite = [s for s in shares if math.isfinite(s)]
    lo, hi = interval(finite)
    # A t interval on few replications can pass 100%; a share cannot (the raw interval is in "kpis").
    lo, hi = (None if lo is None else max(0.0, lo)), (None if hi is None else min(1.0, hi))
    return {
        "on_time_share": {
            "mean": _json_float(float(np.mean(finite))) if finite else None,
            "ci_low": lo,
            "ci_high": hi,
            "n": len(finite),
            "values": [_json_float(s) for s in shares],
        },
        "target": float(target),
        "meets_target": float(np.mean([s >= target for s in finite])) if finite else None,
    }


def variant_document(overrides: Mapping[str, Any], results: Sequence[ReplicationResult], target: float = 0.95) -> dict[str, Any]:
    """One entry of ``kpis.json``'s ``variants``: headline, summary, per-replication KPIs, series and (apart) timing."""
    results = sorted(results, key=lambda r: r.replication)
    per_rep = [
        {"replication": int(r.replication), "seed": int(r.seed), "orders": len(r.orders), "fleet_size": int(r.fleet_size), "kpis": r.kpis}
        for r in results
    ]
    return {
        "overrides": dict(overrides),
        "headline": headline(results, target),
        "kpis": summarise([r.kpis for r in results]),
        "per_replication": per_rep,
        "series": series(results),
        "timing": _timing(results),
    }


def kpis_document(
    scenario: str,
    root_seed: int,
    replications: int,
    variants: Iterable[Mapping[str, Any]],
    *,
    fleet_search: Mapping[str, Any] | None = None,
    timing: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole ``kpis.json``: variants from :func:`variant_document`, the fleet search, run timings."""
    return {
        "scenario": scenario,
        "root_seed": int(root_seed),
        "replications": int(replications),
        "variants": list(variants),
        "fleet_search": None if fleet_search is None else dict(fleet_search),
        "timing": dict(timing or {}),
    }


def strip_timing(doc: Any) -> Any:
    """``doc`` without any ``timing`` key at any depth: what must match between two runs of one seed."""
    if isinstance(doc, Mapping):
        return {k: strip_timing(v) for k, v in doc.items() if k != "timing"}
    if isinstance(doc, list):
        return [strip_timing(v) for v in doc]
    return doc


def jsonable(doc: Any) -> Any:
    """``doc`` with numpy scalars as Python numbers and ``nan``/``inf`` as ``None`` (strict JSON)."""
    if isinstance(doc, Mapping):
        return {str(k): jsonable(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [jsonable(v) for v in doc]
    if isinstance(doc, np.ndarray):
        return [jsonable(v) for v in doc.tolist()]
    if isinstance(doc, (bool, np.bool_)):
        return bool(doc)
    if isinstance(doc, (int, np.integer)):
        return int(doc)
    if isinstance(doc, (float, np.floating)):
        return _json_float(float(doc))
    return doc
