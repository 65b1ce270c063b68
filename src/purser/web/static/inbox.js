/* The team's desk inside the dashboard (admin.js builds it with its helpers): the inbox of everything that
 * needs a person, the conversation list with names, previews and search, the customer panel beside a
 * conversation, claim / assign / resolve, private notes (the team's only: never sent to the customer), and
 * audit records as sentences with their JSON on demand. Server data is always set as text, never as HTML. */
window.PurserInbox = function (kit) {
  "use strict";
  var el = kit.el, append = kit.append, api = kit.api, say = kit.say;

  /* Why a person is needed, in words (handoff triggers and approval reasons); unknown ones read as words. */
  var REASONS = {
    dispute: "Disputed charge", fraud: "Possible fraud", legal_threat: "Legal threat", human_request: "Asked for a person",
    abuse: "Abusive messages", repeated_failure: "The agent kept failing", out_of_scope: "Outside what the agent does",
    per_refund_max: "Refund above the per-refund cap", window: "Outside the refund window", count: "Too many refunds for this customer",
    daily_budget: "Over the daily refund budget", max_seat_change: "Large seat change", shadow: "Shadow mode: check the proposal",
  };
  function reason(r) { return REASONS[r] || (r ? (r.charAt(0).toUpperCase() + r.slice(1)).replace(/_/g, " ") : "Handed to a person"); }
  function words(text) { return String(text || "").replace(/_/g, " "); }
  function date(iso) { return iso ? new Date(iso).toLocaleDateString(undefined, { dateStyle: "long" }) : "—"; }
  function amount(m) { return m ? kit.money(m.amount, m.currency) : "—"; }
  function ago(iso) {
    var s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (s < 10) return "just now";
    var units = [[86400, "day"], [3600, "hour"], [60, "minute"], [1, "second"]];
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(s / units[i][0]);
      if (n >= 1) return n + " " + units[i][1] + (n === 1 ? "" : "s") + " ago";
    }
    return "just now";
  }
  function link(cid) { return "#conversation=" + encodeURIComponent(cid); }
  /* New since this person last opened it (the server keeps one mark per person and conversation). */
  function unreadMark(unread) { return unread ? el("span", "New", "unread", { title: "Something happened since you last opened it" }) : null; }
  function markRead(cid) { return api("POST", "/api/admin/conversations/" + encodeURIComponent(cid) + "/read").catch(function () {}); }

  /* -- the inbox ---------------------------------------------------------------------------- */
  function loadInbox(view) {
    return api("GET", "/api/admin/inbox").then(function (d) {
      view.textContent = "";
      view.appendChild(el("h2", "Inbox: everything that needs a person"));
      kit.badge(d.items.length);
      if (!d.items.length) { view.appendChild(el("p", "Nothing needs a person right now.", "hint")); return; }
      d.items.forEach(function (i) {
        var who = i.customer_name || i.customer_id;
        var kind = i.kind === "approval" ? "Approval" : "Handoff";
        var title = kind + " · " + who + (i.amount ? " · " + amount(i.amount) : "");
        var card = el("article", null, "card inbox-item", { "data-kind": i.kind, "data-conversation-id": i.conversation_id });
        append(card, [
          append(el("h3", title + " "), [unreadMark(i.unread)]),
          append(el("p"), [el("span", i.kind === "approval" ? "pending" : "handed off", "status " + (i.kind === "approval" ? "pending" : "handed_off")), document.createTextNode(" " + reason(i.reason))]),
          i.summary ? el("p", i.kind === "approval" ? i.summary : i.summary.split("\n").slice(-2).join(" · "), "summary") : null,
          el("p", [kit.channelName(i.channel), ago(i.created_at), i.assignee ? "assigned to " + i.assignee : "unassigned"].join(" · "), "hint"),
          el("a", "Open conversation", "btn secondary", { href: link(i.conversation_id) }),
        ]);
        if (i.kind === "approval") {
          var decide = el("button", "Decide in Approvals", "btn", { type: "button" });
          decide.addEventListener("click", function () { kit.show("approvals"); });
          append(card, [document.createTextNode(" "), decide]);
        }
        view.appendChild(card);
      });
    }).catch(function (e) { say(e.message); });
  }

  /* -- the conversation list ---------------------------------------------------------------- */
  function loadConversations(list, query) {
    var q = (query || "").trim();
    return api("GET", "/api/admin/conversations?limit=100" + (q ? "&q=" + encodeURIComponent(q) : "")).then(function (d) {
      list.textContent = "";
      if (!d.conversations.length) list.appendChild(el("li", q ? "No conversation matches “" + q + "”." : "No conversations yet.", "hint"));
      d.conversations.forEach(function (c) {
        var b = el("button", null, "conv-row", { type: "button", "data-conversation-id": c.id });
        var state = words(c.status) + (c.assignee ? " · " + c.assignee : "");
        append(b, [
          append(el("span", null, "conv-head"), [append(el("strong", (c.customer_name || c.customer_id) + " "), [unreadMark(c.unread)]), el("span", ago(c.updated_at || c.created_at), "hint")]),
          el("span", kit.channelName(c.channel) + " · " + state, "hint conv-meta"),
          c.last_reply ? el("span", c.last_reply, "conv-preview") : null,
        ]);
        b.addEventListener("click", function () { kit.openConversation(c.id); });
        list.appendChild(append(el("li"), [b]));
      });
    }).catch(function (e) { say(e.message); });
  }

  /* -- the customer panel ------------------------------------------------------------------- */
  function facts(pairs) {
    var dl = el("dl", null, "facts");
    pairs.forEach(function (p) { if (p[1] !== null && p[1] !== undefined && p[1] !== "") append(dl, [el("dt", p[0]), el("dd", p[1])]); });
    return dl;
  }
  function customerPanel(aside, cid) {
    aside.textContent = "Loading the customer…";
    return api("GET", "/api/admin/conversations/" + encodeURIComponent(cid) + "/customer").then(function (p) {
      aside.textContent = "";
      var plan = p.plan ? p.plan.name + " · " + amount(p.plan.price) + " per " + p.plan.interval + (p.seats ? " (" + p.seats + " seats)" : "") : "No subscription";
      var next = p.next_invoice ? amount(p.next_invoice.amount) + " on " + date(p.next_invoice.date) : null;
      append(aside, [el("h3", "Customer"), facts([
        ["Name", p.name], ["Email", p.email], ["Plan", plan], ["Status", words(p.status) + (p.cancels_at_period_end ? ", cancels at the period end" : "")],
        ["Resumes", p.resumes_at ? date(p.resumes_at) : null], ["Next invoice", next], ["Past due", p.past_due ? amount(p.past_due) : null],
      ])]);
      aside.appendChild(el("h4", "Open invoices"));
      if (!p.open_invoices.length) aside.appendChild(el("p", "None.", "hint"));
      else aside.appendChild(append(el("ul", null, "plain"), p.open_invoices.map(function (i) {
        return el("li", i.number + " · " + amount(i.total) + " · " + date(i.created));
      })));
      aside.appendChild(el("h4", "Linked channels"));
      if (!p.channels.length) aside.appendChild(el("p", "None linked.", "hint"));
      else aside.appendChild(append(el("ul", null, "plain"), p.channels.map(function (c) { return el("li", kit.channelName(c.channel) + " · " + c.external_id); })));
      aside.appendChild(el("p", "The processor's clock: " + date(p.processor_now) + ".", "hint"));
    }).catch(function (e) { aside.textContent = "Could not load the customer: " + e.message; });
  }

  /* -- claim / assign / resolve and private notes ------------------------------------------ */
  function workBox(cid, assignee, reopen) {
    var box = el("section", null, "card work", { "aria-labelledby": "work-title" });
    var line = el("p", assignee ? "Assigned to " + assignee : "Nobody is on it yet.", null, { id: "work-status", role: "status" });
    var claim = el("button", "Claim", "btn", { type: "button" });
    var who = el("input", null, null, { id: "assign-to", type: "text", maxlength: "64", autocomplete: "off" });
    var give = el("button", "Assign", "btn secondary", { type: "button" });
    var resolve = el("button", "Resolve", "btn secondary", { type: "button" });
    function act(path, body, done) {
      [claim, give, resolve].forEach(function (b) { b.disabled = true; });
      api("POST", "/api/admin/conversations/" + encodeURIComponent(cid) + "/" + path, body).then(function (a) {
        line.textContent = done(a); say(line.textContent + ".");
      }).catch(function (e) { say("Could not " + path + ": " + e.message); })
        .then(function () { [claim, give, resolve].forEach(function (b) { b.disabled = false; }); if (reopen) reopen(); });
    }
    claim.addEventListener("click", function () { act("claim", undefined, function (a) { return "Assigned to " + a.assignee; }); });
    give.addEventListener("click", function () {
      if (!who.value.trim()) { say("Name the person to assign it to."); who.focus(); return; }
      act("assign", { assignee: who.value.trim() }, function (a) { return "Assigned to " + a.assignee; });
    });
    resolve.addEventListener("click", function () { act("resolve", undefined, function (a) { return "Resolved by " + a.resolved_by; }); });
    append(box, [el("h3", "Who works it", null, { id: "work-title" }), line,
      append(el("div", null, "actions"), [claim, resolve]),
      el("label", "Assign to (a teammate's name)", null, { for: "assign-to" }), append(el("div", null, "inline"), [who, give])]);
    return box;
  }
  function notesBox(cid) {
    var box = el("section", null, "card notes", { "aria-labelledby": "notes-title" });
    var list = el("ul", null, "plain", { id: "notes" });
    var text = el("textarea", null, null, { id: "note-text", rows: "2", maxlength: "4000" });
    var add = el("button", "Add note", "btn secondary", { type: "button" });
    function load() {
      api("GET", "/api/admin/conversations/" + encodeURIComponent(cid) + "/notes").then(function (d) {
        list.textContent = "";
        if (!d.notes.length) list.appendChild(el("li", "No notes yet.", "hint"));
        d.notes.forEach(function (n) { list.appendChild(append(el("li", null, "note"), [el("strong", n.author + " · " + kit.when(n.created_at)), el("span", n.text, "note-text")])); });
      }).catch(function (e) { say(e.message); });
    }
    add.addEventListener("click", function () {
      if (!text.value.trim()) { say("Write the note first."); text.focus(); return; }
      add.disabled = true;
      api("POST", "/api/admin/conversations/" + encodeURIComponent(cid) + "/notes", { text: text.value })
        .then(function () { text.value = ""; say("Note added (only your team sees it)."); load(); })
        .catch(function (e) { say("Could not add the note: " + e.message); }).then(function () { add.disabled = false; });
    });
    append(box, [el("h3", "Private notes", null, { id: "notes-title" }), list,
      el("label", "Private note (only your team sees it; never sent to the customer)", null, { for: "note-text" }), text, add]);
    load();
    return box;
  }

  /* -- audit records as sentences ----------------------------------------------------------- */
  function actor(a) {
    var kind = String(a || "").split(":")[0], name = String(a || "").slice(kind.length + 1);
    if (kind === "human") return name;
    if (kind === "model") return "The model (" + name + ")";
    if (kind === "customer") return "The customer";
    if (kind === "system") return name ? "The " + name : "The system";
    return a || "Someone";
  }
  function quoteMoney(d) { return d.amount ? " of " + kit.money(d.amount, d.currency) : ""; }
  var SENTENCES = {
    proposal: function (who, d) { return who + " proposed " + words(d.action) + "."; },
    guard_decision: function (who, d) { return "The guard: " + words(d.action) + " " + words(d.status) + (d.reason ? " (" + words(d.reason) + ")" : "") + "."; },
    result: function (who, d) {
      var said = d.summary && d.summary !== d.action + " done." ? d.summary : ""; // a read's "lookup_account done." says nothing more
      return words(d.action) + " " + words(d.status) + (said ? ": " + said : ".");
    },
    confirmation: function (who, d) { return who + (d.decision === "yes" ? " confirmed." : " declined."); },
    approval_requested: function (who, d) { return "Approval requested for " + words(d.action) + quoteMoney(d) + " (" + reason(d.reason).toLowerCase() + ")."; },
    approval_signature: function (who) { return who + " signed a two-person approval."; },
    approval_decision: function (who, d) { return who + (d.approve ? " approved" : " denied") + " the request" + (d.reason ? ": " + d.reason : "."); },
    execution: function (who, d) { return words(d.action) + quoteMoney(d) + " carried out" + (d.approved_by ? " (approved by " + d.approved_by + ")." : "."); },
    handoff: function (who, d) { return "Handed to a person: " + reason(d.reason).toLowerCase() + "."; },
    human_reply: function (who, d) { return who + " replied to the customer: " + d.text; },
    human_release: function (who) { return who + " handed the conversation back to the agent."; },
    rating: function (who, d) { return who + " rated the conversation" + (d.rating !== undefined ? " " + d.rating : "") + "."; },
    inbox_claimed: function (who) { return who + " claimed the conversation."; },
    inbox_assigned: function (who, d) { return who + " assigned the conversation to " + d.assignee + "."; },
    inbox_resolved: function (who) { return who + " resolved the conversation."; },
    inbox_note: function (who) { return who + " added a private note."; },
  };
  function sentence(r) {
    var d = r.data || {}, who = actor(r.actor), make = SENTENCES[r.kind];
    if (make) return make(who, d);
    return who + ": " + words(r.kind) + (d.action ? " (" + words(d.action) + ")" : "") + ".";
  }
  function auditEntry(r) {
    var box = el("div", null, "audit-entry");
    var details = el("details");
    append(details, [el("summary", "JSON"), el("pre", JSON.stringify(r.data, null, 2))]);
    return append(box, [el("span", sentence(r)), details]);
  }

  return { markRead: markRead, loadInbox: loadInbox, loadConversations: loadConversations, customerPanel: customerPanel,
    workBox: workBox, notesBox: notesBox, auditEntry: auditEntry, sentence: sentence, reason: reason };
};
