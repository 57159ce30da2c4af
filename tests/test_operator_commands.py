"""`invite`, `forget`, `remind` and `migrate` as an operator runs them: only their own lines.

Each runs as a real `python -m bot` process on the test database (SQLite and PostgreSQL,
where Alembic's INFO lines used to show) against the fake Bot API and points API.
"""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.bonifiq import FakePointsApi
from tests.fixtures.telegram import FakeBotApi
from tests.helpers import run_cli_async

UNKNOWN = "joao@exemplo.com.br"


def operator_env(
    database_url: str, bot_api: FakeBotApi, points_api: FakePointsApi
) -> dict[str, str]:
    """The variables an operator's shell holds, at the default log level."""
    return {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "BONIFIQ_BASE_URL": points_api.base_url,
        "BONIFIQ_API_TOKEN": points_api.api_token,
        "BONIFIQ_API_KEY": points_api.api_key,
        "LOG_LEVEL": "INFO",
    }


async def test_invite_for_an_unknown_customer_writes_exactly_one_line_on_stderr(
    database_url: str, bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    env = operator_env(database_url, bot_api, points_api)

    result = await run_cli_async("invite", UNKNOWN, cwd=tmp_path, env=env)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["error: the points API has no such customer"]


async def test_forget_prints_its_answer_and_nothing_on_stderr(
    database_url: str, bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    env = operator_env(database_url, bot_api, points_api)

    result = await run_cli_async("forget", "--customer", UNKNOWN, cwd=tmp_path, env=env)

    assert result.returncode == 0
    assert result.stdout.splitlines() == ["nothing stored about them"]
    assert result.stderr == ""


async def test_migrate_on_a_current_database_prints_one_line_and_nothing_on_stderr(
    database_url: str, bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    env = operator_env(database_url, bot_api, points_api)

    result = await run_cli_async("migrate", cwd=tmp_path, env=env)

    assert result.returncode == 0
    [line] = result.stdout.splitlines()
    assert line.startswith("database is at the newest revision (")
    assert result.stderr == ""


async def test_remind_dry_run_writes_nothing_on_stderr(
    database_url: str, bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    env = operator_env(database_url, bot_api, points_api)

    result = await run_cli_async("remind", "--dry-run", cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("dry run, 0 reminders would be sent; ")


async def test_migrate_on_an_empty_database_logs_one_line_naming_what_it_applied(
    empty_database_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": empty_database_url, "LOG_LEVEL": "INFO", "LOG_FORMAT": "text"}

    result = await run_cli_async("migrate", cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stderr
    [logged] = result.stderr.splitlines()
    assert "INFO bot.db.migrate: Database schema migrated to revision " in logged
    assert "(applied 001, 002, " in logged
