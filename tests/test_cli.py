"""The command line: run, migrate and demo, as an operator or a newcomer would use them."""

from __future__ import annotations

import functools
import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import run_polling
from bot.config import load_settings
from bot.core.models import UserProfile
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.db.store import SqlStore
from bot.logs import setup_logging
from tests.fixtures.bonifiq import FakePointsApi, customer_payload, expiration_payload
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.helpers import run_cli, run_until_sent
from tests.personas import ADMIN_USER_ID


def test_demo_answers_saldo_from_piped_input(tmp_path: Path) -> None:
    result = run_cli("demo", cwd=tmp_path, stdin="/saldo\n/extrato\n")

    assert result.returncode == 0, result.stderr
    assert "Maria Silva" in result.stdout
    assert "1.234 pontos" in result.stdout
    assert "R$ 12,34" in result.stdout
    assert "Extrato de Maria Silva" in result.stdout
    assert list(tmp_path.iterdir()) == []  # the throw-away database went elsewhere and is gone


def test_demo_lets_the_admin_link_a_sandbox_customer(tmp_path: Path) -> None:
    result = run_cli("demo", cwd=tmp_path, stdin="/vincular 2 joao@exemplo.com.br\n/cliente 2\n")

    assert result.returncode == 0, result.stderr
    assert "vinculado ao cliente joao@exemplo.com.br" in result.stdout
    assert "está vinculado ao cliente joao@exemplo.com.br" in result.stdout


def test_run_without_a_token_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: TELEGRAM_BOT_TOKEN is required for this command but is not set"
    ]


def test_a_malformed_setting_stops_start_up_without_showing_secrets(tmp_path: Path) -> None:
    secret = "12345:do-not-print-me"
    env = {"TELEGRAM_BOT_TOKEN": secret, "BONIFIQ_TIMEOUT": "abc"}

    result = run_cli("run", cwd=tmp_path, env=env)

    assert result.returncode == 2
    assert "BONIFIQ_TIMEOUT" in result.stderr
    assert secret not in result.stderr + result.stdout


COMMANDS = {
    "run": (),
    "webhook": (),
    "clock": (),
    "remind": (),
    "invite": ("maria@loja.com.br",),
    "migrate": (),
    "forget": ("--user", "1001"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_database_url_with_a_bad_port_stops_every_command_with_one_line(
    tmp_path: Path, command: str
) -> None:
    env = {
        "DATABASE_URL": "postgresql://bot:s3cr3t-pw@db.loja:abc/bot",
        "TELEGRAM_BOT_TOKEN": "1:fake-token",
    }

    result = run_cli(command, *COMMANDS[command], cwd=tmp_path, env=env)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: invalid configuration: DATABASE_URL: has a port that is not a number"
    ]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("notaurl", "is not a database URL such as sqlite+aiosqlite:///"),
        ("mysql+aiomysql://bot:s3cr3t-pw@db.loja/bot", "names the 'mysql' database, but only"),
    ],
)
def test_a_database_url_that_is_no_url_or_no_supported_database_stops_with_one_line(
    tmp_path: Path, url: str, problem: str
) -> None:
    result = run_cli("migrate", cwd=tmp_path, env={"DATABASE_URL": url})

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: invalid configuration: DATABASE_URL: {problem}")
    assert "s3cr3t-pw" not in line
    assert list(tmp_path.iterdir()) == []


def test_one_character_secrets_stop_start_up_with_one_line_naming_them(tmp_path: Path) -> None:
    env = {"BONIFIQ_API_TOKEN": "a", "BONIFIQ_API_KEY": "b"}

    result = run_cli("migrate", cwd=tmp_path, env=env)

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "BONIFIQ_API_TOKEN: is too short" in line
    assert "BONIFIQ_API_KEY: is too short" in line
    assert list(tmp_path.iterdir()) == []  # nothing was migrated


