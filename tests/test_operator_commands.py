"""`invite`, `forget`, `remind` and `migrate` as an operator runs them: exactly their lines.

Each runs as a real `python -m bot` process on the test database (SQLite and PostgreSQL,
where Alembic's INFO lines used to show) against the fake Bot API and points API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.cli import describe
from bot.core.models import ReminderChat
from bot.core.reminders import DueExpiration
from bot.db.store import SqlStore
from bot.jobs.reminders import PlannedReminder
from tests.fixtures.bonifiq import (
    TEST_TIMEZONE,
    FakePointsApi,
    customer_payload,
    expiration_payload,
)
from tests.fixtures.telegram import FakeBotApi
from tests.helpers import linked_chat, run_cli_async
from tests.personas import CUSTOMER_USER_ID, MARIA

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
        "BOT_TIMEZONE": "America/Sao_Paulo",
        "REMINDER_DAYS": "30,7,1",
    }


async def test_invite_for_an_unknown_customer_writes_exactly_one_line_on_stderr(
    database_url: str, bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    env = operator_env(database_url, bot_api, points_api)

    result = await run_cli_async("invite", UNKNOWN, cwd=tmp_path, env=env)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["error: the points API has no such customer"]


async def test_invite_while_the_points_api_refuses_the_credentials_exits_0_with_a_warning(
    database_url: str, bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    env = operator_env(database_url, bot_api, points_api) | {"BONIFIQ_API_KEY": "wrong-key"}

    result = await run_cli_async("invite", MARIA, cwd=tmp_path, env=env)

    assert result.returncode == 0
    link, expiry = result.stdout.splitlines()
    assert link.startswith("https://t.me/")
    assert expiry.startswith("expires ")
    assert "warning: customer not checked (the points API could not be asked)" in (
        result.stderr.splitlines()
    )
    assert "BonifiQ refused the API credentials (HTTP 401)" in result.stderr


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


async def test_remind_dry_run_lists_each_reminder_in_english_with_correct_plurals(
    database_url: str,
    store: SqlStore,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    tmp_path: Path,
) -> None:
    expiry = datetime.now(UTC) + timedelta(days=5)
    await linked_chat(store, CUSTOMER_USER_ID, MARIA)
    points_api.set_customer(
        MARIA, customer_payload(PointsToExpire=[expiration_payload(5000, expiry)])
    )
    env = operator_env(database_url, bot_api, points_api)

    result = await run_cli_async("remind", "--dry-run", cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stderr
    listed, summary = result.stdout.splitlines()
    day = expiry.astimezone(TEST_TIMEZONE).date().isoformat()
    assert listed == (
        f"user {CUSTOMER_USER_ID} · {MARIA} · 5,000 points on {day}"
        " (5 days left; thresholds 30, 7)"
    )
    assert summary.startswith("dry run, 1 reminder would be sent; customers checked: 1/1, ")
    assert bot_api.sent_messages() == []


def test_a_dry_run_line_says_one_point_one_day_and_one_threshold_in_the_singular() -> None:
    chat = ReminderChat(1, str(CUSTOMER_USER_ID), str(CUSTOMER_USER_ID))
    item = PlannedReminder(chat, MARIA, (DueExpiration(date(2026, 12, 5), 1, 1, (1,)),))

    assert describe(item) == (
        f"user {CUSTOMER_USER_ID} · {MARIA} · 1 point on 2026-12-05 (1 day left; threshold 1)"
    )


def test_a_dry_run_line_lists_every_expiration_it_covers() -> None:
    chat = ReminderChat(1, str(CUSTOMER_USER_ID), str(CUSTOMER_USER_ID))
    due = (
        DueExpiration(date(2026, 12, 4), 1234, 0, (1,)),
        DueExpiration(date(2026, 12, 9), 200, 5, (30, 7)),
    )

    assert describe(PlannedReminder(chat, MARIA, due)) == (
        f"user {CUSTOMER_USER_ID} · {MARIA} · 1,234 points on 2026-12-04 (0 days left;"
        " threshold 1); 200 points on 2026-12-09 (5 days left; thresholds 30, 7)"
    )
