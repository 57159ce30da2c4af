"""Plain data the conversation core reads from and writes to its ports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class UserProfile:
    """Who is talking, as the channel knows them."""

    channel: str
    user_id: int
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class ChatUser:
    """A chat user the bot has seen or that an admin has linked."""

    channel: str
    user_id: int
    chat_id: int | None
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class Link:
    """An active link between a chat user and a BonifiQ customer id."""

    channel: str
    user_id: int
    customer_id: str
    linked_by: int | None
    linked_at: datetime
    reminders_enabled: bool = True


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action, kept for accountability."""

    channel: str
    admin_user_id: int
    action: str
    target_user_id: int | None
    customer_id: str | None
    detail: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ReminderChat:
    """A chat that should hear about a customer's expiring points."""

    chat_user_id: int
    user_id: int
    chat_id: int


@dataclass(frozen=True, slots=True)
class ReminderTarget:
    """A linked customer and every reachable chat with reminders on that is linked to it."""

    customer_id: str
    chats: tuple[ReminderChat, ...]


@dataclass(frozen=True, slots=True)
class TargetPage:
    """One page of the customers to remind, and where the next page starts."""

    targets: tuple[ReminderTarget, ...]
    next_after: str | None
    """The last customer id this page looked at; None when there is nothing after it."""


@dataclass(frozen=True, slots=True)
class LedgerKey:
    """One reminder that can be sent at most once: an expiration day and a threshold."""

    expires_on: date
    threshold_days: int
