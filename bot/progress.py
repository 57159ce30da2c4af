"""A progress bar for the terminal, redrawn only when it visibly changes."""

from __future__ import annotations

from typing import TextIO

WIDTH = 30


class ProgressBar:
    """Callable as `progress(done, total)`; draws on one line of a terminal stream."""

    def __init__(self, stream: TextIO, label: str = "customers") -> None:
        self._stream = stream
        self._label = label
        self._drawn = -1

    def __call__(self, done: int, total: int) -> None:
        """Redraw the bar if the shown percentage changed."""
        percent = 100 * done // total if total else 100
        if percent == self._drawn:
            return
        self._drawn = percent
        filled = WIDTH * percent // 100
        bar = "#" * filled + "-" * (WIDTH - filled)
        self._stream.write(f"\r[{bar}] {percent:3d}% {done}/{total} {self._label}")
        self._stream.flush()

    def close(self) -> None:
        """End the bar's line, if one was drawn."""
        if self._drawn >= 0:
            self._stream.write("\n")
            self._stream.flush()
