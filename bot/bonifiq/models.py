"""Typed view of BonifiQ's `CustomerPointsResponse`, with Python-style names."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal
from enum import IntEnum
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict

MAX_CUSTOMER_ID_LENGTH = 256
"""The longest customer id the bot sends to BonifiQ and stores."""

# Servers and proxies remove `.` and `..` path segments before routing (RFC 3986, 5.2.4), and
# some decode `%2E` first, so such an id would reach another path than its customer's.
_DOT_SEGMENTS = frozenset({".", ".."})
_MAX_UNQUOTE_ROUNDS = 4
# Brazilian documents as people write them: each punctuation mark may be there or not.
_CPF = re.compile(r"[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}")
_CNPJ = re.compile(r"[0-9]{2}\.?[0-9]{3}\.?[0-9]{3}/?[0-9]{4}-?[0-9]{2}")
_NOT_DIGIT = re.compile(r"[^0-9]")


def canonical_customer_id(customer_id: str) -> str:
    """Return the one form in which a customer id is stored, compared and sent to BonifiQ.

    Surrounding spaces go. An id with `@` is an e-mail address and is lower-cased: BonifiQ
    matches e-mails in any case, so `Maria@Loja.com.br` is the same customer. A CPF or CNPJ
    written with its punctuation (`123.456.789-09`, `12.345.678/0001-95`) becomes its digits:
    e-commerce platforms keep documents as digits, and a CNPJ's `/` would travel
    percent-encoded in the URL path, which servers treat inconsistently. Anything else is kept
    as typed, since a store's own ids may tell cases apart.
    """
    text = customer_id.strip()
    if "@" in text:
        return text.lower()
    if _CPF.fullmatch(text) or _CNPJ.fullmatch(text):
        return _NOT_DIGIT.sub("", text)
    return text


def customer_id_problem(customer_id: str) -> str | None:
    """Return why `customer_id` cannot be sent to BonifiQ as one path segment, or None."""
    if not customer_id.strip():
        return "customer id is blank"
    if len(customer_id) > MAX_CUSTOMER_ID_LENGTH:
        return f"customer id is longer than {MAX_CUSTOMER_ID_LENGTH} characters"
    if any(unicodedata.category(char).startswith("C") for char in customer_id):
        return "customer id contains control or unassigned characters"
    decoded = customer_id
    for _ in range(_MAX_UNQUOTE_ROUNDS):
        if decoded in _DOT_SEGMENTS:
            return "customer id is a dot segment ('.' or '..')"
        decoded, previous = unquote(decoded), decoded
        if decoded == previous:
            break
    return None


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
