"""Parsing what users type into commands."""

from __future__ import annotations

import pytest

from bot.core.commands import Command, NotForThisBot, action, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/saldo", Command("saldo")),
        ("/balance", Command("saldo")),
        ("/SALDO", Command("saldo")),
        ("/saldo@loja_bot", Command("saldo")),
        ("/extrato", Command("extrato")),
        ("/history", Command("extrato")),
        ("/ajuda", Command("ajuda")),
        ("/help", Command("ajuda")),
        ("/início", Command("start")),
        ("/vincular 1 maria@loja.com.br", Command("vincular", "1 maria@loja.com.br")),
        ("/link\t1   a b  ", Command("vincular", "1   a b")),
        ("/whois 12", Command("cliente", "12")),
        ("  saldo  ", Command("saldo")),
        ("Extrato", Command("extrato")),
    ],
)
def test_commands_and_aliases_are_recognised(text: str, expected: Command) -> None:
    assert parse(text, "loja_bot") == expected


@pytest.mark.parametrize("text", ["", "   ", "/", "/pizza", "saldo por favor", "olá", "/ saldo"])
def test_anything_else_is_not_a_command(text: str) -> None:
    assert parse(text, "loja_bot") is None


def test_a_command_for_another_bot_is_flagged() -> None:
    with pytest.raises(NotForThisBot):
        parse("/saldo@outro_bot", "loja_bot")


@pytest.mark.parametrize("data", ["saldo", "extrato", "ajuda"])
def test_buttons_stand_for_argument_free_commands(data: str) -> None:
    assert action(data) == Command(data)


@pytest.mark.parametrize("data", ["", "vincular", "vincular 1 x", "desvincular", "../saldo"])
def test_buttons_cannot_trigger_anything_else(data: str) -> None:
    assert action(data) is None
