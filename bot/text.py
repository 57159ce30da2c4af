"""Text from outside (an API's fields, a chat user's names) made safe to show and to store."""

from __future__ import annotations

import re
from typing import overload

# A UTF-16 surrogate on its own (a name cut in the middle of an emoji) cannot be encoded, and
# neither can control characters be shown; NUL cannot even be stored (PostgreSQL refuses text
# holding it). Line breaks and tabs are folded into spaces.
_UNSHOWABLE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]+")


@overload
def showable(text: str) -> str: ...
@overload
def showable(text: None) -> None: ...
def showable(text: str | None) -> str | None:
    """Return `text` with lone surrogates replaced and control characters removed."""
    if text is None:  # an optional field left out
        return None
    text = _UNSHOWABLE.sub("\ufffd", text)
    text = _LINE_BREAKS.sub(" ", text)
    return _CONTROL.sub("", text)
