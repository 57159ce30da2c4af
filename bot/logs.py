"""Logging set-up: text or JSON lines, quiet HTTP libraries, secrets and e-mails masked."""

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

# Customer ids are usually e-mail addresses; logs keep the first letter and the domain.
_EMAIL = re.compile(r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@([\w-]+(?:\.[\w-]+)+)")

_context: ContextVar[Mapping[str, object] | None] = ContextVar("log_context", default=None)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add fields (update id, channel, user id, command) to every record logged inside."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class Redactor:
    """Masks secrets and e-mail addresses in any text about to be written to a log."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return `text` with secrets replaced by `***` and e-mails as `m***@loja.com.br`."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _EMAIL.sub(rf"\1{MASK}@\2", text)


class RedactingFormatter(logging.Formatter):
    """Formats records as text, then masks them, in the message and in tracebacks alike."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self._redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """Return the formatted record, masked."""
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """Formats each record as one JSON object on one line, masked like the text format."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON object: time, level, logger, message, context."""
        moment = datetime.fromtimestamp(record.created).astimezone()
        entry: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._redact(record.getMessage()),
        }
        entry.update(_context.get() or {})
        if record.exc_info:
            entry["exception"] = self._redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = self._redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = self._redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(
    level: str,
    secrets: Iterable[str],
    stream: TextIO | None = None,
    *,
    log_format: str = TEXT,
) -> None:
    """Send logs to stderr at `level`, as text or JSON lines, with secrets masked."""
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
