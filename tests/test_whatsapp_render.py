"""The core's replies as WhatsApp messages: markup, buttons within limits, templates."""

from __future__ import annotations

import pytest

from bot.core.messages import Button, Reply
from bot.whatsapp.inbound import parse_delivery, signature_valid
from bot.whatsapp.render import markup, messages, template_message, title
from tests.fixtures.graph import APP_SECRET, button_value, delivery, encoded, sign, text_value

FOLLOW_UP = "O que deseja fazer agora?"


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ("<b>1.234 pontos</b>", "*1.234 pontos*"),
        ("<i>nota</i> e <s>antigo</s>", "_nota_ e ~antigo~"),
        ("envie <code>/start abc</code>", "envie ```/start abc```"),
        ("Zé &lt;Loja&gt; &amp; Filhos", "Zé <Loja> & Filhos"),
        ("R$ 12,34", "R$ 12,34"),
    ],
)
def test_html_becomes_whatsapp_markup_and_names_appear_literally(html: str, shown: str) -> None:
    assert markup(html) == shown


def test_a_reply_with_buttons_is_one_interactive_message() -> None:
    reply = Reply(
        "<b>Saldo</b>", buttons=((Button("Saldo", "saldo"), Button("Extrato", "extrato")),)
    )

    [message] = messages(reply, FOLLOW_UP)

    assert message["type"] == "interactive"
    assert message["interactive"]["body"]["text"] == "*Saldo*"
    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == [
        "saldo",
        "extrato",
    ]


def test_a_body_too_long_for_buttons_goes_as_text_with_the_buttons_in_a_short_follow_up() -> None:
    long = "\n".join(f"• linha {n} do extrato" for n in range(100))
    reply = Reply(long, buttons=((Button("Saldo", "saldo"),),))

    text, buttons = messages(reply, FOLLOW_UP)

    assert text == {"type": "text", "text": {"body": long, "preview_url": False}}
    assert buttons["interactive"]["body"]["text"] == FOLLOW_UP


def test_at_most_three_buttons_and_none_that_opens_a_private_chat() -> None:
    reply = Reply(
        "x",
        buttons=(
            (Button("Abrir conversa", private_chat_payload="saldo"),),
            tuple(Button(f"B{n}", f"a{n}") for n in range(5)),
        ),
    )

    [message] = messages(reply, FOLLOW_UP)

    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == [
        "a0",
        "a1",
        "a2",
    ]


def test_a_reply_whose_only_button_opens_a_private_chat_is_plain_text() -> None:
    reply = Reply("x", buttons=((Button("Abrir", private_chat_payload="saldo"),),))

    assert [message["type"] for message in messages(reply, FOLLOW_UP)] == ["text"]


def test_button_titles_are_cut_to_twenty_characters() -> None:
    assert title(Button("Desativar os lembretes de pontos", "lembretes off")) == (
        "Desativar os lembre…"
    )
    assert len(title(Button("Desativar os lembretes de pontos", "x"))) == 20


def test_template_parameters_are_plain_text_on_one_line() -> None:
    message = template_message("lembrete_pontos", ("Maria\nSilva", "80", "15/12/2026", ""))

    parameters = message["template"]["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == ["Maria Silva", "80", "15/12/2026", "-"]


def test_a_signature_is_over_the_exact_bytes() -> None:
    body = encoded(delivery(text_value("saldo")))

    assert signature_valid(body, sign(body), APP_SECRET)
    assert not signature_valid(body + b" ", sign(body), APP_SECRET)
    assert not signature_valid(body, sign(body, "another secret"), APP_SECRET)
    assert not signature_valid(body, None, APP_SECRET)


def test_a_delivery_yields_texts_and_button_replies_with_metas_timestamp() -> None:
    parsed = parse_delivery(encoded(delivery(text_value("saldo"), button_value("extrato", "E"))))

    assert parsed is not None
    text, button = parsed.messages
    assert (text.text, text.action, text.name) == ("saldo", None, "Maria")
    assert (button.text, button.action) == (None, "extrato")
    assert int(text.sent_at.timestamp()) == 1764162000


@pytest.mark.parametrize(
    "broken",
    [
        {"from": "not digits"},
        {"timestamp": "yesterday"},
        {"id": ""},
        {"id": 12},
    ],
)
def test_a_malformed_message_is_left_out_and_the_others_are_kept(
    broken: dict[str, object],
) -> None:
    bad = text_value("saldo")
    bad["messages"][0] |= broken

    parsed = parse_delivery(encoded(delivery(bad, text_value("extrato"))))

    assert parsed is not None
    assert [message.text for message in parsed.messages] == ["extrato"]


def test_a_reaction_is_not_a_message_to_answer() -> None:
    reaction = text_value("x")
    reaction["messages"][0] |= {"type": "reaction", "reaction": {"message_id": "w", "emoji": "👍"}}

    parsed = parse_delivery(encoded(delivery(reaction)))

    assert parsed is not None
    assert parsed.messages == ()


def test_a_template_quick_reply_reads_as_the_words_on_its_button() -> None:
    tapped = text_value("x")
    tapped["messages"][0] |= {"type": "button", "button": {"payload": "p", "text": "Saldo"}}

    parsed = parse_delivery(encoded(delivery(tapped)))

    assert parsed is not None
    assert [(m.text, m.action) for m in parsed.messages] == [("Saldo", None)]
