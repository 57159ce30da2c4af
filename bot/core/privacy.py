"""The data subject's rights (LGPD arts. 18 and 19): what is kept, seeing it, erasing it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core import arguments
from bot.core import format as fmt
from bot.core.admin import target_user
from bot.core.commands import Command
from bot.core.context import Context
from bot.core.messages import Button, Incoming, Reply
from bot.core.models import AuditEntry, Erasure, StoredData
from bot.core.ports import PrivacyRepository, Store
from bot.core.texts import Html

logger = logging.getLogger(__name__)

CONFIRM = "confirmar"
CANCEL = "cancelar"


@dataclass(frozen=True, slots=True)
class CustomerData:
    """Erase a customer: every chat user linked to them now, and every row naming them."""

    customer_id: str


@dataclass(frozen=True, slots=True)
class UserData:
    """Erase a chat user on one channel: the user, their links, reminders, attempts, invites."""

    channel: str
    user_id: str


Subject = CustomerData | UserData
"""Whose data an erasure removes."""


async def erase(
    store: Store,
    subjects: Sequence[Subject],
    *,
    channel: str,
    requested_by: str | None,
    now: datetime,
) -> list[Erasure]:
    """Erase what the bot keeps about each subject, at once; return each one's `Erasure`, in order.

    The one use case of every erasure: the user's `/apagar`, an admin's `/apagar <user id>`
    and `python -m bot forget`. A customer id is read by the customer-id rule first. When
    anything was erased, one audit row says an erasure happened, on `channel` (`cli` for the
    command line), by `requested_by` (the admin; None for the user themselves and for the
    operator), and names no one. (A user's own request always finds them: the message that
    asked was recorded first.)

    Raises:
        ValueError: a customer id cannot be one; the message says why. Nothing is erased.
    """
    for subject in subjects:  # every id is read before anything is erased
        if isinstance(subject, CustomerData):
            arguments.parse_customer_id(subject.customer_id)
    async with store.unit_of_work() as uow:
        erased = [await _erase_one(uow.privacy, subject) for subject in subjects]
        if any(erasure.found for erasure in erased):
            await uow.audit.record(
                AuditEntry(channel, requested_by, "erase", None, None, None, now)
            )
        await uow.commit()
    return erased


async def _erase_one(privacy: PrivacyRepository, subject: Subject) -> Erasure:
    if isinstance(subject, CustomerData):
        return await privacy.erase_customer(arguments.parse_customer_id(subject.customer_id))
    return await privacy.erase_user(subject.channel, subject.user_id)


async def privacy(
    ctx: Context, incoming: Incoming, command: Command, now: datetime
) -> list[Reply]:
    """State what is stored, why, for how long, and how to exercise each right."""
    texts, channel, policy = ctx.texts, incoming.user.channel, ctx.retention
    text = texts.text(
        "privacy.full",
        identity=texts.text_for(channel, "privacy.identity"),
        received=texts.text_for(channel, "privacy.received"),
        received_kept=texts.text_for(
            channel, "privacy.received_kept", inbound_period=fmt.days(policy.inbound_days)
        ),
        rights=texts.text_for(channel, "privacy.rights"),
        ledger_period=fmt.days(policy.ledger_days),
        history_period=fmt.days(policy.history_days),
        attempt_period=fmt.days(policy.attempt_days),
    )
    return [Reply(text)]


async def my_data(
    ctx: Context, incoming: Incoming, command: Command, now: datetime
) -> list[Reply]:
    """Show everything the bot stores about this user, at once (LGPD art. 19, I)."""
    if not incoming.private:
        return ctx.private_only(command.name)
    user = incoming.user
    async with ctx.store.unit_of_work(writes=False) as uow:
        stored = await uow.privacy.stored_data(user.channel, user.user_id)
    if stored is None:  # pragma: no cover - the update itself was just recorded
        return [ctx.reply("mydata.nothing")]
    return [Reply(_render(ctx, stored))]


def _render(ctx: Context, stored: StoredData) -> Html:
    texts, zone, user = ctx.texts, ctx.timezone, stored.user
    absent = texts.text("mydata.absent")
    lines: list[str] = [
        texts.text("mydata.title"),
        texts.text(
            "mydata.identity",
            channel=user.channel,
            user_id=user.user_id,
            name=" ".join(part for part in (user.first_name, user.last_name) if part) or absent,
            username=(
                texts.text("mydata.username", username=f"@{user.username}")
                if user.username
                else Html("")
            ),
            language=user.language_code or absent,
        ),
        texts.text(
            "mydata.seen",
            first=fmt.moment(user.first_seen_at, zone),
            last=fmt.moment(stored.last_seen_at, zone),
        ),
    ]
    link = stored.link
    if link is None:
        lines.append(texts.text("mydata.unlinked"))
    else:
        how = texts.text("mydata.by_invite" if link.origin == "invite" else "mydata.by_store")
        lines.append(
            texts.text(
                "mydata.linked",
                customer_id=link.customer_id,
                since=fmt.day(link.linked_at, zone),
                how=how,
            )
        )
        state = "mydata.reminders_on" if link.reminders_enabled else "mydata.reminders_off"
        lines.append(texts.text(state))
    last = fmt.moment(stored.last_reminder_at, zone) if stored.last_reminder_at else absent
    lines.append(
        texts.text("mydata.reminders_sent", count=fmt.number(stored.reminders_sent), last=last)
    )
    if stored.ended_links:
        lines.append(
            texts.text(
                "mydata.ended_links",
                count=fmt.number(stored.ended_links),
                period=fmt.days(ctx.retention.history_days),
            )
        )
    if stored.blocked_at is not None:
        lines.append(texts.text("mydata.blocked", since=fmt.moment(stored.blocked_at, zone)))
    rights = texts.text_for(user.channel, "mydata.rights")
    lines += ["", texts.text("mydata.not_stored"), rights]
    return Html("\n".join(lines))


async def forget(ctx: Context, incoming: Incoming, command: Command, now: datetime) -> list[Reply]:
    """Erase the user's data after they confirm; `/apagar <user id>` is an admin's request."""
    args = command.args.strip().casefold()
    if args and args not in (CONFIRM, CANCEL):
        return await _forget_for_admin(ctx, incoming, command, now)
    if not incoming.private:
        return ctx.private_only(command.name)
    if args == CANCEL:
        return [ctx.reply("forget.cancelled", buttons=ctx.main_buttons())]
    if args != CONFIRM:
        buttons = (
            (
                Button(ctx.texts.text("button.forget_confirm"), action=f"apagar {CONFIRM}"),
                Button(ctx.texts.text("button.forget_cancel"), action=f"apagar {CANCEL}"),
            ),
        )
        return [ctx.reply("forget.confirm", buttons=buttons)]
    user = incoming.user
    subject = UserData(user.channel, user.user_id)
    [erasure] = await erase(ctx.store, [subject], channel=user.channel, requested_by=None, now=now)
    logger.info("A user erased their data (%s)", erasure.line())
    return [ctx.reply("forget.done")]


async def _forget_for_admin(
    ctx: Context, incoming: Incoming, command: Command, now: datetime
) -> list[Reply]:
    target = target_user(ctx, incoming, command)
    if isinstance(target, list):
        return target
    admin, channel = incoming.user.user_id, incoming.user.channel
    [erasure] = await erase(
        ctx.store, [UserData(channel, target)], channel=channel, requested_by=admin, now=now
    )
    if not erasure.found:
        return [ctx.reply("forget.admin_nothing", user_id=target)]
    logger.info("Admin %s erased a user's data (%s)", admin, erasure.line())
    return [ctx.reply("forget.admin_done", user_id=target, summary=erasure.line())]
