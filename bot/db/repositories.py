"""SQL implementations of the core's repository ports; they flush but never commit."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, bindparam, func, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.core.models import (
    AuditEntry,
    ChatUser,
    LedgerKey,
    Link,
    ReminderChat,
    ReminderTarget,
    Sighting,
    TargetPage,
    UserProfile,
)
from bot.db.tables import (
    ACTION_LENGTH,
    CHANNEL_LENGTH,
    CUSTOMER_ID_LENGTH,
    DETAIL_LENGTH,
    LANGUAGE_CODE_LENGTH,
    NAME_LENGTH,
    USERNAME_LENGTH,
    AdminAuditRow,
    ChatUserRow,
    LinkRow,
    ReminderLedgerRow,
    ReminderSweepRow,
)

# Arbitrary but fixed (int4, "REMI"): the first key of every reminder claim's advisory
# lock, so claims cannot collide with advisory locks taken for other purposes.
REMINDER_LOCK_NAMESPACE = 0x52454D49

SWEEP_COUNTS = ("customers", "checked", "sent", "skipped", "failed")

LAST_SEEN_PRECISION = timedelta(hours=1)
"""How stale `last_seen_at` may get before a message refreshes it. Writing it on every
message made every update a write and a commit; to the hour is what retention needs."""

_users, _links = ChatUserRow.__table__, LinkRow.__table__
# One Core statement (no ORM objects) for what every message reads: the stored user, to tell
# whether anything changed, and the active link most commands then need.
_SIGHTING = (
    select(
        _users.c.chat_id,
        _users.c.first_name,
        _users.c.last_name,
        _users.c.username,
        _users.c.language_code,
        _users.c.last_seen_at,
        _users.c.blocked_at,
        _links.c.customer_id,
        _links.c.linked_by,
        _links.c.linked_at,
        _links.c.reminders_enabled,
        _links.c.origin,
    )
    .select_from(
        _users.outerjoin(
            _links, and_(_links.c.chat_user_id == _users.c.id, _links.c.unlinked_at.is_(None))
        )
    )
    .where(_users.c.channel == bindparam("channel"), _users.c.user_id == bindparam("user_id"))
)


class SqlChatUserRepository:
    """Chat users in the `chat_users` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def seen(self, profile: UserProfile, chat_id: str | None, now: datetime) -> ChatUser:
        """Create or refresh the user: profile and last_seen_at updated, first_seen_at kept.

        `chat_id` is the private chat; None (a message elsewhere) keeps the known one.
        """
        _require_aware(now)
        _require_fits("channel", profile.channel, CHANNEL_LENGTH)
        row = await _find_user(self._session, profile.channel, profile.user_id)
        if row is None:
            row = await _create_user(self._session, profile, chat_id, now)
        _apply_profile(row, profile)
        if chat_id is not None:
            row.chat_id = chat_id
        # The user wrote to the bot, so whatever block was seen before is over.
        row.blocked_at = None
        # Updates may be handled out of order; the newest sighting wins.
        row.last_seen_at = max(row.last_seen_at, now)
        await self._session.flush()
        return _chat_user(row)

    async def get(self, channel: str, user_id: str) -> ChatUser | None:
        """Return the user, or None if the bot never saw or linked them."""
        row = await _find_user(self._session, channel, user_id)
        return None if row is None else _chat_user(row)

    async def set_reachable(
        self, channel: str, user_id: str, reachable: bool, now: datetime
    ) -> None:
        """Mark the user's chat as blocked (False) or reachable again (True).

        An unknown user is left alone; blocking again keeps the time the block was first
        noticed. `seen` also makes a user reachable again.
        """
        _require_aware(now)
        row = await _find_user(self._session, channel, user_id)
        if row is None:
            return
        if reachable:
            row.blocked_at = None
        elif row.blocked_at is None:
            row.blocked_at = now
        await self._session.flush()


