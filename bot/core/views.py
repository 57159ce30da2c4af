"""Pure renderers: a customer's points as the text a user reads."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.bonifiq.models import CustomerPoints, PointsToExpire, PointTransaction
from bot.core import format as fmt
from bot.core.texts import Catalogue, Html, escape

HISTORY_LIMIT = 10


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


def when_label(days: int, texts: Catalogue) -> Html:
    """Return `hoje`, `amanhã` or `em 5 dias`."""
    if days <= 0:
        return texts.text("when.today")
    if days == 1:
        return texts.text("when.tomorrow")
    return texts.text("when.days", days=days)


def balance(customer: CustomerPoints, now: datetime, timezone: tzinfo, texts: Catalogue) -> Html:
    """Render name, points, cashback (omitted when zero) and upcoming expirations."""
    lines: list[str] = [
        texts.text("balance.title", name=customer.name)
        if customer.name
        else texts.text("balance.title_anonymous"),
        texts.text("balance.points", points=fmt.points(customer.points_balance)),
    ]
    if customer.cashback_balance:
        lines.append(texts.text("balance.cashback", cashback=fmt.money(customer.cashback_balance)))
    lines.append("")
    expirations = upcoming_expirations(customer, now, timezone)
    if expirations:
        lines.append(texts.text("balance.expirations_title"))
        today = fmt.local_date(now, timezone)
        for item in expirations:
            days = fmt.days_between(today, fmt.local_date(item.when, timezone))
            lines.append(
                texts.text(
                    "balance.expiration",
                    points=fmt.points(item.points),
                    date=fmt.day(item.when, timezone),
                    when=when_label(days, texts),
                )
            )
    else:
        lines.append(texts.text("balance.no_expirations"))
    return Html("\n".join(lines))


def _newest_first(item: PointTransaction) -> tuple[float, int]:
    received = item.date_received.timestamp() if item.date_received else float("-inf")
    return (received, item.id or 0)


def _description(item: PointTransaction, texts: Catalogue) -> Html:
    """Return type, branch, order origin and cashback, the parts the API filled in."""
    parts = [escape(item.point_type_description or texts.text("history.default_type"))]
    if item.branch_name:
        parts.append(escape(item.branch_name))
    if item.order_origin_description:
        parts.append(escape(item.order_origin_description))
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
    title = (
        texts.text("history.title", name=customer.name)
        if customer.name
        else texts.text("history.title_anonymous")
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
