"""Reminders on WhatsApp: the 24-hour window, the template, and what Meta's errors do."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.bonifiq.client import BonifiqClient
from bot.channels.whatsapp import SendRate, WhatsAppNotifier, WhatsAppSender
from bot.cli import run_clock, run_reminders
from bot.core.reminders import SweepAbortedError
from bot.db.store import SqlStore
from bot.jobs.reminders import ReminderSweep
from bot.metrics import Metrics
from bot.whatsapp.client import GraphClient
from tests.fixtures.app import NOW, StoppedClock
from tests.fixtures.bonifiq import (
    TEST_TIMEZONE,
    FakePointsApi,
    customer_payload,
    expiration_payload,
)
from tests.fixtures.graph import ACCESS_TOKEN, PHONE_NUMBER_ID, TEMPLATE, FakeGraphApi, graph_error
from tests.fixtures.telegram import FakeBotApi
from tests.fixtures.whatsapp import whatsapp_settings
from tests.helpers import linked_chat
from tests.personas import CUSTOMER_USER_ID, MARIA, MARIA_FIRST_NAME, MARIA_WA_ID

# Maria's 80 points expire on 15/12/2026, 19 days after NOW: the 30-day threshold is crossed.
PARAMETERS = ["Maria Silva", "80", "15/12/2026", "1.234"]


class Pauses:
    """A sleep that returns at once and remembers how long it was asked to wait."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


@pytest.fixture
async def graph_client(graph_api: FakeGraphApi) -> AsyncIterator[GraphClient]:
    """A Graph API client for the fake, with a short timeout."""
    async with GraphClient(
        graph_api.base_url, PHONE_NUMBER_ID, ACCESS_TOKEN, request_timeout=0.5
    ) as client:
        yield client


@pytest.fixture
def pauses() -> Pauses:
    """The back-off pauses the sender asked for."""
    return Pauses()


@pytest.fixture
def metrics() -> Metrics:
    """A fresh metrics registry."""
    return Metrics()


@pytest.fixture
def make_sweep(
    store: SqlStore,
    points_client: BonifiqClient,
    graph_client: GraphClient,
    pauses: Pauses,
    metrics: Metrics,
    clock: StoppedClock,
) -> Callable[[], ReminderSweep]:
    """Build WhatsApp's reminder sweep as the composition root does, on the fakes."""

    def build() -> ReminderSweep:
        sender = WhatsAppSender(
            graph_client, SendRate(1000.0), backoff=(1.0, 2.0), sleep=pauses, metrics=metrics
        )
        notifier = WhatsAppNotifier(sender, store, TEMPLATE, clock, follow_up="E agora?")
        return ReminderSweep(
            store=store,
            points=points_client,
            notifier=notifier,
            timezone=TEST_TIMEZONE,
            thresholds=(30, 7, 1),
            metrics=metrics,
        )

    return build


@pytest.fixture
async def maria_on_whatsapp(points_api: FakePointsApi, store: SqlStore) -> None:
    """Maria wrote to the store on WhatsApp once, long ago, and is linked by her wa_id."""
    points_api.set_customer(MARIA, customer_payload())
    long_ago = NOW - timedelta(days=10)
    await linked_chat(
        store, MARIA_WA_ID, MARIA, channel="whatsapp", first_name=MARIA_FIRST_NAME, at=long_ago
    )


async def _wrote(store: SqlStore, sent_at: datetime, received_at: datetime = NOW) -> None:
    async with store.unit_of_work() as uow:
        message_id = f"wamid.{sent_at.timestamp()}"
        await uow.inbound.first_delivery("whatsapp", message_id, MARIA_WA_ID, sent_at, received_at)
        await uow.commit()


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_inside_the_window_the_reminder_is_a_message_with_buttons(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi, store: SqlStore
) -> None:
    await _wrote(store, NOW - timedelta(hours=2))

    summary = await make_sweep().sweep(NOW)

    [reminder] = graph_api.requests
    assert summary.sent == 1
    assert reminder.kind == "interactive"
    assert "*Você tem 80 pontos perto de expirar*" in reminder.text
    assert [button_id for button_id, _ in reminder.buttons] == ["saldo", "lembretes off"]


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_the_reminder_says_to_send_lembretes_off_as_a_word_not_a_slash_command(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi, store: SqlStore
) -> None:
    await _wrote(store, NOW - timedelta(hours=2))

    await make_sweep().sweep(NOW)

    [reminder] = graph_api.requests
    assert reminder.text.endswith("Para não receber mais estes avisos, envie *lembretes off*.")


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_outside_the_window_the_reminder_is_the_template_with_its_four_parameters(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi, store: SqlStore
) -> None:
    await _wrote(store, NOW - timedelta(hours=25))

    summary = await make_sweep().sweep(NOW)

    [reminder] = graph_api.requests
    assert summary.sent == 1
    assert reminder.kind == "template"
    assert reminder.body["template"]["name"] == TEMPLATE
    assert reminder.body["template"]["language"] == {"code": "pt_BR"}
    assert reminder.template_parameters == PARAMETERS


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_the_window_counts_from_metas_timestamp_not_from_when_the_message_arrived(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi, store: SqlStore
) -> None:
    # Written 25 hours ago, delivered to us only now (Meta retried a failing webhook).
    await _wrote(store, NOW - timedelta(hours=25), received_at=NOW)

    await make_sweep().sweep(NOW)

    [reminder] = graph_api.requests
    assert reminder.kind == "template"


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_a_user_the_bot_never_heard_from_gets_the_template_and_no_free_form_attempt(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi
) -> None:
    await make_sweep().sweep(NOW)

    assert [request.kind for request in graph_api.requests] == ["template"]


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_a_reminder_is_sent_once_per_threshold(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi
) -> None:
    await make_sweep().sweep(NOW)
    second = await make_sweep().sweep(NOW + timedelta(hours=1))

    assert second.sent == 0
    assert len(graph_api.requests) == 1


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_throughput_errors_are_backed_off_and_retried_within_the_sweep(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi, pauses: Pauses
) -> None:
    graph_api.fail(graph_error(130429, "Rate limit hit"), graph_error(131056, "Pair rate limit"))

    summary = await make_sweep().sweep(NOW)

    assert summary.sent == 1
    assert len(graph_api.requests) == 3
    assert len(graph_api.accepted) == 1
    assert pauses.asked == [1.0, 2.0]


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_a_5xx_fails_the_reminder_and_the_next_sweep_sends_it(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi
) -> None:
    graph_api.fail(graph_error(131000, "Something went wrong", status=500))

    first = await make_sweep().sweep(NOW)
    second = await make_sweep().sweep(NOW + timedelta(hours=1))

    assert (first.sent, first.failed) == (0, 1)
    assert (second.sent, second.failed) == (1, 0)
    assert len(graph_api.accepted) == 1


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_a_timeout_fails_the_reminder_without_recording_it(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi
) -> None:
    graph_api.fail(1.0)  # longer than the client's 0.5 s

    first = await make_sweep().sweep(NOW)
    second = await make_sweep().sweep(NOW + timedelta(hours=1))

    assert (first.sent, first.failed) == (0, 1)
    assert second.sent == 1


