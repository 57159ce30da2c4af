"""`demo`: the whole conversation in the terminal, against a sandbox of the points API."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot.bonifiq.sandbox import SANDBOX_API_KEY, SANDBOX_API_TOKEN, SANDBOX_CUSTOMERS, run_sandbox
from bot.bootstrap import build_sweeper, open_services, utc_now
from bot.channels import console
from bot.config import Settings
from bot.core.models import UserProfile
from bot.db.migrate import upgrade_to_head

DEMO_USER = UserProfile(
    channel=console.CHANNEL, user_id="1", first_name="Você", language_code="pt-BR"
)
DEMO_CUSTOMER = "maria@exemplo.com.br"


def intro(customers: Mapping[str, str]) -> str:
    """Return the text that tells a newcomer what to type."""
    listed = "\n".join(f"  • {customer_id}: {about}" for customer_id, about in customers.items())
    return (
        "Demonstração do bot de fidelidade BonifiQ (sem rede, dados de exemplo).\n"
        f"Você é o usuário {DEMO_USER.user_id}, administrador, vinculado a {DEMO_CUSTOMER}.\n"
        f"Clientes do programa de exemplo:\n{listed}\n"
        "Experimente: /saldo, /extrato, /lembretes, /lembrar_agora (avisos de pontos a"
        " expirar), /ajuda, /cliente 1, /vincular 2 joao@exemplo.com.br, /desvincular.\n"
        "Ctrl-D (ou fim da entrada) encerra."
    )


DEMO_TEMPLATE = "lembrete_pontos"


async def run_demo(
    settings: Settings,
    source: TextIO,
    sink: TextIO,
    *,
    interactive: bool,
    channel: str = console.CHANNEL,
) -> int:
    """Run the console chat on a throw-away database; return lines handled.

    `channel="whatsapp"` shows what a WhatsApp user would see: WhatsApp's markup, buttons as
    `[Saldo]`, and reminders with the template that goes out outside the 24-hour window.
    """
    now = utc_now()
    user = replace(DEMO_USER, channel=channel)
    with tempfile.TemporaryDirectory(prefix="bonifiq-bot-demo-") as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        await upgrade_to_head(database_url)
        async with run_sandbox(now) as base_url:
            demo_settings = settings.model_copy(
                update={
                    "database_url": database_url,
                    "bonifiq_base_url": base_url,
                    "bonifiq_api_token": SecretStr(SANDBOX_API_TOKEN),
                    "bonifiq_api_key": SecretStr(SANDBOX_API_KEY),
                }
            )
            admins = frozenset({user.user_id})
            async with open_services(demo_settings, admins=admins) as services:
                conversation = services.conversation
                renderer = None
                if channel == "whatsapp":
                    follow_up = conversation.texts.text("whatsapp.buttons_follow_up")
                    renderer = console.whatsapp_renderer(follow_up, DEMO_TEMPLATE)
                    # The demo's user plays the admin too, whatever the channel.
                    conversation.admin_channels = frozenset({channel})
                    conversation.whatsapp_number = "5511900000000"
                notifier = console.ConsoleNotifier(
                    sink, ansi=interactive, renderer=renderer, channel=channel
                )
                build_sweeper(demo_settings, services, notifier)
                async with services.store.unit_of_work() as uow:
                    await uow.users.seen(user, user.user_id, now)
                    await uow.links.link(user.channel, user.user_id, DEMO_CUSTOMER, None, now)
                    await uow.commit()
                sink.write(intro(SANDBOX_CUSTOMERS) + "\n")
                return await console.chat(
                    conversation,
                    user,
                    source,
                    sink,
                    utc_now,
                    interactive=interactive,
                    renderer=renderer,
                )
