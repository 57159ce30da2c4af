"""Logging set-up: text or JSON lines, quiet HTTP libraries; secrets, e-mails, numbers masked."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
TEXT, JSON, AUTO = "text", "json", "auto"
WHATSAPP = "whatsapp"
"""The channel whose user ids are phone numbers (the context's `channel` field)."""

# Customer ids are usually e-mail addresses; logs keep the first letter and the domain.
_EMAIL = re.compile(r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@([\w-]+(?:\.[\w-]+)+)")
# What words and secrets are made of: letters and digits of any script, `_` and `-`. A secret
# is masked only where it stands whole, never inside a longer run of these.
_WORD_CHAR = r"[\w-]"
# ... except right after `/bot`: the Bot API's URLs put the token there (`/bot<token>/getMe`).
_SECRET_START = rf"(?:(?<!{_WORD_CHAR})|(?<=/bot))"
# A phone number as WhatsApp writes it (wa_id: country code and number, digits only) has 11 to
# 15 digits; Telegram's user and update ids have 10 at most. A run preceded by `-` is a
# negative number (a Telegram group's chat id), not a phone number.
_PHONE = re.compile(r"(?<![\w-])([0-9]{4})([0-9]{3,7})([0-9]{4})(?!\w)")
_PHONE_KEEP = 4
"""Digits kept at each end of a masked phone number."""

_context: ContextVar[Mapping[str, object] | None] = ContextVar("log_context", default=None)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add fields (update id, channel, user id, command) to every record logged inside."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def mask_number(number: str) -> str:
    """Return a phone number as logs show it: `5511988887777` as `5511*****7777`.

    Enough to tell two numbers apart in a log, not enough to call one. A number shorter than
    11 digits keeps only its last two.
    """
    if len(number) >= 2 * _PHONE_KEEP + 3:
        hidden = len(number) - 2 * _PHONE_KEEP
        return number[:_PHONE_KEEP] + "*" * hidden + number[-_PHONE_KEEP:]
    shown = 2 if len(number) > 4 else 0
    return "*" * (len(number) - shown) + number[len(number) - shown :]


def _mask_phone(match: re.Match[str]) -> str:
    return match[1] + "*" * len(match[2]) + match[3]


class Redactor:
    """Masks secrets, e-mail addresses and phone numbers in text about to be written to a log."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
        alternatives = "|".join(map(re.escape, ordered))
        self._secrets = (
            re.compile(rf"{_SECRET_START}(?:{alternatives})(?!{_WORD_CHAR})") if ordered else None
        )

    def __call__(self, text: str, numbers: Iterable[str] = ()) -> str:
        """Return `text` masked: secrets as `***`, e-mails as `m***@loja.com.br`, phone numbers.

        A phone number is a run of 11 to 15 digits, or one of `numbers` (the WhatsApp user the
        record is about) whatever its length; both are shown as `5511*****7777`.
        """
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        text = _EMAIL.sub(rf"\1{MASK}@\2", text)
        for number in numbers:
            own = re.compile(rf"(?<![\w-]){re.escape(number)}(?!\w)")
            text = own.sub(mask_number(number), text)
        return _PHONE.sub(_mask_phone, text)


def _whatsapp_numbers() -> tuple[str, ...]:
    """The WhatsApp number the current record is about, from its context, if any."""
    fields = _context.get() or {}
    user_id = fields.get("user_id")
    if fields.get("channel") == WHATSAPP and user_id is not None:
        return (str(user_id),)
    return ()


def _masked_context(redact: Redactor) -> dict[str, object]:
    """The context fields of the current record; a WhatsApp user id (a phone number) masked."""
    fields = dict(_context.get() or {})
    numbers = _whatsapp_numbers()
    if numbers:
        fields["user_id"] = mask_number(numbers[0])
    return {
        name: redact(value, numbers) if isinstance(value, str) else value
        for name, value in fields.items()
    }


class RedactingFormatter(logging.Formatter):
    """Formats records as text, then masks them, in the message and in tracebacks alike."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self._redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """Return the formatted record, masked."""
        return self._redact(super().format(record), _whatsapp_numbers())


class JsonFormatter(logging.Formatter):
    """Formats each record as one JSON object on one line, masked like the text format."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON object: time, level, logger, message, context."""
        moment = datetime.fromtimestamp(record.created).astimezone()
        numbers = _whatsapp_numbers()
        entry: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._redact(record.getMessage(), numbers),
        }
        entry.update(_masked_context(self._redact))
        if record.exc_info:
            entry["exception"] = self._redact(self.formatException(record.exc_info), numbers)
        elif record.exc_text:
            entry["exception"] = self._redact(record.exc_text, numbers)
        if record.stack_info:
            entry["stack"] = self._redact(self.formatStack(record.stack_info), numbers)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(
    level: str,
    secrets: Iterable[str],
    stream: TextIO | None = None,
    *,
    log_format: str = TEXT,
) -> None:
    """Send logs to stderr at `level`, as text or JSON lines, masked (see `Redactor`)."""
    target = stream or sys.stderr
    if log_format == AUTO:
        log_format = TEXT if target.isatty() else JSON
    handler = logging.StreamHandler(target)
    formatter = JsonFormatter(secrets) if log_format == JSON else RedactingFormatter(secrets)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Request paths carry the webhook's secret-derived segment; the web app logs none.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Alembic's INFO lines (context impl, DDL mode, each revision) came with every command, even
    # with nothing to migrate; bot.db.migrate logs one line when a migration actually ran.
    numeric = logging.getLevelName(level)
    logging.getLogger("alembic").setLevel(
        numeric if numeric == logging.DEBUG else max(logging.WARNING, numeric)
    )
    # python-telegram-bot's debug lines hold whole updates and messages: names, balances.
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
