"""Settings from the environment (and a `.env` file in the working folder)."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///bonifiq-bot.db"
# Telegram's rule for setWebhook's secret_token.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Meta's rule for message template names.
_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")
# Backends the bot supports, each with the async drivers it ships with (no driver: that one).
# `postgres` is the scheme hosting providers hand out.
_DATABASE_DRIVERS = {
    "sqlite": ("aiosqlite",),
    "postgresql": ("asyncpg",),
    "postgres": ("asyncpg",),
}
_DATABASE_EXAMPLE = (
    "sqlite+aiosqlite:///bonifiq-bot.db or postgresql+asyncpg://user:password@host:5432/bot"
)
MIN_SECRET_LENGTH = 8
"""Shorter values are no real secret, and masking them in logs would hit ordinary words."""
SECRET_SETTINGS = (
    "telegram_bot_token",
    "bonifiq_api_token",
    "bonifiq_api_key",
    "webhook_secret",
    "metrics_token",
    "admin_api_token",
    "whatsapp_access_token",
    "whatsapp_app_secret",
    "whatsapp_verify_token",
)
"""Every setting whose value is masked in logs (see `Settings.secrets`)."""
WHATSAPP_SETTINGS = (
    "whatsapp_access_token",
    "whatsapp_phone_number_id",
    "whatsapp_app_secret",
    "whatsapp_verify_token",
    "whatsapp_display_number",
    "whatsapp_reminder_template",
)
"""All of them turn the WhatsApp channel on; some without the others is a mistake."""


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable, never its value."""


