"""Every user-facing string in Brazilian Portuguese; another language is another such file.

Templates use `str.format` fields; values are HTML-escaped by the catalogue unless they are
already `Html`.
"""

MESSAGES: dict[str, str] = {
    # Buttons and command menu
    "button.balance": "💰 Saldo",
    "button.history": "📜 Extrato",
    "button.help": "❓ Ajuda",
    "button.open_private": "Falar com o bot no privado",
    "button.balance_full": "💰 Ver saldo completo",
    "button.reminders_off": "🔕 Desligar lembretes",
    "button.reminders_on": "🔔 Ligar lembretes",
    "menu.start": "Começar e ver seu vínculo",
    "menu.saldo": "Ver pontos, cashback e vencimentos",
    "menu.extrato": "Ver as últimas movimentações de pontos",
    "menu.ajuda": "Ver o que o bot faz",
    "menu.desvincular": "Desvincular sua conta do cadastro da loja",
    "menu.lembretes": "Ligar ou desligar avisos de pontos a expirar",
    "menu.lembrar_agora": "(admin) Enviar agora os avisos de pontos a expirar",
    "menu.vincular": "(admin) Vincular usuário a um cliente",
    "menu.cliente": "(admin) Ver o vínculo de um usuário",
    # /start
    "start.linked": (
        "Olá, {name}! 👋\n"
        "Sua conta está vinculada ao cadastro <b>{customer_id}</b> no programa de fidelidade"
        " da loja.\n\n"
        "Toque em <b>Saldo</b> para ver seus pontos e cashback, ou envie /ajuda."
    ),
    "start.unlinked": (
        "Olá, {name}! 👋\n"
        "Eu mostro seus pontos, cashback e vencimentos do programa de fidelidade da loja.\n\n"
        "Sua conta ainda não está vinculada a um cadastro da loja. Para vincular, envie à"
        " loja o seu número de usuário do Telegram: <code>{user_id}</code>\n\n"
        "{privacy}"
    ),
    "privacy": (
        "🔒 <i>O que guardamos: seu número de usuário e de chat, nome, @usuário e idioma do"
        " Telegram, o vínculo com seu cadastro na loja e quais avisos de pontos a expirar já"
        " enviamos, apenas para responder às suas consultas e avisar uma vez só. Seus pontos"
        " são consultados na hora e não ficam guardados. Envie /lembretes off para não"
        " receber avisos e /desvincular para remover o vínculo.</i>"
    ),
    "name.fallback": "cliente",
    # /ajuda
    "help.intro": "Eu mostro seus pontos, cashback e vencimentos do programa de fidelidade.",
    "help.user_commands": (
        "/saldo: pontos, cashback e pontos a expirar\n"
        "/extrato: últimas movimentações de pontos\n"
        "/start: seu vínculo com a loja\n"
        "/lembretes: ligar ou desligar avisos de pontos a expirar\n"
        "/desvincular: remover o vínculo da sua conta\n"
        "/ajuda: esta mensagem"
    ),
    "help.admin_commands": (
        "<b>Comandos de administração</b>\n"
        "/vincular &lt;usuário&gt; &lt;cliente&gt;: vincular um usuário do Telegram a um"
        " cliente\n"
        "/desvincular &lt;usuário&gt;: remover o vínculo de um usuário\n"
        "/cliente &lt;usuário&gt;: ver a qual cliente o usuário está vinculado\n"
        "/lembrar_agora: enviar agora os avisos de pontos a expirar"
    ),
    "help.english": "Os comandos também funcionam em inglês: /balance, /history, /reminders, /help.",
    # /saldo
    "balance.title": "💰 <b>Saldo de {name}</b>",
    "balance.title_anonymous": "💰 <b>Seu saldo</b>",
    "balance.points": "Pontos: <b>{points}</b>",
    "balance.cashback": "Cashback: <b>{cashback}</b>",
    "balance.expirations_title": "⏳ <b>Pontos a expirar</b>",
    "balance.expiration": "• {points} em {date} ({when})",
    "balance.no_expirations": "Nenhum ponto a expirar por enquanto.",
    "expirations.more_one": "… e mais 1 vencimento ({points})",
    "expirations.more_many": "… e mais {count} vencimentos ({points})",
    "when.today": "hoje",
    "when.tomorrow": "amanhã",
    "when.days": "em {days} dias",
    # /extrato
    "history.title": "📜 <b>Extrato de {name}</b>",
    "history.title_anonymous": "📜 <b>Seu extrato</b>",
    "history.empty": "Ainda não há movimentações de pontos.",
    "history.item": "{date} · <b>{amount}</b> · {description}",
    "history.item_canceled": "{date} · <s>{amount}</s> · {description} · <i>cancelada</i>",
    "history.cashback": "cashback {cashback}",
    "history.more_one": "… e mais 1 movimentação anterior.",
    "history.more_many": "… e mais {count} movimentações anteriores.",
    "history.default_type": "Pontos",
    "origin.0": "Integração",
    "origin.1": "API",
    "origin.2": "Importação",
    "origin.3": "PDV",
    "origin.4": "Integração offline",
    "origin.-1": "Outra origem",
    # Problems a customer can meet
    "not_linked": (
        "Sua conta ainda não está vinculada a um cadastro da loja. Envie /start para saber"
        " como vincular."
    ),
    "customer_not_found": (
        "Não encontramos o cadastro <b>{customer_id}</b> no programa de fidelidade da loja."
        " Fale com a loja para corrigir o vínculo."
    ),
    "service_unavailable": (
        "O programa de pontos está indisponível no momento. Tente de novo em alguns minutos."
    ),
    "service_bad_answer": (
        "O programa de pontos respondeu de um jeito inesperado. Tente de novo mais tarde;"
        " se continuar, avise a loja."
    ),
    "internal_error": "Algo deu errado do nosso lado. Tente de novo em instantes.",
    "reply_failed": (
        "Não consegui enviar esta resposta. Tente de novo em instantes; se continuar, avise a"
        " loja."
    ),
    "private_only": (
        "Para proteger seus dados, saldo e extrato só são mostrados na conversa privada"
        " comigo. Toque no botão abaixo."
    ),
    "unknown": "Não entendi. 🤔 Envie /ajuda para ver o que eu sei fazer.",
    "not_allowed": "Desculpe, este comando não está disponível para você.",
    # /desvincular (self)
    "unlink.done": (
        "Pronto: sua conta foi desvinculada do cadastro <b>{customer_id}</b>. Não vou mais"
        " mostrar pontos nem enviar avisos. Para vincular de novo, fale com a loja."
    ),
    "unlink.nothing": "Sua conta não está vinculada a nenhum cadastro.",
    # Reminders
    "reminder.title": "⏰ <b>Você tem {points} perto de expirar</b>",
    "reminder.expiration": "• {points} expiram em {date} ({when})",
    "reminder.balance": "Seu saldo: <b>{points}</b>",
    "reminder.how_to_stop": "Para não receber mais estes avisos, envie /lembretes off.",
    "reminders.on": (
        "🔔 Os avisos de pontos a expirar estão <b>ligados</b>. Aviso com {days} dias de"
        " antecedência."
    ),
    "reminders.off": "🔕 Os avisos de pontos a expirar estão <b>desligados</b>.",
    "reminders.turned_on": (
        "🔔 Pronto, avisos <b>ligados</b>. Aviso com {days} dias de antecedência quando"
        " houver pontos a expirar."
    ),
    "reminders.turned_off": (
        "🔕 Pronto, avisos <b>desligados</b>. Envie /lembretes on para ligar de novo."
    ),
    "reminders.usage": "Use /lembretes on para ligar ou /lembretes off para desligar os avisos.",
    "days.join": "{first} e {last}",
    # Admin commands
    "admin.usage_link": (
        "Uso: /vincular &lt;usuário&gt; &lt;cliente&gt;\n"
        "Exemplo: <code>/vincular 123456789 maria@loja.com.br</code>"
    ),
    "admin.usage_whois": "Uso: /cliente &lt;usuário&gt;\nExemplo: <code>/cliente 123456789</code>",
    "admin.bad_user_id": (
        "<b>{value}</b> não é um número de usuário do Telegram válido. O usuário vê o"
        " número dele ao enviar /start para o bot."
    ),
    "admin.bad_customer_id": (
        "O cliente informado não é válido: use o identificador do cadastro na loja"
        " (normalmente o e-mail), com até {max} caracteres."
    ),
    "admin.link_done": "✅ Usuário <code>{user_id}</code> vinculado ao cliente <b>{customer_id}</b>{name}.",
    "admin.link_replaced": "O vínculo anterior, com <b>{previous}</b>, foi encerrado.",
    "admin.link_same": "O usuário <code>{user_id}</code> já está vinculado a <b>{customer_id}</b>.",
    "admin.link_unchecked": (
        "⚠️ Não consegui confirmar o cliente no programa de pontos agora (serviço"
        " indisponível). O vínculo foi feito mesmo assim; confira o identificador."
    ),
    "admin.link_unknown_customer": (
        "❌ O programa de pontos não tem o cliente <b>{customer_id}</b>. Nada foi"
        " vinculado; confira o identificador."
    ),
    "admin.unlink_done": "✅ Usuário <code>{user_id}</code> desvinculado do cliente <b>{customer_id}</b>.",
    "admin.unlink_nothing": "O usuário <code>{user_id}</code> não está vinculado a nenhum cliente.",
    "admin.whois_linked": (
        "Usuário <code>{user_id}</code>{profile} está vinculado ao cliente"
        " <b>{customer_id}</b> desde {date}{by}."
    ),
    "admin.whois_by": " (por <code>{admin_id}</code>)",
    "admin.whois_unlinked": "Usuário <code>{user_id}</code>{profile} não está vinculado a nenhum cliente.",
    "admin.whois_never_seen": " (nunca falou com o bot)",
    "admin.sweep_done": (
        "📬 <b>Avisos de pontos a expirar</b>\n"
        "Clientes consultados: {checked} de {customers}\n"
        "Avisos enviados: {sent}\n"
        "Falhas: {failed}\n"
        "Chats que bloquearam o bot: {blocked}"
    ),
    "admin.sweep_unknown": "⚠️ Clientes que o programa de pontos não conhece mais: {ids}",
    "admin.sweep_aborted": (
        "❌ Os avisos não puderam ser enviados: o programa de pontos recusou as credenciais"
        " ou está fora do ar. Veja os registros do bot."
    ),
    "admin.sweep_busy": "Já há um envio de avisos em andamento; aguarde o resumo dele.",
    "admin.sweep_unavailable": "O envio de avisos não está disponível neste canal.",
    # Messages to the user an admin acted on
    "notify.linked": (
        "✅ A loja vinculou sua conta ao cadastro <b>{customer_id}</b>. Envie /saldo para ver"
        " seus pontos."
    ),
    "notify.unlinked": "A loja removeu o vínculo da sua conta com o cadastro <b>{customer_id}</b>.",
}
