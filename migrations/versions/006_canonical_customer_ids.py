"""Customer ids in one canonical form: trimmed, e-mails lower-case, CPF and CNPJ as digits.

Revision ID: 006
Revises: 005
Create Date: 2026-12-06 10:00:00+00:00

Links, invites and audit rows have no unique key on the customer id: each row is rewritten and
kept, so every link (active or ended), invite and audit row stays. The reminder ledger has one
(chat, customer, expiration, threshold): where two spellings of one customer recorded the same
reminder, the first one sent is kept, which is all the sweep needs to never send it again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "006"
down_revision: str | Sequence[str] | None = "005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rule of `bot.core.customer_ids.canonical_customer_id` as of this revision, copied so that a
# later change to the bot's code does not change what this migration did.
_CPF = re.compile(r"[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}")
_CNPJ = re.compile(r"[0-9]{2}\.?[0-9]{3}\.?[0-9]{3}/?[0-9]{4}-?[0-9]{2}")


def canonical(customer_id: str) -> str:
    """Return the canonical form of a customer id (see the module docstring)."""
    text = customer_id.strip()
    if "@" in text:
        return text.lower()
    if _CPF.fullmatch(text) or _CNPJ.fullmatch(text):
        return re.sub(r"[^0-9]", "", text)
    return text


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.Integer()), *(sa.column(c) for c in columns))


def _rewrite(connection: sa.Connection, table: sa.TableClause, changes: dict[int, str]) -> None:
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(customer_id=sa.bindparam("new"))
    )
    if changes:
        connection.execute(statement, [{"row_id": k, "new": v} for k, v in changes.items()])


def _merge_ledger(connection: sa.Connection) -> None:
    """Canonicalise the ledger, keeping the earliest of rows that become one."""
    ledger = _table(
        "reminder_ledger", "chat_user_id", "customer_id", "expires_on", "threshold_days", "sent_at"
    )
    rows = connection.execute(
        sa.select(
            ledger.c.id,
            ledger.c.chat_user_id,
            ledger.c.customer_id,
            ledger.c.expires_on,
            ledger.c.threshold_days,
        ).order_by(ledger.c.sent_at, ledger.c.id)
    ).all()
    kept: set[tuple[object, ...]] = set()
    duplicates: list[int] = []
    changes: dict[int, str] = {}
    for row_id, chat_user_id, customer_id, expires_on, threshold_days in rows:
        new = canonical(customer_id)
        key = (chat_user_id, new, expires_on, threshold_days)
        if key in kept:
            duplicates.append(row_id)
            continue
        kept.add(key)
        if new != customer_id:
            changes[row_id] = new
    # Duplicates go first: the unique key must never see two rows at once.
    if duplicates:
        connection.execute(sa.delete(ledger).where(ledger.c.id.in_(duplicates)))
    _rewrite(connection, ledger, changes)


def upgrade() -> None:
    connection = op.get_bind()
    for name in ("links", "invites", "admin_audit"):
        table = _table(name, "customer_id")
        rows = connection.execute(
            sa.select(table.c.id, table.c.customer_id).where(table.c.customer_id.is_not(None))
        ).all()
        changes = {row_id: canonical(value) for row_id, value in rows if canonical(value) != value}
        _rewrite(connection, table, changes)
    _merge_ledger(connection)


def downgrade() -> None:
    # Nothing to undo in the schema; the spellings ids had before are not kept anywhere.
    pass
