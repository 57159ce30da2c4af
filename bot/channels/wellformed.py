"""What the Telegram handlers rely on in an update, checked before any of them runs.

python-telegram-bot builds its objects from whatever JSON arrived without checking a single
type: `"text": 5` becomes a message whose text is the number 5, and the handlers (and the
library's own filters) then fail half-way with a traceback and no reply. Telegram never
sends such updates, but a webhook request with the secret can, and one of them must not
take down long polling or leave a traceback: it is skipped, counted and logged by reason.
"""

from __future__ import annotations

from telegram import Chat, Message, MessageEntity, Update, User

from bot.core.arguments import MAX_USER_ID
from bot.metrics import SkipReason

WHY: dict[SkipReason, str] = {
    "ids": "an update, user or chat id is not a Telegram id",
    "user": "the sender's names or bot flag are not of the documented types",
    "chat": "the chat's type is not text",
    "text": "the message text is not text",
    "entities": "a message entity's offset, length or type is not of the documented types",
    "button": "the button's data is not text",
    "duplicate": "the same update is already being handled",
}
"""Each reason in words, for the log line (which never quotes the update itself)."""


def defect(update: Update) -> SkipReason | None:
    """Return why the handlers could not rely on this update, or None when they can."""
    if not _is_id(update.update_id):
        return "ids"
    user = update.effective_user
    if user is not None and (problem := _user_defect(user)) is not None:
        return problem
    chat = update.effective_chat
    if chat is not None and (problem := _chat_defect(chat)) is not None:
        return problem
    message = _message(update)
    if message is not None and (problem := _message_defect(message)) is not None:
        return problem
    if update.callback_query is not None and not _optional_text(update.callback_query.data):
        return "button"
    return None


def valid_update_id(update: Update) -> int | None:
    """Return the update's id when it is one, for log lines about an update being skipped."""
    return update.update_id if _is_id(update.update_id) else None


def _user_defect(user: User) -> SkipReason | None:
    if not _is_id(user.id):
        return "ids"
    names = (user.last_name, user.username, user.language_code)
    if (
        not isinstance(user.is_bot, bool)
        or not isinstance(user.first_name, str)
        or not all(_optional_text(name) for name in names)
    ):
        return "user"
    return None


def _chat_defect(chat: Chat) -> SkipReason | None:
    chat_id = _integer(chat.id)
    if chat_id is None or not 0 < abs(chat_id) <= MAX_USER_ID:  # groups' ids are negative
        return "ids"
    return None if isinstance(chat.type, str) else "chat"


def _message(update: Update) -> Message | None:
    """The message whose text and entities the handlers or the command label read."""
    if update.callback_query is not None:
        # Not `effective_message`, which warns about a message too old to be read.
        message = update.callback_query.message
        return message if isinstance(message, Message) else None
    return update.effective_message


def _message_defect(message: Message) -> SkipReason | None:
    if not _optional_text(message.text):
        return "text"
    if not all(_entity_ok(entity) for entity in message.entities):
        return "entities"
    return None


def _entity_ok(entity: MessageEntity) -> bool:
    return _is_count(entity.offset) and _is_count(entity.length) and isinstance(entity.type, str)


def _is_id(value: object) -> bool:
    """A positive integer that fits the BIGINT columns ids are compared with."""
    number = _integer(value)
    return number is not None and 0 < number <= MAX_USER_ID


def _is_count(value: object) -> bool:
    number = _integer(value)
    return number is not None and number >= 0


def _integer(value: object) -> int | None:
    # bool is an int to Python, but `"id": true` is not an id.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional_text(value: object) -> bool:
    return value is None or isinstance(value, str)
