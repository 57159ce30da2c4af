"""What each channel accepts, and fitting a reply within it without breaking its HTML."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from bot.core.messages import Button, Reply

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """The largest reply a channel delivers; anything past it is refused, not cut."""

    text_length: int
    """Characters of text after entity parsing, counted in UTF-16 code units."""
    button_data_bytes: int
    """UTF-8 bytes of the data an action button sends back."""
    deep_link_length: int = 64
    """Characters of a private-chat deep-link payload."""


TELEGRAM = ChannelLimits(text_length=4096, button_data_bytes=64)
"""Bot API `sendMessage`: 1-4096 characters after entities parsing; callback data 1-64 bytes."""
CONSOLE = ChannelLimits(text_length=65_536, button_data_bytes=1024)
WHATSAPP = ChannelLimits(text_length=4096, button_data_bytes=256)
"""Cloud API: a text body up to 4,096 characters; a reply button's id up to 256 characters.

An interactive message's body (1,024) and button titles (20) are the renderer's concern: a
longer reply goes out as text with its buttons in a short follow-up."""
WHATSAPP_INTERACTIVE_BODY = 1024
WHATSAPP_BUTTON_TITLE = 20
WHATSAPP_BUTTONS = 3

_BY_CHANNEL = {"telegram": TELEGRAM, "console": CONSOLE, "whatsapp": WHATSAPP}

ELLIPSIS = "…"
_LINE_BREAK = "\n"
_MORE = _LINE_BREAK + ELLIPSIS
# Tags, entities, then any single character (a surrogate pair counts as one).
_TOKENS = re.compile(r"<[^<>]*>|&#?\w+;|.", re.DOTALL)
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DEEP_LINK = re.compile(r"[A-Za-z0-9_-]+")


def for_channel(channel: str) -> ChannelLimits:
    """Return the limits of a channel by name; unknown channels get Telegram's, the tightest."""
    return _BY_CHANNEL.get(channel, TELEGRAM)


def fit(reply: Reply, limits: ChannelLimits) -> Reply:
    """Return `reply` within `limits`: encodable text, cut when too long, no unsendable buttons."""
    text = _LONE_SURROGATE.sub("\ufffd", reply.text)
    # The raw HTML is never shorter than what it shows: most replies need no closer look.
    if _utf16_length(text) > limits.text_length and visible_length(text) > limits.text_length:
        text = truncate_html(text, limits.text_length)
    buttons = tuple(
        row
        for row in (
            tuple(button for button in row if _button_fits(button, limits))
            for row in reply.buttons
        )
        if row
    )
    if text == reply.text and buttons == reply.buttons:
        return reply
    return replace(reply, text=text, buttons=buttons)


def visible_length(html: str) -> int:
    """Return how long `html` is once tags are dropped and entities read, in UTF-16 units."""
    length = 0
    for token in _TOKENS.findall(html):
        if token.startswith("<") and len(token) > 1:
            continue
        length += _width(token)
    return length


def truncate_html(html: str, limit: int) -> str:
    """Cut `html` to at most `limit` visible characters, ending with `…`.

    It cuts between tokens, never inside a tag or an entity, at the last line break when
    one falls in the second half of what fits, and closes the tags left open.
    """
    budget = limit - len(_MORE)
    kept: list[str] = []
    open_tags: list[str] = []
    used = 0
    line_cut: tuple[int, list[str]] | None = None
    for token in _TOKENS.findall(html):
        if token.startswith("<") and len(token) > 1:
            _track(token, open_tags)
            kept.append(token)
            continue
        width = _width(token)
        if used + width > budget:
            break
        if token == _LINE_BREAK and used >= budget // 2:
            line_cut = (len(kept), list(open_tags))
        kept.append(token)
        used += width
    if line_cut is not None:
        end, open_tags = line_cut
        kept = kept[:end]
    closing = "".join(f"</{name}>" for name in reversed(open_tags))
    return "".join(kept).rstrip() + closing + _MORE


def _track(tag: str, open_tags: list[str]) -> None:
    """Keep the stack of open tags up to date with one tag token."""
    inner = tag[1:-1].strip()
    if inner.startswith("/"):
        name = inner[1:].strip().lower()
        if name in open_tags:
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name)]
    elif not inner.endswith("/") and inner:
        open_tags.append(inner.split()[0].lower())


def _width(token: str) -> int:
    """Return the visible width of a text token: an entity is one character."""
    if len(token) > 1:
        return 1
    return 2 if ord(token) > 0xFFFF else 1


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _button_fits(button: Button, limits: ChannelLimits) -> bool:
    if button.action is not None and len(button.action.encode()) > limits.button_data_bytes:
        logger.warning("Dropped a button whose action is over %d bytes", limits.button_data_bytes)
        return False
    payload = button.private_chat_payload
    if payload is not None and (
        len(payload) > limits.deep_link_length or not _DEEP_LINK.fullmatch(payload)
    ):
        logger.warning("Dropped a button whose deep link cannot be sent")
        return False
    return True
