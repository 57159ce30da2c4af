"""/start, /ajuda, buttons, anything unexpected, and the command menus."""

from __future__ import annotations

from typing import Any

from bot.channels.telegram import BotApplication, register_command_menus
from bot.db.store import SqlStore
from tests.fixtures.app import Deliver
from tests.fixtures.bonifiq import FakePointsApi, customer_payload
from tests.fixtures.telegram import FakeBotApi, button_press, group_message, private_message
from tests.helpers import link
from tests.personas import ADMIN_USER_ID, CUSTOMER_USER_ID


async def only_reply(deliver: Deliver, bot_api: FakeBotApi, update: dict[str, Any]) -> str:
    await deliver(update)
    [reply] = bot_api.sent_messages()
    return reply.text


async def test_start_tells_an_unlinked_user_their_id_and_how_to_get_linked(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    text = await only_reply(deliver, bot_api, private_message("/start"))

    assert f"<code>{CUSTOMER_USER_ID}</code>" in text
    assert "ainda não está vinculada" in text


async def test_start_tells_an_unlinked_user_what_data_is_kept(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    text = await only_reply(deliver, bot_api, private_message("/start"))

    assert "O que guardamos" in text
    assert "/meusdados" in text
    assert "/apagar" in text


async def test_start_tells_a_linked_user_their_customer_id(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await link(store, "maria@loja.com.br")

    text = await only_reply(deliver, bot_api, private_message("/start"))

    assert "Olá, Maria!" in text
    assert "<b>maria@loja.com.br</b>" in text


async def test_start_remembers_who_the_user_is(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await deliver(private_message("/start", first_name="Joana"))

    async with store.unit_of_work() as uow:
        user = await uow.users.get("telegram", str(CUSTOMER_USER_ID))
    assert user is not None
    assert user.first_name == "Joana"
    assert user.chat_id == str(CUSTOMER_USER_ID)


async def test_help_lists_customer_commands_but_not_admin_ones(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    text = await only_reply(deliver, bot_api, private_message("/ajuda"))

    assert "/saldo" in text
    assert "/extrato" in text
    assert "/vincular" not in text


async def test_help_shows_admins_their_commands_too(deliver: Deliver, bot_api: FakeBotApi) -> None:
    text = await only_reply(deliver, bot_api, private_message("/help", user_id=ADMIN_USER_ID))

    assert "/vincular" in text
    assert "/cliente" in text


async def test_unknown_command_points_to_help(deliver: Deliver, bot_api: FakeBotApi) -> None:
    text = await only_reply(deliver, bot_api, private_message("/pizza"))

    assert "/ajuda" in text


async def test_free_text_points_to_help(deliver: Deliver, bot_api: FakeBotApi) -> None:
    text = await only_reply(deliver, bot_api, private_message("quanto eu tenho de pontos?"))

    assert "/ajuda" in text


async def test_a_greeting_gets_a_greeting_by_name_and_the_help(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    await deliver(private_message("Oi, tudo bem? 👋", first_name="Joana"))

    [reply] = bot_api.sent_messages()
    assert reply.text.startswith("Olá, Joana! 👋")
    assert "/saldo" in reply.text
    assert "Não entendi" not in reply.text
    assert reply.button_labels() == ["💰 Saldo", "📜 Extrato"]


async def test_a_sticker_points_to_help(deliver: Deliver, bot_api: FakeBotApi) -> None:
    sticker = {
        "file_id": "CAACAgIAAxkBAAIB",
        "file_unique_id": "AgADAgAD",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }

    text = await only_reply(deliver, bot_api, private_message(None, sticker=sticker))

    assert "/ajuda" in text


async def test_a_bare_word_works_like_the_command(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer("maria@loja.com.br", customer_payload())
    await link(store, "maria@loja.com.br")

    text = await only_reply(deliver, bot_api, private_message("Saldo"))

    assert "1.234 pontos" in text


async def test_group_chatter_gets_no_answer(deliver: Deliver, bot_api: FakeBotApi) -> None:
    await deliver(group_message("bom dia, pessoal"))

    assert bot_api.sent_messages() == []


async def test_a_command_for_another_bot_in_a_group_is_ignored(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    await deliver(group_message("/saldo@outro_bot"))

    assert bot_api.sent_messages() == []


async def test_a_command_addressed_to_this_bot_in_a_group_is_answered(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    await deliver(group_message("/ajuda@loja_pontos_bot"))

    [reply] = bot_api.sent_messages()
    assert "/saldo" in reply.text


async def test_history_button_shows_the_history(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer("maria@loja.com.br", customer_payload())
    await link(store, "maria@loja.com.br")

    await deliver(button_press("extrato"))

    assert "answerCallbackQuery" in bot_api.methods()
    [reply] = bot_api.sent_messages(CUSTOMER_USER_ID)
    assert "Extrato de Maria Silva" in reply.text


async def test_a_forged_button_is_treated_as_unknown(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    text = await only_reply(deliver, bot_api, button_press("vincular 1 x@y"))

    assert "/ajuda" in text
    async with store.unit_of_work() as uow:
        assert await uow.links.active("telegram", str(1)) is None


async def test_command_menu_for_everyone_has_no_admin_commands(
    telegram_app: BotApplication, bot_api: FakeBotApi
) -> None:
    conversation = telegram_app.bot_data.conversation

    await register_command_menus(telegram_app.bot, conversation, frozenset({ADMIN_USER_ID}))

    default, admin = [call for call in bot_api.calls if call.method == "setMyCommands"]
    assert default.params["scope"] == {"type": "default"}
    names = [command["command"] for command in default.params["commands"]]
    assert names == [
        "saldo",
        "extrato",
        "lembretes",
        "start",
        "meusdados",
        "privacidade",
        "desvincular",
        "apagar",
        "ajuda",
    ]
    assert admin.params["scope"] == {"type": "chat", "chat_id": ADMIN_USER_ID}
    assert {"vincular", "convite", "cliente", "lembrar_agora"} <= {
        c["command"] for c in admin.params["commands"]
    }


async def test_an_admin_without_a_chat_does_not_stop_the_menus(
    telegram_app: BotApplication, bot_api: FakeBotApi
) -> None:
    bot_api.unknown_chats.add(777)
    conversation = telegram_app.bot_data.conversation

    await register_command_menus(telegram_app.bot, conversation, frozenset({777, ADMIN_USER_ID}))

    scopes = [call.params["scope"] for call in bot_api.calls if call.method == "setMyCommands"]
    assert {"type": "chat", "chat_id": ADMIN_USER_ID} in scopes
