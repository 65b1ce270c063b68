/* The admin dashboard. Two ways in: a person's password (or SSO) opens a server-side session held in an
 * HttpOnly, SameSite=Strict cookie, and every state-changing request sends the session's CSRF token in
 * X-CSRF-Token; or an API token (a person's, or PURSER_ADMIN_TOKEN) kept in sessionStorage and sent as a
 * Bearer header from script (no cookie, so nothing to forge cross-site). */
(function () {
  "use strict";
  var KEY = "purser.admin.token";
  var $ = function (id) { return document.getElementById(id); };
  var flash = $("flash");
  var timer = null;

  function el(tag, text, cls, attrs) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = text;
    if (cls) n.className = cls;
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    return n;
  }
  function append(parent, children) { children.forEach(function (c) { if (c) parent.appendChild(c); }); return parent; }
  function token() { return sessionStorage.getItem(KEY); }
  var csrf = null; // the session's CSRF token (password or SSO sign-in); null with a Bearer token
  function api(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (token()) headers["Authorization"] = "Bearer " + token();
    else if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
    return fetch(path, {
      method: method, credentials: token() ? "omit" : "same-origin", headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (r.status === 401) { signOut("You are signed out (wrong token or the session ended); sign in again."); }
        if (!r.ok) throw new Error((d.error && d.error.message) || ("HTTP " + r.status));
        return d;
      });
    });
  }
  function say(text) { flash.textContent = text; }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }
  function money(a, c) { try { return new Intl.NumberFormat(undefined, { style: "currency", currency: String(c).toUpperCase() }).format(Number(a)); } catch (e) { return a + " " + c; } }
  function status(text) { return el("span", text, "status " + text); }
  function pre(obj) { return el("pre", JSON.stringify(obj, null, 2)); }
  /* A model's cost in USD: millionths below a cent ("0.000213", no trailing zeros), cents above; "0" for nothing. */
  function usd(x) {
    var n = Number(x);
    if (!n) return "0";
    if (n >= 0.01) return n.toFixed(2);
    var s = n.toFixed(6).replace(/0+$/, "");
    return s === "0." ? "< 0.000001" : s;
  }
  function spaced(obj) { return JSON.stringify(obj === undefined ? null : obj, null, 1).replace(/\s*\n\s*/g, " "); } // one line that wraps between values
  function words(name) { return String(name || "").replace(/_/g, " "); } // snake_case names read as words
  /* The team's desk (inbox.js): the inbox, conversation list and search, customer panel, notes, audit sentences. */
  var desk = window.PurserInbox({ el: el, append: append, api: api, say: say, when: when, money: money, status: status,
    channelName: function (c) { return CHANNEL_NAMES[c] || c || "—"; }, openConversation: function (id) { openLinked(id); },
    badge: inboxBadge, show: function (name) { show(name); } });
  function inboxBadge(n) { var b = $("inbox-count"); b.hidden = !n; b.textContent = String(n); b.setAttribute("aria-label", n + " need a person"); }
  /* /admin#conversation=<id> opens that conversation (the inbox links there). */
  function openLinked(id) {
    var target = "#conversation=" + encodeURIComponent(id);
    if (location.hash !== target) history.pushState(null, "", target);
    if ($("view-conversations").hidden) show("conversations");
    openConversation(id);
  }
  function linked() { var m = /^#conversation=(.+)$/.exec(location.hash); return m ? decodeURIComponent(m[1]) : null; }
  window.addEventListener("hashchange", function () { if (linked() && !$("app").hidden) openLinked(linked()); });

  /* -- login ------------------------------------------------------------------------------- */
  function signOut(message) {
    if (csrf && !token()) fetch("/api/session/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
    csrf = null;
    $("whoami").textContent = "";
    sessionStorage.removeItem(KEY);
    if (timer) clearInterval(timer);
    $("app").hidden = true; $("logout").hidden = true; $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("login-name").focus();
  }
  function signedIn(me) {
    if (me && me.name) $("whoami").textContent = "Signed in as " + me.name + " (" + me.role + ")";
    $("login").hidden = true; $("app").hidden = false; $("logout").hidden = false;
    if (linked()) openLinked(linked()); else show("approvals");
    timer = setInterval(function () { loadApprovals(false); if ($("view-inbox").hidden) inboxCount(); }, 5000);
    inboxCount();
  }
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    api("GET", "/api/session/me").then(signedIn).catch(function (err) { signOut(err.message); });
  });
  $("logout").addEventListener("click", function () { signOut("Signed out."); });
  $("password-form").addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.removeItem(KEY);
    fetch("/api/session/login", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: $("login-name").value.trim(), password: $("login-password").value }) })
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error((d.error && d.error.message) || ("HTTP " + r.status)); return d; }); })
      .then(function (me) { $("login-password").value = ""; csrf = me.csrf_token; signedIn(me); })
      .catch(function (err) { $("login-error").textContent = err.message; });
  });
  $("sso").addEventListener("click", function () { window.location.href = "/api/session/sso"; });

  /* -- tabs (WAI-ARIA tabs pattern: arrows move, Enter/Space or click selects) ------------- */
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  var loaders = { inbox: function () { return desk.loadInbox($("view-inbox")); }, approvals: loadApprovals, handoffs: loadHandoffs, conversations: loadConversations,
    audit: loadAudit, metrics: loadMetrics, dunning: loadDunning, policy: loadPolicy };
  function show(name) {
    tabs.forEach(function (t) {
      var on = t.id === "tab-" + name;
      t.setAttribute("aria-selected", String(on)); t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    });
    say("");
    loaders[name](true);
  }
  tabs.forEach(function (t, i) {
    t.addEventListener("click", function () { show(t.id.slice(4)); });
    t.addEventListener("keydown", function (e) {
      var j = e.key === "ArrowRight" ? (i + 1) % tabs.length : e.key === "ArrowLeft" ? (i - 1 + tabs.length) % tabs.length :
        e.key === "Home" ? 0 : e.key === "End" ? tabs.length - 1 : -1;
      if (j >= 0) { e.preventDefault(); tabs[j].focus(); show(tabs[j].id.slice(4)); }
    });
  });

  /* -- approvals ---------------------------------------------------------------------------- */
  function loadApprovals(render) {
    return api("GET", "/api/admin/approvals").then(function (d) {
      var pending = d.approvals.filter(function (a) { return a.status === "pending"; });
      var badge = $("approvals-count");
      badge.hidden = !pending.length; badge.textContent = String(pending.length);
      badge.setAttribute("aria-label", pending.length + " pending");
      if (render === false && !$("view-approvals").hidden && document.activeElement && document.activeElement.closest &&
          document.activeElement.closest("#view-approvals form")) return; // do not redraw under the user's cursor
      if (render !== false || !$("view-approvals").hidden) renderApprovals(d.approvals);
    }).catch(function (e) { say(e.message); });
  }
  function renderApprovals(items) {
    var view = $("view-approvals");
    view.textContent = "";
    view.appendChild(el("h2", "Approvals inbox"));
    if (!items.length) { view.appendChild(el("p", "No approval requests.", "hint")); return; }
    items.forEach(function (a) {
      var card = el("article", null, "card", { "data-approval-id": a.id, "aria-labelledby": "apr-" + a.id });
      append(card, [
        el("h3", (words(a.action) || "action") + (a.amount ? " · " + money(a.amount, a.currency) : ""), null, { id: "apr-" + a.id }),
        append(el("p"), [status(a.status), document.createTextNode(" " + (a.summary || ""))]),
        el("p", "Customer " + a.customer_id + " · conversation " + a.conversation_id + " · why: " + (words(a.reason) || "—") + " · " + when(a.created_at), "hint"),
      ]);
      var openConv = el("button", "Open conversation", "btn secondary", { type: "button" });
      openConv.addEventListener("click", function () { show("conversations"); openConversation(a.conversation_id); });
      card.appendChild(openConv);
      if (a.status === "pending" && a.signers && a.signers.length) {
        card.appendChild(el("p", "Approved so far by " + a.signers.join(", ") + "; a second approver is needed (two-person approval).", "hint"));
      }
      if (a.status === "pending") {
        var form = el("form", null, null, { "aria-label": "Decide " + a.id });
        var rid = "reason-" + a.id;
        var reason = el("textarea", null, null, { id: rid, rows: "2", maxlength: "2000" });
        var approve = el("button", "Approve", "btn", { type: "submit", value: "approve" });
        var deny = el("button", "Deny", "btn danger", { type: "submit", value: "deny" });
        append(form, [el("label", "Reason (recorded in the audit log)", null, { for: rid }), reason, approve, document.createTextNode(" "), deny]);
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          var decision = (e.submitter && e.submitter.value) || "approve";
          approve.disabled = deny.disabled = true;
          api("POST", "/api/admin/approvals/" + encodeURIComponent(a.id), { decision: decision, reason: reason.value })
            .then(function (r) {
              if (r.status === "pending") say("Your approval of " + a.id + " is recorded; a second, different approver must approve it too.");
              else say((decision === "approve" ? "Approved " : "Denied ") + a.id + "; the conversation " + r.conversation_id + " resumed.");
              return loadApprovals(true);
            })
            .catch(function (err) { approve.disabled = deny.disabled = false; say("Could not decide: " + err.message); });
        });
        card.appendChild(form);
      } else {
        card.appendChild(el("p", "Decided by " + (a.decided_by || "—") + " at " + when(a.decided_at) + (a.decision_reason ? ": " + a.decision_reason : ""), "hint"));
      }
      view.appendChild(card);
    });
  }

  /* -- handoffs ----------------------------------------------------------------------------- */
  function loadHandoffs() {
    var view = $("view-handoffs");
    api("GET", "/api/admin/handoffs").then(function (d) {
      view.textContent = "";
      view.appendChild(el("h2", "Handoff inbox"));
      if (!d.handoffs.length) view.appendChild(el("p", "No handoffs.", "hint"));
      d.handoffs.forEach(function (h) {
        var open = el("button", "Open conversation", "btn secondary", { type: "button" });
        open.addEventListener("click", function () { show("conversations"); openConversation(h.conversation_id); });
        view.appendChild(append(el("article", null, "card"), [
          el("h3", (h.reason || "handoff").replace(/_/g, " ") + " · " + h.customer_id),
          el("p", h.summary || ""), el("p", when(h.created_at) + " · " + (CHANNEL_NAMES[h.channel] || h.channel) + " · " + h.conversation_id, "hint"), open]));
      });
    }).catch(function (e) { say(e.message); });
  }

  /* -- conversations ------------------------------------------------------------------------ */
  function inboxCount() { api("GET", "/api/admin/inbox?names=false").then(function (d) { inboxBadge(d.items.length); }).catch(function () {}); }
  function loadConversations() { return desk.loadConversations($("conv-list"), $("conv-q").value); }
  $("conv-search").addEventListener("submit", function (e) { e.preventDefault(); loadConversations(); });
  function entryText(e) {
    var ev = e.event || e;
    var who = e.role || e.source || e.kind || (ev.type ? "agent" : "");
    var text = ev.text || ev.summary || ev.reason || "";
    return { who: who, type: ev.type || e.type || "", text: text, raw: ev };
  }
  function openConversation(id) {
    document.querySelectorAll("#conv-list button").forEach(function (b) { b.setAttribute("aria-current", String(b.getAttribute("data-conversation-id") === id)); });
    var box = $("conv-detail");
    box.textContent = "Loading…";
    api("GET", "/api/admin/conversations/" + encodeURIComponent(id)).then(function (c) {
      box.textContent = "";
      var main = el("div", null, "conv-main"), aside = el("aside", null, "card customer-panel", { id: "customer-panel", "aria-label": "Customer" });
      append(box, [el("h2", "Conversation"), append(el("div", null, "conv-grid"), [main, aside])]);
      append(main, [el("p", (CHANNEL_NAMES[c.channel] || c.channel || "") + " · " + c.id + " · ", "hint")]);
      main.lastChild.appendChild(el("span", words(c.status || "open"), "status " + (c.status || "open")));
      desk.customerPanel(aside, c.id);
      desk.markRead(c.id).then(function () { var mark = document.querySelector("#conv-list button[data-conversation-id='" + CSS.escape(c.id) + "'] .unread"); if (mark) mark.remove(); });
      box = main; // the conversation's cards go in the main column, the customer beside them
      var tr = el("section", null, "card"); tr.appendChild(el("h3", "Transcript"));
      (c.transcript || []).forEach(function (e) {
        var t = entryText(e);
        var row = el("div", null, "turn " + (/customer|user/.test(t.who) ? "customer" : "agent"));
        row.appendChild(el("strong", (t.who || "") + (t.type ? " · " + t.type : "") + ": "));
        row.appendChild(document.createTextNode(t.text || JSON.stringify(t.raw)));
        tr.appendChild(row);
      });
      box.appendChild(tr);
      if (c.status === "handed_off") box.appendChild(replyBox(c.id, c.channel));
      var work = c.assignment || {};
      box.appendChild(desk.workBox(c.id, work.resolved_by ? null : work.assignee));
      if (work.resolved_by) $("work-status").textContent = "Resolved by " + work.resolved_by;
      box.appendChild(desk.notesBox(c.id));
      var tc = el("section", null, "card"); tc.appendChild(el("h3", "Tool calls"));
      var rows = (c.tool_calls || []).map(function (t) { return [words(t.action), words(t.status) + (t.reason ? " (" + words(t.reason) + ")" : ""), spaced(t.arguments), t.summary || ""]; });
      tc.appendChild(table(["Action", "Outcome", "Arguments", "Summary"], rows, [2])); box.appendChild(tc);
      var gd = el("section", null, "card"); gd.appendChild(el("h3", "Guard decisions"));
      gd.appendChild(table(["#", "Action", "Decision", "Reason", "Summary"], (c.audit || []).filter(function (r) { return r.kind === "guard_decision"; }).map(function (r) {
        var d = r.data || {}; return [String(r.seq), words(d.action), words(d.status), words(d.reason), d.summary || ""];
      })));
      box.appendChild(gd);
      var au = el("section", null, "card"); au.appendChild(el("h3", "Audit records"));
      au.appendChild(table(["#", "When (wall clock)", "What happened"], (c.audit || []).map(function (r) { return [String(r.seq), when(r.at), desk.auditEntry(r)]; })));
      box.appendChild(au);
      if (c.usage) { var us = el("section", null, "card"); append(us, [el("h3", "Usage and cost"), usageTable(c.usage)]); box.appendChild(us); }
    }).catch(function (e) { box.textContent = "Could not load: " + e.message; });
  }
  /* A conversation's model usage: one row per model and the total (the JSON stays available in the API). */
  function usageTable(u) {
    var per = u.per_model || {};
    var rows = Object.keys(per).map(function (k) {
      var m = per[k];
      return [m.model || k, String(m.requests), String(m.input_tokens), String(m.output_tokens), m.priced === false ? "not priced" : usd(m.cost_usd)];
    });
    if (rows.length !== 1) rows.push(["Total", String(u.requests), String(u.input_tokens), String(u.output_tokens), usd(u.cost_usd)]);
    var t = table(["Model", "Requests", "Input tokens", "Output tokens", "Cost USD"], rows, [0]);
    return append(el("div"), [t, el("p", (u.turns === undefined ? "" : u.turns + (u.turns === 1 ? " turn · " : " turns · ")) + "cost in USD at the configured prices.", "hint")]);
  }
  /* A teammate answers the customer in a handed-off conversation (it reaches the open widget live),
   * or hands the conversation back to the agent. */
  var CHANNEL_NAMES = { web: "chat widget", slack: "Slack", whatsapp: "WhatsApp", discord: "Discord", email: "email" };
  function replyBox(id, channel) {
    var where = CHANNEL_NAMES[channel] || "chat";
    var form = el("form", null, "card reply", { "aria-labelledby": "reply-title" });
    var text = el("textarea", null, null, { id: "reply-text", rows: "3", maxlength: "4000", required: "required" });
    var send = el("button", "Send reply", "btn", { type: "submit" });
    var back = el("button", "Hand back to the agent", "btn secondary", { type: "button" });
    append(form, [el("h3", "Reply to the customer", null, { id: "reply-title" }),
      el("p", "The agent handed this conversation to a human; your reply reaches the customer in " + where + ", marked as from a teammate.", "hint"),
      el("label", "Your reply", null, { for: "reply-text" }), text, append(el("div", null, "actions"), [send, back])]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!text.value.trim()) { say("Write a reply first."); text.focus(); return; }
      send.disabled = true;
      api("POST", "/api/admin/conversations/" + encodeURIComponent(id) + "/reply", { text: text.value })
        .then(function () { say("Reply sent to the customer."); openConversation(id); })
        .catch(function (err) { send.disabled = false; say("Could not send: " + err.message); });
    });
    back.addEventListener("click", function () {
      back.disabled = true;
      api("POST", "/api/admin/conversations/" + encodeURIComponent(id) + "/release")
        .then(function () { say("The agent has the conversation again."); openConversation(id); })
        .catch(function (err) { back.disabled = false; say("Could not hand back: " + err.message); });
    });
    return form;
  }
  /* `loose`: the columns holding ids, hashes or JSON, which may break anywhere; words elsewhere never split. */
  function table(headers, rows, loose) {
    var t = el("table"); var tr = el("tr");
    headers.forEach(function (h) { tr.appendChild(el("th", h, null, { scope: "col" })); });
    t.appendChild(append(el("thead"), [tr]));
    var tb = el("tbody");
    if (!rows.length) { var r = el("tr"); var td = el("td", "none"); td.colSpan = headers.length; r.appendChild(td); tb.appendChild(r); }
    rows.forEach(function (cells) {
      var r = el("tr");
      cells.forEach(function (c, i) {
        var cls = (loose || []).indexOf(i) >= 0 ? "loose" : null;
        r.appendChild(c instanceof Node ? append(el("td", null, cls), [c]) : el("td", c, cls));
      });
      tb.appendChild(r);
    });
    t.appendChild(tb); return t;
  }

  /* -- audit -------------------------------------------------------------------------------- */
  function loadAudit() {
    var view = $("view-audit");
    api("GET", "/api/admin/audit?limit=200").then(function (d) {
      view.textContent = "";
      var verify = el("button", "Verify the chain", "btn", { type: "button", id: "verify" });
      var result = el("p", "", null, { role: "status", id: "verify-result" });
      verify.addEventListener("click", function () {
        verify.disabled = true; result.textContent = "Verifying…";
        api("POST", "/api/admin/audit/verify").then(function (v) {
          result.textContent = "";
          result.appendChild(status(v.ok ? "ok" : "bad"));
          result.appendChild(document.createTextNode(v.ok ? " Intact: " + v.records + " records verified." : " Broken at record " + v.bad_seq + ": " + v.problem));
        }).catch(function (e) { result.textContent = e.message; }).then(function () { verify.disabled = false; });
      });
      append(view, [el("h2", "Audit log (" + d.total + " records, newest first)"),
        el("p", "Times here are the wall clock (your computer's time zone). Dates in quotes, invoices, Metrics and Dunning follow the processor's clock, which is the sandbox's own clock in the demo.", "hint clocks"),
        verify, result,
        table(["#", "When (wall clock)", "What happened", "Conversation", "Hash"], d.records.map(function (r) {
          return [String(r.seq), when(r.at), desk.auditEntry(r), r.conversation_id || "", r.hash.slice(0, 12) + "…"];
        }), [3, 4])]);
    }).catch(function (e) { say(e.message); });
  }

  /* -- metrics ------------------------------------------------------------------------------ */
  function chartCard(title, svg, extra) {
    var c = el("figure", null, "card chart"); c.appendChild(el("figcaption", title)); c.appendChild(svg);
    (extra || []).forEach(function (x) { c.appendChild(x); });
    return c;
  }
  function loadMetrics() {
    var view = $("view-metrics");
    var C = window.PurserCharts;
    api("GET", "/api/admin/metrics").then(function (m) {
      view.textContent = "";
      view.appendChild(el("h2", "Metrics"));
      var grid = el("div", null, "charts");
      var a = m.automation, r = m.refunds, l = m.latency;
      grid.appendChild(chartCard("Automation rate", C.donut("Automation rate " + a.automation_rate_percent + "%", Number(a.automation_rate_percent)),
        [el("p", a.automated + " of " + a.conversations + " conversations without a human; " + a.handed_off + " handed off.", "hint")]));
      grid.appendChild(chartCard("Refunds today against the daily budget",
        C.gauge("Refunds today", Number(r.used_today), Number(r.daily_budget), { currency: r.currency }),
        [el("p", "Per-refund cap: " + (isNaN(Number(r.per_refund_cap)) ? "one billing cycle of the customer's plan" : money(r.per_refund_cap, r.currency)) + " · per customer: " + r.per_customer_count + " in " + r.per_customer_days + " days · today " + r.today + " (processor clock)", "hint")]));
      grid.appendChild(chartCard("Refunds per day (last 14 days, processor clock) and the daily budget",
        C.bars("Refunds per day", r.series.map(function (s) { return { label: s.day, short: s.day.slice(5), value: Number(s.amount) }; }),
          { currency: r.currency, limit: { value: Number(r.daily_budget), label: "budget " + money(r.daily_budget, r.currency) } })));
      var cap = Number(r.per_refund_cap);
      grid.appendChild(chartCard("Today's refunds against the per-refund cap",
        C.bars("Today's refunds", r.today_refunds.map(function (x, i) { return { label: x.charge_id, short: String(i + 1), value: Number(x.amount), color: x.approved ? "#d97706" : "#4f46e5" }; }),
          { currency: r.currency, limit: isNaN(cap) ? null : { value: cap, label: "cap " + money(cap, r.currency) } }),
        [el("p", isNaN(cap) ? "Cap: one billing cycle of the customer's plan (varies per customer). Amber = approved by a human." : "Amber = approved by a human.", "hint")]));
      grid.appendChild(chartCard("Cost per resolved conversation by model (USD)",
        C.bars("Cost per resolved conversation", a.cost_by_model.map(function (x) { return { label: x.model, value: Number(x.cost_per_resolved_usd || 0) }; }), {}),
        [table(["Model", "Conversations", "Resolved", "Cost USD", "Per resolved"], a.cost_by_model.map(function (x) { return [x.model, String(x.conversations), String(x.resolved), usd(x.cost_usd), x.cost_per_resolved_usd ? usd(x.cost_per_resolved_usd) : "—"]; }), [0])]));
      grid.appendChild(chartCard("Reply latency (" + l.turns + " turns)",
        C.bars("Reply latency histogram", l.histogram.map(function (h) { return { label: h.label, short: h.label.replace(" ms", ""), value: h.count }; }), {}),
        [el("p", "p50 " + (l.p50_ms === null ? "—" : l.p50_ms + " ms") + " · p90 " + (l.p90_ms === null ? "—" : l.p90_ms + " ms") + " · p99 " + (l.p99_ms === null ? "—" : l.p99_ms + " ms"), "hint")]));
      var sh = m.shadow;
      if (sh && (sh.proposals || sh.mode === "shadow" || sh.shadowed_actions.length)) {
        grid.appendChild(chartCard("Shadow mode: would-be automation rate", C.donut("Would-be automation " + sh.would_be_automation_percent + "%", Number(sh.would_be_automation_percent)),
          [el("p", sh.proposals + " of " + sh.writes_asking_a_person + " writes that asked a person would have run on their own (" + (sh.mode === "shadow" ? "every action" : sh.shadowed_actions.join(", ") || "no action") + " in shadow).", "hint"),
           table(["Action", "Proposals", "Accepted as proposed", "Denied", "Pending", "Accepted %"], sh.by_action.map(function (x) { return [x.action, String(x.proposals), String(x.approved), String(x.denied), String(x.pending), x.accepted_percent + "%"]; }))]));
      }
      view.appendChild(grid);
    }).catch(function (e) { say(e.message); });
  }

  /* -- dunning (DESIGN §10): cases, recovered revenue, recovery rate, time to recovery ----------- */
  function loadDunning() {
    var view = $("view-dunning");
    var C = window.PurserCharts;
    api("GET", "/api/admin/dunning").then(function (d) {
      view.textContent = "";
      view.appendChild(el("h2", "Dunning"));
      var grid = el("div", null, "charts");
      var rate = d.recovery_rate_percent;
      grid.appendChild(chartCard("Recovery rate", C.donut("Recovery rate " + (rate === null ? "—" : rate + "%"), Number(rate || 0)),
        [el("p", d.recovered + " recovered of " + (d.recovered + d.lost + d.canceled) + " closed cases; " + d.open + " open.", "hint")]));
      grid.appendChild(chartCard("Cases by status",
        C.bars("Cases by status", [
          { label: "open", value: d.open, color: "#4f46e5" }, { label: "recovered", value: d.recovered, color: "#059669" },
          { label: "lost", value: d.lost, color: "#dc2626" }, { label: "canceled", value: d.canceled, color: "#6b7280" }], {}),
        [table(["Recovered by", "Cases"], Object.keys(d.recovered_by).map(function (k) { return [k, String(d.recovered_by[k])]; }))]));
      var ttr = d.median_seconds_to_recovery;
      grid.appendChild(chartCard("Recovered revenue",
        C.bars("Recovered revenue per currency", d.recovered_revenue.map(function (m) { return { label: m.currency.toUpperCase(), value: Number(m.amount) }; }), {}),
        [table(["Recovered", "Still open"], [[d.recovered_revenue.map(function (m) { return money(m.amount, m.currency); }).join(", ") || "—",
          d.open_revenue.map(function (m) { return money(m.amount, m.currency); }).join(", ") || "—"]]),
         el("p", "Median time to recovery: " + (ttr === null ? "—" : (ttr / 3600).toFixed(1) + " hours") + " (processor clock).", "hint")]));
      view.appendChild(grid);
    }).catch(function (e) { say(e.message); });
  }

  /* -- policy ------------------------------------------------------------------------------- */
  function loadPolicy() {
    var view = $("view-policy");
    api("GET", "/api/admin/policy").then(function (p) {
      view.textContent = "";
      append(view, [el("h2", "Policy in force"),
        el("p", "Write actions: " + (p.writes_enabled ? "on" : "OFF (strict mode: the knowledge-base lint failed)") + " · identity verification: " + (p.identity_verification ? "on" : "off (demo)"), "hint"),
        pre(p.policy)]);
      if (p.kb_lint && p.kb_lint.length) {
        var ul = el("ul"); p.kb_lint.forEach(function (x) { ul.appendChild(el("li", x)); });
        append(view, [el("h3", "Knowledge-base lint at start-up"), ul]);
      }
    }).catch(function (e) { say(e.message); });
  }

  fetch("/api/session/methods").then(function (r) { return r.json(); })
    .then(function (m) { $("sso").hidden = !m.sso; }).catch(function () { $("sso").hidden = true; });
  if (token()) api("GET", "/api/session/me").then(signedIn).catch(function () { signOut(""); });
  else fetch("/api/session/me", { credentials: "same-origin" }).then(function (r) {
    if (!r.ok) { signOut(""); return; }
    return r.json().then(function (me) { csrf = me.csrf_token || null; signedIn(me); });
  }).catch(function () { signOut(""); });
})();
