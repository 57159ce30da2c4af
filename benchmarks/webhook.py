"""Updates per second and CPU per update: the webhook path against long polling, in one run.

    .venv/bin/python -m benchmarks.webhook                    # 2,000 /saldo from 200 users
    .venv/bin/python -m benchmarks.webhook --send-rate 29     # the shipped TELEGRAM_SEND_RATE

The bot runs here, built as `python -m bot webhook` and `python -m bot run` build it; a child
process serves a fake points API and a fake Bot API on one port, and plays Telegram: it POSTs
the updates to the webhook (at most `--connections` at once, as Telegram's max_connections) or
hands them out through getUpdates, 100 at a time. A phase ends when every update has its
reply. CPU is this process's (the bot's) user + system time. Exit status 1 unless every update
got exactly one reply, with the balance. See README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks.reminder_sweep import (
    child_server,
    fresh_database,
    points_payload,
    serve_until_shutdown,
)
from bot.bootstrap import Services, open_services
from bot.channels.telegram import ALLOWED_UPDATES, BotApplication, build_application
from bot.config import Settings, load_settings
from bot.core.models import UserProfile
from bot.db.migrate import upgrade_to_head
from bot.logs import setup_logging
from bot.web.app import create_web_app
from bot.web.server import serving
from bot.web.telegram import SECRET_HEADER, register_webhook, webhook_path

BOT_TOKEN = "4242424242:benchmark-bot-token"
API_TOKEN = "benchmark-api-token"
API_KEY = "benchmark-api-key"
SECRET = "benchmark-webhook-secret"
USER_ID_BASE = 700_000_000
GET_UPDATES_LIMIT = 100


@dataclass(frozen=True)
class Options:
    """What to run; see `parser()`."""

    updates: int
    users: int
    latency_ms: float
    connections: int
    send_rate: float
    database_url: str | None
    log_level: str


def update(number: int, user_id: int) -> dict[str, Any]:
    """Return a private `/saldo` message update."""
    return {
        "update_id": number,
        "message": {
            "message_id": number,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Cliente"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Cliente"},
            "text": "/saldo",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


# --- the fakes: points API, Bot API and Telegram's side of the webhook --------------------


class Fakes:
    """Answers the bot's calls, counts its replies, and delivers updates either way."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.body = points_payload(datetime.now(UTC).replace(year=datetime.now(UTC).year + 1))
        self.replies: Counter[int] = Counter()
        self.balances = 0
        self.expected = 0
        self.done = asyncio.Event()
        self.pending: list[dict[str, Any]] = []
        self.numbers = itertools.count(1)

    def batch(self) -> list[dict[str, Any]]:
        """Return the next phase's updates, spread evenly over the users."""
        count, users = self.options.updates, self.options.users
        return [update(next(self.numbers), USER_ID_BASE + i % users) for i in range(count)]

    def start_phase(self, count: int) -> None:
        self.replies.clear()
        self.balances = 0
        self.expected = count
        self.done.clear()

    async def customer_points(self, _request: web.Request) -> web.Response:
        await asyncio.sleep(self.options.latency_ms / 1000)
        return web.Response(body=self.body, content_type="application/json")

    async def bot_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            me = {"id": 4242424242, "is_bot": True, "first_name": "Bench", "username": "b_bot"}
            return web.json_response({"ok": True, "result": me})
        if method == "getUpdates":
            handed, self.pending = (
                self.pending[:GET_UPDATES_LIMIT],
                self.pending[GET_UPDATES_LIMIT:],
            )
            if not handed:
                await asyncio.sleep(0.05)  # a long poll with nothing to give
            return web.json_response({"ok": True, "result": handed})
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        params = await request.post()
        chat_id = int(str(params["chat_id"]))
        self.replies[chat_id] += 1
        self.balances += "1.234 pontos" in str(params.get("text", ""))
        if sum(self.replies.values()) >= self.expected:
            self.done.set()
        message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
        }
        return web.json_response({"ok": True, "result": message})

    async def push(self, request: web.Request) -> web.Response:
        """Play Telegram's webhook: POST every update, `connections` at a time."""
        url = (await request.json())["url"]
        updates = self.batch()
        self.start_phase(len(updates))
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for item in updates:
            queue.put_nowait(item)
        refused = 0

        async def connection(session: aiohttp.ClientSession) -> None:
            nonlocal refused
            while not queue.empty():
                item = queue.get_nowait()
                async with session.post(url, json=item, headers={SECRET_HEADER: SECRET}) as r:
                    refused += r.status != 200

        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(connection(session) for _ in range(self.options.connections)))
        await self.done.wait()
        return web.json_response(self.phase_result(refused))

    async def poll(self, _request: web.Request) -> web.Response:
        """Queue every update for getUpdates; answer when each has its reply."""
        updates = self.batch()
        self.start_phase(len(updates))
        self.pending = updates
        await self.done.wait()
        return web.json_response(self.phase_result(0))

    def phase_result(self, refused: int) -> dict[str, int]:
        per_user = self.expected // self.options.users
        wrong = sum(1 for count in self.replies.values() if count != per_user)
        return {
            "replies": sum(self.replies.values()),
            "balances": self.balances,
            "users_wrong": wrong,
            "refused": refused,
        }

    async def serve(self, port_out: Connection) -> None:
        """Serve until `POST /_shutdown`."""
        app = web.Application()
        app.router.add_get("/v1/pvt/Customer/{id}/points", self.customer_points)
        app.router.add_post("/bot{token}/{method}", self.bot_method)
        app.router.add_post("/_push", self.push)
        app.router.add_post("/_poll", self.poll)
        await serve_until_shutdown(app, port_out, dict)


