"""The reference for `benchmarks/saldo.py`: a bare python-telegram-bot bot answering /saldo.

    .venv/bin/python -m benchmarks.bare_bot TOKEN BOT_API_BASE_URL POINTS_API_BASE_URL

`ApplicationBuilder` with one `CommandHandler("saldo")` that does one aiohttp GET to the points
API and one `send_message`: no database, no rate limiter, no metrics, no log context. The
customer id is derived from the user id the way the benchmark links them
(`bench-<user id - USER_ID_BASE>`). Serves by long polling until SIGTERM or SIGINT.
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

USER_ID_BASE = 700_000_000
"""Telegram user id of linked user 0 in `benchmarks/saldo.py`."""


def build(
    token: str, bot_api: str, points_api: str, authorization: str
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Return the application: one handler, one aiohttp session opened in `post_init`."""
    sessions: list[aiohttp.ClientSession] = []

    async def saldo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer with the points the API has for this user's customer."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return
        url = f"{points_api}/v1/pvt/Customer/bench-{user.id - USER_ID_BASE:08d}/points"
        async with sessions[0].get(url, headers={"Authorization": authorization}) as response:
            body = await response.json()
        await context.bot.send_message(
            message.chat_id, f"{body['PointsBalance']:,} pontos".replace(",", ".")
        )

    async def open_session(_application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        sessions.append(aiohttp.ClientSession())

    async def close_session(_application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await sessions[0].close()

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(bot_api)
        .post_init(open_session)
        .post_shutdown(close_session)
        .build()
    )
    application.add_handler(CommandHandler("saldo", saldo))
    return application


def main(argv: list[str]) -> int:
    """Serve until SIGTERM; the benchmark reads this process's CPU and memory from /proc."""
    token, bot_api, points_api, authorization = argv
    build(token, bot_api, points_api, authorization).run_polling(
        allowed_updates=[Update.MESSAGE], drop_pending_updates=False
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