@pytest.mark.usefixtures("maria_on_whatsapp")
@pytest.mark.parametrize("code", [131047, 131051])
async def test_a_refused_reminder_is_counted_and_not_retried_within_the_sweep(
    make_sweep: Callable[[], ReminderSweep],
    graph_api: FakeGraphApi,
    metrics: Metrics,
    code: int,
) -> None:
    graph_api.fail(graph_error(code, "Refused"))

    summary = await make_sweep().sweep(NOW)

    assert (summary.sent, summary.failed) == (0, 1)
    assert len(graph_api.requests) == 1
    assert metrics.whatsapp_errors.labels("send", str(code))._value.get() == 1


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_an_undeliverable_user_is_marked_blocked_and_not_reminded_again(
    make_sweep: Callable[[], ReminderSweep], graph_api: FakeGraphApi
) -> None:
    graph_api.fail(graph_error(131026, "Message undeliverable"))

    first = await make_sweep().sweep(NOW)
    second = await make_sweep().sweep(NOW + timedelta(days=1))

    assert first.blocked == 1
    assert second.customers == 0
    assert len(graph_api.requests) == 1


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_an_expired_token_aborts_the_sweep_with_a_clear_line_and_no_token(
    make_sweep: Callable[[], ReminderSweep],
    graph_api: FakeGraphApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph_api.fail(graph_error(190, f"Error validating access token {ACCESS_TOKEN}", status=401))
    caplog.set_level(logging.DEBUG)

    with pytest.raises(SweepAbortedError) as raised:
        await make_sweep().sweep(NOW)

    assert "WHATSAPP_ACCESS_TOKEN" in str(raised.value)
    assert ACCESS_TOKEN not in str(raised.value)
    assert ACCESS_TOKEN not in caplog.text


class FakeTime:
    """A monotonic clock that moves only when slept on."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.now += seconds


async def test_the_send_rate_spaces_messages_by_one_over_the_rate() -> None:
    time = FakeTime()
    rate = SendRate(4.0, sleep=time.sleep, clock=time)

    for _ in range(3):
        await rate.wait()

    assert time.asked == [0.25, 0.25]


@pytest.mark.usefixtures("maria_on_whatsapp")
async def test_clock_with_whatsapp_alone_catches_up_a_missed_sweep_with_the_template(
    graph_api: FakeGraphApi, points_api: FakePointsApi, database_url: str
) -> None:
    soon = datetime.now(UTC) + timedelta(days=3)
    payload = customer_payload(PointsToExpire=[expiration_payload(80, soon)])
    points_api.set_customer(MARIA, payload)
    settings = whatsapp_settings(graph_api, points_api, database_url)
    stop = asyncio.Event()

    clock = asyncio.create_task(run_clock(settings, stop))
    try:
        async with asyncio.timeout(20):
            await graph_api.wait_for_accepted(1)
    finally:
        stop.set()
        await asyncio.wait_for(clock, 20)

    [reminder] = graph_api.accepted
    assert reminder.kind == "template"
    assert reminder.template_parameters[:2] == ["Maria Silva", "80"]


async def test_remind_sweeps_every_channel_that_is_on(
    graph_api: FakeGraphApi,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    database_url: str,
    store: SqlStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    soon = datetime.now(UTC) + timedelta(days=3)
    points_api.set_customer(MARIA, customer_payload(PointsToExpire=[expiration_payload(80, soon)]))
    for channel, user_id in (("telegram", str(CUSTOMER_USER_ID)), ("whatsapp", MARIA_WA_ID)):
        await linked_chat(store, user_id, MARIA, channel=channel, first_name=MARIA_FIRST_NAME)
    settings = whatsapp_settings(
        graph_api,
        points_api,
        database_url,
        telegram_bot_token=bot_api.token,
        telegram_api_base_url=bot_api.base_url,
    )

    code = await run_reminders(settings, dry_run=False)

    assert code == 0
    assert "reminders sent: 2" in capsys.readouterr().out
    [on_telegram] = bot_api.delivered_to(CUSTOMER_USER_ID)
    [on_whatsapp] = graph_api.accepted
    assert "80 pontos perto de expirar" in on_telegram.text
    assert on_whatsapp.template_parameters[:2] == ["Maria Silva", "80"]
