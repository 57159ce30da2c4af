"""How long each kind of record is kept: one policy, read by the purge and by the texts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from bot.core import format as fmt
from bot.core.ports import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Every retention period, in days; the daily purge deletes by it and `/privacidade` says it.

    Only `history_days` is a setting (`RETENTION_DAYS`); the others follow from what the records
    are for, and the defaults are what the README's retention table states.
    """

    history_days: int = 365
    """Ended links, expired invites and admin audit rows, after they ended, expired or happened."""
    ledger_days: int = 30
    """A reminder record, after the expiration it was about (so it is never sent twice)."""
    attempt_days: int = 1
    """A bad invite code; throttling only looks back 15 minutes."""
    inbound_days: int = 3
    """A delivered WhatsApp message id: Meta retries for about a day, and the newest tells when
    WhatsApp's 24-hour window closes."""


async def purge(
    store: Store, policy: RetentionPolicy, now: datetime, timezone: tzinfo
) -> dict[str, int]:
    """Delete what is past `policy` at `now`; return how many rows each table lost."""
    today = fmt.local_date(now, timezone)
    async with store.unit_of_work() as uow:
        purged = await uow.privacy.purge(
            ledger_before=today - timedelta(days=policy.ledger_days),
            history_before=now - timedelta(days=policy.history_days),
            attempts_before=now - timedelta(days=policy.attempt_days),
            messages_before=now - timedelta(days=policy.inbound_days),
        )
        await uow.commit()
    if any(purged.values()):
        logger.info(
            "Retention: deleted %s",
            ", ".join(f"{table} {count}" for table, count in purged.items() if count),
        )
    return purged
