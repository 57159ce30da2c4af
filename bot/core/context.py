"""What every use case shares: its dependencies, and the common ways to reply and fetch."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from bot.core import commands, views
from bot.core.commands import Command
from bot.core.messages import Button, Incoming, Reply
from bot.core.models import ChatUser, Link
from bot.core.points import (
    BonifiqAuthError,
    BonifiqError,
    BonifiqResponseError,
    CustomerNotFoundError,
    CustomerPoints,
)
from bot.core.ports import PointsGateway, Store, Sweeper
from bot.core.retention import RetentionPolicy
from bot.core.texts import Catalogue, Html, escape

logger = logging.getLogger(__name__)

Buttons = tuple[tuple[Button, ...], ...]

# The active link the conversation read with the user's sighting, for the update being
# handled (a context variable: concurrent updates run in their own tasks).
_read_link: ContextVar[tuple[str, str, Link | None] | None] = ContextVar("read_link", default=None)


@contextmanager
def link_already_read(channel: str, user_id: str, link: Link | None) -> Iterator[None]:
    """Let the first `active_link` of this update use a link just read, instead of rereading."""
    token = _read_link.set((channel, user_id, link))
    try:
        yield
    finally:
        _read_link.reset(token)


class Unavailable(Exception):
    """The points API could not answer within the deadline, whatever the cause."""


@dataclass
class Context:
    """The dependencies of the use cases, with the helpers they all need."""

    store: Store
    points: PointsGateway
    timezone: tzinfo
    admins: frozenset[str] = frozenset()
    admin_channels: frozenset[str] = frozenset({"telegram", "console"})
    texts: Catalogue = field(default_factory=Catalogue.load)
    deadline: float = 15.0
    history_limit: int = views.HISTORY_LIMIT
    reminder_days: tuple[int, ...] = (30, 7, 1)
    sweeper: Sweeper | None = None
    invite_ttl_hours: float = 168.0
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    whatsapp_number: str | None = None
    """The store's WhatsApp number in digits, for wa.me invite links; None when WhatsApp is off."""

    @property
    def invite_ttl(self) -> timedelta:
        """How long an invite works after it is issued."""
        return timedelta(hours=self.invite_ttl_hours)

    def reply(
        self,
        key: str,
        *,
        buttons: Buttons = (),
        chat_id: str | None = None,
        for_channel: str | None = None,
        **values: object,
    ) -> Reply:
        """Return the catalogue's message `key`, filled in, as a reply.

        `for_channel` picks the channel's own wording where it has one (`key@whatsapp`).
        """
        if for_channel is None:
            text = self.texts.text(key, **values)
        else:
            text = self.texts.text_for(for_channel, key, **values)
        return Reply(text, buttons=buttons, chat_id=chat_id)

    def main_buttons(self) -> Buttons:
        """Return the Saldo and Extrato buttons that sit under customer replies."""
        return (
            (
                Button(self.texts.text("button.balance"), action="saldo"),
                Button(self.texts.text("button.history"), action="extrato"),
            ),
        )

    def help_button(self) -> Buttons:
        """Return a single Ajuda button."""
        return ((Button(self.texts.text("button.help"), action="ajuda"),),)

    def private_only(self, command_name: str) -> list[Reply]:
        """Refuse to show personal data in a group; offer the private chat instead."""
        payload = command_name if command_name in commands.DEEP_LINKS else "start"
        button = Button(self.texts.text("button.open_private"), private_chat_payload=payload)
        return [self.reply("private_only", buttons=((button,),))]

    def is_admin(self, incoming: Incoming) -> bool:
        """Tell whether the user is one of the store's staff."""
        user = incoming.user
        # ADMIN_IDS are Telegram user ids: the same digits on another channel are someone else.
        return user.channel in self.admin_channels and user.user_id in self.admins

    def admin_guard(self, incoming: Incoming, command: Command) -> list[Reply] | None:
        """Refuse non-admins politely and admins outside a private chat; None lets them in."""
        if not self.is_admin(incoming):
            logger.info("Refused /%s to non-admin user %s", command.name, incoming.user.user_id)
            return [self.reply("not_allowed")]
        if not incoming.private:
            return self.private_only(command.name)
        return None

    async def active_link(self, channel: str, user_id: str) -> Link | None:
        """Return the user's active link, reading only."""
        known = _read_link.get()
        if known is not None and known[:2] == (channel, user_id):
            # Read moments ago, at the start of this update, as this call would have read it.
            # Used once: a later read in the same update may follow a write of its own.
            _read_link.set(None)
            return known[2]
        async with self.store.unit_of_work(writes=False) as uow:
            return await uow.links.active(channel, user_id)

    async def fetch(self, customer_id: str) -> CustomerPoints:
        """Fetch within the user's deadline; unavailability of any kind becomes `Unavailable`.

        Raises:
            CustomerNotFoundError: BonifiQ does not know the customer (or the id is invalid).
            BonifiqResponseError: BonifiQ answered something unusable.
            Unavailable: BonifiQ is down, slow, refusing our credentials or rate limiting.
        """
        try:
            async with asyncio.timeout(self.deadline):
                return await self.points.customer_points(customer_id)
        except TimeoutError as exc:
            logger.warning("BonifiQ did not answer within %.0f s", self.deadline)
            raise Unavailable from exc
        except (CustomerNotFoundError, BonifiqResponseError):
            raise
        except BonifiqAuthError as exc:
            raise Unavailable from exc  # the client already told the operator
        except BonifiqError as exc:
            logger.warning("BonifiQ unavailable: %s", exc)
            raise Unavailable from exc

    async def check_customer(self, customer_id: str) -> CustomerPoints | None:
        """Fetch a customer before staff act on it; None when the points API cannot say now.

        Linking and inviting go ahead unchecked when BonifiQ is down (the staff member or
        the store's backend is told); only a customer BonifiQ says it does not know stops them.

        Raises:
            CustomerNotFoundError: BonifiQ does not know the customer.
        """
        try:
            return await self.fetch(customer_id)
        except (BonifiqResponseError, Unavailable):
            return None

    def profile(self, user: ChatUser | None) -> Html:
        """Return ` (Maria Silva @maria)` for an admin's view of a user, or a never-seen note."""
        if user is None:
            return self.texts.text("admin.whois_never_seen")
        names = " ".join(part for part in (user.first_name, user.last_name) if part)
        if user.username:
            names = f"{names} @{user.username}".strip()
        return Html(f" ({escape(names)})") if names else Html("")

    def notify(
        self, target: ChatUser | None, admin: str, key: str, customer_id: str
    ) -> list[Reply]:
        """Tell the user an admin acted on, when the bot has a private chat with them."""
        if target is None or target.chat_id is None or target.user_id == admin:
            return []
        return [self.reply(key, chat_id=target.chat_id, customer_id=customer_id)]


Handler = Callable[[Context, Incoming, Command, datetime], Awaitable[list[Reply]]]
"""A use case: answers one command for the user in `Incoming` at `now`."""
