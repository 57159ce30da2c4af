"""Plain data the conversation core reads from and writes to its ports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class UserProfile:
    """Who is talking, as the channel knows them."""

    channel: str
    user_id: str
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class ChatUser:
    """A chat user the bot has seen or that an admin has linked."""

    channel: str
    user_id: str
    chat_id: str | None
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class Link:
    """An active link between a chat user and a BonifiQ customer id."""

    channel: str
    user_id: str
    customer_id: str
    linked_by: str | None
    linked_at: datetime
    reminders_enabled: bool = True
    origin: str = "admin"
    """How the link was made: "admin" (by hand) or "invite"."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action, kept for accountability."""

    channel: str
    admin_user_id: str | None
    """None where no admin acted (a user erasing their own data)."""
    action: str
    target_user_id: str | None
    customer_id: str | None
    detail: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ReminderChat:
    """A chat that should hear about a customer's expiring points."""

    chat_user_id: int
    user_id: str
    chat_id: str


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


@dataclass(frozen=True, slots=True)
class NewInvite:
    """An invite to store: only the hash of its code is kept."""

    code_hash: str
    customer_id: str
    issued_via: str
    """"admin" (a chat command), "cli" or "api"."""
    issued_by: str | None
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Invite:
    """A stored invite, as its code's owner may be told about it."""

    customer_id: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class Sighting:
    """What one read tells about a user whose message just arrived."""

    link: Link | None
    """The user's active link, read in the same statement."""
    stale: bool
    """True when `seen` would change the stored user: new, renamed, another chat, blocked,
    or last seen longer ago than the repository keeps `last_seen_at` to."""
    new_chat: bool = False
    """True when the message opens the user's private chat with the bot: the user is stored
    (say, linked by an admin) but the bot had no chat it could write to until now."""


@dataclass(frozen=True, slots=True)
class StoredData:
    """Everything the bot keeps about one chat user, for `/meusdados`."""

    user: ChatUser
    last_seen_at: datetime
    blocked_at: datetime | None
    link: Link | None
    ended_links: int
    reminders_sent: int
    last_reminder_at: datetime | None
    invites_used: int


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure deleted or anonymised, by table."""

    deleted: dict[str, int]
    anonymised: dict[str, int]

    @property
    def found(self) -> bool:
        """Tell whether there was anything to erase."""
        return any(self.deleted.values()) or any(self.anonymised.values())

    def line(self) -> str:
        """Return `deleted: chat_users 1, links 2; anonymised: admin_audit 3`."""
        deleted = ", ".join(f"{table} {count}" for table, count in self.deleted.items() if count)
        anonymised = ", ".join(
            f"{table} {count}" for table, count in self.anonymised.items() if count
        )
        return f"deleted: {deleted or 'nothing'}; anonymised: {anonymised or 'nothing'}"
