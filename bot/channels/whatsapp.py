"""The WhatsApp channel: webhook messages to the conversation, replies and reminders back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.channels.turns import Turns
from bot.core.conversation import Conversation, label
from bot.core.messages import Incoming, Reply
from bot.core.models import UserProfile
from bot.core.ports import DeliveryError, RecipientBlockedError, Store
from bot.core.reminders import SweepAbortedError
from bot.failures import describe
from bot.logs import log_context
from bot.metrics import Metrics
from bot.text import showable
from bot.whatsapp import render
from bot.whatsapp.client import (
    GraphAuthError,
    GraphClient,
    GraphError,
    GraphRefusedError,
    GraphThrottledError,
)
from bot.whatsapp.inbound import InboundMessage, StatusUpdate
from bot.whatsapp.render import Message

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WINDOW = timedelta(hours=24)
"""Meta's customer-service window: free-form messages only this long after the user wrote."""
UNDELIVERABLE = 131026
BACKOFF = (1.0, 2.0, 4.0, 8.0)
"""Pauses before each retry of a throttled message (130429, 131056)."""

Sleep = Callable[[float], Awaitable[None]]


class SendRate:
    """Spaces messages so that at most `per_second` leave this process each second."""

    def __init__(
        self,
        per_second: float,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = 1.0 / per_second
        self._sleep = sleep
        self._clock = clock
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the next message may go out."""
        async with self._lock:
            now = self._clock()
            if self._next > now:
                await self._sleep(self._next - now)
            self._next = max(now, self._next) + self._interval


@dataclass
class WhatsAppSender:
    """Sends messages through the Graph API at the configured rate, waiting out throttling."""

    client: GraphClient
    rate: SendRate
    backoff: Sequence[float] = BACKOFF
    sleep: Sleep = field(default=asyncio.sleep, repr=False)
    metrics: Metrics | None = None

    async def send(self, wa_id: str, message: Message) -> str:
        """Send one message and return its id; raise the Graph error when retrying is over."""
        for pause in (*self.backoff, None):
            await self.rate.wait()
            try:
                return await self.client.send(wa_id, message)
            except GraphThrottledError as exc:
                if pause is None:
                    self._count(exc)
                    raise
                logger.info("WhatsApp throttled (%s); retrying in %g s", exc, pause)
                await self.sleep(pause)
            except GraphError as exc:
                self._count(exc)
                raise
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _count(self, exc: GraphError) -> None:
        if self.metrics is not None:
            self.metrics.whatsapp_error("send", exc.code)


@dataclass
class WhatsAppChannel:
    """Handles what the webhook delivered: each message once, answered in the user's chat."""

    conversation: Conversation
    sender: WhatsAppSender
    clock: Callable[[], datetime]
    metrics: Metrics | None = None
    _turns: Turns = field(default_factory=Turns, init=False, repr=False)

    @property
    def store(self) -> Store:
        """The conversation's store, where deliveries are de-duplicated."""
        return self.conversation.store

    async def handle_message(self, message: InboundMessage) -> None:
        """Answer one message, unless it was delivered before (in this process or another).

        Counted and logged by what it asks for, as Telegram updates are; the message id is
        the update id.
        """
        started = time.perf_counter()
        outcome = "ok"
        command = label(message.text, message.action, private=True)
        with log_context(
            update_id=message.message_id, channel=CHANNEL, user_id=message.wa_id, command=command
        ):
            try:
                # One delivery's messages each get a task: in turns, they are handled in the
                # order the user sent them, so an erase comes after the messages before it.
                async with self._turns.turn(message.wa_id):
                    await self._handle(message)
            except Exception as exc:
                # Not logger.exception: a traceback's messages may quote the user's text.
                outcome = "error"
                logger.error("Failed to handle a WhatsApp message: %s", describe(exc))
        if self.metrics is not None:
            self.metrics.update_handled(CHANNEL, command, outcome, time.perf_counter() - started)

    async def _handle(self, message: InboundMessage) -> None:
        now = self.clock()
        async with self.store.unit_of_work() as uow:
            first = await uow.inbound.first_delivery(
                CHANNEL, message.message_id, message.wa_id, message.sent_at, now
            )
            await uow.commit()
        if not first:
            logger.info("WhatsApp message delivered again; already handled")
            return
        incoming = Incoming(
            user=UserProfile(CHANNEL, message.wa_id, first_name=showable(message.name)),
            chat_id=message.wa_id,
            private=True,
            text=message.text,
            action=message.action,
        )
        replies = await self.conversation.handle(incoming, now)
        await self.send_replies(message.wa_id, replies)

    async def handle_status(self, status: StatusUpdate) -> None:
        """Note what became of a sent message; a failure is logged by code and counted."""
        if status.status != "failed":
            return
        codes = ", ".join(map(str, status.error_codes)) or "none given"
        logger.warning("WhatsApp message %s failed (error %s)", status.message_id, codes)
        if self.metrics is not None:
            self.metrics.whatsapp_error(
                "status", status.error_codes[0] if status.error_codes else None
            )

    async def send_replies(self, wa_id: str, replies: Sequence[Reply]) -> None:
        """Send replies in order; one that fails is logged by its error code and the rest go.

        When Meta refuses a reply to the user who asked, a plain apology replaces it, as on
        Telegram, so nobody is left without an answer.
        """
        texts = self.conversation.texts
        follow_up = texts.text("whatsapp.buttons_follow_up")
        for reply in replies:
            target = reply.chat_id if reply.chat_id is not None else wa_id
            for message in render.messages(reply, follow_up):
                try:
                    await self.sender.send(target, message)
                except GraphError as exc:
                    logger.warning("Reply to a WhatsApp user not sent: %s", exc)
                    if isinstance(exc, GraphRefusedError) and reply.chat_id is None:
                        await self._apologise(wa_id, texts.text("reply_failed"))
                    break
                except Exception as exc:
                    logger.error("Reply to a WhatsApp user not sent: %s", describe(exc))
                    break

    async def _apologise(self, wa_id: str, text: str) -> None:
        try:
            await self.sender.send(wa_id, render.text_message(render.markup(text)))
        except Exception as exc:
            logger.warning("Apology to a WhatsApp user not sent either: %s", describe(exc))


@dataclass
class WhatsAppNotifier:
    """Sends reminders: a message with buttons inside the 24-hour window, else the template."""

    sender: WhatsAppSender
    store: Store
    template: str
    clock: Callable[[], datetime]
    follow_up: str = "…"
    channel: str = CHANNEL

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reminder; nothing counts as sent until Meta returned a message id.

        Raises:
            SweepAbortedError: the access token was refused; no other message would go.
            DeliveryError: not delivered now (refused, throttled too long, 5xx, timeout).
        """
        async with self.store.unit_of_work(writes=False) as uow:
            last = await uow.inbound.last_message_at(CHANNEL, chat_id)
        if last is not None and self.clock() - last < WINDOW:
            messages = render.messages(reply, self.follow_up)
        elif reply.template:
            messages = [render.template_message(self.template, reply.template)]
        else:
            raise DeliveryError("outside the 24-hour window, and the reply has no template")
        first, *rest = messages
        await self._send(chat_id, first)
        for message in rest:  # the reminder went out; its buttons are a courtesy
            try:
                await self._send(chat_id, message)
            except DeliveryError as exc:
                logger.warning("Buttons after a WhatsApp reminder not sent: %s", exc)

    async def _send(self, chat_id: str, message: Message) -> None:
        try:
            await self.sender.send(chat_id, message)
        except GraphAuthError as exc:
            raise SweepAbortedError(
                "WhatsApp refused WHATSAPP_ACCESS_TOKEN (expired or revoked; error 190)"
            ) from exc
        except GraphRefusedError as exc:
            if exc.code == UNDELIVERABLE:
                # Not on WhatsApp (any more), or has not accepted its terms: stop writing until
                # they write to the store, which makes them reachable again.
                raise RecipientBlockedError(f"undeliverable ({_code(exc)})") from exc
            raise DeliveryError(f"WhatsApp refused the reminder ({_code(exc)})") from exc
        except GraphError as exc:
            raise DeliveryError(str(exc)) from exc


def _code(exc: GraphError) -> str:
    return f"error {exc.code}" if exc.code is not None else f"HTTP {exc.status}"
