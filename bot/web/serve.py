"""The `webhook` process, and the operations endpoints other processes serve on $PORT."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import SecretStr

from bot.bootstrap import Services, open_telegram_bot
from bot.channels.observed import stop_within
from bot.channels.telegram import register_command_menus
from bot.config import Settings
from bot.db.migrate import upgrade_to_head
from bot.shutdown import stop_on_signals
from bot.web.app import create_web_app
from bot.web.server import DEFAULT_PORT, HOST, serving
from bot.web.telegram import register_webhook

logger = logging.getLogger(__name__)


async def run_webhook(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve Telegram webhooks, /healthz and /metrics on $PORT until SIGTERM/SIGINT."""
    settings.require("webhook_secret", "webhook_url", "telegram_bot_token")
    settings.require("bonifiq_api_token", "bonifiq_api_key")
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    stop = stop_on_signals(stop)
    await upgrade_to_head(settings.database_url)
    # No scheduled sweeps here (that is `clock`); an admin's /lembrar_agora still works.
    async with open_telegram_bot(settings, updater=False) as bot:
        application, services = bot.application, bot.services
        app = create_web_app(
            services,
            telegram_application=application,
            webhook_secret=secret,
            metrics_token=_token(settings),
            admin_api_token=_secret(settings.admin_api_token),
        )
        async with application:
            await register_command_menus(
                application.bot, services.conversation, settings.admin_ids
            )
            await application.start()
            try:
                async with serving(app, settings.port or DEFAULT_PORT) as bound:
                    await register_webhook(application, settings.webhook_url, secret)
                    logger.info(
                        "Listening on %s:%d; channels: telegram (webhook for @%s)",
                        HOST,
                        bound,
                        application.bot.username,
                    )
                    await stop.wait()
                    logger.info("Stopping: no new updates; finishing the accepted ones")
            finally:
                # Accepted updates had their grace period in `serving`'s clean-up.
                await asyncio.gather(bot.sweeper.stop(), stop_within(application, 1.0))


@asynccontextmanager
async def operations_endpoints(settings: Settings, services: Services) -> AsyncIterator[None]:
    """Serve /healthz and /metrics on $PORT while the block runs, when PORT is set."""
    if settings.port is None:
        yield
        return
    app = create_web_app(services, metrics_token=_token(settings))
    async with serving(app, settings.port) as bound:
        logger.info("Serving /healthz and /metrics on %s:%d", HOST, bound)
        yield


def _token(settings: Settings) -> str | None:
    return _secret(settings.metrics_token)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
