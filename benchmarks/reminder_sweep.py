"""Time one full reminder sweep, built as `python -m bot remind` builds it, against local fakes.

    .venv/bin/python benchmarks/reminder_sweep.py                 # 10,000 customers, SQLite
    .venv/bin/python benchmarks/reminder_sweep.py --memory-check  # N/5 and N, peak RSS of each

A child process loads the database; another serves a fake points API and a fake Bot API. The
sweep runs here, built from the bot's own settings, builders and ports. Exit status 1 unless
it sent one reminder to each due chat and none to any other (and no user's write failed
meanwhile). See README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import multiprocessing
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from sqlalchemy import insert, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.bonifiq.client import basic_authorization
from bot.bootstrap import build_sweeper, open_services, utc_now
from bot.channels.telegram import CHANNEL, TelegramNotifier, build_application
from bot.config import ConfigError, load_settings
from bot.core.messages import Reply
from bot.core.models import Sighting, UserProfile
from bot.core.points import CustomerPoints
from bot.core.ports import Notifier, PointsGateway, Store, UnitOfWork
from bot.core.reminders import SweepSummary
from bot.db.engine import async_url, create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.db.store import SqlStore
from bot.db.tables import ChatUserRow, LinkRow
from bot.jobs.reminders import BATCH_SIZE
from bot.logs import setup_logging

BOT_TOKEN = "4242424242:benchmark-bot-token"
API_TOKEN = "benchmark-api-token"
API_KEY = "benchmark-api-key"
TIMEZONE = "America/Sao_Paulo"  # the bot's default BOT_TIMEZONE
USER_ID_BASE = 500_000_000
"""Telegram user id (and private chat id) of customer 0; customer i has USER_ID_BASE + i."""
POPULATION_BATCH = 5_000
DUE_IN_DAYS = 5
LATER_IN_DAYS = 200
SPEED_TARGET = 1.25
FLAT_MEMORY = 1.10
"""Peak RSS at N over peak RSS at N/5 up to which memory counts as not growing with N."""


@dataclass(frozen=True)
class Options:
    """What to run; see `parser()`."""

    customers: int
    due_fraction: Fraction
    latency_ms: float
    api_concurrency: int
    send_rate: float
    bot_latency_ms: float
    client_send_rate: float | None
    senders: int | None
    batch_size: int | None
    chat_writes: float
    database_url: str | None
    no_analyze: bool
    breakdown: bool
    log_level: str

    @property
    def expected(self) -> int:  # reminders due: one per due customer, each with one chat
        return math.floor(self.customers * self.due_fraction)

    def bot_settings(self) -> dict[str, Any]:
        """The bot settings these options set; every other one keeps the bot's default."""
        chosen = {
            "bonifiq_max_concurrency": self.api_concurrency,
            "telegram_send_rate": self.client_send_rate,
            "reminder_senders": self.senders,
        }
        return {name: value for name, value in chosen.items() if value is not None}


# --- the population -------------------------------------------------------------------------


def is_due(index: int, fraction: Fraction) -> bool:
    """Tell whether customer `index` has points expiring soon: spread evenly, exact in total."""
    return math.floor((index + 1) * fraction) > math.floor(index * fraction)


def populate_process(url: str, customers: int, analyze: bool) -> None:
    """Process entry point: migrate, then bulk-insert chat users each linked to a customer."""
    asyncio.run(populate(url, customers, analyze=analyze))


