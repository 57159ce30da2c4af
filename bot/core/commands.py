"""Turning what a user typed or tapped into a command name and its arguments."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.arguments import OFF_WORDS, ON_WORDS

# Canonical (Portuguese) name → every word that invokes it.
ALIASES: dict[str, tuple[str, ...]] = {
    "start": ("start", "iniciar", "inicio"),
    "saldo": ("saldo", "balance", "pontos"),
    "extrato": ("extrato", "history"),
    "ajuda": ("ajuda", "help", "menu"),
    "desvincular": ("desvincular", "unlink"),
    "vincular": ("vincular", "link"),
    "cliente": ("cliente", "whois"),
    "lembretes": ("lembretes", "reminders", "lembrete"),
    "lembrar_agora": ("lembrar_agora", "remind_now"),
    "convite": ("convite", "invite"),
    "privacidade": ("privacidade", "privacy"),
    "meusdados": ("meusdados", "mydata", "meus_dados"),
    "apagar": ("apagar", "forget"),
}
USER_COMMANDS = (
    "saldo",
    "extrato",
    "lembretes",
    "start",
    "meusdados",
    "privacidade",
    "desvincular",
    "apagar",
    "ajuda",
)
ADMIN_COMMANDS = ("vincular", "convite", "desvincular", "cliente", "apagar", "lembrar_agora")
# What buttons may send back: nothing that needs an admin or free-form arguments.
BUTTON_ACTIONS = frozenset(
    {
        "saldo",
        "extrato",
        "ajuda",
        "lembretes on",
        "lembretes off",
        "apagar confirmar",
        "apagar cancelar",
        "manter",
    }
)
# A button that carries an argument: "trocar <invite code>" confirms switching to an invite.
_CODE_ACTION = re.compile(r"(trocar) ([A-Za-z0-9_-]{16,64})")
# What `/start <payload>` may ask for, arriving from a group's "talk privately" button.
DEEP_LINKS = frozenset({"saldo", "extrato", "lembretes"})

_BY_ALIAS = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
# Commands people write as two words where slash commands are not offered (WhatsApp).
_PHRASES = {"meus dados": "meusdados", "my data": "meusdados"}

SLASHLESS_CHANNELS = frozenset({"whatsapp"})
"""Channels without slash commands: users type bare words, and what the bot does not
understand gets the menu instead of a pointer to `/ajuda`."""
GREETING = "greeting"
"""What a message that only greets ("oi, tudo bem?", "Bom dia!") asks for."""
GREETING_LIMIT = 80
"""Characters past which a message is not taken for a greeting, whatever it says."""
# Greetings, and the small talk that may come with them; a message is a greeting when it has
# one of the first and nothing but words of both (accents, case, punctuation and emoji aside).
_GREETINGS = (
    *("oi", "oie", "ola", "alo", "hola", "opa", "salve", "eai", "eae", "e ai", "e ae"),
    *("bom dia", "boa tarde", "boa noite"),
    *("hello", "hi", "hey", "good morning", "good afternoon", "good evening"),
)
_SMALL_TALK = frozenset(
    {
        *("tudo", "td", "bem", "bom", "boa", "certo", "joia", "beleza", "blz", "tranquilo"),
        *("como", "vai", "voce", "vc", "esta", "ta", "e", "ai", "ae", "dia", "tarde", "noite"),
        *("pessoal", "gente", "amigo", "amiga", "moco", "moca", "bot"),
        *("how", "are", "you", "there"),
    }
)

_REPEATS = re.compile(r"(.)\1+")
_WORD = re.compile(r"[^\W_]+")


def _squeeze(word: str) -> str:
    """Collapse repeated letters (`oiii` → `oi`, `olaaa` → `ola`): people stretch greetings."""
    return _REPEATS.sub(r"\1", word)


_GREETING_PHRASES = frozenset(
    " ".join(_squeeze(word) for word in phrase.split()) for phrase in _GREETINGS
)
_GREETING_WORDS = frozenset(
    word for phrase in _GREETING_PHRASES for word in phrase.split()
) | frozenset(_squeeze(word) for word in _SMALL_TALK)


@dataclass(frozen=True, slots=True)
class Command:
    """A recognised command: its canonical name and the rest of the line, trimmed."""

    name: str
    args: str = ""


class NotForThisBot(Exception):
    """`/cmd@otherbot` in a group: another bot's command, to be ignored."""


def _fold(word: str) -> str:
    """Lower-case and drop accents, so `/Início` and `/inicio` are one command."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def parse(text: str, bot_username: str | None = None) -> Command | None:
    """Return the command in `text`, or None when it is not one of ours.

    A slash command may carry arguments; a bare word ("saldo") counts only alone, which
    suits channels without slash commands.

    Raises:
        NotForThisBot: the command is addressed to another bot.
    """
    stripped = text.strip()
    if not stripped:
        return None
    head, _, rest = _split_head(stripped)
    if head.startswith("/"):
        word, _, mention = head[1:].partition("@")
        if mention and (bot_username is None or mention.casefold() != bot_username.casefold()):
            raise NotForThisBot(mention)
        name = _BY_ALIAS.get(_fold(word))
        return Command(name, rest.strip()) if name else None
    if rest:
        return _bare_phrase(head, rest)
    name = _BY_ALIAS.get(_fold(head))
    return Command(name) if name else None


def _bare_phrase(head: str, rest: str) -> Command | None:
    """Return the few bare words that take one word after them: `lembretes off`, `meus dados`.

    Anything longer stays chatter ("saldo por favor"), since channels without slash commands
    see every message.
    """
    name, word = _BY_ALIAS.get(_fold(head)), _fold(rest.strip())
    if name == "lembretes" and word in ON_WORDS | OFF_WORDS:
        return Command(name, word)
    phrase = _PHRASES.get(f"{_fold(head)} {word}")
    return Command(phrase) if phrase else None


def is_greeting(text: str) -> bool:
    """Tell whether a message only greets: `oi`, `Olá!`, `oi, tudo bem?`, `bom dia 👋`, `hello`.

    Accents, case, punctuation and emoji do not matter; any word that is neither a greeting
    nor small talk makes it something else ("oi, quero meu saldo").
    """
    if len(text) > GREETING_LIMIT:
        return False
    words = [_squeeze(word) for word in _WORD.findall(_fold(text))]
    if not words or not set(words) <= _GREETING_WORDS:
        return False
    pairs = (" ".join(words[index : index + 2]) for index in range(len(words) - 1))
    return any(phrase in _GREETING_PHRASES for phrase in (*words, *pairs))


def _split_head(text: str) -> tuple[str, str, str]:
    for index, char in enumerate(text):
        if char.isspace():
            return text[:index], char, text[index + 1 :]
    return text, "", ""


def action(data: str) -> Command | None:
    """Return the command a button press stands for, or None for stale or forged data."""
    data = data.strip()
    if coded := _CODE_ACTION.fullmatch(data):
        return Command(coded.group(1), coded.group(2))
    if data not in BUTTON_ACTIONS:
        return None
    name, _, args = data.partition(" ")
    return Command(name, args)