def fakes_process(options: Options, port_out: Connection) -> None:
    """Process entry point: serve the fakes, sending the port through `port_out`."""
    asyncio.run(Fakes(options).serve(port_out))


# --- the bot, as `webhook` and `run` build it ----------------------------------------------


@dataclass
class Phase:
    """What one path did."""

    name: str
    wall: float
    cpu: float
    counts: dict[str, int]


def settings_for(options: Options, url: str, port: int) -> Settings:
    base = f"http://127.0.0.1:{port}"
    return load_settings(
        telegram_bot_token=BOT_TOKEN,
        telegram_api_base_url=f"{base}/bot",
        bonifiq_base_url=base,
        bonifiq_api_token=API_TOKEN,
        bonifiq_api_key=API_KEY,
        database_url=url,
        webhook_url="https://bot.example",
        webhook_secret=SECRET,
        log_level=options.log_level,
    )


def telegram(
    settings: Settings, services: Services, options: Options, *, updater: bool
) -> BotApplication:
    """Build the application as `bootstrap.build_telegram` does, with `--send-rate`."""
    return build_application(
        BOT_TOKEN,
        settings.telegram_api_base_url,
        services.conversation,
        lambda: datetime.now(UTC),
        updater=updater,
        send_rate=options.send_rate,
        metrics=services.metrics,
    )


async def link_users(url: str, users: int) -> None:
    await upgrade_to_head(url)
    async with open_services(settings_for_links(url)) as services:
        store = services.store
        now = datetime.now(UTC)
        async with store.unit_of_work() as uow:
            for index in range(users):
                user_id = USER_ID_BASE + index
                await uow.users.seen(
                    UserProfile("telegram", str(user_id), "Cliente"), str(user_id), now
                )
                await uow.links.link("telegram", str(user_id), f"bench-{index}", None, now)
            await uow.commit()


def settings_for_links(url: str) -> Settings:
    return load_settings(bonifiq_api_token=API_TOKEN, bonifiq_api_key=API_KEY, database_url=url)


@asynccontextmanager
async def measured(name: str, phases: list[Phase]) -> AsyncIterator[dict[str, int]]:
    counts: dict[str, int] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    yield counts
    phases.append(Phase(name, time.perf_counter() - wall, time.process_time() - cpu, counts))


