"""`POST /api/invites`: the store's backend asks for a customer's invite link."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.core import arguments, invites
from bot.core.conversation import Conversation
from bot.core.points import CustomerNotFoundError
from bot.web.body import BodyRefused, read_body

logger = logging.getLogger(__name__)

PATH = "/api/invites"
MAX_BODY_BYTES = 16 * 1024
"""A request names one customer id; anything larger is not one."""

LinkBuilder = Callable[[invites.IssuedInvite], dict[str, str]]
"""Builds the links a customer may open from an issued invite, by channel (`t.me`, `wa.me`)."""


class InviteRoute:
    """Issue an invite for `{"customer_id": ...}` behind a bearer token; nothing on error."""

    def __init__(
        self,
        conversation: Conversation,
        token: str,
        link: LinkBuilder,
        clock: Callable[[], datetime],
    ) -> None:
        self._conversation = conversation
        self._expected = f"Bearer {token}".encode()
        self._link = link
        self._clock = clock

    async def handle(self, request: web.Request) -> web.Response:
        """Check the bearer, read the customer id, issue (`invites.invite_customer`)."""
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, self._expected):
            logger.info("Invite API request refused: missing or wrong bearer token")
            return _error(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        try:
            raw = await read_body(request, MAX_BODY_BYTES)
        except BodyRefused as refused:
            logger.info("Invite API request refused: %s", refused.reason)
            return _error(refused.status, refused.reason)
        customer_id = _customer_id(raw)
        if isinstance(customer_id, web.Response):
            return customer_id
        conversation = self._conversation
        try:
            invited = await invites.invite_customer(
                conversation,
                customer_id,
                channel="api",
                via="api",
                issued_by=None,
                now=self._clock(),
            )
        except CustomerNotFoundError:
            return _error(422, "the points API has no such customer", field="customer_id")
        issued = invited.issued
        links = self._link(issued)
        body: dict[str, object] = {
            # `url` is the first channel's link, as before WhatsApp; each channel's is named.
            "url": next(iter(links.values())),
            **{f"{channel}_url": url for channel, url in links.items()},
            "code": issued.code,
            "expires_at": issued.expires_at.astimezone(conversation.timezone).isoformat(),
            "checked": invited.checked,
        }
        return web.json_response(body, status=201)


def _customer_id(body: bytes) -> str | web.Response:
    """Return the request's customer id, or the 400 answer that says what is wrong with it."""
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _error(400, "the body is not JSON")
    if not isinstance(data, dict):
        return _error(400, "the body must be a JSON object")
    if "customer_id" not in data:
        return _error(400, "customer_id is required", field="customer_id")
    value = data["customer_id"]
    if not isinstance(value, str):
        return _error(400, "customer_id must be a string", field="customer_id")
    try:
        return arguments.parse_customer_id(value)
    except ValueError as problem:
        return _error(400, str(problem), field="customer_id")


def _error(
    status: int, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    body: dict[str, str] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status, headers=headers)


def setup(
    app: web.Application,
    conversation: Conversation,
    token: str,
    link: LinkBuilder,
    clock: Callable[[], datetime],
) -> None:
    """Add the invite API; without a token it is never added, so it answers 404 to everyone."""
    app.router.add_post(PATH, InviteRoute(conversation, token, link, clock).handle)
