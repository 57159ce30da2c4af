"""The points API client against a real (fake) BonifiQ server on loopback."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest

from bot.bonifiq.client import USER_AGENT, BonifiqClient, mask_customer_id
from bot.core.points import (
    BonifiqAuthError,
    BonifiqResponseError,
    BonifiqUnavailableError,
    CustomerNotFoundError,
    InvalidCustomerIdError,
)
from tests.fixtures.bonifiq import (
    FAKE_API_KEY,
    FAKE_API_TOKEN,
    TEST_TIMEZONE,
    FakePointsApi,
    Fault,
    customer_payload,
)
from tests.personas import MARIA


class RecordingSleep:
    """Stands in for `asyncio.sleep`: remembers each backoff instead of waiting it out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def make_client(api: FakePointsApi | str, **overrides: Any) -> BonifiqClient:
    settings: dict[str, Any] = {
        "base_url": api if isinstance(api, str) else api.base_url,
        "api_token": FAKE_API_TOKEN,
        "api_key": FAKE_API_KEY,
        "timezone": TEST_TIMEZONE,
        "request_timeout": 0.5,
    }
    return BonifiqClient(**(settings | overrides))


@pytest.fixture
async def recorded_client(
    points_api: FakePointsApi, sleep: RecordingSleep
) -> AsyncIterator[BonifiqClient]:
    """A client with the default backoffs whose waits are recorded, not slept."""
    async with make_client(points_api, sleep=sleep) as client:
        yield client


# --- success -------------------------------------------------------------------------------


async def test_customer_points_are_fetched_and_decoded(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsBalance=321))

    points = await points_client.customer_points(MARIA)

    assert points.customer_id == MARIA
    assert points.points_balance == 321
    assert points.name == "Maria Silva"


