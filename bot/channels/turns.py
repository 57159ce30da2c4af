"""One user's messages handled one at a time, in the order they arrived."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Turns:
    """Per-key turns: whoever asks for a key's turn waits for those who asked before.

    A webhook hands every message to its own task, so without turns one user's messages run
    side by side: an erase could commit while a message sent before it is still being
    handled, and that message would then store the user again. In turns, what the user sent
    before the erase is handled (and erased) before it, and what they sent after, after it.
    Different users never wait for each other.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Wait for the key's earlier turns to end, and hold the key until the block ends."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            # asyncio.Lock wakes its waiters first come, first served.
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]  # a key nobody waits for takes no memory
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        """Return how many keys have a turn running or waiting."""
        return len(self._locks)
