"""Invites: single-use links a store hands a customer, which link whoever opens them."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import arguments, views
from bot.core import format as fmt
from bot.core.commands import Command
from bot.core.context import Context, Unavailable
from bot.core.customer_ids import (
    MAX_CUSTOMER_ID_LENGTH,
)
from bot.core.messages import Button, Incoming, Reply
from bot.core.models import AuditEntry, NewInvite
from bot.core.points import BonifiqResponseError, CustomerNotFoundError
from bot.core.ports import Store
from bot.core.texts import Html

logger = logging.getLogger(__name__)

CODE_BYTES = 32
"""Random bytes in a code: 256 bits, written as 43 characters of `A-Za-z0-9_-`."""
CODE = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""What can be a code: Telegram's deep-link alphabet and length, and not too short to guess."""
_ISSUED_CODE = re.compile(r"[A-Za-z0-9_-]{43}")
"""What `issue` makes (32 bytes, URL-safe base64): a message that is only this is an invite."""
MAX_BAD_CODES = 5
BAD_CODE_WINDOW = timedelta(minutes=15)
SWITCH = "trocar"
KEEP = "manter"


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    """A new invite: its code (shown once, never stored) and when it stops working."""

    code: str
    customer_id: str
    expires_at: datetime

    def telegram_url(self, bot_username: str) -> str:
        """Return the `t.me` deep link that opens the bot with this code."""
        return f"https://t.me/{bot_username}?start={self.code}"

    def whatsapp_url(self, number: str) -> str:
        """Return the `wa.me` link that opens a chat with the store, the code as the message."""
        return f"https://wa.me/{number}?text={self.code}"


@dataclass(frozen=True, slots=True)
class Invited:
    """What `invite_customer` did: the invite, and whether the API confirmed the customer."""

    issued: IssuedInvite
    checked: bool


def code_hash(code: str) -> str:
    """Return what the database keeps of a code: its SHA-256, in hex."""
    return hashlib.sha256(code.encode()).hexdigest()


async def issue(
    store: Store,
    customer_id: str,
    *,
    channel: str,
    via: str,
    issued_by: str | None,
    now: datetime,
    ttl: timedelta,
) -> IssuedInvite:
    """Store an invite for `customer_id` (in its canonical form) and write it to the audit log.

    The storing step of `invite_customer`, which checks the customer first; call that.

    Raises:
        ValueError: the customer id cannot be one (see `arguments.parse_customer_id`).
    """
    customer_id = arguments.parse_customer_id(customer_id)
    code = secrets.token_urlsafe(CODE_BYTES)
    # Whole seconds: what is stored is what every surface shows (no microseconds in the API).
    expires_at = (now + ttl).replace(microsecond=0)
    async with store.unit_of_work() as uow:
        await uow.invites.add(
            NewInvite(code_hash(code), customer_id, via, issued_by, now, expires_at)
        )
        await uow.audit.record(
            AuditEntry(channel, issued_by, "invite", None, customer_id, via, now)
        )
        await uow.commit()
    logger.info("Invite issued via %s (by %s)", via, issued_by if issued_by else "-")
    return IssuedInvite(code, customer_id, expires_at)


async def invite_customer(
    ctx: Context,
    customer_id: str,
    *,
    channel: str,
    via: str,
    issued_by: str | None,
    now: datetime,
    check: bool = True,
) -> Invited:
    """Issue a customer's invite: the one use case of `/convite`, the API and the CLI.

    `/convite`, `POST /api/invites`, `python -m bot invite` and the invite `/vincular` offers
    all issue through here: one rule for the id, one check, one audit row.

    The id is read by the customer-id rule, in its canonical form. With `check`, the points
    API is asked first: a customer it does not know stops here, and nothing is stored. When it
    cannot say now, the invite is issued all the same, unchecked (`checked` is False), and each
    entry tells whoever asked. That includes the points API refusing the bot's credentials: an
    invite needs nothing from the API to be issued or opened (the balance shows once it
    answers), the check only catches a mistyped id, `/vincular` links unchecked alike, and
    refused credentials are the operator's to fix (the client logs them as an error, `/healthz`
    shows them), not something staff in the chat or the store's backend could act on.

    Raises:
        ValueError: the customer id cannot be one; the message says why.
        CustomerNotFoundError: the points API does not know the customer.
    """
    customer_id = arguments.parse_customer_id(customer_id)
    checked = check and await ctx.check_customer(customer_id) is not None
    issued = await issue(
        ctx.store,
        customer_id,
        channel=channel,
        via=via,
        issued_by=issued_by,
        now=now,
        ttl=ctx.invite_ttl,
    )
    return Invited(issued, checked)


