"""Reading command arguments: user ids, customer ids, on/off words."""

from __future__ import annotations

from bot.core.customer_ids import canonical_customer_id, customer_id_problem

MAX_USER_ID = 2**63 - 1
"""The largest id a BIGINT column holds; Telegram's ids are far below it."""

MAX_WA_ID_LENGTH = 32
"""The longest wa_id the webhook accepts (bot.whatsapp.inbound); real ones have 10 to 15."""

ON_WORDS = frozenset({"on", "ligar", "ligado", "sim", "ativar", "1"})
OFF_WORDS = frozenset({"off", "desligar", "desligado", "nao", "não", "desativar", "0"})


def on_off(args: str) -> bool | None:
    """Return True for on, False for off, None for anything else (including nothing)."""
    word = args.strip().casefold()
    if word in ON_WORDS:
        return True
    if word in OFF_WORDS:
        return False
    return None


def split_first(args: str) -> tuple[str, str, str]:
    """Split off the first word; the rest of the line is kept as typed."""
    parts = args.strip().split(maxsplit=1)
    if not parts:
        return "", "", ""
    return parts[0], " ", parts[1] if len(parts) > 1 else ""


def parse_user_id(raw: str) -> str | None:
    """Return a chat platform user id in its canonical digits, or None if it cannot be one."""
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return str(value) if 0 < value <= MAX_USER_ID else None


def parse_wa_id(raw: str) -> str | None:
    """Return a WhatsApp number as Meta's wa_id (international digits), or None if it is not one.

    A leading `+`, as numbers are usually written, is dropped.
    """
    text = raw.strip().removeprefix("+")
    if not text.isascii() or not text.isdigit() or len(text) > MAX_WA_ID_LENGTH:
        return None
    return text


def valid_customer_id(customer_id: str) -> bool:
    """Accept what a store may use as id (usually an e-mail), refuse what cannot travel."""
    return customer_id_problem(customer_id) is None


def parse_customer_id(raw: str) -> str:
    """Return a customer id in its canonical form: the one rule every entry reads ids by.

    Raises:
        ValueError: it cannot be a customer id; the message says why (`customer_id_problem`).
    """
    customer_id = canonical_customer_id(raw)
    if problem := customer_id_problem(customer_id):
        raise ValueError(problem)
    return customer_id
