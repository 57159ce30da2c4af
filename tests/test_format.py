"""pt-BR formatting of points, money and dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.core import format as fmt

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(0, "0 pontos"), (1, "1 ponto"), (2, "2 pontos"), (1234, "1.234 pontos"), (-1, "-1 ponto")],
)
def test_points_use_thousands_dots_and_singular_for_one(amount: int, expected: str) -> None:
    assert fmt.points(amount) == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "um dia"),
        (2, "dois dias"),
        (3, "três dias"),
        (10, "dez dias"),
        (30, "30 dias"),
        (365, "365 dias"),
        (3650, "3.650 dias"),
    ],
)
def test_periods_are_written_in_words_up_to_ten_days_and_in_digits_after(
    count: int, expected: str
) -> None:
    assert fmt.days(count) == expected


def test_signed_points_carry_a_plus_for_credits() -> None:
    assert fmt.signed_points(1234) == "+1.234 pontos"
    assert fmt.signed_points(-300) == "-300 pontos"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("12.34"), "R$ 12,34"),
        (Decimal("0"), "R$ 0,00"),
        (Decimal("1234.5"), "R$ 1.234,50"),
        (Decimal("0.005"), "R$ 0,00"),
    ],
)
def test_money_is_brazilian_reais(amount: Decimal, expected: str) -> None:
    assert fmt.money(amount) == expected


def test_day_is_shown_in_the_bot_timezone() -> None:
    moment = datetime(2026, 12, 16, 2, 0, tzinfo=UTC)

    assert fmt.day(moment, SAO_PAULO) == "15/12/2026"


def test_day_accepts_a_plain_date() -> None:
    assert fmt.day(date(2027, 1, 2), SAO_PAULO) == "02/01/2027"
