"""Turns: one user's messages one at a time, in the order they came; other users never wait."""

from __future__ import annotations

import asyncio

from bot.channels.turns import Turns


async def _take(turns: Turns, key: str, name: str, log: list[str], hold: asyncio.Event) -> None:
    async with turns.turn(key):
        log.append(f"{name} starts")
        await hold.wait()
        log.append(f"{name} ends")


async def test_turns_of_one_key_run_one_at_a_time_in_the_order_asked() -> None:
    turns, log, hold = Turns(), list[str](), asyncio.Event()
    tasks = [asyncio.create_task(_take(turns, "5511987654321", n, log, hold)) for n in "abc"]
    await asyncio.sleep(0.01)
    assert log == ["a starts"]

    hold.set()
    await asyncio.gather(*tasks)

    assert log == ["a starts", "a ends", "b starts", "b ends", "c starts", "c ends"]


async def test_turns_of_different_keys_do_not_wait_for_each_other() -> None:
    turns, log, hold = Turns(), list[str](), asyncio.Event()
    tasks = [asyncio.create_task(_take(turns, key, key, log, hold)) for key in ("1001", "1002")]
    await asyncio.sleep(0.01)

    assert log == ["1001 starts", "1002 starts"]
    hold.set()
    await asyncio.gather(*tasks)


async def test_a_key_is_forgotten_once_its_turns_are_over_even_a_cancelled_one() -> None:
    turns, log, hold = Turns(), list[str](), asyncio.Event()
    first = asyncio.create_task(_take(turns, "1001", "first", log, hold))
    waiting = asyncio.create_task(_take(turns, "1001", "waiting", log, hold))
    await asyncio.sleep(0.01)
    assert len(turns) == 1

    waiting.cancel()
    hold.set()
    await asyncio.gather(first, waiting, return_exceptions=True)

    assert log == ["first starts", "first ends"]
    assert len(turns) == 0
