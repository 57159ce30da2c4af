"""The database schema as SQLAlchemy 2 typed models; migrations must create exactly this."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.core.customer_ids import MAX_CUSTOMER_ID_LENGTH

# Explicit names make constraints addressable by migrations and identical on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CHANNEL_LENGTH = 16
NAME_LENGTH = 256
USERNAME_LENGTH = 64
LANGUAGE_CODE_LENGTH = 35
CUSTOMER_ID_LENGTH = MAX_CUSTOMER_ID_LENGTH
ACTION_LENGTH = 32
DETAIL_LENGTH = 500
ORIGIN_LENGTH = 16
CODE_HASH_LENGTH = 64
# A user or chat id on its channel, as text: Telegram's integers and WhatsApp's wa_id (a
# phone number in digits) alike.
EXTERNAL_ID_LENGTH = 64
MESSAGE_ID_LENGTH = 256


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware, on every backend.

    SQLite has no time zone type and hands back naive values; PostgreSQL's `timestamptz`
    hands back the session's zone. Both become aware UTC here, and naive input is refused
    because its zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC (naive for SQLite, which would drop the zone)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given; pass a timezone-aware datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ChatUserRow(Base):
    """Someone the bot has talked to, or an admin has linked, on one channel."""

    __tablename__ = "chat_users"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LENGTH))
    user_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH))
    # The private chat with the bot; unknown until the user writes to it privately.
    chat_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    first_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    last_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    username: Mapped[str | None] = mapped_column(String(USERNAME_LENGTH))
    language_code: Mapped[str | None] = mapped_column(String(LANGUAGE_CODE_LENGTH))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # When a message to the user was refused because they blocked the bot; None = reachable.
    blocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LinkRow(Base):
    """A link from a chat user to a BonifiQ customer id; ended links are kept as history."""

    __tablename__ = "links"
    __table_args__ = (
        # At most one active link per chat user, enforced by the database itself.
        Index(
            "uq_links_chat_user_id_active",
            "chat_user_id",
            unique=True,
            sqlite_where=text("unlinked_at IS NULL"),
            postgresql_where=text("unlinked_at IS NULL"),
        ),
        # The reminder sweep pages through exactly these links in customer id order. Each
        # predicate is written the way SQLAlchemy renders `LinkRow.reminders_enabled` on
        # that backend, or the planner would not recognise the query as covered.
        Index(
            "ix_links_customer_id_reminders",
            "customer_id",
            "chat_user_id",
            sqlite_where=text("unlinked_at IS NULL AND reminders_enabled = 1"),
            postgresql_where=text("unlinked_at IS NULL AND reminders_enabled"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("chat_users.id", ondelete="CASCADE")
    )
    customer_id: Mapped[str] = mapped_column(String(CUSTOMER_ID_LENGTH), index=True)
    # The admin's user id; None when the user linked themselves.
    linked_by: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    unlinked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    unlinked_by: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    # The server default gives links made before reminders existed the same default as new ones.
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # How the link was made: "admin" (by hand) or "invite" (the user opened an invite link).
    origin: Mapped[str] = mapped_column(
        String(ORIGIN_LENGTH), default="admin", server_default=text("'admin'")
    )


class AdminAuditRow(Base):
    """One admin action (append only)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LENGTH))
    # None where no admin acted: a user erasing their own data is recorded without any id.
    admin_user_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    action: Mapped[str] = mapped_column(String(ACTION_LENGTH))
    target_user_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    customer_id: Mapped[str | None] = mapped_column(String(CUSTOMER_ID_LENGTH))
    detail: Mapped[str | None] = mapped_column(String(DETAIL_LENGTH))


class ReminderLedgerRow(Base):
    """One expiration reminder sent to a chat about a customer; never sent twice."""

    __tablename__ = "reminder_ledger"
    __table_args__ = (
        # Named by hand: the convention's name would pass PostgreSQL's 63-character limit
        # and be cut differently from what a migration spells out.
        UniqueConstraint(
            "chat_user_id",
            "customer_id",
            "expires_on",
            "threshold_days",
            name="uq_reminder_ledger_key",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("chat_users.id", ondelete="CASCADE")
    )
    customer_id: Mapped[str] = mapped_column(String(CUSTOMER_ID_LENGTH))
    expires_on: Mapped[date] = mapped_column(Date)
    threshold_days: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReminderSweepRow(Base):
    """One finished reminder sweep: when it ran and what it did (append only)."""

    __tablename__ = "reminder_sweeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
    customers: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    checked: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    sent: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    failed: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class InviteRow(Base):
    """A single-use invite that links whoever opens it to one customer."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the code, hex: the code itself is never stored, so a copy of the database
    # cannot be used to link anyone.
    code_hash: Mapped[str] = mapped_column(String(CODE_HASH_LENGTH), unique=True)
    customer_id: Mapped[str] = mapped_column(String(CUSTOMER_ID_LENGTH), index=True)
    issued_via: Mapped[str] = mapped_column(String(ORIGIN_LENGTH))
    """"admin" (a chat command), "cli" or "api"."""
    issued_by: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    """The admin's user id when an admin issued it in a chat."""
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    used_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("chat_users.id", ondelete="SET NULL")
    )


class InviteAttemptRow(Base):
    """One bad invite code a chat user sent; recent ones throttle further attempts."""

    __tablename__ = "invite_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("chat_users.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class InboundMessageRow(Base):
    """A message a channel delivered, kept a few days: each is handled once, across processes.

    Meta delivers webhooks at least once; the unique key turns a second delivery into a
    no-op. The newest `sent_at` of a user is when they last wrote, by the channel's clock,
    which opens WhatsApp's 24-hour window.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "message_id"),
        Index("ix_inbound_messages_user", "channel", "user_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LENGTH))
    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID_LENGTH))
    user_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


metadata = Base.metadata

__all__ = [
    "AdminAuditRow",
    "Base",
    "ChatUserRow",
    "InboundMessageRow",
    "InviteAttemptRow",
    "InviteRow",
    "LinkRow",
    "ReminderLedgerRow",
    "ReminderSweepRow",
    "UtcDateTime",
    "metadata",
]
