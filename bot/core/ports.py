"""What the core needs from the outside world, as protocols; adapters live elsewhere."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from bot.bonifiq.models import CustomerPoints
from bot.core.models import AuditEntry, ChatUser, Link, UserProfile


class PointsGateway(Protocol):
    """Reads a customer's points from BonifiQ."""

    async def customer_points(self, customer_id: str) -> CustomerPoints:
        """Return the customer's points or raise a `bot.bonifiq.errors.BonifiqError`."""
        ...


class ChatUserRepository(Protocol):
    """Chat users, keyed by (channel, user id)."""

    async def seen(self, profile: UserProfile, chat_id: int | None, now: datetime) -> ChatUser:
        """Record that the user talked to the bot (creating or refreshing them)."""
        ...

    async def get(self, channel: str, user_id: int) -> ChatUser | None:
        """Return the user, or None if the bot never saw or linked them."""
        ...


class LinkRepository(Protocol):
    """Links between chat users and customer ids; one active link per chat user."""

    async def active(self, channel: str, user_id: int) -> Link | None:
        """Return the user's active link, if any."""
        ...

    async def link(
        self, channel: str, user_id: int, customer_id: str, linked_by: int | None, now: datetime
    ) -> Link | None:
        """Link the user (creating a bare chat user if needed); return the link it replaced."""
        ...

    async def unlink(
        self, channel: str, user_id: int, unlinked_by: int | None, now: datetime
    ) -> Link | None:
        """End the user's active link; return it, or None if there was none."""
        ...


class AuditRepository(Protocol):
    """The admin audit log (append only)."""

    async def record(self, entry: AuditEntry) -> None:
        """Append one entry."""
        ...

    async def recent(self, limit: int) -> list[AuditEntry]:
        """Return the newest entries, newest first."""
        ...


class UnitOfWork(Protocol):
    """One transaction: repositories share it; nothing is kept unless `commit` is called."""

    users: ChatUserRepository
    links: LinkRepository
    audit: AuditRepository

    async def commit(self) -> None:
        """Make every change in this unit permanent."""
        ...


class Store(Protocol):
    """Opens units of work."""

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Start a transaction that rolls back unless committed."""
        ...