async def populate(url: str, customers: int, *, analyze: bool = True) -> None:
    await upgrade_to_head(url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        if engine.dialect.name == "postgresql" and not analyze:
            # A bulk import right before the sweep: no statistics, and none coming meanwhile.
            async with engine.begin() as connection:
                for table in (ChatUserRow.__tablename__, LinkRow.__tablename__):
                    await connection.execute(
                        text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
                    )
        for start in range(0, customers, POPULATION_BATCH):
            indexes = range(start, min(customers, start + POPULATION_BATCH))
            users = [
                {
                    "id": index + 1,
                    "channel": CHANNEL,
                    "user_id": USER_ID_BASE + index,
                    "chat_id": USER_ID_BASE + index,
                    "first_name": f"Cliente {index}",
                    "language_code": "pt-br",
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for index in indexes
            ]
            links = [
                {
                    "chat_user_id": index + 1,
                    "customer_id": f"bench-{index:08d}",  # id order is index order
                    "linked_at": now,
                    "reminders_enabled": True,
                }
                for index in indexes
            ]
            async with engine.begin() as connection:
                await connection.execute(insert(ChatUserRow), users)
                await connection.execute(insert(LinkRow), links)
        if engine.dialect.name == "postgresql" and analyze:  # nothing inserts users after this
            async with engine.begin() as connection:
                await connection.execute(text("ANALYZE"))  # do not wait for autovacuum
    finally:
        await engine.dispose()


@contextlib.contextmanager
def fresh_database(url: str | None) -> Iterator[str]:
    """Yield the URL of a database nobody else uses; drop it afterwards."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="reminder-bench-") as folder:
            yield f"sqlite+aiosqlite:///{folder}/bot.db"
        return
    server = async_url(url)
    if server.get_backend_name() != "postgresql":
        raise SystemExit("--database-url must name a PostgreSQL server")
    # A throw-away database on that server: the benchmark never touches existing data.
    name = f"reminder_bench_{secrets.token_hex(4)}"
    asyncio.run(_server_command(server, f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_server_command(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _server_command(server: URL, statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    engine = create_async_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


# --- the fake points API and Bot API --------------------------------------------------------


def points_payload(expires: datetime) -> bytes:
    """Return a `CustomerPointsResponse` (BonifiQ's PascalCase) with one expiration."""
    when = expires.replace(hour=23, minute=59, second=59, microsecond=0).isoformat()
    history = [
        {
            "Id": 9000 + number,
            "IsCanceled": False,
            "DateReceived": f"2025-0{number}-15T15:30:00.1234567-03:00",
            "ExpirationDate": when,
            "Amount": 40 * number,
            "CashbackAmount": 0.8 * number,
            "BranchId": "001",
            "BranchName": "Loja Centro",
            "OrderOrigin": 3,
            "OrderOriginDescription": "PDV",
            "PointType": 1,
            "PointTypeDescription": "Compra",
        }
        for number in (1, 2, 3)
    ]
    payload = {
        "CustomerExists": True,
        "InternalId": "6f1c2a9e-3d4b-4c8a-9e21-5b7d0a1c3e11",
        "Name": "Cliente Benchmark",
        "PointsBalance": 1234,
        "CashbackBalance": 12.34,
        "RedeemKey": "BENCH-7Q2K",
        "PointsToExpire": [{"Points": 240, "When": when}],
        "PointHistory": history,
    }
    return json.dumps(payload).encode()


TOO_MANY_SENDS = {
    "ok": False,
    "error_code": 429,
    "description": "Too Many Requests: retry after 1",
    "parameters": {"retry_after": 1},
}


class FakeApis:
    """The points API and the Bot API, on one port, counting what they were asked."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.authorization = basic_authorization(API_TOKEN, API_KEY)
        self.in_flight = 0
        self.tokens = options.send_rate
        self.refilled = time.monotonic()
        self.delivered: set[int] = set()
        self.points = {"requests": 0, "throttled": 0, "peak": 0}
        self.bot = dict.fromkeys(
            ("messages", "throttled", "delivered", "duplicates", "unexpected"), 0
        )
        now = datetime.now(ZoneInfo(TIMEZONE))
        self.due_body = points_payload(now + timedelta(days=DUE_IN_DAYS))
        self.later_body = points_payload(now + timedelta(days=LATER_IN_DAYS))

    async def customer_points(self, request: web.Request) -> web.Response:
        self.points["requests"] += 1
        if request.headers.get("Authorization") != self.authorization:
            return web.json_response({"Message": "Authorization has been denied."}, status=401)
        if self.in_flight >= self.options.api_concurrency:
            self.points["throttled"] += 1
            busy = {"Message": "Too many requests"}
            return web.json_response(busy, status=429, headers={"Retry-After": "1"})
        self.in_flight += 1
        self.points["peak"] = max(self.points["peak"], self.in_flight)
        try:
            await asyncio.sleep(self.options.latency_ms / 1000)
        finally:
            self.in_flight -= 1
        index = int(request.match_info["id"].removeprefix("bench-"))
        due = is_due(index, self.options.due_fraction)
        return web.Response(
            body=self.due_body if due else self.later_body, content_type="application/json"
        )

    async def bot_method(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        if request.match_info["token"] != BOT_TOKEN:
            error = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(error, status=401)
        if request.match_info["method"] == "getMe":
            me = {"id": 4242424242, "is_bot": True, "first_name": "Bench", "username": "b_bot"}
            return web.json_response({"ok": True, "result": me})
        if request.match_info["method"] != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        self.bot["messages"] += 1
        params = await request.post()
        rate = self.options.send_rate
        self.tokens = min(rate, self.tokens + (arrived - self.refilled) * rate)
        self.refilled = arrived
        if self.tokens < 1:
            self.bot["throttled"] += 1
            return web.json_response(TOO_MANY_SENDS, status=429)
        self.tokens -= 1
        await asyncio.sleep(self.options.bot_latency_ms / 1000)
        chat_id = int(str(params["chat_id"]))
        self.bot["delivered"] += 1
        self.bot["duplicates"] += chat_id in self.delivered
        self.delivered.add(chat_id)
        index = chat_id - USER_ID_BASE
        due = 0 <= index < self.options.customers and is_due(index, self.options.due_fraction)
        self.bot["unexpected"] += not due
        message = {
            "message_id": self.bot["delivered"],
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": str(params.get("text", "")),
        }
        return web.json_response({"ok": True, "result": message})

    async def serve(self, port_out: Connection) -> None:
        """Serve until `POST /_shutdown`, which answers the counters."""
        app = web.Application()
        app.router.add_get("/v1/pvt/Customer/{id}/points", self.customer_points)
        app.router.add_post("/bot{token}/{method}", self.bot_method)
        await serve_until_shutdown(app, port_out, lambda: {"points": self.points, "bot": self.bot})


async def serve_until_shutdown(
    app: web.Application, port_out: Connection, counters: Callable[[], object]
) -> None:
    """Serve `app` on a free loopback port (sent through `port_out`) until `POST /_shutdown`."""
    stopping = asyncio.Event()

    async def shutdown(_request: web.Request) -> web.Response:
        asyncio.get_running_loop().call_soon(stopping.set)
        return web.json_response(counters())

    app.router.add_post("/_shutdown", shutdown)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
    port_out.send(runner.addresses[0][1])
    port_out.close()
    try:
        await stopping.wait()
    finally:
        await runner.cleanup()


def fakes_process(options: Options, port_out: Connection) -> None:
    """Process entry point: serve the fakes, sending the port through `port_out`."""
    asyncio.run(FakeApis(options).serve(port_out))


@contextlib.contextmanager
def child_server(target: Callable[[Any, Connection], None], options: Any) -> Iterator[int]:
    """Run `target(options, port_out)` in its own process; yield the port it serves on."""
    context = multiprocessing.get_context("spawn")
    port_in, port_out = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(options, port_out), daemon=True)
    process.start()
    port_out.close()
    try:
        if not port_in.poll(60):
            raise RuntimeError("the fakes did not start within 60 s")
        yield int(port_in.recv())
    finally:
        port_in.close()
        process.join(10)
        process.terminate()  # if it is still there


def fakes_server(options: Options) -> contextlib.AbstractContextManager[int]:
    """Run the fakes in their own process; yield their port (the sweep stops them)."""
    return child_server(fakes_process, options)


# --- wrappers around the sweep's ports (--breakdown) and users' traffic (--chat-writes) -----


@dataclass
class Timings:
    """How long each call through the sweep's ports took, by kind."""

    took: dict[str, list[float]] = field(default_factory=dict)

    @asynccontextmanager
    async def timed(self, kind: str) -> AsyncIterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.took.setdefault(kind, []).append(time.monotonic() - started)

    def report(self) -> list[str]:
        lines = []
        for kind, took in self.took.items():
            ms = [value * 1000 for value in sorted(took)]
            lines.append(
                f"  {kind}: {len(ms):,}, {sum(took):.2f} s in all; mean {statistics.fmean(ms):.1f}"
                f" ms, p50 {ms[len(ms) // 2]:.1f}, p99 {ms[int(len(ms) * 0.99)]:.1f},"
                f" max {ms[-1]:.1f}"
            )
        return lines


@dataclass
class TimedPoints:
    """A PointsGateway that times each fetch."""

    inner: PointsGateway
    timings: Timings

    async def customer_points(self, customer_id: str) -> CustomerPoints:
        async with self.timings.timed("points fetches"):
            return await self.inner.customer_points(customer_id)


@dataclass
class TimedNotifier:
    """A Notifier that times each send."""

    inner: Notifier
    timings: Timings
    channel: str = CHANNEL

    async def send(self, chat_id: str, reply: Reply) -> None:
        async with self.timings.timed("notifier sends"):
            await self.inner.send(chat_id, reply)


@dataclass
class TimedStore:
    """A Store that times each unit of work, by whether it writes."""

    inner: Store
    timings: Timings

    @asynccontextmanager
    async def unit_of_work(self, *, writes: bool = True) -> AsyncIterator[UnitOfWork]:
        kind = "writing units of work" if writes else "reading units of work"
        async with self.timings.timed(kind), self.inner.unit_of_work(writes=writes) as uow:
            yield uow

    async def sighting(self, profile: UserProfile, chat_id: str | None, now: datetime) -> Sighting:
        """Untimed: the sweep never reads sightings."""
        return await self.inner.sighting(profile, chat_id, now)


async def chat_traffic(store: Store, options: Options, counts: dict[str, int]) -> None:
    """Users write to the bot `options.chat_writes` times a second, as under `python -m bot run`.

    Each write is what a message does first: `users.seen` in its own unit of work, committed.
    """
    index = 0
    while options.chat_writes:
        await asyncio.sleep(1 / options.chat_writes)
        index = (index + 7919) % options.customers  # a prime stride visits everyone
        user_id = USER_ID_BASE + index
        try:
            async with store.unit_of_work() as uow:
                await uow.users.seen(UserProfile(CHANNEL, str(user_id)), str(user_id), utc_now())
                await uow.commit()
            counts["written"] += 1
        except SQLAlchemyError:
            counts["failed"] += 1


# --- one run --------------------------------------------------------------------------------


@dataclass
class Result:
    """One run's figures."""

    backend: str
    settings: str
    summary: SweepSummary
    wall: float
    fakes: dict[str, dict[str, int]]
    traffic: dict[str, int]
    breakdown: list[str]
    peak_rss_kib: int = 0
    populate_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


async def run_sweep(options: Options, url: str, port: int) -> Result:
    """Run one sweep the way `python -m bot remind` does; return its figures."""
    settings = load_settings(
        telegram_bot_token=BOT_TOKEN,
        telegram_api_base_url=f"http://127.0.0.1:{port}/bot",
        bonifiq_base_url=f"http://127.0.0.1:{port}",
        bonifiq_api_token=API_TOKEN,
        bonifiq_api_key=API_KEY,
        database_url=url,
        bot_timezone=TIMEZONE,
        log_level=options.log_level,
        **options.bot_settings(),
    )
    setup_logging(settings.log_level, settings.secrets())
    await upgrade_to_head(settings.database_url)  # as run_reminders does; nothing to apply
    timings = Timings()
    async with open_services(settings) as services:
        application = build_application(
            BOT_TOKEN,
            settings.telegram_api_base_url,
            services.conversation,
            utc_now,
            updater=False,
            send_rate=settings.telegram_send_rate,
        )
        async with application:
            notifier: Notifier = TelegramNotifier(application.bot)
            if options.breakdown:
                notifier = TimedNotifier(notifier, timings)
            sweeper = build_sweeper(settings, services, notifier)
            if options.batch_size is not None:
                sweeper.batch_size = options.batch_size
            if options.breakdown:
                sweeper.points = TimedPoints(sweeper.points, timings)
                sweeper.store = TimedStore(sweeper.store, timings)
            traffic = dict.fromkeys(("written", "failed"), 0)
            writer = asyncio.create_task(chat_traffic(services.store, options, traffic))
            started = time.monotonic()
            try:
                summary = await sweeper.sweep(utc_now())
            finally:
                wall = time.monotonic() - started
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/_shutdown") as response,
    ):
        fakes: dict[str, dict[str, int]] = await response.json()
    return Result(
        backend=services.engine.dialect.name,
        settings=f"TELEGRAM_SEND_RATE={settings.telegram_send_rate:g},"
        f" REMINDER_SENDERS={settings.reminder_senders},"
        f" BONIFIQ_MAX_CONCURRENCY={settings.bonifiq_max_concurrency}",
        summary=summary,
        wall=wall,
        fakes=fakes,
        traffic=traffic,
        breakdown=timings.report(),
    )


def run_once(options: Options) -> Result:
    """Build the database and the fakes, run one sweep, and check what it sent."""
    with fresh_database(options.database_url) as url:
        print(f"loading {options.customers:,} linked customers ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        loader = multiprocessing.get_context("spawn").Process(
            target=populate_process, args=(url, options.customers, not options.no_analyze)
        )
        loader.start()
        loader.join()
        if loader.exitcode != 0:
            raise SystemExit(f"loading the population failed (exit code {loader.exitcode})")
        populate_seconds = time.monotonic() - started
        with fakes_server(options) as port:
            print("sweeping ...", file=sys.stderr, flush=True)
            result = asyncio.run(run_sweep(options, url, port))
    result.populate_seconds = populate_seconds
    result.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    expected, sent, bot = options.expected, result.summary.sent, result.fakes["bot"]
    failed_writes = result.traffic["failed"]
    checks = {
        f"the sweep reports {sent} sent, expected {expected}": sent != expected,
        f"the Bot API got {bot['delivered']} reminders": bot["delivered"] != expected,
        f"{bot['duplicates']} chats got a second reminder": bot["duplicates"] > 0,
        f"{bot['unexpected']} reminders went to chats not due": bot["unexpected"] > 0,
        f"{failed_writes} users' writes failed during the sweep": failed_writes > 0,
    }
    result.problems = [problem for problem, wrong in checks.items() if wrong]
    return result


def report(options: Options, result: Result) -> str:
    """Return the human-readable report of one run."""
    ms, cap, rate = options.latency_ms, options.api_concurrency, options.send_rate
    fetch_floor = options.customers * ms / 1000 / cap
    send_floor = options.expected / rate
    floor = max(fetch_floor, send_floor)
    ratio = result.wall / floor if floor else math.inf
    met = "met" if ratio <= SPEED_TARGET else "MISSED"
    correct = "correct" if not result.problems else "WRONG: " + "; ".join(result.problems)
    bot, points = result.fakes["bot"], result.fakes["points"]
    bot_latency = f", {options.bot_latency_ms:g} ms" if options.bot_latency_ms else ""
    lines = [
        f"reminder sweep benchmark ({result.backend}; points API {ms:g} ms, cap {cap};"
        f" Bot API {rate:g} msg/s{bot_latency})",
        f"bot settings:      {result.settings}",
        f"customers:         {options.customers:,} linked, due fraction {options.due_fraction}"
        f" (loaded in {result.populate_seconds:.1f} s)",
        f"reminders sent:    {result.summary.sent:,} (expected {options.expected:,}): {correct}",
        f"sweep summary:     {result.summary.line()}",
        f"Bot API 429s:      {bot['throttled']:,} (sendMessage calls {bot['messages']:,})",
        f"points API 429s:   {points['throttled']:,} (requests {points['requests']:,},"
        f" peak in flight {points['peak']})",
    ]
    if options.chat_writes:
        traffic = result.traffic
        lines.append(
            f"users' writes:     {options.chat_writes:g}/s during the sweep;"
            f" {traffic['failed']:,} of {traffic['written'] + traffic['failed']:,} failed"
        )
    lines += [
        f"wall time:         {result.wall:.2f} s",
        f"floor:             {floor:.2f} s = max({options.customers:,} x {ms:g} ms / {cap} ="
        f" {fetch_floor:.2f} s, {options.expected:,} / {rate:g} per s = {send_floor:.2f} s)",
        f"wall / floor:      {ratio:.3f} (target <= {SPEED_TARGET}: {met})",
        f"peak RSS:          {result.peak_rss_kib / 1024:.1f} MiB",
    ]
    if options.batch_size is not None:
        lines.append(f"not as shipped:    ReminderSweep.batch_size={options.batch_size}")
    if options.no_analyze and result.backend == "postgresql":
        lines.append("statistics:        none (tables never analyzed, autovacuum off on them)")
    if result.breakdown:
        lines += ["breakdown:", *result.breakdown]
    return "\n".join(lines)


def page_check(options: Options) -> int:
    """Time every page of the sweep's target query, on tables never analyzed and analyzed."""
    batch = options.batch_size or BATCH_SIZE
    medians: dict[bool, float] = {}
    for analyze in (False, True):
        with fresh_database(options.database_url) as url:
            loader = multiprocessing.get_context("spawn").Process(
                target=populate_process, args=(url, options.customers, analyze)
            )
            loader.start()
            loader.join()
            if loader.exitcode != 0:
                raise SystemExit(f"loading the population failed (exit code {loader.exitcode})")
            took = asyncio.run(time_pages(url, batch))
        ms = sorted(value * 1000 for value in took)
        medians[analyze] = statistics.median(ms)
        label = "analyzed      " if analyze else "never analyzed"
        print(
            f"{label}: {len(ms)} pages of {batch}, median {medians[analyze]:.2f} ms,"
            f" p99 {ms[int(len(ms) * 0.99)]:.2f}, max {ms[-1]:.2f}, all {sum(ms) / 1000:.2f} s",
            flush=True,
        )
    print(f"never analyzed / analyzed, median page: {medians[False] / medians[True]:.2f}")
    return 0


async def time_pages(url: str, batch: int) -> list[float]:
    """Page through every target as the sweep does; return each page's seconds."""
    engine = create_engine(url)
    store = SqlStore(create_session_factory(engine))
    took: list[float] = []
    after: str | None = None
    try:
        while True:
            started = time.perf_counter()
            async with store.unit_of_work(writes=False) as uow:
                page = await uow.reminders.targets(CHANNEL, after, batch)
            took.append(time.perf_counter() - started)
            if page.next_after is None:
                return took
            after = page.next_after
    finally:
        await engine.dispose()


def memory_check(customers: int, arguments: list[str]) -> int:
    """Run N/5 and N, each in its own process, and compare their peak RSS."""
    peaks: list[tuple[int, float]] = []
    status = 0
    for size in (max(1, customers // 5), customers):
        command = [sys.executable, str(Path(__file__).resolve()), *arguments]
        command += ["--customers", str(size)]  # the last --customers wins
        child = subprocess.run(command, check=False, stdout=subprocess.PIPE, text=True)
        print(child.stdout, flush=True)
        status = status or child.returncode
        peak = re.search(r"^peak RSS: +([\d.]+) MiB$", child.stdout, re.MULTILINE)
        if peak is None:
            return status or 1
        peaks.append((size, float(peak[1])))
    (small, small_mib), (large, large_mib) = peaks
    ratio = large_mib / small_mib
    verdict = "flat" if ratio <= FLAT_MEMORY else "GROWS with N"
    print(
        f"memory check:      peak RSS {small_mib:.1f} MiB at {small:,} customers,"
        f" {large_mib:.1f} MiB at {large:,}; ratio {ratio:.3f}"
        f" ({verdict}; flat means <= {FLAT_MEMORY})"
    )
    return status


# --- command line ---------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    parser = argparse.ArgumentParser(
        prog="benchmarks/reminder_sweep.py",
        description="Time one full reminder sweep against local fakes (see README.md).",
        allow_abbrev=False,
    )
    add = parser.add_argument
    add("--customers", type=int, default=10_000, metavar="N", help="default 10000")
    add("--due-fraction", type=Fraction, default=Fraction(1, 10), help="default 0.1")
    add("--latency-ms", type=float, default=20.0, help="points API answer time (default 20)")
    add("--api-concurrency", type=int, default=16, help="points API cap; BONIFIQ_MAX_CONCURRENCY")
    add("--send-rate", type=float, default=30.0, help="fake Bot API msg/s (default 30)")
    add("--bot-latency-ms", type=float, default=0.0, help="sendMessage answer time (default 0)")
    add("--client-send-rate", type=float, help="TELEGRAM_SEND_RATE (default: the bot's)")
    add("--senders", type=int, help="REMINDER_SENDERS (default: the bot's)")
    add("--batch-size", type=int, help="ReminderSweep.batch_size (not a setting; default 500)")
    add("--chat-writes", type=float, default=0.0, metavar="PER_SECOND", help="users' writes")
    add("--database-url", help="a PostgreSQL server (default: a temporary SQLite file)")
    add("--no-analyze", action="store_true", help="PostgreSQL: sweep tables never analyzed")
    add("--memory-check", action="store_true", help="run N/5 and N and compare peak RSS")
    add("--pages", action="store_true", help="time the sweep's page queries, stats or none")
    add("--breakdown", action="store_true", help="time the sweep's calls through its ports")
    add("--log-level", default="WARNING", help="the bot's LOG_LEVEL (default WARNING)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command_line = parser()
    args = command_line.parse_args(arguments)
    options = Options(**{option.name: getattr(args, option.name) for option in fields(Options)})
    positive = (options.customers, options.send_rate, options.batch_size or 1)
    not_negative = (options.latency_ms, options.bot_latency_ms, options.chat_writes)
    if min(positive) <= 0 or min(not_negative) < 0 or not 0 <= options.due_fraction <= 1:
        command_line.error("sizes and rates must be above 0, times not negative, fractions <= 1")
    try:
        load_settings(**options.bot_settings())  # the bot's own limits, before any work
    except ConfigError as exc:
        command_line.error(str(exc))
    if args.memory_check:
        rest = [argument for argument in arguments if argument != "--memory-check"]
        return memory_check(options.customers, rest)
    if args.pages:
        return page_check(options)
    logging.captureWarnings(True)
    result = run_once(options)
    print(report(options, result), flush=True)
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
