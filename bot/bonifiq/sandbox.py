"""An in-process stand-in for BonifiQ's points API, for the `demo` command and tests.

It answers exactly like the real endpoint: Basic auth, PascalCase JSON, .NET-style
date-times (some with an offset and seven fractional digits, some without offset) and
`CustomerExists: false` with HTTP 200 for unknown ids. Dates are computed from the `now`
it is given, so expirations are always upcoming.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

from aiohttp import web
from yarl import URL

from bot.bonifiq.client import basic_authorization

# Brazil has had no daylight saving time since 2019; BonifiQ's servers write local time.
_BRASILIA = timezone(timedelta(hours=-3))

# Public on purpose: the sandbox guards nothing, it only makes the client authenticate.
SANDBOX_API_TOKEN = "sandbox-token"  # noqa: S105
SANDBOX_API_KEY = "sandbox-key"

SANDBOX_CUSTOMERS: Mapping[str, str] = MappingProxyType(
    {
        "maria@exemplo.com.br": (
            "Maria Silva: 1.234 pontos, R$ 12,34 de cashback, pontos vencendo nos "
            "próximos dias e histórico completo"
        ),
        "joao@exemplo.com.br": "João Souza: 40 pontos, sem cashback e sem pontos a vencer",
        "ana+vip@exemplo.com.br": (
            "Ana Lima (VIP): 98.765 pontos, R$ 1.234,50 de cashback e pontos a vencer"
        ),
    }
)
"""The seeded customer ids, each with a short pt-BR description for the demo's intro."""

_Payload = dict[str, object]
_Customer = Callable[[datetime], _Payload]


