"""Replies as Cloud API messages: WhatsApp's own markup, reply buttons, reminder templates."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.core.limits import WHATSAPP_BUTTON_TITLE, WHATSAPP_BUTTONS, WHATSAPP_INTERACTIVE_BODY
from bot.core.messages import Button, Reply

Message = dict[str, Any]
"""One `POST /{phone-number-id}/messages` body without `messaging_product` and `to`."""

TEMPLATE_LANGUAGE = "pt_BR"

# The core's HTML subset and what WhatsApp writes for it; <code> becomes monospace.
_MARKUP = {"b": "*", "i": "_", "s": "~", "code": "```"}
_TAG = re.compile(r"<(/?)([a-z]+)[^<>]*>")
# Template parameters may not hold line breaks, tabs or more than four spaces in a row.
_TEMPLATE_SPACE = re.compile(r"\s+")


def markup(text: str) -> str:
    """Return the core's HTML as WhatsApp text: `*bold*`, `_italic_`, `~strike~`, literal `<&>`."""
    return html.unescape(_TAG.sub(lambda tag: _MARKUP.get(tag.group(2), ""), text))


def messages(reply: Reply, follow_up: str) -> list[Message]:
    """Return the messages that deliver `reply`: text, or text with up to three reply buttons.

    A body too long for an interactive message goes out as text, and its buttons follow in a
    second message whose body is `follow_up`.
    """
    body = markup(reply.text)
    buttons = reply_buttons(reply)
    if not buttons:
        return [text_message(body)]
    if len(body) <= WHATSAPP_INTERACTIVE_BODY:
        return [button_message(body, buttons)]
    return [text_message(body), button_message(follow_up, buttons)]


def reply_buttons(reply: Reply) -> list[Button]:
    """Return the buttons WhatsApp can show: those that send an action, at most three.

    Buttons that open a private chat are Telegram's way out of a group; WhatsApp chats with a
    business are always private, so they are left out.
    """
    return [button for row in reply.buttons for button in row if button.action][:WHATSAPP_BUTTONS]


def text_message(body: str) -> Message:
    """Return a plain text message; links are not previewed (invite links would be)."""
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def button_message(body: str, buttons: list[Button]) -> Message:
    """Return an interactive message with reply buttons; their ids are the core's actions."""
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": button.action, "title": title(button)}}
                    for button in buttons
                ]
            },
        },
    }


def title(button: Button) -> str:
    """Return the button's label within WhatsApp's 20 characters, cut with `…`."""
    label = " ".join(button.label.split())
    if len(label) <= WHATSAPP_BUTTON_TITLE:
        return label
    return label[: WHATSAPP_BUTTON_TITLE - 1].rstrip() + "…"


def template_message(name: str, parameters: tuple[str, ...]) -> Message:
    """Return an approved template with its body parameters, in Brazilian Portuguese."""
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": TEMPLATE_LANGUAGE},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": _TEMPLATE_SPACE.sub(" ", value).strip() or "-"}
                        for value in parameters
                    ],
                }
            ],
        },
    }


def preview(message: Message) -> str:
    """Return what a WhatsApp user would see of a message, as plain text (for the demo)."""
    kind = message["type"]
    if kind == "text":
        return str(message["text"]["body"])
    if kind == "interactive":
        interactive = message["interactive"]
        buttons = " ".join(
            f"[{item['reply']['title']}]" for item in interactive["action"]["buttons"]
        )
        return f"{interactive['body']['text']}\n{buttons}"
    template = message["template"]
    values = [item["text"] for item in template["components"][0]["parameters"]]
    return f"(modelo {template['name']}: {', '.join(values)})"
