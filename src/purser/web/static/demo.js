/* The demo page: pick a seeded customer, chat through the widget, watch the account change. */
(function () {
  "use strict";
  var select = document.getElementById("customer");
  var account = document.getElementById("account");
  var updated = document.getElementById("acct-updated");
  var mode = document.getElementById("mode");
  var widget = null;

  function el(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = text;
    if (cls) n.className = cls;
    return n;
  }
  // The same formats as the widget's cards and the server's messages: "$20.00" and "1 December 2026" (UTC day).
  function money(amount, currency) {
    if (amount === null || amount === undefined) return "—";
    try { return new Intl.NumberFormat("en-US", { style: "currency", currency: String(currency).toUpperCase() }).format(String(amount)); }
    catch (e) { return amount + " " + currency; }
  }
  function date(iso) {
    return iso ? new Date(iso).toLocaleDateString("en-GB", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" }) : "—";
  }
  function words(name) { return String(name || "").replace(/_/g, " "); } // "past_due" reads "past due"
  function getJSON(url) {
    return fetch(url).then(function (r) {
      return r.json().then(function (d) { if (!r.ok) throw new Error((d.error && d.error.message) || r.status); return d; });
    });
  }
  /* `loose`: columns of ids, which may break anywhere; words elsewhere never split. */
  function table(caption, headers, rows, loose) {
    var t = el("table"); t.appendChild(el("caption", caption));
    var tr = el("tr"); headers.forEach(function (h) { var th = el("th", h); th.scope = "col"; tr.appendChild(th); });
    var thead = el("thead"); thead.appendChild(tr); t.appendChild(thead);
    var tb = el("tbody");
    if (!rows.length) { var r = el("tr"); var td = el("td", "none"); td.colSpan = headers.length; r.appendChild(td); tb.appendChild(r); }
    rows.forEach(function (cells) {
      var r = el("tr");
      cells.forEach(function (c, i) { r.appendChild(el("td", c, (loose || []).indexOf(i) >= 0 ? "loose" : null)); });
      tb.appendChild(r);
    });
    t.appendChild(tb); return t;
  }
  function renderAccount(a) {
    account.textContent = "";
    var c = a.customer || {};
    var dl = el("dl", null, "facts");
    function fact(k, v) { dl.appendChild(el("dt", k)); dl.appendChild(el("dd", v)); }
    fact("Customer", (c.name || "") + " <" + (c.email || "") + ">");
    var s = a.subscription;
    if (s) {
      fact("Plan", s.plan.name + " · " + money(s.plan.amount, s.plan.currency) + "/" + s.plan.interval + (s.plan.per_seat ? " per seat" : ""));
      fact("Seats", String(s.quantity));
      fact("Status", words(s.status) + (s.cancel_at_period_end ? " (cancels at period end)" : "") + (s.resumes_at ? " (resumes " + date(s.resumes_at) + ")" : ""));
      fact("Current period", date(s.current_period_start) + " – " + date(s.current_period_end));
      if (s.scheduled_plan || s.scheduled_quantity) fact("Scheduled", (s.scheduled_plan || "") + (s.scheduled_quantity ? " × " + s.scheduled_quantity : ""));
    } else fact("Subscription", "none");
    if (a.next_invoice) fact("Next invoice", date(a.next_invoice.date) + " · " + money(a.next_invoice.amount, a.next_invoice.currency));
    if (a.payment_method) fact("Card", a.payment_method.brand + " •••• " + a.payment_method.last4 + " exp " + a.payment_method.exp + (a.payment_method.expired ? " (expired)" : ""));
    if (a.past_due) fact("Past due", money(a.past_due.amount, a.past_due.currency));
    account.appendChild(dl);
    account.appendChild(table("Charges", ["Date", "Amount", "Status", "Refunded"], (a.charges || []).map(function (ch) {
      return [date(ch.created), money(ch.amount, ch.currency), words(ch.status) + (ch.disputed ? " (disputed)" : ""), money(ch.refunded, ch.currency)];
    })));
    account.appendChild(table("Refunds", ["Date", "Charge", "Amount"], (a.refunds || []).map(function (r) {
      return [date(r.created), r.charge, money(r.amount, r.currency)];
    }), [1]));
    account.appendChild(table("Invoices", ["Number", "Date", "Total", "Status"], (a.invoices || []).map(function (i) {
      return [i.number, date(i.created), money(i.total, i.currency), words(i.status)];
    })));
  }
  function refresh() {
    var id = select.value;
    if (!id) return;
    account.setAttribute("aria-busy", "true");
    getJSON("/api/demo/customers/" + encodeURIComponent(id)).then(function (a) {
      // Two picks in a row send two requests; an answer for a customer no longer picked is stale.
      if (select.value !== id) return;
      renderAccount(a);
      updated.textContent = "Updated " + new Date().toLocaleTimeString();
    }).catch(function (e) { if (select.value === id) account.textContent = "Could not load the account: " + e.message; })
      .then(function () { if (select.value === id) account.setAttribute("aria-busy", "false"); });
  }
  function start(fresh) {
    if (widget) widget.destroy();
    var id = select.value;
    if (!id) return;
    try { sessionStorage.setItem("purser.demo.customer", id); } catch (e) { /* no storage */ }
    var target = document.getElementById("chat");
    target.textContent = "";
    widget = window.Purser.mount({
      customerId: id, target: target, name: "Purser Billing", color: "#4f46e5", fresh: fresh === true,
      greeting: "Hi " + select.options[select.selectedIndex].text.split(" (")[0] + "! I can look up charges, refund, change plans or seats, pause or cancel. What can I do for you?",
      onEvent: function (ev) { if (ev.type === "action_result" || ev.type === "approval_pending" || ev.type === "handoff") refresh(); },
    });
    refresh();
  }
  getJSON("/api/health").then(function (h) {
    mode.textContent = h.identity_verification
      ? "Identity verification is on: this demo page is disabled. Embed /widget.js with a user hash instead."
      : "Demo mode: identity verification is off, so you may act as any seeded customer. Never run a public server like this.";
    if (h.identity_verification) { select.disabled = true; return; }
    return getJSON("/api/demo/customers").then(function (d) {
      select.textContent = "";
      d.customers.forEach(function (c) { var o = el("option", c.name + " (" + c.id + ")"); o.value = c.id; select.appendChild(o); });
      if (!d.customers.length) { select.appendChild(el("option", "No customers: run `purser sandbox seed`")); return; }
      var saved = null;
      try { saved = sessionStorage.getItem("purser.demo.customer"); } catch (e) { saved = null; }
      if (saved && d.customers.some(function (c) { return c.id === saved; })) select.value = saved;
      start(false);
    });
  }).catch(function (e) { mode.textContent = "Could not reach the server: " + e.message; });
  select.addEventListener("change", function () { start(false); });
  document.getElementById("restart").addEventListener("click", function () { start(true); });
})();
