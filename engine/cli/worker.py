"""``promise worker``: deliver the notification outbox (retries, dead letters) until stopped."""

from __future__ import annotations

import signal
import threading

import typer

from engine.cli._errors import cli_errors


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker_cmd(
        db: str = typer.Option("", "--db", help="Database URL (default: $PROMISE_DB_URL or a SQLite file here)."),
        webhook_secret: str = typer.Option("", "--webhook-secret", help="Standard Webhooks signing secret (whsec_...); enables webhooks."),
        webhook_url: str = typer.Option("", "--webhook-url", help="Send every webhook here instead of the customer's own URL."),
        smtp: str = typer.Option("", "--smtp", help="smtp://[user:pass@]host:port?from=...&starttls=1; enables e-mail."),
        sms_url: str = typer.Option("", "--sms-url", help="SMS: an http(s) provider endpoint or an Apprise URL with {address}."),
        push_url: str = typer.Option("", "--push-url", help="App push: an http(s) provider endpoint or an Apprise URL with {address}."),
        provider_token: str = typer.Option("", "--provider-token", help="Bearer token for the HTTP SMS/push provider."),
        batch: int = typer.Option(200, "--batch", min=1, help="Rows claimed per round."),
        concurrency: int = typer.Option(32, "--concurrency", min=1, help="Sends in flight."),
        lease: float = typer.Option(30.0, "--lease", min=0.1, help="Seconds a claim holds before another worker may retry it."),
        max_attempts: int = typer.Option(8, "--max-attempts", min=1, help="Attempts before the dead letter."),
        idle: float = typer.Option(0.05, "--idle", min=0.0, help="Seconds to wait when nothing is due."),
        once: bool = typer.Option(False, "--once", help="Deliver what is due now, then exit."),
    ) -> None:
        """Deliver due notifications on the configured channels; marks each 'sending' before the call."""
        with cli_errors():
            from engine.clock import WallClock  # noqa: PLC0415
            from engine.config import Settings  # noqa: PLC0415
            from engine.errors import InputError  # noqa: PLC0415
            from engine.notify import ChannelConfig, RetryPolicy, Worker, build_channels  # noqa: PLC0415
            from engine.store.aftersales import StoreOutbox  # noqa: PLC0415
            from engine.store.repository import Store  # noqa: PLC0415

            channels = build_channels(ChannelConfig(
                webhook_secret=webhook_secret or None, webhook_url=webhook_url or None, smtp_url=smtp or None,
                sms_url=sms_url or None, push_url=push_url or None, provider_token=provider_token or None,
            ))
            if not channels:
                raise InputError("no channel configured: give --webhook-secret, --smtp, --sms-url or --push-url", field="--webhook-secret")
            store = Store(db or Settings().db_url)
            w = Worker(StoreOutbox(store), channels, WallClock(), retry=RetryPolicy(max_attempts=max_attempts),
                       batch=batch, concurrency=concurrency, lease_s=lease)
            stop = threading.Event()
            # SIGTERM (systemd, Kubernetes) and SIGINT finish the round in hand, record it, and exit.
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            typer.echo(f"worker {w.worker_id}: channels {', '.join(sorted(str(c) for c in channels))}", err=True)
            try:
                if once:
                    while not stop.is_set() and w.run_once():
                        pass
                else:
                    w.run(stop=stop.is_set, idle_s=idle)
            finally:
                w.close()
                typer.echo(f"sent {w.sent}, retrying {w.failed}, dead {w.dead}, database errors {w.db_errors}"
                           + (f" (last: {w.last_db_error})" if w.last_db_error else ""), err=True)
