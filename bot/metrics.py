"""Prometheus metrics, kept in a registry of their own that the composition root creates."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Replies wait on the points API (seconds) and on Telegram's rate limiter.
REPLY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)
REQUEST_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A sweep is paced by Telegram's ~30 messages per second: minutes for thousands of customers.
SWEEP_BUCKETS = (1.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0)

SkipReason = Literal["ids", "user", "chat", "text", "entities", "button", "duplicate"]
"""Why an update was not handled: a field the handlers rely on is of the wrong kind (an id,
the sender's names, the chat's type, the text, an entity, a button's data), or the same
update is already being handled."""
SKIP_REASONS: tuple[SkipReason, ...] = get_args(SkipReason)


class Metrics:
    """Every metric the bot exports; one instance per process (or per test)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.updates = Counter(
            "bot_updates_total",
            "Updates handled, by channel, command and outcome (ok or error).",
            ["channel", "command", "outcome"],
            registry=self.registry,
        )
        self.updates_skipped = Counter(
            "bot_updates_skipped_total",
            "Updates not handled, by channel and reason: an authentic webhook request or part of"
            " one that could not be read (undecodable, not_a_delivery, malformed_*: answered 200"
            " so the platform does not retry it), a malformed field (ids, user, chat, text,"
            " entities, button) or a copy of an update being handled (duplicate).",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "bot_reply_duration_seconds",
            "Time from taking an update to having sent its replies.",
            ["channel"],
            buckets=REPLY_BUCKETS,
            registry=self.registry,
        )
        self.bonifiq_requests = Counter(
            "bot_bonifiq_requests_total",
            "HTTP requests to the BonifiQ points API, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.bonifiq_seconds = Histogram(
            "bot_bonifiq_request_duration_seconds",
            "Duration of one HTTP request to the BonifiQ points API.",
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.cache_lookups = Counter(
            "bot_points_cache_lookups_total",
            "Points lookups by result: hit (cached), joined (a running lookup), miss (API call).",
            ["result"],
            registry=self.registry,
        )
        self.reminders = Counter(
            "bot_reminders_total",
            "Reminder messages by outcome: sent, failed or blocked.",
            ["outcome"],
            registry=self.registry,
        )
        self.sweep_seconds = Histogram(
            "bot_reminder_sweep_duration_seconds",
            "Duration of completed reminder sweeps.",
            buckets=SWEEP_BUCKETS,
            registry=self.registry,
        )
        self.last_sweep = Gauge(
            "bot_reminder_sweep_last_success_timestamp_seconds",
            "Unix time at which the last completed reminder sweep started (any process).",
            registry=self.registry,
        )
        self.links_waiting = Gauge(
            "bot_links_waiting_for_user",
            "Active links with reminders on whose user never opened a chat with the bot, which"
            " may not write first: no reminder reaches them until they write to it.",
            registry=self.registry,
        )
        self.whatsapp_errors = Counter(
            "bot_whatsapp_errors_total",
            "WhatsApp messages Meta refused or reported failed, by where (send or status) and"
            " error code.",
            ["where", "code"],
            registry=self.registry,
        )
        for outcome in ("sent", "failed", "blocked"):
            self.reminders.labels(outcome)  # exported as 0 before the first sweep

    def update_handled(self, channel: str, command: str, outcome: str, seconds: float) -> None:
        """Count one update and how long answering it took."""
        self.updates.labels(channel, command, outcome).inc()
        self.reply_seconds.labels(channel).observe(seconds)

    def update_skipped(self, channel: str, reason: str) -> None:
        """Count one update (or part of a webhook request) that was not handled, and why."""
        self.updates_skipped.labels(channel, reason).inc()

    def bonifiq_request(self, outcome: str, seconds: float) -> None:
        """Count one request to the points API."""
        self.bonifiq_requests.labels(outcome).inc()
        self.bonifiq_seconds.observe(seconds)

    def whatsapp_error(self, where: str, code: int | None) -> None:
        """Count one WhatsApp message refused at sending or reported failed by a status."""
        self.whatsapp_errors.labels(where, str(code) if code is not None else "none").inc()

    def cache_lookup(self, result: str) -> None:
        """Count one points lookup by how the cache served it."""
        self.cache_lookups.labels(result).inc()

    def sweep_done(
        self, started: datetime, seconds: float, sent: int, failed: int, blocked: int
    ) -> None:
        """Record a completed sweep: its duration, its reminders and when it ran."""
        self.sweep_seconds.observe(seconds)
        self.reminders.labels("sent").inc(sent)
        self.reminders.labels("failed").inc(failed)
        self.reminders.labels("blocked").inc(blocked)
        self.last_sweep_at(started)

    def links_waiting_for_user(self, count: int) -> None:
        """Set how many links wait for their user to open the bot, as the database says."""
        self.links_waiting.set(count)

    def last_sweep_at(self, started: datetime | None) -> None:
        """Set the time of the last completed sweep, as recorded by whichever process ran it."""
        if started is not None:
            self.last_sweep.set(started.timestamp())
