"""The message catalogue: looks up a template by key and fills it in safely."""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module


class Html(str):
    """A string that is already HTML and must not be escaped again."""

    __slots__ = ()


def escape(value: object) -> Html:
    """Return `value` as text safe inside the HTML subset replies use."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=False))


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Templates for one language, with `text(key, **values)` to fill them."""

    messages: Mapping[str, str]

    @classmethod
    def load(cls, language: str = "pt_BR") -> Catalogue:
        """Load `bot/core/locales/<language>.py` (e.g. `pt_BR` → `pt_br`)."""
        module = import_module(f"bot.core.locales.{language.lower()}")
        messages: Mapping[str, str] = module.MESSAGES
        return cls(messages)

    def text(self, key: str, **values: object) -> Html:
        """Fill the template `key`; plain values are escaped, `Html` ones are kept."""
        template = self.messages[key]
        return Html(template.format(**{name: escape(value) for name, value in values.items()}))

    def text_for(self, channel: str, key: str, **values: object) -> Html:
        """Fill `key@channel` where a channel needs its own wording, else `key`."""
        specific = f"{key}@{channel}"
        return self.text(specific if specific in self.messages else key, **values)

    def fields(self, key: str) -> set[str]:
        """Return the names a template expects (used to check translations agree)."""
        return {name for _, name, _, _ in string.Formatter().parse(self.messages[key]) if name}
