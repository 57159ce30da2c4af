"""Settings: defaults, and one clear line for anything missing or malformed."""

from __future__ import annotations

from datetime import time

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, Settings, load_settings

SECRET = "987654:very-secret-token-value"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "BONIFIQ_API_TOKEN",
        "BONIFIQ_API_KEY",
        "DATABASE_URL",
        "ADMIN_IDS",
        "BOT_TIMEZONE",
        "BONIFIQ_TIMEOUT",
        "BONIFIQ_CACHE_TTL",
        "REMINDER_DAYS",
        "REMINDER_TIME",
        "BONIFIQ_MAX_CONCURRENCY",
        "TELEGRAM_SEND_RATE",
        "REMINDER_SENDERS",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "PORT",
        "METRICS_TOKEN",
        "LOG_FORMAT",
        "ADMIN_API_TOKEN",
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()

    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.bot_timezone == "America/Sao_Paulo"
    assert settings.bonifiq_timeout == 5
    assert settings.bonifiq_cache_ttl == 60
    assert settings.admin_ids == frozenset()


def test_admin_ids_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", " 12, 34 ,")

    assert load_settings().admin_ids == {12, 34}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_IDS", "12,maria"),
        ("BOT_TIMEZONE", "America/Atlantis"),
        ("BONIFIQ_TIMEOUT", "soon"),
        ("BONIFIQ_TIMEOUT", "0"),
        ("BONIFIQ_CACHE_TTL", "-1"),
        ("BONIFIQ_BASE_URL", "api.bonifiq.com.br"),
        ("DATABASE_URL", "  "),
    ],
)
def test_a_malformed_setting_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError) as raised:
        load_settings()

    message = str(raised.value)
    assert name in message
    assert "\n" not in message


def test_a_missing_secret_is_named_when_a_command_needs_it() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings().require("telegram_bot_token")


def test_an_empty_secret_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BONIFIQ_API_KEY", "   ")

    with pytest.raises(ConfigError, match="BONIFIQ_API_KEY"):
        load_settings().require("bonifiq_api_key")


def test_secrets_are_not_shown_when_settings_are_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", SECRET)

    settings = load_settings()

    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())


def test_settings_are_read_from_a_dotenv_file(tmp_path: object) -> None:
    from pathlib import Path

    Path(str(tmp_path), ".env").write_text("ADMIN_IDS=7\nBOT_TIMEZONE=America/Manaus\n")

    settings = load_settings()

    assert settings.admin_ids == {7}
    assert settings.bot_timezone == "America/Manaus"


def test_reminder_settings_have_defaults() -> None:
    settings = load_settings()

    assert settings.reminder_days == (30, 7, 1)
    assert settings.reminder_time == time(10, 0)
    assert settings.bonifiq_max_concurrency == 8
    assert settings.telegram_send_rate == 29
    assert settings.reminder_senders == 1


def test_reminder_days_are_deduplicated_and_sorted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDER_DAYS", "1, 7,30,7")

    assert load_settings().reminder_days == (30, 7, 1)


def test_reminder_time_off_turns_the_daily_sweep_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDER_TIME", "off")

    assert load_settings().reminder_time is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REMINDER_DAYS", "30,sete"),
        ("REMINDER_DAYS", ","),
        ("REMINDER_DAYS", "400"),
        ("REMINDER_TIME", "25:00"),
        ("REMINDER_TIME", "10h"),
        ("BONIFIQ_MAX_CONCURRENCY", "0"),
        ("TELEGRAM_SEND_RATE", "31"),
        ("REMINDER_SENDERS", "0"),
    ],
)
def test_malformed_reminder_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=name):
        load_settings()


def test_web_settings_have_defaults() -> None:
    settings = load_settings()

    assert settings.webhook_url is None
    assert settings.webhook_secret is None
    assert settings.port is None
    assert settings.metrics_token is None
    assert settings.log_format == "auto"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEBHOOK_URL", "ftp://pontos.example"),
        ("WEBHOOK_SECRET", "with space"),
        ("WEBHOOK_SECRET", "x" * 257),
        ("PORT", "0"),
        ("PORT", "70000"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_a_malformed_web_setting_is_named_without_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=name) as raised:
        load_settings()

    assert value not in str(raised.value)


def test_the_webhook_secret_and_metrics_token_are_masked_in_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "Webhook_secret-42")
    monkeypatch.setenv("METRICS_TOKEN", "metrics-token-42")

    assert {"Webhook_secret-42", "metrics-token-42"} <= set(load_settings().secrets())


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("notaurl", "is not a database URL"),
        ("postgresql://bot:s3cr3t-pw@db.loja:abc/bot", "port that is not a number"),
        ("postgresql+asyncpg://bot:s3cr3t-pw@db.loja:99999/bot", "port outside 1 to 65535"),
        ("mysql+aiomysql://bot:s3cr3t-pw@db.loja/bot", "only SQLite and PostgreSQL"),
        ("postgresql+psycopg2://bot:s3cr3t-pw@db.loja/bot", "needs asyncpg"),
        ("sqlite+pysqlite:///bot.db", "needs aiosqlite"),
    ],
    ids=[
        "not-a-url",
        "port-not-a-number",
        "port-out-of-range",
        "mysql",
        "sync-driver",
        "pysqlite",
    ],
)
def test_a_malformed_database_url_is_named_in_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", value)

    with pytest.raises(ConfigError) as raised:
        load_settings()

    message = str(raised.value)
    assert message.startswith("invalid configuration: DATABASE_URL: ")
    assert problem in message
    assert "s3cr3t-pw" not in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "value",
    [
        "sqlite:///bot.db",
        "sqlite+aiosqlite:///bot.db",
        "postgres://bot:pw@db.loja/bot",
        "postgresql://bot:pw@db.loja:5432/bot",
        "postgresql+asyncpg://bot:pw@db.loja/bot?ssl=require",
    ],
)
def test_sqlite_and_postgresql_urls_with_or_without_their_async_driver_are_accepted(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", value)

    assert load_settings().database_url == value


def test_an_http_webhook_url_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "http://bot.loja.com.br")

    with pytest.raises(ConfigError, match=r"WEBHOOK_URL: must be the bot's public https://"):
        load_settings()


SECRET_VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "BONIFIQ_API_TOKEN",
    "BONIFIQ_API_KEY",
    "WEBHOOK_SECRET",
    "METRICS_TOKEN",
    "ADMIN_API_TOKEN",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
)


@pytest.mark.parametrize("name", SECRET_VARIABLES)
def test_a_one_character_secret_is_refused_in_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "a")

    with pytest.raises(ConfigError) as raised:
        load_settings()

    message = str(raised.value)
    assert f"{name}: is too short" in message
    assert "\n" not in message


def test_every_secret_that_logs_mask_needs_eight_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for number, name in enumerate(SECRET_VARIABLES):
        monkeypatch.setenv(name, f"secret-{number}")

    # Settings itself: half a WhatsApp configuration is refused by load_settings later.
    assert sorted(Settings().secrets()) == [f"secret-{n}" for n in range(9)]
