"""The reminder sweep: stream linked customers, fetch each once, remind each chat once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from bot.core import limits
from bot.core.models import ReminderChat, ReminderTarget
from bot.core.points import BonifiqAuthError, BonifiqError, CustomerNotFoundError, CustomerPoints
from bot.core.ports import DeliveryError, Notifier, PointsGateway, RecipientBlockedError, Store
from bot.core.reminders import (
    DueExpiration,
    SweepAbortedError,
    SweepBusyError,
    SweepSummary,
    due_expirations,
    reminder,
)
from bot.core.retention import RetentionPolicy, purge
from bot.core.texts import Catalogue
from bot.failures import describe
from bot.metrics import Metrics

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
"""Linked customers read from the database at once."""

Progress = Callable[[int, int], None]
"""Called with (customers done, customers in all) as the sweep goes."""


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """What a dry run would send: to whom, about which customer, covering what."""

    chat: ReminderChat
    customer_id: str
    due: tuple[DueExpiration, ...]


@dataclass(frozen=True, slots=True)
class _Job:
    chat: ReminderChat
    customer: CustomerPoints


_DONE = None


@dataclass
class ReminderSweep:
    """Reminds every linked chat of points about to expire, at most once per threshold."""

    store: Store
    points: PointsGateway
    notifier: Notifier
    timezone: tzinfo
    thresholds: tuple[int, ...]
    texts: Catalogue = field(default_factory=Catalogue.load)
    concurrency: int = 8
    """Customers fetched from the points API at once."""
    senders: int = 1
    """Messages in flight at once; after a crash at most this many may be sent again."""
    batch_size: int = BATCH_SIZE
    metrics: Metrics | None = None
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    """How long what the purge deletes is kept: the policy `/privacidade` states."""
    _running: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    async def sweep(self, now: datetime, progress: Progress | None = None) -> SweepSummary:
        """Run one sweep and record it; raises SweepBusyError if one is already running here."""
        if self._running.locked():
            raise SweepBusyError
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with self._running:
            summary, _ = await self._run(now, dry_run=False, progress=progress)
        if self._stopping.is_set():
            # Unrecorded, so the next start sees a missed sweep and catches up.
            logger.info("Reminder sweep stopped before the end: %s", summary.line())
            return summary
        seconds = loop.time() - started
        # Finished is measured from `now`, so a test's fixed clock stays consistent.
        finished = now + timedelta(seconds=seconds)
        async with self.store.unit_of_work() as uow:
            await uow.reminders.record_sweep(now, finished, summary.counts())
            await uow.commit()
        if self.metrics is not None:
            self.metrics.sweep_done(now, seconds, summary.sent, summary.failed, summary.blocked)
        logger.info("Reminder sweep done: %s", summary.line())
        return summary

    async def stop(self) -> None:
        """Make a running sweep end after the message in flight, and wait until it has."""
        self._stopping.set()
        async with self._running:
            pass

    @property
    def stopping(self) -> bool:
        """Tell whether the sweep was asked to stop (the process is shutting down)."""
        return self._stopping.is_set()

    async def purge(self, now: datetime) -> dict[str, int]:
        """Delete what is past retention, as the daily sweep does after reminding."""
        return await purge(self.store, self.retention, now, self.timezone)

    async def plan(
        self, now: datetime, progress: Progress | None = None
    ) -> tuple[SweepSummary, list[PlannedReminder]]:
        """Work out who would be reminded of what, sending and recording nothing."""
        return await self._run(now, dry_run=True, progress=progress)

    async def _run(
        self, now: datetime, *, dry_run: bool, progress: Progress | None
    ) -> tuple[SweepSummary, list[PlannedReminder]]:
        summary = SweepSummary()
        planned: list[PlannedReminder] = []
        channel = self.notifier.channel
        async with self.store.unit_of_work(writes=False) as uow:
            total = await uow.reminders.count_targets(channel)
            summary.waiting = await uow.reminders.count_waiting(channel)
        targets: asyncio.Queue[ReminderTarget | None] = asyncio.Queue(self.concurrency * 2)
        jobs: asyncio.Queue[_Job | None] = asyncio.Queue(self.senders * 8)
        done = 0

        async def produce() -> None:
            after: str | None = None
            while True:
                async with self.store.unit_of_work(writes=False) as uow:
                    page = await uow.reminders.targets(channel, after, self.batch_size)
                for target in page.targets:
                    await targets.put(target)
                if page.next_after is None:
                    break
                after = page.next_after
            for _ in range(self.concurrency):
                await targets.put(_DONE)

        async def fetch() -> None:
            nonlocal done
            while (target := await targets.get()) is not _DONE:
                summary.customers += 1
                await self._queue_due(target, now, summary, jobs)
                done += 1
                if progress is not None:
                    progress(done, max(total, done))

        async def fetch_all() -> None:
            async with asyncio.TaskGroup() as group:
                for _ in range(self.concurrency):
                    group.create_task(fetch())
            for _ in range(self.senders):
                await jobs.put(_DONE)

        async def send() -> None:
            while (job := await jobs.get()) is not _DONE:
                if self._stopping.is_set():
                    continue  # a safe point: the previous message is sent and recorded
                await self._one(job, now, summary, planned, dry_run=dry_run)

        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(produce())
                group.create_task(fetch_all())
                for _ in range(self.senders):
                    group.create_task(send())
        except BaseExceptionGroup as failures:
            raise _unwrap(failures) from None
        return summary, planned

    async def _one(
        self,
        job: _Job,
        now: datetime,
        summary: SweepSummary,
        planned: list[PlannedReminder],
        *,
        dry_run: bool,
    ) -> None:
        """Remind (or plan) one chat; its failure is counted and never stops the others."""
        try:
            if dry_run:
                await self._plan_one(job, now, planned)
            else:
                await self._remind_one(job, now, summary)
        except SweepAbortedError:
            raise  # the channel refused our credentials: no other message would go
        except Exception as exc:
            summary.failed += 1
            logger.error("Reminder to user %s failed: %s", job.chat.user_id, describe(exc))

    async def _unless_stopped(
        self, fetching: Coroutine[Any, Any, CustomerPoints | None]
    ) -> CustomerPoints | None:
        """Await a fetch, but give it up (it changes nothing) when the sweep is told to stop."""
        task = asyncio.ensure_future(fetching)
        stopped = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                task.cancel()
                await asyncio.wait({task})  # returns once the cancellation has run
                return None
            return task.result()
        finally:
            stopped.cancel()
            task.cancel()  # a no-op when it is done

    async def _queue_due(
        self,
        target: ReminderTarget,
        now: datetime,
        summary: SweepSummary,
        jobs: asyncio.Queue[_Job | None],
    ) -> None:
        """Fetch one customer and queue a job per chat when anything is due."""
        if self._stopping.is_set():
            return  # the queue drains without fetching, so the producer is never stuck
        try:
            customer = await self._unless_stopped(self._fetch(target.customer_id, summary))
            if customer is not None and due_expirations(
                customer, now, self.timezone, self.thresholds
            ):
                for chat in target.chats:
                    await jobs.put(_Job(chat, customer))
        except SweepAbortedError:
            raise
        except Exception as exc:  # one customer's data must not stop everyone's reminders
            summary.failed += 1
            logger.error("Reminder sweep: a customer failed: %s", describe(exc))

    async def _fetch(self, customer_id: str, summary: SweepSummary) -> CustomerPoints | None:
        """Fetch one customer; failures are counted, except refused credentials, which stop all."""
        try:
            customer = await self.points.customer_points(customer_id)
        except CustomerNotFoundError:
            summary.skipped += 1
            summary.unknown_customers.append(customer_id)
            return None
        except BonifiqAuthError as exc:
            raise SweepAbortedError("the points API refused the credentials") from exc
        except BonifiqError as exc:
            summary.failed += 1
            logger.warning("Reminder sweep could not fetch a customer: %s", exc)
            return None
        summary.checked += 1
        return customer

    async def _remind_one(self, job: _Job, now: datetime, summary: SweepSummary) -> None:
        """Claim the chat, send what is still due, record it while the claim is held.

        The claim's unit of work only reads; writes go through a second, short one. On
        PostgreSQL the claim (a lock) outlives the write, so no other sweep can slip in; on
        SQLite a long read transaction would make the later write fail once anything else
        (a user's message) committed meanwhile, and a short write also keeps the file's
        single write lock free while Telegram is answering.
        """
        chat, customer = job.chat, job.customer
        async with self.store.unit_of_work(writes=False) as claim:
            if not await claim.reminders.claim(chat.chat_user_id):
                return  # another sweep is reminding this chat right now
            sent = await claim.reminders.sent(chat.chat_user_id, customer.customer_id)
            due = due_expirations(customer, now, self.timezone, self.thresholds, sent)
            if not due:
                return
            message = limits.fit(
                reminder(customer, due, self.timezone, self.texts, self.notifier.channel),
                limits.for_channel(self.notifier.channel),
            )
            try:
                await self.notifier.send(chat.chat_id, message)
            except RecipientBlockedError:
                summary.blocked += 1
                await self._mark_blocked(chat, now)
                return
            except DeliveryError as exc:
                summary.failed += 1
                logger.warning("Reminder to user %s not delivered: %s", chat.user_id, exc)
                return
            keys = [key for item in due for key in item.ledger_keys()]
            try:
                async with self.store.unit_of_work() as uow:
                    await uow.reminders.record(chat.chat_user_id, customer.customer_id, keys, now)
                    await uow.commit()
            except Exception as exc:
                # Delivered but not recorded: the next sweep repeats it; never stop the sweep.
                summary.failed += 1
                logger.error(
                    "Reminder to user %s sent but not recorded: %s", chat.user_id, describe(exc)
                )
                return
            summary.sent += 1

    async def _mark_blocked(self, chat: ReminderChat, now: datetime) -> None:
        async with self.store.unit_of_work() as uow:
            await uow.users.set_reachable(self.notifier.channel, chat.user_id, False, now)
            await uow.commit()
        logger.info("Chat of user %s blocked the bot; no more reminders", chat.user_id)

    async def _plan_one(self, job: _Job, now: datetime, planned: list[PlannedReminder]) -> None:
        async with self.store.unit_of_work(writes=False) as uow:
            sent = await uow.reminders.sent(job.chat.chat_user_id, job.customer.customer_id)
        due = due_expirations(job.customer, now, self.timezone, self.thresholds, sent)
        if due:
            planned.append(PlannedReminder(job.chat, job.customer.customer_id, tuple(due)))


def _unwrap(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """Return the first real failure inside a task group's exception group."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _unwrap(exc)
        if not isinstance(exc, asyncio.CancelledError):
            return exc
    return group


@dataclass
class ChannelSweeps:
    """The sweeps of every channel that is on, run one after the other as one sweep."""

    sweeps: list[ReminderSweep]

    async def sweep(self, now: datetime, progress: Progress | None = None) -> SweepSummary:
        """Run each channel's sweep and add up what they did, then apply retention once."""
        total = SweepSummary()
        for sweep in self.sweeps:
            total.add(await sweep.sweep(now, progress))
        # Retention covers the whole database, not one channel's chats: once per run.
        if self.sweeps and not any(sweep.stopping for sweep in self.sweeps):
            await self.sweeps[0].purge(now)
        return total

    async def plan(
        self, now: datetime, progress: Progress | None = None
    ) -> tuple[SweepSummary, list[PlannedReminder]]:
        """Plan every channel's sweep, sending and recording nothing."""
        total, planned = SweepSummary(), []
        for sweep in self.sweeps:
            summary, more = await sweep.plan(now, progress)
            total.add(summary)
            planned += more
        return total, planned

    async def stop(self) -> None:
        """Stop every channel's sweep after its message in flight."""
        await asyncio.gather(*(sweep.stop() for sweep in self.sweeps))
