"""Asynchronous client for BonifiQ's private points API."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random as _random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Self
from urllib.parse import quote

import aiohttp
from yarl import URL

from bot.bonifiq import health
from bot.bonifiq.decode import parse_customer_points
from bot.core.customer_ids import customer_id_problem
from bot.core.points import (
    BonifiqAuthError,
    BonifiqResponseError,
    BonifiqUnavailableError,
    CustomerNotFoundError,
    CustomerPoints,
    InvalidCustomerIdError,
)

_LOGGER = logging.getLogger(__name__)

USER_AGENT = "bonifiq-bot/0.1"

# A slow handshake says more about the network than the API; fail it early to leave
# time for another attempt.
_MAX_CONNECT_TIMEOUT = 3.0


def mask_customer_id(customer_id: str) -> str:
    """Hide most of a customer id for logs: `maria@loja.com.br` becomes `ma***@loja.com.br`."""
    local, at, domain = customer_id.partition("@")
    shown = min(2, len(local) // 2)
    masked = f"{local[:shown]}***{at}{domain}"
    # Ids come from users; keep them from forging log lines.
    return "".join(char if char.isprintable() else "?" for char in masked)


def basic_authorization(api_token: str, api_key: str) -> str:
    """Build the `Authorization` header value: the token is the user, the key the password."""
    credentials = f"{api_token}:{api_key}".encode()
    return f"Basic {base64.b64encode(credentials).decode('ascii')}"


@dataclass
class BonifiqClient:
    """Reads customers' points from BonifiQ, retrying only where retrying can help."""

    base_url: str
    api_token: str = field(repr=False)
    api_key: str = field(repr=False)
    timezone: tzinfo
    request_timeout: float = 5.0
    max_attempts: int = 3
    backoff_base: float = 0.25
    backoff_max: float = 4.0
    session: aiohttp.ClientSession | None = field(default=None, repr=False)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)
    observer: health.RequestObserver | None = field(default=None, repr=False)
    """Told every request's outcome and duration (health and metrics)."""

    _close_session: bool = field(default=False, init=False, repr=False)
    _auth_error_logged: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        base = URL(self.base_url)
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        if self.request_timeout <= 0:
            raise ValueError("request_timeout must be positive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must not be negative")
        if ":" in self.api_token:
            raise ValueError("api_token must not contain ':' (it is the Basic auth user name)")

    async def customer_points(self, customer_id: str) -> CustomerPoints:
        """Return the customer's balance, cashback, upcoming expirations and history.

        Raises:
            InvalidCustomerIdError: The id cannot be one (blank, too long, control
                characters, a dot segment); nothing is requested. A `CustomerNotFoundError`
                and a `ValueError`.
            CustomerNotFoundError: BonifiQ has no customer with this id.
            BonifiqAuthError: BonifiQ refused the API token/key.
            BonifiqUnavailableError: BonifiQ could not be reached or kept failing.
            BonifiqResponseError: BonifiQ answered something unusable.
        """
        if problem := customer_id_problem(customer_id):
            raise InvalidCustomerIdError(customer_id, problem)
        # One path segment whatever the id holds: '/', '?', '#', '+', spaces, accents.
        segment = quote(customer_id, safe="")
        payload = await self._request(f"v1/pvt/Customer/{segment}/points", customer_id)
        return parse_customer_points(customer_id, payload, self.timezone)

    async def _request(self, encoded_path: str, customer_id: str) -> object:
        """GET `encoded_path` below the base URL and return its decoded JSON body."""
        base = URL(self.base_url)
        url = base.with_path(f"{base.raw_path.rstrip('/')}/{encoded_path}", encoded=True)
        if self.session is None:
            self.session = aiohttp.ClientSession()
            self._close_session = True

        who = mask_customer_id(customer_id)
        fault = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            started = asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(self.request_timeout):
                    status, headers, body = await self._get(url)
            except TimeoutError:
                self._observe(health.TIMEOUT, started)
                fault = f"no answer within {self.request_timeout:g} s"
            except aiohttp.ClientError as exc:
                self._observe(health.CONNECTION_ERROR, started)
                fault = f"connection failed ({type(exc).__name__})"
            else:
                if 200 <= status < 300:
                    self._auth_error_logged = False
                    return self._decode(status, headers, body, started)
                self._observe(_outcome(status), started)
                if status in (401, 403):
                    self._report_auth_error(status)
                    raise BonifiqAuthError(f"BonifiQ refused the API credentials (HTTP {status})")
                if status == 404:
                    raise CustomerNotFoundError(customer_id)
                if status != 429 and status < 500:
                    raise BonifiqResponseError(f"BonifiQ answered HTTP {status}")
                fault = f"HTTP {status}"
                retry_after = _retry_after_seconds(headers.get("Retry-After"))

            if attempt == self.max_attempts:
                break
            longest_wait = self.backoff_max * 4
            if retry_after is not None and retry_after > longest_wait:
                # Retrying sooner than asked only earns another refusal; the user is waiting.
                _LOGGER.warning(
                    "BonifiQ %s for customer %s (attempt %d/%d), asked to retry after %g s; "
                    "giving up",
                    fault,
                    who,
                    attempt,
                    self.max_attempts,
                    retry_after,
                )
                raise BonifiqUnavailableError(
                    f"{fault} and BonifiQ asked to retry after {retry_after:g} s "
                    f"(gave up after {attempt} {_attempts(attempt)})"
                )
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            _LOGGER.warning(
                "BonifiQ %s for customer %s (attempt %d/%d); retrying in %.2f s",
                fault,
                who,
                attempt,
                self.max_attempts,
                delay,
            )
            await self.sleep(delay)

        _LOGGER.warning(
            "BonifiQ %s for customer %s (attempt %d/%d); giving up",
            fault,
            who,
            self.max_attempts,
            self.max_attempts,
        )
        raise BonifiqUnavailableError(
            f"{fault} after {self.max_attempts} {_attempts(self.max_attempts)}"
        )

    async def _get(self, url: URL) -> tuple[int, Mapping[str, str], bytes]:
        assert self.session is not None
        async with self.session.get(
            url,
            headers={
                "Accept": "application/json",
                "Authorization": basic_authorization(self.api_token, self.api_key),
                "User-Agent": USER_AGENT,
            },
            timeout=aiohttp.ClientTimeout(
                total=None, connect=min(self.request_timeout, _MAX_CONNECT_TIMEOUT)
            ),
        ) as response:
            # Error bodies are never used, so only a success's body is worth waiting for.
            body = await response.read() if 200 <= response.status < 300 else b""
            return response.status, response.headers, body

    def _observe(self, outcome: str, started: float) -> None:
        if self.observer is not None:
            self.observer(outcome, asyncio.get_running_loop().time() - started)

    def _decode(
        self, status: int, headers: Mapping[str, str], body: bytes, started: float
    ) -> object:
        try:
            payload = _decode_json(status, headers, body)
        except BonifiqResponseError:
            # Answered, but with garbage: the request failed as far as anyone can tell.
            self._observe(health.BAD_RESPONSE, started)
            raise
        self._observe(health.OK, started)
        return payload

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter, so retrying callers spread out."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        return self.random() * ceiling

    def _report_auth_error(self, status: int) -> None:
        # Every chat message would repeat it; one line until credentials work again.
        if not self._auth_error_logged:
            _LOGGER.error(
                "BonifiQ refused the API credentials (HTTP %d); "
                "check BONIFIQ_API_TOKEN/BONIFIQ_API_KEY",
                status,
            )
            self._auth_error_logged = True

    async def close(self) -> None:
        """Close the HTTP session if this client opened it."""
        if self.session is not None and self._close_session:
            await self.session.close()
            self.session = None
            self._close_session = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.close()


def _decode_json(status: int, headers: Mapping[str, str], body: bytes) -> object:
    content_type = headers.get("Content-Type", "no content type")
    try:
        # parse_float=Decimal keeps R$ 12.34 exact; NaN and Infinity are not money.
        return json.loads(
            body.decode("utf-8-sig"), parse_float=Decimal, parse_constant=_reject_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BonifiqResponseError(
            f"BonifiQ answered HTTP {status} with a body that is not JSON ({content_type})"
        ) from exc


def _outcome(status: int) -> str:
    """Name a request's outcome by its HTTP status, for health and metrics."""
    if status in (401, 403):
        return health.REFUSED
    if status == 429:
        return health.RATE_LIMITED
    return health.SERVER_ERROR if status >= 500 else health.CLIENT_ERROR


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _retry_after_seconds(value: str | None) -> float | None:
    """Read `Retry-After` as seconds or as an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # HTTP dates are GMT
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _attempts(count: int) -> str:
    return "attempt" if count == 1 else "attempts"
