"""Asynchronous client for the Graph API's WhatsApp send endpoint."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
from yarl import URL

from bot.whatsapp.render import Message

logger = logging.getLogger(__name__)

THROTTLED_CODES = frozenset({4, 80007, 130429, 131056})
"""Too many messages: the app (4), the account (80007), the number's throughput (130429), or
one business to one user (131056). Waiting helps."""
AUTH_CODES = frozenset({190})
"""The access token expired or was revoked: nothing will work until an operator renews it."""
WINDOW_CLOSED = 131047
"""More than 24 hours since the user last wrote: only a template may go out."""


class GraphError(Exception):
    """The Graph API did not accept a message; the text never holds the token or the message."""

    def __init__(self, reason: str, *, code: int | None = None, status: int | None = None):
        super().__init__(reason)
        self.code = code
        self.status = status


class GraphAuthError(GraphError):
    """The access token was refused (error 190 or HTTP 401)."""


class GraphThrottledError(GraphError):
    """Too many messages right now (130429, 131056 and the like): back off and retry."""


class GraphUnavailableError(GraphError):
    """No answer, a timeout or a 5xx: whether the message went out is unknown; retry later."""


class GraphRefusedError(GraphError):
    """Meta refused this message for a reason retrying will not fix (131047, 131026, ...)."""


@dataclass
class GraphClient:
    """Sends messages from one business phone number; one request per message, no retries."""

    base_url: str
    phone_number_id: str
    access_token: str = field(repr=False)
    request_timeout: float = 10.0
    session: aiohttp.ClientSession | None = field(default=None, repr=False)
    _close_session: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        base = URL(self.base_url)
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError("base_url must be an http(s) URL")
        if not self.phone_number_id.isdigit():
            raise ValueError("phone_number_id must be digits")

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client opened it."""
        if self._close_session and self.session is not None:
            await self.session.close()
            self.session = None

    async def send(self, to: str, message: Message) -> str:
        """Send one message to the user `to` (a wa_id) and return Meta's message id.

        Raises:
            GraphAuthError: the access token was refused.
            GraphThrottledError: too many messages now; worth retrying after a pause.
            GraphUnavailableError: no usable answer (network, timeout, 5xx).
            GraphRefusedError: Meta refused the message for good (window closed, undeliverable).
        """
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        body.update(message)
        if self.session is None:
            self.session = aiohttp.ClientSession()
            self._close_session = True
        base = URL(self.base_url)
        url = base.with_path(f"{base.raw_path.rstrip('/')}/{self.phone_number_id}/messages")
        headers = {"Authorization": f"Bearer {self.access_token}"}
        try:
            async with (
                asyncio.timeout(self.request_timeout),
                self.session.post(url, json=body, headers=headers) as response,
            ):
                status = response.status
                raw = await response.read()
        except TimeoutError as exc:
            raise GraphUnavailableError("the Graph API did not answer in time") from exc
        except aiohttp.ClientError as exc:
            # Not str(exc): aiohttp's messages may hold the URL; the type is enough.
            raise GraphUnavailableError(f"Graph API unreachable: {type(exc).__name__}") from exc
        return _message_id(status, raw)


def _message_id(status: int, raw: bytes) -> str:
    """Return the message id of a 2xx answer, or raise the error the answer stands for."""
    data = _json(raw)
    if 200 <= status < 300:
        messages = data.get("messages") if isinstance(data, dict) else None
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            message_id = messages[0].get("id")
            if isinstance(message_id, str) and message_id:
                return message_id
        raise GraphUnavailableError(
            "the Graph API accepted but returned no message id", status=status
        )
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    reason = f"HTTP {status}" + (f", error {code}" if code is not None else "")
    if code in AUTH_CODES or status == 401:
        raise GraphAuthError(f"the access token was refused ({reason})", code=code, status=status)
    if code in THROTTLED_CODES or status == 429:
        raise GraphThrottledError(f"throttled ({reason})", code=code, status=status)
    if status >= 500:
        raise GraphUnavailableError(f"Graph API failed ({reason})", code=code, status=status)
    raise GraphRefusedError(f"message refused ({reason})", code=code, status=status)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
