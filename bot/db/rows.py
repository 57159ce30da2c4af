"""Shared by the SQL repositories: finding and creating rows, and turning them into core data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models import (
    AuditEntry,
    ChatUser,
    Link,
    UserProfile,
)
from bot.db.tables import (
    LANGUAGE_CODE_LENGTH,
    NAME_LENGTH,
    USERNAME_LENGTH,
    AdminAuditRow,
    ChatUserRow,
    LinkRow,
)
from bot.text import showable


class LinkColumns(Protocol):
    """What a link is read from: a `LinkRow`, or the link columns of a sighting."""

    @property
    def customer_id(self) -> str | None:
        """The link's `customer_id` column."""
        ...

    @property
    def linked_by(self) -> str | None:
        """The link's `linked_by` column."""
        ...

    @property
    def linked_at(self) -> datetime:
        """The link's `linked_at` column."""
        ...

    @property
    def reminders_enabled(self) -> bool:
        """The link's `reminders_enabled` column."""
        ...

    @property
    def origin(self) -> str:
        """The link's `origin` column."""
        ...


def dialect(session: AsyncSession) -> str:
    """Name the session's backend: the one place behaviour may differ between them."""
    return session.get_bind().dialect.name


async def find_user(
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


async def create_user(
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
    apply_profile(row, profile)
    try:
        # The savepoint confines a unique-constraint failure to this insert, so the
        # surrounding unit of work stays usable and can read the winner's row.
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = await find_user(
            session, profile.channel, profile.user_id, for_update=for_update
        )
        if existing is None:
            raise
        return existing
    return row


async def active_row(session: AsyncSession, chat_user_id: int) -> LinkRow | None:
    """Read the chat user's active link row."""
    statement = select(LinkRow).where(
        LinkRow.chat_user_id == chat_user_id, LinkRow.unlinked_at.is_(None)
    )
    return (await session.scalars(statement)).one_or_none()


def apply_profile(row: ChatUserRow, profile: UserProfile) -> None:
    """Copy the channel's view of the user onto the row (display data, so clipped to fit)."""
    row.first_name, row.last_name, row.username, row.language_code = clipped_profile(profile)


def clipped_profile(
    profile: UserProfile,
) -> tuple[str | None, str | None, str | None, str | None]:
    """Return first and last name, username and language as the row keeps them."""
    return (
        # Cleaned whatever the channel did: PostgreSQL refuses text holding NUL, every driver
        # a lone surrogate, and one such name would make every message of its user fail.
        clip(showable(profile.first_name), NAME_LENGTH),
        clip(showable(profile.last_name), NAME_LENGTH),
        clip(showable(profile.username), USERNAME_LENGTH),
        clip(showable(profile.language_code), LANGUAGE_CODE_LENGTH),
    )


def chat_user(row: ChatUserRow) -> ChatUser:
    """Return the core's view of a chat user row."""
    return ChatUser(
        channel=row.channel,
        user_id=row.user_id,
        chat_id=row.chat_id,
        first_name=row.first_name,
        last_name=row.last_name,
        username=row.username,
        language_code=row.language_code,
        first_seen_at=as_utc(row.first_seen_at),
    )


def to_link(row: LinkColumns, user: ChatUserRow | UserProfile) -> Link:
    """Return the core's view of a link, for the user it belongs to."""
    assert row.customer_id is not None  # a sighting's link columns are all set, or all NULL
    return Link(
        channel=user.channel,
        user_id=user.user_id,
        customer_id=row.customer_id,
        linked_by=row.linked_by,
        linked_at=as_utc(row.linked_at),
        reminders_enabled=row.reminders_enabled,
        origin=row.origin,
    )


def audit_entry(row: AdminAuditRow) -> AuditEntry:
    """Return the core's view of an audit row."""
    return AuditEntry(
        channel=row.channel,
        admin_user_id=row.admin_user_id,
        action=row.action,
        target_user_id=row.target_user_id,
        customer_id=row.customer_id,
        detail=row.detail,
        at=as_utc(row.at),
    )


def as_utc(value: datetime) -> datetime:
    """Normalise a datetime still held in memory from a write (any zone) to UTC."""
    return value.astimezone(UTC)


def require_aware(value: datetime) -> None:
    """Refuse a naive datetime: its zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime given; pass a timezone-aware datetime")


def require_fits(what: str, value: str, length: int) -> None:
    """Refuse an identifier longer than its column."""
    # Identifiers are refused, not cut: PostgreSQL would refuse them and SQLite would not.
    if len(value) > length:
        raise ValueError(f"{what} is longer than {length} characters")


def clip(value: str | None, length: int) -> str | None:
    """Cut display data to its column, marking the cut with an ellipsis."""
    if value is None or len(value) <= length:
        return value
    return value[: length - 1] + "…"
