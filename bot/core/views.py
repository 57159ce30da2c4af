"""Pure renderers: a customer's points as the text a user reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.core import format as fmt
from bot.core.points import CustomerPoints, PointsToExpire, PointTransaction
from bot.core.texts import Catalogue, Html, escape

HISTORY_LIMIT = 10
EXPIRATIONS_LIMIT = 10
"""Expirations listed in a balance or a reminder; the rest are summed in one line."""
NAME_LIMIT = 64
"""Characters of a customer's name shown; Telegram's own first names are at most 64."""
DETAIL_LIMIT = 60
"""Characters of a branch, type or origin description in the history."""


def upcoming_expirations(
    customer: CustomerPoints, now: datetime, timezone: tzinfo
) -> list[PointsToExpire]:
    """Return expirations that have not passed (the day itself counts), soonest first."""
    today = fmt.local_date(now, timezone)
    due = [
        item
        for item in customer.points_to_expire
        if item.points > 0 and fmt.local_date(item.when, timezone) >= today
    ]
    return sorted(due, key=lambda item: item.when)


def customer_name(customer: CustomerPoints) -> str | None:
    """Return the name to show, shortened, or None when the API has none."""
    name = fmt.shorten(customer.name, NAME_LIMIT) if customer.name else ""
    return name or None


def more_expirations(rest: Sequence[int], texts: Catalogue) -> list[Html]:
    """Return the `… e mais N vencimentos (X pontos)` line for expirations left out, if any."""
    if not rest:
        return []
    points = fmt.points(sum(rest))
    if len(rest) == 1:
        return [texts.text("expirations.more_one", points=points)]
    return [texts.text("expirations.more_many", count=fmt.number(len(rest)), points=points)]


def when_label(days: int, texts: Catalogue) -> Html:
    """Return `hoje`, `amanhã` or `em 5 dias`."""
    if days <= 0:
        return texts.text("when.today")
    if days == 1:
        return texts.text("when.tomorrow")
    return texts.text("when.days", days=days)


def balance(customer: CustomerPoints, now: datetime, timezone: tzinfo, texts: Catalogue) -> Html:
    """Render name, points, cashback (omitted when zero) and upcoming expirations."""
    name = customer_name(customer)
    lines: list[str] = [
        texts.text("balance.title", name=name) if name else texts.text("balance.title_anonymous"),
        texts.text("balance.points", points=fmt.points(customer.points_balance)),
    ]
    if customer.cashback_balance:
        lines.append(texts.text("balance.cashback", cashback=fmt.money(customer.cashback_balance)))
    lines.append("")
    expirations = upcoming_expirations(customer, now, timezone)
    if expirations:
        lines.append(texts.text("balance.expirations_title"))
        today = fmt.local_date(now, timezone)
        for item in expirations[:EXPIRATIONS_LIMIT]:
            days = fmt.days_between(today, fmt.local_date(item.when, timezone))
            lines.append(
                texts.text(
                    "balance.expiration",
                    points=fmt.points(item.points),
                    date=fmt.day(item.when, timezone),
                    when=when_label(days, texts),
                )
            )
        rest = [item.points for item in expirations[EXPIRATIONS_LIMIT:]]
        lines += more_expirations(rest, texts)
    else:
        lines.append(texts.text("balance.no_expirations"))
    return Html("\n".join(lines))


def _newest_first(item: PointTransaction) -> tuple[float, int]:
    received = item.date_received.timestamp() if item.date_received else float("-inf")
    return (received, item.id or 0)


def _description(item: PointTransaction, texts: Catalogue) -> Html:
    """Return type, branch, order origin and cashback, the parts the API filled in."""
    kind = item.point_type_description
    parts = [
        escape(fmt.shorten(kind, DETAIL_LIMIT)) if kind else texts.text("history.default_type")
    ]
    if item.branch_name:
        parts.append(escape(fmt.shorten(item.branch_name, DETAIL_LIMIT)))
    if item.order_origin_description:
        parts.append(escape(fmt.shorten(item.order_origin_description, DETAIL_LIMIT)))
    elif item.order_origin is not None:
        parts.append(texts.text(f"origin.{int(item.order_origin)}"))
    if item.cashback_amount:
        parts.append(texts.text("history.cashback", cashback=fmt.money(item.cashback_amount)))
    return Html(" · ".join(parts))


def history(
    customer: CustomerPoints,
    timezone: tzinfo,
    texts: Catalogue,
    limit: int = HISTORY_LIMIT,
) -> Html:
    """Render the newest `limit` transactions, canceled ones marked, and how many are left."""
    name = customer_name(customer)
    title = (
        texts.text("history.title", name=name) if name else texts.text("history.title_anonymous")
    )
    items = sorted(customer.point_history, key=_newest_first, reverse=True)
    if not items:
        return Html(f"{title}\n{texts.text('history.empty')}")
    lines = [title]
    for item in items[:limit]:
        key = "history.item_canceled" if item.is_canceled else "history.item"
        lines.append(
            texts.text(
                key,
                date=fmt.day(item.date_received, timezone) if item.date_received else "—",
                amount=fmt.signed_points(item.amount),
                description=_description(item, texts),
            )
        )
    rest = len(items) - limit
    if rest == 1:
        lines.append(texts.text("history.more_one"))
    elif rest > 1:
        lines.append(texts.text("history.more_many", count=fmt.number(rest)))
    return Html("\n".join(lines))
