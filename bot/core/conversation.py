"""The conversation: routes what a user did to its use case, on any channel, and never fails."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from bot.core import admin, commands, customer, invites, limits, privacy
from bot.core.commands import Command, NotForThisBot
from bot.core.context import Context, Handler, link_already_read
from bot.core.messages import Incoming, Reply
from bot.core.models import Sighting, UserProfile
from bot.failures import describe

logger = logging.getLogger(__name__)


async def _unlink(
    ctx: Context, incoming: Incoming, command: Command, now: datetime
) -> list[Reply]:
    # `/desvincular` alone is the user's own link; with an argument, an admin's command.
    use_case = admin.unlink if command.args else customer.unlink
    return await use_case(ctx, incoming, command, now)


HANDLERS: dict[str, Handler] = {
    "start": customer.start,
    "saldo": customer.balance,
    "extrato": customer.history,
    "ajuda": customer.help_,
    "desvincular": _unlink,
    "lembretes": customer.reminders,
    "vincular": admin.link,
    "cliente": admin.whois,
    "lembrar_agora": admin.remind_now,
    "convite": invites.invite,
    "trocar": invites.switch,
    "manter": invites.keep,
    "privacidade": privacy.privacy,
    "meusdados": privacy.my_data,
    "apagar": privacy.forget,
    commands.GREETING: customer.greet,
}
"""Each command's use case, by canonical name (see `bot.core.commands.ALIASES`)."""

UNKNOWN, OTHER, OTHER_BOT = "unknown", "other", "other_bot"
LABELS = frozenset({*HANDLERS, UNKNOWN, OTHER, OTHER_BOT})
"""Every name `label` gives: a closed set, since metrics labels and log fields must be few."""

SHOWS_LAST_SEEN = "meusdados"
"""The command that shows the user when they were last seen: it must say now, to the minute."""


@dataclass
class Conversation(Context):
    """Turns an `Incoming` into the `Reply` list the channel should send."""

    async def handle(self, incoming: Incoming, now: datetime) -> list[Reply]:
        """Answer one user action within the channel's limits; never raises."""
        channel_limits = limits.for_channel(incoming.user.channel)
        return [limits.fit(reply, channel_limits) for reply in await self._answer(incoming, now)]

    async def _answer(self, incoming: Incoming, now: datetime) -> list[Reply]:
        try:
            command = self._command(incoming)
        except NotForThisBot:
            return []
        if command is None and not incoming.private:
            return []  # chatter in a group is not for us
        try:
            user = incoming.user
            chat_id = incoming.chat_id if incoming.private else None
            # Most messages come from users whose stored profile is current: one read tells,
            # and brings the active link along. Only a change is written and committed.
            sighting = await self.store.sighting(user, chat_id, now)
            if sighting.stale or (command is not None and command.name == SHOWS_LAST_SEEN):
                async with self.store.unit_of_work() as uow:
                    await uow.users.seen(user, chat_id, now)
                    await uow.commit()
            notice = self._link_notice(incoming, command, sighting)
            if command is None:
                return notice + customer.not_understood(self, incoming)
            with link_already_read(user.channel, user.user_id, sighting.link):
                return notice + await self.dispatch(incoming, command, now)
        except Exception as exc:
            # Not logger.exception: a traceback's messages may quote personal data.
            logger.error(
                "Failed to answer %s user %s: %s",
                incoming.user.channel,
                loggable_id(incoming.user.user_id),
                describe(exc),
            )
            return [self.reply("internal_error")]

    async def dispatch(self, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
        """Run the command's use case.

        `/start <payload>` arrives from a deep link: `saldo` and the like from a group's
        "talk privately" button, anything else from an invite link.
        """
        if command.name == "start" and command.args and incoming.private:
            if command.args not in commands.DEEP_LINKS:
                return await invites.redeem(self, incoming, command.args, now)
            command = Command(command.args)
        return await HANDLERS[command.name](self, incoming, command, now)

    def _link_notice(
        self, incoming: Incoming, command: Command | None, sighting: Sighting
    ) -> list[Reply]:
        """Tell a user an admin linked before the bot had their chat, on their first message.

        `/start` (an invite link too) says what the user is linked to by itself.
        """
        link, user = sighting.link, incoming.user
        if (
            not sighting.new_chat
            or link is None
            or link.linked_by in (None, user.user_id)
            or (command is not None and command.name == "start")
        ):
            return []
        return [
            self.reply("notify.linked", for_channel=user.channel, customer_id=link.customer_id)
        ]

    async def reachability_changed(
        self, user: UserProfile, reachable: bool, now: datetime
    ) -> None:
        """Record that the user blocked the bot (False) or unblocked it (True)."""
        async with self.store.unit_of_work() as uow:
            await uow.users.set_reachable(user.channel, user.user_id, reachable, now)
            await uow.commit()
        logger.info(
            "User %s %s the bot",
            loggable_id(user.user_id),
            "unblocked" if reachable else "blocked",
        )

    def command_menu(self, *, admin: bool) -> list[tuple[str, str]]:
        """Return (command, description) pairs for a channel's command menu."""
        names = list(commands.USER_COMMANDS)
        if admin:
            names += [name for name in commands.ADMIN_COMMANDS if name not in names]
        return [(name, self.texts.text(f"menu.{name}")) for name in names]

    def _command(self, incoming: Incoming) -> Command | None:
        return recognise(
            incoming.text,
            incoming.action,
            private=incoming.private,
            bot_username=incoming.bot_username,
        )


def recognise(
    text: str | None, action: str | None, *, private: bool, bot_username: str | None = None
) -> Command | None:
    """Return what a message or a button press asks for, or None when it is nothing of ours.

    Raises:
        NotForThisBot: the command is addressed to another bot.
    """
    if action is not None:
        return commands.action(action)
    if text is None:
        return None
    command = commands.parse(text, bot_username)
    if command is not None or not private:
        return command  # greetings in a group are chatter, not for us
    if invites.is_issued_code(text):
        # A wa.me invite link puts the bare code in the message: the same as /start <code>.
        return Command("start", text.strip())
    if commands.is_greeting(text):
        return Command(commands.GREETING)
    return None


def label(
    text: str | None, action: str | None, *, private: bool, bot_username: str | None = None
) -> str:
    """Name what a message asks for, from `LABELS` (never the user's own words)."""
    try:
        command = recognise(text, action, private=private, bot_username=bot_username)
    except NotForThisBot:
        return OTHER_BOT
    if command is not None:
        return command.name
    return OTHER if text is None and action is None else UNKNOWN


_USER_ID = re.compile(r"[0-9]{1,32}")
"""A Telegram user id or a WhatsApp wa_id: digits, as the channels validate them."""


def loggable_id(user_id: str) -> str:
    """Return the user id for a log line, or a placeholder when it is not a valid one.

    Whatever else came as an id may be anything a sender chose to put there.
    """
    return user_id if _USER_ID.fullmatch(user_id) else "(invalid id)"