async def test_request_carries_basic_auth_and_user_agent(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    await points_client.customer_points(MARIA)

    [request] = points_api.requests
    assert request.authorized
    assert request.user_agent == USER_AGENT == "bonifiq-bot/0.1"


async def test_cashback_is_decimal_not_float(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.set_customer(MARIA, customer_payload(CashbackBalance=Decimal("0.1")))

    cashback = (await points_client.customer_points(MARIA)).cashback_balance

    assert isinstance(cashback, Decimal)
    assert cashback == Decimal("0.1")


async def test_naive_dates_from_the_api_are_in_the_client_timezone(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.set_customer(
        MARIA, customer_payload(PointsToExpire=[{"Points": 5, "When": "2026-12-15T00:00:00"}])
    )

    points = await points_client.customer_points(MARIA)

    assert points.points_to_expire[0].when == datetime(2026, 12, 15, tzinfo=TEST_TIMEZONE)


# --- the URL -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "customer_id",
    [
        "maria+vip@loja.com.br",
        "joão@loja.com.br",
        "maria silva@loja.com.br",
        "quem?@loja.com.br",
        "a#b@loja.com.br",
        "100%@loja.com.br",
        "a%2Fb@loja.com.br",
        "José&Cia;x=1@loja.com.br",
        "123.456.789-09",
        "...",
        ".maria",
    ],
)
async def test_customer_id_reaches_the_server_exactly_as_given(
    points_api: FakePointsApi, points_client: BonifiqClient, customer_id: str
) -> None:
    points_api.set_customer(customer_id, customer_payload(PointsBalance=7))

    points = await points_client.customer_points(customer_id)

    assert [request.customer_id for request in points_api.requests] == [customer_id]
    assert points.points_balance == 7


@pytest.mark.parametrize("customer_id", [".", "..", "%2e", "%2E%2E", ".%2e", "%252E%252e"])
async def test_dot_segment_customer_id_is_refused_before_any_request(
    points_api: FakePointsApi, points_client: BonifiqClient, customer_id: str
) -> None:
    # Servers remove dot segments before routing: the request would reach another path.
    with pytest.raises(InvalidCustomerIdError, match="dot segment"):
        await points_client.customer_points(customer_id)

    assert points_api.requests == []


async def test_customer_id_with_slash_reaches_the_right_url(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.set_customer("loja/maria@loja.com.br", customer_payload(PointsBalance=9))

    points = await points_client.customer_points("loja/maria@loja.com.br")

    [request] = points_api.requests
    assert request.customer_id == "loja/maria@loja.com.br"
    assert request.raw_path == "/v1/pvt/Customer/loja%2Fmaria%40loja.com.br/points"
    assert points.points_balance == 9


@pytest.mark.parametrize("trailing_slash", ["", "/"])
async def test_base_url_works_with_or_without_trailing_slash(
    points_api: FakePointsApi, trailing_slash: str
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    base_url = points_api.base_url.rstrip("/") + trailing_slash

    async with make_client(base_url) as client:
        await client.customer_points(MARIA)

    assert points_api.requests[0].raw_path == "/v1/pvt/Customer/maria%40loja.com.br/points"


@pytest.mark.parametrize("trailing_slash", ["", "/"])
async def test_base_url_path_prefix_is_kept(trailing_slash: str) -> None:
    async with FakePointsApi(prefix="/bonifiq/api") as api:
        api.set_customer(MARIA, customer_payload(PointsBalance=5))
        base_url = api.base_url.rstrip("/") + trailing_slash
        assert base_url.rstrip("/").endswith("/bonifiq/api")

        async with make_client(base_url) as client:
            points = await client.customer_points(MARIA)

    assert points.points_balance == 5
    assert api.requests[0].raw_path == "/bonifiq/api/v1/pvt/Customer/maria%40loja.com.br/points"


@pytest.mark.parametrize("customer_id", ["", "   ", "\t\n"])
async def test_blank_customer_id_raises_value_error_before_any_request(
    points_api: FakePointsApi, points_client: BonifiqClient, customer_id: str
) -> None:
    with pytest.raises(InvalidCustomerIdError, match="blank"):
        await points_client.customer_points(customer_id)

    assert points_api.requests == []


async def test_overlong_customer_id_raises_value_error_before_any_request(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    with pytest.raises(InvalidCustomerIdError, match="256"):
        await points_client.customer_points("a" * 250 + "@loja.com.br")

    assert points_api.requests == []


async def test_customer_id_of_256_characters_is_accepted(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    customer_id = "a" * 244 + "@loja.com.br"
    points_api.set_customer(customer_id, customer_payload())

    await points_client.customer_points(customer_id)

    assert points_api.requests[0].customer_id == customer_id


# --- the customer does not exist -----------------------------------------------------------


async def test_unknown_customer_raises_customer_not_found(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    with pytest.raises(CustomerNotFoundError) as raised:
        await points_client.customer_points("ninguem@loja.com.br")

    assert raised.value.customer_id == "ninguem@loja.com.br"
    assert len(points_api.requests) == 1


async def test_404_raises_customer_not_found_without_retry(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.script(MARIA, [Fault.http(404, '{"Message": "Not found"}')])

    with pytest.raises(CustomerNotFoundError):
        await points_client.customer_points(MARIA)

    assert len(points_api.requests) == 1


# --- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
async def test_401_is_not_retried_and_raises_auth_error(
    points_api: FakePointsApi, points_client: BonifiqClient, status: int
) -> None:
    points_api.script(MARIA, [Fault.http(status), Fault.http(status)])

    with pytest.raises(BonifiqAuthError, match=str(status)):
        await points_client.customer_points(MARIA)

    assert len(points_api.requests) == 1


async def test_wrong_credentials_raise_auth_error(points_api: FakePointsApi) -> None:
    points_api.set_customer(MARIA, customer_payload())

    async with make_client(points_api, api_key="wrong-key") as client:
        with pytest.raises(BonifiqAuthError):
            await client.customer_points(MARIA)

    assert points_api.requests[0].authorized is False


async def test_auth_error_is_logged_once_until_a_success(
    points_api: FakePointsApi, points_client: BonifiqClient, caplog: pytest.LogCaptureFixture
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.http(401), Fault.http(403), Fault(), Fault.http(401)])
    caplog.set_level(logging.ERROR, logger="bot.bonifiq.client")

    for _ in range(2):
        with pytest.raises(BonifiqAuthError):
            await points_client.customer_points(MARIA)
    first_errors = [record.getMessage() for record in caplog.records]
    await points_client.customer_points(MARIA)
    with pytest.raises(BonifiqAuthError):
        await points_client.customer_points(MARIA)

    assert first_errors == [
        "BonifiQ refused the API credentials (HTTP 401); check BONIFIQ_API_TOKEN/BONIFIQ_API_KEY"
    ]
    assert len(caplog.records) == 2


# --- retries -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_retried_then_succeeds(
    points_api: FakePointsApi, points_client: BonifiqClient, status: int
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsBalance=11))
    points_api.script(MARIA, [Fault.http(status), Fault.http(status)])

    points = await points_client.customer_points(MARIA)

    assert points.points_balance == 11
    assert len(points_api.requests) == 3


async def test_503_on_every_attempt_raises_unavailable_saying_what_happened(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.script(MARIA, [Fault.http(503)] * 3)

    with pytest.raises(BonifiqUnavailableError, match="HTTP 503 after 3 attempts"):
        await points_client.customer_points(MARIA)

    assert len(points_api.requests) == 3


async def test_max_attempts_is_respected(points_api: FakePointsApi) -> None:
    points_api.script(MARIA, [Fault.http(500)] * 10)

    async with make_client(points_api, max_attempts=5, backoff_base=0.001) as client:
        with pytest.raises(BonifiqUnavailableError, match="after 5 attempts"):
            await client.customer_points(MARIA)

    assert len(points_api.requests) == 5


async def test_429_waits_for_retry_after_then_succeeds(
    points_api: FakePointsApi, recorded_client: BonifiqClient, sleep: RecordingSleep
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsBalance=12))
    points_api.script(MARIA, [Fault.retry_after(3)])

    points = await recorded_client.customer_points(MARIA)

    assert points.points_balance == 12
    assert sleep.delays == [3.0]
    assert len(points_api.requests) == 2


async def test_retry_after_as_http_date_is_honoured(
    points_api: FakePointsApi, recorded_client: BonifiqClient, sleep: RecordingSleep
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    later = datetime.now(UTC) + timedelta(seconds=10)
    points_api.script(MARIA, [Fault.retry_after(format_datetime(later, usegmt=True))])

    await recorded_client.customer_points(MARIA)

    [delay] = sleep.delays
    assert 7 <= delay <= 10


async def test_retry_after_in_the_past_retries_at_once(
    points_api: FakePointsApi, recorded_client: BonifiqClient, sleep: RecordingSleep
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.retry_after("Wed, 21 Oct 2015 07:28:00 GMT", status=503)])

    await recorded_client.customer_points(MARIA)

    assert sleep.delays == [0.0]


async def test_unreadable_retry_after_falls_back_to_backoff(
    points_api: FakePointsApi, sleep: RecordingSleep
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.retry_after("soon")])

    async with make_client(points_api, sleep=sleep, random=lambda: 1.0) as client:
        await client.customer_points(MARIA)

    assert sleep.delays == [0.25]


async def test_retry_after_longer_than_the_cap_gives_up_at_once(
    points_api: FakePointsApi, recorded_client: BonifiqClient, sleep: RecordingSleep
) -> None:
    points_api.script(MARIA, [Fault.retry_after(3600)])

    with pytest.raises(BonifiqUnavailableError, match=r"HTTP 429.*3600 s"):
        await recorded_client.customer_points(MARIA)

    assert sleep.delays == []
    assert len(points_api.requests) == 1


async def test_429_on_every_attempt_raises_unavailable(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.script(MARIA, [Fault.http(429)] * 3)

    with pytest.raises(BonifiqUnavailableError, match="HTTP 429 after 3 attempts"):
        await points_client.customer_points(MARIA)


async def test_backoff_is_exponential_with_full_jitter(
    points_api: FakePointsApi, sleep: RecordingSleep
) -> None:
    points_api.script(MARIA, [Fault.http(500)] * 4)
    jitter = iter([1.0, 0.5, 0.0])

    async with make_client(
        points_api, sleep=sleep, random=lambda: next(jitter), max_attempts=4, backoff_base=0.1
    ) as client:
        with pytest.raises(BonifiqUnavailableError):
            await client.customer_points(MARIA)

    assert sleep.delays == pytest.approx([0.1, 0.1, 0.0])


async def test_backoff_is_capped_at_backoff_max(
    points_api: FakePointsApi, sleep: RecordingSleep
) -> None:
    points_api.script(MARIA, [Fault.http(500)] * 6)

    async with make_client(
        points_api,
        sleep=sleep,
        random=lambda: 1.0,
        max_attempts=6,
        backoff_base=1.0,
        backoff_max=3.0,
    ) as client:
        with pytest.raises(BonifiqUnavailableError):
            await client.customer_points(MARIA)

    assert sleep.delays == [1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize("status", [400, 405, 409, 422])
async def test_other_4xx_is_not_retried_and_raises_response_error(
    points_api: FakePointsApi, points_client: BonifiqClient, status: int
) -> None:
    points_api.script(MARIA, [Fault.http(status), Fault.http(status)])

    with pytest.raises(BonifiqResponseError, match=f"HTTP {status}"):
        await points_client.customer_points(MARIA)

    assert len(points_api.requests) == 1


async def test_slow_answer_times_out_and_is_retried(points_api: FakePointsApi) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsBalance=13))
    points_api.script(MARIA, [Fault.slow(1.0)])

    async with make_client(points_api, request_timeout=0.1, backoff_base=0.001) as client:
        points = await client.customer_points(MARIA)

    assert points.points_balance == 13
    assert len(points_api.requests) == 2


async def test_slow_answers_on_every_attempt_raise_unavailable(points_api: FakePointsApi) -> None:
    points_api.script(MARIA, [Fault.slow(1.0)] * 3)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async with make_client(points_api, request_timeout=0.1, backoff_base=0.001) as client:
        with pytest.raises(BonifiqUnavailableError, match=r"no answer within 0\.1 s after 3"):
            await client.customer_points(MARIA)

    assert loop.time() - started < 0.8


async def test_connection_drop_is_retried_then_succeeds(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsBalance=14))
    # aiohttp re-sends once by itself, so two drops make one failed attempt of ours.
    points_api.script(MARIA, [Fault.disconnect(), Fault.disconnect()])

    points = await points_client.customer_points(MARIA)

    assert points.points_balance == 14
    assert len(points_api.requests) == 3


async def test_connection_drops_on_every_attempt_raise_unavailable(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.script(MARIA, [Fault.disconnect()] * 6)

    with pytest.raises(BonifiqUnavailableError, match=r"connection failed .* after 3 attempts"):
        await points_client.customer_points(MARIA)


async def test_refused_connection_is_retried_then_raises_unavailable(
    sleep: RecordingSleep,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.

    async with make_client(f"http://127.0.0.1:{port}", sleep=sleep) as client:
        with pytest.raises(BonifiqUnavailableError, match="connection failed"):
            await client.customer_points(MARIA)

    assert len(sleep.delays) == 2


# --- untrustworthy answers -----------------------------------------------------------------


async def test_malformed_json_on_200_raises_response_error_without_retry(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.script(MARIA, [Fault.malformed_json()])

    with pytest.raises(BonifiqResponseError, match="not JSON"):
        await points_client.customer_points(MARIA)

    assert len(points_api.requests) == 1


async def test_html_on_200_raises_response_error(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.script(MARIA, [Fault.html()])

    with pytest.raises(BonifiqResponseError, match="text/html"):
        await points_client.customer_points(MARIA)


async def test_html_on_502_is_retried(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.html(status=502)])

    await points_client.customer_points(MARIA)

    assert len(points_api.requests) == 2


async def test_error_envelope_on_200_is_an_error_not_an_empty_customer(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.script(MARIA, [Fault.error_envelope("Chave de API inválida")])

    with pytest.raises(BonifiqResponseError, match="Chave de API inválida"):
        await points_client.customer_points(MARIA)

    assert len(points_api.requests) == 1


async def test_json_that_is_not_an_object_raises_response_error(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.script(MARIA, [Fault.json([customer_payload()])])

    with pytest.raises(BonifiqResponseError, match="JSON object"):
        await points_client.customer_points(MARIA)


async def test_wrong_field_type_raises_response_error(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsBalance="abc"))

    with pytest.raises(BonifiqResponseError, match="PointsBalance"):
        await points_client.customer_points(MARIA)


async def test_nan_is_not_accepted_as_money(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    points_api.script(MARIA, [Fault.http(200, '{"CustomerExists": true, "CashbackBalance": NaN}')])

    with pytest.raises(BonifiqResponseError):
        await points_client.customer_points(MARIA)


async def test_utf8_bom_is_tolerated(
    points_api: FakePointsApi, points_client: BonifiqClient
) -> None:
    body = b'\xef\xbb\xbf{"CustomerExists": true, "PointsBalance": 3}'
    points_api.script(MARIA, [Fault.http(200, body)])

    assert (await points_client.customer_points(MARIA)).points_balance == 3


# --- logs ----------------------------------------------------------------------------------


async def test_retries_are_logged_at_warning_with_status_attempt_and_masked_id(
    points_api: FakePointsApi, points_client: BonifiqClient, caplog: pytest.LogCaptureFixture
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.http(503)])
    caplog.set_level(logging.WARNING, logger="bot.bonifiq.client")

    await points_client.customer_points(MARIA)

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "HTTP 503" in message
    assert "attempt 1/3" in message
    assert "ma***@loja.com.br" in message
    assert MARIA not in message


async def test_secrets_never_appear_in_logs(
    points_api: FakePointsApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(
        MARIA,
        [Fault.http(401), Fault.http(503), Fault.disconnect(), Fault.disconnect(), Fault.slow(1)],
    )

    async with make_client(points_api, request_timeout=0.1, backoff_base=0.001) as client:
        with pytest.raises(BonifiqAuthError):
            await client.customer_points(MARIA)
        with pytest.raises(BonifiqUnavailableError):
            await client.customer_points(MARIA)
        await client.customer_points(MARIA)
        logged = caplog.text + repr(client)

    header = base64.b64encode(f"{FAKE_API_TOKEN}:{FAKE_API_KEY}".encode()).decode()
    assert len(caplog.records) >= 4
    for secret in (FAKE_API_TOKEN, FAKE_API_KEY, header, "Authorization"):
        assert secret not in logged
    assert MARIA not in caplog.text


@pytest.mark.parametrize(
    ("customer_id", "masked"),
    [
        ("maria@loja.com.br", "ma***@loja.com.br"),
        ("ab@loja.com.br", "a***@loja.com.br"),
        ("a@loja.com.br", "***@loja.com.br"),
        ("12345678909", "12***"),
        ("abc", "a***"),
        ("x\n@evil", "x***@evil"),
        ("ma\nria@x\r.com", "ma***@x?.com"),
    ],
)
def test_mask_customer_id_hides_most_of_it(customer_id: str, masked: str) -> None:
    assert mask_customer_id(customer_id) == masked


# --- the session ---------------------------------------------------------------------------


async def test_injected_session_is_not_closed(points_api: FakePointsApi) -> None:
    points_api.set_customer(MARIA, customer_payload())
    async with aiohttp.ClientSession() as session:
        async with make_client(points_api, session=session) as client:
            await client.customer_points(MARIA)

        assert not session.closed


async def test_own_session_is_created_lazily_and_closed_on_exit(
    points_api: FakePointsApi,
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    client = make_client(points_api)
    assert client.session is None

    async with client:
        await client.customer_points(MARIA)
        session = client.session
        assert session is not None

    assert session.closed


def test_repr_hides_the_credentials() -> None:
    client = BonifiqClient("https://api.bonifiq.com.br", "token-123", "key-456", UTC)

    assert "token-123" not in repr(client)
    assert "key-456" not in repr(client)


@pytest.mark.parametrize(
    "setting",
    [
        {"request_timeout": 0},
        {"max_attempts": 0},
        {"backoff_base": -1},
        {"base_url": "api.bonifiq.com.br"},
        {"base_url": "ftp://api.bonifiq.com.br"},
        {"api_token": "user:name"},
    ],
)
def test_nonsensical_settings_are_rejected(setting: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        make_client("http://127.0.0.1:1", **setting)
