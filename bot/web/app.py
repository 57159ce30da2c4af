"""The web application: one factory, one route module per concern."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.bootstrap import Services, utc_now
from bot.channels.telegram import BotApplication
from bot.channels.whatsapp import WhatsAppChannel
from bot.core.invites import IssuedInvite
from bot.web import health, invites, metrics, telegram, whatsapp
from bot.web.server import SERVER_OPTIONS
from bot.web.telegram import MAX_BODY_BYTES


@dataclass(frozen=True, slots=True)
class WhatsAppWebhookSettings:
    """What the WhatsApp webhook needs: the channel and Meta's two secrets."""

    channel: WhatsAppChannel
    app_secret: str
    verify_token: str
    display_number: str


def create_web_app(
    services: Services,
    *,
    telegram_application: BotApplication | None = None,
    webhook_secret: str | None = None,
    metrics_token: str | None = None,
    admin_api_token: str | None = None,
    whatsapp_webhook: WhatsAppWebhookSettings | None = None,
) -> web.Application:
    """Build the aiohttp application: health and metrics, the webhooks and the invite API."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, handler_args=SERVER_OPTIONS)
    health.setup(app, services.engine, services.api_health)
    metrics.setup(app, services.metrics, services.store, metrics_token)
    if telegram_application is not None:
        if not webhook_secret:
            raise ValueError("the Telegram webhook needs its secret")
        telegram.setup(app, telegram_application, webhook_secret, services.metrics)
    if whatsapp_webhook is not None:
        whatsapp.setup(
            app,
            whatsapp_webhook.channel,
            whatsapp_webhook.app_secret,
            whatsapp_webhook.verify_token,
            services.metrics,
        )
    if admin_api_token and (telegram_application is not None or whatsapp_webhook is not None):
        bot = telegram_application.bot if telegram_application is not None else None
        number = whatsapp_webhook.display_number if whatsapp_webhook is not None else None

        def links(issued: IssuedInvite) -> dict[str, str]:
            urls = {"telegram": issued.telegram_url(bot.username)} if bot is not None else {}
            if number is not None:
                urls["whatsapp"] = issued.whatsapp_url(number)
            return urls

        invites.setup(app, services.conversation, admin_api_token, links, utc_now)
    return app
