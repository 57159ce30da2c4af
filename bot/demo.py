"""`demo`: the whole conversation in the terminal, against a sandbox of the points API."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
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


async def run_demo(settings: Settings, source: TextIO, sink: TextIO, *, interactive: bool) -> int:
    """Run the console chat on a throw-away database; return lines handled."""
    now = utc_now()
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
            admins = frozenset({DEMO_USER.user_id})
            async with open_services(demo_settings, admins=admins) as services:
                build_sweeper(
                    demo_settings, services, console.ConsoleNotifier(sink, ansi=interactive)
                )
                async with services.store.unit_of_work() as uow:
                    await uow.links.link(
                        DEMO_USER.channel, DEMO_USER.user_id, DEMO_CUSTOMER, None, now
                    )
                    await uow.commit()
                sink.write(intro(SANDBOX_CUSTOMERS) + "\n")
                return await console.chat(
                    services.conversation,
                    DEMO_USER,
                    source,
                    sink,
                    utc_now,
                    interactive=interactive,
                )
