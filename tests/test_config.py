"""Settings: defaults, and one clear line for anything missing or malformed."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings

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
