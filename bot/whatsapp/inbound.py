"""What Meta posts to the webhook: its signature, and the messages and statuses inside."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE_PREFIX = "sha256="
SILENT_TYPES = frozenset({"reaction", "system", "unsupported"})
"""Messages nobody expects an answer to: a 👍 on a reminder must not bring the help menu."""
MAX_ID_LENGTH = 256
"""Longer message ids or wa_ids than this are not Meta's."""
_LAST_TIMESTAMP = 32503680000
"""3000-01-01 (UTC). Meta sends the time of sending; a far later one is garbage (near year 9999
it cannot even be turned into a datetime or moved to local time)."""

# Why a part of a signed delivery was skipped: a closed set, so it can label a metric.
NOT_A_DELIVERY = "not_a_delivery"
"""The whole body: not JSON, or not a WhatsApp Business Account's object with entries."""
MALFORMED_CHANGE = "malformed_change"
"""An entry or a `messages` change that is not shaped as Meta's."""
MALFORMED_MESSAGE = "malformed_message"
"""A message without a usable id, sender, timestamp or type."""
MALFORMED_STATUS = "malformed_status"
"""A status callback without a usable message id or status."""
SKIP_REASONS = (NOT_A_DELIVERY, MALFORMED_CHANGE, MALFORMED_MESSAGE, MALFORMED_STATUS)

# Text that cannot be stored or shown: a lone UTF-16 surrogate, and control characters
# (PostgreSQL refuses NUL in text). Line breaks and tabs are kept: users type them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Tell whether `header` is `sha256=` + the HMAC-SHA256 of the body as received."""
    if header is None or not header.startswith(_SIGNATURE_PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    given = header[len(_SIGNATURE_PREFIX) :].strip().lower()
    return hmac.compare_digest(given.encode("ascii", "replace"), expected.encode())


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message a user sent: who, when (Meta's timestamp), and its text or button id."""

    message_id: str
    wa_id: str
    sent_at: datetime
    name: str | None = None
    text: str | None = None
    action: str | None = None
    """The id of the reply button the user tapped."""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """What became of a message the bot sent: sent, delivered, read or failed."""

    message_id: str
    status: str
    error_codes: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """Everything in one webhook request; several entries and changes are flattened."""

    messages: tuple[InboundMessage, ...]
    statuses: tuple[StatusUpdate, ...]
    skipped: tuple[str, ...] = ()
    """Why each part that could not be read was left out (one of `SKIP_REASONS` per part)."""


def parse_delivery(body: bytes) -> Delivery | None:
    """Return the messages and statuses in a webhook body, or None if it is not Meta's shape.

    Items that are malformed are left out one by one, and counted in `skipped`: one odd item
    never costs the others their answer. No JSON input makes this raise.
    """
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        return None
    entries = data.get("entry")
    if not isinstance(entries, list):
        return None
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    skipped: list[str] = []
    for value in _values(entries, skipped):
        names = _names(value.get("contacts"))
        for item in _items(value.get("messages"), MALFORMED_MESSAGE, skipped):
            if (message := _message(item, names, skipped)) is not None:
                messages.append(message)
        for item in _items(value.get("statuses"), MALFORMED_STATUS, skipped):
            if (status := _status(item)) is not None:
                statuses.append(status)
            else:
                skipped.append(MALFORMED_STATUS)
    return Delivery(tuple(messages), tuple(statuses), tuple(skipped))


def _values(entries: list[Any], skipped: list[str]) -> list[dict[str, Any]]:
    values = []
    for entry in _items(entries, MALFORMED_CHANGE, skipped):
        for change in _items(entry.get("changes"), MALFORMED_CHANGE, skipped):
            value = change.get("value")
            if change.get("field") != "messages":
                continue  # another field the app subscribed to: nothing for this bot
            if isinstance(value, dict):
                values.append(value)
            else:
                skipped.append(MALFORMED_CHANGE)
    return values


def _items(value: Any, reason: str, skipped: list[str]) -> list[dict[str, Any]]:
    """Return the objects in a JSON list (absent: none); count anything else as `reason`."""
    if value is None:
        return []
    if not isinstance(value, list):
        skipped.append(reason)
        return []
    items = [item for item in value if isinstance(item, dict)]
    skipped.extend([reason] * (len(value) - len(items)))
    return items


def _names(contacts: Any) -> dict[str, str]:
    names = {}
    for contact in _items(contacts, MALFORMED_CHANGE, []):
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        wa_id = contact.get("wa_id")
        if isinstance(wa_id, str) and isinstance(name, str):
            names[wa_id] = _storable(name)
    return names


def _message(
    item: dict[str, Any], names: dict[str, str], skipped: list[str]
) -> InboundMessage | None:
    message_id, wa_id = _id(item.get("id")), item.get("from")
    sent_at = _timestamp(item.get("timestamp"))
    kind = item.get("type")
    if message_id is None or sent_at is None or not _is_wa_id(wa_id) or not isinstance(kind, str):
        skipped.append(MALFORMED_MESSAGE)
        return None
    assert isinstance(wa_id, str)
    if kind in SILENT_TYPES:
        return None
    text = action = None
    if kind == "text" and isinstance(item.get("text"), dict):
        text = _text(item["text"].get("body"))
    elif kind == "interactive" and isinstance(item.get("interactive"), dict):
        reply = item["interactive"].get("button_reply")
        action = _id(reply.get("id")) if isinstance(reply, dict) else None
    elif kind == "button" and isinstance(item.get("button"), dict):
        # A quick-reply button of a template (the reminder's): its label reads as a command.
        text = _text(item["button"].get("text"))
    # Anything else (images, audio, stickers) arrives with neither: the core answers help.
    return InboundMessage(message_id, wa_id, sent_at, names.get(wa_id), text, action)


def _status(item: dict[str, Any]) -> StatusUpdate | None:
    message_id, status = _id(item.get("id")), item.get("status")
    if message_id is None or not isinstance(status, str) or not status.isprintable():
        return None
    codes = tuple(
        error["code"]
        for error in _items(item.get("errors"), MALFORMED_STATUS, [])
        if isinstance(error.get("code"), int) and not isinstance(error.get("code"), bool)
    )
    return StatusUpdate(message_id, status[:32], codes)


def _id(value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and value.isprintable():
        return value
    return None


def _is_wa_id(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 32


def _timestamp(value: Any) -> datetime | None:
    """Read Meta's Unix time in seconds (a string in its payloads); None if it is not one."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _LAST_TIMESTAMP:
        return datetime.fromtimestamp(value, UTC)
    return None


def _text(value: Any) -> str | None:
    return _storable(value) if isinstance(value, str) else None


def _storable(text: str) -> str:
    """Return `text` with lone surrogates replaced and control characters but breaks removed."""
    return _CONTROL.sub("", _SURROGATE.sub("\ufffd", text))
