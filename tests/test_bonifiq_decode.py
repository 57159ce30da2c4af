"""How a points API payload becomes `CustomerPoints`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.bonifiq.decode import parse_customer_points
from bot.bonifiq.sandbox import unknown_customer_payload
from bot.core.points import (
    BonifiqResponseError,
    CustomerNotFoundError,
    CustomerPoints,
    OrderOrigin,
)
from tests.fixtures.bonifiq import (
    MISSING,
    TEST_TIMEZONE,
    customer_payload,
    expiration_payload,
    transaction_payload,
)
from tests.personas import MARIA


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


@pytest.mark.parametrize(
    "expiration", [{"Points": 10}, {"Points": 10, "When": None}, {"When": "2026-12-15T00:00:00"}]
)
def test_expiration_without_points_or_date_is_left_out(expiration: dict[str, object]) -> None:
    payload = customer_payload(
        PointsToExpire=[expiration, expiration_payload(5, "2026-12-20T00:00:00")]
    )

    assert [item.points for item in parse(payload).points_to_expire] == [5]


NO_DATE = [
    "0001-01-01T00:00:00Z",  # .NET's DateTime.MinValue serialised with an offset
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00-03:00",
    "9999-12-31T23:59:59.9999999",  # DateTime.MaxValue
    "9999-12-31T23:59:59.9999999Z",
    "9999-12-31T23:59:59.9999999+14:00",
    "0000-00-00T00:00:00",
    "0000-00-00",
]


@pytest.mark.parametrize("when", NO_DATE)
def test_expiration_with_a_sentinel_date_is_left_out(when: str) -> None:
    payload = customer_payload(
        PointsToExpire=[expiration_payload(93, when), expiration_payload(5, "2026-12-20")]
    )

    assert [item.points for item in parse(payload).points_to_expire] == [5]


@pytest.mark.parametrize("when", NO_DATE)
def test_history_item_with_a_sentinel_date_keeps_the_item_without_the_date(when: str) -> None:
    payload = customer_payload(
        PointHistory=[transaction_payload(DateReceived=when, ExpirationDate=when, Amount=7)]
    )

    [item] = parse(payload).point_history

    assert (item.amount, item.date_received, item.expiration_date) == (7, None, None)


def test_lone_surrogate_in_a_name_is_replaced() -> None:
    payload = from_json(r'{"CustomerExists": true, "Name": "Z\u00e9 \ud83d"}')

    name = parse(payload).name

    assert name == "Zé \ufffd"
    assert name.encode("utf-8")


def test_surrogate_pair_in_a_name_is_kept_as_the_emoji() -> None:
    payload = from_json(r'{"CustomerExists": true, "Name": "Z\u00e9 \ud83d\ude00"}')

    assert parse(payload).name == "Zé 😀"


def test_control_characters_and_line_breaks_in_text_are_removed() -> None:
    payload = customer_payload(
        Name="Maria\x00\x1b[31m\nSilva",
        PointHistory=[transaction_payload(BranchName="Loja\r\nCentro")],
    )

    points = parse(payload)

    assert points.name == "Maria[31m Silva"
    assert points.point_history[0].branch_name == "Loja Centro"


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1E+999999999"),  # int() of it would never finish
        10**30,
        Decimal("-1E+40"),
    ],
)
def test_absurdly_large_points_are_a_response_error(value: object) -> None:
    with pytest.raises(BonifiqResponseError, match="PointsBalance"):
        parse(customer_payload(PointsBalance=value))


@pytest.mark.parametrize("value", [Decimal("1E+999999999"), "1e400", 10**20])
def test_absurdly_large_cashback_is_a_response_error(value: object) -> None:
    with pytest.raises(BonifiqResponseError, match="CashbackBalance"):
        parse(customer_payload(CashbackBalance=value))


def test_error_messages_do_not_quote_names_or_figures() -> None:
    with pytest.raises(BonifiqResponseError) as error:
        parse(customer_payload(Name=["Maria"], PointsToExpire=[expiration_payload(5, "Maria")]))
    with pytest.raises(BonifiqResponseError) as figure:
        parse(customer_payload(PointsBalance=Decimal("1234.5")))

    assert "Maria" not in str(error.value)
    assert "1234" not in str(figure.value)


def test_unreadable_date_is_quoted_when_it_looks_like_a_date() -> None:
    payload = customer_payload(PointsToExpire=[expiration_payload(5, "2026-13-45T00:00:00")])

    with pytest.raises(BonifiqResponseError, match="2026-13-45"):
        parse(payload)


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


@pytest.mark.parametrize("origin", [42, -7, "Marketplace"])
def test_unknown_order_origin_is_named_other(origin: object) -> None:
    payload = customer_payload(PointHistory=[transaction_payload(OrderOrigin=origin)])

    assert parse(payload).point_history[0].order_origin is OrderOrigin.OTHER


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
