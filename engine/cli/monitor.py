"""``promise monitor``: watch a plan, ingest tracking events, and the replay benchmark's day generator and scorer.

* ``promise monitor start plan.json [--promises promises.json]`` watches a plan (stored in ``--db``);
* ``promise monitor ingest events.jsonl`` sends events (one JSON object a line) to it;
* ``promise monitor simulate-day --orders 1000 --vehicles 40 --seed S --out DIR`` writes a day:
  ``plan.json``, ``promises.json``, ``events.jsonl`` (in arrival order), ``truth.json``;
* ``promise monitor replay DIR --out metrics.json`` streams it through the monitor and scores it
  against the truth, with the two baselines under ``baselines``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from engine.cli._errors import cli_errors

monitor_app = typer.Typer(help="Live monitor: tracking events in, delay warnings out.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")


def write_day(day: Any, out: Path) -> None:
    """A generated day as files (see the module docstring)."""
    from engine.io.problem_json import plan_to_dict
    from engine.monitor.records import event_to_doc, iso

    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(json.dumps(plan_to_dict(day.plan)))
    (out / "promises.json").write_text(json.dumps({o: iso(t) for o, t in day.promises.items()}, indent=0))
    with (out / "events.jsonl").open("w") as f:
        for ev in day.events:
            f.write(json.dumps(event_to_doc(ev), separators=(",", ":")) + "\n")
    (out / "truth.json").write_text(json.dumps({
        "delivered": {o: (None if t is None else iso(t)) for o, t in day.delivered.items()},
        "vans": {v: {"dep": {o: iso(t) for o, t in d["dep"].items()}, "factor": d["factor"], "start": iso(d["start"])}
                 for v, d in day.van_truth.items()},
        "meta": day.meta,
    }))


def read_events(path: Path) -> tuple[list[Any], list[tuple[int, str]]]:
    """Events of a JSONL file and the (line, message) of each line that is not one."""
    from engine.errors import InputError
    from engine.monitor.records import event_from_doc

    events, bad = [], []
    with path.open() as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                events.append(event_from_doc(json.loads(line)))
            except (ValueError, InputError) as exc:
                where = f" (field {exc.field})" if isinstance(exc, InputError) and exc.field else ""
                bad.append((n, f"{exc}{where}"))
    return events, bad


def read_day(src: Path) -> Any:
    """A day written by :func:`write_day`."""
    from engine.errors import FormatError
    from engine.io.problem_json import plan_from_dict, read_json
    from engine.monitor.dayplay import DayPlay
    from engine.monitor.records import parse_instant

    for name in ("plan.json", "promises.json", "events.jsonl", "truth.json"):
        if not (src / name).is_file():
            raise FormatError(f"{src} has no {name}: not a day written by `promise monitor simulate-day`")
    plan = plan_from_dict(read_json(src / "plan.json", "plan file"))
    promises = {o: parse_instant(v, item=o, field="promised_by") for o, v in read_json(src / "promises.json", "promises file").items()}
    events, bad = read_events(src / "events.jsonl")
    if bad:
        raise FormatError(f"events.jsonl line {bad[0][0]}: {bad[0][1]}")
    truth = read_json(src / "truth.json", "truth file")
    delivered = {o: (None if t is None else parse_instant(t, item=o, field="delivered")) for o, t in truth["delivered"].items()}
    vans = {v: {"dep": {o: parse_instant(t, item=o, field="dep") for o, t in d["dep"].items()}, "factor": float(d["factor"]),
                "start": parse_instant(d["start"], item=v, field="start")} for v, d in truth["vans"].items()}
    return DayPlay(plan, promises, events, delivered, vans, truth.get("meta", {}))


@monitor_app.command("simulate-day")
def simulate_day_cmd(
    out: Path = typer.Option(..., "--out", help="Directory to write the day into."),
    orders: int = typer.Option(1000, min=10, max=200_000),
    vehicles: int = typer.Option(40, min=2, max=5000),
    seed: int = typer.Option(0, min=0),
) -> None:
    """Write a synthetic day: plan, promises, event stream and the true delivery times."""
    with cli_errors():
        from engine.monitor.dayplay import simulate_day

        day = simulate_day(orders, vehicles, seed=seed)
        write_day(day, out)
        late = sum(1 for o, pb in day.promises.items() if day.delivered.get(o) is None or day.delivered[o] > pb)  # type: ignore[operator]
        typer.echo(f"{out}: {len(day.promises)} orders, {len(day.plan.routes)} vans, {len(day.events)} events, {late} late in truth")


@monitor_app.command("replay")
def replay_cmd(
    src: Path = typer.Argument(..., help="A directory from `promise monitor simulate-day`."),
    out: Path = typer.Option(Path("metrics.json"), "--out"),
    batch_s: float = typer.Option(30.0, min=1.0, help="Seconds of stream per ingested batch."),
    baselines: bool = typer.Option(True, help="Score the two baseline rules on the same stream."),
    seed: int = typer.Option(0, min=0, help="The monitor's Monte Carlo seed."),
) -> None:
    """Stream a day through the monitor and score its warnings (metrics JSON).

    Warning quality is scored without applying rescues; ``rescued_share`` (and
    ``with_rescue``) come from a second pass that applies every proposal.
    """
    with cli_errors():
        from engine.monitor.score import evaluate_day

        day = read_day(src)
        m = evaluate_day(day, batch_s=batch_s, seed=seed, baselines=baselines)
        out.write_text(json.dumps(m, indent=1))
        keys = ("recall_30min", "precision", "median_lead_min", "rescued_share", "events_per_s", "warning_p99_s")
        typer.echo(" ".join(f"{k}={m[k]}" for k in keys))


def _service(db: str) -> Any:
    from engine.config import Settings
    from engine.io.problem_json import plan_from_dict
    from engine.monitor.service import MonitorService
    from engine.store.repository import Store

    return MonitorService(Store(db or Settings().db_url), plan_from_dict)


@monitor_app.command("start")
def start_cmd(
    plan: Path = typer.Argument(..., help="A plan document (as `promise plan` writes it)."),
    promises: Path | None = typer.Option(None, help="JSON: order id -> promised by (ISO 8601 or epoch s)."),
    db: str = typer.Option("", help="Database URL (default: $PROMISE_DB_URL or a SQLite file here)."),
    plan_key: str | None = typer.Option(None, help="Name of the watch (default: a new uuid)."),
    auto_apply: bool = typer.Option(False, help="Apply rescue proposals without waiting for accept."),
    seed: int = typer.Option(0, min=0),
) -> None:
    """Watch a plan: it becomes the active plan that `promise monitor ingest` and POST /v1/events feed."""
    with cli_errors():
        from engine.io.problem_json import read_json
        from engine.monitor.params import MonitorParams
        from engine.monitor.records import parse_instant

        doc = read_json(plan, "plan file")
        prom = {o: parse_instant(v, item=o, field="promised_by") for o, v in read_json(promises, "promises file").items()} if promises else None
        key, warnings = _service(db).start(doc, prom, MonitorParams(auto_apply=auto_apply), seed=seed, plan_key=plan_key)
        typer.echo(f"watching {key}: {len(warnings)} warning(s) from the plan alone")


@monitor_app.command("ingest")
def ingest_cmd(
    events: Path = typer.Argument(..., help="JSONL: one event a line (see docs/monitor.md)."),
    db: str = typer.Option("", help="Database URL (default: $PROMISE_DB_URL or a SQLite file here)."),
    batch: int = typer.Option(1000, min=1, max=5000, help="Events per write."),
) -> None:
    """Send events to the watched plan; bad lines and rejected events are listed, the rest applied (exit 2 if any)."""
    with cli_errors():
        from engine.clock import WallClock

        evs, bad = read_events(events)
        svc = _service(db)
        now = WallClock().now()  # "too far in the future" is judged against the real clock, as the API does
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        n_warn = 0
        for i in range(0, len(evs), batch):
            results, warnings = svc.ingest(evs[i:i + batch], now=now)
            n_warn += len(warnings)
            for r in results:
                counts[r.status] += 1
                if r.status == "rejected":
                    typer.echo(f"event {r.event_id}: {r.message} (field {r.field})", err=True)
        for n, msg in bad:
            typer.echo(f"line {n}: {msg}", err=True)
        typer.echo(f"{counts['accepted']} accepted, {counts['duplicate']} duplicate, {counts['rejected'] + len(bad)} rejected; {n_warn} warning(s)")
        if bad or counts["rejected"]:
            raise typer.Exit(code=2)
