"""The message catalogue: one place for every user-facing string."""

from __future__ import annotations

from bot.core.texts import Catalogue, Html


def test_values_are_escaped_but_html_pieces_are_kept() -> None:
    texts = Catalogue({"greeting": "Olá, <b>{name}</b>{extra}"})

    text = texts.text("greeting", name="<Ana & Cia>", extra=Html("<i>!</i>"))

    assert text == "Olá, <b>&lt;Ana &amp; Cia&gt;</b><i>!</i>"


def test_pt_br_is_the_default_and_covers_every_order_origin() -> None:
    texts = Catalogue.load()

    assert [texts.text(f"origin.{n}") for n in range(5)] == [
        "Integração",
        "API",
        "Importação",
        "PDV",
        "Integração offline",
    ]


def test_pt_br_templates_use_only_the_tags_telegram_html_allows() -> None:
    allowed = {"b", "/b", "i", "/i", "s", "/s", "code", "/code"}
    texts = Catalogue.load()
    for key, template in texts.messages.items():
        tags = {part.split(">")[0] for part in template.split("<")[1:]}
        assert tags <= allowed, key
