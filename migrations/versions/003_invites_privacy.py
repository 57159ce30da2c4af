"""Invites and data rights: invite codes, throttled attempts, link origin, anonymous audit rows.

Revision ID: 003
Revises: 002
Create Date: 2026-12-04 10:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "003"
down_revision: str | Sequence[str] | None = "002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch_op:
        # Every link made before invites existed was made by an admin.
        batch_op.add_column(
            sa.Column(
                "origin", sa.String(length=16), server_default=sa.text("'admin'"), nullable=False
            )
        )
    with op.batch_alter_table("admin_audit") as batch_op:
        batch_op.alter_column("admin_user_id", existing_type=sa.BigInteger(), nullable=True)
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=256), nullable=False),
        sa.Column("issued_via", sa.String(length=16), nullable=False),
        sa.Column("issued_by", sa.BigInteger(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["chat_users.id"],
            name=op.f("fk_invites_used_by_chat_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invites_code_hash")),
    )
    op.create_index(op.f("ix_invites_customer_id"), "invites", ["customer_id"], unique=False)
    op.create_table(
        "invite_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_user_id"],
            ["chat_users.id"],
            name=op.f("fk_invite_attempts_chat_user_id_chat_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_attempts")),
    )
    op.create_index(
        op.f("ix_invite_attempts_chat_user_id"), "invite_attempts", ["chat_user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_invite_attempts_chat_user_id"), table_name="invite_attempts")
    op.drop_table("invite_attempts")
    op.drop_index(op.f("ix_invites_customer_id"), table_name="invites")
    op.drop_table("invites")
    # Audit rows of erasures have no admin; they cannot survive the column becoming required.
    op.execute("DELETE FROM admin_audit WHERE admin_user_id IS NULL")
    with op.batch_alter_table("admin_audit") as batch_op:
        batch_op.alter_column("admin_user_id", existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("links") as batch_op:
        batch_op.drop_column("origin")
