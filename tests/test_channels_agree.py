"""One table of conversation cases, run through Telegram and WhatsApp: they cannot drift apart.

Each case is what a linked customer does, written the way each channel sends it (a slash
command on Telegram, a bare word or a reply button on WhatsApp). Both channels must show the
same text, once their own markup is read, and offer the same buttons; where a text tells the
user what to send, each channel names its own commands (`/saldo`, or the word `saldo`), and
only the buttons and the gist must agree.
"""

from __future__ import annotations

import re

import pytest

from tests.fixtures.app import Deliver, StoppedClock
from tests.fixtures.graph import FakeGraphApi, button_value, delivery, text_value
from tests.fixtures.telegram import FakeBotApi, button_press, private_message, telegram_html_text
from tests.fixtures.whatsapp import WhatsAppWeb
from tests.helpers import SLASH_COMMAND
from tests.personas import CUSTOMER_USER_ID

# (case, on Telegram, on WhatsApp, what the first reply must say, on both or on each). Texts
# that name the channel
# (what is kept about the user, how to get linked) differ on purpose and are tested apart, as
# does what each channel answers to text it does not understand.
CASES = [
    ("balance", "/saldo", "saldo", "1.234 pontos"),
    ("balance by alias and accent", "/Balance", "PONTOS", "1.234 pontos"),
    ("history", "/extrato", "extrato", "Extrato"),
    ("help", "/ajuda", "ajuda", ("/saldo", "saldo")),
    ("help in English", "/help", "help", ("/saldo", "saldo")),
    ("reminders off", "/lembretes off", "lembretes off", "desligad"),
    ("reminders on", "/lembretes on", "lembretes ligar", "ligad"),
    ("reminders status", "/lembretes", "lembretes", "avisos"),
    ("erasure asks first", "/apagar", "apagar", "apagar"),
    ("start", "/start", "início", "Maria"),
    ("greeting", "olá, tudo bem?", "olá, tudo bem?", "Olá, Maria! 👋"),
    ("button: balance", ("button", "saldo"), ("button", "saldo"), "1.234 pontos"),
    ("button: history", ("button", "extrato"), ("button", "extrato"), "Extrato"),
]
WORDED_PER_CHANNEL = {"help", "help in English", "reminders off", "start", "greeting"}
"""Cases whose text tells the user what to send: same gist and buttons, each channel's words."""

_WHATSAPP_MARKUP = re.compile(r"```|[*_~]")


def _plain(text: str) -> str:
    """What a user reads, with either channel's markup characters dropped."""
    return _WHATSAPP_MARKUP.sub("", text)


async def _on_telegram(
    deliver: Deliver, bot_api: FakeBotApi, action: str | tuple[str, str]
) -> list[tuple[str, list[str]]]:
    update = button_press(action[1]) if isinstance(action, tuple) else private_message(action)
    await deliver(update)
    return [
        (
            _plain(telegram_html_text(call.text)),
            [button["callback_data"] for button in call.buttons() if "callback_data" in button],
        )
        for call in bot_api.delivered_to(CUSTOMER_USER_ID)
    ]


async def _on_whatsapp(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, action: str | tuple[str, str]
) -> list[tuple[str, list[str]]]:
    value = button_value(action[1], action[1]) if isinstance(action, tuple) else text_value(action)
    await wa_web.deliver(delivery(value))
    return [
        (_plain(request.text), [button_id for button_id, _ in request.buttons])
        for request in graph_api.requests
    ]


@pytest.mark.usefixtures("maria", "wa_maria")
@pytest.mark.parametrize(
    ("case", "telegram", "whatsapp", "shown"),
    CASES,
    ids=[case[0] for case in CASES],
)
async def test_telegram_and_whatsapp_answer_alike(
    deliver: Deliver,
    bot_api: FakeBotApi,
    wa_web: WhatsAppWeb,
    graph_api: FakeGraphApi,
    case: str,
    telegram: str | tuple[str, str],
    whatsapp: str | tuple[str, str],
    shown: str | tuple[str, str],
    clock: StoppedClock,
) -> None:
    wa_web.whatsapp.channel.clock = clock  # both channels' users ask at the same moment
    on_telegram = await _on_telegram(deliver, bot_api, telegram)
    on_whatsapp = await _on_whatsapp(wa_web, graph_api, whatsapp)

    on_telegram_shows, on_whatsapp_shows = (shown, shown) if isinstance(shown, str) else shown
    assert on_telegram
    assert on_telegram_shows.casefold() in on_telegram[0][0].casefold()
    assert on_whatsapp_shows.casefold() in on_whatsapp[0][0].casefold()
    assert not [text for text, _ in on_whatsapp if SLASH_COMMAND.search(text)]
    if case in WORDED_PER_CHANNEL:
        assert [buttons for _, buttons in on_whatsapp] == [buttons for _, buttons in on_telegram]
    else:
        assert on_whatsapp == on_telegram
