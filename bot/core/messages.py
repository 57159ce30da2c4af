"""What flows in and out of the conversation core: plain data, no channel types."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.models import UserProfile


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did: a text message, a button press, or anything else."""

    user: UserProfile
    chat_id: str
    private: bool
    text: str | None = None
    action: str | None = None
    bot_username: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a reply: it either sends `action` back or opens the private chat."""

    label: str
    action: str | None = None
    private_chat_payload: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A message to send; `text` is HTML limited to <b>, <i>, <s> and <code>."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    chat_id: str | None = field(default=None)
    """None answers the chat the message came from; an id notifies that private chat."""
    template: tuple[str, ...] = ()
    """For a reminder: the parameters of the approved template a channel sends instead of the
    text where it may not write freely (WhatsApp outside its 24-hour window); plain text."""
