"""`python -m bot <command>`: run, migrate, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from bot.bonifiq.errors import BonifiqError
from bot.bootstrap import open_services, utc_now
from bot.channels.telegram import build_application, register_command_menus
from bot.config import ConfigError, Settings, load_settings
from bot.db.engine import DatabaseUnavailableError
from bot.db.migrate import upgrade_to_head
from bot.demo import run_demo
from bot.logs import setup_logging

logger = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Chat bot for a BonifiQ loyalty program."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    commands.add_parser("run", help="serve Telegram by long polling (migrates the database first)")
    commands.add_parser("migrate", help="bring the database schema to the newest revision")
    commands.add_parser("demo", help="chat in the terminal against a sandbox points API")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    level = "WARNING" if args.command == "demo" else settings.log_level
    setup_logging(level, settings.secrets())
    try:
        if args.command == "migrate":
            asyncio.run(upgrade_to_head(settings.database_url))
            print("database is at the newest revision")
        elif args.command == "demo":
            interactive = sys.stdin.isatty() and sys.stdout.isatty()
            asyncio.run(run_demo(settings, sys.stdin, sys.stdout, interactive=interactive))
        else:
            asyncio.run(run_polling(settings))
    except (ConfigError, DatabaseUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InvalidToken:
        print("error: Telegram refused TELEGRAM_BOT_TOKEN", file=sys.stderr)
        return 2
    except (NetworkError, BonifiqError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


async def run_polling(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve Telegram by long polling until SIGINT/SIGTERM (or `stop` is set)."""
    settings.require("telegram_bot_token", "bonifiq_api_token", "bonifiq_api_key")
    assert settings.telegram_bot_token is not None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await upgrade_to_head(settings.database_url)
    async with open_services(settings) as services:
        application = build_application(
            settings.telegram_bot_token.get_secret_value(),
            settings.telegram_api_base_url,
            services.conversation,
            utc_now,
        )
        async with application:
            await register_command_menus(
                application.bot, services.conversation, settings.admin_ids
            )
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            logger.info("Bot @%s is serving by long polling", application.bot.username)
            await stop.wait()
            logger.info("Stopping")
            await application.updater.stop()
            await application.stop()
