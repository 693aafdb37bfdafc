"""``promise matrix SOURCE --points FILE.csv``: a travel-time (or distance) matrix between points."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from engine.errors import FormatError, InputError, NotFoundError
from engine.cli._errors import cli_errors
from engine.cli.network import SEED_HELP, SOURCE_HELP, summary_table


def read_points(path: Path) -> tuple["np.ndarray", "np.ndarray"]:  # noqa: F821 - numpy imported lazily
    """``lat, lon`` columns of a CSV file; a header line is optional.

    Raises ``FormatError`` naming the file and line of the first bad row
    (``NotFoundError`` when there is no such file).
    """
    import csv

    import numpy as np

    if not path.is_file():
        raise NotFoundError(f"points file not found: {path}")
    lats: list[float] = []
    lons: list[float] = []
    header_seen = False
    with path.open(newline="") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            cells = [c.strip() for c in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if len(cells) < 2:
                raise FormatError(f"{path}:{lineno}: expected 'lat,lon', got {','.join(row)!r}", item=f"{path}:{lineno}")
            try:
                lat, lon = float(cells[0]), float(cells[1])
            except ValueError:
                if not lats and not header_seen:
                    header_seen = True
                    continue
                raise FormatError(f"{path}:{lineno}: not a number in {','.join(row)!r}", item=f"{path}:{lineno}") from None
            lats.append(lat)
            lons.append(lon)
    if not lats:
        raise FormatError(f"{path}: no points (expected lines of 'lat,lon')", item=str(path))
    return np.asarray(lats), np.asarray(lons)


def register(app: typer.Typer) -> None:
    @app.command("matrix")
    def matrix_cmd(
        source: str = typer.Argument(..., help=SOURCE_HELP),
        points: Path = typer.Option(..., "--points", help="CSV with lat,lon per line (header optional)."),
        out: Optional[Path] = typer.Option(None, "--out", help="Write the matrix to a .npy or .csv file."),
        hour: Optional[float] = typer.Option(None, "--hour", help="Departure hour for congested times (default: free flow)."),
        distance: bool = typer.Option(False, "--distance", help="Shortest distances in metres instead of travel times."),
        seed: Optional[int] = typer.Option(None, "--seed", help=SEED_HELP),
        max_snap_m: float = typer.Option(2000.0, "--max-snap-m", help="Points farther than this from a road are an error."),
    ) -> None:
        """Snap the points to SOURCE's roads and compute the all-pairs matrix between them."""
        with cli_errors():
            import time

            import numpy as np
            from rich.console import Console
            from engine import matrix, network

            if out is not None and out.suffix.lower() not in (".npy", ".csv"):
                raise InputError(f"--out must end in .npy or .csv, got {out}", field="--out")
            if distance and hour is not None:
                raise InputError(
                    "--hour has no effect with --distance (shortest distances do not depend on traffic)", field="--hour"
                )
            lat, lon = read_points(points)
            net = network.load(source, seed=seed)
            nodes, snap_m = net.snap(lat, lon, max_distance_m=max_snap_m)
            eng = matrix.prepare(net, hour, weight="distance" if distance else "time")
            t0 = time.perf_counter()
            values, _ = eng.table(nodes, nodes)
            query_s = time.perf_counter() - t0

            finite = values[np.isfinite(values)]
            off_diag = values[~np.eye(values.shape[0], dtype=bool)]
            unit = "m" if distance else "s"
            console = Console()
            table = summary_table(f"{'distance' if distance else 'travel-time'} matrix on {net.source}")
            table.add_row("network", f"{net.n_nodes:,} nodes, {net.n_edges:,} edges")
            table.add_row("points", f"{lat.size:,} ({np.unique(nodes).size:,} distinct nodes)")
            table.add_row("snap distance median / max", f"{np.median(snap_m):,.0f} / {snap_m.max():,.0f} m")
            table.add_row("profile", eng.profile)
            table.add_row(
                "preprocessing",
                f"{eng.preprocess_seconds:.2f} s ({'from cache' if eng.from_cache else 'built now'}; "
                f"got it in {eng.load_seconds:.2f} s)",
            )
            table.add_row("query", f"{query_s:.3f} s for {values.size:,} pairs")
            if off_diag.size:
                fin = off_diag[np.isfinite(off_diag)]
                if fin.size:
                    table.add_row(
                        f"min / median / max ({unit})", f"{fin.min():,.1f} / {np.median(fin):,.1f} / {fin.max():,.1f}"
                    )
            table.add_row("unreachable pairs", f"{values.size - finite.size:,}")
            console.print(table)
            if out is not None:
                out.parent.mkdir(parents=True, exist_ok=True)
                if out.suffix.lower() == ".npy":
                    np.save(out, values)
                else:
                    np.savetxt(out, values, delimiter=",", fmt="%.3f")
                console.print(f"wrote {values.shape[0]}x{values.shape[1]} matrix ({unit}, inf = unreachable) to {out}")
