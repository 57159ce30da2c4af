"""The SQL reminder repository: targets to remind, the ledger of reminders sent, sweeps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.customer_ids import canonical_customer_id
from bot.core.models import (
    LedgerKey,
    ReminderChat,
    ReminderTarget,
    TargetPage,
)
from bot.db.rows import (
    dialect,
    require_aware,
    require_fits,
)
from bot.db.tables import (
    CUSTOMER_ID_LENGTH,
    ChatUserRow,
    LinkRow,
    ReminderLedgerRow,
    ReminderSweepRow,
)

# Arbitrary but fixed (int4, "REMI"): the first key of every reminder claim's advisory
# lock, so claims cannot collide with advisory locks taken for other purposes.
REMINDER_LOCK_NAMESPACE = 0x52454D49

SWEEP_COUNTS = ("customers", "checked", "sent", "skipped", "failed")


class SqlReminderRepository:
    """Reminder targets, the `reminder_ledger` of reminders sent and `reminder_sweeps`."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count_targets(self, channel: str) -> int:
        """Return how many customers have at least one chat to remind."""
        statement = select(func.count(LinkRow.customer_id.distinct())).join(
            ChatUserRow, LinkRow.chat_user_id == ChatUserRow.id
        )
        count: int = await self._session.scalar(statement.where(_qualifying(channel))) or 0
        return count

    async def count_waiting(self, channel: str | None = None) -> int:
        """Return the active links with reminders on whose user has no private chat yet."""
        statement = (
            select(func.count())
            .select_from(LinkRow)
            .join(ChatUserRow, LinkRow.chat_user_id == ChatUserRow.id)
            .where(
                LinkRow.unlinked_at.is_(None),
                LinkRow.reminders_enabled,
                ChatUserRow.chat_id.is_(None),
            )
        )
        if channel is not None:
            statement = statement.where(ChatUserRow.channel == channel)
        count: int = await self._session.scalar(statement) or 0
        return count

    async def targets(self, channel: str, after: str | None, limit: int) -> TargetPage:
        """Look at up to `limit` linked customers (by id, after `after`); return those with chats.

        Two plain queries instead of one with a subquery: a page of up to `limit` active
        links by keyset pagination on `ix_links_customer_id_reminders`, then the chats of
        exactly that customer id range. Neither depends on planner statistics, so a page
        costs the same on tables that were never analyzed (right after a bulk import) as on
        analyzed ones.
        """
        if limit <= 0:
            return TargetPage((), None)
        if dialect(self._session) == "postgresql":
            # Without statistics (a bulk import just before the sweep, autovacuum off) the
            # planner expects a handful of rows and would read and sort every link past
            # `after` for each page; the index already holds them in order. This reading
            # unit runs nothing else that needs a sort.
            await self._session.execute(text("SET LOCAL enable_sort = off"))
        # No DISTINCT, for the same reason: a customer linked from several chats takes
        # several of the `limit` rows, and the range query below finds all of its chats.
        page = (
            select(LinkRow.customer_id)
            .where(
                LinkRow.unlinked_at.is_(None),
                # Rendered as the predicate of ix_links_customer_id_reminders on each backend.
                LinkRow.reminders_enabled,
            )
            .order_by(LinkRow.customer_id)
            .limit(limit)
        )
        if after is not None:
            page = page.where(LinkRow.customer_id > after)
        customer_ids = list(await self._session.scalars(page))
        if not customer_ids:
            return TargetPage((), None)
        statement = (
            select(LinkRow.customer_id, ChatUserRow.id, ChatUserRow.user_id, ChatUserRow.chat_id)
            .join(ChatUserRow, LinkRow.chat_user_id == ChatUserRow.id)
            .where(
                _qualifying(channel),
                LinkRow.customer_id.between(customer_ids[0], customer_ids[-1]),
            )
        )
        rows = sorted(await self._session.execute(statement), key=lambda row: (row[0], row[1]))
        chats: dict[str, list[ReminderChat]] = {}
        for customer_id, chat_user_id, user_id, chat_id in rows:
            if chat_id is None:  # pragma: no cover - excluded by the query; narrows the type
                continue
            chats.setdefault(customer_id, []).append(
                ReminderChat(chat_user_id=chat_user_id, user_id=user_id, chat_id=chat_id)
            )
        # Dicts keep insertion order, which is customer id order.
        targets = tuple(
            ReminderTarget(customer_id=key, chats=tuple(value)) for key, value in chats.items()
        )
        return TargetPage(targets, customer_ids[-1] if len(customer_ids) == limit else None)

    async def claim(self, chat_user_id: int) -> bool:
        """Try to own this chat's reminders until the unit of work ends; False if taken.

        PostgreSQL takes a transaction-level advisory lock, released at commit or rollback.
        SQLite always answers True: its single writer serialises the sweeps of one process,
        but several processes sweeping one SQLite file at once is not supported.
        """
        if dialect(self._session) != "postgresql":
            return True
        statement = select(func.pg_try_advisory_xact_lock(REMINDER_LOCK_NAMESPACE, chat_user_id))
        return bool(await self._session.scalar(statement))

    async def sent(self, chat_user_id: int, customer_id: str) -> set[LedgerKey]:
        """Return the reminders already sent to this chat about this customer."""
        customer_id = canonical_customer_id(customer_id)
        statement = select(ReminderLedgerRow.expires_on, ReminderLedgerRow.threshold_days).where(
            ReminderLedgerRow.chat_user_id == chat_user_id,
            ReminderLedgerRow.customer_id == customer_id,
        )
        rows = await self._session.execute(statement)
        return {LedgerKey(expires_on=expires_on, threshold_days=days) for expires_on, days in rows}

    async def record(
        self, chat_user_id: int, customer_id: str, keys: Iterable[LedgerKey], now: datetime
    ) -> None:
        """Write reminders as sent; ones already in the ledger are left as they are.

        The caller has just read the ledger under its claim, so duplicates are rare: each
        insert gets a savepoint instead of reading the ledger a second time.
        """
        require_aware(now)
        customer_id = canonical_customer_id(customer_id)
        require_fits("customer id", customer_id, CUSTOMER_ID_LENGTH)
        for key in sorted(set(keys), key=lambda item: (item.expires_on, item.threshold_days)):
            row = ReminderLedgerRow(
                chat_user_id=chat_user_id,
                customer_id=customer_id,
                expires_on=key.expires_on,
                threshold_days=key.threshold_days,
                sent_at=now,
            )
            try:
                # A row already there (another sweep, or a retry) must not fail the unit of
                # work; the savepoint confines the unique-constraint error to this insert.
                async with self._session.begin_nested():
                    self._session.add(row)
            except IntegrityError:
                if key not in await self.sent(chat_user_id, customer_id):
                    raise

    async def record_sweep(
        self, started_at: datetime, finished_at: datetime, counts: dict[str, int]
    ) -> None:
        """Keep a finished sweep's times and counts (missing counts are 0)."""
        require_aware(started_at)
        require_aware(finished_at)
        unknown = set(counts) - set(SWEEP_COUNTS)
        if unknown:
            raise ValueError(f"unknown sweep counts: {', '.join(sorted(unknown))}")
        self._session.add(
            ReminderSweepRow(
                started_at=started_at,
                finished_at=finished_at,
                **{name: counts.get(name, 0) for name in SWEEP_COUNTS},
            )
        )
        await self._session.flush()

    async def last_sweep_started(self) -> datetime | None:
        """Return when the newest finished sweep started, or None if none ever finished."""
        newest: datetime | None = await self._session.scalar(
            select(func.max(ReminderSweepRow.started_at))
        )
        return newest


def _qualifying(channel: str) -> ColumnElement[bool]:
    """Return the condition for a link's chat to get reminders, for a links-chat_users join."""
    return and_(
        ChatUserRow.channel == channel,
        LinkRow.unlinked_at.is_(None),
        # Rendered as the predicate of ix_links_customer_id_reminders on each backend.
        LinkRow.reminders_enabled,
        ChatUserRow.blocked_at.is_(None),
        ChatUserRow.chat_id.is_not(None),
    )
