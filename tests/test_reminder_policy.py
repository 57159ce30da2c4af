"""Reminder policy: which expirations are due, and when a daily sweep was missed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.core.models import LedgerKey
from bot.core.points import CustomerPoints, PointsToExpire
from bot.core.reminders import DueExpiration, due_expirations, reminder, sweep_missed
from bot.core.texts import Catalogue

SP = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)  # 10:00 on 26/11 in São Paulo
THRESHOLDS = (30, 7, 1)


def customer(*expirations: tuple[int, datetime]) -> CustomerPoints:
    return CustomerPoints(
        customer_id="maria@loja.com.br",
        name="Maria",
        points_balance=1234,
        cashback_balance=Decimal("12.34"),
        points_to_expire=tuple(PointsToExpire(points=p, when=w) for p, w in expirations),
    )


def local(day: int, month: int = 12, hour: int = 23) -> datetime:
    return datetime(2026, month, day, hour, 59, tzinfo=SP)


def test_nothing_is_due_before_the_first_threshold() -> None:
    assert due_expirations(customer((100, local(31))), NOW, SP, THRESHOLDS) == []


def test_the_thirty_day_threshold_is_crossed_at_thirty_days_left() -> None:
    [due] = due_expirations(customer((100, local(26))), NOW, SP, THRESHOLDS)

    assert due == DueExpiration(date(2026, 12, 26), 100, 30, (30,))


def test_a_late_first_look_settles_every_crossed_threshold_in_one_reminder() -> None:
    [due] = due_expirations(customer((100, local(29, 11))), NOW, SP, THRESHOLDS)

    assert due.days_left == 3
    assert due.thresholds == (30, 7)


def test_the_expiration_day_itself_still_counts() -> None:
    [due] = due_expirations(customer((5, local(26, 11))), NOW, SP, THRESHOLDS)

    assert due.days_left == 0
    assert due.thresholds == (30, 7, 1)


def test_past_and_zero_point_expirations_are_never_due() -> None:
    past = (50, local(25, 11))
    zero = (0, local(27, 11))

    assert due_expirations(customer(past, zero), NOW, SP, THRESHOLDS) == []


def test_thresholds_already_sent_are_not_due_again() -> None:
    sent = {LedgerKey(date(2026, 11, 29), 30), LedgerKey(date(2026, 11, 29), 7)}

    assert due_expirations(customer((100, local(29, 11))), NOW, SP, THRESHOLDS, sent) == []


def test_a_newly_crossed_threshold_is_due_after_earlier_ones_were_sent() -> None:
    sent = {LedgerKey(date(2026, 11, 27), 30), LedgerKey(date(2026, 11, 27), 7)}

    [due] = due_expirations(customer((100, local(27, 11))), NOW, SP, THRESHOLDS, sent)

    assert due.thresholds == (1,)


def test_days_are_counted_in_the_bot_timezone() -> None:
    # 01:00 UTC on 04/12 is still 03/12 in São Paulo: 7 days left, not 8.
    when = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)

    [due] = due_expirations(customer((10, when)), NOW, SP, THRESHOLDS)

    assert (due.expires_on, due.days_left) == (date(2026, 12, 3), 7)


def test_expirations_on_one_day_are_added_up() -> None:
    [due] = due_expirations(
        customer((10, local(3, hour=8)), (15, local(3, hour=20))), NOW, SP, THRESHOLDS
    )

    assert due.points == 25


def test_reminder_names_total_each_expiration_balance_and_how_to_stop() -> None:
    item = customer((80, local(3)), (20, local(20)))
    due = due_expirations(item, NOW, SP, THRESHOLDS)

    reply = reminder(item, due, SP, Catalogue.load())

    assert "100 pontos perto de expirar" in reply.text
    assert "80 pontos expiram em 03/12/2026 (em 7 dias)" in reply.text
    assert "20 pontos expiram em 20/12/2026 (em 24 dias)" in reply.text
    assert "1.234 pontos" in reply.text
    assert "R$ 12,34" in reply.text
    assert "/lembretes off" in reply.text
    assert [b.action for row in reply.buttons for b in row] == ["saldo", "lembretes off"]


def test_a_sweep_before_todays_slot_is_not_missed_if_yesterdays_ran() -> None:
    yesterday_slot = datetime(2026, 11, 25, 10, 0, tzinfo=SP)
    early = datetime(2026, 11, 26, 9, 0, tzinfo=SP)

    assert not sweep_missed(yesterday_slot, early, time(10, 0), SP)


def test_a_sweep_is_missed_when_todays_slot_passed_without_one() -> None:
    yesterday_slot = datetime(2026, 11, 25, 10, 0, tzinfo=SP)
    late = datetime(2026, 11, 26, 10, 30, tzinfo=SP)

    assert sweep_missed(yesterday_slot, late, time(10, 0), SP)


def test_a_first_start_catches_up() -> None:
    assert sweep_missed(None, NOW, time(10, 0), SP)
