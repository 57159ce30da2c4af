"""WhatsApp settings: a channel is on when all its settings are there, and never half."""

from __future__ import annotations

import pytest

from bot.config import WHATSAPP_SETTINGS, ConfigError, load_settings

WHATSAPP = {
    "WHATSAPP_ACCESS_TOKEN": "EAAG-secret-access-token",
    "WHATSAPP_PHONE_NUMBER_ID": "109876543210",
    "WHATSAPP_APP_SECRET": "app-secret-42",
    "WHATSAPP_VERIFY_TOKEN": "verify-token-42",
    "WHATSAPP_DISPLAY_NUMBER": "+5511912345678",
    "WHATSAPP_REMINDER_TEMPLATE": "lembrete_pontos",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in (*WHATSAPP, "TELEGRAM_BOT_TOKEN", "WHATSAPP_API_BASE_URL", "WHATSAPP_SEND_RATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def _set(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_whatsapp_is_off_without_its_settings_and_has_defaults() -> None:
    settings = load_settings()

    assert settings.whatsapp_on is False
    assert settings.whatsapp_api_base_url == "https://graph.facebook.com/v21.0"
    assert settings.whatsapp_send_rate == 60.0


def test_with_every_whatsapp_setting_the_channel_is_on_even_without_telegram(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set(monkeypatch, WHATSAPP)

    settings = load_settings()

    assert settings.channels() == ("whatsapp",)
    assert settings.whatsapp_display_number == "5511912345678"


def test_both_channels_can_be_on(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, WHATSAPP | {"TELEGRAM_BOT_TOKEN": "1:fake-token"})

    assert load_settings().channels() == ("telegram", "whatsapp")


@pytest.mark.parametrize("missing", [name.upper() for name in WHATSAPP_SETTINGS])
def test_a_half_configured_whatsapp_stops_start_up_naming_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    _set(monkeypatch, {name: value for name, value in WHATSAPP.items() if name != missing})

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert str(raised.value).startswith(missing)
    assert "\n" not in str(raised.value)
    assert "EAAG-secret-access-token" not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WHATSAPP_PHONE_NUMBER_ID", "abc"),
        ("WHATSAPP_DISPLAY_NUMBER", "(11) 91234-5678"),
        ("WHATSAPP_REMINDER_TEMPLATE", "Lembrete Pontos"),
        ("WHATSAPP_SEND_RATE", "0"),
        ("WHATSAPP_API_BASE_URL", "graph.facebook.com"),
    ],
)
def test_a_malformed_whatsapp_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    _set(monkeypatch, WHATSAPP | {name: value})

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert name in str(raised.value)


def test_whatsapp_secrets_are_masked_in_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, WHATSAPP)

    secrets = set(load_settings().secrets())

    assert {"EAAG-secret-access-token", "app-secret-42", "verify-token-42"} <= secrets
