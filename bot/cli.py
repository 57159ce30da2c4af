"""`python -m bot <command>`: run, webhook, clock, migrate, remind, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import NoReturn

from telegram.error import InvalidToken, NetworkError

from bot.bootstrap import (
    Services,
    build_sweeper,
    build_telegram,
    open_services,
    open_store,
    open_telegram_bot,
    open_whatsapp,
    utc_now,
)
from bot.channels.observed import stop_within
from bot.channels.telegram import (
    ALLOWED_UPDATES,
    BotApplication,
    TelegramNotifier,
    register_command_menus,
    schedule_reminders,
)
from bot.config import ConfigError, Settings, load_settings
from bot.core import arguments, invites, privacy
from bot.core.points import BonifiqError, CustomerNotFoundError
from bot.core.reminders import SweepAbortedError, last_scheduled_run, sweep_missed
from bot.db.engine import DatabaseUnavailableError
from bot.db.migrate import head_revision, upgrade_to_head
from bot.demo import run_demo
from bot.jobs.reminders import ChannelSweeps, PlannedReminder, ReminderSweep
from bot.logs import setup_logging
from bot.progress import ProgressBar
from bot.shutdown import GRACE_SECONDS, stop_on_signals
from bot.web.serve import operations_endpoints, run_webhook

logger = logging.getLogger("bot")

# How `forget --user` reads an id on each channel: canonical id, or None if it cannot be one.
USER_IDS: dict[str, Callable[[str], str | None]] = {
    "telegram": arguments.parse_user_id,
    "whatsapp": arguments.parse_wa_id,
}


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a mistake in one line, like every other error here."""

    def error(self, message: str) -> NoReturn:
        """Print `error: <command>: <message>` and exit 2."""
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bot", description="Chat bot for a BonifiQ loyalty program.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    commands.add_parser("run", help="serve Telegram by long polling (migrates the database first)")
    commands.add_parser(
        "webhook",
        help="serve the webhook of every channel that is on (Telegram, WhatsApp), /healthz"
        " and /metrics on $PORT (a web process)",
    )
    commands.add_parser("clock", help="sweep reminders daily at REMINDER_TIME, and nothing else")
    commands.add_parser("migrate", help="bring the database schema to the newest revision")
    remind = commands.add_parser(
        "remind", help="run one reminder sweep now (for cron or a scheduler) and exit"
    )
    remind.add_argument(
        "--dry-run",
        action="store_true",
        help="list who would be reminded of what, sending and recording nothing",
    )
    demo = commands.add_parser("demo", help="chat in the terminal against a sandbox points API")
    demo.add_argument(
        "--channel",
        choices=("console", "whatsapp"),
        default="console",
        help="show replies as the console shows them, or as a WhatsApp user would see them",
    )
    invite = commands.add_parser(
        "invite", help="print a single-use invite link for a customer (for scripts)"
    )
    invite.add_argument("customer_id", help="the customer's id in the store (usually e-mail)")
    invite.add_argument(
        "--check",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ask the points API whether the customer exists first (default: --check)",
    )
    forget = commands.add_parser(
        "forget", help="erase what the bot keeps about a customer or a chat user (LGPD)"
    )
    who = forget.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", metavar="ID", help="the customer's id in the store")
    who.add_argument(
        "--user",
        metavar="ID",
        help="the chat user's id: a Telegram user id or a WhatsApp number in international digits",
    )
    forget.add_argument(
        "--channel",
        choices=tuple(USER_IDS),
        help="the --user's channel (default: every channel the id can belong to)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _failed(exc)
    level = "WARNING" if args.command == "demo" else settings.log_level
    log_format = "text" if args.command == "demo" else settings.log_format
    setup_logging(level, settings.secrets(), log_format=log_format)
    try:
        return asyncio.run(_run_command(args, settings))
    except KeyboardInterrupt:
        return 130
    except (
        ConfigError,
        DatabaseUnavailableError,
        InvalidToken,
        SweepAbortedError,
        NetworkError,
        BonifiqError,
    ) as exc:
        return _failed(exc)


async def _run_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        await upgrade_to_head(settings.database_url)  # logs what it applied, if anything
        print(f"database is at the newest revision ({head_revision()})")
        return 0
    if args.command == "remind":
        return await run_reminders(settings, dry_run=args.dry_run)
    if args.command == "invite":
        return await issue_invite(settings, args.customer_id, check=args.check)
    if args.command == "forget":
        return await forget(settings, customer_id=args.customer, user=(args.channel, args.user))
    if args.command == "demo":
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        await run_demo(
            settings, sys.stdin, sys.stdout, interactive=interactive, channel=args.channel
        )
        return 0
    if args.command == "webhook":
        await run_webhook(settings)
    elif args.command == "clock":
        await run_clock(settings)
    else:
        await run_polling(settings)
    return 0


def _failed(exc: Exception) -> int:
    """Print one line for an error the operator can act on; return the exit code."""
    if isinstance(exc, InvalidToken):
        message, code = "Telegram refused TELEGRAM_BOT_TOKEN", 2
    elif isinstance(exc, ConfigError | DatabaseUnavailableError):
        message, code = str(exc), 2
    elif isinstance(exc, SweepAbortedError):
        message, code = f"reminder sweep aborted: {exc}", 1
    else:
        message, code = f"{type(exc).__name__}: {exc}", 1
    print(f"error: {message}", file=sys.stderr)
    return code


async def run_polling(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve Telegram by long polling until SIGINT/SIGTERM (or `stop` is set)."""
    settings.require("telegram_bot_token", "bonifiq_api_token", "bonifiq_api_key")
    stop = stop_on_signals(stop)
    await upgrade_to_head(settings.database_url)
    async with open_telegram_bot(settings, updater=True) as bot:
        application, services = bot.application, bot.services
        async with application, operations_endpoints(settings, services):
            await register_command_menus(
                application.bot, services.conversation, settings.admin_ids
            )
            await schedule_daily_sweep(settings, services, application)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
            logger.info("Bot @%s is serving by long polling", application.bot.username)
            await stop.wait()
            logger.info("Stopping")
            await application.updater.stop()
            await asyncio.gather(bot.sweeper.stop(), stop_within(application, GRACE_SECONDS))


async def run_clock(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Sweep reminders daily at REMINDER_TIME (catching up a missed one) until stopped."""
    channels = settings.channels()
    settings.require("bonifiq_api_token", "bonifiq_api_key")
    if settings.reminder_time is None:
        raise ConfigError("REMINDER_TIME is off, so clock would have nothing to do")
    stop = stop_on_signals(stop)
    await upgrade_to_head(settings.database_url)
    if "telegram" not in channels:
        await _whatsapp_clock(settings, stop)
        return
    async with open_telegram_bot(settings, updater=False) as bot:
        application = bot.application
        async with application, operations_endpoints(settings, bot.services):
            await schedule_daily_sweep(settings, bot.services, application)
            await application.start()
            logger.info(
                "Clock: reminder sweep daily at %s %s",
                settings.reminder_time.strftime("%H:%M"),
                settings.bot_timezone,
            )
            await stop.wait()
            logger.info("Stopping")
            await asyncio.gather(bot.sweeper.stop(), stop_within(application, GRACE_SECONDS))


async def _whatsapp_clock(settings: Settings, stop: asyncio.Event) -> None:
    """The clock without Telegram (whose job queue schedules it otherwise): sweep WhatsApp."""
    at, zone = settings.reminder_time, settings.timezone
    assert at is not None
    async with (
        open_services(settings) as services,
        open_whatsapp(settings, services) as whatsapp,
        operations_endpoints(settings, services),
    ):
        assert whatsapp is not None
        async with services.store.unit_of_work(writes=False) as uow:
            last = await uow.reminders.last_sweep_started()
        due = sweep_missed(last, utc_now(), at, zone)
        logger.info("Clock: reminder sweep daily at %s %s", at.strftime("%H:%M"), zone)
        while not stop.is_set():
            if due:
                await _sweep_until_stopped(whatsapp.sweeper, stop)
            next_slot = last_scheduled_run(utc_now(), at, zone) + timedelta(days=1)
            try:
                await asyncio.wait_for(stop.wait(), (next_slot - utc_now()).total_seconds())
            except TimeoutError:
                due = True
        logger.info("Stopping")
        await whatsapp.sweeper.stop()


async def _sweep_until_stopped(sweeper: ReminderSweep, stop: asyncio.Event) -> None:
    """Sweep; a stop request ends it after the message in flight, as in the other processes."""
    sweeping = asyncio.create_task(sweeper.sweep(utc_now()))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({sweeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not sweeping.done():
        await sweeper.stop()
    stopping.cancel()
    try:
        await sweeping
    except SweepAbortedError as exc:
        logger.error("Reminder sweep aborted: %s", exc)


async def schedule_daily_sweep(
    settings: Settings, services: Services, application: BotApplication
) -> None:
    """Schedule the daily sweep, and one right away when the last one was missed."""
    if settings.reminder_time is None:
        return
    async with services.store.unit_of_work(writes=False) as uow:
        last = await uow.reminders.last_sweep_started()
    at, zone = settings.reminder_time, settings.timezone
    schedule_reminders(application, at, zone, catch_up=sweep_missed(last, utc_now(), at, zone))


async def run_reminders(settings: Settings, *, dry_run: bool) -> int:
    """Run one sweep (or plan one) and print a one-line summary; return the exit code."""
    channels = settings.channels()
    settings.require("bonifiq_api_token", "bonifiq_api_key")
    await upgrade_to_head(settings.database_url)
    progress = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    async with (
        open_services(settings) as services,
        open_whatsapp(settings, services) as whatsapp,
        AsyncExitStack() as stack,
    ):
        sweeps = [whatsapp.sweeper] if whatsapp is not None else []
        if "telegram" in channels:
            application = build_telegram(settings, services, updater=False)
            await stack.enter_async_context(application)  # getMe checks the token first
            sweeps.insert(0, build_sweeper(settings, services, TelegramNotifier(application.bot)))
        sweeper = ChannelSweeps(sweeps)
        try:
            if dry_run:
                summary, planned = await sweeper.plan(utc_now(), progress)
            else:
                summary = await sweeper.sweep(utc_now(), progress)
                planned = []
        finally:
            if progress is not None:
                progress.close()
    for item in planned:
        print(describe(item))
    if summary.unknown_customers:
        print("unknown to BonifiQ: " + ", ".join(summary.unknown_customers))
    prefix = f"dry run, {counted(len(planned), 'reminder')} would be sent; " if dry_run else ""
    print(prefix + summary.line())
    return 1 if summary.everything_failed else 0


def describe(item: PlannedReminder) -> str:
    """Return one dry-run line: the chat, the customer and each expiration it covers.

    In English like the rest of the command line, whose readers are operators: `1,234 points
    on 2026-12-09 (5 days left; thresholds 30, 7)`, not the customers' `1.234 pontos`.
    """
    parts = [
        f"{counted(due.points, 'point')} on {due.expires_on.isoformat()}"
        f" ({counted(due.days_left, 'day')} left;"
        f" {'threshold' if len(due.thresholds) == 1 else 'thresholds'}"
        f" {', '.join(map(str, due.thresholds))})"
        for due in item.due
    ]
    return f"user {item.chat.user_id} · {item.customer_id} · " + "; ".join(parts)


def counted(count: int, noun: str) -> str:
    """Return `1 reminder`, `0 reminders`, `5,000 points`: a count and its English noun."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


async def issue_invite(settings: Settings, customer_id: str, *, check: bool) -> int:
    """Print an invite link and its expiry; 1 when the customer is unknown or the id invalid.

    Issued by `invites.invite_customer`, as in the chat and the API: when the points API
    cannot say (down, or refusing the credentials) the invite is issued with a warning.
    """
    channels = settings.channels()
    settings.require("bonifiq_api_token", "bonifiq_api_key")
    try:
        customer_id = arguments.parse_customer_id(customer_id)
    except ValueError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    await upgrade_to_head(settings.database_url)
    async with open_services(settings) as services:
        async with contextlib.AsyncExitStack() as telegram:
            bot_username = None
            if "telegram" in channels:
                # getMe first: a refused token stops the command before anything is stored,
                # and the bot's username makes the link.
                application = build_telegram(settings, services, updater=False)
                await telegram.enter_async_context(application)
                bot_username = application.bot.username
            try:
                invited = await invites.invite_customer(
                    services.conversation,
                    customer_id,
                    channel="cli",
                    via="cli",
                    issued_by=None,
                    now=utc_now(),
                    check=check,
                )
            except CustomerNotFoundError:
                print("error: the points API has no such customer", file=sys.stderr)
                return 1
        if check and not invited.checked:
            warning = "warning: customer not checked (the points API could not be asked)"
            print(warning, file=sys.stderr)
        issued = invited.issued
        if bot_username is not None:
            print(issued.telegram_url(bot_username))
        if "whatsapp" in channels:
            assert settings.whatsapp_display_number is not None
            print(issued.whatsapp_url(settings.whatsapp_display_number))
    expires = issued.expires_at.astimezone(settings.timezone)
    print(f"expires {expires.isoformat(timespec='seconds')}")
    return 0


async def forget(
    settings: Settings, *, customer_id: str | None, user: tuple[str | None, str | None]
) -> int:
    """Erase a customer's or a chat user's data and print what was deleted.

    A user is looked for on `user`'s channel, or on every channel whose ids it can be (a
    Telegram id and a WhatsApp number are both digits); exit 2 if it can be none.
    """
    channel, user_id = user
    subjects: list[privacy.Subject]
    if customer_id is not None:
        try:
            subjects = [privacy.CustomerData(arguments.parse_customer_id(customer_id))]
        except ValueError as problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
    else:
        assert user_id is not None  # argparse requires one of the two
        subjects = [privacy.UserData(name, uid) for name, uid in chat_users(channel, user_id)]
        if not subjects:
            print(f"error: --user {user_id_rule(channel)}", file=sys.stderr)
            return 2
    await upgrade_to_head(settings.database_url)
    async with open_store(settings) as store:
        erased = await privacy.erase(
            store, subjects, channel="cli", requested_by=None, now=utc_now()
        )
    lines = [
        # Which channel the user was on, since the operator may not have said.
        f"{subject.channel}: {erasure.line()}"
        if isinstance(subject, privacy.UserData)
        else erasure.line()
        for subject, erasure in zip(subjects, erased, strict=True)
        if erasure.found
    ]
    print("\n".join(lines) if lines else "nothing stored about them")
    return 0


def chat_users(channel: str | None, raw: str) -> list[tuple[str, str]]:
    """Return (channel, canonical id) for `channel`, or for every channel `raw` can be an id on."""
    channels = [channel] if channel is not None else list(USER_IDS)
    return [(name, uid) for name in channels if (uid := USER_IDS[name](raw)) is not None]


def user_id_rule(channel: str | None) -> str:
    """Say what a user id looks like on `channel` (or on any), for an error line."""
    telegram = "a Telegram user id (digits, such as 123456789)"
    whatsapp = "a WhatsApp number in international digits (such as 5511987654321)"
    rules = {"telegram": telegram, "whatsapp": whatsapp}
    return "must be " + (rules[channel] if channel is not None else f"{telegram} or {whatsapp}")
