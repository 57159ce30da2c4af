"""What the core needs from the outside world, as protocols; adapters live elsewhere."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Protocol

from bot.core.messages import Reply
from bot.core.models import (
    AuditEntry,
    ChatUser,
    Erasure,
    Invite,
    LedgerKey,
    Link,
    NewInvite,
    Sighting,
    StoredData,
    TargetPage,
    UserProfile,
)
from bot.core.points import CustomerPoints
from bot.core.reminders import SweepSummary


class PointsGateway(Protocol):
    """Reads a customer's points from BonifiQ."""

    async def customer_points(self, customer_id: str) -> CustomerPoints:
        """Return the customer's points or raise a `bot.core.points.BonifiqError`."""
        ...


class ChatUserRepository(Protocol):
    """Chat users, keyed by (channel, user id)."""

    async def seen(self, profile: UserProfile, chat_id: str | None, now: datetime) -> ChatUser:
        """Record that the user talked to the bot (creating or refreshing them)."""
        ...

    async def get(self, channel: str, user_id: str) -> ChatUser | None:
        """Return the user, or None if the bot never saw or linked them."""
        ...

    async def set_reachable(
        self, channel: str, user_id: str, reachable: bool, now: datetime
    ) -> None:
        """Mark the user's chat as blocked (False) or reachable again (True).

        `seen` also makes a user reachable again: talking to the bot undoes a block.
        """
        ...


class LinkRepository(Protocol):
    """Links between chat users and customer ids; one active link per chat user."""

    async def active(self, channel: str, user_id: str) -> Link | None:
        """Return the user's active link, if any."""
        ...

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
        """Link the user (creating a bare chat user if needed); return the link it replaced."""
        ...

    async def unlink(
        self, channel: str, user_id: str, unlinked_by: str | None, now: datetime
    ) -> Link | None:
        """End the user's active link; return it, or None if there was none."""
        ...

    async def set_reminders(self, channel: str, user_id: str, enabled: bool) -> Link | None:
        """Turn reminders on or off for the user's active link; None if not linked."""
        ...


class AuditRepository(Protocol):
    """The admin audit log (append only)."""

    async def record(self, entry: AuditEntry) -> None:
        """Append one entry."""
        ...

    async def recent(self, limit: int) -> list[AuditEntry]:
        """Return the newest entries, newest first."""
        ...


class ReminderRepository(Protocol):
    """Who to remind, the ledger of reminders sent, and the record of sweeps."""

    async def count_targets(self, channel: str) -> int:
        """Return how many customers have at least one chat to remind."""
        ...

    async def count_waiting(self, channel: str | None = None) -> int:
        """Return the active links with reminders on whose user never opened a private chat.

        The bot may not write first: these users get reminders once they write to it.
        `channel=None` counts every channel.
        """
        ...

    async def targets(self, channel: str, after: str | None, limit: int) -> TargetPage:
        """Look at up to `limit` linked customers (by id, after `after`); return those with chats.

        A chat qualifies when its link is active with reminders on, the chat is not blocked
        and the bot has a private chat with the user. Customers with no qualifying chat on
        `channel` are left out of the page, so a page may hold fewer than `limit` targets and
        still not be the last: go on from `next_after` until it is None.
        """
        ...

    async def claim(self, chat_user_id: int) -> bool:
        """Try to own this chat's reminders until the unit of work ends; False if taken.

        Keeps two sweeps (in two processes) from reminding the same chat at once.
        """
        ...

    async def sent(self, chat_user_id: int, customer_id: str) -> set[LedgerKey]:
        """Return the reminders already sent to this chat about this customer."""
        ...

    async def record(
        self, chat_user_id: int, customer_id: str, keys: Iterable[LedgerKey], now: datetime
    ) -> None:
        """Write reminders as sent (after the channel accepted the message)."""
        ...

    async def record_sweep(
        self, started_at: datetime, finished_at: datetime, counts: dict[str, int]
    ) -> None:
        """Keep a finished sweep's times and counts."""
        ...

    async def last_sweep_started(self) -> datetime | None:
        """Return when the newest finished sweep started, or None if none ever finished."""
        ...


