"""Inbound messages in SQL: handled once each, and when a user last wrote."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.rows import as_utc, require_aware
from bot.db.tables import MESSAGE_ID_LENGTH, InboundMessageRow


class SqlInboundRepository:
    """Rows of `inbound_messages`, unique on (channel, message id)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_delivery(
        self, channel: str, message_id: str, user_id: str, sent_at: datetime, now: datetime
    ) -> bool:
        """Record the message; False when it was recorded before (a repeated delivery)."""
        require_aware(sent_at)
        require_aware(now)
        if len(message_id) > MESSAGE_ID_LENGTH:
            raise ValueError("message id too long")
        row = InboundMessageRow(
            channel=channel,
            message_id=message_id,
            user_id=user_id,
            sent_at=sent_at,
            received_at=now,
        )
        try:
            # The savepoint confines a duplicate's unique-constraint error to this insert,
            # whichever process or task inserted first.
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
        except IntegrityError:
            return False
        return True

    async def last_message_at(self, channel: str, user_id: str) -> datetime | None:
        """Return when the user last wrote, by the channel's timestamp, if still kept."""
        newest = await self._session.scalar(
            select(func.max(InboundMessageRow.sent_at)).where(
                InboundMessageRow.channel == channel, InboundMessageRow.user_id == user_id
            )
        )
        return as_utc(newest) if newest is not None else None
