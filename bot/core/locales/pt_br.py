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
    "button.switch": "Trocar",
    "button.keep": "Manter",
    "button.forget_confirm": "🗑 Apagar meus dados",
    "button.forget_cancel": "Cancelar",
    "menu.start": "Começar e ver seu vínculo",
    "menu.saldo": "Ver pontos, cashback e vencimentos",
    "menu.extrato": "Ver as últimas movimentações de pontos",
    "menu.ajuda": "Ver o que o bot faz",
    "menu.desvincular": "Desvincular sua conta do cadastro da loja",
    "menu.lembretes": "Ligar ou desligar avisos de pontos a expirar",
    "menu.lembrar_agora": "(admin) Enviar agora os avisos de pontos a expirar",
    "menu.vincular": "(admin) Vincular usuário a um cliente",
    "menu.cliente": "(admin) Ver o vínculo de um usuário",
    "menu.convite": "(admin) Criar um link de convite para um cliente",
    "menu.privacidade": "Ver o que guardamos, por quê e por quanto tempo",
    "menu.meusdados": "Ver todos os dados que o bot guarda sobre você",
    "menu.apagar": "Apagar todos os seus dados do bot",
    # /start
    "start.linked": (
        "Olá, {name}! 👋\n"
        "Sua conta está vinculada ao cadastro <b>{customer_id}</b> no programa de fidelidade"
        " da loja.\n\n"
        "Toque em <b>Saldo</b> para ver seus pontos e cashback, ou envie /ajuda."
    ),
    "start.linked@whatsapp": (
        "Olá, {name}! 👋\n"
        "Sua conta está vinculada ao cadastro <b>{customer_id}</b> no programa de fidelidade"
        " da loja.\n\n"
        "Toque em <b>Saldo</b> para ver seus pontos e cashback, ou envie <b>menu</b>."
    ),
    "start.unlinked": (
        "Olá, {name}! 👋\n"
        "Eu mostro seus pontos, cashback e vencimentos do programa de fidelidade da loja.\n\n"
        "Sua conta ainda não está vinculada a um cadastro da loja. Se a loja lhe enviou um"
        " link de convite, basta abri-lo. Ou envie à loja o seu número de usuário do"
        " Telegram: <code>{user_id}</code>\n\n"
        "{privacy}"
    ),
    "privacy": (
        "🔒 <i>O que guardamos: seu número de usuário e de chat, nome, @usuário e idioma do"
        " Telegram, o vínculo com seu cadastro na loja e quais avisos de pontos a expirar já"
        " enviamos, apenas para responder às suas consultas e avisar uma vez só. Seus pontos"
        " são consultados na hora e não ficam guardados. Envie /meusdados para ver tudo o que"
        " guardamos, /apagar para apagar tudo e /privacidade para os detalhes.</i>"
    ),
    "start.unlinked@whatsapp": (
        "Olá, {name}! 👋\n"
        "Eu mostro seus pontos, cashback e vencimentos do programa de fidelidade da loja.\n\n"
        "Sua conta ainda não está vinculada a um cadastro da loja. Se a loja lhe enviou um"
        " link de convite, basta abri-lo e enviar a mensagem que ele preenche. Ou informe à"
        " loja o seu número de WhatsApp: <code>{user_id}</code>\n\n"
        "{privacy}"
    ),
    "privacy@whatsapp": (
        "🔒 <i>O que guardamos: seu número de WhatsApp, o nome do seu perfil, o vínculo com"
        " seu cadastro na loja e quais avisos de pontos a expirar já enviamos, apenas para"
        " responder às suas consultas e avisar uma vez só. Seus pontos são consultados na hora"
        " e não ficam guardados. Envie meus dados para ver tudo o que guardamos, apagar para"
        " apagar tudo e privacidade para os detalhes.</i>"
    ),
    "name.fallback": "cliente",
    # A message that only greets ("oi, tudo bem?"): the greeting, then the menu
    "greeting": "Olá, {name}! 👋",
    "greeting.anonymous": "Olá! 👋",
    # /ajuda
    "help.intro": "Eu mostro seus pontos, cashback e vencimentos do programa de fidelidade.",
    "help.user_commands": (
        "/saldo: pontos, cashback e pontos a expirar\n"
        "/extrato: últimas movimentações de pontos\n"
        "/start: seu vínculo com a loja\n"
        "/lembretes: ligar ou desligar avisos de pontos a expirar\n"
        "/meusdados: tudo o que o bot guarda sobre você\n"
        "/privacidade: o que guardamos, por quê e por quanto tempo\n"
        "/desvincular: remover o vínculo da sua conta\n"
        "/apagar: apagar todos os seus dados do bot\n"
        "/ajuda: esta mensagem"
    ),
    "help.admin_commands": (
        "<b>Comandos de administração</b>\n"
        "/vincular &lt;usuário&gt; &lt;cliente&gt;: vincular um usuário do Telegram a um"
        " cliente\n"
        "/desvincular &lt;usuário&gt;: remover o vínculo de um usuário\n"
        "/convite &lt;cliente&gt;: criar um link de convite de uso único para o cliente\n"
        "/cliente &lt;usuário&gt;: ver a qual cliente o usuário está vinculado\n"
        "/apagar &lt;usuário&gt;: apagar os dados de um usuário (pedido por e-mail)\n"
        "/lembrar_agora: enviar agora os avisos de pontos a expirar"
    ),
    "help.english": "Os comandos também funcionam em inglês: /balance, /history, /reminders, /mydata, /privacy, /forget, /help.",
    # WhatsApp has no slash commands: the menu lists the words to send.
    "help.user_commands@whatsapp": (
        "<b>saldo</b>: pontos, cashback e pontos a expirar\n"
        "<b>extrato</b>: últimas movimentações de pontos\n"
        "<b>início</b>: seu vínculo com a loja\n"
        "<b>lembretes</b>: avisos de pontos a expirar (<b>lembretes on</b> ou"
        " <b>lembretes off</b> para ligar ou desligar)\n"
        "<b>meus dados</b>: tudo o que o bot guarda sobre você\n"
        "<b>privacidade</b>: o que guardamos, por quê e por quanto tempo\n"
        "<b>desvincular</b>: remover o vínculo da sua conta\n"
        "<b>apagar</b>: apagar todos os seus dados do bot\n"
        "<b>menu</b>: esta mensagem"
    ),
    "help.english@whatsapp": (
        "Também entendo em inglês: balance, history, reminders, my data, privacy, forget, help."
    ),
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
    "not_linked@whatsapp": (
        "Sua conta ainda não está vinculada a um cadastro da loja. Envie <b>início</b> para"
        " saber como vincular."
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
    "unknown@whatsapp": "Não entendi. 🤔 Veja o que eu sei fazer:",
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
    "reminder.template_no_name": "cliente",
    "whatsapp.buttons_follow_up": "O que deseja fazer agora?",
    "reminder.how_to_stop": "Para não receber mais estes avisos, envie /lembretes off.",
    "reminder.how_to_stop@whatsapp": (
        "Para não receber mais estes avisos, envie <b>lembretes off</b>."
    ),
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
    "reminders.turned_off@whatsapp": (
        "🔕 Pronto, avisos <b>desligados</b>. Envie <b>lembretes on</b> para ligar de novo."
    ),
    "reminders.usage": "Use /lembretes on para ligar ou /lembretes off para desligar os avisos.",
    "reminders.usage@whatsapp": (
        "Envie <b>lembretes on</b> para ligar ou <b>lembretes off</b> para desligar os avisos."
    ),
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
    "admin.link_waiting": (
        "⏳ O usuário <code>{user_id}</code> ainda não abriu uma conversa com o bot, que só pode"
        " escrever a quem já lhe escreveu: os avisos começam quando ele enviar a primeira"
        " mensagem ao bot, e então ele verá que está vinculado. Envie a ele este convite, que"
        " abre a conversa:"
    ),
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
    "admin.sweep_waiting_one": (
        "⏳ 1 vínculo aguarda o usuário abrir o bot: ele só recebe avisos depois de escrever"
        " ao bot (envie a ele o convite do cliente, /convite)."
    ),
    "admin.sweep_waiting_many": (
        "⏳ {count} vínculos aguardam os usuários abrirem o bot: eles só recebem avisos depois"
        " de escrever ao bot (envie a cada um o convite do cliente, /convite)."
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
    "notify.linked@whatsapp": (
        "✅ A loja vinculou sua conta ao cadastro <b>{customer_id}</b>. Envie <b>saldo</b> para"
        " ver seus pontos."
    ),
    "notify.unlinked": "A loja removeu o vínculo da sua conta com o cadastro <b>{customer_id}</b>.",
    # Invites
    "invite.usage": (
        "Uso: /convite &lt;cliente&gt;\nExemplo: <code>/convite maria@loja.com.br</code>"
    ),
    "invite.unknown_customer": (
        "❌ O programa de pontos não tem o cliente <b>{customer_id}</b>. Nenhum convite foi"
        " criado; confira o identificador."
    ),
    "invite.issued": (
        "✉️ Convite para <b>{customer_id}</b>, de uso único, válido até {expires}:\n{target}"
    ),
    "invite.issued_code": (
        "✉️ Convite para <b>{customer_id}</b>, de uso único, válido até {expires}. O cliente"
        " envia ao bot: <code>/start {target}</code>"
    ),
    "invite.issued_whatsapp": "No WhatsApp: {url}",
    "invite.unchecked": (
        "⚠️ Não consegui confirmar o cliente no programa de pontos agora (serviço"
        " indisponível). O convite foi criado mesmo assim; confira o identificador."
    ),
    "invite.invalid": (
        "Este link de convite não vale mais: ele já foi usado ou não existe. Peça à loja um"
        " novo link."
    ),
    "invite.expired": "Este link de convite expirou. Peça à loja um novo link.",
    "invite.throttled": (
        "Foram muitas tentativas com links de convite inválidos. Aguarde {minutes} minutos e"
        " tente de novo, ou peça à loja um novo link."
    ),
    "invite.already_linked": "Sua conta já está vinculada a este cadastro. Tudo certo! 👍",
    "invite.confirm_switch": (
        "Sua conta já está vinculada a outro cadastro da loja. Quer trocar para o cadastro"
        " deste convite? O vínculo atual será encerrado."
    ),
    "invite.kept": "Tudo certo: seu vínculo continua como estava.",
    "invite.linked": "✅ Pronto! Sua conta foi vinculada ao seu cadastro na loja.",
    "invite.balance_later": (
        "Não consegui consultar seu saldo agora; toque em <b>Saldo</b> daqui a pouco."
    ),
    # Data rights
    "privacy.full": (
        "🔒 <b>Privacidade</b>\n"
        "<b>O que guardamos</b>: {identity}; quando você falou com o bot pela primeira e pela"
        " última vez; o vínculo com seu cadastro na loja (qual cadastro, desde quando e se foi"
        " feito pela loja ou por convite); se os avisos estão ligados; quais avisos de pontos a"
        " expirar já enviamos; se você bloqueou o bot; convites usados e tentativas de convite"
        " inválidas{received}.\n"
        "<b>Por quê</b>: para responder às suas consultas, avisar uma vez só antes de os pontos"
        " expirarem e impedir que alguém use o cadastro de outra pessoa.\n"
        "<b>O que não guardamos</b>: saldo, cashback, extrato e vencimentos são consultados na"
        " hora no programa de fidelidade da loja e não ficam guardados.\n"
        "<b>Por quanto tempo</b>: enquanto você usar o bot; avisos enviados, até {ledger_period}"
        " depois do vencimento a que se referem; vínculos encerrados, convites vencidos e"
        " registros da administração, {history_period}; tentativas de convite,"
        " {attempt_period}{received_kept}.\n"
        "<b>Seus direitos (LGPD)</b>: {rights}. Para corrigir o cadastro, fale com a loja, que"
        " é a responsável pelos seus dados."
    ),
    # What `privacy.full` says each channel keeps beyond what every channel keeps.
    "privacy.identity": (
        "seu número de usuário e de chat do Telegram, nome, @usuário e idioma como o Telegram"
        " os informa"
    ),
    "privacy.identity@whatsapp": "seu número de WhatsApp e o nome do seu perfil, como o WhatsApp os informa",
    "privacy.received": "",
    "privacy.received@whatsapp": (
        "; de cada mensagem recebida, o identificador e a hora de envio (para não"
        " responder duas vezes e saber quando a loja pode lhe escrever)"
    ),
    "privacy.received_kept": "",
    "privacy.received_kept@whatsapp": "; mensagens recebidas, {inbound_period}",
    "privacy.rights": (
        "ver seus dados a qualquer momento com /meusdados; apagar tudo com /apagar; deixar de"
        " receber avisos com /lembretes off; desfazer o vínculo com /desvincular"
    ),
    "privacy.rights@whatsapp": (
        "ver seus dados a qualquer momento enviando <b>meus dados</b>; apagar tudo enviando"
        " <b>apagar</b>; deixar de receber avisos enviando <b>lembretes off</b>; desfazer o"
        " vínculo enviando <b>desvincular</b>"
    ),
    "mydata.title": "🔒 <b>Seus dados no bot</b>",
    "mydata.identity": (
        "• Conta: {channel}, usuário <code>{user_id}</code>; nome: {name}{username};"
        " idioma: {language}"
    ),
    # Only a Telegram user who chose one has a username; no label and a dash said nothing.
    "mydata.username": "; nome de usuário: {username}",
    "mydata.seen": "• Primeira conversa: {first}; última: {last}",
    "mydata.unlinked": "• Vínculo: nenhum",
    "mydata.linked": "• Vínculo: cadastro <b>{customer_id}</b> desde {since}, {how}",
    "mydata.by_invite": "por um link de convite",
    "mydata.by_store": "feito pela loja",
    "mydata.reminders_on": "• Avisos de pontos a expirar: ligados",
    "mydata.reminders_off": "• Avisos de pontos a expirar: desligados",
    "mydata.reminders_sent": "• Avisos enviados: {count}; o último: {last}",
    "mydata.ended_links": "• Vínculos encerrados guardados: {count} (por até {period})",
    "mydata.blocked": "• Você bloqueou o bot em {since}",
    "mydata.absent": "—",
    "mydata.nothing": "O bot não guarda nenhum dado sobre você.",
    "mydata.not_stored": (
        "<i>Não guardamos saldo, cashback, extrato nem vencimentos: eles são consultados na"
        " hora no programa de fidelidade da loja.</i>"
    ),
    "mydata.rights": "Para apagar tudo, envie /apagar. Detalhes em /privacidade.",
    "mydata.rights@whatsapp": (
        "Para apagar tudo, envie <b>apagar</b>. Detalhes: envie <b>privacidade</b>."
    ),
    "forget.confirm": (
        "Apagar todos os seus dados do bot? O vínculo com seu cadastro, suas preferências e o"
        " registro de avisos serão apagados, e o bot não vai mais reconhecer você. Seus pontos"
        " na loja continuam como estão."
    ),
    "forget.cancelled": "Nada foi apagado.",
    "forget.done": (
        "🗑 Pronto: apagamos todos os seus dados do bot. Se quiser usar o bot de novo, peça à"
        " loja um novo link de convite."
    ),
    "forget.admin_done": "🗑 Dados do usuário <code>{user_id}</code> apagados ({summary}).",
    "forget.admin_nothing": "O bot não guarda nenhum dado do usuário <code>{user_id}</code>.",
}
