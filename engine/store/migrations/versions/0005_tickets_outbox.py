"""Tickets with their history, customers and their orders, the notification outbox and its attempts.

Revision ID: 0005
Revises: 0004 (the API keys)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("language", sa.String(16), nullable=False, server_default="en"),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=False, server_default="22"),
        sa.Column("quiet_end", sa.Integer(), nullable=False, server_default="8"),
        sa.Column("rate_per_hour", sa.Integer(), nullable=False, server_default="6"),
        sa.Column("opted_out", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "order_customers",
        sa.Column("order_id", sa.String(128), primary_key=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("region", sa.String(64), nullable=True),
    )
    op.create_index("ix_order_customers_customer_id", "order_customers", ["customer_id"])
    op.create_table(
        "tickets",
        sa.Column("ticket_id", sa.String(36), primary_key=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("queue", sa.String(100), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(128), nullable=True),
        sa.Column("customer_id", sa.String(128), nullable=True),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False, server_default=""),
        sa.Column("source", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("first_response_at", sa.Float(), nullable=True),
        sa.Column("resolved_at", sa.Float(), nullable=True),
    )
    for col in ("category", "queue", "status", "order_id", "customer_id", "agent", "created_at"):
        op.create_index(f"ix_tickets_{col}", "tickets", [col])
    op.create_table(
        "ticket_changes",
        sa.Column("change_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.UniqueConstraint("ticket_id", "seq", name="uq_ticket_changes_seq"),
    )
    op.create_index("ix_ticket_changes_ticket_id", "ticket_changes", ["ticket_id"])
    op.create_table(
        "outbox",
        sa.Column("notification_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("cause", sa.String(300), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(500), nullable=False, server_default=""),
        sa.Column("language", sa.String(16), nullable=False, server_default="en"),
        sa.Column("order_id", sa.String(128), nullable=True),
        sa.Column("customer_id", sa.String(128), nullable=True),
        sa.Column("ticket_id", sa.String(36), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("not_before", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
    )
    for col in ("cause", "order_id", "customer_id", "status", "not_before"):
        op.create_index(f"ix_outbox_{col}", "outbox", [col])
    op.create_table(
        "outbox_attempts",
        sa.Column("attempt_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(64), nullable=False, server_default=""),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_attempts_notification_id", "outbox_attempts", ["notification_id"])


def downgrade() -> None:
    for table in ("outbox_attempts", "outbox", "ticket_changes", "tickets", "order_customers", "customers"):
        op.drop_table(table)
