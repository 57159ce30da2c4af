"""The customer-id rule: the one form an id is kept in, and which ids cannot be one."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

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
