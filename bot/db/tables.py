"""The database schema as SQLAlchemy 2 typed models; migrations must create exactly this."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

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
CUSTOMER_ID_LENGTH = 256
ACTION_LENGTH = 32
DETAIL_LENGTH = 500


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
    user_id: Mapped[int] = mapped_column(BigInteger)
    # The private chat with the bot; unknown until the user writes to it privately.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    first_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    last_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    username: Mapped[str | None] = mapped_column(String(USERNAME_LENGTH))
    language_code: Mapped[str | None] = mapped_column(String(LANGUAGE_CODE_LENGTH))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


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
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("chat_users.id", ondelete="CASCADE")
    )
    customer_id: Mapped[str] = mapped_column(String(CUSTOMER_ID_LENGTH), index=True)
    # The admin's user id; None when the user linked themselves.
    linked_by: Mapped[int | None] = mapped_column(BigInteger)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    unlinked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    unlinked_by: Mapped[int | None] = mapped_column(BigInteger)


class AdminAuditRow(Base):
    """One admin action (append only)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LENGTH))
    admin_user_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(ACTION_LENGTH))
    target_user_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_id: Mapped[str | None] = mapped_column(String(CUSTOMER_ID_LENGTH))
    detail: Mapped[str | None] = mapped_column(String(DETAIL_LENGTH))


metadata = Base.metadata

__all__ = ["AdminAuditRow", "Base", "ChatUserRow", "LinkRow", "UtcDateTime", "metadata"]
