"""The customer's commands: greeting, balance, history, help, reminders, unlinking."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.core import arguments, commands, views
from bot.core import format as fmt
from bot.core.commands import Command
from bot.core.context import Context, Unavailable
from bot.core.messages import Button, Incoming, Reply
from bot.core.points import BonifiqResponseError, CustomerNotFoundError, CustomerPoints
from bot.core.texts import Html

logger = logging.getLogger(__name__)


async def start(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """Greet the user with their link, or tell them how to get linked and what is kept."""
    if not incoming.private:
        return ctx.private_only(command.name)
    channel = incoming.user.channel
    link = await ctx.active_link(channel, incoming.user.user_id)
    name = _first_name(incoming) or ctx.texts.text("name.fallback")
    if link is not None:
        return [
            ctx.reply(
                "start.linked",
                buttons=ctx.main_buttons(),
                for_channel=channel,
                name=name,
                customer_id=link.customer_id,
            )
        ]
    text = ctx.texts.text_for(
        channel,
        "start.unlinked",
        name=name,
        user_id=incoming.user.user_id,
        privacy=ctx.texts.text_for(channel, "privacy"),
    )
    return [Reply(text)]


async def greet(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """Answer "oi, tudo bem?" in kind, by name, with the menu; unlinked users learn to link."""
    channel = incoming.user.channel
    name = _first_name(incoming)
    hello = ctx.texts.text("greeting", name=name) if name else ctx.texts.text("greeting.anonymous")
    after = []
    if await ctx.active_link(channel, incoming.user.user_id) is None:
        after.append(ctx.texts.text_for(channel, "not_linked"))
    return [Reply(menu(ctx, incoming, before=[hello], after=after), buttons=ctx.main_buttons())]


def not_understood(ctx: Context, incoming: Incoming) -> list[Reply]:
    """Say so; where there are no slash commands to point to (WhatsApp), show the menu too."""
    channel = incoming.user.channel
    if channel not in commands.SLASHLESS_CHANNELS:
        return [ctx.reply("unknown", buttons=ctx.help_button())]
    lead = ctx.texts.text_for(channel, "unknown")
    return [Reply(menu(ctx, incoming, before=[lead]), buttons=ctx.main_buttons())]


def _first_name(incoming: Incoming) -> str:
    return fmt.shorten(incoming.user.first_name or "", views.NAME_LIMIT)


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
        return [ctx.reply("not_linked", for_channel=incoming.user.channel)]
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
    """List what the bot does and the commands this user may use (also `menu`)."""
    buttons = ctx.main_buttons() if incoming.private else ()
    return [Reply(menu(ctx, incoming), buttons=buttons)]


def menu(
    ctx: Context, incoming: Incoming, *, before: Sequence[str] = (), after: Sequence[str] = ()
) -> Html:
    """Return the help menu in the channel's words (slash commands, or words to send)."""
    channel = incoming.user.channel
    parts = [
        *before,
        ctx.texts.text("help.intro"),
        ctx.texts.text_for(channel, "help.user_commands"),
    ]
    if ctx.is_admin(incoming):
        parts.append(ctx.texts.text("help.admin_commands"))
    parts += [ctx.texts.text_for(channel, "help.english"), *after]
    return Html("\n\n".join(parts))


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
    user = incoming.user
    wanted = arguments.on_off(command.args)
    if command.args and wanted is None:
        return [ctx.reply("reminders.usage", for_channel=user.channel)]
    async with ctx.store.unit_of_work() as uow:
        if wanted is None:
            link = await uow.links.active(user.channel, user.user_id)
        else:
            link = await uow.links.set_reminders(user.channel, user.user_id, wanted)
            await uow.commit()
    if link is None:
        return [ctx.reply("not_linked", for_channel=user.channel)]
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
    return [ctx.reply(key, buttons=((toggle,),), for_channel=user.channel, days=_days_text(ctx))]


def _days_text(ctx: Context) -> str:
    """Return `30, 7 e 1` for the configured thresholds."""
    days = [str(day) for day in ctx.reminder_days]
    if len(days) == 1:
        return days[0]
    return ctx.texts.text("days.join", first=", ".join(days[:-1]), last=days[-1])
