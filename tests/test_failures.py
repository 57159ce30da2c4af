"""Describing failures for operators without the data they were about."""

from __future__ import annotations

from bot.failures import describe


def fail_with_personal_data() -> None:
    emails: dict[str, int] = {}
    try:
        emails["maria@loja.com.br"]
    except KeyError as exc:
        raise ValueError("Maria Silva has 1234 pontos") from exc


def test_a_failure_is_described_by_type_and_place_without_its_message() -> None:
    try:
        fail_with_personal_data()
    except ValueError as exc:
        text = describe(exc)

    assert text.startswith("ValueError (from KeyError) at test_failures.py:")
    assert "fail_with_personal_data" in text
    assert "Maria" not in text
    assert "maria@" not in text
    assert "1234" not in text


def test_an_exception_never_raised_is_described_by_its_type() -> None:
    assert describe(RuntimeError("secret")) == "RuntimeError"
