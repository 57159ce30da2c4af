"""Telegram channel: translates updates into `Incoming` and `Reply` into Bot API calls."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from datetime import datetime, time, tzinfo
from typing import Any, TypeAlias

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram import User as TelegramUser
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.channels.observed import ObservedApplication
from bot.core import limits
from bot.core.conversation import Conversation
from bot.core.messages import Button, Incoming, Reply
from bot.core.models import UserProfile
from bot.core.ports import DeliveryError, RecipientBlockedError, Sweeper
from bot.core.reminders import SweepAbortedError, SweepBusyError, sweep_report
from bot.failures import describe
from bot.metrics import Metrics
from bot.text import showable

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SLOW_COMMANDS = ("lembrar_agora", "remind_now")
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER)
"""The update types the handlers below answer; edits and the rest are not even delivered."""

# Telegram quotes the offending tag or entity in its refusals; that may come from user data.
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


class BotServices:
    """What handlers need (`context.bot_data`), filled in by the composition root."""

    conversation: Conversation
    clock: Callable[[], datetime]
    sweeper: Sweeper | None = None
    admins: frozenset[int] = frozenset()


BotContext: TypeAlias = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotServices]
BotApplication: TypeAlias = Application[
    ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], BotServices, Any
]


def build_application(
    token: str,
    base_url: str,
    conversation: Conversation,
    clock: Callable[[], datetime],
    *,
    updater: bool = True,
    send_rate: float = 29.0,
    metrics: Metrics | None = None,
) -> BotApplication:
    """Build the python-telegram-bot application with our handlers and rate limiter."""
    # Opt in to python-telegram-bot 23's timedelta durations (the documented switch); without
    # it every Telegram 429 emits a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(_file_url(base_url))
        .context_types(ContextTypes(bot_data=BotServices))
        .rate_limiter(
            AIORateLimiter(overall_max_rate=send_rate, overall_time_period=1, max_retries=3)
        )
        .application_class(
            ObservedApplication, {"metrics": metrics or Metrics(), "channel": CHANNEL}
        )
    )
    if not updater:
        builder = builder.updater(None)
    application: BotApplication = builder.build()
    application.bot_data.conversation = conversation
    application.bot_data.clock = clock
    # One rule for edits: an edited message is not a new message, whatever it says, so an
    # edit never re-runs a command. Every message handler filters on new messages alone.
    new_messages = filters.UpdateType.MESSAGE
    # A sweep can take minutes: run it beside other updates instead of holding them up.
    application.add_handler(
        CommandHandler(SLOW_COMMANDS, on_message, filters=new_messages, block=False)
    )
    application.add_handler(MessageHandler(new_messages & ~filters.StatusUpdate.ALL, on_message))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)
    return application


def _file_url(base_url: str) -> str:
    """Derive the file URL from a self-hosted Bot API's base URL (`…/bot` → `…/file/bot`)."""
    if base_url.endswith("/bot"):
        return base_url.removesuffix("/bot") + "/file/bot"
    return base_url.rstrip("/") + "/file/bot"


async def on_message(update: Update, context: BotContext) -> None:
    """Hand a message to the conversation and send what it answers."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or user.is_bot:
        return
    incoming = Incoming(
        user=profile(user),
        chat_id=str(chat.id),
        private=chat.type == ChatType.PRIVATE,
        text=message.text,
        bot_username=context.bot.username,
    )
    services = context.bot_data
    replies = await services.conversation.handle(incoming, services.clock())
    await send_replies(context.bot, chat.id, replies, _fallback(services))


async def on_button(update: Update, context: BotContext) -> None:
    """Treat an inline button press like the command it stands for."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    try:
        await query.answer()  # stops the button's loading spinner at once
    except TelegramError as exc:  # a query over 15 minutes old; the press still counts
        logger.info("Could not answer callback query of update %s: %s", update.update_id, exc)
    chat = query.message.chat if query.message is not None else None
    chat_id = chat.id if chat is not None else user.id
    incoming = Incoming(
        user=profile(user),
        chat_id=str(chat_id),
        private=chat is None or chat.type == ChatType.PRIVATE,
        action=query.data or "",
        bot_username=context.bot.username,
    )
    services = context.bot_data
    replies = await services.conversation.handle(incoming, services.clock())
    await send_replies(context.bot, chat_id, replies, _fallback(services))


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Know at once when a user blocks or unblocks the bot in their private chat."""
    change, user = update.my_chat_member, update.effective_user
    if change is None or user is None or change.chat.type != ChatType.PRIVATE:
        return
    status = change.new_chat_member.status
    if status not in (ChatMemberStatus.BANNED, ChatMemberStatus.MEMBER):
        return
    services = context.bot_data
    reachable = status == ChatMemberStatus.MEMBER
    await services.conversation.reachability_changed(profile(user), reachable, services.clock())


async def on_error(update: object, context: BotContext) -> None:
    """Log what went wrong, with the update id but no personal data."""
    update_id = update.update_id if isinstance(update, Update) else None
    failure = describe(context.error) if context.error is not None else "unknown error"
    logger.error("Error while handling update %s: %s", update_id, failure)


def profile(user: TelegramUser) -> UserProfile:
    """Return the core's view of a Telegram user, names cleaned for replies that quote them."""
    return UserProfile(
        channel=CHANNEL,
        user_id=str(user.id),
        first_name=showable(user.first_name),
        last_name=showable(user.last_name),
        username=showable(user.username),
        language_code=showable(user.language_code),
    )


