"""``promise keys``: create, list and revoke API keys in the configured database."""

from __future__ import annotations

import typer

from engine.cli._errors import cli_errors


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="API keys: each has one role (checkout, dispatcher, agent, admin).", no_args_is_help=True)
    app.add_typer(keys, name="keys")

    @keys.command("create")
    def create(
        role: str = typer.Option(..., "--role", help="checkout, dispatcher, agent or admin"),
        name: str = typer.Option("cli", "--name", help="What the key is for."),
        db: str = typer.Option("", help="Database URL (default: $PROMISE_DB_URL or the SQLite file here)."),
    ) -> None:
        """Create a key and print it once: it is stored only as a peppered hash."""
        from engine.config import Settings
        from engine.store.keys import create_key
        from engine.store.repository import Store

        with cli_errors():
            settings = Settings(db_url=db) if db else Settings()
            rec, text = create_key(Store(settings.db_url), role, name, settings)
            typer.echo(text)
            typer.echo(f"# key {rec.key_id}, role {rec.role.value}: shown once, keep it secret", err=True)

    @keys.command("list")
    def list_(db: str = typer.Option("", help="Database URL.")) -> None:
        """Keys with their id, role and state (never the key itself)."""
        from engine.config import Settings
        from engine.store.keys import list_keys
        from engine.store.repository import Store

        with cli_errors():
            settings = Settings(db_url=db) if db else Settings()
            for k in list_keys(Store(settings.db_url)):
                state = "revoked" if k.revoked_at else "active"
                typer.echo(f"{k.key_id}\t{k.role.value}\t{state}\t{k.name}")

    @keys.command("revoke")
    def revoke(key_id: str, db: str = typer.Option("", help="Database URL.")) -> None:
        """Revoke a key by its id (from ``promise keys list``)."""
        from engine.config import Settings
        from engine.store.keys import revoke_key
        from engine.store.repository import Store

        with cli_errors():
            settings = Settings(db_url=db) if db else Settings()
            revoke_key(Store(settings.db_url), key_id)
