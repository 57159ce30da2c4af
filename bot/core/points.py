"""A customer's points as the core knows them, and the ways reading them can fail.

The points API's adapter (`bot.bonifiq`) decodes its answers into these types and maps its
failures onto these errors; the core reacts to them without knowing how they were fetched.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import IntEnum

from pydantic import BaseModel, ConfigDict


class OrderOrigin(IntEnum):
    """Where the order behind a point transaction came from."""

    INTEGRATION = 0
    API = 1
    IMPORT = 2
    PDV = 3
    OFFLINE_INTEGRATION = 4
    OTHER = -1
    """An origin BonifiQ added after this code was written."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PointsToExpire(_Model):
    """Points that expire at one moment."""

    points: int
    when: datetime


class PointTransaction(_Model):
    """One entry of a customer's point history."""

    id: int | None = None
    is_canceled: bool = False
    date_received: datetime | None = None
    expiration_date: datetime | None = None
    amount: int = 0
    cashback_amount: Decimal | None = None
    branch_id: str | None = None
    branch_name: str | None = None
    order_origin: OrderOrigin | None = None
    order_origin_description: str | None = None
    point_type: int | None = None
    point_type_description: str | None = None


class CustomerPoints(_Model):
    """A customer that exists in BonifiQ, with balance, expirations and history."""

    customer_id: str
    internal_id: str | None = None
    name: str | None = None
    points_balance: int = 0
    cashback_balance: Decimal = Decimal(0)
    redeem_key: str | None = None
    points_to_expire: tuple[PointsToExpire, ...] = ()
    point_history: tuple[PointTransaction, ...] = ()


class BonifiqError(Exception):
    """Base for every failure to read a customer's points."""


class BonifiqAuthError(BonifiqError):
    """The API refused our credentials (401/403): only the operator can fix this."""


class CustomerNotFoundError(BonifiqError):
    """The store has no customer with this id (`CustomerExists: false`)."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(f"no BonifiQ customer with id {customer_id!r}")
        self.customer_id = customer_id


class InvalidCustomerIdError(CustomerNotFoundError, ValueError):
    """The id cannot name a BonifiQ customer (blank, too long, `..`): nothing was requested."""

    def __init__(self, customer_id: str, problem: str) -> None:
        super().__init__(customer_id)
        self.args = (problem,)
        self.problem = problem


class BonifiqUnavailableError(BonifiqError):
    """The API could not be reached or kept failing (timeouts, 5xx, 429) within the deadline."""


class BonifiqResponseError(BonifiqError):
    """The API answered something we cannot trust: malformed, unexpected or an error envelope."""
