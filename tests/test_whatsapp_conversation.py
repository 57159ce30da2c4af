"""The conversation on WhatsApp: invites by code, reminders on and off, data rights."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import forget, issue_invite
from bot.config import Settings
from bot.core.conversation import Conversation
from bot.core.invites import issue
from bot.db.store import SqlStore
from tests.fixtures.app import Deliver
from tests.fixtures.bonifiq import FakePointsApi, customer_payload
from tests.fixtures.database import row_counts
from tests.fixtures.graph import DISPLAY_NUMBER, FakeGraphApi, button_value, delivery, text_value
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.fixtures.whatsapp import ADMIN_API_TOKEN, MENU_BUTTONS, WhatsAppWeb, open_whatsapp_web
from tests.helpers import SLASH_COMMAND, active_customer, link
from tests.personas import ADMIN_USER_ID, MARIA, MARIA_WA_ID
from tests.test_privacy import rows_naming

TTL = timedelta(days=7)


async def _active(store: SqlStore, wa_id: str = MARIA_WA_ID) -> str | None:
    return await active_customer(store, wa_id, channel="whatsapp")


@pytest.fixture
async def invite_code(points_api: FakePointsApi, store: SqlStore) -> str:
    """Serve Maria's points and issue an invite to her, as `python -m bot invite` does now."""
    points_api.set_customer(MARIA, customer_payload())
    now = datetime.now(UTC)  # the web process's own clock judges expiry
    invite = await issue(store, MARIA, channel="cli", via="cli", issued_by=None, now=now, ttl=TTL)
    return invite.code


async def test_sending_an_invite_code_links_the_whatsapp_user(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, store: SqlStore, invite_code: str
) -> None:
    await wa_web.deliver(delivery(text_value(invite_code)))

    assert await _active(store) == MARIA
    linked, balance = graph_api.requests
    assert linked.text == "✅ Pronto! Sua conta foi vinculada ao seu cadastro na loja."
    assert "1.234 pontos" in balance.text


async def test_a_used_invite_code_links_nobody_else(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, store: SqlStore, invite_code: str
) -> None:
    await wa_web.deliver(delivery(text_value(invite_code)))

    await wa_web.deliver(delivery(text_value(invite_code, wa_id="5521999990000")))

    assert await _active(store, "5521999990000") is None
    assert graph_api.requests[-1].to == "5521999990000"
    assert "vinculada" not in graph_api.requests[-1].text


