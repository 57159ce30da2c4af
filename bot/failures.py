"""Describing an exception for operators without its message, which may hold personal data."""

from __future__ import annotations

import traceback
from pathlib import PurePath

_FRAMES = 3


def describe(exc: BaseException) -> str:
    """Return the exception's type and the innermost places it passed through, never its text.

    An exception's message can quote what it failed on: a reply with a customer's name and
    balance, an e-mail, a message the user typed. Its type and where it was raised are what
    an operator needs to find the bug, and they carry none of that.
    """
    frames = traceback.extract_tb(exc.__traceback__)[-_FRAMES:]
    where = " < ".join(
        f"{PurePath(frame.filename).name}:{frame.lineno} {frame.name}"
        for frame in reversed(frames)
    )
    kind = type(exc).__qualname__
    cause = exc.__cause__
    if cause is None and not exc.__suppress_context__:
        cause = exc.__context__
    if cause is not None:
        kind += f" (from {type(cause).__qualname__})"
    return f"{kind} at {where}" if where else kind
