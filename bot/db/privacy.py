"""Reading, erasing and expiring what the bot keeps about people, in SQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.customer_ids import canonical_customer_id
from bot.core.models import Erasure, StoredData
from bot.db.rows import as_utc, chat_user, find_user, require_aware, to_link
from bot.db.tables import (
    AdminAuditRow,
    ChatUserRow,
    InboundMessageRow,
    InviteAttemptRow,
    InviteRow,
    LinkRow,
    ReminderLedgerRow,
)


class SqlPrivacyRepository:
    """Every table that can name a person, handled in one place."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def stored_data(self, channel: str, user_id: str) -> StoredData | None:
        """Return everything kept about the user, or None if the bot keeps nothing."""
        user = await find_user(self._session, channel, user_id)
        if user is None:
            return None
        links = list(
            await self._session.scalars(select(LinkRow).where(LinkRow.chat_user_id == user.id))
        )
        active = next((row for row in links if row.unlinked_at is None), None)
        sent, last = (
            await self._session.execute(
                select(
                    func.count(ReminderLedgerRow.id), func.max(ReminderLedgerRow.sent_at)
                ).where(ReminderLedgerRow.chat_user_id == user.id)
            )
        ).one()
        invites_used = await self._session.scalar(
            select(func.count(InviteRow.id)).where(InviteRow.used_by == user.id)
        )
        return StoredData(
            user=chat_user(user),
            last_seen_at=as_utc(user.last_seen_at),
            blocked_at=as_utc(user.blocked_at) if user.blocked_at is not None else None,
            link=to_link(active, user) if active is not None else None,
            ended_links=len(links) - (active is not None),
            reminders_sent=int(sent or 0),
            last_reminder_at=as_utc(last) if last is not None else None,
            invites_used=int(invites_used or 0),
        )

    async def erase_user(self, channel: str, user_id: str) -> Erasure:
        """Delete the user, their links, reminders, attempts and invites; anonymise audits.

        Invites of every customer the user was ever linked to go too, since they name that
        customer; another chat still linked to the same customer keeps its own link.
        """
        user = await find_user(self._session, channel, user_id, for_update=True)
        deleted = dict.fromkeys(_TABLES, 0)
        customer_ids: set[str] = set()
        if user is not None:
            customer_ids = set(
                await self._session.scalars(
                    select(LinkRow.customer_id).where(LinkRow.chat_user_id == user.id)
                )
            )
            deleted["invites"] = await self._delete(
                InviteRow,
                or_(InviteRow.used_by == user.id, InviteRow.customer_id.in_(customer_ids)),
            )
            deleted["invite_attempts"] = await self._delete(
                InviteAttemptRow, InviteAttemptRow.chat_user_id == user.id
            )
            deleted["reminder_ledger"] = await self._delete(
                ReminderLedgerRow, ReminderLedgerRow.chat_user_id == user.id
            )
            deleted["links"] = await self._delete(LinkRow, LinkRow.chat_user_id == user.id)
            deleted["chat_users"] = await self._delete(ChatUserRow, ChatUserRow.id == user.id)
        # Kept by channel and id, not by chat user: a first message arrives before the user.
        deleted["inbound_messages"] = await self._delete(
            InboundMessageRow,
            InboundMessageRow.channel == channel,
            InboundMessageRow.user_id == user_id,
        )
        naming = _about_user(channel, user_id)
        if customer_ids:
            naming = or_(naming, AdminAuditRow.customer_id.in_(customer_ids))
        anonymised = {"admin_audit": await self._anonymise_audit(naming)}
        return Erasure(deleted, anonymised)

    async def erase_customer(self, customer_id: str) -> Erasure:
        """Erase every chat user linked to the customer now, and every row naming the customer.

        A chat user whose link to the customer ended and who is linked to someone else now
        keeps that other link: only the rows naming this customer go. Every way of writing
        the id finds it: rows keep ids in canonical form (`canonical_customer_id`).
        """
        customer_id = canonical_customer_id(customer_id)
        deleted = dict.fromkeys(_TABLES, 0)
        anonymised = {"admin_audit": 0}
        holders = (
            await self._session.execute(
                select(ChatUserRow.channel, ChatUserRow.user_id)
                .join(LinkRow, LinkRow.chat_user_id == ChatUserRow.id)
                .where(LinkRow.customer_id == customer_id, LinkRow.unlinked_at.is_(None))
            )
        ).all()
        for channel, user_id in holders:
            erased = await self.erase_user(channel, user_id)
            for table, count in erased.deleted.items():
                deleted[table] += count
            anonymised["admin_audit"] += erased.anonymised["admin_audit"]
        deleted["invites"] += await self._delete(InviteRow, InviteRow.customer_id == customer_id)
        deleted["reminder_ledger"] += await self._delete(
            ReminderLedgerRow, ReminderLedgerRow.customer_id == customer_id
        )
        deleted["links"] += await self._delete(LinkRow, LinkRow.customer_id == customer_id)
        anonymised["admin_audit"] += await self._anonymise_audit(
            AdminAuditRow.customer_id == customer_id
        )
        return Erasure(deleted, anonymised)

    async def purge(
        self,
        *,
        ledger_before: date,
        history_before: datetime,
        attempts_before: datetime,
        messages_before: datetime | None = None,
    ) -> dict[str, int]:
        """Delete what is past retention; return how many rows each table lost."""
        require_aware(history_before)
        require_aware(attempts_before)
        purged = {
            "reminder_ledger": await self._delete(
                ReminderLedgerRow, ReminderLedgerRow.expires_on < ledger_before
            ),
            "links": await self._delete(
                LinkRow, LinkRow.unlinked_at.is_not(None), LinkRow.unlinked_at < history_before
            ),
            "invites": await self._delete(InviteRow, InviteRow.expires_at < history_before),
            "invite_attempts": await self._delete(
                InviteAttemptRow, InviteAttemptRow.at < attempts_before
            ),
            "admin_audit": await self._delete(AdminAuditRow, AdminAuditRow.at < history_before),
        }
        if messages_before is not None:
            require_aware(messages_before)
            purged["inbound_messages"] = await self._delete(
                InboundMessageRow, InboundMessageRow.received_at < messages_before
            )
        return purged

    async def _delete(self, table: type[object], *where: ColumnElement[bool]) -> int:
        result = await self._session.execute(
            delete(table).where(*where).execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _anonymise_audit(self, where: ColumnElement[bool]) -> int:
        """Keep the action and the time of audit rows, and nothing that names the person."""
        result = await self._session.execute(
            update(AdminAuditRow)
            .where(where)
            .values(target_user_id=None, customer_id=None, detail=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


_TABLES = (
    "chat_users",
    "links",
    "reminder_ledger",
    "invites",
    "invite_attempts",
    "inbound_messages",
)


def _about_user(channel: str, user_id: str) -> ColumnElement[bool]:
    """Audit rows about this user."""
    return (AdminAuditRow.channel == channel) & (AdminAuditRow.target_user_id == user_id)
