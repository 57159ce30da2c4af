"""How a points API payload becomes `CustomerPoints`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.bonifiq.decode import parse_customer_points
from bot.bonifiq.errors import BonifiqResponseError, CustomerNotFoundError
from bot.bonifiq.models import CustomerPoints, OrderOrigin
from bot.bonifiq.sandbox import unknown_customer_payload
from tests.fixtures.bonifiq import (
    MISSING,
    TEST_TIMEZONE,
    customer_payload,
    expiration_payload,
    transaction_payload,
)

MARIA = "maria@loja.com.br"


def parse(payload: object) -> CustomerPoints:
    return parse_customer_points(MARIA, payload, TEST_TIMEZONE)


def from_json(text: str) -> object:
    """Decode as the client does."""
    return json.loads(text, parse_float=Decimal)


def test_valid_payload_becomes_customer_points() -> None:
    points = parse(customer_payload())

    assert points.customer_id == MARIA
    assert points.name == "Maria Silva"
    assert points.internal_id == "6f1c2a9e-3d4b-4c8a-9e21-5b7d0a1c3e11"
    assert points.points_balance == 1234
    assert points.cashback_balance == Decimal("12.34")
    assert points.redeem_key == "MARIA-7Q2K"
    assert len(points.points_to_expire) == 2
    assert len(points.point_history) == 1


def test_history_item_fields_are_mapped() -> None:
    item = parse(customer_payload(PointHistory=[transaction_payload()])).point_history[0]

    assert item.id == 9001
    assert item.is_canceled is False
    assert item.amount == 120
    assert item.cashback_amount == Decimal("2.40")
    assert item.branch_id == "001"
    assert item.branch_name == "Loja Centro"
    assert item.order_origin is OrderOrigin.PDV
    assert item.order_origin_description == "PDV"
    assert item.point_type == 1
    assert item.point_type_description == "Compra"
    assert item.date_received is not None
    assert item.expiration_date == datetime(2027, 11, 20, 23, 59, 59, tzinfo=TEST_TIMEZONE)


def test_canceled_history_item_is_marked_canceled() -> None:
    payload = customer_payload(PointHistory=[transaction_payload(IsCanceled=True)])

    assert parse(payload).point_history[0].is_canceled is True


def test_redemption_keeps_its_negative_amount() -> None:
    payload = customer_payload(PointHistory=[transaction_payload(Amount=-200)])

    assert parse(payload).point_history[0].amount == -200


def test_customer_exists_false_raises_customer_not_found() -> None:
    with pytest.raises(CustomerNotFoundError) as raised:
        parse(unknown_customer_payload())

    assert raised.value.customer_id == MARIA


def test_missing_customer_exists_is_a_response_error() -> None:
    with pytest.raises(BonifiqResponseError, match="CustomerExists"):
        parse(customer_payload(CustomerExists=MISSING))


@pytest.mark.parametrize("value", ["true", 1, None, "false", 0])
def test_non_boolean_customer_exists_is_a_response_error(value: object) -> None:
    with pytest.raises(BonifiqResponseError, match="CustomerExists"):
        parse(customer_payload(CustomerExists=value))


@pytest.mark.parametrize("payload", [[], "ok", 42, None, True])
def test_payload_that_is_not_an_object_is_a_response_error(payload: object) -> None:
    with pytest.raises(BonifiqResponseError, match="JSON object"):
        parse(payload)


def test_error_envelope_on_200_is_an_error_not_an_empty_customer() -> None:
    envelope = {"HasError": True, "ErrorMessage": "Loja não encontrada", "Data": None}

    with pytest.raises(BonifiqResponseError, match="Loja não encontrada"):
        parse(envelope)


def test_error_envelope_wins_even_with_customer_fields() -> None:
    payload = customer_payload(HasError=True, ErrorMessage="Token expirado")

    with pytest.raises(BonifiqResponseError, match="Token expirado"):
        parse(payload)


def test_error_envelope_message_is_truncated() -> None:
    envelope = {"HasError": True, "ErrorMessage": "x" * 5000}

    with pytest.raises(BonifiqResponseError) as raised:
        parse(envelope)

    assert len(str(raised.value)) < 300


def test_has_error_false_is_ignored() -> None:
    assert parse(customer_payload(HasError=False, ErrorMessage=None)).points_balance == 1234


def test_unknown_extra_fields_are_tolerated() -> None:
    payload = customer_payload(Tier="Ouro", Extra={"a": 1})
    payload["PointHistory"] = [transaction_payload(NewField=[1, 2])]
    payload["PointsToExpire"] = [{"Points": 1, "When": "2026-12-15T00:00:00", "Kind": "x"}]

    assert parse(payload).points_balance == 1234


def test_minimal_existing_customer_gets_defaults() -> None:
    points = parse({"CustomerExists": True})

    assert points.points_balance == 0
    assert points.cashback_balance == Decimal(0)
    assert points.name is None
    assert points.points_to_expire == ()
    assert points.point_history == ()


def test_null_lists_are_empty() -> None:
    points = parse(customer_payload(PointsToExpire=None, PointHistory=None))

    assert points.points_to_expire == ()
    assert points.point_history == ()


def test_history_item_with_only_nulls_gets_defaults() -> None:
    item = dict.fromkeys(transaction_payload())

    decoded = parse(customer_payload(PointHistory=[item])).point_history[0]

    assert decoded.is_canceled is False
    assert decoded.amount == 0
    assert decoded.date_received is None
    assert decoded.cashback_amount is None
    assert decoded.order_origin is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("PointsBalance", "abc"),
        ("PointsBalance", True),
        ("PointsBalance", Decimal("12.5")),
        ("CashbackBalance", "doze"),
        ("CashbackBalance", True),
        ("CashbackBalance", [1]),
        ("Name", 7),
        ("PointsToExpire", {"Points": 1}),
        ("PointHistory", "none"),
    ],
)
def test_wrong_type_is_a_response_error_not_a_validation_error(field: str, value: object) -> None:
    with pytest.raises(BonifiqResponseError, match=field):
        parse(customer_payload(**{field: value}))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Amount", "dez"),
        ("IsCanceled", "yes"),
        ("DateReceived", "ontem"),
        ("DateReceived", 20261215),
        ("CashbackAmount", "NaN"),
        ("OrderOrigin", [3]),
    ],
)
def test_wrong_type_in_history_is_a_response_error(field: str, value: object) -> None:
    payload = customer_payload(PointHistory=[transaction_payload(**{field: value})])

    with pytest.raises(BonifiqResponseError, match=rf"PointHistory\[0\]\.{field}"):
        parse(payload)


def test_expiration_without_date_is_a_response_error() -> None:
    with pytest.raises(BonifiqResponseError, match=r"PointsToExpire\[0\]"):
        parse(customer_payload(PointsToExpire=[{"Points": 10}]))


def test_cashback_is_decimal_not_float() -> None:
    payload = from_json('{"CustomerExists": true, "CashbackBalance": 0.1}')

    cashback = parse(payload).cashback_balance

    assert isinstance(cashback, Decimal)
    assert cashback == Decimal("0.1")


def test_history_cashback_is_decimal_not_float() -> None:
    payload = from_json('{"CustomerExists": true, "PointHistory": [{"CashbackAmount": 1.005}]}')

    assert parse(payload).point_history[0].cashback_amount == Decimal("1.005")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, Decimal(12)),
        ("12.34", Decimal("12.34")),
        (Decimal("12.34"), Decimal("12.34")),
        (12.34, Decimal("12.34")),
    ],
)
def test_cashback_accepts_int_str_decimal_and_float(value: object, expected: Decimal) -> None:
    assert parse(customer_payload(CashbackBalance=value)).cashback_balance == expected


def test_whole_decimal_points_balance_is_accepted() -> None:
    assert parse(customer_payload(PointsBalance=Decimal("1234.0"))).points_balance == 1234


def test_naive_date_time_is_taken_as_in_the_store_timezone() -> None:
    payload = customer_payload(PointsToExpire=[expiration_payload(10, "2026-12-15T00:00:00")])

    when = parse(payload).points_to_expire[0].when

    assert when == datetime(2026, 12, 15, tzinfo=TEST_TIMEZONE)
    assert when.utcoffset() == timedelta(hours=-3)


def test_dotnet_seven_fraction_digits_are_truncated() -> None:
    payload = customer_payload(
        PointsToExpire=[expiration_payload(10, "2026-12-15T00:00:00.1234567-03:00")]
    )

    when = parse(payload).points_to_expire[0].when

    assert when.microsecond == 123456
    assert when.utcoffset() == timedelta(hours=-3)


def test_seven_fraction_digits_without_offset_are_parsed() -> None:
    payload = customer_payload(
        PointHistory=[transaction_payload(DateReceived="2026-11-20T15:30:00.9999999")]
    )

    received = parse(payload).point_history[0].date_received

    assert received == datetime(2026, 11, 20, 15, 30, 0, 999999, tzinfo=TEST_TIMEZONE)


def test_z_suffix_is_utc() -> None:
    payload = customer_payload(PointsToExpire=[expiration_payload(10, "2026-12-15T03:00:00Z")])

    when = parse(payload).points_to_expire[0].when

    assert when == datetime(2026, 12, 15, 3, tzinfo=UTC)


def test_every_date_time_is_timezone_aware() -> None:
    payload = customer_payload(
        PointsToExpire=[expiration_payload(1, "2026-12-15T00:00:00")],
        PointHistory=[
            transaction_payload(DateReceived="2026-11-20T10:00:00", ExpirationDate="2027-11-20")
        ],
    )

    points = parse(payload)
    moments = [
        points.points_to_expire[0].when,
        points.point_history[0].date_received,
        points.point_history[0].expiration_date,
    ]

    assert all(moment is not None and moment.utcoffset() is not None for moment in moments)


def test_points_to_expire_are_sorted_soonest_first() -> None:
    payload = customer_payload(
        PointsToExpire=[
            expiration_payload(300, "2027-02-01T23:59:59-03:00"),
            expiration_payload(80, "2026-12-05T23:59:59-03:00"),
            expiration_payload(150, "2026-12-20T00:00:00"),
        ]
    )

    assert [item.points for item in parse(payload).points_to_expire] == [80, 150, 300]


def test_point_history_keeps_the_api_order() -> None:
    history = [
        transaction_payload(Id=1, DateReceived="2026-01-01T00:00:00"),
        transaction_payload(Id=3, DateReceived="2026-03-01T00:00:00"),
        transaction_payload(Id=2, DateReceived="2026-02-01T00:00:00"),
    ]

    assert [item.id for item in parse(customer_payload(PointHistory=history)).point_history] == [
        1,
        3,
        2,
    ]


def test_unknown_order_origin_is_tolerated_as_none() -> None:
    payload = customer_payload(PointHistory=[transaction_payload(OrderOrigin=42)])

    assert parse(payload).point_history[0].order_origin is None


def test_order_origin_by_name_is_understood() -> None:
    payload = customer_payload(
        PointHistory=[transaction_payload(OrderOrigin="OfflineIntegration")]
    )

    assert parse(payload).point_history[0].order_origin is OrderOrigin.OFFLINE_INTEGRATION


def test_numeric_ids_become_strings() -> None:
    payload = customer_payload(InternalId=12345, PointHistory=[transaction_payload(BranchId=7)])

    points = parse(payload)

    assert points.internal_id == "12345"
    assert points.point_history[0].branch_id == "7"
