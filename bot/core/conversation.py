"""The conversation: what the bot answers to each thing a user does, on any channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from bot.bonifiq.errors import (
    BonifiqAuthError,
    BonifiqError,
    BonifiqResponseError,
    CustomerNotFoundError,
)
from bot.bonifiq.models import MAX_CUSTOMER_ID_LENGTH, CustomerPoints
from bot.core import arguments, commands, limits, views
from bot.core import format as fmt
from bot.core.commands import Command, NotForThisBot
from bot.core.messages import Button, Incoming, Reply
from bot.core.models import AuditEntry, ChatUser, Link, UserProfile
from bot.core.ports import PointsGateway, Store, Sweeper
from bot.core.reminders import SweepAbortedError, SweepBusyError, sweep_report
from bot.core.texts import Catalogue, Html, escape
from bot.failures import describe

logger = logging.getLogger(__name__)

ECHO_LIMIT = 32
"""Characters of a malformed argument quoted back to the admin who typed it."""

Handler = Callable[[Incoming, Command, datetime], Awaitable[list[Reply]]]


class _Unavailable(Exception):
    """The points API could not answer within the deadline, whatever the cause."""


@dataclass
class Conversation:
    """Turns an `Incoming` into the `Reply` list the channel should send."""

    store: Store
    points: PointsGateway
    timezone: tzinfo
    admins: frozenset[int] = frozenset()
    texts: Catalogue = field(default_factory=Catalogue.load)
    deadline: float = 15.0
    history_limit: int = views.HISTORY_LIMIT
    reminder_days: tuple[int, ...] = (30, 7, 1)
    sweeper: Sweeper | None = None

    async def handle(self, incoming: Incoming, now: datetime) -> list[Reply]:
        """Answer one user action within the channel's limits; never raises."""
        channel_limits = limits.for_channel(incoming.user.channel)
        return [limits.fit(reply, channel_limits) for reply in await self._answer(incoming, now)]

    async def _answer(self, incoming: Incoming, now: datetime) -> list[Reply]:
        """Answer one user action; never raises, so every channel fails the same way."""
        try:
            command = self._command(incoming)
        except NotForThisBot:
            return []
        if command is None and not incoming.private:
            return []  # chatter in a group is not for us
        try:
            async with self.store.unit_of_work() as uow:
                chat_id = incoming.chat_id if incoming.private else None
                await uow.users.seen(incoming.user, chat_id, now)
                await uow.commit()
            if command is None:
                return [self._reply("unknown", buttons=self._help_button())]
            return await self._handlers()[command.name](incoming, command, now)
        except Exception as exc:
            # Not logger.exception: a traceback's messages may quote personal data.
            logger.error(
                "Failed to answer %s user %s: %s",
                incoming.user.channel,
                incoming.user.user_id,
                describe(exc),
            )
            return [self._reply("internal_error")]

    async def reachability_changed(
        self, user: UserProfile, reachable: bool, now: datetime
    ) -> None:
        """Record that the user blocked the bot (False) or unblocked it (True)."""
        async with self.store.unit_of_work() as uow:
            await uow.users.set_reachable(user.channel, user.user_id, reachable, now)
            await uow.commit()
        logger.info("User %s %s the bot", user.user_id, "unblocked" if reachable else "blocked")

    def command_menu(self, *, admin: bool) -> list[tuple[str, str]]:
        """Return (command, description) pairs for a channel's command menu."""
        names = list(commands.USER_COMMANDS)
        if admin:
            names += [name for name in commands.ADMIN_COMMANDS if name not in names]
        return [(name, self.texts.text(f"menu.{name}")) for name in names]

    def _command(self, incoming: Incoming) -> Command | None:
        if incoming.action is not None:
            return commands.action(incoming.action)
        if incoming.text is None:
            return None
        return commands.parse(incoming.text, incoming.bot_username)

    def _handlers(self) -> dict[str, Handler]:
        return {
            "start": self._start,
            "saldo": self._balance,
            "extrato": self._history,
            "ajuda": self._help,
            "desvincular": self._unlink,
            "vincular": self._admin_link,
            "cliente": self._admin_whois,
            "lembretes": self._reminders,
            "lembrar_agora": self._admin_remind_now,
        }

    # Customer commands

    async def _start(self, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
        if not incoming.private:
            return self._private_only(command.name)
        if command.args in commands.DEEP_LINKS:  # from a group's "talk privately" button
            deep_link = Command(command.args)
            return await self._handlers()[deep_link.name](incoming, deep_link, now)
        link = await self._active_link(incoming.user.channel, incoming.user.user_id)
        first_name = fmt.shorten(incoming.user.first_name or "", views.NAME_LIMIT)
        name = first_name or self.texts.text("name.fallback")
        if link is not None:
            return [
                self._reply(
                    "start.linked",
                    buttons=self._main_buttons(),
                    name=name,
                    customer_id=link.customer_id,
                )
            ]
        return [
            self._reply(
                "start.unlinked",
                name=name,
                user_id=incoming.user.user_id,
                privacy=self.texts.text("privacy"),
            )
        ]

    async def _balance(self, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
        return await self._with_customer(
            incoming,
            command,
            lambda customer: views.balance(customer, now, self.timezone, self.texts),
        )

    async def _history(self, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
        return await self._with_customer(
            incoming,
            command,
            lambda customer: views.history(
                customer, self.timezone, self.texts, self.history_limit
            ),
        )

    async def _with_customer(
        self, incoming: Incoming, command: Command, render: Callable[[CustomerPoints], Html]
    ) -> list[Reply]:
        """Guard privacy and the link, fetch the customer, render, or explain what failed."""
        if not incoming.private:
            return self._private_only(command.name)
        link = await self._active_link(incoming.user.channel, incoming.user.user_id)
        if link is None:
            return [self._reply("not_linked")]
        try:
            customer = await self._fetch(link.customer_id)
        except CustomerNotFoundError:
            logger.warning(
                "User %s is linked to a customer BonifiQ does not know", incoming.user.user_id
            )
            return [self._reply("customer_not_found", customer_id=link.customer_id)]
        except BonifiqResponseError as exc:
            logger.error("BonifiQ gave an unusable answer: %s", exc)
            return [self._reply("service_bad_answer", buttons=self._main_buttons())]
        except _Unavailable:
            return [self._reply("service_unavailable", buttons=self._main_buttons())]
        return [Reply(render(customer), buttons=self._main_buttons())]

    async def _fetch(self, customer_id: str) -> CustomerPoints:
        """Fetch within the user's deadline; unavailability of any kind becomes one error."""
        try:
            async with asyncio.timeout(self.deadline):
                return await self.points.customer_points(customer_id)
        except TimeoutError as exc:
            logger.warning("BonifiQ did not answer within %.0f s", self.deadline)
            raise _Unavailable from exc
        except (CustomerNotFoundError, BonifiqResponseError):
            raise
        except BonifiqAuthError as exc:
            raise _Unavailable from exc  # the client already told the operator
        except BonifiqError as exc:
            logger.warning("BonifiQ unavailable: %s", exc)
            raise _Unavailable from exc

    async def _help(self, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
        parts = [
            self.texts.text("help.intro"),
            self.texts.text("help.user_commands"),
        ]
        if self._is_admin(incoming):
            parts.append(self.texts.text("help.admin_commands"))
        parts.append(self.texts.text("help.english"))
        buttons = self._main_buttons() if incoming.private else ()
        return [Reply(Html("\n\n".join(parts)), buttons=buttons)]

    async def _unlink(self, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
        if command.args:
            return await self._admin_unlink(incoming, command, now)
        if not incoming.private:
            return self._private_only(command.name)
        user = incoming.user
        async with self.store.unit_of_work() as uow:
            ended = await uow.links.unlink(user.channel, user.user_id, user.user_id, now)
            await uow.commit()
        if ended is None:
            return [self._reply("unlink.nothing")]
        logger.info("User %s removed their own link", user.user_id)
        return [self._reply("unlink.done", customer_id=ended.customer_id)]

    async def _reminders(self, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
        if not incoming.private:
            return self._private_only(command.name)
        wanted = arguments.on_off(command.args)
        if command.args and wanted is None:
            return [self._reply("reminders.usage")]
        user = incoming.user
        async with self.store.unit_of_work() as uow:
            if wanted is None:
                link = await uow.links.active(user.channel, user.user_id)
            else:
                link = await uow.links.set_reminders(user.channel, user.user_id, wanted)
                await uow.commit()
        if link is None:
            return [self._reply("not_linked")]
        enabled = link.reminders_enabled
        if wanted is None:
            key = "reminders.on" if enabled else "reminders.off"
        else:
            key = "reminders.turned_on" if enabled else "reminders.turned_off"
        toggle = (
            Button(self.texts.text("button.reminders_off"), action="lembretes off")
            if enabled
            else Button(self.texts.text("button.reminders_on"), action="lembretes on")
        )
        return [self._reply(key, buttons=((toggle,),), days=self._days_text())]

    def _days_text(self) -> str:
        """Return `30, 7 e 1` for the configured thresholds."""
        days = [str(day) for day in self.reminder_days]
        if len(days) == 1:
            return days[0]
        return self.texts.text("days.join", first=", ".join(days[:-1]), last=days[-1])

    # Admin commands

    async def _admin_remind_now(
        self, incoming: Incoming, command: Command, now: datetime
    ) -> list[Reply]:
        if refusal := self._admin_guard(incoming, command):
            return refusal
        if self.sweeper is None:
            return [self._reply("admin.sweep_unavailable")]
        admin, channel = incoming.user.user_id, incoming.user.channel
        async with self.store.unit_of_work() as uow:
            await uow.audit.record(AuditEntry(channel, admin, "remind_now", None, None, None, now))
            await uow.commit()
        try:
            summary = await self.sweeper.sweep(now)
        except SweepBusyError:
            return [self._reply("admin.sweep_busy")]
        except SweepAbortedError:
            logger.exception("Reminder sweep asked by admin %s was aborted", admin)
            return [self._reply("admin.sweep_aborted")]
        return [sweep_report(summary, self.texts)]

    async def _admin_link(
        self, incoming: Incoming, command: Command, now: datetime
    ) -> list[Reply]:
        if refusal := self._admin_guard(incoming, command):
            return refusal
        request = self._link_request(command.args)
        if isinstance(request, Reply):
            return [request]
        target, customer_id = request

        checked: CustomerPoints | None = None
        try:
            checked = await self._fetch(customer_id)
        except CustomerNotFoundError:
            return [self._reply("admin.link_unknown_customer", customer_id=customer_id)]
        except (BonifiqResponseError, _Unavailable):
            pass  # the customer is probably fine and the admin is told it was not checked

        admin, channel = incoming.user.user_id, incoming.user.channel
        async with self.store.unit_of_work() as uow:
            current = await uow.links.active(channel, target)
            if current is not None and current.customer_id == customer_id:
                return [self._reply("admin.link_same", user_id=target, customer_id=customer_id)]
            previous = await uow.links.link(channel, target, customer_id, admin, now)
            detail = "unchecked" if checked is None else None
            await uow.audit.record(
                AuditEntry(channel, admin, "link", target, customer_id, detail, now)
            )
            target_user = await uow.users.get(channel, target)
            await uow.commit()
        logger.info("Admin %s linked user %s (checked=%s)", admin, target, checked is not None)

        shown = views.customer_name(checked) if checked is not None else None
        name = f" ({shown})" if shown else ""
        lines = [
            self.texts.text("admin.link_done", user_id=target, customer_id=customer_id, name=name)
        ]
        if previous is not None:
            lines.append(self.texts.text("admin.link_replaced", previous=previous.customer_id))
        if checked is None:
            lines.append(self.texts.text("admin.link_unchecked"))
        replies = [Reply(Html("\n".join(lines)))]
        replies += self._notify(target_user, admin, "notify.linked", customer_id)
        return replies

    def _link_request(self, args: str) -> tuple[int, str] | Reply:
        """Parse `<user id> <customer id>`, or explain what is wrong with it."""
        raw_user, _, raw_customer = arguments.split_first(args)
        if not raw_user or not raw_customer.strip():
            return self._reply("admin.usage_link")
        target = arguments.parse_user_id(raw_user)
        if target is None:
            return self._reply("admin.bad_user_id", value=fmt.shorten(raw_user, ECHO_LIMIT))
        customer_id = raw_customer.strip()
        if not arguments.valid_customer_id(customer_id):
            return self._reply("admin.bad_customer_id", max=MAX_CUSTOMER_ID_LENGTH)
        return target, customer_id

    async def _admin_unlink(
        self, incoming: Incoming, command: Command, now: datetime
    ) -> list[Reply]:
        if refusal := self._admin_guard(incoming, command):
            return refusal
        target = arguments.parse_user_id(command.args)
        if target is None:
            return [self._reply("admin.bad_user_id", value=fmt.shorten(command.args, ECHO_LIMIT))]
        admin, channel = incoming.user.user_id, incoming.user.channel
        async with self.store.unit_of_work() as uow:
            ended = await uow.links.unlink(channel, target, admin, now)
            if ended is None:
                return [self._reply("admin.unlink_nothing", user_id=target)]
            await uow.audit.record(
                AuditEntry(channel, admin, "unlink", target, ended.customer_id, None, now)
            )
            target_user = await uow.users.get(channel, target)
            await uow.commit()
        logger.info("Admin %s unlinked user %s", admin, target)
        replies = [self._reply("admin.unlink_done", user_id=target, customer_id=ended.customer_id)]
        replies += self._notify(target_user, admin, "notify.unlinked", ended.customer_id)
        return replies

    async def _admin_whois(
        self, incoming: Incoming, command: Command, now: datetime
    ) -> list[Reply]:
        if refusal := self._admin_guard(incoming, command):
            return refusal
        if not command.args:
            return [self._reply("admin.usage_whois")]
        target = arguments.parse_user_id(command.args)
        if target is None:
            return [self._reply("admin.bad_user_id", value=fmt.shorten(command.args, ECHO_LIMIT))]
        admin, channel = incoming.user.user_id, incoming.user.channel
        async with self.store.unit_of_work() as uow:
            link = await uow.links.active(channel, target)
            user = await uow.users.get(channel, target)
            customer_id = link.customer_id if link else None
            await uow.audit.record(
                AuditEntry(channel, admin, "whois", target, customer_id, None, now)
            )
            await uow.commit()
        profile = self._profile(user)
        if link is None:
            return [self._reply("admin.whois_unlinked", user_id=target, profile=profile)]
        by = (
            self.texts.text("admin.whois_by", admin_id=link.linked_by)
            if link.linked_by is not None
            else ""
        )
        return [
            self._reply(
                "admin.whois_linked",
                user_id=target,
                profile=profile,
                customer_id=link.customer_id,
                date=fmt.day(link.linked_at, self.timezone),
                by=Html(by),
            )
        ]

    # Helpers

    def _is_admin(self, incoming: Incoming) -> bool:
        return incoming.user.user_id in self.admins

    def _admin_guard(self, incoming: Incoming, command: Command) -> list[Reply] | None:
        """Refuse non-admins politely and admins outside a private chat; None lets them in."""
        if not self._is_admin(incoming):
            logger.info("Refused /%s to non-admin user %s", command.name, incoming.user.user_id)
            return [self._reply("not_allowed")]
        if not incoming.private:
            return self._private_only(command.name)
        return None

    async def _active_link(self, channel: str, user_id: int) -> Link | None:
        async with self.store.unit_of_work(writes=False) as uow:
            return await uow.links.active(channel, user_id)

    def _profile(self, user: ChatUser | None) -> Html:
        if user is None:
            return self.texts.text("admin.whois_never_seen")
        names = " ".join(part for part in (user.first_name, user.last_name) if part)
        if user.username:
            names = f"{names} @{user.username}".strip()
        return Html(f" ({escape(names)})") if names else Html("")

    def _notify(
        self, target: ChatUser | None, admin: int, key: str, customer_id: str
    ) -> list[Reply]:
        """Tell the user an admin acted on, when the bot has a private chat with them."""
        if target is None or target.chat_id is None or target.user_id == admin:
            return []
        return [self._reply(key, chat_id=target.chat_id, customer_id=customer_id)]

    def _reply(
        self,
        key: str,
        *,
        buttons: tuple[tuple[Button, ...], ...] = (),
        chat_id: int | None = None,
        **values: object,
    ) -> Reply:
        return Reply(self.texts.text(key, **values), buttons=buttons, chat_id=chat_id)

    def _main_buttons(self) -> tuple[tuple[Button, ...], ...]:
        return (
            (
                Button(self.texts.text("button.balance"), action="saldo"),
                Button(self.texts.text("button.history"), action="extrato"),
            ),
        )

    def _help_button(self) -> tuple[tuple[Button, ...], ...]:
        return ((Button(self.texts.text("button.help"), action="ajuda"),),)

    def _private_only(self, command_name: str) -> list[Reply]:
        payload = command_name if command_name in commands.DEEP_LINKS else "start"
        button = Button(self.texts.text("button.open_private"), private_chat_payload=payload)
        return [self._reply("private_only", buttons=((button,),))]
