"""What Meta posts to the webhook: its signature, and the messages and statuses inside."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE_PREFIX = "sha256="
SILENT_TYPES = frozenset({"reaction", "system", "unsupported"})
"""Messages nobody expects an answer to: a 👍 on a reminder must not bring the help menu."""
MAX_ID_LENGTH = 256
"""Longer message ids or wa_ids than this are not Meta's."""


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


def parse_delivery(body: bytes) -> Delivery | None:
    """Return the messages and statuses in a webhook body, or None if it is not Meta's shape.

    Items that are malformed, or of kinds the bot does not handle, are left out one by one:
    one odd item never costs the others their answer.
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
    for value in _values(entries):
        names = _names(value.get("contacts"))
        for item in _dicts(value.get("messages")):
            if (message := _message(item, names)) is not None:
                messages.append(message)
        for item in _dicts(value.get("statuses")):
            if (status := _status(item)) is not None:
                statuses.append(status)
    return Delivery(tuple(messages), tuple(statuses))


def _values(entries: list[Any]) -> list[dict[str, Any]]:
    values = []
    for entry in _dicts(entries):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") == "messages" and isinstance(value, dict):
                values.append(value)
    return values


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _names(contacts: Any) -> dict[str, str]:
    names = {}
    for contact in _dicts(contacts):
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        wa_id = contact.get("wa_id")
        if isinstance(wa_id, str) and isinstance(name, str):
            names[wa_id] = name
    return names


def _message(item: dict[str, Any], names: dict[str, str]) -> InboundMessage | None:
    message_id, wa_id = _id(item.get("id")), item.get("from")
    sent_at = _timestamp(item.get("timestamp"))
    if message_id is None or sent_at is None or not _is_wa_id(wa_id):
        return None
    assert isinstance(wa_id, str)
    kind = item.get("type")
    if kind in SILENT_TYPES:
        return None
    text = action = None
    if kind == "text" and isinstance(item.get("text"), dict):
        body = item["text"].get("body")
        text = body if isinstance(body, str) else None
    elif kind == "interactive" and isinstance(item.get("interactive"), dict):
        reply = item["interactive"].get("button_reply")
        action = _id(reply.get("id")) if isinstance(reply, dict) else None
    elif kind == "button" and isinstance(item.get("button"), dict):
        # A quick-reply button of a template (the reminder's): its label reads as a command.
        label = item["button"].get("text")
        text = label if isinstance(label, str) else None
    # Anything else (images, audio, stickers) arrives with neither: the core answers help.
    return InboundMessage(message_id, wa_id, sent_at, names.get(wa_id), text, action)


def _status(item: dict[str, Any]) -> StatusUpdate | None:
    message_id, status = _id(item.get("id")), item.get("status")
    if message_id is None or not isinstance(status, str):
        return None
    codes = tuple(
        error["code"]
        for error in _dicts(item.get("errors"))
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
        return datetime.fromtimestamp(int(value), UTC)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return datetime.fromtimestamp(value, UTC)
    return None
