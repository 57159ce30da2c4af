"""Reading Meta's deliveries is total: no JSON makes the parser raise or yield unusable values."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from bot.whatsapp.inbound import SKIP_REASONS, Delivery, parse_delivery
from tests.fixtures.graph import button_value, delivery, encoded, status_value, text_value

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    -(10**30),
    2**63,
    253402300800,
    1e308,
    -1e308,
    1.5,
    float("nan"),
    float("inf"),
    "",
    "253402300800",
    "999999999999",
    "Ma\x00ria",
    "\ud83d",
    "\udc00 tail",
    "x" * 10_000,
    "5511987654321",
    "text",
    "interactive",
    "messages",
    [],
    [None],
    ["text"],
    [{"id": "x"}],
    {},
    {"body": 5},
    {"id": ["nested"], "status": {"a": 1}},
]


def rich_delivery() -> dict[str, Any]:
    """One delivery with every part the parser reads: text, buttons, template, status."""
    template = text_value("x")
    template["messages"][0] |= {"type": "button", "button": {"payload": "p", "text": "Saldo"}}
    failed = status_value("failed", error_code=131026)
    return delivery(
        text_value("saldo"),
        button_value("extrato", "Extrato"),
        template,
        failed,
        status_value("read"),
    )


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path of every value in a JSON tree, the root's included."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def mutated(base: dict[str, Any], rng: random.Random) -> Any:
    """Return a copy with one to four values replaced by hostile ones, or removed."""
    document: Any = copy.deepcopy(base)
    for _ in range(rng.randint(1, 4)):
        path = rng.choice(list(paths(document)))
        if not path:
            return rng.choice(HOSTILE_VALUES)
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and rng.random() < 0.15:
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
    return document


def assert_usable(parsed: Delivery | None) -> None:
    """Every value the parser yields can be stored, logged as an id, and compared as a time."""
    if parsed is None:
        return
    assert set(parsed.skipped) <= set(SKIP_REASONS)
    for message in parsed.messages:
        assert message.message_id.isprintable()
        assert message.wa_id.isascii()
        assert message.wa_id.isdigit()
        assert 1970 <= message.sent_at.year < 3000
        for text in (message.name, message.text, message.action):
            if text is not None:
                text.encode("utf-8")  # no lone surrogate
                assert "\x00" not in text
    for status in parsed.statuses:
        assert status.message_id.isprintable()
        assert status.status.isprintable()
        assert all(isinstance(code, int) for code in status.error_codes)


@pytest.mark.parametrize("seed", range(8))
def test_no_mutated_delivery_makes_the_parser_raise_or_yield_unusable_values(seed: int) -> None:
    rng = random.Random(seed)
    base = rich_delivery()

    for _ in range(500):
        body = json.dumps(mutated(base, rng)).encode()  # escapes NUL and lone surrogates

        assert_usable(parse_delivery(body))


@pytest.mark.parametrize("seed", range(4))
def test_no_corrupted_bytes_make_the_parser_raise(seed: int) -> None:
    rng = random.Random(seed)
    body = bytearray(encoded(rich_delivery()))

    for _ in range(500):
        corrupted = bytearray(body)
        for _ in range(rng.randint(1, 8)):
            corrupted[rng.randrange(len(corrupted))] = rng.randrange(256)

        assert_usable(parse_delivery(bytes(corrupted)))


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe", b"[" * 100_000, b'{"object": "whatsapp_business_account", "entry": 1}'],
    ids=["empty", "not-utf8", "nested-too-deep", "entries-not-a-list"],
)
def test_a_body_that_is_not_a_delivery_is_none(body: bytes) -> None:
    assert parse_delivery(body) is None


def test_each_unreadable_part_is_named_once_and_the_readable_ones_kept() -> None:
    payload = delivery(text_value("saldo"), status_value("read"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"] += [7, {"id": "wamid.x", "from": "1", "timestamp": "1", "type": ["text"]}]
    payload["entry"][0]["changes"].append({"field": "messages", "value": "?"})
    payload["entry"][0]["changes"].append({"field": "account_update", "value": "?"})

    parsed = parse_delivery(encoded(payload))

    assert parsed is not None
    assert [message.text for message in parsed.messages] == ["saldo"]
    assert [status.status for status in parsed.statuses] == ["read"]
    assert sorted(parsed.skipped) == ["malformed_change", "malformed_message", "malformed_message"]
