"""Decode the points API's JSON into typed models, trusting nothing about its shape."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pydantic import ValidationError

from bot.bonifiq.errors import BonifiqResponseError, CustomerNotFoundError
from bot.bonifiq.models import CustomerPoints, OrderOrigin, PointsToExpire, PointTransaction

_T = TypeVar("_T")

# Enough to recognise the message in a log line without letting the API flood it.
_MAX_ERROR_MESSAGE = 200

# .NET writes seven fractional digits; keep the first six, which is all `datetime` holds.
_EXTRA_FRACTION = re.compile(r"(\.\d{6})\d+")

_ORDER_ORIGIN_NAMES = {
    "integration": OrderOrigin.INTEGRATION,
    "api": OrderOrigin.API,
    "import": OrderOrigin.IMPORT,
    "pdv": OrderOrigin.PDV,
    "offlineintegration": OrderOrigin.OFFLINE_INTEGRATION,
}


def parse_customer_points(customer_id: str, payload: object, tz: tzinfo) -> CustomerPoints:
    """Turn a decoded `CustomerPointsResponse` into `CustomerPoints`.

    Args:
        customer_id: The id the caller asked for; BonifiQ does not echo it back.
        payload: The decoded JSON body (parsed with `parse_float=Decimal`).
        tz: The zone that date-times without an offset are taken to be in.

    Raises:
        CustomerNotFoundError: BonifiQ says the customer does not exist.
        BonifiqResponseError: The payload is an error envelope or not the documented shape.
    """
    try:
        return _customer_points(customer_id, payload, tz)
    except ValidationError as exc:  # a bug of ours, but callers only handle BonifiqError
        raise BonifiqResponseError(
            f"unexpected customer points ({exc.error_count()} validation errors)"
        ) from exc


def _customer_points(customer_id: str, payload: object, tz: tzinfo) -> CustomerPoints:
    body = _object(payload, "response")
    if body.get("HasError") is True:
        raise BonifiqResponseError(f"BonifiQ reported an error: {_error_message(body)}")
    exists = body.get("CustomerExists")
    if not isinstance(exists, bool):
        problem = f"CustomerExists: expected true or false, got {_describe(exists)}"
        if "ErrorMessage" in body:
            problem += f" (ErrorMessage: {_error_message(body)})"
        raise BonifiqResponseError(problem)
    if not exists:
        raise CustomerNotFoundError(customer_id)

    expirations = [
        _points_to_expire(item, f"PointsToExpire[{index}]", tz)
        for index, item in enumerate(_array(body, "PointsToExpire"))
    ]
    expirations.sort(key=lambda expiration: expiration.when)
    balance = _optional(body, "PointsBalance", _integer)
    cashback = _optional(body, "CashbackBalance", _money)
    return CustomerPoints(
        customer_id=customer_id,
        internal_id=_optional(body, "InternalId", _identifier),
        name=_optional(body, "Name", _string),
        points_balance=0 if balance is None else balance,
        cashback_balance=Decimal(0) if cashback is None else cashback,
        redeem_key=_optional(body, "RedeemKey", _string),
        points_to_expire=tuple(expirations),
        point_history=tuple(
            _transaction(item, f"PointHistory[{index}]", tz)
            for index, item in enumerate(_array(body, "PointHistory"))
        ),
    )


def _points_to_expire(item: object, path: str, tz: tzinfo) -> PointsToExpire:
    entry = _object(item, path)
    points = _optional(entry, "Points", _integer, path)
    when = _optional(entry, "When", lambda value, where: _datetime(value, where, tz), path)
    if points is None or when is None:
        raise BonifiqResponseError(f"{path}: Points and When are required")
    return PointsToExpire(points=points, when=when)


def _transaction(item: object, path: str, tz: tzinfo) -> PointTransaction:
    entry = _object(item, path)

    def in_tz(value: object, where: str) -> datetime:
        return _datetime(value, where, tz)

    amount = _optional(entry, "Amount", _integer, path)
    return PointTransaction(
        id=_optional(entry, "Id", _integer, path),
        is_canceled=_optional(entry, "IsCanceled", _boolean, path) is True,
        date_received=_optional(entry, "DateReceived", in_tz, path),
        expiration_date=_optional(entry, "ExpirationDate", in_tz, path),
        amount=0 if amount is None else amount,
        cashback_amount=_optional(entry, "CashbackAmount", _money, path),
        branch_id=_optional(entry, "BranchId", _identifier, path),
        branch_name=_optional(entry, "BranchName", _string, path),
        order_origin=_optional(entry, "OrderOrigin", _order_origin, path),
        order_origin_description=_optional(entry, "OrderOriginDescription", _string, path),
        point_type=_optional(entry, "PointType", _integer, path),
        point_type_description=_optional(entry, "PointTypeDescription", _string, path),
    )


def _optional(
    body: Mapping[str, object],
    key: str,
    convert: Callable[[object, str], _T],
    path: str = "",
) -> _T | None:
    """Return the converted field, or None when it is absent or null."""
    value = body.get(key)
    if value is None:
        return None
    return convert(value, f"{path}.{key}" if path else key)


def _object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise BonifiqResponseError(f"{where}: expected a JSON object, got {_describe(value)}")
    return value


def _array(body: Mapping[str, object], key: str) -> list[object]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BonifiqResponseError(f"{key}: expected a list, got {_describe(value)}")
    return value


def _integer(value: object, where: str) -> int:
    # bool is an int subclass; a Decimal like 10.0 is still a whole number of points.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise BonifiqResponseError(f"{where}: expected an integer, got {_describe(value)}")


def _money(value: object, where: str) -> Decimal:
    amount: Decimal | None = None
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float):
        # Only reached when someone parsed without parse_float=Decimal; repr is the
        # shortest string that round-trips, so 12.34 stays 12.34.
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            amount = None
    if amount is None or not amount.is_finite():
        raise BonifiqResponseError(f"{where}: expected an amount of money, got {_describe(value)}")
    return amount


def _boolean(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise BonifiqResponseError(f"{where}: expected true or false, got {_describe(value)}")


def _string(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    raise BonifiqResponseError(f"{where}: expected a string, got {_describe(value)}")


def _identifier(value: object, where: str) -> str:
    # Ids are documented as strings, but a numeric id means the same thing.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _string(value, where)


def _order_origin(value: object, where: str) -> OrderOrigin | None:
    # Origins BonifiQ adds after this code was written must not break the balance.
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return OrderOrigin(value)
        except ValueError:
            return None
    if isinstance(value, str):
        return _ORDER_ORIGIN_NAMES.get(value.strip().lower())
    raise BonifiqResponseError(f"{where}: expected an order origin, got {_describe(value)}")


def _datetime(value: object, where: str, tz: tzinfo) -> datetime:
    if not isinstance(value, str):
        raise BonifiqResponseError(f"{where}: expected a date-time, got {_describe(value)}")
    try:
        moment = datetime.fromisoformat(_EXTRA_FRACTION.sub(r"\1", value.strip()))
    except ValueError as exc:
        raise BonifiqResponseError(f"{where}: expected a date-time, got {value[:40]!r}") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=tz)
    return moment


def _error_message(body: Mapping[str, object]) -> str:
    message = body.get("ErrorMessage")
    if not isinstance(message, str) or not message.strip():
        return "(no ErrorMessage)"
    text = " ".join(message.split())
    if len(text) > _MAX_ERROR_MESSAGE:
        text = text[: _MAX_ERROR_MESSAGE - 1] + "…"
    return text


def _describe(value: object) -> str:
    """Name a JSON value's type (and a short sample) without echoing a whole document."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    sample = repr(value) if isinstance(value, str) else str(value)
    return sample if len(sample) <= 40 else sample[:39] + "…"
