"""`python -m bot remind` under faults: killed mid-sweep, run twice, run in parallel, refused.

Each test runs the real command in a child process against the test database, the fake
Bot API and the fake points API. The fakes are served by this test's event loop, so the
child is started with `asyncio.create_subprocess_exec` and awaited, never waited on
synchronously. The child uses the real clock, so expirations are set relative to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.core.models import UserProfile
from bot.db.store import SqlStore
from bot.db.tables import ChatUserRow, ReminderLedgerRow, ReminderSweepRow
from tests.fixtures.bonifiq import (
    TEST_TIMEZONE,
    FakePointsApi,
    Fault,
    customer_payload,
    expiration_payload,
)
from tests.fixtures.telegram import FakeBotApi, serving

FIRST_USER_ID = 6_000_000_001
THRESHOLDS = (30, 7, 1)
EXPIRES_IN = timedelta(days=5)
"""Crosses the 30- and 7-day thresholds, not the 1-day one: two ledger rows per chat."""
CROSSED = (30, 7)
UNREACHABLE_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/x"
RUN_TIMEOUT = 60.0
SENT = re.compile(r"reminders sent: (\d+)")
# Every setting the bot reads, so the developer's own environment cannot leak into a run.
_SETTING_NAMES = {name.upper() for name in Settings.model_fields}


@dataclass
class ScriptedBotApi(FakeBotApi):
    """The fake Bot API, with hooks to slow, hold or interrupt the sending of messages."""

    send_delay: float = 0.0
    """Seconds each sendMessage takes before it is answered."""
    on_send: Callable[[int], Awaitable[None]] | None = None
    """Called with how many messages arrived so far (this one included), before answering."""
    hold_sends: asyncio.Event | None = None
    """When set, no message is answered before this event is (or 10 s have passed)."""
    release_after_bots: int = 0
    """Set `hold_sends` once this many bots have started (called getMe)."""
    bots_started: int = 0

    async def _get_me(self, params: dict[str, Any]) -> web.Response:
        self.bots_started += 1
        if self.hold_sends is not None and self.bots_started >= self.release_after_bots:
            self.hold_sends.set()
        return await super()._get_me(params)

    async def _send_message(self, params: dict[str, Any]) -> web.Response:
        if self.on_send is not None:
            await self.on_send(len(self.sent_messages()))
        if self.hold_sends is not None:
            # A missing second bot is caught by the test's assertions, not by hanging here.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.hold_sends.wait(), 10)
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        return await super()._send_message(params)


@pytest.fixture
async def bot_api() -> AsyncIterator[ScriptedBotApi]:
    """Start the scriptable fake Bot API on loopback (shadows the plain one)."""
    async with serving(ScriptedBotApi()) as api:
        yield api


@dataclass(frozen=True)
class Linked:
    """A linked customer and the one private chat reminded about it."""

    user_id: int
    customer_id: str


@dataclass(frozen=True)
class Run:
    """What one `python -m bot remind` run did."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def sent(self) -> int:
        """Return N from the summary line's "reminders sent: N"."""
        found = SENT.findall(self.stdout)
        assert len(found) == 1, f"no single summary line in {self.stdout!r} / {self.stderr!r}"
        return int(found[0])

    @property
    def summary(self) -> str:
        """Return the last line printed on stdout: the one-line summary."""
        lines = self.stdout.strip().splitlines()
        return lines[-1] if lines else ""

    def errors(self) -> list[str]:
        """Return the `error: ...` lines printed on stderr."""
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]


def expiry_moment() -> datetime:
    """Return when the points expire: five days after the real clock's now."""
    return datetime.now(UTC) + EXPIRES_IN


def expires_on(moment: datetime) -> date:
    """Return the local day the bot keys ledger rows with."""
    return moment.astimezone(TEST_TIMEZONE).date()


async def populate(
    store: SqlStore, points_api: FakePointsApi, count: int, expiry: datetime
) -> list[Linked]:
    """Link `count` customers, each with 100 points expiring at `expiry`, to one chat each."""
    now = datetime.now(UTC)
    linked = [
        Linked(FIRST_USER_ID + index, f"cliente-{index:03d}@loja.com.br") for index in range(count)
    ]
    async with store.unit_of_work() as uow:
        for item in linked:
            profile = UserProfile(
                "telegram", str(item.user_id), first_name=f"Cliente {item.user_id}"
            )
            await uow.users.seen(profile, str(item.user_id), now)
            await uow.links.link("telegram", str(item.user_id), item.customer_id, None, now)
        await uow.commit()
    for item in linked:
        points_api.set_customer(
            item.customer_id, customer_payload(PointsToExpire=[expiration_payload(100, expiry)])
        )
    return linked


