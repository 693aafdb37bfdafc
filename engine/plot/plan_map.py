"""A plan on a map: PNG over the road network, and GeoJSON.

The PNG draws the network's edges in light grey (a matplotlib
``LineCollection``; edges far outside the plan's area are skipped), each route's
road path (``engine.matrix.route`` between consecutive stops) in its own colour,
depots as squares, carrier hand-offs as small triangles and unassigned orders
as red crosses.  Without a network, routes are drawn as straight legs.

The GeoJSON is a ``FeatureCollection``: one ``LineString`` per route (the road
path when a network is given) and one ``Point`` per stop, hand-off and
unassigned order, with the plan's numbers as properties.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.domain.problem import Problem
from engine.domain.plan import Plan, Route

#: Most edges drawn for the background (beyond this, a random subset keeps files small).
MAX_BACKGROUND_EDGES = 400_000


def route_path(route: Route, network: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of the route's path: road geometry between stops when possible."""
    stops = [s for s in route.stops if s.kind != "break"]
    if network is None or any(s.node is None for s in stops):
        return np.array([s.lat for s in stops]), np.array([s.lon for s in stops])
    from engine import matrix

    lat: list[float] = []
    lon: list[float] = []
    for a, b in zip(stops, stops[1:]):
        if a.node == b.node:
            continue
        nodes, secs, _ = matrix.route(network, int(a.node), int(b.node))
        if len(nodes) == 0 or not np.isfinite(secs):
            lat += [a.lat, b.lat]
            lon += [a.lon, b.lon]
            continue
        lat += list(np.asarray(network.lat)[nodes])
        lon += list(np.asarray(network.lon)[nodes])
    if not lat:
        return np.array([s.lat for s in stops]), np.array([s.lon for s in stops])
    return np.asarray(lat), np.asarray(lon)


def _extent(plan: Plan, problem: Problem | None) -> tuple[float, float, float, float]:
    lats = [s.lat for r in plan.routes for s in r.stops if np.isfinite(s.lat)]
    lons = [s.lon for r in plan.routes for s in r.stops if np.isfinite(s.lon)]
    if problem is not None:
        lats += [o.lat for o in problem.orders] + [d.lat for d in problem.depots]
        lons += [o.lon for o in problem.orders] + [d.lon for d in problem.depots]
    if not lats:
        raise InputError("the plan has no coordinates to draw (a matrix-only VROOM problem?)", item="plan", field="lat/lon")
    la0, la1, lo0, lo1 = min(lats), max(lats), min(lons), max(lons)
    pad_la = max(0.002, 0.05 * (la1 - la0))
    pad_lo = max(0.002, 0.05 * (lo1 - lo0))
    return la0 - pad_la, la1 + pad_la, lo0 - pad_lo, lo1 + pad_lo


