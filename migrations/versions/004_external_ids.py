"""User and chat ids as text on every channel: Telegram's integers and WhatsApp's wa_id alike.

Revision ID: 004
Revises: 003
Create Date: 2026-12-05 10:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "004"
down_revision: str | Sequence[str] | None = "003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXTERNAL_ID = sa.String(length=64)

# Every column holding a user or chat id of some channel, by table.
ID_COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {
    "chat_users": (("user_id", False), ("chat_id", True)),
    "links": (("linked_by", True), ("unlinked_by", True)),
    "admin_audit": (("admin_user_id", True), ("target_user_id", True)),
    "invites": (("issued_by", True),),
}


def upgrade() -> None:
    # A Telegram id written as decimal digits is the same id: every existing row is kept.
    for table, columns in ID_COLUMNS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, nullable in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.BigInteger(),
                    type_=EXTERNAL_ID,
                    existing_nullable=nullable,
                    postgresql_using=f"{column}::varchar(64)",
                )


def downgrade() -> None:
    # Only digit-only ids fit a BIGINT again; WhatsApp's wa_id is digits, so this holds.
    for table, columns in ID_COLUMNS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, nullable in columns:
                batch_op.alter_column(
                    column,
                    existing_type=EXTERNAL_ID,
                    type_=sa.BigInteger(),
                    existing_nullable=nullable,
                    postgresql_using=f"{column}::bigint",
                )
