"""Migrations: reversible step by step, identical to the models, runnable from anywhere."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.db.engine import DatabaseUnavailableError
from bot.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    project_root,
    upgrade_to_head,
)
from bot.db.tables import metadata


def _revisions_oldest_first() -> list[Script]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return list(reversed(list(script.walk_revisions("base", "heads"))))


async def _alembic(command_name: str, url: str, revision: str) -> None:
    function = getattr(command, command_name)
    await asyncio.to_thread(function, alembic_config(url), revision)


async def _table_names(url: str) -> set[str]:
    engine = _plain_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names)


def _plain_engine(url: str) -> AsyncEngine:
    return create_async_engine(url, poolclass=NullPool)


# The tables as revision 001 made them, for writing rows the way an older bot did.
_CHAT_USERS_001 = sa.table(
    "chat_users",
    sa.column("id", sa.Integer()),
    sa.column("channel", sa.String()),
    sa.column("user_id", sa.BigInteger()),
    sa.column("chat_id", sa.BigInteger()),
    sa.column("first_seen_at", sa.DateTime(timezone=True)),
    sa.column("last_seen_at", sa.DateTime(timezone=True)),
)
_LINKS_001 = sa.table(
    "links",
    sa.column("id", sa.Integer()),
    sa.column("chat_user_id", sa.Integer()),
    sa.column("customer_id", sa.String()),
    sa.column("linked_at", sa.DateTime(timezone=True)),
)
_LINKED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


async def _add_a_linked_user_at_001(url: str) -> None:
    await _alembic("upgrade", url, "001")
    engine = _plain_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(_CHAT_USERS_001).values(
                    id=1,
                    channel="telegram",
                    user_id=5_000_000_001,
                    chat_id=5_000_000_001,
                    first_seen_at=_LINKED_AT,
                    last_seen_at=_LINKED_AT,
                )
            )
            await connection.execute(
                sa.insert(_LINKS_001).values(
                    id=1, chat_user_id=1, customer_id="maria@loja.com.br", linked_at=_LINKED_AT
                )
            )
    finally:
        await engine.dispose()


async def _fetch(url: str, statement: sa.Select[tuple[object, ...]]) -> list[tuple[object, ...]]:
    engine = _plain_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(statement)]
    finally:
        await engine.dispose()


def _schema_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def test_revision_ids_are_sequential_numbers() -> None:
    revisions = _revisions_oldest_first()

    assert [revision.revision for revision in revisions] == [
        f"{number:03d}" for number in range(1, len(revisions) + 1)
    ]
    assert [revision.down_revision for revision in revisions] == [
        None,
        *(revision.revision for revision in revisions[:-1]),
    ]


def test_head_revision_is_the_newest_migration() -> None:
    assert head_revision() == _revisions_oldest_first()[-1].revision


async def test_every_migration_can_be_undone_and_redone(empty_database_url: str) -> None:
    for revision in _revisions_oldest_first():
        await _alembic("upgrade", empty_database_url, revision.revision)
        await _alembic("downgrade", empty_database_url, str(revision.down_revision or "base"))
        await _alembic("upgrade", empty_database_url, revision.revision)

    assert await current_revision(empty_database_url) == head_revision()


async def test_downgrade_to_base_removes_every_table(empty_database_url: str) -> None:
    await upgrade_to_head(empty_database_url)

    await _alembic("downgrade", empty_database_url, "base")

    assert await _table_names(empty_database_url) == {"alembic_version"}


async def test_migrated_schema_matches_the_models(empty_database_url: str) -> None:
    await upgrade_to_head(empty_database_url)
    engine = _plain_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_schema_differences)
    finally:
        await engine.dispose()

    assert differences == []


async def test_alembic_check_finds_nothing_to_autogenerate(empty_database_url: str) -> None:
    await upgrade_to_head(empty_database_url)

    # Raises AutogenerateDiffsDetected when env.py would write a new revision.
    await asyncio.to_thread(command.check, alembic_config(empty_database_url))


async def test_links_made_before_reminders_existed_get_reminders_on(
    empty_database_url: str,
) -> None:
    await _add_a_linked_user_at_001(empty_database_url)

    await _alembic("upgrade", empty_database_url, "002")

    links = sa.table("links", sa.column("reminders_enabled", sa.Boolean()))
    assert await _fetch(empty_database_url, sa.select(links.c.reminders_enabled)) == [(True,)]


async def test_users_seen_before_reminders_existed_are_reachable(empty_database_url: str) -> None:
    await _add_a_linked_user_at_001(empty_database_url)

    await _alembic("upgrade", empty_database_url, "002")

    chat_users = sa.table("chat_users", sa.column("blocked_at", sa.DateTime(timezone=True)))
    assert await _fetch(empty_database_url, sa.select(chat_users.c.blocked_at)) == [(None,)]


async def test_undoing_reminders_keeps_users_and_links(empty_database_url: str) -> None:
    await _add_a_linked_user_at_001(empty_database_url)
    await _alembic("upgrade", empty_database_url, "002")

    await _alembic("downgrade", empty_database_url, "001")

    statement = sa.select(_LINKS_001.c.customer_id, _CHAT_USERS_001.c.user_id).join(
        _CHAT_USERS_001, _LINKS_001.c.chat_user_id == _CHAT_USERS_001.c.id
    )
    assert await _fetch(empty_database_url, statement) == [("maria@loja.com.br", 5_000_000_001)]


async def test_telegram_users_become_text_ids_and_keep_their_links(
    empty_database_url: str,
) -> None:
    await _add_a_linked_user_at_001(empty_database_url)

    await _alembic("upgrade", empty_database_url, "004")

    chat_users = sa.table(
        "chat_users",
        sa.column("id", sa.Integer()),
        sa.column("channel", sa.String()),
        sa.column("user_id", sa.String()),
        sa.column("chat_id", sa.String()),
    )
    statement = sa.select(
        chat_users.c.channel, chat_users.c.user_id, chat_users.c.chat_id, _LINKS_001.c.customer_id
    ).join(_LINKS_001, _LINKS_001.c.chat_user_id == chat_users.c.id)
    assert await _fetch(empty_database_url, statement) == [
        ("telegram", "5000000001", "5000000001", "maria@loja.com.br")
    ]


async def test_undoing_text_ids_gives_telegram_users_their_numbers_back(
    empty_database_url: str,
) -> None:
    await _add_a_linked_user_at_001(empty_database_url)
    await _alembic("upgrade", empty_database_url, "004")

    await _alembic("downgrade", empty_database_url, "003")

    statement = sa.select(_CHAT_USERS_001.c.user_id, _CHAT_USERS_001.c.chat_id)
    assert await _fetch(empty_database_url, statement) == [(5_000_000_001, 5_000_000_001)]


async def _insert_at_005(url: str, rows: dict[str, list[dict[str, object]]]) -> None:
    """Write rows into the tables as revision 005 has them, the way an older bot did."""
    await _alembic("upgrade", url, "005")
    engine = _plain_engine(url)
    try:
        async with engine.begin() as connection:
            for name, values in rows.items():
                table = sa.table(name, *(sa.column(column) for column in values[0]))
                await connection.execute(sa.insert(table), values)
    finally:
        await engine.dispose()


def _user(row_id: int) -> dict[str, object]:
    user_id = str(5_000_000_000 + row_id)
    return {
        "id": row_id,
        "channel": "telegram",
        "user_id": user_id,
        "chat_id": user_id,
        "first_seen_at": _LINKED_AT,
        "last_seen_at": _LINKED_AT,
    }


def _link(row_id: int, user: int, customer_id: str, *, ended: bool) -> dict[str, object]:
    return {
        "id": row_id,
        "chat_user_id": user,
        "customer_id": customer_id,
        "linked_at": _LINKED_AT,
        "unlinked_at": _LINKED_AT + timedelta(days=1) if ended else None,
    }


async def test_customer_ids_become_canonical_in_every_table_and_every_row_is_kept(
    empty_database_url: str,
) -> None:
    at = {"at": _LINKED_AT, "channel": "telegram", "admin_user_id": "1", "action": "link"}
    await _insert_at_005(
        empty_database_url,
        {
            "chat_users": [_user(1), _user(2)],
            "links": [
                _link(1, 1, "Maria@Loja.com.br", ended=True),
                _link(2, 1, " MARIA@LOJA.COM.BR ", ended=False),
                _link(3, 2, "123.456.789-09", ended=False),
            ],
            "invites": [
                {
                    "id": 1,
                    "code_hash": "0" * 64,
                    "customer_id": "JOAO@EXEMPLO.COM.BR",
                    "issued_via": "api",
                    "issued_at": _LINKED_AT,
                    "expires_at": _LINKED_AT + timedelta(days=7),
                }
            ],
            "admin_audit": [
                at | {"id": 1, "customer_id": "Maria@Loja.com.br"},
                at | {"id": 2, "customer_id": "12.345.678/0001-95"},
                at | {"id": 3, "customer_id": None},
                at | {"id": 4, "customer_id": "LOJA-42"},
            ],
        },
    )

    await _alembic("upgrade", empty_database_url, "006")

    def customer_ids(name: str) -> sa.Select[tuple[object, ...]]:
        table = sa.table(name, sa.column("id"), sa.column("customer_id"))
        return sa.select(table.c.id, table.c.customer_id).order_by(table.c.id)

    assert await _fetch(empty_database_url, customer_ids("links")) == [
        (1, "maria@loja.com.br"),
        (2, "maria@loja.com.br"),
        (3, "12345678909"),
    ]
    assert await _fetch(empty_database_url, customer_ids("invites")) == [
        (1, "joao@exemplo.com.br")
    ]
    assert await _fetch(empty_database_url, customer_ids("admin_audit")) == [
        (1, "maria@loja.com.br"),
        (2, "12345678000195"),
        (3, None),
        (4, "LOJA-42"),  # a store's own id keeps its case
    ]


async def test_a_reminder_recorded_under_two_spellings_is_kept_once_as_first_sent(
    empty_database_url: str,
) -> None:
    def sent(row_id: int, customer_id: str, days: int, hour: int) -> dict[str, object]:
        return {
            "id": row_id,
            "chat_user_id": 1,
            "customer_id": customer_id,
            "expires_on": date(2026, 12, 15),
            "threshold_days": days,
            "sent_at": _LINKED_AT.replace(hour=hour),
        }

    await _insert_at_005(
        empty_database_url,
        {
            "chat_users": [_user(1)],
            "links": [_link(1, 1, "maria@loja.com.br", ended=False)],
            "reminder_ledger": [
                sent(1, "maria@loja.com.br", 30, 10),
                sent(2, "Maria@Loja.com.br", 30, 9),
                sent(3, "MARIA@LOJA.COM.BR", 7, 11),
            ],
        },
    )

    await _alembic("upgrade", empty_database_url, "006")

    ledger = sa.table(
        "reminder_ledger",
        sa.column("id"),
        sa.column("customer_id"),
        sa.column("threshold_days"),
    )
    statement = sa.select(ledger.c.id, ledger.c.customer_id, ledger.c.threshold_days)
    assert await _fetch(empty_database_url, statement.order_by(ledger.c.id)) == [
        (2, "maria@loja.com.br", 30),
        (3, "maria@loja.com.br", 7),
    ]


async def test_current_revision_is_none_before_migrating(empty_database_url: str) -> None:
    assert await current_revision(empty_database_url) is None


async def test_upgrade_to_head_reaches_the_head_revision(empty_database_url: str) -> None:
    await upgrade_to_head(empty_database_url)

    assert await current_revision(empty_database_url) == head_revision()
    assert await _table_names(empty_database_url) == {
        "alembic_version",
        *(table.name for table in metadata.sorted_tables),
    }


async def test_upgrade_to_head_twice_is_harmless(empty_database_url: str) -> None:
    await upgrade_to_head(empty_database_url)

    await upgrade_to_head(empty_database_url)

    assert await current_revision(empty_database_url) == head_revision()


async def test_upgrade_to_head_works_from_another_working_directory(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    await upgrade_to_head(empty_database_url)

    assert await current_revision(empty_database_url) == head_revision()


async def test_upgrade_to_head_leaves_the_application_logging_alone(
    empty_database_url: str,
) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    await upgrade_to_head(empty_database_url)

    assert (list(root.handlers), root.level) == (handlers, level)
    assert not logging.getLogger("bot").disabled


def test_alembic_config_keeps_percent_signs_in_the_url() -> None:
    url = "postgresql+asyncpg://bot:p%40ss%25word@db.example/bot"

    assert alembic_config(url).get_main_option("sqlalchemy.url") == url


def test_alembic_config_points_at_the_migrations_folder_absolutely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    location = Path(str(alembic_config("sqlite://").get_main_option("script_location")))

    assert location.is_absolute()
    assert (location / "env.py").is_file()


async def test_concurrent_upgrades_in_one_process_wait_for_each_other(
    empty_database_url: str,
) -> None:
    await asyncio.gather(upgrade_to_head(empty_database_url), upgrade_to_head(empty_database_url))

    assert await current_revision(empty_database_url) == head_revision()


@pytest.mark.postgres_only
async def test_concurrent_upgrades_from_two_processes_wait_for_each_other(
    empty_database_url: str,
) -> None:
    script = "import asyncio, sys; from bot.db.migrate import upgrade_to_head; "
    script += "asyncio.run(upgrade_to_head(sys.argv[1]))"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, empty_database_url, cwd=project_root()
        )
        for _ in range(2)
    ]
    async with asyncio.timeout(60):
        codes = [await process.wait() for process in processes]

    assert codes == [0, 0]
    assert await current_revision(empty_database_url) == head_revision()


async def test_upgrade_to_head_reports_an_unreachable_database_without_the_password() -> None:
    with pytest.raises(DatabaseUnavailableError) as raised:
        await upgrade_to_head("postgresql+asyncpg://bot:hunter2@127.0.0.1:1/bot")

    assert "hunter2" not in str(raised.value)


async def test_upgrade_to_head_accepts_a_url_without_a_driver(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"

    await upgrade_to_head(url)

    assert await current_revision(url) == head_revision()
