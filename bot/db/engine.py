"""Creating the async engine and session factory, tuned per backend."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 5_000
# asyncpg alone would wait a minute for an unresponsive host before giving up.
CHECK_TIMEOUT_SECONDS = 10.0
POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 20


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be reached; the message names it without its password."""


# Driverless URLs, including the `postgres://` form hosting providers hand out, would
# otherwise select synchronous drivers the async engine cannot use.
_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def async_url(url: str | URL) -> URL:
    """Parse `url`, choosing the async driver (asyncpg, aiosqlite) when none is named."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed if driver is None else parsed.set(drivername=driver)


def create_engine(url: str) -> AsyncEngine:
    """Create an async engine for `url` (SQLite or PostgreSQL) with sensible settings."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _create_async_engine(parsed)
        _configure_sqlite(engine, file_database=_is_sqlite_file(parsed))
        return engine
    # Connections dropped by the server or a proxy while idle are replaced, not failed on.
    # Reminder sweeps hold a connection per unit of work while the bot keeps answering.
    return _create_async_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory units of work are opened from."""
    # Objects stay readable after commit; repositories hand out plain dataclasses anyway.
    return async_sessionmaker(engine, expire_on_commit=False)


async def check_connection(engine: AsyncEngine) -> None:
    """Run a trivial query, raising DatabaseUnavailableError if the database cannot answer."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        where = engine.url.render_as_string(hide_password=True)
        reason = _reason(exc, engine.url.password)
        raise DatabaseUnavailableError(f"cannot reach the database {where}: {reason}") from None


def _reason(exc: BaseException, password: str | None) -> str:
    """Describe `exc` in one line that never repeats the password."""
    original = getattr(exc, "orig", None) or exc
    # Driver adapters wrap the driver's own, better named exception.
    if original.__cause__ is not None:
        original = original.__cause__
    detail = str(original).strip().splitlines()[0] if str(original).strip() else ""
    if password:
        detail = detail.replace(password, "***")
    name = type(original).__name__
    return f"{name}: {detail}" if detail else name


SQLITE_BEGIN_OPTION = "sqlite_begin"
"""Execution option naming how SQLite transactions begin: IMMEDIATE (default), DEFERRED, or
`SQLITE_NO_BEGIN`."""
SQLITE_NO_BEGIN = "NONE"
"""No BEGIN at all: each statement is its own transaction. For a single SELECT, which is
consistent on its own; cheaper than SQLAlchemy's AUTOCOMMIT isolation level, which sets and
resets the driver's mode (a hop to aiosqlite's thread each way) on every checkout."""


def _is_sqlite_file(url: URL) -> bool:
    """Tell whether a SQLite URL names a file rather than an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return False
    return url.query.get("mode") != "memory"


def _configure_sqlite(engine: AsyncEngine, *, file_database: bool) -> None:
    """Make SQLite enforce foreign keys, wait on locks and honour SAVEPOINTs."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # The driver's legacy transaction handling skips BEGIN before SELECT and SAVEPOINT,
        # which breaks begin_nested(); SQLAlchemy emits BEGIN itself instead (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if file_database:
                # Readers do not block the writer (the bot reads while a sweep writes).
                cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A unit that writes takes the write lock up front (IMMEDIATE): a deferred one that
        # read first fails at its first write, without waiting, if another connection
        # committed meanwhile (WAL's stale snapshot), and busy_timeout cannot help it.
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        if mode == SQLITE_NO_BEGIN:
            return  # each statement commits on its own (the driver's autocommit, see above)
        connection.exec_driver_sql(f"BEGIN {mode}")


__all__ = [
    "SQLITE_BEGIN_OPTION",
    "SQLITE_NO_BEGIN",
    "DatabaseUnavailableError",
    "async_url",
    "check_connection",
    "create_engine",
    "create_session_factory",
]