class Settings(BaseSettings):
    """Everything the bot can be configured with."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    bonifiq_base_url: str = "https://api.bonifiq.com.br"
    bonifiq_api_token: SecretStr | None = None
    bonifiq_api_key: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    bot_timezone: str = "America/Sao_Paulo"
    bonifiq_timeout: Annotated[float, Field(gt=0, le=60)] = 5.0
    bonifiq_cache_ttl: Annotated[float, Field(ge=0, le=86_400)] = 60.0
    reply_deadline: Annotated[float, Field(gt=0, le=60)] = 15.0
    reminder_days: Annotated[tuple[int, ...], NoDecode] = (30, 7, 1)
    reminder_time: time | None = time(10, 0)
    bonifiq_max_concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    # Just under Telegram's ~30/s: a limiter at exactly the limit trips it on jitter.
    telegram_send_rate: Annotated[float, Field(gt=0, le=30)] = 29.0
    reminder_senders: Annotated[int, Field(ge=1, le=32)] = 1
    # A week; fractions allowed (0.5 is half an hour), a year at most.
    invite_ttl_hours: Annotated[float, Field(gt=0, le=8_784)] = 168.0
    retention_days: Annotated[int, Field(ge=1, le=3_650)] = 365
    log_level: str = "INFO"
    log_format: Literal["text", "json", "auto"] = "auto"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    port: Annotated[int, Field(ge=1, le=65_535)] | None = None
    metrics_token: SecretStr | None = None
    admin_api_token: SecretStr | None = None
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_display_number: str | None = None
    whatsapp_reminder_template: str | None = None
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"
    # Meta's default throughput for a business phone number is 80 messages per second.
    whatsapp_send_rate: Annotated[float, Field(gt=0, le=1_000)] = 60.0

    @field_validator(
        "telegram_api_base_url",
        "bonifiq_base_url",
        "database_url",
        "bot_timezone",
        "whatsapp_api_base_url",
        mode="before",
    )
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value.strip() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # Messages never quote the URL: it usually holds the password.
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"is not a database URL such as {_DATABASE_EXAMPLE}") from None
        except ValueError:
            raise ValueError("has a port that is not a number") from None
        backend, _, driver = url.drivername.partition("+")
        drivers = _DATABASE_DRIVERS.get(backend)
        if drivers is None:
            raise ValueError(
                f"names the {backend!r} database, but only SQLite and PostgreSQL are supported"
            )
        if driver and driver not in drivers:
            raise ValueError(
                f"names the {driver!r} driver, but {backend} needs {' or '.join(drivers)}"
                " (or no driver)"
            )
        if url.port is not None and not 1 <= url.port <= 65_535:
            raise ValueError("has a port outside 1 to 65535")
        return value

    @field_validator("whatsapp_phone_number_id", "whatsapp_display_number")
    @classmethod
    def _digits(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = value.strip().removeprefix("+")
        if not digits.isascii() or not digits.isdigit() or len(digits) > 32:
            raise ValueError("must be digits only, such as 5511987654321")
        return digits

    @field_validator("whatsapp_reminder_template")
    @classmethod
    def _template_name(cls, value: str | None) -> str | None:
        if value is not None and not _TEMPLATE_NAME.fullmatch(value.strip()):
            raise ValueError("must be a template name: lower-case letters, digits and _")
        return value.strip() if value is not None else None

    @field_validator("telegram_api_base_url", "bonifiq_base_url", "whatsapp_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("telegram_bot_token", "bonifiq_api_token", "bonifiq_api_key", mode="before")
    @classmethod
    def _blank_secret_is_missing(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator(
        "webhook_secret",
        "metrics_token",
        "admin_api_token",
        "whatsapp_access_token",
        "whatsapp_app_secret",
        "whatsapp_verify_token",
        "whatsapp_phone_number_id",
        "whatsapp_display_number",
        "whatsapp_reminder_template",
        mode="before",
    )
    @classmethod
    def _blank_token_is_missing(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(*SECRET_SETTINGS)
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"is too short: a secret has at least {MIN_SECRET_LENGTH} characters")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 8 to 256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip() or None
        # Telegram posts only to https: an http URL would be refused at setWebhook, after start-up.
        if isinstance(value, str) and not value.startswith("https://"):
            raise ValueError(
                "must be the bot's public https:// base URL, such as https://bot.loja.com.br"
            )
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("must be comma-separated numeric Telegram user ids")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _reminder_days(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not parts or not all(part.isdigit() for part in parts):
                raise ValueError("must be comma-separated whole days, such as 30,7,1")
            value = [int(part) for part in parts]
        days = tuple(sorted(set(value), reverse=True))
        if not days or not all(0 <= day <= 366 for day in days):
            raise ValueError("must be whole days from 0 to 366, such as 30,7,1")
        return days

    @field_validator("reminder_time", mode="before")
    @classmethod
    def _reminder_time(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().casefold() in {"off", "none", "disabled"}:
            return None  # `run` schedules no sweep; a cron job calls `remind` instead
        if isinstance(value, str):
            hours, sep, minutes = value.strip().partition(":")
            if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
                raise ValueError("must be a time of day as HH:MM, such as 10:00, or off")
            if int(hours) > 23 or int(minutes) > 59:
                raise ValueError("must be a time of day as HH:MM, such as 10:00, or off")
            return time(int(hours), int(minutes))
        return value

    @field_validator("bot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as America/Sao_Paulo") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @property
    def timezone(self) -> ZoneInfo:
        """The zone dates are shown and scheduled in."""
        return ZoneInfo(self.bot_timezone)

    def require(self, *names: str) -> None:
        """Raise ConfigError naming the first of `names` that is not set."""
        for name in names:
            if getattr(self, name) is None:
                raise ConfigError(f"{name.upper()} is required for this command but is not set")

    @property
    def whatsapp_on(self) -> bool:
        """Tell whether the WhatsApp channel is configured; raise ConfigError if half of it is."""
        present = [getattr(self, name) is not None for name in WHATSAPP_SETTINGS]
        if any(present) and not all(present):
            missing = WHATSAPP_SETTINGS[present.index(False)].upper()
            raise ConfigError(f"{missing} is needed too: the WhatsApp channel is half configured")
        return all(present)

    @property
    def telegram_on(self) -> bool:
        """Tell whether the Telegram channel is configured."""
        return self.telegram_bot_token is not None

    def channels(self) -> tuple[str, ...]:
        """Return the channels that are on, by name; ConfigError if none or one is half set."""
        names = tuple(
            name
            for name, on in (("telegram", self.telegram_on), ("whatsapp", self.whatsapp_on))
            if on
        )
        if not names:
            self.require("telegram_bot_token")  # the usual channel names what is missing
        return names

    def secrets(self) -> list[str]:
        """Return the secret values that must never be shown, for log redaction."""
        values: list[SecretStr | None] = [getattr(self, name) for name in SECRET_SETTINGS]
        return [value.get_secret_value() for value in values if value is not None]


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation errors into one clear line per bad variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
    _ = settings.whatsapp_on  # a half-configured channel stops start-up here
    return settings


__all__ = [
    "DEFAULT_DATABASE_URL",
    "MIN_SECRET_LENGTH",
    "ConfigError",
    "Settings",
    "load_settings",
]
