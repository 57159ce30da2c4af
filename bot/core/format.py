"""pt-BR formatting of points, money and dates (Babel does the locale rules)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALE = "pt_BR"


def number(value: int) -> str:
    """Return `1.234`."""
    return format_decimal(value, locale=LOCALE)


_SMALL_NUMBERS = ("um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez")
"""Counts written out in words, as pt-BR prose does up to ten (masculine, as `dia`)."""


def days(count: int) -> str:
    """Return a period as prose says it: `um dia`, `três dias`, `30 dias`, `1.000 dias`."""
    if count == 1:
        return "um dia"
    if 1 < count <= len(_SMALL_NUMBERS):
        return f"{_SMALL_NUMBERS[count - 1]} dias"
    return f"{number(count)} dias"


def points(amount: int) -> str:
    """Return `1 ponto`, `1.234 pontos`."""
    unit = "ponto" if abs(amount) == 1 else "pontos"
    return f"{format_decimal(amount, locale=LOCALE)} {unit}"


def signed_points(amount: int) -> str:
    """Return `+120 pontos` or `-300 pontos` for a transaction."""
    unit = "ponto" if abs(amount) == 1 else "pontos"
    number = format_decimal(amount, format="+#,##0;-#,##0", locale=LOCALE)
    return f"{number} {unit}"


def money(amount: Decimal) -> str:
    """Return `R$ 12,34` (a plain space: it reads the same in every channel)."""
    return format_currency(amount, "BRL", locale=LOCALE).replace("\xa0", " ")


def local_date(moment: datetime, timezone: tzinfo) -> date:
    """Return the calendar date of an aware moment in the bot's zone."""
    return moment.astimezone(timezone).date()


def day(moment: datetime | date, timezone: tzinfo) -> str:
    """Return `15/12/2026`, the moment's date in the bot's zone."""
    if isinstance(moment, datetime):
        moment = local_date(moment, timezone)
    return format_date(moment, "dd/MM/yyyy", locale=LOCALE)


def moment(value: datetime, timezone: tzinfo) -> str:
    """Return `15/12/2026 às 10:00`, the moment in the bot's zone."""
    local = value.astimezone(timezone)
    return f"{day(local, timezone)} às {local:%H:%M}"


def days_between(today: date, later: date) -> int:
    """Return whole calendar days from `today` to `later`."""
    return (later - today).days


def shorten(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, the last one an ellipsis when it was cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