class SqlLinkRepository:
    """Links in the `links` table; ending a link keeps its row as history."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def active(self, channel: str, user_id: str) -> Link | None:
        """Return the user's active link, if any."""
        statement = (
            select(LinkRow, ChatUserRow)
            .join(ChatUserRow, LinkRow.chat_user_id == ChatUserRow.id)
            .where(
                ChatUserRow.channel == channel,
                ChatUserRow.user_id == user_id,
                LinkRow.unlinked_at.is_(None),
            )
        )
        found = (await self._session.execute(statement)).one_or_none()
        return None if found is None else _link(found[0], found[1])

    async def link(
        self,
        channel: str,
        user_id: str,
        customer_id: str,
        linked_by: str | None,
        now: datetime,
        *,
        origin: str = "admin",
    ) -> Link | None:
        """Link the user to `customer_id`, creating a bare chat user if needed.

        Returns the link that was active before: the replaced one, which is ended
        (unlinked_at=now, unlinked_by=linked_by) and kept as history. If the user is
        already linked to this very customer id nothing is written and that existing
        link is returned, so `previous.customer_id == customer_id` means "no change".
        """
        _require_aware(now)
        _require_fits("channel", channel, CHANNEL_LENGTH)
        _require_fits("customer id", customer_id, CUSTOMER_ID_LENGTH)
        user = await _find_user(self._session, channel, user_id, for_update=True)
        if user is None:
            # An admin may link someone who has not written to the bot yet.
            bare = UserProfile(channel=channel, user_id=user_id)
            user = await _create_user(self._session, bare, None, now, for_update=True)
        current = await _active_row(self._session, user.id)
        if current is not None and current.customer_id == customer_id:
            return _link(current, user)
        if current is not None:
            current.unlinked_at = now
            current.unlinked_by = linked_by
            # The partial unique index must see the old link ended before the new one exists.
            await self._session.flush()
        self._session.add(
            LinkRow(
                chat_user_id=user.id,
                customer_id=customer_id,
                linked_by=linked_by,
                linked_at=now,
                origin=origin,
            )
        )
        await self._session.flush()
        return None if current is None else _link(current, user)

    async def unlink(
        self, channel: str, user_id: str, unlinked_by: str | None, now: datetime
    ) -> Link | None:
        """End the user's active link (kept as history); return it, or None if there was none."""
        _require_aware(now)
        user = await _find_user(self._session, channel, user_id, for_update=True)
        if user is None:
            return None
        current = await _active_row(self._session, user.id)
        if current is None:
            return None
        current.unlinked_at = now
        current.unlinked_by = unlinked_by
        await self._session.flush()
        return _link(current, user)

    async def set_reminders(self, channel: str, user_id: str, enabled: bool) -> Link | None:
        """Turn reminders on or off for the user's active link; None if not linked."""
        user = await _find_user(self._session, channel, user_id)
        if user is None:
            return None
        current = await _active_row(self._session, user.id)
        if current is None:
            return None
        current.reminders_enabled = enabled
        await self._session.flush()
        return _link(current, user)


