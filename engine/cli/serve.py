"""``promise serve``: run the HTTP API under uvicorn."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to bind."),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
        workers: int = typer.Option(1, min=1, help="uvicorn worker processes."),
        db: str = typer.Option("", help="Database URL (default: $PROMISE_DB_URL or a SQLite file here)."),
    ) -> None:
        """Serve plans, quotes and promise checks over HTTP (OpenAPI docs at /docs)."""
        import os

        import uvicorn

        if db:
            os.environ["PROMISE_DB_URL"] = db
        uvicorn.run("api.main:app", host=host, port=port, workers=workers, log_level="warning")
