"""``Settings``: the one place that reads the environment.

Every knob an operator sets lives here, read from ``PROMISE_*`` variables (or
a ``.env`` file), validated once by pydantic-settings.  Code that needs a
setting calls :func:`get_settings` (cached) or is handed a ``Settings``; tests
and the CLI build their own with ``Settings(db_url=...)`` instead of writing
``os.environ``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "reset_settings", "desk_window"]


def _cores() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class Settings(BaseSettings):
    """Operator settings; each field is read from ``PROMISE_<FIELD>`` (case-insensitive)."""

    model_config = SettingsConfigDict(env_prefix="PROMISE_", env_file=None, extra="ignore", frozen=True)

    # --- storage ---------------------------------------------------------------
    db_url: str = Field("sqlite:///promise-engine.db", description="SQLAlchemy URL: SQLite file by default, postgresql+psycopg://... for PostgreSQL.")
    cache_dir: Path = Field(Path.home() / ".cache" / "promise-engine", description="Compiled networks and hierarchies.")
    cache_max_gb: float = Field(5.0, gt=0, description="Largest the cache may grow; least recently used entries go first.")
    # --- models and networks -----------------------------------------------------
    model_dir: Optional[Path] = Field(None, description="A fitted ETA model directory to serve instead of the default.")
    network_dir: Optional[Path] = Field(None, description="OSM files the API may load; unset: only 'helsinki' and synthetic.")
    max_synthetic_nodes: int = Field(300_000, ge=50, description="Largest synthetic network a client may ask for.")
    # --- solving -----------------------------------------------------------------
    solve_workers: int = Field(default_factory=_cores, ge=1, description="Concurrent solves in the API's worker pool.")
    solve_queue: int = Field(16, ge=0, description="Solves waiting for a worker before new ones get 429.")
    memory_budget_gb: float = Field(8.0, gt=0, description="Memory one solve may plan for; larger problems get 413.")
    solve_in_threads: bool = Field(False, description="Run solves in threads of the API process instead of worker processes (tests, embedding; a solve then holds the interpreter, so raise shed_lag_ms).")
    max_attempts: int = Field(2, ge=1, description="Solve attempts a plan gets across server restarts before it is 'failed'.")
    heartbeat_s: float = Field(5.0, gt=0, description="How often running solves are marked alive in the store.")
    shutdown_grace_s: float = Field(5.0, ge=0, description="On shutdown, how long running solves may finish before they are re-queued.")
    # --- retention -----------------------------------------------------------------
    plan_retention_days: float = Field(30.0, gt=0, description="Finished plans older than this are deleted.")
    max_stored_plans: int = Field(10_000, ge=1, description="Most plans kept; the oldest finished ones go first.")
    max_synthetic_seed: int = Field(9, ge=0, description="Synthetic networks a client may choose: seeds 0..this.")
    # --- access ----------------------------------------------------------------------
    auth: bool = Field(True, description="Require an API key on every route but /healthz, /readyz and the docs.")
    key_pepper: Optional[SecretStr] = Field(None, description="Secret mixed into stored key hashes; unset: a random one kept in secrets_dir.")
    secrets_dir: Path = Field(Path.home() / ".config" / "promise-engine", description="Where the generated pepper lives (mode 600).")
    plans_per_minute: int = Field(30, ge=1, description="Plan solves one key may submit per minute (429 beyond).")
    # --- request limits -------------------------------------------------------------
    max_body: int = Field(1 << 20, ge=1024, description="Largest request body in bytes (quotes, checks, events).")
    max_body_plans: int = Field(32 << 20, ge=1024, description="Largest POST /v1/plans body in bytes.")
    max_body_events: int = Field(
        4 << 20, ge=1024,
        description="Largest POST /v1/carrier-events body in bytes (a full batch of 5,000 events with the longest ids fits).")
    max_json_depth: int = Field(32, ge=4, description="Deepest JSON nesting accepted.")
    max_in_flight: int = Field(256, ge=1, description="Requests in progress at once; past it uvicorn answers 503 at once.")
    shed_lag_ms: float = Field(40.0, gt=0, description="Event-loop lag above which new requests get a fast 503.")
    # --- promise regions ----------------------------------------------------------------
    default_region: str = Field("helsinki", min_length=1, description="Region quotes and checks use when a request names none (an embedded one: helsinki, shanghai; or a model under model_dir).")
    # --- support desk: SLA clocks ------------------------------------------------------------
    sla_first_response_min: float = Field(30.0, gt=0, le=7 * 24 * 60, description="First-response target of a ticket, in counted minutes.")
    sla_resolution_h: float = Field(24.0, gt=0, le=366 * 24, description="Resolution target of a ticket, in counted hours.")
    sla_feedback_h: float = Field(48.0, gt=0, le=366 * 24, description="Target for handling feedback and complaints, in counted hours.")
    desk_tz: Optional[str] = Field(None, description="IANA time zone of the support desk (Asia/Shanghai). Set: SLA clocks count the desk's business hours only; unset: every hour counts.")
    desk_hours: str = Field("09:00-18:00", description="The desk's local opening hours, HH:MM-HH:MM (24:00 allowed as the end); read with desk_tz.")
    desk_country: Optional[str] = Field(None, description="Country whose public holidays, weekend and make-up workdays close the desk (CN, FI...); read with desk_tz.")

    @field_validator("desk_tz")
    @classmethod
    def _known_tz(cls, v: Optional[str]) -> Optional[str]:
        if v is not None:
            from zoneinfo import ZoneInfo  # noqa: PLC0415

            try:
                ZoneInfo(v)
            except Exception as exc:  # noqa: BLE001 -- ZoneInfo raises several kinds for a bad name
                raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("desk_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        desk_window(v)
        return v

    @field_validator("desk_country")
    @classmethod
    def _known_country(cls, v: Optional[str]) -> Optional[str]:
        if v is not None:
            import holidays  # noqa: PLC0415

            if v.upper() not in holidays.list_supported_countries():
                raise ValueError(f"no public holidays known for {v!r}")
            return v.upper()
        return v

    @model_validator(mode="after")
    def _desk_needs_its_zone(self) -> Settings:
        # Hours or a country without the desk's time zone would be dropped without a word.
        if self.desk_tz is None and (self.desk_country is not None or self.desk_hours != type(self).model_fields["desk_hours"].default):
            raise ValueError("PROMISE_DESK_HOURS and PROMISE_DESK_COUNTRY apply to a desk in business hours:"
                             " set PROMISE_DESK_TZ too")
        return self


def desk_window(text: str) -> tuple[float, float]:
    """``"09:00-18:00"`` as local hours ``(9.0, 18.0)``; ValueError unless ``0 <= open < close <= 24``."""
    try:
        a, b = (part.strip() for part in text.split("-"))
        (ha, ma), (hb, mb) = (tuple(int(x) for x in part.split(":")) for part in (a, b))
    except ValueError as exc:
        raise ValueError(f"opening hours must read HH:MM-HH:MM, not {text!r}") from exc
    if not (0 <= ma < 60 and 0 <= mb < 60):
        raise ValueError(f"opening hours must read HH:MM-HH:MM, not {text!r}")
    lo, hi = ha + ma / 60, hb + mb / 60
    if not 0 <= lo < hi <= 24:
        raise ValueError(f"opening hours {text!r}: need 00:00 <= open < close <= 24:00")
    return lo, hi


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests that change the environment call this)."""
    get_settings.cache_clear()