class SqlAuditRepository:
    """The admin audit log in the `admin_audit` table (append only)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, entry: AuditEntry) -> None:
        """Append one entry; an over-long detail is shortened rather than refused."""
        _require_aware(entry.at)
        _require_fits("channel", entry.channel, CHANNEL_LENGTH)
        _require_fits("action", entry.action, ACTION_LENGTH)
        if entry.customer_id is not None:
            _require_fits("customer id", entry.customer_id, CUSTOMER_ID_LENGTH)
        self._session.add(
            AdminAuditRow(
                at=entry.at,
                channel=entry.channel,
                admin_user_id=entry.admin_user_id,
                action=entry.action,
                target_user_id=entry.target_user_id,
                customer_id=entry.customer_id,
                detail=_clip(entry.detail, DETAIL_LENGTH),
            )
        )
        await self._session.flush()

    async def recent(self, limit: int) -> list[AuditEntry]:
        """Return the newest entries, newest first (ties: the later recorded first)."""
        if limit <= 0:
            return []
        statement = (
            select(AdminAuditRow)
            .order_by(AdminAuditRow.at.desc(), AdminAuditRow.id.desc())
            .limit(limit)
        )
        rows = (await self._session.scalars(statement)).all()
        return [_audit_entry(row) for row in rows]


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
        if _dialect(self._session) == "postgresql":
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
        if _dialect(self._session) != "postgresql":
            return True
        statement = select(func.pg_try_advisory_xact_lock(REMINDER_LOCK_NAMESPACE, chat_user_id))
        return bool(await self._session.scalar(statement))

    async def sent(self, chat_user_id: int, customer_id: str) -> set[LedgerKey]:
        """Return the reminders already sent to this chat about this customer."""
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
        _require_aware(now)
        _require_fits("customer id", customer_id, CUSTOMER_ID_LENGTH)
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
        _require_aware(started_at)
        _require_aware(finished_at)
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


async def read_sighting(
    connection: AsyncConnection, profile: UserProfile, chat_id: str | None, now: datetime
) -> Sighting:
    """Read whether `seen(profile, chat_id, now)` would change anything, and the active link.

    Stale means `seen` must run: the user is new, their profile (as `seen` would store it) or
    private chat changed, they had blocked the bot, or `last_seen_at` is `LAST_SEEN_PRECISION`
    or more before `now`.
    """
    _require_aware(now)
    parameters = {"channel": profile.channel, "user_id": profile.user_id}
    if connection.dialect.name == "sqlite":
        row = await _sqlite_sighting_row(connection, parameters)
    else:
        found = (await connection.execute(_SIGHTING, parameters)).one_or_none()
        row = None if found is None else _SightingRow._make(found)
    if row is None:
        return Sighting(link=None, stale=True)
    stored = (row.first_name, row.last_name, row.username, row.language_code)
    stale = (
        stored != _clipped_profile(profile)
        or (chat_id is not None and row.chat_id != chat_id)
        or row.blocked_at is not None
        or now - row.last_seen_at >= LAST_SEEN_PRECISION
    )
    link = None if row.customer_id is None else _link(row, profile)
    return Sighting(link=link, stale=stale)


class _SightingRow(NamedTuple):
    """A row of `_SIGHTING`, by column name."""

    chat_id: str | None
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None
    last_seen_at: datetime
    blocked_at: datetime | None
    customer_id: str | None
    linked_by: str | None
    linked_at: datetime
    reminders_enabled: bool
    origin: str


@dataclass(frozen=True)
class _Compiled:
    """`_SIGHTING` compiled for one dialect: SQL text, bound names in order, result types."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


@functools.cache
def _compiled_sighting(dialect: Dialect) -> _Compiled:
    compiled = _SIGHTING.compile(dialect=dialect)
    processors = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in _SIGHTING.selected_columns
    )
    return _Compiled(str(compiled), tuple(compiled.positiontup or ()), processors)


async def _sqlite_sighting_row(
    connection: AsyncConnection, parameters: dict[str, Any]
) -> _SightingRow | None:
    """Run `_SIGHTING` in one call to aiosqlite's thread instead of four.

    Through SQLAlchemy's adapter every statement is four calls (cursor, execute, fetch,
    close), each a hop to the driver's thread and back; on the message path those hops
    cost more CPU than the query. The statement and its result types are SQLAlchemy's own.
    """
    compiled = _compiled_sighting(connection.dialect)
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    rows = list(
        await driver.execute_fetchall(compiled.sql, [parameters[n] for n in compiled.names])
    )
    if not rows:
        return None
    values = (
        value if process is None else process(value)
        for process, value in zip(compiled.processors, rows[0], strict=True)
    )
    return _SightingRow._make(values)


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


def _dialect(session: AsyncSession) -> str:
    """Name the session's backend: the one place behaviour may differ between them."""
    return session.get_bind().dialect.name


