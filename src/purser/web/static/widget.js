/* Purser chat widget: one embeddable script, no dependencies.
 *
 *   <script src="https://support.example.com/widget.js"
 *           data-customer-id="cus_123" data-user-hash="<hex HMAC-SHA256(secret, customer_id)>"
 *           data-name="Acme Billing" data-color="#4f46e5" data-logo="/logo.png" data-locale="de"
 *           data-greeting="Hi! Ask me anything about your bill."></script>
 *
 * Or from script: Purser.mount({customerId, userHash, name, color, logo, greeting, locale, target, onEvent, fresh}).
 * The conversation id is kept in sessionStorage, so a reload resumes it (fresh: true starts anew).
 * Renders DESIGN §7 events: messages with citations, confirmation cards (Confirm/Decline with the
 * exact quote, laid out from the channels' quote-fact table), the pending-approval state (updated
 * live over Server-Sent Events to the outcome), handoffs and teammates' replies. While the agent's
 * reply streams, its text grows in a provisional bubble (SSE `message_delta`), which the turn's
 * final events replace. Strings come in en/de/fr/es/pt (the `locale` option, else the page's lang).
 * docs/widget.md describes the decisions (quick replies, rating, invoice links, formats).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var ORIGIN = script ? new URL(script.src, location.href).origin : location.origin;
  var uid = 0;

  /* -- strings: one table per language; a missing key falls back to English ---------------- */
  var STRINGS = {
    en: {
      placeholder: "Type your message…", send: "Send", hint: "Enter sends, Shift+Enter adds a line.",
      messageTo: "Message to {title}", openChat: "Open chat with {title}", launcher: "Chat", close: "Close chat",
      chat: "{title} chat", conversation: "Conversation", endChat: "End chat", title: "Billing support",
      youSaid: "You said: ", botSaid: "{name} said: ", teammateSaid: "{name} said: ", teammate: "Teammate",
      sources: "Sources", confirmTitle: "Please confirm: {action}", confirm: "Confirm", decline: "Decline",
      youConfirmed: "You confirmed.", youDeclined: "You declined.", confirmationNeeded: "Confirmation needed: ",
      awaiting: "Awaiting approval", reviewing: "A teammate is reviewing this. You can keep this window open; the answer appears here.",
      approved: "Approved", notApproved: "Not approved", didNotGoThrough: "It did not go through", update: "Update: ",
      handoffTitle: "Handed to a teammate. ", handoffText: "A person from our team will continue this conversation here.",
      errVerify: "We could not verify who you are. Please sign in again.",
      errSlow: "You're sending messages quickly — please wait a moment.", errGeneric: "Something went wrong: ",
      newMessage: "New message", newTeammate: "New message from {name}", typing: "{name} is typing…",
      suggested: "Suggested replies", rateQuestion: "How was this conversation?", rateUp: "Helpful",
      rateDown: "Not helpful", rateComment: "Anything to add? (optional)", rateSend: "Send rating",
      rateThanks: "Thank you for your feedback.", rateFailed: "Your rating could not be sent: ",
      download: "Download PDF", downloadFailed: "The PDF could not be prepared: ",
    },
    de: {
      placeholder: "Nachricht eingeben…", send: "Senden", hint: "Enter sendet, Umschalt+Enter fügt eine Zeile ein.",
      messageTo: "Nachricht an {title}", openChat: "Chat mit {title} öffnen", launcher: "Chat", close: "Chat schließen",
      chat: "Chat mit {title}", conversation: "Unterhaltung", endChat: "Chat beenden", title: "Abrechnungs-Support",
      youSaid: "Sie schrieben: ", botSaid: "{name} schrieb: ", teammateSaid: "{name} schrieb: ", teammate: "Teammitglied",
      sources: "Quellen", confirmTitle: "Bitte bestätigen: {action}", confirm: "Bestätigen", decline: "Ablehnen",
      youConfirmed: "Sie haben bestätigt.", youDeclined: "Sie haben abgelehnt.", confirmationNeeded: "Bestätigung nötig: ",
      awaiting: "Wartet auf Freigabe", reviewing: "Ein Teammitglied prüft das. Lassen Sie dieses Fenster offen; die Antwort erscheint hier.",
      approved: "Freigegeben", notApproved: "Nicht freigegeben", didNotGoThrough: "Das hat nicht geklappt", update: "Neuigkeit: ",
      handoffTitle: "An ein Teammitglied übergeben. ", handoffText: "Eine Person aus unserem Team führt die Unterhaltung hier fort.",
      errVerify: "Wir konnten Sie nicht verifizieren. Bitte melden Sie sich erneut an.",
      errSlow: "Sie senden sehr schnell — bitte warten Sie einen Moment.", errGeneric: "Etwas ist schiefgelaufen: ",
      newMessage: "Neue Nachricht", newTeammate: "Neue Nachricht von {name}", typing: "{name} schreibt…",
      suggested: "Antwortvorschläge", rateQuestion: "Wie war diese Unterhaltung?", rateUp: "Hilfreich",
      rateDown: "Nicht hilfreich", rateComment: "Möchten Sie etwas ergänzen? (optional)", rateSend: "Bewertung senden",
      rateThanks: "Danke für Ihre Rückmeldung.", rateFailed: "Ihre Bewertung konnte nicht gesendet werden: ",
      download: "PDF herunterladen", downloadFailed: "Das PDF konnte nicht erstellt werden: ",
    },
    fr: {
      placeholder: "Écrivez votre message…", send: "Envoyer", hint: "Entrée envoie, Maj+Entrée ajoute une ligne.",
      messageTo: "Message à {title}", openChat: "Ouvrir le chat avec {title}", launcher: "Chat", close: "Fermer le chat",
      chat: "Chat {title}", conversation: "Conversation", endChat: "Terminer", title: "Support facturation",
      youSaid: "Vous avez écrit : ", botSaid: "{name} a écrit : ", teammateSaid: "{name} a écrit : ", teammate: "Conseiller",
      sources: "Sources", confirmTitle: "Veuillez confirmer : {action}", confirm: "Confirmer", decline: "Refuser",
      youConfirmed: "Vous avez confirmé.", youDeclined: "Vous avez refusé.", confirmationNeeded: "Confirmation requise : ",
      awaiting: "En attente d'approbation", reviewing: "Un conseiller examine votre demande. Gardez cette fenêtre ouverte ; la réponse s'affichera ici.",
      approved: "Approuvé", notApproved: "Non approuvé", didNotGoThrough: "Cela n'a pas abouti", update: "Mise à jour : ",
      handoffTitle: "Transmis à un conseiller. ", handoffText: "Une personne de notre équipe poursuivra la conversation ici.",
      errVerify: "Nous n'avons pas pu vérifier votre identité. Veuillez vous reconnecter.",
      errSlow: "Vous envoyez des messages très vite — patientez un instant.", errGeneric: "Une erreur est survenue : ",
      newMessage: "Nouveau message", newTeammate: "Nouveau message de {name}", typing: "{name} écrit…",
      suggested: "Réponses suggérées", rateQuestion: "Comment s'est passée cette conversation ?", rateUp: "Utile",
      rateDown: "Pas utile", rateComment: "Un commentaire ? (facultatif)", rateSend: "Envoyer l'avis",
      rateThanks: "Merci pour votre avis.", rateFailed: "Votre avis n'a pas pu être envoyé : ",
      download: "Télécharger le PDF", downloadFailed: "Le PDF n'a pas pu être préparé : ",
    },
    es: {
      placeholder: "Escribe tu mensaje…", send: "Enviar", hint: "Intro envía, Mayús+Intro añade una línea.",
      messageTo: "Mensaje para {title}", openChat: "Abrir el chat con {title}", launcher: "Chat", close: "Cerrar el chat",
      chat: "Chat de {title}", conversation: "Conversación", endChat: "Terminar", title: "Soporte de facturación",
      youSaid: "Escribiste: ", botSaid: "{name} escribió: ", teammateSaid: "{name} escribió: ", teammate: "Agente",
      sources: "Fuentes", confirmTitle: "Confirma, por favor: {action}", confirm: "Confirmar", decline: "Rechazar",
      youConfirmed: "Has confirmado.", youDeclined: "Has rechazado.", confirmationNeeded: "Se necesita confirmación: ",
      awaiting: "Pendiente de aprobación", reviewing: "Un agente lo está revisando. Puedes dejar esta ventana abierta; la respuesta aparecerá aquí.",
      approved: "Aprobado", notApproved: "No aprobado", didNotGoThrough: "No se pudo completar", update: "Novedad: ",
      handoffTitle: "Transferido a un agente. ", handoffText: "Una persona de nuestro equipo continuará la conversación aquí.",
      errVerify: "No pudimos verificar tu identidad. Vuelve a iniciar sesión.",
      errSlow: "Estás enviando mensajes muy rápido; espera un momento.", errGeneric: "Algo salió mal: ",
      newMessage: "Mensaje nuevo", newTeammate: "Mensaje nuevo de {name}", typing: "{name} está escribiendo…",
      suggested: "Respuestas sugeridas", rateQuestion: "¿Qué tal fue esta conversación?", rateUp: "Útil",
      rateDown: "No útil", rateComment: "¿Algo que añadir? (opcional)", rateSend: "Enviar valoración",
      rateThanks: "Gracias por tu opinión.", rateFailed: "No se pudo enviar tu valoración: ",
      download: "Descargar PDF", downloadFailed: "No se pudo preparar el PDF: ",
    },
    pt: {
      placeholder: "Escreva a sua mensagem…", send: "Enviar", hint: "Enter envia, Shift+Enter acrescenta uma linha.",
      messageTo: "Mensagem para {title}", openChat: "Abrir o chat com {title}", launcher: "Chat", close: "Fechar o chat",
      chat: "Chat de {title}", conversation: "Conversa", endChat: "Terminar", title: "Suporte de faturação",
      youSaid: "Você escreveu: ", botSaid: "{name} escreveu: ", teammateSaid: "{name} escreveu: ", teammate: "Atendente",
      sources: "Fontes", confirmTitle: "Confirme, por favor: {action}", confirm: "Confirmar", decline: "Recusar",
      youConfirmed: "Você confirmou.", youDeclined: "Você recusou.", confirmationNeeded: "Confirmação necessária: ",
      awaiting: "A aguardar aprovação", reviewing: "Um atendente está a analisar o pedido. Pode manter esta janela aberta; a resposta aparece aqui.",
      approved: "Aprovado", notApproved: "Não aprovado", didNotGoThrough: "Não foi concluído", update: "Novidade: ",
      handoffTitle: "Transferido para um atendente. ", handoffText: "Uma pessoa da nossa equipa continuará a conversa aqui.",
      errVerify: "Não foi possível verificar a sua identidade. Inicie sessão novamente.",
      errSlow: "Está a enviar mensagens muito depressa — aguarde um momento.", errGeneric: "Algo correu mal: ",
      newMessage: "Nova mensagem", newTeammate: "Nova mensagem de {name}", typing: "{name} está a escrever…",
      suggested: "Respostas sugeridas", rateQuestion: "Como correu esta conversa?", rateUp: "Útil",
      rateDown: "Pouco útil", rateComment: "Algo a acrescentar? (opcional)", rateSend: "Enviar avaliação",
      rateThanks: "Obrigado pela sua opinião.", rateFailed: "Não foi possível enviar a avaliação: ",
      download: "Descarregar PDF", downloadFailed: "Não foi possível preparar o PDF: ",
    },
  };

  /* Card titles by action (an action not listed is shown with its name made readable). */
  var ACTIONS = {
    en: { refund: "Refund", change_plan: "Plan change", change_seats: "Seat change", cancel: "Cancellation", pause: "Pause",
      resume: "Resume", send_invoice: "Invoice by email", update_billing_details: "Billing details",
      retry_payment: "Payment retry", payment_method_link: "Card update link" },
    de: { refund: "Erstattung", change_plan: "Tarifwechsel", change_seats: "Plätze ändern", cancel: "Kündigung",
      pause: "Pausieren", resume: "Fortsetzen", send_invoice: "Rechnung per E-Mail", update_billing_details: "Rechnungsdaten",
      retry_payment: "Zahlung erneut versuchen", payment_method_link: "Link zur Kartenänderung" },
    fr: { refund: "Remboursement", change_plan: "Changement d'offre", change_seats: "Changement de places",
      cancel: "Résiliation", pause: "Pause", resume: "Reprise", send_invoice: "Facture par e-mail",
      update_billing_details: "Coordonnées de facturation", retry_payment: "Nouvelle tentative de paiement",
      payment_method_link: "Lien de mise à jour de la carte" },
    es: { refund: "Reembolso", change_plan: "Cambio de plan", change_seats: "Cambio de plazas", cancel: "Cancelación",
      pause: "Pausa", resume: "Reanudación", send_invoice: "Factura por correo", update_billing_details: "Datos de facturación",
      retry_payment: "Reintento de pago", payment_method_link: "Enlace para cambiar la tarjeta" },
    pt: { refund: "Reembolso", change_plan: "Mudança de plano", change_seats: "Mudança de lugares", cancel: "Cancelamento",
      pause: "Pausa", resume: "Retoma", send_invoice: "Fatura por e-mail", update_billing_details: "Dados de faturação",
      retry_payment: "Nova tentativa de pagamento", payment_method_link: "Link para mudar o cartão" },
  };

  /* Quote labels of the channels' table (purser.channels.render.QUOTE_FACTS), by English label. */
  var LABELS = {
    de: { Plan: "Tarif", Seats: "Plätze", Invoice: "Rechnung", Card: "Karte", "Sent to": "Gesendet an",
      "Invoice email": "Rechnungs-E-Mail", Name: "Name", "Billing address": "Rechnungsadresse", "VAT id": "USt-IdNr.",
      Amount: "Betrag", Total: "Gesamt", "Issued on": "Ausgestellt am", "Original charge": "Ursprüngliche Zahlung",
      "Charged on": "Belastet am", Tax: "Steuer", "Due now": "Jetzt fällig", Credit: "Gutschrift",
      "Next invoice": "Nächste Rechnung", "Takes effect": "Gilt ab", "Pause starts": "Pause beginnt",
      "Ends on": "Endet am", "Resumes on": "Läuft wieder ab", "Renews on": "Verlängert sich am",
      "Then per period": "Danach pro Zeitraum" },
    fr: { Plan: "Offre", Seats: "Places", Invoice: "Facture", Card: "Carte", "Sent to": "Envoyé à",
      "Invoice email": "E-mail de facturation", Name: "Nom", "Billing address": "Adresse de facturation",
      "VAT id": "N° de TVA", Amount: "Montant", Total: "Total", "Issued on": "Émise le",
      "Original charge": "Paiement d'origine", "Charged on": "Débité le", Tax: "Taxe", "Due now": "À payer maintenant",
      Credit: "Avoir", "Next invoice": "Prochaine facture", "Takes effect": "Prend effet le",
      "Pause starts": "Début de la pause", "Ends on": "Se termine le", "Resumes on": "Reprend le",
      "Renews on": "Se renouvelle le", "Then per period": "Ensuite par période" },
    es: { Plan: "Plan", Seats: "Plazas", Invoice: "Factura", Card: "Tarjeta", "Sent to": "Enviado a",
      "Invoice email": "Correo de facturación", Name: "Nombre", "Billing address": "Dirección de facturación",
      "VAT id": "NIF-IVA", Amount: "Importe", Total: "Total", "Issued on": "Emitida el",
      "Original charge": "Cargo original", "Charged on": "Cobrado el", Tax: "Impuesto", "Due now": "A pagar ahora",
      Credit: "Crédito", "Next invoice": "Próxima factura", "Takes effect": "Efectivo desde",
      "Pause starts": "Inicio de la pausa", "Ends on": "Termina el", "Resumes on": "Se reanuda el",
      "Renews on": "Se renueva el", "Then per period": "Después, por periodo" },
    pt: { Plan: "Plano", Seats: "Lugares", Invoice: "Fatura", Card: "Cartão", "Sent to": "Enviado para",
      "Invoice email": "E-mail de faturação", Name: "Nome", "Billing address": "Morada de faturação",
      "VAT id": "N.º de IVA", Amount: "Valor", Total: "Total", "Issued on": "Emitida em",
      "Original charge": "Cobrança original", "Charged on": "Cobrado em", Tax: "Imposto", "Due now": "A pagar agora",
      Credit: "Crédito", "Next invoice": "Próxima fatura", "Takes effect": "Entra em vigor",
      "Pause starts": "Início da pausa", "Ends on": "Termina em", "Resumes on": "Retoma em",
      "Renews on": "Renova em", "Then per period": "Depois, por período" },
  };

  /* Number and date formats per language: money as Babel's en_US does on the server ("$20.00"),
   * dates in one format everywhere ("1 December 2026"; the calendar day in UTC, as the server). */
  var FORMATS = { en: ["en-US", "en-GB"], de: ["de-DE", "de-DE"], fr: ["fr-FR", "fr-FR"], es: ["es-ES", "es-ES"], pt: ["pt-PT", "pt-PT"] };

  function pickLocale(wanted) {
    var tag = String(wanted || "").toLowerCase().slice(0, 2);
    return STRINGS[tag] ? tag : "en";
  }

  function translator(locale) {
    var table = STRINGS[locale], base = STRINGS.en;
    return function (key, vars) {
      var text = table[key] !== undefined ? table[key] : base[key];
      return String(text).replace(/\{(\w+)\}/g, function (_, name) { return vars && name in vars ? vars[name] : ""; });
    };
  }

  /* The channels' table, copied for when /api/widget/quote-facts cannot be read (an older server). */
  var FALLBACK_FACTS = [
    ["plan", "Plan", "text"], ["seats", "Seats", "text"], ["number", "Invoice", "text"], ["card", "Card", "text"],
    ["to", "Sent to", "text"], ["email", "Invoice email", "text"], ["name", "Name", "text"],
    ["address", "Billing address", "text"], ["vat_id", "VAT id", "text"], ["amount", "Amount", "money"],
    ["total", "Total", "money"], ["created", "Issued on", "date"], ["charge_amount", "Original charge", "money"],
    ["charge_created", "Charged on", "date"], ["lines", "", "lines"], ["tax", "Tax", "money"],
    ["amount_due_now", "Due now", "money"], ["credit", "Credit", "money"], ["next_invoice_amount", "Next invoice", "money"],
    ["effective_at", "Takes effect", "date"], ["starts_at", "Pause starts", "date"], ["ends_at", "Ends on", "date"],
    ["period_end", "Ends on", "date"], ["resumes_at", "Resumes on", "date"], ["renews_at", "Renews on", "date"],
    ["next_charge", "Then per period", "money"],
  ].map(function (r) { return { key: r[0], label: r[1], kind: r[2] }; });

  var factTables = {}; // api origin -> promise of the table

  function loadFacts(api) {
    if (!factTables[api]) {
      factTables[api] = fetch(api + "/api/widget/quote-facts", { credentials: "omit" })
        .then(function (res) { if (!res.ok) throw new Error(String(res.status)); return res.json(); })
        .then(function (data) { return data.facts; })
        .catch(function () { return FALLBACK_FACTS; });
    }
    return factTables[api];
  }

  var DECIMAL = /^-?\d+(\.\d+)?$/;

  function formatMoney(amount, currency, locale) {
    if ((typeof amount !== "string" && typeof amount !== "number") || !DECIMAL.test(String(amount))) return null;
    if (typeof currency !== "string" || !currency) return null;
    try {
      // A decimal string is formatted exactly (Intl takes strings): no float ever holds the amount.
      return new Intl.NumberFormat(FORMATS[locale][0], { style: "currency", currency: currency.toUpperCase() })
        .format(String(amount));
    } catch (e) {
      return null;
    }
  }

  function formatDate(value, locale) {
    if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
    var d = new Date(value.length === 10 ? value + "T00:00:00Z" : value);
    if (isNaN(d.getTime())) return null;
    return d.toLocaleDateString(FORMATS[locale][1], { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
  }

  function isZero(value) { return DECIMAL.test(String(value)) && /^-?0*(\.0*)?$/.test(String(value)); }

  function planChange(quote) {
    var facts = [], before = quote.from_plan, after = quote.to_plan;
    if (before && after && typeof before === "object" && typeof after === "object" && before.name !== after.name) {
      facts.push(["Plan", before.name + " → " + after.name]);
    }
    var old = quote.from_quantity, neu = quote.to_quantity;
    if (typeof old === "number" && typeof neu === "number" && old !== neu) facts.push(["Seats", old + " → " + neu]);
    return facts;
  }

  function lineFacts(lines, currency, locale) {
    var facts = [];
    (Array.isArray(lines) ? lines : []).forEach(function (line) {
      if (line && typeof line === "object" && typeof line.description === "string") {
        facts.push([line.description, formatMoney(line.amount, line.currency || currency, locale) || "", true]);
      }
    });
    return facts;
  }

  /* A quote's customer-facing facts, [label, value, isLine], by the rules of render.quote_facts: only
   * keys in the table, in its order, one fact per label, zero amounts other than `amount` left out. */
  function quoteFacts(quote, table, locale) {
    var currency = quote.currency, seen = {};
    var facts = "plan" in quote || "seats" in quote ? [] : planChange(quote);
    var hasLines = table.some(function (row) { return row.kind === "lines"; });
    table.forEach(function (row) {
      if (!(row.key in quote) || (row.label && seen[row.label])) return;
      var value = quote[row.key], text = null;
      if (row.kind === "lines") { facts = facts.concat(lineFacts(value, currency, locale)); return; }
      if (row.kind === "money" && row.key !== "amount" && isZero(value)) return;
      if (row.kind === "text") text = (typeof value === "string" && value) || (typeof value === "number" ? String(value) : null);
      else if (row.kind === "money") text = formatMoney(value, currency, locale);
      else if (row.kind === "date") text = formatDate(value, locale);
      if (text === null) return;
      seen[row.label] = true;
      facts.push([row.label, text]);
    });
    return hasLines ? facts : facts.concat(lineFacts(quote.lines, currency, locale));
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k === "class") node.className = v;
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  /* A teammate's message names its author ({name, initials}); older events carry none. */
  function authorOf(ev) {
    var author = ev.author;
    return author && typeof author === "object" ? author : { name: typeof author === "string" ? author : "" };
  }

  function humanize(key) {
    var s = String(key).replace(/_/g, " ");
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  function Widget(opts) {
    this.o = opts;
    this.api = (opts.api || ORIGIN).replace(/\/$/, "");
    this.locale = pickLocale(opts.locale || document.documentElement.lang || navigator.language);
    this.t = translator(this.locale);
    this.facts = loadFacts(this.api);
    this.conversation = null;
    this.pending = {}; // action_id -> card element awaiting approval
    this.cards = {}; // action_id -> confirmation card
    this.busy = false;
    this.source = null;
    this.streaming = null; // the provisional bubble of a reply that is streaming
    this.settledAt = 0; // when a turn's final events were last rendered
    this.rating = null; // the rating form, once offered
    this.id = "purser-" + (++uid);
    this.build();
  }

  Widget.prototype.headers = function () {
    var h = { "Content-Type": "application/json" };
    if (this.o.userHash) h["X-Purser-User-Hash"] = this.o.userHash;
    return h;
  };

  Widget.prototype.request = function (method, path, body) {
    return fetch(this.api + path, {
      method: method,
      headers: this.headers(),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var msg = (data && data.error && data.error.message) || "HTTP " + res.status;
          var err = new Error(msg);
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  };

  Widget.prototype.build = function () {
    var o = this.o, self = this, t = this.t;
    var inline = !!o.target;
    var host = el("div", { class: "purser-host", "data-purser": "", "data-inline": inline });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    root.appendChild(el("link", { rel: "stylesheet", href: this.api + "/static/widget.css" }));
    var wrap = el("div", { class: "pw" + (inline ? " pw-inline" : ""), lang: this.locale });
    if (o.color) wrap.style.setProperty("--pw-color", o.color);
    var title = o.name || t("title");
    this.title = title;
    var panelId = this.id + "-panel";
    var logo = o.logo ? el("img", { class: "pw-logo", src: o.logo, alt: "" }) : null;
    this.log = el("div", { class: "pw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": t("conversation"), tabindex: "0" });
    this.status = el("div", { class: "pw-sr", role: "status", "aria-live": "polite" });
    this.input = el("textarea", { id: this.id + "-input", rows: "1", maxlength: "4000",
      placeholder: t("placeholder"), autocomplete: "off", "aria-describedby": this.id + "-hint" });
    this.send = el("button", { type: "submit", class: "pw-send" }, [t("send")]);
    var form = el("form", { class: "pw-form", onsubmit: function (e) { e.preventDefault(); self.submit(); } }, [
      el("label", { for: this.id + "-input", class: "pw-sr", text: t("messageTo", { title: title }) }),
      this.input, this.send,
      el("span", { id: this.id + "-hint", class: "pw-sr", text: t("hint") }),
    ]);
    this.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.submit(); }
    });
    this.typing = el("div", { class: "pw-typing", hidden: true }, [
      el("span", { class: "pw-dot", "aria-hidden": "true" }), el("span", { class: "pw-dot", "aria-hidden": "true" }),
      el("span", { class: "pw-dot", "aria-hidden": "true" }), el("span", { class: "pw-sr", text: t("typing", { name: title }) }),
    ]);
    var endBtn = el("button", { type: "button", class: "pw-end", onclick: function () { self.offerRating(true); } }, [t("endChat")]);
    var closeBtn = inline ? null : el("button", { type: "button", class: "pw-close", "aria-label": t("close"),
      onclick: function () { self.toggle(false); } }, ["×"]);
    this.panel = el("section", { id: panelId, class: "pw-panel", role: inline ? "region" : "dialog",
      "aria-label": t("chat", { title: title }), hidden: !inline }, [
      el("header", { class: "pw-head" }, [logo, el("h2", { text: title }), endBtn, closeBtn]),
      this.log, this.typing, this.status, form,
    ]);
    wrap.appendChild(this.panel);
    if (!inline) {
      this.launcher = el("button", { type: "button", class: "pw-launcher", "aria-controls": panelId,
        "aria-expanded": "false", "aria-label": t("openChat", { title: title }),
        onclick: function () { self.toggle(); } }, [logo ? logo.cloneNode() : "", el("span", { text: t("launcher") })]);
      wrap.appendChild(this.launcher);
      this.panel.addEventListener("keydown", function (e) { if (e.key === "Escape") self.toggle(false); });
    }
    root.appendChild(wrap);
    (o.target ? (typeof o.target === "string" ? document.querySelector(o.target) : o.target) : document.body)
      .appendChild(host);
    this.host = host;
    this.root = root;
    if (o.greeting) this.addMessage("agent", o.greeting, []);
    if (o.fresh) this.remember(null); else this.resume();
  };

  Widget.prototype.toggle = function (open) {
    if (!this.launcher) return;
    var show = open === undefined ? this.panel.hidden : open;
    this.panel.hidden = !show;
    this.launcher.setAttribute("aria-expanded", String(show));
    if (show) this.input.focus(); else this.launcher.focus();
  };

  Widget.prototype.scroll = function () { this.log.scrollTop = this.log.scrollHeight; };

  Widget.prototype.announce = function (text) { this.status.textContent = text; };

  Widget.prototype.append = function (node) {
    // An unanswered rating form stays last: whatever arrives meanwhile goes above it.
    var pinned = this.rating && this.rating.parentNode === this.log && !this.rating.hasAttribute("data-state");
    if (pinned) this.log.insertBefore(node, this.rating);
    else this.log.appendChild(node);
    this.scroll();
    return node;
  };

  /* `teammate`: null for the agent or the customer, else the message's §7 `author` ({name, initials};
   * {} when the event names nobody: "Teammate"). */
  Widget.prototype.addMessage = function (who, text, citations, teammate) {
    var t = this.t, human = teammate !== null && teammate !== undefined;
    var name = human ? teammate.name || t("teammate") : this.title;
    var initials = human ? teammate.initials || name.trim().charAt(0).toUpperCase() : "";
    var said = who === "customer" ? t("youSaid") : human ? t("teammateSaid", { name: name }) : t("botSaid", { name: name });
    var bubble = el("div", { class: "pw-msg pw-" + who + (human ? " pw-teammate" : "") }, [
      el("span", { class: "pw-sr", text: said }),
      human ? el("span", { class: "pw-author", "aria-hidden": "true" }, [
        el("span", { class: "pw-avatar", text: initials }), el("span", { class: "pw-label", text: name }),
      ]) : "",
      el("p", { text: text }),
    ]);
    if (citations && citations.length) {
      var list = el("ul", { class: "pw-cites", "aria-label": t("sources") });
      citations.forEach(function (c) {
        var label = c.document + (c.heading ? " › " + c.heading : "");
        list.appendChild(el("li", { title: c.snippet || "" }, [el("span", { class: "pw-cite-icon", "aria-hidden": "true", text: "📄" }), label]));
      });
      bubble.appendChild(el("div", { class: "pw-cites-wrap" }, [el("span", { class: "pw-cites-title", text: t("sources") }), list]));
    }
    return this.append(bubble);
  };

  Widget.prototype.actionName = function (action) {
    var names = ACTIONS[this.locale] || ACTIONS.en;
    return names[action] || ACTIONS.en[action] || humanize(action);
  };

  /* The quote as a definition list, filled once the fact table is known (it is fetched at mount). */
  Widget.prototype.quoteList = function (quote) {
    var dl = el("dl", { class: "pw-quote" }), locale = this.locale, labels = LABELS[locale] || {};
    this.facts.then(function (table) {
      quoteFacts(quote || {}, table, locale).forEach(function (fact) {
        var label = fact[2] ? fact[0] : labels[fact[0]] || fact[0];
        dl.appendChild(el("dt", { class: fact[2] ? "pw-line" : null, text: label }));
        dl.appendChild(el("dd", { text: fact[1] }));
      });
    });
    return dl;
  };

  Widget.prototype.addConfirmation = function (ev, history) {
    var self = this, t = this.t;
    var yes = el("button", { type: "button", class: "pw-btn pw-yes" }, [t("confirm")]);
    var no = el("button", { type: "button", class: "pw-btn pw-no" }, [t("decline")]);
    var headingId = this.id + "-card-" + ev.action_id;
    var quote = ev.quote || {};
    var card = el("div", { class: "pw-card", role: "group", "aria-labelledby": headingId, "data-action-id": ev.action_id,
      "data-action": ev.action, "data-state": "open" }, [
      el("h3", { id: headingId, text: t("confirmTitle", { action: this.actionName(ev.action) }) }),
      el("p", { text: ev.summary }),
      this.quoteList(quote),
      el("div", { class: "pw-actions" }, [yes, no]),
    ]);
    var invoice = ev.action === "send_invoice" ? quote.number || quote.invoice : null;
    if (invoice) card.appendChild(this.downloadButton(String(invoice)));
    function answer(decision) {
      self.markAnswered(ev.action_id, decision);
      self.post({ type: "confirm", action_id: ev.action_id, decision: decision }, null);
      self.input.focus();
    }
    yes.addEventListener("click", function () { answer("yes"); });
    no.addEventListener("click", function () { answer("no"); });
    this.cards[ev.action_id] = card;
    this.append(card);
    if (!history) this.announce(t("confirmationNeeded") + ev.summary);
  };

  /* A message's quick replies (§7 `quick_replies`, built by the server): pressing one sends its text as
   * the customer's message; the row goes as soon as the customer answers in any way. */
  Widget.prototype.quickReplies = function (replies) {
    var self = this;
    var row = el("div", { class: "pw-quick", role: "group", "aria-label": this.t("suggested") });
    replies.forEach(function (reply) {
      row.appendChild(el("button", { type: "button", class: "pw-chip", "data-reply": reply.text, title: reply.text, onclick: function () {
        if (self.busy) return;
        self.dropQuickReplies();
        self.post({ type: "message", text: reply.text }, reply.text);
      } }, [reply.label]));
    });
    return this.append(row);
  };

  Widget.prototype.dropQuickReplies = function () {
    this.log.querySelectorAll(".pw-quick").forEach(function (row) { row.parentNode.removeChild(row); });
  };

  Widget.prototype.downloadButton = function (invoice) {
    var self = this;
    var button = el("button", { type: "button", class: "pw-btn pw-download", "data-invoice": invoice }, [this.t("download")]);
    button.addEventListener("click", function () {
      button.disabled = true;
      self.ensureConversation().then(function (id) {
        return self.request("POST", "/api/conversations/" + encodeURIComponent(id) + "/invoice-links", { invoice: invoice });
      }).then(function (link) {
        // The signed link is the credential for 15 minutes; the server answers it as an attachment.
        var a = el("a", { href: self.api + link.path, download: "", hidden: true });
        self.root.appendChild(a);
        a.click();
        self.root.removeChild(a);
      }).catch(function (err) {
        self.append(el("div", { class: "pw-error", role: "alert", text: self.t("downloadFailed") + err.message }));
      }).then(function () { button.disabled = false; });
    });
    return el("div", { class: "pw-actions pw-more" }, [button]);
  };

  Widget.prototype.addPending = function (ev) {
    var t = this.t;
    var card = el("div", { class: "pw-card pw-pending", "data-action-id": ev.action_id, "data-state": "pending" }, [
      el("h3", null, [el("span", { class: "pw-spinner", "aria-hidden": "true" }), t("awaiting")]),
      el("p", { class: "pw-summary", text: ev.summary }),
      el("p", { class: "pw-note", text: t("reviewing") }),
    ]);
    this.pending[ev.action_id] = card;
    this.append(card);
  };

  /* An outcome: it replaces a pending card's "a teammate is reviewing this" when there is one. */
  Widget.prototype.addResult = function (ev) {
    var t = this.t, pending = this.pending[ev.action_id];
    if (pending) {
      var state = ev.status === "succeeded" ? "approved" : ev.status === "failed" ? "failed" : "denied";
      pending.setAttribute("data-state", state);
      pending.setAttribute("data-status", ev.status);
      pending.classList.remove("pw-pending");
      pending.querySelector("h3").textContent = state === "approved" ? t("approved") : state === "failed" ? t("didNotGoThrough") : t("notApproved");
      pending.querySelector(".pw-summary").textContent = ev.summary;
      var note = pending.querySelector(".pw-note");
      if (note) note.parentNode.removeChild(note);
      this.announce((state === "approved" ? t("approved") + ": " : t("update")) + ev.summary);
      delete this.pending[ev.action_id];
      return;
    }
    var icon = ev.status === "succeeded" ? "✓" : ev.status === "failed" ? "✗" : "!";
    this.append(el("div", { class: "pw-result pw-" + ev.status, "data-action-id": ev.action_id, "data-status": ev.status }, [
      el("span", { class: "pw-icon", "aria-hidden": "true", text: icon }),
      el("span", { class: "pw-sr", text: ev.status + ": " }),
      el("span", { text: ev.summary }),
    ]));
  };

  Widget.prototype.addHandoff = function (ev) {
    this.append(el("div", { class: "pw-handoff", "data-reason": ev.reason }, [
      el("strong", { text: this.t("handoffTitle") }),
      el("span", { text: this.t("handoffText") }),
    ]));
  };

  /* -- the rating: offered once an action is done (or on "End chat"), kept server-side ------- */
  Widget.prototype.offerRating = function (focus) {
    var self = this, t = this.t;
    if (this.rating) { if (focus) this.rating.querySelector("button").focus(); return; }
    var chosen = null;
    var comment = el("textarea", { id: this.id + "-comment", class: "pw-comment", rows: "2", maxlength: "1000" });
    var sendBtn = el("button", { type: "submit", class: "pw-btn pw-yes", disabled: true }, [t("rateSend")]);
    function thumb(value, icon, label) {
      return el("button", { type: "button", class: "pw-thumb", "aria-pressed": "false", "aria-label": label, "data-rating": value,
        onclick: function (e) {
          chosen = value;
          form.querySelectorAll(".pw-thumb").forEach(function (b) { b.setAttribute("aria-pressed", String(b === e.currentTarget)); });
          sendBtn.disabled = false;
        } }, [icon]);
    }
    var form = el("form", { class: "pw-rate", "aria-label": t("rateQuestion") }, [
      el("p", { class: "pw-rate-q", text: t("rateQuestion") }),
      el("div", { class: "pw-actions" }, [thumb("up", "👍", t("rateUp")), thumb("down", "👎", t("rateDown"))]),
      el("label", { for: this.id + "-comment", class: "pw-note", text: t("rateComment") }), comment, sendBtn,
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!chosen) return;
      sendBtn.disabled = true;
      self.ensureConversation().then(function (id) {
        return self.request("POST", "/api/conversations/" + encodeURIComponent(id) + "/rating",
          { rating: chosen, comment: comment.value.trim() });
      }).then(function () { self.thank(form); }).catch(function (err) {
        if (err.status === 409) { self.thank(form); return; } // rated already (another tab)
        sendBtn.disabled = false;
        self.append(el("div", { class: "pw-error", role: "alert", text: t("rateFailed") + err.message }));
      });
    });
    this.rating = form;
    this.log.appendChild(form);
    this.scroll();
    if (focus) form.querySelector("button").focus();
  };

  Widget.prototype.thank = function (form) {
    form.textContent = "";
    form.setAttribute("data-state", "sent");
    form.appendChild(el("p", { class: "pw-rate-q", text: this.t("rateThanks") }));
    this.announce(this.t("rateThanks"));
  };

  /* -- a streaming reply: grown from message_delta, replaced by the turn's events ----------- */
  Widget.prototype.grow = function (delta) {
    // A delta arriving just after the turn's events settled belongs to that turn: drop it.
    if (!this.busy && !this.streaming && Date.now() - this.settledAt < 1500) return;
    if (!this.streaming) {
      this.streaming = el("div", { class: "pw-msg pw-agent pw-streaming", "aria-hidden": "true",
        "data-streaming": "" }, [el("p", { text: "" })]);
      this.append(this.streaming);
      this.typing.hidden = true;
    }
    var p = this.streaming.querySelector("p");
    p.textContent = (delta.reset ? "" : p.textContent) + (delta.text || "");
    this.scroll();
  };

  Widget.prototype.settle = function () {
    if (this.streaming && this.streaming.parentNode) this.streaming.parentNode.removeChild(this.streaming);
    this.streaming = null;
    this.settledAt = Date.now();
  };

  /* `source`: "turn" (the POST's answer), "agent" / "human" (a live batch), "history" (a reload);
   * `teammate`: the events were written by a human teammate (live source "human", or role "human"). */
  Widget.prototype.render = function (events, source, teammate) {
    var self = this, history = source === "history", human = !!teammate || source === "human";
    var done = false, last = null, replies = [];
    if (!history) { this.settle(); this.dropQuickReplies(); }
    (events || []).forEach(function (ev) {
      if (ev.type === "message") self.addMessage("agent", ev.text, ev.citations, human ? authorOf(ev) : null);
      else if (ev.type === "confirmation_request") self.addConfirmation(ev, history);
      else if (ev.type === "approval_pending") self.addPending(ev);
      else if (ev.type === "action_result") { self.addResult(ev); done = done || ev.status !== "refused"; }
      else if (ev.type === "handoff") self.addHandoff(ev);
      if (ev.type === "message") { last = ev; replies = ev.quick_replies || []; }
      if (self.o.onEvent && !history) { try { self.o.onEvent(ev, source); } catch (e) { /* host callback */ } }
    });
    if (last && !history) this.announce(human ? this.t("newTeammate", { name: authorOf(last).name || this.t("teammate") }) : this.t("newMessage"));
    // The turn's suggested answers go under everything it showed (a reload does not offer old ones).
    if (replies.length && !history) this.quickReplies(replies);
    if (done && !history && !this.log.querySelector(".pw-card[data-state=open], .pw-card[data-state=pending]")) this.offerRating(false);
  };

  /* -- resuming after a reload: the conversation id lives in sessionStorage ---------------- */
  Widget.prototype.storageKey = function () { return "purser.conversation." + this.api + "." + this.o.customerId; };

  Widget.prototype.remember = function (id) {
    try { if (id) sessionStorage.setItem(this.storageKey(), id); else sessionStorage.removeItem(this.storageKey()); }
    catch (e) { /* storage disabled: no resume */ }
  };

  Widget.prototype.resume = function () {
    var self = this, id = null;
    try { id = sessionStorage.getItem(this.storageKey()); } catch (e) { id = null; }
    if (!id) return;
    this.request("GET", "/api/conversations/" + encodeURIComponent(id)).then(function (data) {
      if (self.conversation) return; // the visitor already started a new one
      var answered = {}, last = 0;
      data.entries.forEach(function (e) {
        if (e.role === "customer" && e.event.type === "confirm") answered[e.event.action_id] = e.event.decision;
      });
      data.entries.forEach(function (e) {
        last = Math.max(last, e.seq);
        if (e.role === "customer") {
          if (e.event.type === "message") self.addMessage("customer", e.event.text, []);
        } else self.render([e.event], "history", e.role === "human");
      });
      Object.keys(answered).forEach(function (aid) { self.markAnswered(aid, answered[aid]); });
      self.conversation = data.id;
      self.host.setAttribute("data-conversation-id", data.id);
      self.listen(last);
    }).catch(function () { self.remember(null); });
  };

  Widget.prototype.markAnswered = function (actionId, decision) {
    var card = this.cards[actionId];
    if (!card || card.getAttribute("data-state") !== "open") return;
    card.querySelectorAll(".pw-actions:not(.pw-more) button").forEach(function (b) { b.disabled = true; });
    card.setAttribute("data-state", decision === "yes" ? "confirmed" : "declined");
    card.appendChild(el("p", { class: "pw-note", text: decision === "yes" ? this.t("youConfirmed") : this.t("youDeclined") }));
  };

  Widget.prototype.ensureConversation = function () {
    var self = this;
    if (this.conversation) return Promise.resolve(this.conversation);
    return this.request("POST", "/api/conversations", { customer_id: this.o.customerId, channel: "web" })
      .then(function (data) {
        self.conversation = data.id;
        self.host.setAttribute("data-conversation-id", data.id);
        self.remember(data.id);
        self.listen();
        return data.id;
      });
  };

  Widget.prototype.listen = function (after) {
    var self = this;
    if (!window.EventSource || !this.conversation) return;
    if (!this.o.userHash) { this.open(after, null); return; }
    // The user hash never goes in a URL (access logs keep URLs): trade it for a 5-minute stream token.
    this.request("POST", "/api/conversations/" + encodeURIComponent(this.conversation) + "/stream-token")
      .then(function (data) { self.open(after, data.token); })
      .catch(function () { /* no live updates; every turn still answers */ });
  };

  Widget.prototype.open = function (after, token) {
    var self = this;
    var params = [];
    if (token) params.push("token=" + encodeURIComponent(token));
    if (after !== undefined && after !== null) params.push("after=" + encodeURIComponent(String(after)));
    var url = this.api + "/api/conversations/" + encodeURIComponent(this.conversation) + "/stream" +
      (params.length ? "?" + params.join("&") : "");
    var source = new EventSource(url);
    this.source = source;
    var seen = function (msg) { if (msg.lastEventId) self.lastBatch = msg.lastEventId; };
    source.addEventListener("ready", function () { self.host.setAttribute("data-live", "on"); });
    source.addEventListener("message_delta", function (msg) {
      try { self.grow(JSON.parse(msg.data)); } catch (e) { /* malformed message: ignore */ }
    });
    source.addEventListener("agent_events", function (msg) {
      seen(msg);
      try {
        var data = JSON.parse(msg.data);
        self.render(data.events, data.source || "live");
      } catch (e) { /* malformed message: ignore */ }
    });
    source.addEventListener("error", function () {
      // A refused reconnect (the token expired) closes the source: get a new token, resume after the last batch.
      if (token && source.readyState === 2 && self.source === source) {
        setTimeout(function () { if (self.source === source) self.listen(self.lastBatch); }, 1000);
      }
    });
  };

  Widget.prototype.setBusy = function (busy) {
    this.busy = busy;
    this.typing.hidden = !busy;
    this.send.disabled = busy;
    this.log.setAttribute("aria-busy", String(busy));
    if (busy) this.scroll();
  };

  Widget.prototype.post = function (event, echo) {
    var self = this, t = this.t;
    if (echo) this.addMessage("customer", echo, []);
    this.setBusy(true);
    return this.ensureConversation()
      .then(function (id) { return self.request("POST", "/api/conversations/" + encodeURIComponent(id) + "/events", event); })
      .then(function (data) { self.render(data.events, "turn"); })
      .catch(function (err) {
        self.settle();
        var text = err.status === 401 ? t("errVerify") : err.status === 429 ? t("errSlow") : t("errGeneric") + err.message;
        self.append(el("div", { class: "pw-error", role: "alert", text: text }));
      })
      .then(function () { self.setBusy(false); });
  };

  Widget.prototype.submit = function () {
    var text = this.input.value.trim();
    if (!text || this.busy) return;
    this.input.value = "";
    this.dropQuickReplies();
    this.post({ type: "message", text: text }, text);
  };

  Widget.prototype.destroy = function () {
    if (this.source) this.source.close();
    if (this.host && this.host.parentNode) this.host.parentNode.removeChild(this.host);
  };

  function mount(opts) {
    if (!opts || !opts.customerId) throw new Error("Purser.mount needs customerId");
    return new Widget(opts);
  }

  window.Purser = window.Purser || {};
  window.Purser.mount = mount;
  /* The card's facts for a quote, as [label, value] in `locale` (the widget's own rendering; a host
   * page may reuse it, and the tests hold it against the server's render.quote_facts). */
  window.Purser.quoteFacts = function (quote, locale, api) {
    var tag = pickLocale(locale), labels = LABELS[tag] || {};
    return loadFacts((api || ORIGIN).replace(/\/$/, "")).then(function (table) {
      return quoteFacts(quote || {}, table, tag).map(function (f) { return [f[2] ? f[0] : labels[f[0]] || f[0], f[1]]; });
    });
  };
  window.Purser.strings = function (locale) { return translator(pickLocale(locale)); };
  window.Purser.i18n = { STRINGS: STRINGS, ACTIONS: ACTIONS, LABELS: LABELS };

  if (script && script.dataset && script.dataset.customerId) {
    var d = script.dataset;
    var start = function () {
      window.Purser.widget = mount({ customerId: d.customerId, userHash: d.userHash, name: d.name, color: d.color,
        logo: d.logo, greeting: d.greeting, api: d.api, target: d.target, locale: d.locale });
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})();