class InviteRepository(Protocol):
    """Single-use invites, and the bad codes users tried (to throttle guessing)."""

    async def add(self, invite: NewInvite) -> None:
        """Store a new invite."""
        ...

    async def find(self, code_hash: str) -> Invite | None:
        """Return the invite with this code hash, used or not, or None."""
        ...

    async def consume(self, code_hash: str, channel: str, user_id: str, now: datetime) -> bool:
        """Mark the invite used by this user, in one statement; False if used or expired.

        Of several users consuming one code at the same moment, in one process or several,
        exactly one gets True.
        """
        ...

    async def record_bad_attempt(self, channel: str, user_id: str, now: datetime) -> None:
        """Remember that the user sent a code that was unknown, used or expired."""
        ...

    async def bad_attempts(self, channel: str, user_id: str, since: datetime) -> int:
        """Count the user's bad codes since `since`."""
        ...


class PrivacyRepository(Protocol):
    """What the bot keeps about a person: reading it all, erasing it all, expiring it."""

    async def stored_data(self, channel: str, user_id: str) -> StoredData | None:
        """Return everything kept about the user, or None if the bot keeps nothing."""
        ...

    async def erase_user(self, channel: str, user_id: str) -> Erasure:
        """Delete the user, their links, reminders, attempts and invites; anonymise audits."""
        ...

    async def erase_customer(self, customer_id: str) -> Erasure:
        """Erase every chat user ever linked to the customer, and the customer's invites."""
        ...

    async def purge(
        self,
        *,
        ledger_before: date,
        history_before: datetime,
        attempts_before: datetime,
        messages_before: datetime | None = None,
    ) -> dict[str, int]:
        """Delete what is past retention; return how many rows each table lost.

        Reminder ledger rows of expirations before `ledger_before`; ended links, invites
        that expired and admin audit rows before `history_before`; invite attempts before
        `attempts_before`.
        """
        ...


class InboundRepository(Protocol):
    """Messages channels delivered, kept a few days (channels that deliver at least once)."""

    async def first_delivery(
        self, channel: str, message_id: str, user_id: str, sent_at: datetime, now: datetime
    ) -> bool:
        """Record the message; False when it was recorded before, in any process."""
        ...

    async def last_message_at(self, channel: str, user_id: str) -> datetime | None:
        """Return when the user last wrote, by the channel's own timestamp, if still kept."""
        ...


class UnitOfWork(Protocol):
    """One transaction: repositories share it; nothing is kept unless `commit` is called."""

    users: ChatUserRepository
    links: LinkRepository
    audit: AuditRepository
    reminders: ReminderRepository
    invites: InviteRepository
    privacy: PrivacyRepository
    inbound: InboundRepository

    async def commit(self) -> None:
        """Make every change in this unit permanent."""
        ...


class Store(Protocol):
    """Opens units of work."""

    def unit_of_work(self, *, writes: bool = True) -> AbstractAsyncContextManager[UnitOfWork]:
        """Start a transaction that rolls back unless committed.

        `writes=False` promises to only read: such a unit may stay open across slow I/O
        (a Telegram send) without holding up writers on an embedded database.
        """
        ...

    async def sighting(self, profile: UserProfile, chat_id: str | None, now: datetime) -> Sighting:
        """Read, in one statement and no unit of work, whether `users.seen` is needed.

        Also returns the user's active link, read in the same statement.
        """
        ...


class DeliveryError(Exception):
    """The channel could not deliver a message now; it may be tried again later."""


class RecipientBlockedError(DeliveryError):
    """The user blocked the bot or left the platform: stop writing to them."""


class Notifier(Protocol):
    """Sends messages the user did not ask for (reminders) through a channel."""

    channel: str

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one message, or raise `DeliveryError` / `RecipientBlockedError`."""
        ...


class Sweeper(Protocol):
    """Runs a reminder sweep on demand (an admin's /lembrar_agora)."""

    async def sweep(self, now: datetime) -> SweepSummary:
        """Run one sweep; raise `SweepBusyError` or `SweepAbortedError` when it cannot."""
        ...
