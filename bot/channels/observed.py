"""Every Telegram update counted, timed and named in the logs, whichever handler takes it."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.channels.turns import Turns
from bot.channels.wellformed import WHY, defect, valid_update_id
from bot.core.conversation import OTHER, label
from bot.logs import log_context
from bot.metrics import SKIP_REASONS, Metrics, SkipReason

logger = logging.getLogger(__name__)

ERROR, OK, CANCELLED = "error", "ok", "cancelled"


@dataclass
class _Outcome:
    result: str = OK


class ObservedApplication(Application[Any, Any, Any, Any, Any, Any]):
    """python-telegram-bot's application, recording metrics and log context per update.

    Every update passes here, from the webhook and from long polling alike: one the handlers
    could not rely on (see `bot.channels.wellformed`) is skipped and counted instead, and so
    is a copy of an update still being handled. Each user's updates are handled in turns.
    """

    def __init__(self, *, metrics: Metrics, channel: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics
        self.channel = channel
        self._outcomes: dict[int, _Outcome] = {}
        self._handling: set[asyncio.Task[None]] = set()
        self._turns = Turns()
        self._abandoned = False
        for reason in SKIP_REASONS:
            metrics.updates_skipped.labels(channel, reason)  # exported as 0 until one happens

    async def process_update(self, update: object) -> None:
        """Handle the update as usual, inside its log context, and count it."""
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        reason = defect(update)
        if reason is None and update.update_id in self._outcomes:
            reason = "duplicate"
        if reason is not None:
            self._skip(update, reason)
            return
        if self._abandoned:
            logger.warning("Update %s not handled: the process is stopping", update.update_id)
            return
        command = command_label(update, self.bot.username)
        user = update.effective_user
        outcome = self._outcomes[update.update_id] = _Outcome()
        started = time.perf_counter()
        try:
            with log_context(
                update_id=update.update_id,
                channel=self.channel,
                user_id=user.id if user is not None else None,
                command=command,
            ):
                await self._handle(update, outcome)
        finally:
            del self._outcomes[update.update_id]
            seconds = time.perf_counter() - started
            self.metrics.update_handled(self.channel, command, outcome.result, seconds)

    def _skip(self, update: Update, reason: SkipReason) -> None:
        self.metrics.update_skipped(self.channel, reason)
        update_id = valid_update_id(update)
        if reason == "duplicate":  # Telegram sent it again before the first copy was answered
            logger.info("Update %s skipped: %s", update_id, WHY[reason])
        else:
            # Nothing from the update but its id: the odd field may hold anything.
            logger.warning(
                "Update %s skipped: %s", update_id if update_id is not None else "?", WHY[reason]
            )

    async def _handle(self, update: Update, outcome: _Outcome) -> None:
        # In a task of its own, so shutdown can cancel it without cancelling the caller
        # (python-telegram-bot's update fetcher, which must go on to its stop signal).
        task = asyncio.create_task(self._in_turn(update))
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.cancelled() or (current is not None and current.cancelling()):
                raise
            outcome.result = CANCELLED
            logger.warning(
                "Update %s cancelled: still running when the process stopped", update.update_id
            )

    async def _in_turn(self, update: Update) -> None:
        """Let python-telegram-bot handle the update once the sender's earlier ones are done."""
        user = update.effective_user
        if user is None:
            await super().process_update(update)
            return
        async with self._turns.turn(str(user.id)):
            await super().process_update(update)

    async def process_error(self, update: object | None, error: Exception, *args: Any) -> bool:
        """Mark the update as failed, then let the error handlers log it."""
        if isinstance(update, Update) and update.update_id in self._outcomes:
            self._outcomes[update.update_id].result = ERROR
        return await super().process_error(update, error, *args)

    def abandon_updates(self) -> None:
        """Cancel the updates being handled, and handle none from now on."""
        self._abandoned = True
        for task in self._handling:
            task.cancel()


async def stop_within(
    application: Application[Any, Any, Any, Any, Any, Any], grace: float
) -> None:
    """Stop the application; updates still being handled after `grace` seconds are cancelled."""
    stopping = asyncio.create_task(application.stop())
    done, _ = await asyncio.wait({stopping}, timeout=grace)
    if not done and isinstance(application, ObservedApplication):
        application.abandon_updates()
    await stopping


def command_label(update: Update, bot_username: str | None) -> str:
    """Name what the update asks for, from a small fixed set (metrics labels must be few)."""
    if update.callback_query is not None:
        return label(None, update.callback_query.data or "", private=True)
    if update.my_chat_member is not None:
        return "my_chat_member"
    message, chat = update.effective_message, update.effective_chat
    if message is None or message.text is None:
        return OTHER
    private = chat is not None and chat.type == ChatType.PRIVATE
    return label(message.text, None, private=private, bot_username=bot_username)
