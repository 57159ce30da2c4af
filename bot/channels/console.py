"""Console channel: a chat in the terminal, used by `demo`; works with piped input too."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TextIO

from bot.core.conversation import Conversation
from bot.core.messages import Incoming, Reply
from bot.core.models import UserProfile

CHANNEL = "console"
_TAG = re.compile(r"</?(b|i|s|code)>")
_BOLD = re.compile(r"<b>(.*?)</b>", re.DOTALL)


def to_plain_text(text: str, *, ansi: bool = False) -> str:
    """Render the reply HTML subset for a terminal (bold as ANSI when it is one)."""
    if ansi:
        text = _BOLD.sub(lambda match: f"\033[1m{match.group(1)}\033[0m", text)
    return html.unescape(_TAG.sub("", text))


def render(replies: Sequence[Reply], *, ansi: bool = False) -> str:
    """Return replies as terminal text, buttons shown as the words that press them."""
    blocks = []
    for reply in replies:
        block = to_plain_text(reply.text, ansi=ansi)
        buttons = [button for row in reply.buttons for button in row if button.action]
        if buttons:
            hints = "  ".join(f"[{b.label} → /{b.action}]" for b in buttons)
            block = f"{block}\n{hints}"
        if reply.chat_id is not None:
            block = f"(enviado ao chat {reply.chat_id})\n{block}"
        blocks.append(block)
    return "\n\n".join(blocks)


class ConsoleNotifier:
    """Prints messages the user did not ask for (reminders), as the demo's push channel."""

    channel = CHANNEL

    def __init__(self, sink: TextIO, *, ansi: bool = False) -> None:
        self._sink = sink
        self._ansi = ansi

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Print the message, marked as pushed to that chat."""
        text = render([reply], ansi=self._ansi).replace("\n", "\n     ")
        self._sink.write(f"\n🔔 (aviso no chat {chat_id})\nbot> {text}\n")
        self._sink.flush()


async def chat(
    conversation: Conversation,
    user: UserProfile,
    source: TextIO,
    sink: TextIO,
    clock: Callable[[], datetime],
    *,
    interactive: bool = False,
) -> int:
    """Read lines until end of input, answering each; return how many lines were handled."""
    handled = 0
    while True:
        if interactive:
            sink.write("\nvocê> ")
            sink.flush()
        line = await asyncio.to_thread(source.readline)
        if not line:
            return handled
        text = line.strip()
        if not text:
            continue
        if not interactive:
            sink.write(f"\nvocê> {text}\n")
        incoming = Incoming(user=user, chat_id=user.user_id, private=True, text=text)
        replies = await conversation.handle(incoming, clock())
        handled += 1
        if replies:
            sink.write(
                "\nbot> " + render(replies, ansi=interactive).replace("\n", "\n     ") + "\n"
            )
            sink.flush()