async def test_the_invite_api_returns_the_wa_me_link_with_the_bare_code(
    wa_web: WhatsAppWeb, points_api: FakePointsApi
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    response = await wa_web.client.post(
        "/api/invites",
        json={"customer_id": MARIA},
        headers={"Authorization": f"Bearer {ADMIN_API_TOKEN}"},
    )

    body = await response.json()
    assert response.status == 201
    assert body["whatsapp_url"] == f"https://wa.me/{DISPLAY_NUMBER}?text={body['code']}"
    assert body["url"] == body["whatsapp_url"]


async def test_lembretes_off_as_two_words_turns_reminders_off(
    wa_web: WhatsAppWeb, store: SqlStore, wa_maria: str
) -> None:
    await wa_web.deliver(delivery(text_value("Lembretes OFF")))

    async with store.unit_of_work(writes=False) as uow:
        link = await uow.links.active("whatsapp", MARIA_WA_ID)
    assert link is not None
    assert link.reminders_enabled is False


async def test_meus_dados_shows_what_is_kept_with_names_as_written(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    await wa_web.deliver(delivery(text_value("meus dados", name="Zé <Loja> & Filhos")))

    text = graph_api.requests[-1].text
    assert "Zé <Loja> & Filhos" in text
    assert "&lt;" not in text
    assert "<b>" not in text


async def test_apagar_confirmed_by_button_erases_the_whatsapp_user_everywhere(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, store: SqlStore, wa_maria: str
) -> None:
    await wa_web.deliver(delivery(text_value("apagar")))
    assert graph_api.requests[-1].buttons == [
        ("apagar confirmar", "🗑 Apagar meus dados"),
        ("apagar cancelar", "Cancelar"),
    ]
    assert await rows_naming(wa_web.services.engine, MARIA_WA_ID, [MARIA])

    await wa_web.deliver(delivery(button_value("apagar confirmar", "Apagar")))

    assert await rows_naming(wa_web.services.engine, MARIA_WA_ID, [MARIA]) == []


@pytest.mark.postgres_only
async def test_a_delivery_repeated_to_two_web_processes_is_answered_once(
    wa_settings: Settings, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    payloads = [delivery(text_value("saldo", message_id=f"wamid.both{n}")) for n in range(10)]
    async with open_whatsapp_web(wa_settings) as first, open_whatsapp_web(wa_settings) as second:
        await asyncio.gather(
            *(web.deliver(payload) for payload in payloads for web in (first, second))
        )

    assert len(graph_api.requests) == 10
    assert all("1.234 pontos" in request.text for request in graph_api.requests)


async def test_privacidade_on_whatsapp_names_whatsapp_data_not_telegram(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi
) -> None:
    await wa_web.deliver(delivery(text_value("privacidade")))

    text = graph_api.requests[-1].text
    assert "número de WhatsApp" in text
    assert "mensagens recebidas, três dias" in text
    assert "Telegram" not in text


async def test_an_unlinked_user_is_told_how_to_get_linked_on_whatsapp(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi
) -> None:
    await wa_web.deliver(delivery(text_value("oi", name="Ana")))
    await wa_web.deliver(delivery(text_value("início", name="Ana")))

    text = graph_api.requests[-1].text
    assert f"número de WhatsApp: ```{MARIA_WA_ID}```" in text
    assert "Telegram" not in text


async def test_convite_also_offers_the_wa_me_link_when_whatsapp_is_on(
    deliver: Deliver,
    bot_api: FakeBotApi,
    conversation: Conversation,
    points_api: FakePointsApi,
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    conversation.whatsapp_number = DISPLAY_NUMBER

    await deliver(private_message(f"/convite {MARIA}", ADMIN_USER_ID))

    [reply] = bot_api.delivered_to(ADMIN_USER_ID)
    telegram_code = re.search(r"start=([A-Za-z0-9_-]+)", reply.text)
    whatsapp_code = re.search(
        rf"https://wa\.me/{DISPLAY_NUMBER}\?text=([A-Za-z0-9_-]+)", reply.text
    )
    assert telegram_code is not None
    assert whatsapp_code is not None
    assert whatsapp_code.group(1) == telegram_code.group(1)


async def test_the_invite_command_prints_the_wa_me_link_with_whatsapp_alone(
    wa_settings: Settings, points_api: FakePointsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    code = await issue_invite(wa_settings, MARIA, check=True)

    link_line, expiry_line = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert re.fullmatch(rf"https://wa\.me/{DISPLAY_NUMBER}\?text=[A-Za-z0-9_-]{{43}}", link_line)
    assert expiry_line.startswith("expires ")


async def test_forget_erases_a_whatsapp_user_by_channel_and_number(
    wa_web: WhatsAppWeb, wa_settings: Settings, wa_maria: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await wa_web.deliver(delivery(text_value("saldo")))

    code = await forget(wa_settings, customer_id=None, user=("whatsapp", MARIA_WA_ID))

    counts = await row_counts(wa_web.services.engine)
    assert code == 0
    assert (counts["chat_users"], counts["links"], counts["inbound_messages"]) == (0, 0, 0)
    assert "inbound_messages 1" in capsys.readouterr().out


async def test_a_code_for_another_customer_asks_first_and_trocar_switches(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, store: SqlStore, invite_code: str
) -> None:
    await link(store, "antigo@loja.com.br", MARIA_WA_ID, channel="whatsapp")

    await wa_web.deliver(delivery(text_value(invite_code)))
    [(switch, _), (keep, _)] = graph_api.requests[-1].buttons
    assert await _active(store) == "antigo@loja.com.br"

    await wa_web.deliver(delivery(button_value(switch, "Trocar")))

    assert (switch, keep) == (f"trocar {invite_code}", "manter")
    assert await _active(store) == MARIA


GREETINGS = [
    "oi",
    "oi, tudo bem?",
    "Olá",
    "ola",
    "bom dia",
    "Boa tarde!",
    "boa noite 🌙",
    "e aí",
    "E aí, beleza?",
    "hello",
    "hi",
    "OIII 👋",
]


@pytest.mark.usefixtures("wa_maria")
@pytest.mark.parametrize("greeting", GREETINGS)
async def test_a_greeting_gets_a_greeting_by_name_and_the_menu_with_its_buttons(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, greeting: str
) -> None:
    await wa_web.deliver(delivery(text_value(greeting, name="Maria")))

    [reply] = graph_api.requests
    assert reply.text.startswith("Olá, Maria! 👋\n\nEu mostro seus pontos")
    assert "*saldo*: pontos, cashback e pontos a expirar" in reply.text
    assert reply.buttons == MENU_BUTTONS
    assert "Não entendi" not in reply.text


@pytest.mark.usefixtures("wa_maria")
async def test_a_greeting_from_a_profile_without_a_name_greets_without_one(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi
) -> None:
    await wa_web.deliver(delivery(text_value("oi", name="")))

    assert graph_api.requests[-1].text.startswith("Olá! 👋\n\n")


async def test_a_greeting_from_an_unlinked_user_also_says_how_to_get_linked(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi
) -> None:
    await wa_web.deliver(delivery(text_value("bom dia", name="Ana")))

    [reply] = graph_api.requests
    assert reply.text.startswith("Olá, Ana! 👋")
    assert reply.text.endswith("Envie *início* para saber como vincular.")
    assert reply.buttons == MENU_BUTTONS


@pytest.mark.usefixtures("wa_maria")
@pytest.mark.parametrize("word", ["menu", "Menu", "ajuda", "help"])
async def test_menu_and_ajuda_get_the_menu(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, word: str
) -> None:
    await wa_web.deliver(delivery(text_value(word)))

    [reply] = graph_api.requests
    assert reply.text.startswith("Eu mostro seus pontos")
    assert "*menu*: esta mensagem" in reply.text
    assert reply.buttons == MENU_BUTTONS


@pytest.mark.usefixtures("wa_maria")
@pytest.mark.parametrize("text", ["quanto eu tenho?", "oi, quero ver meus pontos", "/pizza"])
async def test_any_other_text_gets_a_short_not_understood_and_the_menu(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, text: str
) -> None:
    await wa_web.deliver(delivery(text_value(text)))

    [reply] = graph_api.requests
    first_line, rest = reply.text.split("\n\n", 1)
    assert first_line == "Não entendi. 🤔 Veja o que eu sei fazer:"
    assert rest.startswith("Eu mostro seus pontos")
    assert reply.buttons == MENU_BUTTONS


async def test_nothing_on_whatsapp_tells_the_user_to_type_a_slash_command(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, store: SqlStore, points_api: FakePointsApi
) -> None:
    unlinked = ["oi", "saldo", "extrato", "lembretes", "início", "meus dados", "privacidade"]
    linked = [
        *("oi", "menu", "ajuda", "help", "quanto tenho?", "saldo", "extrato", "início"),
        *("lembretes", "lembretes off", "lembretes on", "lembretes talvez", "meus dados"),
        *("privacidade", "desvincular", "desvincular", "A" * 43, "apagar"),
    ]
    for text in unlinked:
        await wa_web.deliver(delivery(text_value(text)))
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA, MARIA_WA_ID, channel="whatsapp")
    for text in linked:
        await wa_web.deliver(delivery(text_value(text)))
    await wa_web.deliver(delivery(button_value("apagar cancelar", "Cancelar")))

    assert len(graph_api.requests) >= len(unlinked) + len(linked) + 1
    told = [request.text for request in graph_api.requests if SLASH_COMMAND.search(request.text)]
    assert told == []