async def invite(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """`/convite <customer id>`: an admin asks for a customer's invite link."""
    if refusal := ctx.admin_guard(incoming, command):
        return refusal
    if not command.args.strip():
        return [ctx.reply("invite.usage")]
    try:
        customer_id = arguments.parse_customer_id(command.args)
    except ValueError:
        return [ctx.reply("admin.bad_customer_id", max=MAX_CUSTOMER_ID_LENGTH)]
    try:
        invited = await invite_customer(
            ctx,
            customer_id,
            channel=incoming.user.channel,
            via="admin",
            issued_by=incoming.user.user_id,
            now=now,
        )
    except CustomerNotFoundError:
        return [ctx.reply("invite.unknown_customer", customer_id=customer_id)]
    lines = issued_lines(ctx, invited.issued, incoming.bot_username)
    if not invited.checked:
        lines.append(ctx.texts.text("invite.unchecked"))
    return [Reply("\n".join(lines))]


def issued_lines(ctx: Context, issued: IssuedInvite, bot_username: str | None) -> list[Html]:
    """Show an admin a new invite: its link on each channel that is on, and its expiry."""
    expires = fmt.moment(issued.expires_at, ctx.timezone)
    if bot_username:
        key, target = "invite.issued", issued.telegram_url(bot_username)
    else:
        key, target = "invite.issued_code", issued.code
    customer_id = issued.customer_id
    lines = [ctx.texts.text(key, customer_id=customer_id, target=target, expires=expires)]
    if ctx.whatsapp_number:
        url = issued.whatsapp_url(ctx.whatsapp_number)
        lines.append(ctx.texts.text("invite.issued_whatsapp", url=url))
    return lines


def is_issued_code(text: str) -> bool:
    """Tell whether a message is nothing but an invite code, as a wa.me invite link sends it."""
    return _ISSUED_CODE.fullmatch(text.strip()) is not None


async def redeem(ctx: Context, incoming: Incoming, code: str, now: datetime) -> list[Reply]:
    """Link the user to the code's customer, after asking when that replaces another link."""
    return await _use(ctx, incoming, code, now, confirmed=False)


async def switch(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """The user confirmed replacing their link with the invite's customer ("Trocar")."""
    if not incoming.private:
        return ctx.private_only("start")
    return await _use(ctx, incoming, command.args, now, confirmed=True)


async def keep(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """The user chose to keep their link ("Manter"): nothing changes."""
    return [ctx.reply("invite.kept", buttons=ctx.main_buttons())]


async def _use(
    ctx: Context, incoming: Incoming, code: str, now: datetime, *, confirmed: bool
) -> list[Reply]:
    channel, user_id = incoming.user.channel, incoming.user.user_id
    hashed = code_hash(code)
    async with ctx.store.unit_of_work() as uow:
        if await uow.invites.bad_attempts(channel, user_id, now - BAD_CODE_WINDOW) >= (
            MAX_BAD_CODES
        ):
            logger.info("User %s sent invite codes too often; not checked", user_id)
            return [ctx.reply("invite.throttled", minutes=_minutes(BAD_CODE_WINDOW))]
        found = await uow.invites.find(hashed) if CODE.fullmatch(code) else None
        if found is None or found.used_at is not None or found.expires_at <= now:
            # Used and unknown share one answer: it tells nobody which codes ever existed.
            expired = found is not None and found.used_at is None
            await uow.invites.record_bad_attempt(channel, user_id, now)
            await uow.commit()
            logger.info("User %s sent an invite code that is unknown, used or expired", user_id)
            return [ctx.reply("invite.expired" if expired else "invite.invalid")]
        customer_id = found.customer_id
        current = await uow.links.active(channel, user_id)
        if current is not None and current.customer_id == customer_id:
            return [ctx.reply("invite.already_linked", buttons=ctx.main_buttons())]
        if current is not None and not confirmed:
            buttons = (
                (
                    Button(ctx.texts.text("button.switch"), action=f"{SWITCH} {code}"),
                    Button(ctx.texts.text("button.keep"), action=KEEP),
                ),
            )
            return [ctx.reply("invite.confirm_switch", buttons=buttons)]
        if not await uow.invites.consume(hashed, channel, user_id, now):
            return [ctx.reply("invite.invalid")]  # someone opened it a moment earlier
        await uow.links.link(channel, user_id, customer_id, None, now, origin="invite")
        await uow.audit.record(
            AuditEntry(channel, None, "link", user_id, customer_id, "invite", now)
        )
        await uow.commit()
    logger.info("User %s linked themselves with an invite", user_id)
    return [ctx.reply("invite.linked"), *await _balance(ctx, customer_id, now)]


async def _balance(ctx: Context, customer_id: str, now: datetime) -> list[Reply]:
    """Show the balance right away, or say it will be there when the program answers."""
    try:
        customer = await ctx.fetch(customer_id)
    except (CustomerNotFoundError, BonifiqResponseError, Unavailable):
        return [ctx.reply("invite.balance_later", buttons=ctx.main_buttons())]
    return [Reply(views.balance(customer, now, ctx.timezone, ctx.texts), ctx.main_buttons())]


def _minutes(window: timedelta) -> int:
    return int(window.total_seconds() // 60)
