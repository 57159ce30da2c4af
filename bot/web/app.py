"""The web application: one factory, one route module per concern."""

from __future__ import annotations

from aiohttp import web

from bot.bootstrap import Services, utc_now
from bot.channels.telegram import BotApplication
from bot.core.invites import IssuedInvite
from bot.web import health, invites, metrics, telegram
from bot.web.telegram import MAX_BODY_BYTES


def create_web_app(
    services: Services,
    *,
    telegram_application: BotApplication | None = None,
    webhook_secret: str | None = None,
    metrics_token: str | None = None,
    admin_api_token: str | None = None,
) -> web.Application:
    """Build the aiohttp application: health and metrics, the webhook and the invite API."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    health.setup(app, services.engine, services.api_health)
    metrics.setup(app, services.metrics, services.store, metrics_token)
    if telegram_application is not None:
        if not webhook_secret:
            raise ValueError("the Telegram webhook needs its secret")
        telegram.setup(app, telegram_application, webhook_secret)
        if admin_api_token:
            bot = telegram_application.bot

            def telegram_link(issued: IssuedInvite) -> str:
                return issued.telegram_url(bot.username)

            invites.setup(app, services.conversation, admin_api_token, telegram_link, utc_now)
    return app
