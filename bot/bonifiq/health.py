"""How the points API has been doing, judged from real requests rather than probes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

RequestObserver = Callable[[str, float], None]
"""Called with (outcome, seconds) after every HTTP request to the points API."""

OK = "ok"
TIMEOUT = "timeout"
CONNECTION_ERROR = "connection_error"
RATE_LIMITED = "rate_limited"
SERVER_ERROR = "server_error"
REFUSED = "refused"
CLIENT_ERROR = "client_error"
BAD_RESPONSE = "bad_response"

# The API answered as designed: an unknown id or a bad request says nothing about its health.
HEALTHY_OUTCOMES = frozenset({OK, CLIENT_ERROR})


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ApiHealth:
    """Remembers the last success and the last failure of requests to the points API."""

    clock: Callable[[], datetime] = _utc_now
    last_success: datetime | None = field(default=None, init=False)
    last_failure: datetime | None = field(default=None, init=False)
    last_failure_outcome: str | None = field(default=None, init=False)

    def __call__(self, outcome: str, _seconds: float) -> None:
        """Record one request's outcome (a `RequestObserver`)."""
        if outcome in HEALTHY_OUTCOMES:
            self.last_success = self.clock()
        else:
            self.last_failure = self.clock()
            self.last_failure_outcome = outcome

    @property
    def ok(self) -> bool:
        """True unless the latest request failed; no request yet counts as healthy."""
        if self.last_failure is None:
            return True
        return self.last_success is not None and self.last_success >= self.last_failure