async def webhook_phase(options: Options, url: str, port: int, phases: list[Phase]) -> None:
    settings = settings_for(options, url, port)
    async with open_services(settings) as services:
        application = telegram(settings, services, options, updater=False)
        app = create_web_app(services, telegram_application=application, webhook_secret=SECRET)
        async with application:
            await application.start()
            try:
                async with (
                    serving(app, 0, host="127.0.0.1") as bound,
                    aiohttp.ClientSession() as s,
                ):
                    await register_webhook(application, "https://bot.example", SECRET)
                    target = f"http://127.0.0.1:{bound}{webhook_path(SECRET)}"
                    async with (
                        measured("webhook", phases) as counts,
                        s.post(f"http://127.0.0.1:{port}/_push", json={"url": target}) as r,
                    ):
                        counts.update(await r.json())
            finally:
                await application.stop()


async def polling_phase(options: Options, url: str, port: int, phases: list[Phase]) -> None:
    settings = settings_for(options, url, port)
    async with open_services(settings) as services:
        application = telegram(settings, services, options, updater=True)
        async with application, aiohttp.ClientSession() as session:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(
                poll_interval=0, timeout=1, allowed_updates=list(ALLOWED_UPDATES)
            )
            try:
                poll = session.post(f"http://127.0.0.1:{port}/_poll")
                async with measured("long polling", phases) as counts, poll as response:
                    counts.update(await response.json())
            finally:
                await application.updater.stop()
                await application.stop()


async def run_phases(options: Options, url: str, port: int) -> list[Phase]:
    await link_users(url, options.users)
    phases: list[Phase] = []
    await webhook_phase(options, url, port, phases)
    await polling_phase(options, url, port, phases)
    async with aiohttp.ClientSession() as session:
        await session.post(f"http://127.0.0.1:{port}/_shutdown")
    return phases


def report(options: Options, phases: list[Phase]) -> tuple[str, bool]:
    lines = [
        f"webhook vs long polling ({options.updates:,} /saldo from {options.users:,} users;"
        f" points API {options.latency_ms:g} ms; send rate {options.send_rate:g}/s"
        f"{'' if options.send_rate == 29 else ' (not as shipped: TELEGRAM_SEND_RATE is 29)'};"
        f" {options.connections} webhook connections)",
    ]
    correct = True
    for phase in phases:
        counts = phase.counts
        ok = (
            counts.get("replies") == options.updates
            and counts.get("balances") == options.updates
            and counts.get("users_wrong") == 0
            and counts.get("refused") == 0
        )
        correct = correct and ok
        lines.append(
            f"{phase.name:<13} {options.updates / phase.wall:8.1f} updates/s"
            f"   {phase.cpu / options.updates * 1000:6.2f} ms CPU per update"
            f"   wall {phase.wall:6.2f} s   replies {counts.get('replies', 0):,}"
            f" ({'correct' if ok else 'WRONG: ' + json.dumps(counts)})"
        )
    return "\n".join(lines), correct


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.webhook",
        description="Updates/s and CPU per update, webhook against long polling (README.md).",
        allow_abbrev=False,
    )
    add = parser.add_argument
    add("--updates", type=int, default=2_000, help="updates per path (default 2000)")
    add("--users", type=int, default=200, help="users sending them, evenly (default 200)")
    add("--latency-ms", type=float, default=20.0, help="points API answer time (default 20)")
    add("--connections", type=int, default=40, help="webhook POSTs at once (default 40)")
    add("--send-rate", type=float, default=10_000.0, help="the bot's send limit (default 10000)")
    add("--database-url", help="a PostgreSQL server (default: a temporary SQLite file)")
    add("--log-level", default="WARNING", help="the bot's LOG_LEVEL (default WARNING)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    options = Options(**vars(args))
    if options.updates % options.users:
        parser().error("--updates must be a multiple of --users")
    setup_logging(options.log_level, [BOT_TOKEN, API_KEY, SECRET], log_format="text")
    with fresh_database(options.database_url) as url, child_server(fakes_process, options) as port:
        phases = asyncio.run(run_phases(options, url, port))
    text, correct = report(options, phases)
    print(text, flush=True)
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
