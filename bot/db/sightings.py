"""What every message reads first: whether the stored user is current, and their link."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import (
    Sighting,
    UserProfile,
)
from bot.db.rows import (
    clipped_profile,
    require_aware,
    to_link,
)
from bot.db.tables import (
    ChatUserRow,
    LinkRow,
)

LAST_SEEN_PRECISION = timedelta(hours=1)
"""How stale `last_seen_at` may get before a message refreshes it. Writing it on every
message made every update a write and a commit; to the hour is what retention needs."""

_users, _links = ChatUserRow.__table__, LinkRow.__table__
# One Core statement (no ORM objects) for what every message reads: the stored user, to tell
# whether anything changed, and the active link most commands then need.
_SIGHTING = (
    select(
        _users.c.chat_id,
        _users.c.first_name,
        _users.c.last_name,
        _users.c.username,
        _users.c.language_code,
        _users.c.last_seen_at,
        _users.c.blocked_at,
        _links.c.customer_id,
        _links.c.linked_by,
        _links.c.linked_at,
        _links.c.reminders_enabled,
        _links.c.origin,
    )
    .select_from(
        _users.outerjoin(
            _links, and_(_links.c.chat_user_id == _users.c.id, _links.c.unlinked_at.is_(None))
        )
    )
    .where(_users.c.channel == bindparam("channel"), _users.c.user_id == bindparam("user_id"))
)


async def read_sighting(
    connection: AsyncConnection, profile: UserProfile, chat_id: str | None, now: datetime
) -> Sighting:
    """Read whether `seen(profile, chat_id, now)` would change anything, and the active link.

    Stale means `seen` must run: the user is new, their profile (as `seen` would store it) or
    private chat changed, they had blocked the bot, or `last_seen_at` is `LAST_SEEN_PRECISION`
    or more before `now`. A new chat is a private chat (`chat_id`) for a stored user who had
    none (linked by an admin, or seen only in a group).
    """
    require_aware(now)
    parameters = {"channel": profile.channel, "user_id": profile.user_id}
    if connection.dialect.name == "sqlite":
        row = await _sqlite_sighting_row(connection, parameters)
    else:
        found = (await connection.execute(_SIGHTING, parameters)).one_or_none()
        row = None if found is None else _SightingRow._make(found)
    if row is None:
        return Sighting(link=None, stale=True)
    stored = (row.first_name, row.last_name, row.username, row.language_code)
    stale = (
        stored != clipped_profile(profile)
        or (chat_id is not None and row.chat_id != chat_id)
        or row.blocked_at is not None
        or now - row.last_seen_at >= LAST_SEEN_PRECISION
    )
    link = None if row.customer_id is None else to_link(row, profile)
    new_chat = chat_id is not None and row.chat_id is None
    return Sighting(link=link, stale=stale, new_chat=new_chat)


class _SightingRow(NamedTuple):
    """A row of `_SIGHTING`, by column name."""

    chat_id: str | None
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None
    last_seen_at: datetime
    blocked_at: datetime | None
    customer_id: str | None
    linked_by: str | None
    linked_at: datetime
    reminders_enabled: bool
    origin: str


@dataclass(frozen=True)
class _Compiled:
    """`_SIGHTING` compiled for one dialect: SQL text, bound names in order, result types."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


@functools.cache
def _compiled_sighting(dialect: Dialect) -> _Compiled:
    compiled = _SIGHTING.compile(dialect=dialect)
    processors = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in _SIGHTING.selected_columns
    )
    return _Compiled(str(compiled), tuple(compiled.positiontup or ()), processors)


async def _sqlite_sighting_row(
    connection: AsyncConnection, parameters: dict[str, Any]
) -> _SightingRow | None:
    """Run `_SIGHTING` in one call to aiosqlite's thread instead of four.

    Through SQLAlchemy's adapter every statement is four calls (cursor, execute, fetch,
    close), each a hop to the driver's thread and back; on the message path those hops
    cost more CPU than the query. The statement and its result types are SQLAlchemy's own.
    """
    compiled = _compiled_sighting(connection.dialect)
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    rows = list(
        await driver.execute_fetchall(compiled.sql, [parameters[n] for n in compiled.names])
    )
    if not rows:
        return None
    values = (
        value if process is None else process(value)
        for process, value in zip(compiled.processors, rows[0], strict=True)
    )
    return _SightingRow._make(values)