async def _find_user(
    session: AsyncSession, channel: str, user_id: str, *, for_update: bool = False
) -> ChatUserRow | None:
    """Read one chat user; `for_update` serialises link changes per user on PostgreSQL."""
    statement = select(ChatUserRow).where(
        ChatUserRow.channel == channel, ChatUserRow.user_id == user_id
    )
    if for_update:
        # SQLite ignores FOR UPDATE; its single writer lock serialises writes anyway.
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def _create_user(
    session: AsyncSession,
    profile: UserProfile,
    chat_id: str | None,
    now: datetime,
    *,
    for_update: bool = False,
) -> ChatUserRow:
    """Insert a new chat user, or read the one a concurrent transaction inserted first."""
    row = ChatUserRow(
        channel=profile.channel,
        user_id=profile.user_id,
        chat_id=chat_id,
        first_seen_at=now,
        last_seen_at=now,
    )
    _apply_profile(row, profile)
    try:
        # The savepoint confines a unique-constraint failure to this insert, so the
        # surrounding unit of work stays usable and can read the winner's row.
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = await _find_user(
            session, profile.channel, profile.user_id, for_update=for_update
        )
        if existing is None:
            raise
        return existing
    return row


async def _active_row(session: AsyncSession, chat_user_id: int) -> LinkRow | None:
    """Read the chat user's active link row."""
    statement = select(LinkRow).where(
        LinkRow.chat_user_id == chat_user_id, LinkRow.unlinked_at.is_(None)
    )
    return (await session.scalars(statement)).one_or_none()


def _apply_profile(row: ChatUserRow, profile: UserProfile) -> None:
    """Copy the channel's view of the user onto the row (display data, so clipped to fit)."""
    row.first_name, row.last_name, row.username, row.language_code = _clipped_profile(profile)


def _clipped_profile(
    profile: UserProfile,
) -> tuple[str | None, str | None, str | None, str | None]:
    """Return first and last name, username and language as the row keeps them."""
    return (
        _clip(profile.first_name, NAME_LENGTH),
        _clip(profile.last_name, NAME_LENGTH),
        _clip(profile.username, USERNAME_LENGTH),
        _clip(profile.language_code, LANGUAGE_CODE_LENGTH),
    )


def _chat_user(row: ChatUserRow) -> ChatUser:
    return ChatUser(
        channel=row.channel,
        user_id=row.user_id,
        chat_id=row.chat_id,
        first_name=row.first_name,
        last_name=row.last_name,
        username=row.username,
        language_code=row.language_code,
        first_seen_at=_as_utc(row.first_seen_at),
    )


def _link(row: LinkRow | _SightingRow, user: ChatUserRow | UserProfile) -> Link:
    assert row.customer_id is not None  # a sighting's link columns are all set, or all NULL
    return Link(
        channel=user.channel,
        user_id=user.user_id,
        customer_id=row.customer_id,
        linked_by=row.linked_by,
        linked_at=_as_utc(row.linked_at),
        reminders_enabled=row.reminders_enabled,
        origin=row.origin,
    )


def _audit_entry(row: AdminAuditRow) -> AuditEntry:
    return AuditEntry(
        channel=row.channel,
        admin_user_id=row.admin_user_id,
        action=row.action,
        target_user_id=row.target_user_id,
        customer_id=row.customer_id,
        detail=row.detail,
        at=_as_utc(row.at),
    )


def _as_utc(value: datetime) -> datetime:
    """Normalise a datetime still held in memory from a write (any zone) to UTC."""
    return value.astimezone(UTC)


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime given; pass a timezone-aware datetime")


def _require_fits(what: str, value: str, length: int) -> None:
    # Identifiers are refused, not cut: PostgreSQL would refuse them and SQLite would not.
    if len(value) > length:
        raise ValueError(f"{what} is longer than {length} characters")


def _clip(value: str | None, length: int) -> str | None:
    if value is None or len(value) <= length:
        return value
    return value[: length - 1] + "…"


__all__ = [
    "REMINDER_LOCK_NAMESPACE",
    "SqlAuditRepository",
    "SqlChatUserRepository",
    "SqlLinkRepository",
    "SqlReminderRepository",
    "read_sighting",
]
