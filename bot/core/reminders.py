"""Reminder policy: which expirations are due for a reminder, and what the reminder says."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from bot.core import format as fmt
from bot.core.messages import Button, Reply
from bot.core.models import LedgerKey
from bot.core.points import CustomerPoints, PointsToExpire
from bot.core.texts import Catalogue, Html
from bot.core.views import EXPIRATIONS_LIMIT, customer_name, more_expirations, when_label

UNKNOWN_LISTED = 20
"""Unknown customers named in a sweep report; the rest are counted."""
ID_LIMIT = 64
"""Characters of each customer id in a sweep report."""


class SweepBusyError(Exception):
    """Another sweep is running in this process."""


class SweepAbortedError(Exception):
    """The sweep could not do its job at all (say, the points API refused our credentials)."""


@dataclass(frozen=True, slots=True)
class DueExpiration:
    """Points expiring on one local day, and the thresholds this reminder settles."""

    expires_on: date
    points: int
    days_left: int
    thresholds: tuple[int, ...]

    def ledger_keys(self) -> list[LedgerKey]:
        """Return the ledger entries that record this reminder as sent."""
        return [LedgerKey(self.expires_on, threshold) for threshold in self.thresholds]


def expirations_by_day(
    items: Iterable[PointsToExpire], today: date, timezone: tzinfo
) -> dict[date, int]:
    """Sum positive expirations per local day, dropping days already past."""
    totals: dict[date, int] = defaultdict(int)
    for item in items:
        day = fmt.local_date(item.when, timezone)
        if item.points > 0 and day >= today:
            totals[day] += item.points
    return dict(sorted(totals.items()))


def due_expirations(
    customer: CustomerPoints,
    now: datetime,
    timezone: tzinfo,
    thresholds: Collection[int],
    already_sent: Collection[LedgerKey] = (),
) -> list[DueExpiration]:
    """Return expirations with a crossed threshold not yet reminded, soonest first.

    Days left are calendar days in the bot's zone; a threshold is crossed when days left is at
    most the threshold, and the expiration day itself still counts. Every threshold crossed
    and not yet sent is settled by the one reminder, so a late first sweep sends one message.
    """
    today = fmt.local_date(now, timezone)
    due = []
    for day, points in expirations_by_day(customer.points_to_expire, today, timezone).items():
        days_left = fmt.days_between(today, day)
        crossed = sorted(
            (
                threshold
                for threshold in thresholds
                if days_left <= threshold and LedgerKey(day, threshold) not in already_sent
            ),
            reverse=True,
        )
        if crossed:
            due.append(DueExpiration(day, points, days_left, tuple(crossed)))
    return due


def reminder(
    customer: CustomerPoints,
    due: list[DueExpiration],
    timezone: tzinfo,
    texts: Catalogue,
    channel: str = "telegram",
) -> Reply:
    """Render one reminder covering every due expiration of a customer, for `channel`."""
    total = sum(item.points for item in due)
    lines: list[str] = [texts.text("reminder.title", points=fmt.points(total)), ""]
    for item in due[:EXPIRATIONS_LIMIT]:
        lines.append(
            texts.text(
                "reminder.expiration",
                points=fmt.points(item.points),
                date=fmt.day(item.expires_on, timezone),
                when=when_label(item.days_left, texts),
            )
        )
    lines += more_expirations([item.points for item in due[EXPIRATIONS_LIMIT:]], texts)
    lines += ["", texts.text("reminder.balance", points=fmt.points(customer.points_balance))]
    if customer.cashback_balance:
        lines.append(texts.text("balance.cashback", cashback=fmt.money(customer.cashback_balance)))
    lines += ["", texts.text_for(channel, "reminder.how_to_stop")]
    buttons = (
        (
            Button(texts.text("button.balance_full"), action="saldo"),
            Button(texts.text("button.reminders_off"), action="lembretes off"),
        ),
    )
    return Reply(
        Html("\n".join(lines)), buttons=buttons, template=template(customer, due, timezone, texts)
    )


def template(
    customer: CustomerPoints, due: list[DueExpiration], timezone: tzinfo, texts: Catalogue
) -> tuple[str, str, str, str]:
    """Return the reminder template's parameters: name, points expiring, first date, balance.

    The soonest expiration is the one the date names; the points are every due expiration's.
    """
    name = customer_name(customer) or texts.text("reminder.template_no_name")
    total = sum(item.points for item in due)
    return (
        name,
        fmt.number(total),
        fmt.day(due[0].expires_on, timezone),
        fmt.number(customer.points_balance),
    )


def sweep_report(summary: SweepSummary, texts: Catalogue) -> Reply:
    """Render a sweep's summary for admins, naming customers BonifiQ no longer knows.

    Links whose user never opened the bot are counted: no reminder can reach them yet.
    """
    lines = [
        texts.text(
            "admin.sweep_done",
            checked=fmt.number(summary.checked),
            customers=fmt.number(summary.customers),
            sent=fmt.number(summary.sent),
            failed=fmt.number(summary.failed),
            blocked=fmt.number(summary.blocked),
        )
    ]
    if summary.unknown_customers:
        listed = summary.unknown_customers[:UNKNOWN_LISTED]
        shown = ", ".join(fmt.shorten(customer_id, ID_LIMIT) for customer_id in listed)
        if len(summary.unknown_customers) > UNKNOWN_LISTED:
            shown += f" (+{len(summary.unknown_customers) - UNKNOWN_LISTED})"
        lines.append(texts.text("admin.sweep_unknown", ids=shown))
    if summary.waiting == 1:
        lines.append(texts.text("admin.sweep_waiting_one"))
    elif summary.waiting:
        lines.append(texts.text("admin.sweep_waiting_many", count=fmt.number(summary.waiting)))
    return Reply(Html("\n".join(lines)))


def last_scheduled_run(now: datetime, at: time, timezone: tzinfo) -> datetime:
    """Return the newest daily slot (`at`, local time) that is not in the future."""
    local_now = now.astimezone(timezone)
    slot = datetime.combine(local_now.date(), at, tzinfo=timezone)
    if slot > local_now:
        slot = datetime.combine(local_now.date() - timedelta(days=1), at, tzinfo=timezone)
    return slot


def sweep_missed(last_started: datetime | None, now: datetime, at: time, timezone: tzinfo) -> bool:
    """Tell whether the newest daily slot passed without a sweep (say the bot was down)."""
    return last_started is None or last_started < last_scheduled_run(now, at, timezone)


@dataclass
class SweepSummary:
    """What one sweep did; per-customer failures are counted, not raised."""

    customers: int = 0
    checked: int = 0
    """Customers the points API answered for."""
    sent: int = 0
    skipped: int = 0
    """Customers the points API no longer knows (listed in `unknown_customers`)."""
    failed: int = 0
    """Customers that could not be fetched, plus reminders that could not be delivered."""
    blocked: int = 0
    """Chats that turned out to have blocked the bot (they are not swept again)."""
    waiting: int = 0
    """Links whose user never opened a chat with the bot, which may not write first: they
    get reminders once the user writes to it."""
    unknown_customers: list[str] = field(default_factory=list)

    @property
    def everything_failed(self) -> bool:
        """True when there were customers and the points API answered for none of them."""
        return self.customers > 0 and self.checked + self.skipped == 0

    def add(self, other: SweepSummary) -> None:
        """Add another channel's sweep of the same customers to this one."""
        self.customers += other.customers
        self.checked += other.checked
        self.sent += other.sent
        self.skipped += other.skipped
        self.failed += other.failed
        self.blocked += other.blocked
        self.waiting += other.waiting
        self.unknown_customers += [
            customer
            for customer in other.unknown_customers
            if customer not in self.unknown_customers
        ]

    def counts(self) -> dict[str, int]:
        """Return the counts to keep in the database."""
        return {
            "customers": self.customers,
            "checked": self.checked,
            "sent": self.sent,
            "skipped": self.skipped,
            "failed": self.failed,
        }

    def line(self) -> str:
        """Return a one-line summary for operators' logs and the command line.

        Links waiting for their user to open the bot are named only when there are any.
        """
        line = (
            f"customers checked: {self.checked}/{self.customers}, reminders sent: {self.sent},"
            f" skipped: {self.skipped}, failed: {self.failed}, blocked chats: {self.blocked}"
        )
        if self.waiting == 1:
            return line + "; 1 link waiting for its user to open the bot"
        if self.waiting:
            return line + f"; {self.waiting} links waiting for their users to open the bot"
        return line
