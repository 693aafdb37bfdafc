"""``promise serve``: run the HTTP API under uvicorn."""

from __future__ import annotations

import typer

from engine.cli._errors import cli_errors


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to bind."),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
        workers: int = typer.Option(1, min=1, help="uvicorn worker processes (settings then come from PROMISE_* variables only)."),
        db: str = typer.Option("", help="Database URL (default: $PROMISE_DB_URL or a SQLite file here)."),
    ) -> None:
        """Serve plans, quotes and promise checks over HTTP (OpenAPI docs at /docs)."""
        import uvicorn

        from engine.config import Settings
        from engine.errors import InputError

        with cli_errors():
            if workers > 1:
                if db:
                    # Worker processes import the app afresh and read PROMISE_* themselves.
                    raise InputError("--db works with one worker; with --workers > 1 set PROMISE_DB_URL instead", field="--db")
                uvicorn.run("api.main:app", host=host, port=port, workers=workers, log_level="warning",
                            limit_concurrency=Settings().max_in_flight, access_log=False)
                return
            from api.main import create_app

            settings = Settings(db_url=db) if db else Settings()
            # limit_concurrency: past it uvicorn itself answers 503, the cheapest possible refusal.
            uvicorn.run(create_app(settings), host=host, port=port, log_level="warning",
                        limit_concurrency=settings.max_in_flight, access_log=False)
