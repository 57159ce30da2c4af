"""CPU per /saldo: the bot as `python -m bot run` builds it, against a bare python-telegram-bot.

    .venv/bin/python -m benchmarks.saldo                     # SQLite, 300 users, 3 rounds
    .venv/bin/python -m benchmarks.saldo --database-url postgresql+asyncpg://postgres@127.0.0.1/postgres
    .venv/bin/python -m benchmarks.saldo --memory            # RSS after 1,000 and 10,000 users

A child process serves a fake Bot API (getUpdates hands out injected updates, sendMessage is
recorded) and a fake points API (no latency) on one port. The bot runs as its own process,
`python -m bot run`, configured by environment variables only; the reference is
`benchmarks/bare_bot.py`, also its own process. Both read the same fakes and the same users.

First an admin links `--link-users` users with `/vincular` (its rate is printed), and the
`--users` who will ask open the bot with `/start`. Then each round runs both bots, alternating
which goes first: `--users` distinct linked users send one `/saldo` each in a burst, then again
at `--rate` per second. CPU is the bot process's user + system time, all threads, from /proc,
over the phase. Latency runs from the moment an update is available to getUpdates to the moment
its sendMessage arrives. The last line is the median ratio of CPU per /saldo at the steady
rate, project / bare. Exit status 1 unless every update got exactly one reply with the balance.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks.bare_bot import USER_ID_BASE
from benchmarks.reminder_sweep import (
    child_server,
    fresh_database,
    points_payload,
    serve_until_shutdown,
)
from benchmarks.reminder_sweep import populate as populate_reminders
from bot.bonifiq.client import basic_authorization

BOT_TOKEN = "4242424242:benchmark-bot-token"
API_TOKEN = "benchmark-api-token"
API_KEY = "benchmark-api-key"
ADMIN_ID = 4242
GET_UPDATES_LIMIT = 100
LONG_POLL_CAP = 5.0
"""Seconds the fake holds an empty getUpdates at most (the bot asks for 10)."""
BALANCE = "1.234 pontos"
CPU_TARGET = 1.5
LATENCY_TARGET_MS = 5.0
MEMORY_TARGET_MB = 20.0
TICKS = os.sysconf("SC_CLK_TCK")
MEMORY_BASE = 500_000_000
"""User id of customer 0 in the population `--memory` loads (the reminder benchmark's)."""


@dataclass(frozen=True)
class Options:
    """What to run; see `parser()`."""

    users: int
    link_users: int
    rate: float
    rounds: int
    send_rate: float
    database_url: str | None
    memory: bool
    memory_users: int
    profile: str | None
    log_level: str


def message_update(number: int, user_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """Return a private message update with a command at its start."""
    command = text.split(maxsplit=1)[0]
    return {
        "update_id": number,
        "message": {
            "message_id": number,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Cliente"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Cliente"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
    }


# --- the fakes ------------------------------------------------------------------------------


@dataclass
class PhaseState:
    """What the fakes know about the phase being run."""

    expected: int = 0
    injected: dict[int, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    replies: int = 0
    balances: int = 0
    repeated: int = 0
    first: float = 0.0
    last: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Fakes:
    """The Bot API and the points API, and the controls that inject updates."""

    def __init__(self) -> None:
        self.body = points_payload(datetime.now(UTC).replace(year=datetime.now(UTC).year + 1))
        self.available: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.last_poll = 0.0
        self.polled = asyncio.Event()
        self.numbers = itertools.count(1)
        self.phase = PhaseState()
        self.authorization = basic_authorization(API_TOKEN, API_KEY)

    async def customer_points(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != self.authorization:
            return web.json_response({"Message": "Authorization has been denied."}, status=401)
        return web.Response(body=self.body, content_type="application/json")

    async def bot_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            me = {"id": 4242424242, "is_bot": True, "first_name": "Bench", "username": "b_bot"}
            return web.json_response({"ok": True, "result": me})
        if method == "getUpdates":
            return await self.get_updates(request)
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        params = await request.post()
        now = time.monotonic()
        chat_id = int(str(params["chat_id"]))
        phase = self.phase
        phase.replies += 1
        phase.last = now
        phase.balances += BALANCE in str(params.get("text", ""))
        injected = phase.injected.pop(chat_id, None)
        if injected is not None:
            phase.latencies.append(now - injected)
        elif chat_id != ADMIN_ID:
            phase.repeated += 1
        if phase.replies >= phase.expected:
            phase.done.set()
        message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
        }
        return web.json_response({"ok": True, "result": message})

    async def get_updates(self, request: web.Request) -> web.Response:
        self.last_poll = time.monotonic()
        self.polled.set()
        params = await request.post()
        wait = min(float(str(params.get("timeout", 0) or 0)), LONG_POLL_CAP)
        deadline = time.monotonic() + wait
        while not self.available:
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    await self.arrived.wait()
            if time.monotonic() >= deadline and not self.available:
                break
        if request.transport is None or request.transport.is_closing():
            return web.json_response({"ok": True, "result": []})  # a bot that went away
        handed = self.available[:GET_UPDATES_LIMIT]
        del self.available[:GET_UPDATES_LIMIT]
        return web.json_response({"ok": True, "result": handed})

    async def ready(self, request: web.Request) -> web.Response:
        """Answer once a bot started after `since` (monotonic seconds) asked for updates."""
        since = float((await request.json())["since"])
        while self.last_poll <= since:
            self.polled.clear()
            await self.polled.wait()
        return web.json_response({})

    async def run_phase(self, request: web.Request) -> web.Response:
        """Make updates available (all at once, or `rate` per second); answer the figures."""
        spec = await request.json()
        kind, first, count, rate = spec["kind"], spec["first"], spec["count"], spec["rate"]
        base = spec.get("base", USER_ID_BASE)
        phase = self.phase = PhaseState(expected=count)
        started = time.monotonic()
        phase.first = started
        for index in range(count):
            if rate:
                await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
            user = base + first + index
            if kind in ("saldo", "start"):
                item = message_update(next(self.numbers), user, user, f"/{kind}")
                phase.injected[user] = time.monotonic()
            else:
                text = f"/vincular {user} bench-{first + index:08d}"
                item = message_update(next(self.numbers), ADMIN_ID, ADMIN_ID, text)
            self.available.append(item)
            self.arrived.set()
        try:
            async with asyncio.timeout(spec.get("timeout", 600)):
                await phase.done.wait()
        except TimeoutError:
            pass
        return web.json_response(
            {
                "replies": phase.replies,
                "balances": phase.balances,
                "repeated": phase.repeated,
                "latencies": phase.latencies,
                "wall": phase.last - phase.first,
            }
        )

    async def serve(self, port_out: Connection) -> None:
        app = web.Application()
        app.router.add_get("/v1/pvt/Customer/{id}/points", self.customer_points)
        app.router.add_post("/bot{token}/{method}", self.bot_method)
        app.router.add_post("/_ready", self.ready)
        app.router.add_post("/_phase", self.run_phase)
        await serve_until_shutdown(app, port_out, dict)


def fakes_process(_options: object, port_out: Connection) -> None:
    """Process entry point: serve the fakes, sending the port through `port_out`."""
    asyncio.run(Fakes().serve(port_out))


# --- the two bots, as processes -------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """Return the process's user + system CPU time, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_mb(pid: int, key: str) -> float:
    """Return VmRSS or VmHWM (peak) of the process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{key} not found")


def project_command(
    options: Options, url: str, port: int, send_rate: float
) -> tuple[list[str], dict[str, str]]:
    """Return `python -m bot run` and the environment that configures it, nothing else."""
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not _bot_setting(key)}
    env |= {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_BASE_URL": f"{base}/bot",
        "BONIFIQ_BASE_URL": base,
        "BONIFIQ_API_TOKEN": API_TOKEN,
        "BONIFIQ_API_KEY": API_KEY,
        "DATABASE_URL": url,
        "ADMIN_IDS": str(ADMIN_ID),
        "REMINDER_TIME": "off",
        "TELEGRAM_SEND_RATE": f"{send_rate:g}",
        "LOG_LEVEL": options.log_level,
        "LOG_FORMAT": "text",
    }
    return [sys.executable, "-m", "bot", "run"], env


def _bot_setting(name: str) -> bool:
    prefixes = ("TELEGRAM_", "BONIFIQ_", "DATABASE_URL", "ADMIN_", "REMINDER_", "LOG_", "PORT")
    return name.startswith(prefixes) or name in ("BOT_TIMEZONE", "METRICS_TOKEN")


def bare_command(port: int) -> tuple[list[str], dict[str, str]]:
    base = f"http://127.0.0.1:{port}"
    script = str(Path(__file__).with_name("bare_bot.py"))
    authorization = basic_authorization(API_TOKEN, API_KEY)
    command = [sys.executable, script, BOT_TOKEN, f"{base}/bot", base, authorization]
    return command, dict(os.environ)


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], port: int) -> Iterator[int]:
    """Start a bot process in an empty folder (no `.env`); stop it with SIGTERM after."""
    since = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="saldo-bench-") as folder:
        process = subprocess.Popen(command, env=env, cwd=folder)
        try:
            control(port, "_ready", {"since": since}, timeout=120)
            yield process.pid
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def control(port: int, path: str, body: dict[str, Any], timeout: float = 900) -> Any:
    """POST a control request to the fakes and return its JSON answer."""

    async def call() -> Any:
        limit = aiohttp.ClientTimeout(total=timeout)
        async with (
            aiohttp.ClientSession(timeout=limit) as session,
            session.post(f"http://127.0.0.1:{port}/{path}", json=body) as response,
        ):
            return await response.json()

    return asyncio.run(call())


@dataclass
class Measured:
    """One phase of one bot."""

    bot: str
    phase: str
    updates: int
    cpu: float
    wall: float
    latencies: list[float]
    replies: int
    balances: int
    repeated: int
    peak_rss: float = 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.updates * 1000

    def latency_ms(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000

    def correct(self, balance_expected: bool = True) -> bool:
        balances_ok = self.balances == self.updates or not balance_expected
        return self.replies == self.updates and balances_ok and self.repeated == 0


def phase(pid: int, port: int, bot: str, name: str, spec: dict[str, Any]) -> Measured:
    """Run one phase against the running bot `pid`; return its figures."""
    before = cpu_seconds(pid)
    answer = control(port, "_phase", spec)
    time.sleep(0.2)  # let the last reply's bookkeeping (metrics, commits) finish
    cpu = cpu_seconds(pid) - before
    return Measured(
        bot,
        name,
        spec["count"],
        cpu,
        answer["wall"],
        answer["latencies"],
        answer["replies"],
        answer["balances"],
        answer["repeated"],
    )


def saldo_phases(options: Options, pid: int, port: int, bot: str) -> list[Measured]:
    burst = {"kind": "saldo", "first": 0, "count": options.users, "rate": 0}
    steady = burst | {"rate": options.rate}
    results = [phase(pid, port, bot, "burst", burst)]
    with profiled(options.profile if bot == "project" else None, pid):
        results.append(phase(pid, port, bot, "steady", steady))
    for result in results:
        result.peak_rss = memory_mb(pid, "VmHWM")
    return results


@contextlib.contextmanager
def profiled(path: str | None, pid: int) -> Iterator[None]:
    """Sample every thread of `pid` with py-spy into `path` (collapsed stacks), once."""
    if path is None or Path(path).exists():
        yield
        return
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "--pid", str(pid), "--format", "raw", "--output", path]
    sampler = subprocess.Popen([*command, "--rate", "250", "--nonblocking"])
    time.sleep(1)  # py-spy attaches
    try:
        yield
    finally:
        sampler.send_signal(signal.SIGINT)
        sampler.wait(30)


def link_phase(options: Options, url: str, port: int) -> tuple[Measured, Measured]:
    """An admin links `--link-users` users with /vincular, as fast as the bot answers.

    None of them wrote to the bot before. The `--users` who will ask for their balance then
    open it with /start, as users must before the bot may write to them; otherwise the first
    /saldo of each would also bring the notice that the store linked them.
    """
    command, env = project_command(options, url, port, options.send_rate)
    with running(command, env, port) as pid:
        spec = {"kind": "vincular", "first": 0, "count": options.link_users, "rate": 0}
        linked = phase(pid, port, "project", "vincular", spec)
        spec = {"kind": "start", "first": 0, "count": options.users, "rate": 0}
        return linked, phase(pid, port, "project", "start", spec)


def run(options: Options, url: str, port: int) -> tuple[tuple[Measured, Measured], list[Measured]]:
    """Link and open, then the rounds; return the /vincular and /start phases and the rest."""
    linking = link_phase(options, url, port)
    results: list[Measured] = []
    for round_number in range(options.rounds):
        order = ["project", "bare"] if round_number % 2 == 0 else ["bare", "project"]
        for bot in order:
            if bot == "project":
                command, env = project_command(options, url, port, options.send_rate)
            else:
                command, env = bare_command(port)
            with running(command, env, port) as pid:
                results += saldo_phases(options, pid, port, bot)
        print(f"round {round_number + 1} of {options.rounds} done", file=sys.stderr, flush=True)
    return linking, results


def report(
    options: Options,
    backend: str,
    linking: tuple[Measured, Measured],
    results: list[Measured],
) -> tuple[str, bool]:
    linked, opened = linking
    lines = [
        f"/saldo, project (python -m bot run, {backend}, TELEGRAM_SEND_RATE={options.send_rate:g})"
        f" against a bare python-telegram-bot bot; {options.users} linked users, burst and"
        f" {options.rate:g}/s; {options.rounds} rounds, alternating order",
        f"/vincular: {linked.updates:,} users linked in {linked.wall:.2f} s ="
        f" {linked.updates / linked.wall:.1f}/s, {linked.cpu_ms:.2f} ms CPU each"
        f" ({'correct' if linked.correct(balance_expected=False) else 'WRONG'});"
        f" then {opened.updates:,} of them opened the bot with /start"
        f" ({'correct' if opened.correct(balance_expected=False) else 'WRONG'})",
    ]
    correct = linked.correct(balance_expected=False) and opened.correct(balance_expected=False)
    for result in results:
        ok = result.correct()
        correct = correct and ok
        lines.append(
            f"{result.bot:<8} {result.phase:<7} CPU {result.cpu_ms:6.2f} ms/update"
            f"   latency p50 {result.latency_ms(0.5):7.1f} ms"
            f" p95 {result.latency_ms(0.95):7.1f} ms"
            f"   peak RSS {result.peak_rss:6.1f} MB   replies {result.replies}"
            f" ({'correct' if ok else 'WRONG'})"
        )
    ratios: dict[str, list[float]] = {}
    for name in ("burst", "steady"):
        project = [r for r in results if r.bot == "project" and r.phase == name]
        bare = [r for r in results if r.bot == "bare" and r.phase == name]
        cpu_p = statistics.median(r.cpu_ms for r in project)
        cpu_b = statistics.median(r.cpu_ms for r in bare)
        p50_p = statistics.median(r.latency_ms(0.5) for r in project)
        p50_b = statistics.median(r.latency_ms(0.5) for r in bare)
        p95_p = statistics.median(r.latency_ms(0.95) for r in project)
        p95_b = statistics.median(r.latency_ms(0.95) for r in bare)
        rss_p = statistics.median(r.peak_rss for r in project)
        rss_b = statistics.median(r.peak_rss for r in bare)
        ratios[name] = [p.cpu_ms / b.cpu_ms for p, b in zip(project, bare, strict=True)]
        lines.append(
            f"median {name:<7} CPU ms/update project {cpu_p:.2f} bare {cpu_b:.2f}"
            f" (ratio {cpu_p / cpu_b:.2f}); p50 {p50_p:.1f} / {p50_b:.1f} ms"
            f" (+{p50_p - p50_b:.1f}); p95 {p95_p:.1f} / {p95_b:.1f} ms;"
            f" peak RSS {rss_p:.1f} / {rss_b:.1f} MB"
        )
    steady = statistics.median(ratios["steady"])
    met = "met" if steady <= CPU_TARGET else "MISSED"
    lines.append(
        f"median CPU ratio per /saldo at {options.rate:g}/s, project / bare, of"
        f" {len(ratios['steady'])} rounds: {steady:.2f} (target <= {CPU_TARGET}: {met})"
    )
    return "\n".join(lines), correct


# --- memory: RSS after 1,000 and after 10,000 distinct users --------------------------------


def memory_check(options: Options) -> int:
    """Load `--memory-users` linked users; RSS after /saldo from a tenth of them, then from all.

    The updates arrive at `--rate` per second, below the send rate: a burst would leave
    thousands of updates waiting in python-telegram-bot's queue, and RSS would show that
    backlog (the bare bot too grows about 10 MB for a burst of 3,600) rather than what the bot
    keeps per user.
    """
    total, first = options.memory_users, options.memory_users // 10
    with fresh_database(options.database_url) as url, child_server(fakes_process, None) as port:
        print(f"loading {total:,} linked users ...", file=sys.stderr, flush=True)
        asyncio.run(populate_reminders(url, total))
        command, env = project_command(options, url, port, options.send_rate)
        rss = []
        with running(command, env, port) as pid:
            for start, count in ((0, first), (first, total - first)):
                spec = {"kind": "saldo", "first": start, "count": count, "rate": options.rate}
                result = phase(pid, port, "project", "memory", spec | {"base": MEMORY_BASE})
                if not result.correct():
                    print(f"WRONG: {result.replies} replies of {count}")
                    return 1
                rss.append(memory_mb(pid, "VmRSS"))
                print(
                    f"after /saldo from {start + count:,} distinct users at {options.rate:g}/s:"
                    f" RSS {rss[-1]:.1f} MB ({result.cpu_ms:.2f} ms CPU per /saldo)",
                    flush=True,
                )
        control(port, "_shutdown", {})
    grown = rss[1] - rss[0]
    verdict = "flat" if grown <= MEMORY_TARGET_MB else "GROWS"
    print(
        f"RSS grew {grown:+.1f} MB from {first:,} to {total:,} users"
        f" ({verdict}; target <= {MEMORY_TARGET_MB:g} MB)"
    )
    return 0 if grown <= MEMORY_TARGET_MB else 1


# --- command line ---------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.saldo",
        description="CPU per /saldo against a bare python-telegram-bot bot (see README.md).",
        allow_abbrev=False,
    )
    add = parser.add_argument
    add("--users", type=int, default=300, help="linked users sending /saldo (default 300)")
    add("--link-users", type=int, default=3000, help="users linked with /vincular (default 3000)")
    add("--rate", type=float, default=20.0, help="steady arrival rate per second (default 20)")
    add("--rounds", type=int, default=3, help="rounds of both bots (default 3)")
    add("--send-rate", type=float, default=29.0, help="TELEGRAM_SEND_RATE for /saldo (29)")
    add("--database-url", help="a PostgreSQL server (default: a temporary SQLite file)")
    add("--memory", action="store_true", help="only RSS after 1/10 and all of --memory-users")
    add("--memory-users", type=int, default=10_000, help="users of --memory (default 10000)")
    add("--profile", metavar="FILE", help="py-spy the project's first steady phase into FILE")
    add("--log-level", default="WARNING", help="the bot's LOG_LEVEL (default WARNING)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    options = Options(**vars(args))
    if options.memory:
        return memory_check(options)
    if options.link_users < options.users:
        parser().error("--link-users must be at least --users")
    with fresh_database(options.database_url) as url, child_server(fakes_process, None) as port:
        backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        linking, results = run(options, url, port)
        control(port, "_shutdown", {})
    text, correct = report(options, backend, linking, results)
    print(text, flush=True)
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
