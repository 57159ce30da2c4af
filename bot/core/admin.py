"""The store staff's commands: link, unlink and look up users, and run the reminder sweep."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core import arguments, invites, views
from bot.core import format as fmt
from bot.core.commands import Command
from bot.core.context import Context
from bot.core.customer_ids import MAX_CUSTOMER_ID_LENGTH, canonical_customer_id
from bot.core.messages import Incoming, Reply
from bot.core.models import AuditEntry
from bot.core.points import CustomerNotFoundError
from bot.core.reminders import SweepAbortedError, SweepBusyError, sweep_report
from bot.core.texts import Html

logger = logging.getLogger(__name__)

ECHO_LIMIT = 32
"""Characters of a malformed argument quoted back to the admin who typed it."""


async def link(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """Link a user to a customer, checked with the points API first when it answers."""
    if refusal := ctx.admin_guard(incoming, command):
        return refusal
    request = _link_request(ctx, command.args)
    if isinstance(request, Reply):
        return [request]
    target, customer_id = request

    try:
        checked = await ctx.check_customer(customer_id)
    except CustomerNotFoundError:
        return [ctx.reply("admin.link_unknown_customer", customer_id=customer_id)]

    admin, channel = incoming.user.user_id, incoming.user.channel
    async with ctx.store.unit_of_work() as uow:
        previous = await uow.links.link(channel, target, customer_id, admin, now)
        if previous is not None and previous.customer_id == customer_id:
            # `link` wrote nothing: the user is linked to this customer already.
            return [ctx.reply("admin.link_same", user_id=target, customer_id=customer_id)]
        detail = "unchecked" if checked is None else None
        await uow.audit.record(
            AuditEntry(channel, admin, "link", target, customer_id, detail, now)
        )
        target_user = await uow.users.get(channel, target)
        await uow.commit()
    logger.info("Admin %s linked user %s (checked=%s)", admin, target, checked is not None)

    shown = views.customer_name(checked) if checked is not None else None
    name = f" ({shown})" if shown else ""
    lines = [ctx.texts.text("admin.link_done", user_id=target, customer_id=customer_id, name=name)]
    if previous is not None:
        lines.append(ctx.texts.text("admin.link_replaced", previous=previous.customer_id))
    if checked is None:
        lines.append(ctx.texts.text("admin.link_unchecked"))
    if target_user is None or target_user.chat_id is None:
        lines += await _waiting_for_user(ctx, incoming, target, customer_id, now)
    replies = [Reply(Html("\n".join(lines)))]
    replies += ctx.notify(target_user, admin, "notify.linked", customer_id)
    return replies


async def _waiting_for_user(
    ctx: Context, incoming: Incoming, target: str, customer_id: str, now: datetime
) -> list[Html]:
    """Explain that the bot cannot write to the user yet, and offer the customer's invite.

    The bot may only write to a user who opened a chat with it: until then no reminder and
    no notice reaches them. The invite opens that chat.
    """
    # Checked with the points API a moment ago, by the link.
    invited = await invites.invite_customer(
        ctx,
        customer_id,
        channel=incoming.user.channel,
        via="admin",
        issued_by=incoming.user.user_id,
        now=now,
        check=False,
    )
    return [
        Html(""),
        ctx.texts.text("admin.link_waiting", user_id=target),
        *invites.issued_lines(ctx, invited.issued, incoming.bot_username),
    ]


def _link_request(ctx: Context, args: str) -> tuple[str, str] | Reply:
    """Parse `<user id> <customer id>`, or explain what is wrong with it."""
    raw_user, _, raw_customer = arguments.split_first(args)
    if not raw_user or not raw_customer.strip():
        return ctx.reply("admin.usage_link")
    target = arguments.parse_user_id(raw_user)
    if target is None:
        return bad_user_id(ctx, raw_user)
    customer_id = canonical_customer_id(raw_customer)
    if not arguments.valid_customer_id(customer_id):
        return ctx.reply("admin.bad_customer_id", max=MAX_CUSTOMER_ID_LENGTH)
    return target, customer_id


def bad_user_id(ctx: Context, raw: str) -> Reply:
    """Explain that `raw` is not a user id, quoting it shortened."""
    return ctx.reply("admin.bad_user_id", value=fmt.shorten(raw, ECHO_LIMIT))


def target_user(ctx: Context, incoming: Incoming, command: Command) -> str | list[Reply]:
    """Let an admin in and read the user id the command is about, or say what is wrong."""
    if refusal := ctx.admin_guard(incoming, command):
        return refusal
    target = arguments.parse_user_id(command.args)
    return [bad_user_id(ctx, command.args)] if target is None else target


async def unlink(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """End a user's link and tell them, when the bot has their chat."""
    target = target_user(ctx, incoming, command)
    if isinstance(target, list):
        return target
    admin, channel = incoming.user.user_id, incoming.user.channel
    async with ctx.store.unit_of_work() as uow:
        ended = await uow.links.unlink(channel, target, admin, now)
        if ended is None:
            return [ctx.reply("admin.unlink_nothing", user_id=target)]
        await uow.audit.record(
            AuditEntry(channel, admin, "unlink", target, ended.customer_id, None, now)
        )
        unlinked = await uow.users.get(channel, target)
        await uow.commit()
    logger.info("Admin %s unlinked user %s", admin, target)
    replies = [ctx.reply("admin.unlink_done", user_id=target, customer_id=ended.customer_id)]
    replies += ctx.notify(unlinked, admin, "notify.unlinked", ended.customer_id)
    return replies


async def whois(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """Show what a user is linked to, since when and by whom."""
    if refusal := ctx.admin_guard(incoming, command):
        return refusal
    if not command.args:
        return [ctx.reply("admin.usage_whois")]
    target = arguments.parse_user_id(command.args)
    if target is None:
        return [bad_user_id(ctx, command.args)]
    admin, channel = incoming.user.user_id, incoming.user.channel
    async with ctx.store.unit_of_work() as uow:
        current = await uow.links.active(channel, target)
        user = await uow.users.get(channel, target)
        customer_id = current.customer_id if current else None
        await uow.audit.record(AuditEntry(channel, admin, "whois", target, customer_id, None, now))
        await uow.commit()
    profile = ctx.profile(user)
    if current is None:
        return [ctx.reply("admin.whois_unlinked", user_id=target, profile=profile)]
    by = (
        ctx.texts.text("admin.whois_by", admin_id=current.linked_by)
        if current.linked_by is not None
        else ""
    )
    return [
        ctx.reply(
            "admin.whois_linked",
            user_id=target,
            profile=profile,
            customer_id=current.customer_id,
            date=fmt.day(current.linked_at, ctx.timezone),
            by=Html(by),
        )
    ]


async def remind_now(
    ctx: Context, incoming: Incoming, command: Command, now: datetime
) -> list[Reply]:
    """Run the reminder sweep now and report its summary."""
    if refusal := ctx.admin_guard(incoming, command):
        return refusal
    if ctx.sweeper is None:
        return [ctx.reply("admin.sweep_unavailable")]
    admin, channel = incoming.user.user_id, incoming.user.channel
    async with ctx.store.unit_of_work() as uow:
        await uow.audit.record(AuditEntry(channel, admin, "remind_now", None, None, None, now))
        await uow.commit()
    try:
        summary = await ctx.sweeper.sweep(now)
    except SweepBusyError:
        return [ctx.reply("admin.sweep_busy")]
    except SweepAbortedError:
        logger.exception("Reminder sweep asked by admin %s was aborted", admin)
        return [ctx.reply("admin.sweep_aborted")]
    return [sweep_report(summary, ctx.texts)]
