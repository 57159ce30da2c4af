"""The WhatsApp webhook: Meta's verification handshake, and signed deliveries."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web

from bot.channels.whatsapp import CHANNEL, WhatsAppChannel
from bot.metrics import Metrics
from bot.web.body import BodyRefused, read_body
from bot.web.intake import Intake
from bot.whatsapp.inbound import (
    NOT_A_DELIVERY,
    SIGNATURE_HEADER,
    SKIP_REASONS,
    parse_delivery,
    signature_valid,
)

logger = logging.getLogger(__name__)

PATH = "/whatsapp/webhook"
MAX_BODY_BYTES = 1024 * 1024
"""Meta's deliveries are a few kilobytes; anything near this is not one."""
MAX_CHALLENGE_LENGTH = 256

INTAKE = web.AppKey("whatsapp_intake", Intake)


class WhatsAppWebhook:
    """`GET` answers the handshake; `POST` checks the signature, answers 200, then works.

    A signed delivery gets 200 even when parts of it, or all of it, cannot be read.
    """

    def __init__(
        self,
        channel: WhatsAppChannel,
        app_secret: str,
        verify_token: str,
        intake: Intake,
        metrics: Metrics,
    ) -> None:
        self._channel = channel
        self._metrics = metrics
        self._app_secret = app_secret
        self._verify_token = verify_token.encode()
        self._intake = intake

    async def verify(self, request: web.Request) -> web.Response:
        """Echo `hub.challenge` when Meta subscribes with our verify token; 403 otherwise."""
        # The query holds the verify token: nothing here logs the URL or the query.
        query = request.query
        token = query.get("hub.verify_token", "").encode("utf-8", "replace")
        challenge = query.get("hub.challenge", "")
        if (
            query.get("hub.mode") != "subscribe"
            or not hmac.compare_digest(token, self._verify_token)
            or not challenge
            or len(challenge) > MAX_CHALLENGE_LENGTH
            or not challenge.isprintable()
        ):
            logger.info("WhatsApp webhook verification refused")
            raise web.HTTPForbidden
        logger.info("WhatsApp webhook verified")
        return web.Response(text=challenge, content_type="text/plain")

    async def deliver(self, request: web.Request) -> web.Response:
        """Accept one delivery: every message and status in it is handled after the answer."""
        # The signature covers the bytes as sent: re-encoded JSON would not match, and a
        # compressed body is refused (415) before it is read, since Meta never compresses.
        try:
            body = await read_body(request, MAX_BODY_BYTES)
        except BodyRefused as refused:
            logger.info("WhatsApp webhook request refused: %s", refused.reason)
            return web.Response(status=refused.status, text=refused.reason)
        if not signature_valid(body, request.headers.get(SIGNATURE_HEADER), self._app_secret):
            logger.info("WhatsApp webhook request refused: missing or wrong signature")
            raise web.HTTPForbidden
        if self._intake.closing:
            raise web.HTTPServiceUnavailable  # Meta retries, reaching another instance
        # Signed, so it is Meta's: anything but 200 is retried for days and can never succeed,
        # so what cannot be read is skipped, counted and logged once, without its content.
        delivery = parse_delivery(body)
        self._skip((NOT_A_DELIVERY,) if delivery is None else delivery.skipped)
        if delivery is None:
            return web.Response(text="ok")
        for message in delivery.messages:
            await self._intake.accept(self._channel.handle_message(message), "whatsapp-message")
        for status in delivery.statuses:
            await self._intake.accept(self._channel.handle_status(status), "whatsapp-status")
        return web.Response(text="ok")

    def _skip(self, reasons: tuple[str, ...]) -> None:
        """Count what could not be read, and log it once, by reason only."""
        for reason in reasons:
            self._metrics.update_skipped(CHANNEL, reason)
        if reasons:
            counts = ", ".join(
                f"{reason} {reasons.count(reason)}" for reason in sorted(set(reasons))
            )
            logger.warning(
                "WhatsApp webhook: unreadable parts of a signed delivery skipped: %s", counts
            )


def setup(
    app: web.Application,
    channel: WhatsAppChannel,
    app_secret: str,
    verify_token: str,
    metrics: Metrics,
) -> None:
    """Add the webhook routes; accepted messages are finished when the app is cleaned up."""
    intake = app[INTAKE] = Intake()
    route = WhatsAppWebhook(channel, app_secret, verify_token, intake, metrics)
    for reason in SKIP_REASONS:
        metrics.updates_skipped.labels(CHANNEL, reason)  # exported as 0 before the first
    app.router.add_get(PATH, route.verify)
    app.router.add_post(PATH, route.deliver)

    async def finish_accepted_messages(_app: web.Application) -> Any:
        yield
        await intake.drain()

    app.cleanup_ctx.append(finish_accepted_messages)
