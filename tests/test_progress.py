"""The terminal progress bar of `remind`."""

from __future__ import annotations

import io

from bot.progress import ProgressBar


def test_progress_bar_redraws_only_when_the_percentage_changes() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)

    for done in range(1, 201):
        bar(done, 200)
    bar.close()

    output = stream.getvalue()
    assert output.count("\r") == 101  # 0% to 100%
    assert output.endswith("] 100% 200/200 customers\n")


def test_progress_bar_with_nothing_to_do_shows_full() -> None:
    stream = io.StringIO()

    ProgressBar(stream)(0, 0)

    assert "100% 0/0" in stream.getvalue()
