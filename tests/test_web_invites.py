"""`POST /api/invites`: the store's backend gets a customer's invite link over HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import forget
from bot.config import Settings, load_settings
from bot.db.store import SqlStore
from tests.fixtures.bonifiq import FakePointsApi, Fault, customer_payload
from tests.fixtures.database import table_snapshot
from tests.fixtures.telegram import BOT_USERNAME, FakeBotApi, private_message
from tests.fixtures.web import WebBot, bot_settings, open_web_bot
from tests.helpers import GZIP_THAT_DOES_NOT_INFLATE, errors_logged
from tests.personas import CUSTOMER_USER_ID, MARIA
from tests.test_customer_ids import stored_customer_ids
from tests.test_privacy import rows_naming

ADMIN_API_TOKEN = "store-backend-token-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}


@pytest.fixture
async def api_bot(
    bot_api: FakeBotApi, points_api: FakePointsApi, database_url: str
) -> AsyncIterator[WebBot]:
    """A web process with the invite API turned on."""
    settings = bot_settings(bot_api, points_api, database_url, admin_api_token=ADMIN_API_TOKEN)
    async with open_web_bot(settings) as bot:
        yield bot


async def post_invite(bot: WebBot, body: Any, headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, bytes | str) else None
    return await bot.client.post(
        "/api/invites",
        json=None if data is not None else body,
        data=data,
        headers=AUTH if headers is None else headers,
    )


async def test_an_invite_is_created_with_its_link_code_and_expiry(
    api_bot: WebBot, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    response = await post_invite(api_bot, {"customer_id": MARIA})

    assert response.status == 201
    body = await response.json()
    assert body["url"] == f"https://t.me/{BOT_USERNAME}?start={body['code']}"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["code"])
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() is not None
    assert body["checked"] is True
    async with store.unit_of_work(writes=False) as uow:
        [entry] = [entry for entry in await uow.audit.recent(5) if entry.action == "invite"]
    assert (entry.channel, entry.customer_id, entry.detail) == ("api", MARIA, "api")


async def test_the_expiry_is_given_in_whole_seconds_with_the_bot_zones_offset(
    api_bot: WebBot, points_api: FakePointsApi
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    response = await post_invite(api_bot, {"customer_id": MARIA})

    body = await response.json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-03:00", body["expires_at"])


async def test_an_e_mail_in_capitals_is_stored_canonical_and_forget_erases_its_rows(
    api_bot: WebBot,
    points_api: FakePointsApi,
    database_url: str,
    engine: AsyncEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    points_api.set_customer("joao@exemplo.com.br", customer_payload())

    response = await post_invite(api_bot, {"customer_id": "JOAO@EXEMPLO.COM.BR"})

    assert response.status == 201
    assert (await response.json())["checked"] is True
    assert await stored_customer_ids(engine, "invites") == ["joao@exemplo.com.br"]
    settings = load_settings(database_url=database_url)
    code = await forget(settings, customer_id="joao@exemplo.com.br", user=("telegram", None))
    assert code == 0
    assert capsys.readouterr().out.strip() == ("deleted: invites 1; anonymised: admin_audit 1")
    assert await rows_naming(engine, CUSTOMER_USER_ID, ["joao@exemplo.com.br"]) == []


async def test_the_code_from_the_api_links_the_customer_who_opens_it(
    api_bot: WebBot, points_api: FakePointsApi, bot_api: FakeBotApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    body = await (await post_invite(api_bot, {"customer_id": MARIA})).json()

    await api_bot.deliver(private_message(f"/start {body['code']}"))

    assert "Sua conta foi vinculada" in bot_api.delivered_to(CUSTOMER_USER_ID)[0].text
    async with store.unit_of_work(writes=False) as uow:
        current = await uow.links.active("telegram", str(CUSTOMER_USER_ID))
    assert current is not None
    assert current.customer_id == MARIA


async def test_while_the_points_api_is_down_the_invite_is_created_unchecked(
    api_bot: WebBot, points_api: FakePointsApi
) -> None:
    points_api.script(MARIA, [Fault.http(503)] * 5)

    response = await post_invite(api_bot, {"customer_id": MARIA})

    assert response.status == 201
    assert (await response.json())["checked"] is False


async def test_while_the_points_api_refuses_the_credentials_the_invite_is_created_unchecked(
    api_bot: WebBot, points_api: FakePointsApi, engine: AsyncEngine
) -> None:
    points_api.script(MARIA, [Fault.http(401)])

    response = await post_invite(api_bot, {"customer_id": MARIA})

    assert response.status == 201
    assert (await response.json())["checked"] is False
    assert len((await table_snapshot(engine))["invites"]) == 1


async def test_an_unknown_customer_is_refused_and_nothing_is_created(
    api_bot: WebBot, engine: AsyncEngine
) -> None:
    response = await post_invite(api_bot, {"customer_id": "ninguem@loja.com.br"})

    assert response.status == 422
    assert (await response.json())["field"] == "customer_id"
    assert (await table_snapshot(engine))["invites"] == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_API_TOKEN}],
    ids=["missing", "wrong", "not-bearer"],
)
async def test_without_the_right_bearer_the_answer_is_401_and_nothing_is_created(
    api_bot: WebBot, engine: AsyncEngine, points_api: FakePointsApi, headers: dict[str, str]
) -> None:
    response = await post_invite(api_bot, {"customer_id": MARIA}, headers=headers)

    assert response.status == 401
    assert "error" in await response.json()
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await table_snapshot(engine))["invites"] == []
    assert points_api.requests == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", None),
        (b"[1, 2]", None),
        ({}, "customer_id"),
        ({"customer_id": ""}, "customer_id"),
        ({"customer_id": "   "}, "customer_id"),
        ({"customer_id": 123}, "customer_id"),
        ({"customer_id": None}, "customer_id"),
        ({"customer_id": "a" * 257}, "customer_id"),
        ({"customer_id": ".."}, "customer_id"),
        ({"customer_id": "a\nb"}, "customer_id"),
    ],
)
async def test_a_bad_request_is_400_naming_the_field_and_nothing_is_created(
    api_bot: WebBot,
    engine: AsyncEngine,
    points_api: FakePointsApi,
    body: Any,
    field: str | None,
) -> None:
    response = await post_invite(api_bot, body)

    assert response.status == 400
    answer = await response.json()
    assert answer["error"]
    assert answer.get("field") == field
    assert (await table_snapshot(engine))["invites"] == []
    assert points_api.requests == []


async def test_without_admin_api_token_the_endpoint_does_not_exist(
    web_bot: WebBot, web_settings: Settings, engine: AsyncEngine
) -> None:
    assert web_settings.admin_api_token is None

    response = await post_invite(web_bot, {"customer_id": MARIA}, headers={})

    assert response.status == 404
    assert (await table_snapshot(engine))["invites"] == []


async def test_a_compressed_body_gets_415_without_an_error_logged_and_nothing_is_created(
    api_bot: WebBot, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    response = await post_invite(api_bot, b":5", headers=AUTH | GZIP_THAT_DOES_NOT_INFLATE)

    assert response.status == 415
    assert "error" in await response.json()
    assert errors_logged(caplog) == []
    assert (await table_snapshot(engine))["invites"] == []


async def test_a_compressed_body_without_the_bearer_gets_401(
    api_bot: WebBot, caplog: pytest.LogCaptureFixture
) -> None:
    response = await post_invite(api_bot, b":5", headers=GZIP_THAT_DOES_NOT_INFLATE)

    assert response.status == 401
    assert errors_logged(caplog) == []