def remind_env(
    database_url: str, bot_api: FakeBotApi, points_api: FakePointsApi, **overrides: str
) -> dict[str, str]:
    """Return the child's environment: the fakes and the test database, nothing inherited."""
    environment = {k: v for k, v in os.environ.items() if k.upper() not in _SETTING_NAMES}
    settings = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "BONIFIQ_BASE_URL": points_api.base_url,
        "BONIFIQ_API_TOKEN": points_api.api_token,
        "BONIFIQ_API_KEY": points_api.api_key,
        "BOT_TIMEZONE": "America/Sao_Paulo",
        "REMINDER_DAYS": ",".join(map(str, THRESHOLDS)),
        "LOG_LEVEL": "INFO",
    }
    return environment | settings | overrides


@contextmanager
def reaping() -> Iterator[list[asyncio.subprocess.Process]]:
    """Collect started children; kill (by pid) any still running when the block ends."""
    children: list[asyncio.subprocess.Process] = []
    try:
        yield children
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()


async def start_remind(
    env: dict[str, str], cwd: Path, children: list[asyncio.subprocess.Process], *args: str
) -> asyncio.subprocess.Process:
    """Start `python -m bot remind` without blocking the loop that serves the fakes."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "remind",
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    children.append(child)
    return child


async def finish(child: asyncio.subprocess.Process) -> Run:
    """Wait for a child to end, reading its output."""
    stdout, stderr = await asyncio.wait_for(child.communicate(), RUN_TIMEOUT)
    assert child.returncode is not None
    return Run(child.returncode, stdout.decode(), stderr.decode())


async def remind(env: dict[str, str], cwd: Path, *args: str) -> Run:
    """Run `python -m bot remind` to its end."""
    with reaping() as children:
        return await finish(await start_remind(env, cwd, children, *args))


async def ledger_rows(engine: AsyncEngine) -> list[tuple[int, str, date, int]]:
    """Return every ledger row as (Telegram user id, customer id, expires on, threshold)."""
    statement = select(
        ChatUserRow.user_id,
        ReminderLedgerRow.customer_id,
        ReminderLedgerRow.expires_on,
        ReminderLedgerRow.threshold_days,
    ).join(ChatUserRow, ReminderLedgerRow.chat_user_id == ChatUserRow.id)
    async with engine.connect() as connection:
        rows = await connection.execute(statement)
        return [(int(user), customer, day, days) for user, customer, day, days in rows]


async def sweeps_recorded(engine: AsyncEngine) -> int:
    """Return how many sweeps the database kept."""
    async with engine.connect() as connection:
        return len((await connection.execute(select(ReminderSweepRow.id))).all())


def expected_ledger(linked: list[Linked], day: date) -> list[tuple[int, str, date, int]]:
    """Return the ledger rows reminding every chat once, about every crossed threshold."""
    return sorted(
        (item.user_id, item.customer_id, day, threshold)
        for item in linked
        for threshold in CROSSED
    )


def messages_per_chat(bot_api: FakeBotApi) -> Counter[int]:
    """Return how many sendMessage calls reached the Bot API for each chat."""
    return Counter(call.chat_id for call in bot_api.sent_messages())


async def test_a_sweep_killed_halfway_then_rerun_repeats_at_most_the_message_in_flight(
    bot_api: ScriptedBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
    database_url: str,
    tmp_path: Path,
) -> None:
    count, kill_at = 20, 7
    expiry = expiry_moment()
    linked = await populate(store, points_api, count, expiry)
    env = remind_env(database_url, bot_api, points_api)
    with reaping() as children:
        first = await start_remind(env, tmp_path, children)

        async def kill_on_arrival(received: int) -> None:
            # The message has reached Telegram; its sender never learns it did.
            if received == kill_at and first.returncode is None:
                first.kill()

        bot_api.on_send = kill_on_arrival
        killed = await finish(first)
    bot_api.on_send = None
    before_rerun = len(bot_api.sent_messages())

    rerun = await remind(env, tmp_path)

    assert killed.returncode == -9, killed.stderr
    assert kill_at <= before_rerun < count
    assert rerun.returncode == 0, rerun.stderr
    per_chat = messages_per_chat(bot_api)
    assert set(per_chat) == {item.user_id for item in linked}  # every chat reminded
    assert max(per_chat.values()) <= 2
    assert sum(1 for received in per_chat.values() if received == 2) <= 1
    assert rerun.sent == count - before_rerun + sum(1 for n in per_chat.values() if n == 2)
    rows = await ledger_rows(engine)
    assert len(rows) == len(set(rows))
    assert sorted(rows) == expected_ledger(linked, expires_on(expiry))


@pytest.mark.postgres_only
async def test_two_sweeps_in_two_processes_send_each_reminder_exactly_once(
    bot_api: ScriptedBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
    database_url: str,
    tmp_path: Path,
) -> None:
    count = 40
    expiry = expiry_moment()
    linked = await populate(store, points_api, count, expiry)
    # Slow sends, none answered before both processes are up: the two sweeps overlap.
    bot_api.send_delay = 0.025
    bot_api.hold_sends = asyncio.Event()
    bot_api.release_after_bots = 2
    env = remind_env(database_url, bot_api, points_api)

    with reaping() as children:
        one = await start_remind(env, tmp_path, children)
        two = await start_remind(env, tmp_path, children)
        runs = await asyncio.gather(finish(one), finish(two))

    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    assert bot_api.bots_started == 2
    assert sum(run.sent for run in runs) == count
    assert all(run.sent > 0 for run in runs), [run.summary for run in runs]
    assert messages_per_chat(bot_api) == {item.user_id: 1 for item in linked}
    rows = await ledger_rows(engine)
    assert len(rows) == len(set(rows)) == count * len(CROSSED)
    assert sorted(rows) == expected_ledger(linked, expires_on(expiry))


async def test_remind_twice_sends_every_due_reminder_exactly_once(
    bot_api: ScriptedBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
    database_url: str,
    tmp_path: Path,
) -> None:
    count = 5
    expiry = expiry_moment()
    linked = await populate(store, points_api, count, expiry)
    env = remind_env(database_url, bot_api, points_api)

    first = await remind(env, tmp_path)
    second = await remind(env, tmp_path)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert first.sent == count
    assert first.summary.startswith(f"customers checked: {count}/{count}, ")
    assert second.sent == 0
    assert second.summary.startswith(f"customers checked: {count}/{count}, ")
    assert messages_per_chat(bot_api) == {item.user_id: 1 for item in linked}
    assert sorted(await ledger_rows(engine)) == expected_ledger(linked, expires_on(expiry))
    assert await sweeps_recorded(engine) == 2


async def test_a_sweep_is_not_aborted_by_the_bot_writing_while_a_message_is_in_flight(
    bot_api: ScriptedBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
    database_url: str,
    tmp_path: Path,
) -> None:
    count = 4
    expiry = expiry_moment()
    linked = await populate(store, points_api, count, expiry)
    someone_else = FIRST_USER_ID + 1000

    async def a_user_writes_to_the_bot(received: int) -> None:
        # What `run` does for every incoming message (`users.seen`), here while the
        # second reminder is on its way and before Telegram answers it.
        if received == 2:
            async with store.unit_of_work() as uow:
                profile = UserProfile("telegram", str(someone_else), first_name="Ana")
                await uow.users.seen(profile, str(someone_else), datetime.now(UTC))
                await uow.commit()

    bot_api.on_send = a_user_writes_to_the_bot
    env = remind_env(database_url, bot_api, points_api)

    run = await remind(env, tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.sent == count
    assert messages_per_chat(bot_api) == {item.user_id: 1 for item in linked}
    assert sorted(await ledger_rows(engine)) == expected_ledger(linked, expires_on(expiry))


async def test_remind_exits_non_zero_when_credentials_are_refused(
    bot_api: ScriptedBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
    database_url: str,
    tmp_path: Path,
) -> None:
    await populate(store, points_api, 3, expiry_moment())
    wrong_key = "not-the-api-key-5ecr3t"
    env = remind_env(database_url, bot_api, points_api, BONIFIQ_API_KEY=wrong_key)

    run = await remind(env, tmp_path)

    assert run.returncode == 1
    assert run.errors() == [
        "error: reminder sweep aborted: the points API refused the credentials"
    ]
    assert "reminders sent" not in run.stdout
    assert wrong_key not in run.stdout + run.stderr
    assert points_api.requests
    assert not any(request.authorized for request in points_api.requests)
    assert bot_api.sent_messages() == []
    assert await ledger_rows(engine) == []
    assert await sweeps_recorded(engine) == 0


async def test_remind_exits_non_zero_when_every_customer_fails(
    bot_api: ScriptedBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
    database_url: str,
    tmp_path: Path,
) -> None:
    linked = await populate(store, points_api, 3, expiry_moment())
    for item in linked:
        points_api.script(item.customer_id, [Fault.http(500)] * 10)
    env = remind_env(database_url, bot_api, points_api)

    run = await remind(env, tmp_path)

    assert run.returncode == 1, run.stderr
    assert run.summary == (
        "customers checked: 0/3, reminders sent: 0, skipped: 0, failed: 3, blocked chats: 0"
    )
    assert bot_api.sent_messages() == []
    assert await ledger_rows(engine) == []


def _fails(points_api: FakePointsApi, customer_id: str) -> None:
    points_api.script(customer_id, [Fault.http(500)] * 10)


def _has_a_dotnet_min_value_date(points_api: FakePointsApi, customer_id: str) -> None:
    points_api.set_customer(
        customer_id,
        customer_payload(PointsToExpire=[expiration_payload(40, "0001-01-01T00:00:00Z")]),
    )


ONE_CUSTOMER_BREAKS = [
    pytest.param(
        _fails,
        "customers checked: 2/3, reminders sent: 2, skipped: 0, failed: 1, blocked chats: 0",
        id="its-points-api-fails",
    ),
    pytest.param(
        _has_a_dotnet_min_value_date,
        "customers checked: 3/3, reminders sent: 2, skipped: 0, failed: 0, blocked chats: 0",
        id="it-has-a-dotnet-min-value-date",
    ),
]
"""How one customer of three breaks, and the summary `remind` then prints."""


@pytest.mark.parametrize(("breaks", "summary"), ONE_CUSTOMER_BREAKS)
async def test_remind_reminds_the_others_and_exits_zero_when_one_customer_breaks(
    bot_api: ScriptedBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
    database_url: str,
    tmp_path: Path,
    breaks: Callable[[FakePointsApi, str], None],
    summary: str,
) -> None:
    expiry = expiry_moment()
    odd, *healthy = await populate(store, points_api, 3, expiry)
    breaks(points_api, odd.customer_id)
    env = remind_env(database_url, bot_api, points_api)

    run = await remind(env, tmp_path)

    assert run.returncode == 0, run.stderr
    assert run.summary == summary
    assert messages_per_chat(bot_api) == {item.user_id: 1 for item in healthy}
    assert sorted(await ledger_rows(engine)) == expected_ledger(healthy, expires_on(expiry))


async def test_remind_exits_non_zero_when_the_database_is_unreachable(
    bot_api: ScriptedBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    env = remind_env(UNREACHABLE_DATABASE, bot_api, points_api)

    run = await remind(env, tmp_path)

    assert run.returncode == 2
    [error] = run.errors()
    assert error.startswith(
        "error: cannot reach the database postgresql+asyncpg://postgres@127.0.0.1:1/x: "
    )
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    assert bot_api.calls == []
    assert points_api.requests == []


async def test_remind_dry_run_lists_reminders_without_sending_or_recording(
    bot_api: ScriptedBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
    database_url: str,
    tmp_path: Path,
) -> None:
    count = 4
    expiry = expiry_moment()
    linked = await populate(store, points_api, count, expiry)
    env = remind_env(database_url, bot_api, points_api)

    run = await remind(env, tmp_path, "--dry-run")

    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    listed = sorted(line for line in lines if line.startswith("user "))
    assert len(listed) == count
    for line, item in zip(listed, sorted(linked, key=lambda item: item.user_id), strict=True):
        assert line.startswith(f"user {item.user_id} · {item.customer_id} · 100 points on ")
        assert "thresholds 30, 7)" in line
    assert lines[-1].startswith(f"dry run, {count} reminders would be sent; ")
    assert "reminders sent: 0" in lines[-1]
    assert bot_api.sent_messages() == []
    assert await ledger_rows(engine) == []
    assert await sweeps_recorded(engine) == 0
