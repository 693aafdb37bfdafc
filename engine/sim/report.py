"""The simulation report: ``index.html`` with its plots, and ``kpis.json`` with every KPI.

:func:`write_report` takes the assembled ``kpis.json`` document
(:func:`engine.sim.aggregate.kpis_document`) and the replications behind each
variant (for the map, which needs every order's position), and writes into
one folder::

    index.html          the page (jinja2 template engine/sim/templates/report.html.j2)
    kpis.json           every KPI, per variant and per replication; timings only under "timing"
    v1-hour.png ...     per variant: on time by hour, late deliveries on the map,
                        utilisation over the day, quoted vs realised on time
    fleet.png           the fleet-size curve, when a search ran

Images are files next to the page, so the folder can be zipped or served as is.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from engine.sim.aggregate import flatten, jsonable
from engine.sim.result import ReplicationResult

__all__ = ["write_report", "write_kpis"]


def write_kpis(doc: Mapping[str, Any], path: Path) -> Path:
    """``doc`` as strict JSON (``nan`` -> ``null``), keys in the document's own (deterministic) order."""
    path = Path(path)
    path.write_text(json.dumps(jsonable(doc), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    return path


def _pct(x: float | None, digits: int = 0) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.{digits}f}%"


def _num(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return ""
    if x == int(x) and abs(x) < 1e12:
        return f"{int(x):,}"
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def _variant_plots(out: Path, i: int, vdoc: Mapping[str, Any], results: Sequence[ReplicationResult], target: float) -> dict[str, str]:
    from engine.plot import sim as plots

    s = vdoc["series"]
    h = s["on_time_by_hour"]
    names = {k: f"v{i}-{k}.png" for k in ("hour", "map", "utilisation", "reliability")}
    plots.on_time_by_hour(h["hour"], h["on_time"], h["ci_low"], h["ci_high"], h["orders"], target, out / names["hour"])
    lat = np.concatenate([np.asarray(r.orders.lat, float) for r in results]) if results else np.zeros(0)
    lon = np.concatenate([np.asarray(r.orders.lon, float) for r in results]) if results else np.zeros(0)
    ok = np.concatenate([np.asarray(r.orders.on_time, bool) for r in results]) if results else np.zeros(0, bool)
    plots.late_map(lat, lon, ok, out / names["map"], title=f"{len(results)} replication(s), {ok.size:,} orders")
    u = s["utilisation"]
    plots.utilisation(u["start_s"], u["utilisation"], out / names["utilisation"])
    b = s["reliability"]["bins"]
    plots.reliability([x["quoted"] for x in b], [x["realised"] for x in b], [x["orders"] for x in b], target, out / names["reliability"])
    return names


def write_report(
    out: Path,
    doc: Mapping[str, Any],
    results: Sequence[Sequence[ReplicationResult]],
    *,
    where: str = "",
    scenario_path: str | None = None,
    today: int | None = None,
) -> Path:
    """Write ``index.html``, ``kpis.json`` and the plots into ``out`` (created); returns the page's path.

    Parameters
    ----------
    doc
        The ``kpis.json`` document; ``doc["variants"][i]`` describes ``results[i]``.
    results
        Each variant's replications (for the map of late deliveries).
    where
        Where the replications ran, for the page (``"2 local processes"``).
    today
        The searched vehicle type's count in the scenario as given, shown beside the recommendation.
    """
    import jinja2

    from engine.plot import sim as plots

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if len(results) != len(doc["variants"]):
        raise ValueError(f"{len(results)} result lists for {len(doc['variants'])} variants")
    write_kpis(doc, out / "kpis.json")
    variants = []
    for i, (vdoc, res) in enumerate(zip(doc["variants"], results), 1):
        target = float(vdoc["headline"]["target"])
        variants.append({"doc": jsonable(vdoc), "plots": _variant_plots(out, i, vdoc, res, target)})
    fleet = doc.get("fleet_search")
    fleet_plot = None
    if fleet:
        curve = fleet["curve"]
        plots.fleet_curve(
            [c["count"] for c in curve], [c["meets"] for c in curve], [c["mean_on_time"] for c in curve],
            target=fleet["target"], confidence=fleet["confidence"], recommended=fleet["recommended"],
            vehicle_type=fleet["vehicle_type"], path=out / "fleet.png",
        )
        fleet_plot = "fleet.png"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(pct=_pct, num=_num)
    html = env.get_template("report.html.j2").render(
        doc=jsonable(doc),
        variants=variants,
        fleet=jsonable(fleet) if fleet else None,
        fleet_plot=fleet_plot,
        today=today,
        where=where,
        scenario_path=scenario_path,
        timing=flatten(jsonable(_numbers_only(doc.get("timing", {})))),
    )
    page = out / "index.html"
    page.write_text(html, encoding="utf-8")
    return page


def _numbers_only(d: Any) -> Any:
    """Timing dicts may hold lists (per replication); the page shows the scalar entries."""
    if isinstance(d, Mapping):
        return {k: _numbers_only(v) for k, v in d.items() if isinstance(v, (Mapping, int, float)) and not isinstance(v, bool)}
    return d
