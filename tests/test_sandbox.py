"""The in-process sandbox answers like BonifiQ's points API."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest

from bot.bonifiq.client import BonifiqClient, basic_authorization
from bot.bonifiq.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_API_TOKEN,
    SANDBOX_CUSTOMERS,
    create_sandbox_app,
    run_sandbox,
)
from bot.core.points import BonifiqAuthError, CustomerNotFoundError
from tests.fixtures.bonifiq import TEST_TIMEZONE

NOW = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
MARIA = "maria@exemplo.com.br"
JOAO = "joao@exemplo.com.br"
ANA = "ana+vip@exemplo.com.br"

# Field names of the OpenAPI schemas, which declare additionalProperties: false.
RESPONSE_FIELDS = {
    "CustomerExists",
    "InternalId",
    "PointsBalance",
    "PointsToExpire",
    "CashbackBalance",
    "RedeemKey",
    "PointHistory",
    "Name",
}
EXPIRATION_FIELDS = {"Points", "When"}
HISTORY_FIELDS = {
    "Id",
    "IsCanceled",
    "DateReceived",
    "ExpirationDate",
    "Amount",
    "CashbackAmount",
    "BranchId",
    "BranchName",
    "OrderOrigin",
    "OrderOriginDescription",
    "PointType",
    "PointTypeDescription",
}
DOTNET_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{7})?-03:00$")
DOTNET_WITHOUT_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


@pytest.fixture
async def sandbox_url() -> AsyncIterator[str]:
    async with run_sandbox(NOW) as url:
        yield url


@pytest.fixture
async def sandbox_client(sandbox_url: str) -> AsyncIterator[BonifiqClient]:
    async with BonifiqClient(
        base_url=sandbox_url,
        api_token=SANDBOX_API_TOKEN,
        api_key=SANDBOX_API_KEY,
        timezone=TEST_TIMEZONE,
        request_timeout=2.0,
    ) as client:
        yield client


async def get_raw(
    base_url: str, customer_id: str, authorization: str | None = None
) -> tuple[int, str]:
    headers = {
        "Authorization": authorization or basic_authorization(SANDBOX_API_TOKEN, SANDBOX_API_KEY)
    }
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base_url}/v1/pvt/Customer/{customer_id}/points", headers=headers) as answer,
    ):
        return answer.status, await answer.text()


async def test_maria_has_balance_cashback_expirations_and_history(
    sandbox_client: BonifiqClient,
) -> None:
    maria = await sandbox_client.customer_points(MARIA)

    assert maria.name == "Maria Silva"
    assert maria.points_balance == 1234
    assert maria.cashback_balance == Decimal("12.34")
    assert len(maria.points_to_expire) == 3
    assert 12 <= len(maria.point_history) <= 16


async def test_maria_history_has_a_canceled_item_a_redemption_and_branch_purchases(
    sandbox_client: BonifiqClient,
) -> None:
    history = (await sandbox_client.customer_points(MARIA)).point_history

    assert any(item.is_canceled for item in history)
    assert any(item.amount < 0 for item in history)
    purchases = [item for item in history if item.branch_name is not None]
    assert purchases
    assert all(item.order_origin is not None for item in purchases)
    assert any(item.cashback_amount for item in purchases)


async def test_maria_live_history_adds_up_to_her_balance(sandbox_client: BonifiqClient) -> None:
    maria = await sandbox_client.customer_points(MARIA)

    live = sum(item.amount for item in maria.point_history if not item.is_canceled)

    assert live == maria.points_balance


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 26, 13, 0, tzinfo=UTC),
        datetime(2027, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2030, 2, 28, 2, 30, tzinfo=UTC),
    ],
)
async def test_maria_expirations_are_upcoming_whatever_now_is(now: datetime) -> None:
    async with (
        run_sandbox(now) as url,
        BonifiqClient(url, SANDBOX_API_TOKEN, SANDBOX_API_KEY, TEST_TIMEZONE) as client,
    ):
        expirations = (await client.customer_points(MARIA)).points_to_expire

    soon = [item for item in expirations if now < item.when <= now + timedelta(days=30)]
    later = [item for item in expirations if item.when > now + timedelta(days=30)]
    assert (len(soon), len(later)) == (2, 1)


async def test_joao_has_few_points_no_cashback_and_nothing_expiring(
    sandbox_client: BonifiqClient,
) -> None:
    joao = await sandbox_client.customer_points(JOAO)

    assert 0 < joao.points_balance < 100
    assert joao.cashback_balance == 0
    assert joao.points_to_expire == ()
    assert 0 < len(joao.point_history) <= 3


async def test_ana_is_a_big_vip_customer(sandbox_client: BonifiqClient) -> None:
    ana = await sandbox_client.customer_points(ANA)

    assert ana.points_balance == 98765
    assert ana.cashback_balance == Decimal("1234.5")
    assert all(item.when > NOW for item in ana.points_to_expire)
    assert ana.points_to_expire


@pytest.mark.parametrize("customer_id", list(SANDBOX_CUSTOMERS))
async def test_every_advertised_customer_exists(
    sandbox_client: BonifiqClient, customer_id: str
) -> None:
    assert (await sandbox_client.customer_points(customer_id)).customer_id == customer_id


def test_advertised_customers_have_descriptions() -> None:
    assert set(SANDBOX_CUSTOMERS) == {MARIA, JOAO, ANA}
    assert all(description.strip() for description in SANDBOX_CUSTOMERS.values())


async def test_lookup_ignores_email_case(sandbox_client: BonifiqClient) -> None:
    assert (await sandbox_client.customer_points("Maria@Exemplo.com.br")).name == "Maria Silva"


async def test_unknown_customer_is_200_with_customer_exists_false(sandbox_url: str) -> None:
    status, text = await get_raw(sandbox_url, "ninguem%40exemplo.com.br")

    assert status == 200
    assert '"CustomerExists": false' in text
    assert '"PointsBalance": 0' in text


async def test_unknown_customer_raises_customer_not_found(sandbox_client: BonifiqClient) -> None:
    with pytest.raises(CustomerNotFoundError):
        await sandbox_client.customer_points("ninguem@exemplo.com.br")


async def test_wrong_credentials_are_refused(sandbox_url: str) -> None:
    async with BonifiqClient(sandbox_url, SANDBOX_API_TOKEN, "wrong", TEST_TIMEZONE) as client:
        with pytest.raises(BonifiqAuthError):
            await client.customer_points(MARIA)


@pytest.mark.parametrize("authorization", ["", "Bearer sandbox-key", "Basic !!!"])
async def test_missing_or_malformed_authorization_gets_401(
    sandbox_url: str, authorization: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{sandbox_url}/v1/pvt/Customer/{MARIA}/points",
            headers={"Authorization": authorization} if authorization else {},
        ) as answer,
    ):
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


async def test_custom_credentials_are_checked() -> None:
    async with (
        run_sandbox(NOW, api_token="loja", api_key="segredo") as url,
        BonifiqClient(url, "loja", "segredo", TEST_TIMEZONE) as client,
    ):
        assert (await client.customer_points(MARIA)).points_balance == 1234


@pytest.mark.parametrize("customer_id", [MARIA, JOAO, ANA, "ninguem@exemplo.com.br"])
async def test_payload_uses_exactly_the_openapi_field_names(
    sandbox_url: str, customer_id: str
) -> None:
    _, text = await get_raw(sandbox_url, customer_id)
    payload = json.loads(text)

    assert set(payload) == RESPONSE_FIELDS
    for expiration in payload["PointsToExpire"]:
        assert set(expiration) == EXPIRATION_FIELDS
    for item in payload["PointHistory"]:
        assert set(item) == HISTORY_FIELDS


async def test_dates_are_written_as_dotnet_writes_them(sandbox_url: str) -> None:
    _, text = await get_raw(sandbox_url, MARIA)
    payload = json.loads(text)
    dates = [item["When"] for item in payload["PointsToExpire"]] + [
        item["DateReceived"] for item in payload["PointHistory"]
    ]

    assert all(
        DOTNET_WITH_OFFSET.match(date) or DOTNET_WITHOUT_OFFSET.match(date) for date in dates
    )
    assert any(re.search(r"\.\d{7}-03:00$", date) for date in dates)
    assert any(DOTNET_WITHOUT_OFFSET.match(date) for date in dates)


async def test_cashback_is_written_as_an_exact_json_number(sandbox_url: str) -> None:
    _, text = await get_raw(sandbox_url, MARIA)

    assert '"CashbackBalance": 12.34' in text


async def test_run_sandbox_stops_serving_on_exit() -> None:
    async with run_sandbox(NOW) as url:
        status, _ = await get_raw(url, "maria%40exemplo.com.br")
    assert status == 200

    with pytest.raises(aiohttp.ClientConnectionError):
        await get_raw(url, "maria%40exemplo.com.br")


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        create_sandbox_app(datetime(2026, 11, 26, 10, 0))  # noqa: DTZ001
