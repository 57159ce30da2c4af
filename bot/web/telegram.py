"""The Telegram webhook: checks, decodes and hands updates to python-telegram-bot."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Update

from bot.channels.telegram import ALLOWED_UPDATES, CHANNEL, BotApplication
from bot.metrics import Metrics
from bot.web.body import BodyRefused, read_body
from bot.web.intake import Intake

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY_BYTES = 1024 * 1024
"""Telegram's updates are a few kilobytes; anything near this is not an update."""
UNDECODABLE = "undecodable"
"""Why an update was skipped (the metric's reason): python-telegram-bot could not decode it."""


def webhook_path(secret: str) -> str:
    """Return the webhook's path: a segment derived from the secret, so it cannot be guessed."""
    return "/telegram/" + hashlib.sha256(secret.encode()).hexdigest()[:32]


def webhook_url(base_url: str, secret: str) -> str:
    """Return the URL Telegram posts to: the public base URL plus the webhook path."""
    return base_url.rstrip("/") + webhook_path(secret)


async def register_webhook(application: BotApplication, base_url: str, secret: str) -> None:
    """Ask Telegram to post the update types the bot handles to this webhook, with the secret."""
    # Every instance registers the same URL and secret, so a redeploy or a second process
    # changes nothing; pending updates are kept for whoever answers first.
    await application.bot.set_webhook(
        webhook_url(base_url, secret),
        secret_token=secret,
        allowed_updates=list(ALLOWED_UPDATES),
    )


INTAKE = web.AppKey("telegram_intake", Intake)


class WebhookRoute:
    """`POST /telegram/<segment>`: 403 without the secret, 400, 413 or 415 for a bad body.

    A JSON object with an integer `update_id` that python-telegram-bot cannot decode is
    skipped with 200: it carries the secret, so it is Telegram's, and retrying cannot help.
    """

    def __init__(
        self, application: BotApplication, secret: str, intake: Intake, metrics: Metrics
    ) -> None:
        self._application = application
        self._metrics = metrics
        self._secret = secret.encode()
        self._intake = intake

    async def handle(self, request: web.Request) -> web.Response:
        """Accept one update and answer at once; its replies are sent in the background."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.info("Webhook request refused: missing or wrong secret header")
            raise web.HTTPForbidden
        if self._intake.closing:
            raise web.HTTPServiceUnavailable  # Telegram retries, reaching another instance
        try:
            body = await read_body(request, MAX_BODY_BYTES)
        except BodyRefused as refused:
            logger.info("Webhook request refused: %s", refused.reason)
            return web.Response(status=refused.status, text=refused.reason)
        data = _update_data(body)
        if data is None:
            logger.info("Webhook request refused: the body is not a Telegram update")
            raise web.HTTPBadRequest(text="not a Telegram update")
        update = _decode(data, self._application)
        if update is None:
            # It carries the secret, so it is Telegram's: a non-2xx answer would be retried,
            # holding back the updates behind it, and can never succeed.
            self._metrics.update_skipped(CHANNEL, UNDECODABLE)
            return web.Response(text="ok")
        # Handler errors go to python-telegram-bot's error handler; the intake logs the rest.
        name = f"update-{update.update_id}"
        await self._intake.accept(self._application.process_update(update), name)
        return web.Response(text="ok")


def _update_data(body: bytes) -> dict[str, Any] | None:
    """Return the JSON object in a request body if it has an integer `update_id`, else None."""
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return None
    return data


def _decode(data: dict[str, Any], application: BotApplication) -> Update | None:
    """Return python-telegram-bot's update for the object, or None when it cannot decode it."""
    try:
        return Update.de_json(data, application.bot)
    except Exception as exc:
        # Any odd value can break it, each with its own error (OverflowError for a date of
        # 1e308, TypeError, AttributeError, ValueError...). One line, without the values.
        logger.warning("Webhook update skipped: it could not be decoded (%s)", type(exc).__name__)
        return None


def setup(
    app: web.Application, application: BotApplication, secret: str, metrics: Metrics
) -> None:
    """Add the webhook route; accepted updates are finished when the app is cleaned up."""
    intake = app[INTAKE] = Intake()
    route = WebhookRoute(application, secret, intake, metrics)
    app.router.add_post(webhook_path(secret), route.handle)
    metrics.updates_skipped.labels(CHANNEL, UNDECODABLE)  # exported as 0 before the first

    async def finish_accepted_updates(_app: web.Application) -> Any:
        yield
        await intake.drain()

    app.cleanup_ctx.append(finish_accepted_updates)
