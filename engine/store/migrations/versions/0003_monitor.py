"""Live monitor: watched plans with their state, tracking events (idempotent by id) and warnings.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitor_plans",
        sa.Column("plan_key", sa.String(64), primary_key=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("promises", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_monitor_plans_active", "monitor_plans", ["active"])
    op.create_table(
        "monitor_events",
        sa.Column("plan_key", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_monitor_events_at", "monitor_events", ["at"])
    op.create_table(
        "monitor_warnings",
        sa.Column("row_no", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("warning_id", sa.String(36), nullable=False),
        sa.Column("plan_key", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("warning_id", name="uq_monitor_warnings_warning_id"),
    )
    for col in ("plan_key", "order_id", "kind", "severity", "at"):
        op.create_index(f"ix_monitor_warnings_{col}", "monitor_warnings", [col])


def downgrade() -> None:
    op.drop_table("monitor_warnings")
    op.drop_table("monitor_events")
    op.drop_table("monitor_plans")
