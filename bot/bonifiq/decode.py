"""Decode the points API's JSON into typed models, trusting nothing about its shape."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pydantic import ValidationError

from bot.core.points import (
    BonifiqResponseError,
    CustomerNotFoundError,
    CustomerPoints,
    OrderOrigin,
    PointsToExpire,
    PointTransaction,
)
from bot.text import showable

_T = TypeVar("_T")

logger = logging.getLogger(__name__)

# Enough to recognise the message in a log line without letting the API flood it.
_MAX_ERROR_MESSAGE = 200

# .NET writes seven fractional digits; keep the first six, which is all `datetime` holds.
_EXTRA_FRACTION = re.compile(r"(\.\d{6})\d+")

# .NET's DateTime.MinValue and MaxValue stand for "no date"; nothing real falls outside these.
_FIRST_REAL_YEAR = 1900
_LAST_REAL_YEAR = 9000

# Whole points fit in 64 bits (the API documents int32); beyond that a number is garbage, and
# turning a Decimal like 1E+999999999 into an int would take the process down with it.
_MAX_INTEGER_DIGITS = 18
# R$ amounts with more than 15 integer digits are not money a store owes anyone.
_MAX_MONEY_DIGITS = 15

# What may be quoted from a bad date in an error: digits and ISO 8601 punctuation only.
_DATE_SAMPLE = re.compile(r"[0-9TZ:.+\- ]{1,40}")
# A zero date (`0000-00-00…`), as some databases write "no date".
_ZERO_DATE = re.compile(r"0{4}-0{1,2}-0{1,2}(?:\D|$)")

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

    decoded = [
        _points_to_expire(item, f"PointsToExpire[{index}]", tz)
        for index, item in enumerate(_array(body, "PointsToExpire"))
    ]
    expirations = [item for item in decoded if item is not None]
    if len(expirations) < len(decoded):
        logger.info(
            "Left out %d of %d expirations without points or a real date",
            len(decoded) - len(expirations),
            len(decoded),
        )
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


def _points_to_expire(item: object, path: str, tz: tzinfo) -> PointsToExpire | None:
    """Return the expiration, or None when it has no points or no real date (never due)."""
    entry = _object(item, path)
    points = _optional(entry, "Points", _integer, path)
    when = _optional(entry, "When", lambda value, where: _datetime(value, where, tz), path)
    if points is None or when is None:
        return None
    return PointsToExpire(points=points, when=when)


def _transaction(item: object, path: str, tz: tzinfo) -> PointTransaction:
    entry = _object(item, path)

    def in_tz(value: object, where: str) -> datetime | None:
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
        if len(str(abs(value))) <= _MAX_INTEGER_DIGITS:
            return value
    elif (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.adjusted() < _MAX_INTEGER_DIGITS
        and value == value.to_integral_value()
    ):
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
    if amount is None or not amount.is_finite() or amount.adjusted() >= _MAX_MONEY_DIGITS:
        raise BonifiqResponseError(f"{where}: expected an amount of money, got {_describe(value)}")
    return amount


def _boolean(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise BonifiqResponseError(f"{where}: expected true or false, got {_describe(value)}")


def _string(value: object, where: str) -> str:
    if isinstance(value, str):
        return showable(value)
    raise BonifiqResponseError(f"{where}: expected a string, got {_describe(value)}")


def _identifier(value: object, where: str) -> str:
    # Ids are documented as strings, but a numeric id means the same thing.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _string(value, where)


def _order_origin(value: object, where: str) -> OrderOrigin:
    # Origins BonifiQ adds after this code was written must not break the balance.
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return OrderOrigin(value)
        except ValueError:
            return OrderOrigin.OTHER
    if isinstance(value, str):
        return _ORDER_ORIGIN_NAMES.get(value.strip().lower(), OrderOrigin.OTHER)
    raise BonifiqResponseError(f"{where}: expected an order origin, got {_describe(value)}")


def _datetime(value: object, where: str, tz: tzinfo) -> datetime | None:
    """Return an aware date-time, or None for .NET's "no date" sentinels and impossible dates."""
    if not isinstance(value, str):
        raise BonifiqResponseError(f"{where}: expected a date-time, got {_describe(value)}")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(_EXTRA_FRACTION.sub(r"\1", text))
    except ValueError as exc:
        if _ZERO_DATE.match(text):
            return None
        sample = repr(text) if _DATE_SAMPLE.fullmatch(text) else _describe(value)
        raise BonifiqResponseError(f"{where}: expected a date-time, got {sample}") from exc
    # Outside these years a date cannot be a real one, and converting it to UTC or to the
    # bot's zone (as every later step does) could overflow.
    if not _FIRST_REAL_YEAR <= moment.year <= _LAST_REAL_YEAR:
        return None
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
    # Strings may be names or e-mails and numbers may be balances: name the kind, not the value.
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return "a number"