def create_sandbox_app(
    now: datetime, api_token: str = SANDBOX_API_TOKEN, api_key: str = SANDBOX_API_KEY
) -> web.Application:
    """Build the sandbox: `GET /v1/pvt/Customer/{id}/points` behind HTTP Basic auth."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    expected = basic_authorization(api_token, api_key)

    async def customer_points(request: web.Request) -> web.Response:
        supplied = request.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            return web.json_response(
                {"Message": "Authorization has been denied for this request."},
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="BonifiQ sandbox"'},
            )
        # BonifiQ matches e-mail addresses whatever their case.
        build = _CUSTOMERS.get(request.match_info["id"].strip().lower())
        payload = build(now) if build is not None else unknown_customer_payload()
        return web.json_response(payload, dumps=dump_json)

    app = web.Application()
    app.router.add_get("/v1/pvt/Customer/{id}/points", customer_points)
    return app


@asynccontextmanager
async def run_sandbox(
    now: datetime,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    api_token: str = SANDBOX_API_TOKEN,
    api_key: str = SANDBOX_API_KEY,
) -> AsyncIterator[str]:
    """Serve the sandbox on `host:port` (0 picks a free port) and yield its base URL."""
    runner = web.AppRunner(create_sandbox_app(now, api_token, api_key), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        yield str(URL.build(scheme="http", host=host, port=bound_port))
    finally:
        await runner.cleanup()


def dump_json(payload: object) -> str:
    """Write a payload as BonifiQ does: UTF-8 text, Decimal amounts as plain numbers."""
    return json.dumps(payload, ensure_ascii=False, default=_money)


def _money(value: object) -> object:
    if isinstance(value, Decimal):
        # A float's repr is the shortest text that reads back as the same number, so a
        # two-decimal amount is written exactly as BonifiQ writes it (12.34, not 12.3399…).
        return float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _local(moment: datetime) -> datetime:
    return moment.astimezone(_BRASILIA)


def _with_offset(moment: datetime) -> str:
    """Write a moment as .NET does for a `DateTimeOffset`: seven digits and an offset."""
    local = _local(moment)
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond:06d}0-03:00"


def _without_offset(moment: datetime) -> str:
    """Write a moment as .NET does for an unspecified-kind `DateTime`: local, no offset."""
    return f"{_local(moment):%Y-%m-%dT%H:%M:%S}"


def _end_of_day(now: datetime, days: int) -> str:
    day = _local(now) + timedelta(days=days)
    return f"{day:%Y-%m-%d}T23:59:59-03:00"


def _purchase(
    now: datetime,
    id_: int,
    *,
    ago: int,
    amount: int,
    cash: str | None,
    at: tuple[str, str],
    via: int,
    canceled: bool = False,
) -> _Payload:
    """A purchase `ago` days back at branch `at` (id, name), ordered through origin `via`."""
    received = now - timedelta(days=ago, hours=id_ % 7, minutes=id_ * 7 % 60)
    return {
        "Id": id_,
        "IsCanceled": canceled,
        "DateReceived": _with_offset(received),
        "ExpirationDate": _end_of_day(received, 365),
        "Amount": amount,
        "CashbackAmount": None if cash is None else Decimal(cash),
        "BranchId": at[0],
        "BranchName": at[1],
        "OrderOrigin": via,
        "OrderOriginDescription": _ORIGINS[via],
        "PointType": 1,
        "PointTypeDescription": "Compra",
    }


def _bonus(now: datetime, id_: int, *, ago: int, amount: int, kind: tuple[int, str]) -> _Payload:
    """Points not tied to an order (sign-up, birthday, a redemption when negative)."""
    received = now - timedelta(days=ago)
    return {
        "Id": id_,
        "IsCanceled": False,
        "DateReceived": _without_offset(received),
        "ExpirationDate": _end_of_day(received, 365) if amount > 0 else None,
        "Amount": amount,
        "CashbackAmount": None,
        "BranchId": None,
        "BranchName": None,
        "OrderOrigin": None,
        "OrderOriginDescription": None,
        "PointType": kind[0],
        "PointTypeDescription": kind[1],
    }


_ORIGINS = {0: "Integração", 1: "API", 2: "Importação", 3: "PDV", 4: "Integração offline"}
_SIGNUP = (2, "Cadastro")
_BIRTHDAY = (3, "Aniversário")
_REDEMPTION = (4, "Resgate de recompensa")
_REVIEW = (5, "Avaliação de produto")
_CENTRO = ("001", "Loja Centro")
_SHOPPING = ("002", "Loja Shopping Iguatemi")
_SITE = ("100", "Loja virtual")


def _maria(now: datetime) -> _Payload:
    # The live history adds up to the balance: 1234 points.
    history = [
        _bonus(now, 90114, ago=1, amount=50, kind=_BIRTHDAY),
        _purchase(now, 90113, ago=4, amount=120, cash="2.40", at=_SHOPPING, via=3),
        _purchase(now, 90112, ago=9, amount=300, cash="6.00", at=_SITE, via=0, canceled=True),
        _bonus(now, 90111, ago=15, amount=-200, kind=_REDEMPTION),
        _purchase(now, 90110, ago=22, amount=95, cash="1.90", at=_CENTRO, via=3),
        _purchase(now, 90109, ago=40, amount=230, cash="4.60", at=_SITE, via=0),
        _purchase(now, 90108, ago=61, amount=80, cash="1.60", at=_CENTRO, via=4),
        _purchase(now, 90107, ago=88, amount=150, cash="3.00", at=_SHOPPING, via=3),
        _bonus(now, 90106, ago=120, amount=100, kind=_REVIEW),
        _purchase(now, 90105, ago=170, amount=210, cash=None, at=_SITE, via=1),
        _purchase(now, 90104, ago=230, amount=64, cash="1.28", at=_CENTRO, via=2),
        _bonus(now, 90103, ago=260, amount=-100, kind=_REDEMPTION),
        _purchase(now, 90102, ago=300, amount=335, cash="6.70", at=_SHOPPING, via=3),
        _bonus(now, 90101, ago=340, amount=100, kind=_SIGNUP),
    ]
    return {
        "CustomerExists": True,
        "InternalId": "6f1c2a9e-3d4b-4c8a-9e21-5b7d0a1c3e11",
        "PointsBalance": 1234,
        # Not in date order, as the API does not promise any.
        "PointsToExpire": [
            {"Points": 150, "When": _end_of_day(now, 20)},
            {"Points": 80, "When": _end_of_day(now, 5)},
            {"Points": 300, "When": _end_of_day(now, 75)},
        ],
        "CashbackBalance": Decimal("12.34"),
        "RedeemKey": "MARIA-7Q2K",
        "PointHistory": history,
        "Name": "Maria Silva",
    }


def _joao(now: datetime) -> _Payload:
    return {
        "CustomerExists": True,
        "InternalId": "0b7e4f2d-81c6-4a55-b0d3-9c2e6f1a7b20",
        "PointsBalance": 40,
        "PointsToExpire": [],
        "CashbackBalance": 0,
        "RedeemKey": None,
        "PointHistory": [
            _purchase(now, 90202, ago=3, amount=20, cash=None, at=_CENTRO, via=3),
            _bonus(now, 90201, ago=10, amount=20, kind=_SIGNUP),
        ],
        "Name": "João Souza",
    }


def _ana(now: datetime) -> _Payload:
    return {
        "CustomerExists": True,
        "InternalId": "c3a9d7e1-5f20-4b6e-8a14-2d9f0e7c6b33",
        "PointsBalance": 98765,
        "PointsToExpire": [
            {"Points": 5000, "When": _end_of_day(now, 10)},
            {"Points": 12000, "When": _without_offset(now + timedelta(days=45))},
            {"Points": 20000, "When": _end_of_day(now, 200)},
        ],
        "CashbackBalance": Decimal("1234.5"),
        "RedeemKey": "ANA-VIP-3M9X",
        "PointHistory": [
            _purchase(now, 90305, ago=2, amount=60000, cash="1200.00", at=_SITE, via=0),
            _bonus(now, 90304, ago=30, amount=-11335, kind=_REDEMPTION),
            _purchase(now, 90303, ago=60, amount=50000, cash="1000.00", at=_SHOPPING, via=3),
            _bonus(now, 90302, ago=400, amount=100, kind=_SIGNUP),
        ],
        "Name": "Ana Lima",
    }


_CUSTOMERS: Mapping[str, _Customer] = {
    "maria@exemplo.com.br": _maria,
    "joao@exemplo.com.br": _joao,
    "ana+vip@exemplo.com.br": _ana,
}


def unknown_customer_payload() -> _Payload:
    """What BonifiQ answers, with HTTP 200, for an id it does not know."""
    return {
        "CustomerExists": False,
        "InternalId": None,
        "PointsBalance": 0,
        "PointsToExpire": [],
        "CashbackBalance": 0,
        "RedeemKey": None,
        "PointHistory": [],
        "Name": None,
    }
