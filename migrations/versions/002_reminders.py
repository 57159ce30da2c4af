"""Expiration reminders: blocked chats, a reminder switch per link, the ledger, sweeps.

Revision ID: 002
Revises: 001
Create Date: 2026-12-03 10:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "002"
down_revision: str | Sequence[str] | None = "001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_users") as batch_op:
        batch_op.add_column(sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("links") as batch_op:
        # The server default turns reminders on for every link that already exists.
        batch_op.add_column(
            sa.Column("reminders_enabled", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    # Each predicate matches how SQLAlchemy renders the boolean column on that backend.
    op.create_index(
        "ix_links_customer_id_reminders",
        "links",
        ["customer_id", "chat_user_id"],
        unique=False,
        sqlite_where=sa.text("unlinked_at IS NULL AND reminders_enabled = 1"),
        postgresql_where=sa.text("unlinked_at IS NULL AND reminders_enabled"),
    )
    op.create_table(
        "reminder_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_user_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=256), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("threshold_days", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_user_id"],
            ["chat_users.id"],
            name=op.f("fk_reminder_ledger_chat_user_id_chat_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_ledger")),
        sa.UniqueConstraint(
            "chat_user_id",
            "customer_id",
            "expires_on",
            "threshold_days",
            name="uq_reminder_ledger_key",
        ),
    )
    op.create_table(
        "reminder_sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customers", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("checked", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sent", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("skipped", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("failed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sweeps")),
    )
    op.create_index(
        op.f("ix_reminder_sweeps_started_at"), "reminder_sweeps", ["started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminder_sweeps_started_at"), table_name="reminder_sweeps")
    op.drop_table("reminder_sweeps")
    op.drop_table("reminder_ledger")
    op.drop_index("ix_links_customer_id_reminders", table_name="links")
    with op.batch_alter_table("links") as batch_op:
        batch_op.drop_column("reminders_enabled")
    with op.batch_alter_table("chat_users") as batch_op:
        batch_op.drop_column("blocked_at")