def test_migrate_creates_the_schema_from_any_working_folder(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.db"
    database.parent.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    result = run_cli(
        "migrate", cwd=elsewhere, env={"DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    )

    assert result.returncode == 0, result.stderr
    assert database.exists()


async def test_run_serves_telegram_by_long_polling_and_never_logs_the_token(
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    points_api.set_customer("maria@loja.com.br", customer_payload())
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        telegram_bot_token=bot_api.token,
        telegram_api_base_url=bot_api.base_url,
        bonifiq_base_url=points_api.base_url,
        bonifiq_api_token=points_api.api_token,
        bonifiq_api_key=points_api.api_key,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        admin_ids=frozenset({ADMIN_USER_ID}),
    )
    logs = io.StringIO()
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    setup_logging("DEBUG", settings.secrets(), stream=logs)
    admin_update = private_message("/vincular 1001 maria@loja.com.br", user_id=ADMIN_USER_ID)
    await bot_api.updates.put(admin_update)
    await bot_api.updates.put(private_message("/saldo"))
    try:
        await run_until_sent(functools.partial(run_polling, settings), bot_api, 2)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]

    assert "1.234 pontos" in bot_api.sent_messages(1001)[-1].text
    assert "setMyCommands" in bot_api.methods()
    output = logs.getvalue()
    assert "long polling" in output
    assert bot_api.token not in output
    assert points_api.api_key not in output


async def test_run_catches_up_a_missed_sweep_at_start(
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    tmp_path: Path,
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    soon = datetime.now(UTC) + timedelta(days=3)
    points_api.set_customer(
        "maria@loja.com.br", customer_payload(PointsToExpire=[expiration_payload(80, soon)])
    )
    await upgrade_to_head(database_url)
    engine = create_engine(database_url)
    store = SqlStore(create_session_factory(engine))
    async with store.unit_of_work() as uow:
        now = datetime.now(UTC)
        await uow.users.seen(UserProfile("telegram", str(1001), "Maria"), str(1001), now)
        await uow.links.link("telegram", str(1001), "maria@loja.com.br", None, now)
        await uow.commit()
    await engine.dispose()
    settings = load_settings(
        telegram_bot_token=bot_api.token,
        telegram_api_base_url=bot_api.base_url,
        bonifiq_base_url=points_api.base_url,
        bonifiq_api_token=points_api.api_token,
        bonifiq_api_key=points_api.api_key,
        database_url=database_url,
    )
    await run_until_sent(functools.partial(run_polling, settings), bot_api, 1)

    [reminder] = bot_api.delivered_to(1001)
    assert "80 pontos perto de expirar" in reminder.text


def test_demo_shows_a_reminder_when_the_admin_sweeps_now(tmp_path: Path) -> None:
    result = run_cli("demo", cwd=tmp_path, stdin="/lembrar_agora\n/lembrar_agora\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("perto de expirar") == 1
    assert "Avisos enviados: 1" in result.stdout
    assert "Avisos enviados: 0" in result.stdout


def test_invite_without_a_token_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = run_cli("invite", "maria@loja.com.br", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: TELEGRAM_BOT_TOKEN is required for this command but is not set"
    ]


def test_help_says_webhook_serves_every_channel_that_is_on(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)

    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps lines at the terminal's width
    assert "webhook serve the webhook of every channel that is on (Telegram, WhatsApp)" in text


def test_forget_needs_a_customer_or_a_user(tmp_path: Path) -> None:
    result = run_cli("forget", cwd=tmp_path)

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "one of the arguments --customer --user is required" in line


def test_forget_refuses_an_unknown_channel_in_one_line(tmp_path: Path) -> None:
    result = run_cli("forget", "--user", "5511988887777", "--channel", "foo", cwd=tmp_path)

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: python -m bot forget: argument --channel: invalid choice: ")
    assert "telegram" in line
    assert "whatsapp" in line
    assert list(tmp_path.iterdir()) == []  # no database was created


def test_forget_refuses_a_user_id_that_is_no_chat_user_id_in_one_line(tmp_path: Path) -> None:
    result = run_cli("forget", "--user", "abc", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: --user must be a Telegram user id (digits, such as 123456789)"
        " or a WhatsApp number in international digits (such as 5511987654321)"
    ]
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_forget_refuses_a_blank_customer_id_in_one_line(tmp_path: Path) -> None:
    result = run_cli("forget", "--customer", "   ", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: customer id is blank"]
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_demo_on_whatsapp_shows_whatsapp_markup_buttons_and_the_reminder_template(
    tmp_path: Path,
) -> None:
    result = run_cli("demo", "--channel", "whatsapp", cwd=tmp_path, stdin="saldo\nlembrar_agora\n")

    assert result.returncode == 0, result.stderr
    assert "Pontos: *1.234 pontos*" in result.stdout
    assert "[💰 Saldo] [📜 Extrato]" in result.stdout
    assert "<b>" not in result.stdout
    assert "modelo lembrete_pontos: Maria Silva, " in result.stdout
