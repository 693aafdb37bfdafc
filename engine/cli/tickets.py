"""``promise tickets ...``: ticket KPIs and the SLA sweep from the command line."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import typer

from engine.cli._errors import cli_errors
from engine.errors import InputError


def _epoch(text: str, name: str) -> float:
    try:
        t = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{name} must be an ISO date or time, e.g. 2026-11-28T00:00Z (got {text!r})", field=name) from exc
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()


def register(app: typer.Typer) -> None:
    tickets_app = typer.Typer(help="After-sales tickets: KPIs and SLA clocks.", no_args_is_help=True)
    app.add_typer(tickets_app, name="tickets")

    @tickets_app.command("kpis")
    def kpis_cmd(
        since: str = typer.Option(..., "--since", help="Start of the range (ISO; UTC unless it says otherwise)."),
        until: str = typer.Option("", "--until", help="End of the range (default: now)."),
        db: str = typer.Option("", "--db", help="Database URL (default: $PROMISE_DB_URL or a SQLite file here)."),
        as_json: bool = typer.Option(False, "--json", help="Print the KPIs as JSON."),
    ) -> None:
        """Share resolved within 24 h, feedback within 48 h, median first response, SLA and backlog by queue."""
        with cli_errors():
            from engine.clock import WallClock  # noqa: PLC0415
            from engine.config import Settings  # noqa: PLC0415
            from engine.store.aftersales import unit  # noqa: PLC0415
            from engine.store.repository import Store  # noqa: PLC0415
            from engine.tickets import SlaPolicies, TicketQuery, kpis  # noqa: PLC0415

            t0 = _epoch(since, "--since")
            t1 = _epoch(until, "--until") if until else WallClock().now()
            if t1 <= t0:
                raise InputError("--until must be after --since", field="--until")
            settings = Settings()
            store = Store(db or settings.db_url)
            with unit(store) as u:
                rows = u.list_tickets(TicketQuery(since=t0, until=t1), limit=10**7)
            k = kpis(rows, since=t0, until=t1, now=min(t1, WallClock().now()) if not until else t1,
                     policies=SlaPolicies.from_settings(settings))
            if as_json:
                typer.echo(json.dumps(k.to_dict(), indent=2))
                return
            pct = lambda x: "-" if x is None else f"{100 * x:.1f}%"  # noqa: E731
            typer.echo(f"tickets opened {k.opened}, resolved {k.resolved}")
            typer.echo(f"resolved within 24 h: {pct(k.resolved_24h_share)} of {k.resolved_24h_judged} (target >= 90%)")
            typer.echo(f"feedback handled within 48 h: {pct(k.feedback_48h_share)} of {k.feedback_48h_judged}")
            mfr = k.median_first_response_s
            typer.echo(f"median first response: {'-' if mfr is None else f'{mfr / 60:.1f} min'}")
            typer.echo(f"{'queue':<28}{'opened':>8}{'resolved':>10}{'backlog':>9}{'SLA met':>9}")
            for q, s in k.by_queue.items():
                typer.echo(f"{q:<28}{s.opened:>8}{s.resolved:>10}{s.backlog:>9}{pct(s.sla_attainment):>9}")

    @tickets_app.command("sweep")
    def sweep_cmd(
        db: str = typer.Option("", "--db", help="Database URL (default: $PROMISE_DB_URL or a SQLite file here)."),
    ) -> None:
        """Log SLA near-breach and breach events that are due now (each once per ticket)."""
        with cli_errors():
            from engine.clock import WallClock  # noqa: PLC0415
            from engine.config import Settings  # noqa: PLC0415
            from engine.domain.ticket import OPEN_STATUSES  # noqa: PLC0415
            from engine.store.aftersales import unit  # noqa: PLC0415
            from engine.store.repository import Store  # noqa: PLC0415
            from engine.tickets import SlaPolicies, TicketQuery, sweep  # noqa: PLC0415

            settings = Settings()
            store = Store(db or settings.db_url)
            with unit(store) as u:
                events = sweep(u.list_tickets(TicketQuery(status=sorted(OPEN_STATUSES)), limit=10**7),
                               SlaPolicies.from_settings(settings), WallClock().now())
                for t in {id(t): t for t, _ in events}.values():
                    u.save_ticket(t)
            for _, e in events:
                typer.echo(f"{e.ticket_id} {e.queue} {e.clock} {e.kind} ({e.fraction:.0%})")
            typer.echo(f"{len(events)} SLA event(s)")
