"""Data rights: what is kept, seeing it all, erasing it all, and keeping nothing too long."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import BigInteger, Integer, String, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import forget
from bot.config import load_settings
from bot.core import invites, privacy
from bot.core.models import AuditEntry, LedgerKey, UserProfile
from bot.db.store import SqlStore
from bot.db.tables import ReminderLedgerRow, metadata
from bot.jobs.reminders import ChannelSweeps, ReminderSweep
from tests.fixtures.app import NOW, Deliver
from tests.fixtures.bonifiq import FakePointsApi, customer_payload
from tests.fixtures.database import table_snapshot
from tests.fixtures.telegram import FakeBotApi, button_press, private_message
from tests.helpers import link, linked_chat, replies_to
from tests.personas import ADMIN_USER_ID, CUSTOMER_USER_ID, MARIA, MARIA_FIRST_NAME

ERASED_ONE_USER = "deleted: chat_users 1, links 1; anonymised: nothing"


async def a_customer_with_history(store: SqlStore, user_id: int = CUSTOMER_USER_ID) -> None:
    """Maria talked to the bot, was linked by an admin, got reminders and used an invite.

    Her customer ids were typed in several cases along the way, as staff and systems do.
    """
    async with store.unit_of_work() as uow:
        await uow.users.seen(
            UserProfile("telegram", str(user_id), "Maria", "Silva", "maria"), str(user_id), NOW
        )
        await uow.links.link(
            "telegram", str(user_id), "Antigo@Loja.com.br", str(ADMIN_USER_ID), NOW
        )
        await uow.audit.record(
            AuditEntry(
                "telegram",
                str(ADMIN_USER_ID),
                "link",
                str(user_id),
                "ANTIGO@LOJA.COM.BR",
                None,
                NOW,
            )
        )
        await uow.commit()
    await invites.issue(
        store,
        " Maria@Loja.com.br",
        channel="cli",
        via="cli",
        issued_by=None,
        now=NOW,
        ttl=timedelta(days=7),
    )
    await link(store, MARIA, user_id)
    async with store.unit_of_work() as uow:
        await uow.audit.record(
            AuditEntry(
                "telegram",
                str(ADMIN_USER_ID),
                "whois",
                str(user_id),
                "MARIA@LOJA.COM.BR",
                "detail",
                NOW,
            )
        )
        chat = await uow.users.get("telegram", str(user_id))
        assert chat is not None
        [target] = (await uow.reminders.targets("telegram", None, 10)).targets
        await uow.reminders.record(
            target.chats[0].chat_user_id,
            "MARIA@loja.com.br",
            [LedgerKey(date(2026, 12, 15), 30)],
            NOW,
        )
        await uow.invites.record_bad_attempt("telegram", str(user_id), NOW)
        await uow.commit()


async def rows_naming(
    engine: AsyncEngine, user_id: int | str, customer_ids: list[str]
) -> list[str]:
    """Every row of every table (from the metadata) holding the user id or a customer id.

    User ids are text on every channel; a number is also looked for in integer columns.
    Text is compared trimmed and in any case: ` MARIA@LOJA.COM.BR` names Maria too.
    """
    found = []
    texts = [text.lower() for text in (*customer_ids, str(user_id))]
    async with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, BigInteger | Integer) and isinstance(user_id, int):
                    condition = column == user_id
                elif isinstance(column.type, String):
                    condition = func.lower(func.trim(column)).in_(texts)
                else:
                    continue
                count = await connection.scalar(
                    select(func.count()).select_from(table).where(condition)
                )
                if count:
                    found.append(f"{table.name}.{column.name}: {count}")
    return found


async def test_privacidade_says_what_why_how_long_and_how_to_exercise_each_right(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    [text] = await replies_to(deliver, bot_api, private_message("/privacidade"))

    for part in (
        "O que guardamos",
        "Por quê",
        "Por quanto tempo",
        "LGPD",
        "/meusdados",
        "/apagar",
    ):
        assert part in text
    assert "30 dias" in text
    assert "365 dias" in text


async def test_meusdados_shows_everything_stored_about_the_user(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await a_customer_with_history(store)

    [text] = await replies_to(deliver, bot_api, private_message("/meusdados", username="maria"))

    for part in (
        f"<code>{CUSTOMER_USER_ID}</code>",
        "Maria",
        "@maria",
        "pt-br",
        f"cadastro <b>{MARIA}</b> desde 26/11/2026",
        "feito pela loja",
        "Avisos de pontos a expirar: ligados",
        "Avisos enviados: 1",
        "Vínculos encerrados guardados: 1",
        "Não guardamos saldo",
    ):
        assert part in text, part


async def test_meusdados_labels_the_username(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    [text] = await replies_to(deliver, bot_api, private_message("/meusdados", username="maria"))

    assert "; nome: Maria; nome de usuário: @maria; idioma: " in text


async def test_meusdados_leaves_out_a_username_the_user_does_not_have(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    [text] = await replies_to(deliver, bot_api, private_message("/meusdados"))

    assert "; nome: Maria; idioma: " in text
    assert "—" not in text.split("\n")[1]  # the identity line: nothing unlabelled


async def test_meusdados_says_a_link_came_from_an_invite(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    invite = await invites.issue(
        store, MARIA, channel="cli", via="cli", issued_by=None, now=NOW, ttl=timedelta(days=7)
    )
    await deliver(private_message(f"/start {invite.code}"))

    [text] = await replies_to(deliver, bot_api, private_message("/mydata"))

    assert "por um link de convite" in text


async def test_apagar_asks_first_and_cancelar_keeps_everything(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    await a_customer_with_history(store)
    [question] = await replies_to(deliver, bot_api, private_message("/apagar"))
    [_, cancel] = bot_api.delivered_to(CUSTOMER_USER_ID)[-1].buttons()

    [text] = await replies_to(deliver, bot_api, button_press(cancel["callback_data"]))

    assert "Apagar todos os seus dados" in question
    assert "Nada foi apagado" in text
    assert await rows_naming(engine, CUSTOMER_USER_ID, [MARIA])


async def test_apagar_confirmed_leaves_no_row_naming_the_user_or_their_customers(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    await a_customer_with_history(store)
    await deliver(private_message("/forget"))
    [confirm, _] = bot_api.delivered_to(CUSTOMER_USER_ID)[-1].buttons()

    [text] = await replies_to(deliver, bot_api, button_press(confirm["callback_data"]))

    assert "apagamos todos os seus dados" in text
    assert await rows_naming(engine, CUSTOMER_USER_ID, [MARIA, "antigo@loja.com.br"]) == []


async def test_erasure_keeps_the_audit_trail_without_anyone_in_it(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await a_customer_with_history(store)
    await deliver(private_message("/apagar confirmar"))

    async with store.unit_of_work(writes=False) as uow:
        entries = await uow.audit.recent(10)

    assert [entry.action for entry in entries] == ["erase", "whois", "invite", "link"]
    for entry in entries:
        assert (entry.target_user_id, entry.customer_id, entry.detail) == (None, None, None)
    assert entries[0].admin_user_id is None


async def test_after_erasure_the_user_is_a_stranger(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await a_customer_with_history(store)
    await deliver(private_message("/apagar confirmar"))

    [text] = await replies_to(deliver, bot_api, private_message("/saldo"))

    assert "ainda não está vinculada" in text


async def test_an_admin_erases_a_user_on_request_and_it_is_audited_anonymously(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    await a_customer_with_history(store)

    [text] = await replies_to(
        deliver, bot_api, private_message(f"/apagar {CUSTOMER_USER_ID}", ADMIN_USER_ID)
    )

    assert "apagados" in text
    assert await rows_naming(engine, CUSTOMER_USER_ID, [MARIA, "antigo@loja.com.br"]) == []
    async with store.unit_of_work(writes=False) as uow:
        [newest, *_] = await uow.audit.recent(10)
    assert (newest.action, newest.admin_user_id, newest.target_user_id) == (
        "erase",
        str(ADMIN_USER_ID),
        None,
    )


async def test_apagar_user_id_is_refused_to_non_admins(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    await a_customer_with_history(store, user_id=2002)

    [text] = await replies_to(deliver, bot_api, private_message("/apagar 2002"))

    assert "não está disponível para você" in text
    assert await rows_naming(engine, 2002, [MARIA])


@pytest.mark.parametrize("typed", [MARIA, " Maria@LOJA.com.BR "])
async def test_forget_by_customer_from_the_command_line_prints_what_it_deleted(
    database_url: str,
    store: SqlStore,
    engine: AsyncEngine,
    capsys: pytest.CaptureFixture[str],
    typed: str,
) -> None:
    await a_customer_with_history(store)
    settings = load_settings(database_url=database_url)

    code = await forget(settings, customer_id=typed, user=("telegram", None))

    out = capsys.readouterr().out
    assert code == 0
    assert "deleted: chat_users 1" in out
    assert "anonymised: admin_audit" in out
    assert await rows_naming(engine, CUSTOMER_USER_ID, [MARIA, "antigo@loja.com.br"]) == []


async def test_forget_for_someone_unknown_says_nothing_is_stored(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(database_url=database_url)

    code = await forget(settings, customer_id=None, user=("telegram", "424242"))

    assert code == 0
    assert capsys.readouterr().out.strip() == "nothing stored about them"


WA_NUMBER = "5511988887777"


async def a_chat_user(store: SqlStore, channel: str, user_id: str, customer_id: str) -> None:
    """A user who wrote to the bot on `channel` and is linked to `customer_id`."""
    await linked_chat(store, user_id, customer_id, channel=channel, first_name=MARIA_FIRST_NAME)


async def test_forget_without_a_channel_finds_a_whatsapp_user(
    database_url: str, store: SqlStore, engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    await a_chat_user(store, "whatsapp", WA_NUMBER, MARIA)
    settings = load_settings(database_url=database_url)

    code = await forget(settings, customer_id=None, user=(None, WA_NUMBER))

    assert code == 0
    assert capsys.readouterr().out.splitlines() == ["whatsapp: " + ERASED_ONE_USER]
    assert await rows_naming(engine, WA_NUMBER, [MARIA]) == []


async def test_forget_without_a_channel_erases_the_id_on_every_channel_it_is_on(
    database_url: str, store: SqlStore, engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    await a_chat_user(store, "telegram", WA_NUMBER, MARIA)
    await a_chat_user(store, "whatsapp", WA_NUMBER, "joao@exemplo.com.br")
    settings = load_settings(database_url=database_url)

    code = await forget(settings, customer_id=None, user=(None, WA_NUMBER))

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "telegram: " + ERASED_ONE_USER,
        "whatsapp: " + ERASED_ONE_USER,
    ]
    assert await rows_naming(engine, WA_NUMBER, [MARIA, "joao@exemplo.com.br"]) == []


async def test_forget_with_a_channel_erases_the_user_on_that_channel_only(
    database_url: str, store: SqlStore, engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    await a_chat_user(store, "telegram", WA_NUMBER, MARIA)
    await a_chat_user(store, "whatsapp", WA_NUMBER, MARIA)
    settings = load_settings(database_url=database_url)

    code = await forget(settings, customer_id=None, user=("whatsapp", f"+{WA_NUMBER}"))

    assert code == 0
    assert capsys.readouterr().out.splitlines() == ["whatsapp: " + ERASED_ONE_USER]
    async with store.unit_of_work(writes=False) as uow:
        assert await uow.users.get("whatsapp", WA_NUMBER) is None
        assert await uow.users.get("telegram", WA_NUMBER) is not None


@pytest.mark.parametrize(
    ("channel", "user_id", "rule"),
    [
        (None, "abc", "a Telegram user id (digits, such as 123456789) or a WhatsApp number"),
        ("telegram", "55-11", "a Telegram user id (digits, such as 123456789)"),
        ("telegram", "0", "a Telegram user id (digits, such as 123456789)"),
        ("whatsapp", "maria", "a WhatsApp number in international digits"),
    ],
)
async def test_forget_refuses_a_user_id_that_cannot_be_one_on_its_channel(
    database_url: str,
    engine: AsyncEngine,
    capsys: pytest.CaptureFixture[str],
    channel: str | None,
    user_id: str,
    rule: str,
) -> None:
    settings = load_settings(database_url=database_url)
    before = await table_snapshot(engine)

    code = await forget(settings, customer_id=None, user=(channel, user_id))

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"error: --user must be {rule}")
    assert await table_snapshot(engine) == before


async def test_forget_on_every_channel_writes_one_anonymous_audit_row(
    database_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    await a_chat_user(store, "telegram", WA_NUMBER, MARIA)
    await a_chat_user(store, "whatsapp", WA_NUMBER, "joao@exemplo.com.br")

    settings = load_settings(database_url=database_url)

    await forget(settings, customer_id=None, user=(None, WA_NUMBER))

    async with store.unit_of_work(writes=False) as uow:
        [entry] = await uow.audit.recent(10)
    assert (entry.action, entry.channel, entry.admin_user_id) == ("erase", "cli", None)
    assert (entry.target_user_id, entry.customer_id, entry.detail) == (None, None, None)


# --- the one use case behind every erasure ----------------------------------------------------


async def test_erase_returns_each_subjects_erasure_in_order_and_audits_once(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await a_customer_with_history(store)
    await a_chat_user(store, "whatsapp", WA_NUMBER, "joao@exemplo.com.br")
    subjects: list[privacy.Subject] = [
        privacy.UserData("whatsapp", WA_NUMBER),
        privacy.UserData("telegram", "424242"),
        privacy.CustomerData(" Maria@LOJA.com.BR "),
    ]

    erased = await privacy.erase(
        store, subjects, channel="telegram", requested_by=str(ADMIN_USER_ID), now=NOW
    )

    assert [erasure.line() for erasure in erased[:2]] == [
        ERASED_ONE_USER,
        "deleted: nothing; anonymised: nothing",
    ]
    assert erased[2].deleted["chat_users"] == 1
    assert await rows_naming(engine, CUSTOMER_USER_ID, [MARIA, "antigo@loja.com.br"]) == []
    async with store.unit_of_work(writes=False) as uow:
        [erase] = [entry for entry in await uow.audit.recent(20) if entry.action == "erase"]
    assert (erase.channel, erase.admin_user_id, erase.target_user_id, erase.customer_id) == (
        "telegram",
        str(ADMIN_USER_ID),
        None,
        None,
    )


async def test_erase_of_someone_unknown_changes_nothing_and_audits_nothing(
    store: SqlStore, engine: AsyncEngine
) -> None:
    before = await table_snapshot(engine)

    [erasure] = await privacy.erase(
        store, [privacy.UserData("telegram", "424242")], channel="cli", requested_by=None, now=NOW
    )

    assert not erasure.found
    assert await table_snapshot(engine) == before


@pytest.mark.parametrize("customer_id", ["", "..", "a\nb"])
async def test_erase_refuses_a_customer_id_that_cannot_be_one_before_erasing_anyone(
    store: SqlStore, engine: AsyncEngine, customer_id: str
) -> None:
    await a_customer_with_history(store)
    before = await table_snapshot(engine)
    subjects: list[privacy.Subject] = [
        privacy.UserData("telegram", str(CUSTOMER_USER_ID)),
        privacy.CustomerData(customer_id),
    ]

    with pytest.raises(ValueError, match="customer id"):
        await privacy.erase(store, subjects, channel="cli", requested_by=None, now=NOW)

    assert await table_snapshot(engine) == before


async def test_retention_deletes_old_reminder_records_and_old_ended_links_only(
    sweep: ReminderSweep, store: SqlStore, engine: AsyncEngine
) -> None:
    await a_customer_with_history(store)
    long_after = NOW + timedelta(days=400)  # 15/12/2026 is long past, the old link too

    purged = await sweep.purge(long_after)

    assert purged["reminder_ledger"] == 1
    assert purged["links"] == 1
    async with store.unit_of_work(writes=False) as uow:
        current = await uow.links.active("telegram", str(CUSTOMER_USER_ID))
    assert current is not None  # an active link is never expired
    assert current.customer_id == MARIA


async def test_retention_keeps_what_is_recent(sweep: ReminderSweep, store: SqlStore) -> None:
    await a_customer_with_history(store)

    purged = await sweep.purge(NOW + timedelta(days=1))

    assert purged["reminder_ledger"] == purged["links"] == purged["invites"] == 0


async def test_the_daily_sweep_applies_retention_once_after_reminding(
    sweep: ReminderSweep, store: SqlStore, engine: AsyncEngine
) -> None:
    await a_customer_with_history(store)

    await ChannelSweeps([sweep, sweep]).sweep(NOW + timedelta(days=400))

    async with engine.connect() as connection:
        ledger = await connection.scalar(select(func.count()).select_from(ReminderLedgerRow))
    assert ledger == 0
