"""SQL repositories of chat users, links and the admin audit; they flush but never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.customer_ids import canonical_customer_id
from bot.core.models import (
    AuditEntry,
    ChatUser,
    Link,
    UserProfile,
)
from bot.db.rows import (
    active_row,
    apply_profile,
    audit_entry,
    chat_user,
    clip,
    create_user,
    find_user,
    require_aware,
    require_fits,
    to_link,
)
from bot.db.tables import (
    ACTION_LENGTH,
    CHANNEL_LENGTH,
    CUSTOMER_ID_LENGTH,
    DETAIL_LENGTH,
    AdminAuditRow,
    ChatUserRow,
    LinkRow,
)


class SqlChatUserRepository:
    """Chat users in the `chat_users` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def seen(self, profile: UserProfile, chat_id: str | None, now: datetime) -> ChatUser:
        """Create or refresh the user: profile and last_seen_at updated, first_seen_at kept.

        `chat_id` is the private chat; None (a message elsewhere) keeps the known one.
        """
        require_aware(now)
        require_fits("channel", profile.channel, CHANNEL_LENGTH)
        # Locked as the erase locks it, so an erase of this user committed meanwhile is seen
        # (no row: a new user) instead of an update of a deleted row failing at the flush.
        row = await find_user(self._session, profile.channel, profile.user_id, for_update=True)
        if row is None:
            row = await create_user(self._session, profile, chat_id, now, for_update=True)
        apply_profile(row, profile)
        if chat_id is not None:
            row.chat_id = chat_id
        # The user wrote to the bot, so whatever block was seen before is over.
        row.blocked_at = None
        # Updates may be handled out of order; the newest sighting wins.
        row.last_seen_at = max(row.last_seen_at, now)
        await self._session.flush()
        return chat_user(row)

    async def get(self, channel: str, user_id: str) -> ChatUser | None:
        """Return the user, or None if the bot never saw or linked them."""
        row = await find_user(self._session, channel, user_id)
        return None if row is None else chat_user(row)

    async def set_reachable(
        self, channel: str, user_id: str, reachable: bool, now: datetime
    ) -> None:
        """Mark the user's chat as blocked (False) or reachable again (True).

        An unknown user is left alone; blocking again keeps the time the block was first
        noticed. `seen` also makes a user reachable again.
        """
        require_aware(now)
        row = await find_user(self._session, channel, user_id, for_update=True)
        if row is None:
            return
        if reachable:
            row.blocked_at = None
        elif row.blocked_at is None:
            row.blocked_at = now
        await self._session.flush()


class SqlLinkRepository:
    """Links in the `links` table; ending a link keeps its row as history."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def active(self, channel: str, user_id: str) -> Link | None:
        """Return the user's active link, if any."""
        statement = (
            select(LinkRow, ChatUserRow)
            .join(ChatUserRow, LinkRow.chat_user_id == ChatUserRow.id)
            .where(
                ChatUserRow.channel == channel,
                ChatUserRow.user_id == user_id,
                LinkRow.unlinked_at.is_(None),
            )
        )
        found = (await self._session.execute(statement)).one_or_none()
        return None if found is None else to_link(found[0], found[1])

    async def link(
        self,
        channel: str,
        user_id: str,
        customer_id: str,
        linked_by: str | None,
        now: datetime,
        *,
        origin: str = "admin",
    ) -> Link | None:
        """Link the user to `customer_id`, creating a bare chat user if needed.

        Returns the link that was active before: the replaced one, which is ended
        (unlinked_at=now, unlinked_by=linked_by) and kept as history. If the user is
        already linked to this very customer id nothing is written and that existing
        link is returned, so `previous.customer_id == customer_id` means "no change". The id
        is stored in its canonical form (`canonical_customer_id`), as every customer id is.
        """
        require_aware(now)
        require_fits("channel", channel, CHANNEL_LENGTH)
        customer_id = canonical_customer_id(customer_id)
        require_fits("customer id", customer_id, CUSTOMER_ID_LENGTH)
        user = await find_user(self._session, channel, user_id, for_update=True)
        if user is None:
            # An admin may link someone who has not written to the bot yet.
            bare = UserProfile(channel=channel, user_id=user_id)
            user = await create_user(self._session, bare, None, now, for_update=True)
        current = await active_row(self._session, user.id)
        if current is not None and current.customer_id == customer_id:
            return to_link(current, user)
        if current is not None:
            current.unlinked_at = now
            current.unlinked_by = linked_by
            # The partial unique index must see the old link ended before the new one exists.
            await self._session.flush()
        self._session.add(
            LinkRow(
                chat_user_id=user.id,
                customer_id=customer_id,
                linked_by=linked_by,
                linked_at=now,
                origin=origin,
            )
        )
        await self._session.flush()
        return None if current is None else to_link(current, user)

    async def unlink(
        self, channel: str, user_id: str, unlinked_by: str | None, now: datetime
    ) -> Link | None:
        """End the user's active link (kept as history); return it, or None if there was none."""
        require_aware(now)
        user = await find_user(self._session, channel, user_id, for_update=True)
        if user is None:
            return None
        current = await active_row(self._session, user.id)
        if current is None:
            return None
        current.unlinked_at = now
        current.unlinked_by = unlinked_by
        await self._session.flush()
        return to_link(current, user)

    async def set_reminders(self, channel: str, user_id: str, enabled: bool) -> Link | None:
        """Turn reminders on or off for the user's active link; None if not linked."""
        user = await find_user(self._session, channel, user_id, for_update=True)
        if user is None:
            return None
        current = await active_row(self._session, user.id)
        if current is None:
            return None
        current.reminders_enabled = enabled
        await self._session.flush()
        return to_link(current, user)


class SqlAuditRepository:
    """The admin audit log in the `admin_audit` table (append only)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, entry: AuditEntry) -> None:
        """Append one entry; an over-long detail is shortened rather than refused."""
        require_aware(entry.at)
        require_fits("channel", entry.channel, CHANNEL_LENGTH)
        require_fits("action", entry.action, ACTION_LENGTH)
        customer_id = entry.customer_id
        if customer_id is not None:
            customer_id = canonical_customer_id(customer_id)
            require_fits("customer id", customer_id, CUSTOMER_ID_LENGTH)
        self._session.add(
            AdminAuditRow(
                at=entry.at,
                channel=entry.channel,
                admin_user_id=entry.admin_user_id,
                action=entry.action,
                target_user_id=entry.target_user_id,
                customer_id=customer_id,
                detail=clip(entry.detail, DETAIL_LENGTH),
            )
        )
        await self._session.flush()

    async def recent(self, limit: int) -> list[AuditEntry]:
        """Return the newest entries, newest first (ties: the later recorded first)."""
        if limit <= 0:
            return []
        statement = (
            select(AdminAuditRow)
            .order_by(AdminAuditRow.at.desc(), AdminAuditRow.id.desc())
            .limit(limit)
        )
        rows = (await self._session.scalars(statement)).all()
        return [audit_entry(row) for row in rows]


__all__ = ["SqlAuditRepository", "SqlChatUserRepository", "SqlLinkRepository"]
