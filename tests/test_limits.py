"""Fitting replies within a channel's limits without breaking their HTML."""

from __future__ import annotations

import pytest

from bot.core.limits import TELEGRAM, ChannelLimits, fit, truncate_html, visible_length
from bot.core.messages import Button, Reply
from tests.fixtures.telegram import telegram_html_text, utf16_length

SMALL = ChannelLimits(text_length=40, button_data_bytes=8)


def test_visible_length_ignores_tags_and_counts_an_entity_as_one() -> None:
    assert visible_length("<b>a &lt; b</b>") == 5


def test_visible_length_counts_an_emoji_as_two_utf16_units() -> None:
    assert visible_length("😀") == 2


def test_a_reply_within_the_limit_is_returned_as_it_is() -> None:
    reply = Reply("<b>Saldo</b>: 10 pontos", buttons=((Button("Saldo", action="saldo"),),))

    assert fit(reply, TELEGRAM) is reply


def test_a_long_list_is_cut_at_a_line_and_marked() -> None:
    text = "\n".join(f"• <b>{n}</b> pontos" for n in range(20))

    cut = truncate_html(text, 40)

    assert cut.endswith("\n…")
    assert visible_length(cut) <= 40
    assert cut.splitlines()[-2].endswith("pontos")


@pytest.mark.parametrize(
    "text",
    [
        "<b>" + "a" * 100 + "</b>",
        "<b><i>" + "&amp;" * 100 + "</i></b>",
        "x" * 30 + "<code>" + "&lt;tag&gt;" * 20 + "</code>",
        "😀" * 60,
    ],
)
def test_a_cut_never_breaks_a_tag_or_an_entity(text: str) -> None:
    cut = truncate_html(text, 40)

    shown = telegram_html_text(cut)  # raises as Telegram would on broken HTML
    assert utf16_length(shown) <= 40
    assert shown.endswith("…")


def test_lone_surrogates_are_replaced() -> None:
    assert fit(Reply("Zé \ud83d"), TELEGRAM).text == "Zé \ufffd"


def test_buttons_whose_data_is_too_long_are_dropped() -> None:
    reply = Reply(
        "ok",
        buttons=(
            (Button("Saldo", action="saldo"), Button("Longo", action="lembretes off")),
            (Button("Outro", action="x" * 9),),
        ),
    )

    assert fit(reply, SMALL).buttons == ((Button("Saldo", action="saldo"),),)


def test_deep_links_that_telegram_would_refuse_are_dropped() -> None:
    reply = Reply(
        "ok",
        buttons=(
            (Button("a", private_chat_payload="saldo"), Button("b", private_chat_payload="a b")),
        ),
    )

    assert fit(reply, TELEGRAM).buttons == ((Button("a", private_chat_payload="saldo"),),)