async def send_replies(
    bot: ExtBot[Any], chat_id: int, replies: Sequence[Reply], fallback: str | None = None
) -> None:
    """Send replies in order; one that fails is logged (never its text) and the rest still go.

    When a reply to the chat that asked is refused, `fallback` (plain text) tells the user
    something went wrong instead of leaving them without an answer.
    """
    for index, reply in enumerate(replies, 1):
        target = int(reply.chat_id) if reply.chat_id is not None else chat_id
        try:
            await send_reply(bot, target, reply)
        except Exception as exc:
            logger.warning(
                "Reply %d of %d to chat %s not sent: %s", index, len(replies), target, _why(exc)
            )
            if reply.chat_id is None and fallback and not isinstance(exc, Forbidden):
                await _send_fallback(bot, chat_id, fallback)


async def _send_fallback(bot: ExtBot[Any], chat_id: int, text: str) -> None:
    try:
        await bot.send_message(chat_id, text)
    except Exception as exc:
        logger.warning("Fallback reply to chat %s not sent either: %s", chat_id, _why(exc))


def _fallback(services: BotServices) -> str:
    return services.conversation.texts.text("reply_failed")


def _why(exc: Exception) -> str:
    """Return why a send failed: Telegram's reason with quoted fragments hidden, or the type."""
    if isinstance(exc, TelegramError):
        return f"{type(exc).__name__}: {_QUOTED.sub('…', exc.message)}"
    return describe(exc)


async def send_reply(bot: ExtBot[Any], chat_id: int, reply: Reply) -> None:
    """Send one reply as HTML with its buttons and no link previews."""
    await bot.send_message(
        chat_id,
        reply.text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(reply.buttons, bot.username),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def keyboard(
    rows: tuple[tuple[Button, ...], ...], bot_username: str | None
) -> InlineKeyboardMarkup | None:
    """Render buttons: actions as callback data, private-chat links as t.me deep links."""
    rendered = []
    for row in rows:
        buttons = []
        for button in row:
            if button.private_chat_payload is not None:
                if not bot_username:
                    continue
                url = f"https://t.me/{bot_username}?start={button.private_chat_payload}"
                buttons.append(InlineKeyboardButton(button.label, url=url))
            else:
                buttons.append(InlineKeyboardButton(button.label, callback_data=button.action))
        if buttons:
            rendered.append(buttons)
    return InlineKeyboardMarkup(rendered) if rendered else None


async def register_command_menus(
    bot: ExtBot[Any], conversation: Conversation, admins: frozenset[int]
) -> None:
    """Publish the command menu: customer commands for all, admin ones in admins' chats."""
    user_menu = [BotCommand(name, text) for name, text in conversation.command_menu(admin=False)]
    await bot.set_my_commands(user_menu, scope=BotCommandScopeDefault())
    admin_menu = [BotCommand(name, text) for name, text in conversation.command_menu(admin=True)]
    for admin in sorted(admins):
        try:
            await bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin))
        except TelegramError as exc:
            # An admin who never opened a chat with the bot has no chat to scope a menu to.
            logger.warning("No admin command menu for user %s: %s", admin, exc.message)


class TelegramNotifier:
    """Sends reminders through the bot, so they share its rate limiter."""

    channel = CHANNEL

    def __init__(self, bot: ExtBot[Any]) -> None:
        self._bot = bot

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send one message; a block raises `RecipientBlockedError`, a failure `DeliveryError`."""
        try:
            await send_reply(self._bot, int(chat_id), reply)
        except Forbidden as exc:
            raise RecipientBlockedError(exc.message) from exc
        except TelegramError as exc:
            # RetryAfter arrives here only after the rate limiter's own retries ran out.
            raise DeliveryError(exc.message) from exc


async def reminder_job(context: BotContext) -> None:
    """Run the daily sweep; tell admins when something needs their attention."""
    services = context.bot_data
    if services.sweeper is None:
        return
    try:
        summary = await services.sweeper.sweep(services.clock())
    except SweepBusyError:
        logger.info("Scheduled reminder sweep skipped: another one is running")
        return
    except SweepAbortedError:
        logger.exception("Scheduled reminder sweep aborted")
        return
    if summary.unknown_customers or summary.failed:
        report = limits.fit(sweep_report(summary, services.conversation.texts), limits.TELEGRAM)
        for admin in sorted(services.admins):
            await send_replies(context.bot, admin, [report])


def schedule_reminders(
    application: BotApplication, at: time, timezone: tzinfo, *, catch_up: bool
) -> None:
    """Sweep every day at `at` (local time), and right away when a sweep was missed."""
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    job_queue.run_daily(reminder_job, time=at.replace(tzinfo=timezone), name="reminders")
    if catch_up:
        job_queue.run_once(reminder_job, when=1, name="reminders-catch-up")