def save_png(plan: Plan, path: str | Path, *, problem: Problem | None = None, network: Any = None, title: str | None = None, dpi: int = 130) -> Path:
    """Draw ``plan`` to a PNG file (see the module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    la0, la1, lo0, lo1 = _extent(plan, problem)
    fig, ax = plt.subplots(figsize=(10, 9))
    if network is not None:
        tails = network.edge_tails()
        heads = np.asarray(network.indices)
        lat, lon = np.asarray(network.lat), np.asarray(network.lon)
        inside = (lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)
        keep = np.flatnonzero(inside[tails] | inside[heads])
        if keep.size > MAX_BACKGROUND_EDGES:
            keep = np.random.default_rng(0).choice(keep, MAX_BACKGROUND_EDGES, replace=False)
        segs = np.stack(
            [np.column_stack([lon[tails[keep]], lat[tails[keep]]]), np.column_stack([lon[heads[keep]], lat[heads[keep]]])],
            axis=1,
        )
        ax.add_collection(LineCollection(segs, colors="#d0d0d0", linewidths=0.4, zorder=1))
    cmap = plt.get_cmap("tab20")
    for k, r in enumerate(plan.routes):
        plat, plon = route_path(r, network)
        colour = cmap(k % 20)
        ax.plot(plon, plat, color=colour, linewidth=1.6, zorder=3, label=f"{r.vehicle_id} ({len(r.order_ids)})")
        d = [s for s in r.stops if s.kind == "delivery"]
        ax.scatter([s.lon for s in d], [s.lat for s in d], s=10, color=colour, zorder=4, edgecolors="none")
    if problem is not None:
        ax.scatter([d.lon for d in problem.depots], [d.lat for d in problem.depots], marker="s", s=90, c="black", zorder=6, label="depot")
        by_id = {o.order_id: o for o in problem.orders}
        h = [by_id[x.order_id] for x in plan.handoffs if x.order_id in by_id]
        if h:
            ax.scatter([o.lon for o in h], [o.lat for o in h], marker="^", s=22, c="#555555", zorder=5, label=f"carrier hand-off ({len(h)})")
        u = [by_id[x.order_id] for x in plan.unassigned if x.order_id in by_id]
        if u:
            ax.scatter([o.lon for o in u], [o.lat for o in u], marker="x", s=40, c="red", zorder=7, label=f"unassigned ({len(u)})")
    else:
        starts = [r.stops[0] for r in plan.routes]
        ax.scatter([s.lon for s in starts], [s.lat for s in starts], marker="s", s=90, c="black", zorder=6, label="depot")
    ax.set_xlim(lo0, lo1)
    ax.set_ylim(la0, la1)
    ax.set_aspect(1.0 / np.cos(np.radians((la0 + la1) / 2)))
    ax.set_xlabel("longitude")
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_ylabel("latitude")
    ax.set_title(title or f"{plan.problem_name}: cost {plan.cost:,.2f}, {plan.vehicles_used} vehicles, "
                 f"{len(plan.handoffs)} hand-offs, {len(plan.unassigned)} unassigned")
    if len(plan.routes) <= 25:
        ax.legend(loc="upper right", fontsize=7, framealpha=0.8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # An explicit format: matplotlib would otherwise append ".png" to a name without one
    # and write somewhere the caller did not ask for.
    fig.savefig(path, dpi=dpi, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def to_geojson(plan: Plan, *, problem: Problem | None = None, network: Any = None) -> dict[str, Any]:
    """The plan as a GeoJSON ``FeatureCollection`` (coordinates are [lon, lat])."""
    feats: list[dict[str, Any]] = []
    for r in plan.routes:
        plat, plon = route_path(r, network)
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[float(x), float(y)] for x, y in zip(plon, plat)]},
                "properties": {
                    "kind": "route",
                    "vehicle_id": r.vehicle_id,
                    "vehicle_type": r.vehicle_type,
                    "depot": r.depot,
                    "orders": len(r.order_ids),
                    "distance_m": r.distance_m,
                    "duration_s": r.duration_s,
                    "cost": r.cost,
                },
            }
        )
        for seq, s in enumerate(r.stops):
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [float(s.lon), float(s.lat)]},
                    "properties": {
                        "kind": s.kind,
                        "vehicle_id": r.vehicle_id,
                        "sequence": seq,
                        "order_id": s.order_id,
                        "arrival": s.arrival,
                        "departure": s.departure,
                        "window": None if s.window is None else [s.window.start, s.window.end],
                    },
                }
            )
    if problem is not None:
        by_id = {o.order_id: o for o in problem.orders}
        for h in plan.handoffs:
            o = by_id.get(h.order_id)
            if o is not None:
                feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [o.lon, o.lat]},
                              "properties": {"kind": "handoff", "order_id": h.order_id, "carrier_id": h.carrier_id, "cost": h.cost}})
        for u in plan.unassigned:
            o = by_id.get(u.order_id)
            if o is not None:
                feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [o.lon, o.lat]},
                              "properties": {"kind": "unassigned", "order_id": u.order_id, "reason": u.reason.name, "detail": u.detail}})
    # NaN coordinates (matrix-only problems) are not valid GeoJSON: drop those features.
    feats = [f for f in feats if _finite(f["geometry"]["coordinates"])]
    return {"type": "FeatureCollection", "features": feats}


def _finite(coords: Any) -> bool:
    arr = np.asarray(coords, dtype=np.float64)
    return arr.size > 0 and bool(np.isfinite(arr).all())


def save_geojson(plan: Plan, path: str | Path, **kwargs: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_geojson(plan, **kwargs)))
    return path
