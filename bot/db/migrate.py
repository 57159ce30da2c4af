"""Running Alembic migrations from code, independent of the current working folder."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.db.engine import async_url, check_connection

_ALEMBIC_LOCK = threading.Lock()
logger = logging.getLogger(__name__)


class MigrationsNotFoundError(RuntimeError):
    """The `migrations` folder is not next to the `bot` package (e.g. a wheel install)."""


def project_root() -> Path:
    """Return the folder holding `alembic.ini`, `migrations/` and the `bot` package."""
    return Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    """Build an Alembic config for `database_url` with absolute paths and quiet logging."""
    config = _scripts_config()
    # Values go through configparser interpolation, where a bare '%' is an error.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _scripts_config() -> Config:
    """Build an Alembic config that knows where the migrations are but not the database."""
    root = project_root()
    scripts = root / "migrations"
    if not (scripts / "env.py").is_file():
        raise MigrationsNotFoundError(f"no Alembic migrations found at {scripts}")
    ini = root / "alembic.ini"
    config = Config(str(ini)) if ini.is_file() else Config()
    config.set_main_option("script_location", str(scripts).replace("%", "%%"))
    # `bot` is already importable (this module is part of it); prepending the project
    # folder to sys.path again on every run would only grow sys.path.
    config.set_main_option("prepend_sys_path", "")
    # The application owns logging; env.py must not reconfigure it from alembic.ini.
    config.attributes["configure_logger"] = False
    return config


async def upgrade_to_head(database_url: str) -> list[str]:
    """Apply every pending migration to the database at `database_url`; return their ids."""
    # A clear "cannot reach the database" beats a traceback from deep inside Alembic.
    engine = _plain_engine(database_url)
    try:
        await check_connection(engine)
    finally:
        await engine.dispose()
    config = alembic_config(database_url)
    # env.py drives its async engine with asyncio.run, which needs a thread without a loop.
    applied = await asyncio.to_thread(_upgrade, config)
    if applied:
        logger.info(
            "Database schema migrated to revision %s (applied %s)", applied[-1], ", ".join(applied)
        )
    return applied


def _upgrade(config: Config) -> list[str]:
    applied: list[str] = []
    config.attributes["applied_revisions"] = applied  # env.py appends each revision it runs
    # Alembic keeps the running migration in module globals (alembic.context, alembic.op),
    # so two migrations in one process must not overlap. Across processes, env.py takes a
    # PostgreSQL advisory lock.
    with _ALEMBIC_LOCK:
        command.upgrade(config, "head")
    return applied


async def current_revision(database_url: str) -> str | None:
    """Return the database's migration revision, or None if it was never migrated."""
    engine = _plain_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision)
    finally:
        await engine.dispose()


def head_revision() -> str:
    """Return the newest migration revision shipped with the code."""
    head = ScriptDirectory.from_config(_scripts_config()).get_current_head()
    if head is None:
        raise MigrationsNotFoundError("the migrations folder has no revisions")
    return head


def _plain_engine(database_url: str) -> AsyncEngine:
    # No pool and none of the app's connect hooks: a one-off look that changes nothing.
    return create_async_engine(async_url(database_url), poolclass=NullPool)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


__all__ = [
    "MigrationsNotFoundError",
    "alembic_config",
    "current_revision",
    "head_revision",
    "project_root",
    "upgrade_to_head",
]
