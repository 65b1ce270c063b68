/* Purser chat widget: one embeddable script, no dependencies.
 *
 *   <script src="https://support.example.com/widget.js"
 *           data-customer-id="cus_123" data-user-hash="<hex HMAC-SHA256(secret, customer_id)>"
 *           data-name="Acme Billing" data-color="#4f46e5" data-logo="/logo.png"
 *           data-greeting="Hi! Ask me anything about your bill."></script>
 *
 * Or from script: Purser.mount({customerId, userHash, name, color, logo, greeting, target, onEvent, fresh}).
 * The conversation id is kept in sessionStorage, so a reload resumes it (fresh: true starts anew).
 * Renders DESIGN §7 events: messages with citations, confirmation cards (Confirm/Decline with the
 * exact quote), the pending-approval state (updated live over Server-Sent Events) and handoffs.
 * While the agent's reply streams, its text grows in a provisional bubble (SSE `message_delta`),
 * which the turn's final events replace.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var ORIGIN = script ? new URL(script.src, location.href).origin : location.origin;
  var uid = 0;

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

  function humanize(key) {
    var s = String(key).replace(/_/g, " ");
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  function formatMoney(amount, currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency: String(currency).toUpperCase() })
        .format(Number(amount));
    } catch (e) {
      return amount + " " + String(currency || "").toUpperCase();
    }
  }

  function formatValue(value, currency) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "object" && !Array.isArray(value) && "amount" in value) {
      return formatMoney(value.amount, value.currency || currency);
    }
    if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
      var d = new Date(value);
      if (!isNaN(d.getTime())) return d.toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" });
    }
    if (typeof value === "boolean") return value ? "Yes" : "No";
    return String(value);
  }

  var MONEY_KEYS = /amount|total|price|due|credit|refund|tax|subtotal|balance|cost/i;

  function quoteList(quote) {
    var currency = quote.currency;
    var dl = el("dl", { class: "pw-quote" });
    Object.keys(quote).forEach(function (key) {
      var value = quote[key];
      if (key === "currency" || key === "kind") return;
      if (Array.isArray(value)) {
        var ul = el("ul", { class: "pw-lines" });
        value.forEach(function (line) {
          if (line && typeof line === "object") {
            var desc = line.description || line.name || "";
            var amt = "amount" in line ? formatMoney(line.amount, line.currency || currency) : "";
            ul.appendChild(el("li", null, [desc + (amt ? ": " + amt : "")]));
          } else ul.appendChild(el("li", { text: String(line) }));
        });
        dl.appendChild(el("dt", { text: humanize(key) }));
        dl.appendChild(el("dd", null, [ul]));
        return;
      }
      if (value && typeof value === "object" && !("amount" in value)) return;
      var text = typeof value === "string" && MONEY_KEYS.test(key) && /^-?\d+(\.\d+)?$/.test(value) && currency
        ? formatMoney(value, currency) : formatValue(value, currency);
      dl.appendChild(el("dt", { text: humanize(key) }));
      dl.appendChild(el("dd", { text: text }));
    });
    return dl;
  }

  function Widget(opts) {
    this.o = opts;
    this.api = (opts.api || ORIGIN).replace(/\/$/, "");
    this.conversation = null;
    this.pending = {}; // action_id -> card element awaiting approval
    this.cards = {}; // action_id -> confirmation card
    this.busy = false;
    this.source = null;
    this.streaming = null; // the provisional bubble of a reply that is streaming
    this.settledAt = 0; // when a turn's final events were last rendered
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
    var o = this.o, self = this;
    var inline = !!o.target;
    var host = el("div", { class: "purser-host", "data-purser": "", "data-inline": inline });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    root.appendChild(el("link", { rel: "stylesheet", href: this.api + "/static/widget.css" }));
    var wrap = el("div", { class: "pw" + (inline ? " pw-inline" : "") });
    if (o.color) wrap.style.setProperty("--pw-color", o.color);
    var title = o.name || "Billing support";
    var panelId = this.id + "-panel";
    var logo = o.logo ? el("img", { class: "pw-logo", src: o.logo, alt: "" }) : null;
    this.log = el("div", { class: "pw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": "Conversation", tabindex: "0" });
    this.status = el("div", { class: "pw-sr", role: "status", "aria-live": "polite" });
    this.input = el("textarea", { id: this.id + "-input", rows: "1", maxlength: "4000",
      placeholder: "Type your message…", autocomplete: "off", "aria-describedby": this.id + "-hint" });
    this.send = el("button", { type: "submit", class: "pw-send" }, ["Send"]);
    var form = el("form", { class: "pw-form", onsubmit: function (e) { e.preventDefault(); self.submit(); } }, [
      el("label", { for: this.id + "-input", class: "pw-sr", text: "Message to " + title }),
      this.input, this.send,
      el("span", { id: this.id + "-hint", class: "pw-sr", text: "Enter sends, Shift+Enter adds a line." }),
    ]);
    this.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.submit(); }
    });
    this.typing = el("div", { class: "pw-typing", hidden: true, "aria-hidden": "true" }, [el("span"), el("span"), el("span")]);
    var closeBtn = inline ? null : el("button", { type: "button", class: "pw-close", "aria-label": "Close chat",
      onclick: function () { self.toggle(false); } }, ["×"]);
    this.panel = el("section", { id: panelId, class: "pw-panel", role: inline ? "region" : "dialog",
      "aria-label": title + " chat", hidden: !inline }, [
      el("header", { class: "pw-head" }, [logo, el("h2", { text: title }), closeBtn]),
      this.log, this.typing, this.status, form,
    ]);
    wrap.appendChild(this.panel);
    if (!inline) {
      this.launcher = el("button", { type: "button", class: "pw-launcher", "aria-controls": panelId,
        "aria-expanded": "false", "aria-label": "Open chat with " + title,
        onclick: function () { self.toggle(); } }, [logo ? logo.cloneNode() : "", el("span", { text: "Chat" })]);
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

  Widget.prototype.addMessage = function (who, text, citations, teammate) {
    var said = who === "customer" ? "You said: " : teammate ? "A teammate said: " : (this.o.name || "Agent") + " said: ";
    var bubble = el("div", { class: "pw-msg pw-" + who + (teammate ? " pw-teammate" : "") }, [
      el("span", { class: "pw-sr", text: said }),
      teammate ? el("span", { class: "pw-label", "aria-hidden": "true", text: "Teammate" }) : "",
      el("p", { text: text }),
    ]);
    if (citations && citations.length) {
      var list = el("ul", { class: "pw-cites", "aria-label": "Sources" });
      citations.forEach(function (c) {
        var label = c.document + (c.heading ? " › " + c.heading : "");
        list.appendChild(el("li", { title: c.snippet || "" }, [el("span", { class: "pw-cite-icon", "aria-hidden": "true", text: "📄" }), label]));
      });
      bubble.appendChild(el("div", { class: "pw-cites-wrap" }, [el("span", { class: "pw-cites-title", text: "Sources" }), list]));
    }
    this.log.appendChild(bubble);
    this.scroll();
    return bubble;
  };

  Widget.prototype.addConfirmation = function (ev, history) {
    var self = this;
    var yes = el("button", { type: "button", class: "pw-btn pw-yes" }, ["Confirm"]);
    var no = el("button", { type: "button", class: "pw-btn pw-no" }, ["Decline"]);
    var headingId = this.id + "-card-" + ev.action_id;
    var card = el("div", { class: "pw-card", role: "group", "aria-labelledby": headingId, "data-action-id": ev.action_id,
      "data-state": "open" }, [
      el("h3", { id: headingId, text: "Please confirm: " + humanize(ev.action) }),
      el("p", { text: ev.summary }),
      quoteList(ev.quote || {}),
      el("div", { class: "pw-actions" }, [yes, no]),
    ]);
    function answer(decision) {
      yes.disabled = no.disabled = true;
      card.setAttribute("data-state", decision === "yes" ? "confirmed" : "declined");
      card.appendChild(el("p", { class: "pw-note", text: decision === "yes" ? "You confirmed." : "You declined." }));
      self.post({ type: "confirm", action_id: ev.action_id, decision: decision }, null);
      self.input.focus();
    }
    yes.addEventListener("click", function () { answer("yes"); });
    no.addEventListener("click", function () { answer("no"); });
    this.cards[ev.action_id] = card;
    this.log.appendChild(card);
    this.scroll();
    if (!history) this.announce("Confirmation needed: " + ev.summary);
  };

  Widget.prototype.addPending = function (ev) {
    var card = el("div", { class: "pw-card pw-pending", "data-action-id": ev.action_id, "data-state": "pending" }, [
      el("h3", null, [el("span", { class: "pw-spinner", "aria-hidden": "true" }), "Awaiting approval"]),
      el("p", { text: ev.summary }),
      el("p", { class: "pw-note", text: "A teammate is reviewing this. You can keep this window open; the answer appears here." }),
    ]);
    this.pending[ev.action_id] = card;
    this.log.appendChild(card);
    this.scroll();
  };

  Widget.prototype.addResult = function (ev) {
    var icon = ev.status === "succeeded" ? "✓" : ev.status === "failed" ? "✗" : "!";
    var pending = this.pending[ev.action_id];
    if (pending) {
      pending.setAttribute("data-state", ev.status === "succeeded" ? "approved" : "closed");
      pending.classList.remove("pw-pending");
      var h = pending.querySelector("h3");
      if (h) h.textContent = ev.status === "succeeded" ? "Approved" : "Not approved";
      var note = pending.querySelector(".pw-note");
      if (note) note.textContent = ev.status === "succeeded" ? "A teammate approved this request." : "A teammate reviewed this request.";
      this.announce((ev.status === "succeeded" ? "Approved: " : "Update: ") + ev.summary);
      delete this.pending[ev.action_id];
    }
    var node = el("div", { class: "pw-result pw-" + ev.status, "data-action-id": ev.action_id, "data-status": ev.status }, [
      el("span", { class: "pw-icon", "aria-hidden": "true", text: icon }),
      el("span", { class: "pw-sr", text: ev.status + ": " }),
      el("span", { text: ev.summary }),
    ]);
    this.log.appendChild(node);
    this.scroll();
  };

  Widget.prototype.addHandoff = function (ev) {
    this.log.appendChild(el("div", { class: "pw-handoff", "data-reason": ev.reason }, [
      el("strong", { text: "Handed to a teammate. " }),
      el("span", { text: "A person from our team will continue this conversation here." }),
    ]));
    this.scroll();
  };

  /* -- a streaming reply: grown from message_delta, replaced by the turn's events ----------- */
  Widget.prototype.grow = function (delta) {
    // A delta arriving just after the turn's events settled belongs to that turn: drop it.
    if (!this.busy && !this.streaming && Date.now() - this.settledAt < 1500) return;
    if (!this.streaming) {
      this.streaming = el("div", { class: "pw-msg pw-agent pw-streaming", "aria-hidden": "true",
        "data-streaming": "" }, [el("p", { text: "" })]);
      this.log.appendChild(this.streaming);
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
    if (!history) this.settle();
    (events || []).forEach(function (ev) {
      if (ev.type === "message") self.addMessage("agent", ev.text, ev.citations, human);
      else if (ev.type === "confirmation_request") self.addConfirmation(ev, history);
      else if (ev.type === "approval_pending") self.addPending(ev);
      else if (ev.type === "action_result") self.addResult(ev);
      else if (ev.type === "handoff") self.addHandoff(ev);
      if (self.o.onEvent && !history) { try { self.o.onEvent(ev, source); } catch (e) { /* host callback */ } }
    });
    var last = events && events.length ? events[events.length - 1] : null;
    if (last && last.type === "message" && !history) this.announce(human ? "New message from a teammate" : "New message");
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
    card.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    card.setAttribute("data-state", decision === "yes" ? "confirmed" : "declined");
    card.appendChild(el("p", { class: "pw-note", text: decision === "yes" ? "You confirmed." : "You declined." }));
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
    var self = this;
    if (echo) this.addMessage("customer", echo, []);
    this.setBusy(true);
    return this.ensureConversation()
      .then(function (id) { return self.request("POST", "/api/conversations/" + encodeURIComponent(id) + "/events", event); })
      .then(function (data) { self.render(data.events, "turn"); })
      .catch(function (err) {
        self.settle();
        var text = err.status === 401 ? "We could not verify who you are. Please sign in again." :
          err.status === 429 ? "You're sending messages quickly — please wait a moment." :
          "Something went wrong: " + err.message;
        self.log.appendChild(el("div", { class: "pw-error", role: "alert", text: text }));
        self.scroll();
      })
      .then(function () { self.setBusy(false); });
  };

  Widget.prototype.submit = function () {
    var text = this.input.value.trim();
    if (!text || this.busy) return;
    this.input.value = "";
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

  if (script && script.dataset && script.dataset.customerId) {
    var d = script.dataset;
    var start = function () {
      window.Purser.widget = mount({ customerId: d.customerId, userHash: d.userHash, name: d.name, color: d.color,
        logo: d.logo, greeting: d.greeting, api: d.api, target: d.target });
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})();
