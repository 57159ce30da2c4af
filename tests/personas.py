"""The people the tests talk about, defined here once for every channel's tests.

Import them from here (`from tests.personas import MARIA, CUSTOMER_USER_ID`); the fixtures
that put them in place (`maria`, `wa_maria`) and the payload builders use the same values.

Maria is the customer most tests follow: `customer_payload()` describes her account at
BonifiQ (Maria Silva, 1,234 points), she writes from Telegram as user `CUSTOMER_USER_ID` and
from WhatsApp as `MARIA_WA_ID`. João is a second customer. The store's manager is the admin
(`ADMIN_USER_ID` is in ADMIN_IDS).
"""

from __future__ import annotations

from typing import Final

MARIA: Final = "maria@loja.com.br"
"""Maria's customer id at BonifiQ."""
MARIA_FIRST_NAME: Final = "Maria"
"""The first name her Telegram and WhatsApp profiles show."""
CUSTOMER_USER_ID: Final = 1001
"""Maria's Telegram user id (and the id of her private chat with the bot)."""
MARIA_WA_ID: Final = "5511987654321"
"""Maria's WhatsApp number, as Meta sends it (wa_id)."""

JOAO: Final = "joao@loja.com.br"
"""A second customer's id at BonifiQ."""

ADMIN_USER_ID: Final = 9001
"""The store manager's Telegram user id, one of ADMIN_IDS."""
ADMIN_FIRST_NAME: Final = "Gerente"
"""The first name the manager's Telegram profile shows."""
