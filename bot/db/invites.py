"""Invites and invite attempts in SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.customer_ids import canonical_customer_id
from bot.core.models import Invite, NewInvite
from bot.db.rows import as_utc, find_user, require_aware, require_fits
from bot.db.tables import (
    CODE_HASH_LENGTH,
    CUSTOMER_ID_LENGTH,
    ORIGIN_LENGTH,
    InviteAttemptRow,
    InviteRow,
)


class SqlInviteRepository:
    """Invites in `invites`, bad codes in `invite_attempts`."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, invite: NewInvite) -> None:
        """Store a new invite, its customer id in canonical form."""
        require_aware(invite.issued_at)
        require_aware(invite.expires_at)
        require_fits("code hash", invite.code_hash, CODE_HASH_LENGTH)
        customer_id = canonical_customer_id(invite.customer_id)
        require_fits("customer id", customer_id, CUSTOMER_ID_LENGTH)
        require_fits("issued via", invite.issued_via, ORIGIN_LENGTH)
        self._session.add(
            InviteRow(
                code_hash=invite.code_hash,
                customer_id=customer_id,
                issued_via=invite.issued_via,
                issued_by=invite.issued_by,
                issued_at=invite.issued_at,
                expires_at=invite.expires_at,
            )
        )
        await self._session.flush()

    async def find(self, code_hash: str) -> Invite | None:
        """Return the invite with this code hash, used or not, or None."""
        row = (
            await self._session.scalars(select(InviteRow).where(InviteRow.code_hash == code_hash))
        ).one_or_none()
        if row is None:
            return None
        used_at = as_utc(row.used_at) if row.used_at is not None else None
        return Invite(row.customer_id, as_utc(row.expires_at), used_at)

    async def consume(self, code_hash: str, channel: str, user_id: str, now: datetime) -> bool:
        """Mark the invite used by this user, in one statement; False if used or expired.

        One conditional UPDATE: on PostgreSQL a second transaction updating the same row
        waits for the first, then re-checks `used_at IS NULL` and finds it set; SQLite
        runs one writer at a time. Either way exactly one user wins.
        """
        require_aware(now)
        user = await find_user(self._session, channel, user_id)
        statement = (
            update(InviteRow)
            .where(
                InviteRow.code_hash == code_hash,
                InviteRow.used_at.is_(None),
                InviteRow.expires_at > now,
            )
            .values(used_at=now, used_by=None if user is None else user.id)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(statement)
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def record_bad_attempt(self, channel: str, user_id: str, now: datetime) -> None:
        """Remember that the user sent a code that was unknown, used or expired."""
        require_aware(now)
        # Locked, so a concurrent erase of the user is waited for and then seen as no user.
        user = await find_user(self._session, channel, user_id, for_update=True)
        if user is None:  # only users the bot has seen can send codes
            return
        self._session.add(InviteAttemptRow(chat_user_id=user.id, at=now))
        await self._session.flush()

    async def bad_attempts(self, channel: str, user_id: str, since: datetime) -> int:
        """Count the user's bad codes since `since`."""
        require_aware(since)
        user = await find_user(self._session, channel, user_id)
        if user is None:
            return 0
        statement = select(func.count(InviteAttemptRow.id)).where(
            InviteAttemptRow.chat_user_id == user.id, InviteAttemptRow.at > since
        )
        return int(await self._session.scalar(statement) or 0)
