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
from bot.whatsapp import render as whatsapp

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


Renderer = Callable[[Sequence[Reply]], str]
"""Turns replies into what the user of one channel would see, as terminal text."""


def whatsapp_renderer(follow_up: str, template: str | None = None) -> Renderer:
    """Return a renderer showing replies as WhatsApp shows them: its markup, `[Saldo]` buttons.

    With `template`, a reminder also shows the approved template and its parameters, which
    is what goes out instead when the user has not written in the last 24 hours.
    """

    def show(replies: Sequence[Reply]) -> str:
        blocks = [
            whatsapp.preview(message)
            for reply in replies
            for message in whatsapp.messages(reply, follow_up)
        ]
        if template is not None:
            blocks += [
                "(fora da janela de 24 h: "
                + whatsapp.preview(whatsapp.template_message(template, reply.template))[1:]
                for reply in replies
                if reply.template
            ]
        return "\n\n".join(blocks)

    return show


class ConsoleNotifier:
    """Prints messages the user did not ask for (reminders), as the demo's push channel."""

    def __init__(
        self,
        sink: TextIO,
        *,
        ansi: bool = False,
        renderer: Renderer | None = None,
        channel: str = CHANNEL,
    ) -> None:
        self._sink = sink
        self._ansi = ansi
        self._renderer = renderer
        self.channel = channel

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Print the message, marked as pushed to that chat."""
        shown = self._renderer([reply]) if self._renderer else render([reply], ansi=self._ansi)
        text = shown.replace("\n", "\n     ")
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
    renderer: Renderer | None = None,
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
            shown = renderer(replies) if renderer else render(replies, ansi=interactive)
            sink.write("\nbot> " + shown.replace("\n", "\n     ") + "\n")
            sink.flush()
