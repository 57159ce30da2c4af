"""The customer's commands: greeting, balance, history, help, reminders, unlinking."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.bonifiq.errors import BonifiqResponseError, CustomerNotFoundError
from bot.bonifiq.models import CustomerPoints
from bot.core import arguments, views
from bot.core import format as fmt
from bot.core.commands import Command
from bot.core.context import Context, Unavailable
from bot.core.messages import Button, Incoming, Reply
from bot.core.texts import Html

logger = logging.getLogger(__name__)


async def start(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """Greet the user with their link, or tell them how to get linked and what is kept."""
    if not incoming.private:
        return ctx.private_only(command.name)
    link = await ctx.active_link(incoming.user.channel, incoming.user.user_id)
    first_name = fmt.shorten(incoming.user.first_name or "", views.NAME_LIMIT)
    name = first_name or ctx.texts.text("name.fallback")
    if link is not None:
        return [
            ctx.reply(
                "start.linked",
                buttons=ctx.main_buttons(),
                name=name,
                customer_id=link.customer_id,
            )
        ]
    channel = incoming.user.channel
    text = ctx.texts.text_for(
        channel,
        "start.unlinked",
        name=name,
        user_id=incoming.user.user_id,
        privacy=ctx.texts.text_for(channel, "privacy"),
    )
    return [Reply(text)]


async def balance(
    ctx: Context, incoming: Incoming, command: Command, now: datetime
) -> list[Reply]:
    """Show points, cashback and upcoming expirations."""
    return await _with_customer(
        ctx,
        incoming,
        command,
        lambda customer: views.balance(customer, now, ctx.timezone, ctx.texts),
    )


async def history(
    ctx: Context, incoming: Incoming, command: Command, now: datetime
) -> list[Reply]:
    """Show the newest point transactions."""
    return await _with_customer(
        ctx,
        incoming,
        command,
        lambda customer: views.history(customer, ctx.timezone, ctx.texts, ctx.history_limit),
    )


async def _with_customer(
    ctx: Context,
    incoming: Incoming,
    command: Command,
    render: Callable[[CustomerPoints], Html],
) -> list[Reply]:
    """Guard privacy and the link, fetch the customer, render, or explain what failed."""
    if not incoming.private:
        return ctx.private_only(command.name)
    link = await ctx.active_link(incoming.user.channel, incoming.user.user_id)
    if link is None:
        return [ctx.reply("not_linked")]
    try:
        customer = await ctx.fetch(link.customer_id)
    except CustomerNotFoundError:
        logger.warning(
            "User %s is linked to a customer BonifiQ does not know", incoming.user.user_id
        )
        return [ctx.reply("customer_not_found", customer_id=link.customer_id)]
    except BonifiqResponseError as exc:
        logger.error("BonifiQ gave an unusable answer: %s", exc)
        return [ctx.reply("service_bad_answer", buttons=ctx.main_buttons())]
    except Unavailable:
        return [ctx.reply("service_unavailable", buttons=ctx.main_buttons())]
    return [Reply(render(customer), buttons=ctx.main_buttons())]


async def help_(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """List what the bot does and the commands this user may use."""
    parts = [ctx.texts.text("help.intro"), ctx.texts.text("help.user_commands")]
    if ctx.is_admin(incoming):
        parts.append(ctx.texts.text("help.admin_commands"))
    parts.append(ctx.texts.text("help.english"))
    buttons = ctx.main_buttons() if incoming.private else ()
    return [Reply(Html("\n\n".join(parts)), buttons=buttons)]


async def unlink(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """Remove the user's own link."""
    if not incoming.private:
        return ctx.private_only(command.name)
    user = incoming.user
    async with ctx.store.unit_of_work() as uow:
        ended = await uow.links.unlink(user.channel, user.user_id, user.user_id, now)
        await uow.commit()
    if ended is None:
        return [ctx.reply("unlink.nothing")]
    logger.info("User %s removed their own link", user.user_id)
    return [ctx.reply("unlink.done", customer_id=ended.customer_id)]


async def reminders(
    ctx: Context, incoming: Incoming, command: Command, now: datetime
) -> list[Reply]:
    """Show whether expiration reminders are on, or turn them on or off."""
    if not incoming.private:
        return ctx.private_only(command.name)
    wanted = arguments.on_off(command.args)
    if command.args and wanted is None:
        return [ctx.reply("reminders.usage")]
    user = incoming.user
    async with ctx.store.unit_of_work() as uow:
        if wanted is None:
            link = await uow.links.active(user.channel, user.user_id)
        else:
            link = await uow.links.set_reminders(user.channel, user.user_id, wanted)
            await uow.commit()
    if link is None:
        return [ctx.reply("not_linked")]
    enabled = link.reminders_enabled
    if wanted is None:
        key = "reminders.on" if enabled else "reminders.off"
    else:
        key = "reminders.turned_on" if enabled else "reminders.turned_off"
    toggle = (
        Button(ctx.texts.text("button.reminders_off"), action="lembretes off")
        if enabled
        else Button(ctx.texts.text("button.reminders_on"), action="lembretes on")
    )
    return [ctx.reply(key, buttons=((toggle,),), days=_days_text(ctx))]


def _days_text(ctx: Context) -> str:
    """Return `30, 7 e 1` for the configured thresholds."""
    days = [str(day) for day in ctx.reminder_days]
    if len(days) == 1:
        return days[0]
    return ctx.texts.text("days.join", first=", ".join(days[:-1]), last=days[-1])
