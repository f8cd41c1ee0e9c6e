/*
 * The handoff queue: waiting and claimed tickets (refreshed every 2 s), the selected
 * conversation with its context packet and live messages (refreshed every second),
 * claim, reply, and resolve-and-hand-back.
 */
"use strict";

(function () {
  const C = window.Console;
  const el = C.el;
  const QUEUE_INTERVAL_MS = 2000;
  const MESSAGES_INTERVAL_MS = 1000;
  const LABELS = { negative: "negative", neutral: "neutral", positive: "positive" };

  const state = {
    tickets: new Map(),
    selected: null,
    generation: 0,
    lastMessageId: 0,
    seenMessages: new Set(),
    busy: false,
  };

  function $(id) {
    return document.getElementById(id);
  }

  function me() {
    return C.agent();
  }

  function customerLabel(ticket) {
    return ticket.customer_name || "Guest (not verified)";
  }

  function ordinal(n) {
    const tens = n % 100;
    if (tens >= 11 && tens <= 13) {
      return n + "th";
    }
    return n + ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
  }

  function claimedByText(ticket) {
    if (!ticket.claimed_by) {
      return "";
    }
    const agent = me();
    return agent && ticket.claimed_by.id === agent.id ? "you" : ticket.claimed_by.name;
  }

  // ---- queue -------------------------------------------------------------------------

  function ticketButton(ticket) {
    const details = [];
    if (ticket.status === "waiting") {
      details.push("waiting " + C.formatSince(ticket.created_at));
      if (ticket.queue_position) {
        details.push(ordinal(ticket.queue_position) + " in line");
      }
    } else {
      details.push("claimed by " + claimedByText(ticket));
    }
    if (ticket.channel) {
      details.push(ticket.channel);
    }
    const selected = state.selected && state.selected.id === ticket.id;
    return el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          class: "ticket-button" + (selected ? " is-selected" : ""),
          "data-ticket-id": ticket.id,
          "aria-current": selected ? "true" : null,
          onclick: function () {
            selectTicket(ticket.id);
          },
        },
        el("span", { class: "ticket-name" }, customerLabel(ticket)),
        el("span", { class: "ticket-reason" }, ticket.reason || ""),
        el("span", { class: "ticket-meta" }, details.join(" · "))
      )
    );
  }

  function renderList(listId, countId, tickets, emptyText) {
    const list = $(listId);
    const focused = document.activeElement;
    const focusedId = focused && list.contains(focused) ? focused.getAttribute("data-ticket-id") : null;
    if (tickets.length === 0) {
      C.replace(list, el("li", { class: "hint" }, emptyText));
    } else {
      C.replace(list, tickets.map(ticketButton));
    }
    $(countId).textContent = String(tickets.length);
    if (focusedId) {
      const again = list.querySelector('[data-ticket-id="' + CSS.escape(focusedId) + '"]');
      if (again) {
        again.focus();
      }
    }
  }

  async function refreshQueue() {
    const [waiting, claimed] = await Promise.all([
      C.api("GET", "/api/handoffs?status=waiting"),
      C.api("GET", "/api/handoffs?status=claimed"),
    ]);
    const waitingTickets = waiting.handoffs || [];
    const claimedTickets = claimed.handoffs || [];
    state.tickets = new Map();
    for (const ticket of waitingTickets.concat(claimedTickets)) {
      state.tickets.set(ticket.id, ticket);
    }
    renderList("waiting-list", "waiting-count", waitingTickets, "Nobody is waiting.");
    renderList("claimed-list", "claimed-count", claimedTickets, "No conversation is claimed.");
    $("queue-updated").textContent = "Updated " + C.formatTime(new Date().toISOString()) + ", every 2 seconds.";
    document.title =
      (waitingTickets.length ? "(" + waitingTickets.length + ") " : "") + "Handoff queue · Support console";
    if (state.selected) {
      const fresh = state.tickets.get(state.selected.id);
      if (fresh && (fresh.status !== state.selected.status || !sameClaim(fresh, state.selected))) {
        state.selected = fresh;
        renderTicketState();
      } else if (!fresh && state.selected.status !== "resolved") {
        const ticket = await C.api("GET", "/api/handoffs/" + state.selected.id);
        if (state.selected && ticket.id === state.selected.id) {
          state.selected = ticket;
          renderTicketState();
        }
      }
    }
  }

  function sameClaim(a, b) {
    return (a.claimed_by ? a.claimed_by.id : null) === (b.claimed_by ? b.claimed_by.id : null);
  }

  // ---- the selected ticket -----------------------------------------------------------

  function selectTicket(ticketId) {
    const ticket = state.tickets.get(ticketId);
    if (!ticket) {
      return;
    }
    state.generation += 1;
    state.selected = ticket;
    state.lastMessageId = 0;
    state.seenMessages = new Set();
    $("ticket-empty").hidden = true;
    $("ticket-body").hidden = false;
    $("reply-text").value = "";
    C.replace($("live-messages"));
    renderContext(ticket);
    renderTicketState();
    for (const button of document.querySelectorAll(".ticket-button")) {
      const current = Number(button.getAttribute("data-ticket-id")) === ticketId;
      button.classList.toggle("is-selected", current);
      if (current) {
        button.setAttribute("aria-current", "true");
      } else {
        button.removeAttribute("aria-current");
      }
    }
    const generation = state.generation;
    const live = $("live-messages");
    live.setAttribute("aria-busy", "true");
    fetchMessages(generation)
      .catch(reportError)
      .finally(function () {
        if (generation === state.generation) {
          live.setAttribute("aria-busy", "false");
        }
      });
    $("ticket-title").focus();
  }

  function renderTicketState() {
    const ticket = state.selected;
    if (!ticket) {
      return;
    }
    const agent = me();
    const mine = Boolean(agent && ticket.claimed_by && ticket.claimed_by.id === agent.id);
    const admin = Boolean(agent && agent.role === "admin");
    C.replace($("ticket-title"), customerLabel(ticket));

    const summary = [];
    if (ticket.status === "waiting") {
      summary.push("Waiting since " + C.formatDateTime(ticket.created_at) + " (" + C.formatSince(ticket.created_at) + ")");
      if (ticket.queue_position) {
        summary.push(ordinal(ticket.queue_position) + " in line");
      }
    } else if (ticket.status === "claimed") {
      summary.push("Claimed by " + claimedByText(ticket) + " at " + C.formatTime(ticket.claimed_at));
    } else {
      summary.push("Resolved at " + C.formatDateTime(ticket.resolved_at) + ": back with the assistant");
    }
    C.replace($("ticket-summary"), summary.join(" · "));
    $("ticket-summary").setAttribute("data-status", ticket.status);

    const claim = $("claim-button");
    claim.disabled = ticket.status !== "waiting" || state.busy;
    claim.textContent =
      ticket.status === "waiting" ? "Claim" : ticket.status === "claimed" ? "Claimed by " + claimedByText(ticket) : "Resolved";

    const resolve = $("resolve-button");
    resolve.disabled = ticket.status === "resolved" || !(mine || admin) || state.busy;

    const canReply = ticket.status === "claimed" && (mine || admin);
    $("reply-text").disabled = !canReply;
    $("reply-button").disabled = !canReply || state.busy;
    $("reply-hint").textContent = canReply
      ? "Enter sends; Shift+Enter starts a new line. Replies go to the customer straight away."
      : ticket.status === "resolved"
        ? "This conversation is back with the assistant."
        : ticket.status === "waiting"
          ? "Claim the conversation before replying."
          : "Only " + ticket.claimed_by.name + " or an admin can reply to this conversation.";
  }

  function display(value) {
    if (Array.isArray(value)) {
      return value.length ? value.map(display).join(", ") : "None";
    }
    if (value === null || value === undefined || value === "") {
      return "—";
    }
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function fact(list, term, value) {
    list.appendChild(el("dt", {}, term));
    list.appendChild(el("dd", {}, display(value)));
  }

  function renderContext(ticket) {
    const context = ticket.context || {};
    const facts = $("context-facts");
    C.replace(facts);
    fact(facts, "Reason", context.reason || ticket.reason);
    fact(facts, "Channel", context.channel || ticket.channel);
    fact(facts, "Conversation", ticket.conversation_id);
    fact(facts, "Handed off", C.formatDateTime(ticket.created_at));

    const customer = context.customer;
    if (customer && typeof customer === "object") {
      const profile = el("dl", { class: "facts" });
      fact(profile, "Name", customer.name);
      fact(profile, "Customer id", customer.id);
      fact(profile, "Tier", customer.tier);
      fact(profile, "Points", customer.points_balance);
      fact(profile, "Open returns", customer.open_returns);
      fact(profile, "Open cases", customer.open_cases);
      C.replace($("customer-profile"), profile);
      renderOrders(Array.isArray(customer.recent_orders) ? customer.recent_orders : []);
    } else {
      C.replace($("customer-profile"), el("p", { class: "hint" }, "Not verified: the customer has not confirmed who they are."));
      C.replace($("recent-orders"), el("p", { class: "hint" }, "No orders to show for an unverified customer."));
    }

    renderTimeline(Array.isArray(context.sentiment_timeline) ? context.sentiment_timeline : []);

    const intents = Array.isArray(context.last_intents) ? context.last_intents : [];
    C.replace(
      $("last-intents"),
      intents.length ? intents.map(function (intent) {
        return el("li", { class: "chip" }, intent);
      }) : el("li", { class: "hint" }, "None recorded.")
    );

    const missed = Array.isArray(context.not_understood) ? context.not_understood : [];
    C.replace(
      $("not-understood"),
      missed.length ? missed.map(function (text) {
        return el("li", {}, "“", text, "”");
      }) : el("li", { class: "hint" }, "Nothing: the assistant understood every message.")
    );

    const transcript = Array.isArray(context.transcript) ? context.transcript : [];
    C.replace(
      $("transcript"),
      transcript.length ? transcript.map(function (line) {
        return messageItem(line.sender === "customer" ? "customer" : "bot", null, line.text, line.at);
      }) : el("li", { class: "hint" }, "No earlier messages.")
    );
  }

  function renderOrders(orders) {
    if (orders.length === 0) {
      C.replace($("recent-orders"), el("p", { class: "hint" }, "No orders yet."));
      return;
    }
    const rows = orders.map(function (order) {
      return el(
        "tr",
        {},
        el("th", { scope: "row" }, order.number || "—"),
        el("td", {}, C.formatDay(order.placed_at)),
        el("td", {}, order.status || "—"),
        el("td", {}, order.first_product || "—"),
        el("td", { class: "numeric" }, C.formatMoney(order.total_cents, order.currency))
      );
    });
    C.replace(
      $("recent-orders"),
      el(
        "table",
        { class: "data-table", "aria-labelledby": "orders-title" },
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            el("th", { scope: "col" }, "Order"),
            el("th", { scope: "col" }, "Placed"),
            el("th", { scope: "col" }, "Status"),
            el("th", { scope: "col" }, "First item"),
            el("th", { scope: "col", class: "numeric" }, "Total")
          )
        ),
        el("tbody", {}, rows)
      )
    );
  }

  function renderTimeline(points) {
    const list = $("sentiment-timeline");
    if (points.length === 0) {
      C.replace(list, el("li", { class: "hint" }, "No scored messages."));
      return;
    }
    C.replace(
      list,
      points.map(function (point) {
        const score = typeof point.score === "number" ? Math.max(-1, Math.min(1, point.score)) : 0;
        const label = LABELS[point.label] || "neutral";
        // A diverging bar: negative scores grow left of the centre line, positive ones right.
        const bar = el("span", { class: "bar bar-" + label + (score < 0 ? " bar-left" : " bar-right") });
        bar.style.width = Math.max(1, Math.round(Math.abs(score) * 50)) + "%";
        return el(
          "li",
          { class: "timeline-point" },
          el("span", { class: "timeline-time" }, C.formatTime(point.at)),
          el("span", { class: "bar-track", "aria-hidden": "true" }, bar),
          el("span", { class: "timeline-score" }, C.formatScore(score) + " " + label)
        );
      })
    );
  }

  // ---- messages ----------------------------------------------------------------------

  function messageItem(sender, agentName, text, at) {
    const who = sender === "customer" ? "Customer" : sender === "agent" ? agentName || "Agent" : "Assistant";
    return el(
      "li",
      { class: "message message-" + sender },
      el(
        "p",
        { class: "message-meta" },
        el("span", { class: "message-sender" }, who),
        " ",
        el("time", { datetime: at || null }, C.formatTime(at))
      ),
      el("p", { class: "message-text" }, text === null || text === undefined ? "" : text)
    );
  }

  function addMessages(messages) {
    const live = $("live-messages");
    for (const message of messages) {
      if (state.seenMessages.has(message.id)) {
        continue;
      }
      state.seenMessages.add(message.id);
      const item = messageItem(message.sender, message.agent, message.text, message.created_at);
      item.setAttribute("data-message-id", message.id);
      live.appendChild(item);
    }
    live.scrollTop = live.scrollHeight;
  }

  async function fetchMessages(generation) {
    const ticket = state.selected;
    if (!ticket) {
      return;
    }
    const answer = await C.api("GET", "/api/handoffs/" + ticket.id + "/messages?after=" + state.lastMessageId);
    if (generation !== state.generation) {
      return;
    }
    const messages = answer.messages || [];
    for (const message of messages) {
      state.lastMessageId = Math.max(state.lastMessageId, message.id);
    }
    addMessages(messages);
  }

  // ---- actions -----------------------------------------------------------------------

  function reportError(error) {
    if (!(error instanceof C.LoginRequired)) {
      C.notify(C.describeError(error), "error");
    }
  }

  async function act(work) {
    if (state.busy) {
      return;
    }
    state.busy = true;
    renderTicketState();
    try {
      await work();
    } catch (error) {
      reportError(error);
    } finally {
      state.busy = false;
      renderTicketState();
    }
  }

  function claim() {
    const ticket = state.selected;
    return act(async function () {
      try {
        const updated = await C.api("POST", "/api/handoffs/" + ticket.id + "/claim");
        if (state.selected && state.selected.id === updated.id) {
          state.selected = updated;
        }
        C.notify("You claimed this conversation. You can reply now.", "success");
        refreshQueue().catch(reportError);
        window.setTimeout(function () {
          $("reply-text").focus();
        }, 0);
      } catch (error) {
        if (error instanceof C.ApiError && error.status === 409) {
          const by = error.body && error.body.claimed_by ? error.body.claimed_by.name : null;
          C.notify(
            by ? by + " claimed this conversation first." : "Someone else has already taken this conversation.",
            "error"
          );
          refreshQueue().catch(reportError);
          return;
        }
        throw error;
      }
    });
  }

  function resolve() {
    const ticket = state.selected;
    return act(async function () {
      const updated = await C.api("POST", "/api/handoffs/" + ticket.id + "/resolve");
      if (state.selected && state.selected.id === updated.id) {
        state.selected = updated;
      }
      C.notify("Handed back to the assistant. The customer was asked to rate the help they got.", "success");
      refreshQueue().catch(reportError);
    });
  }

  function sendReply(event) {
    if (event) {
      event.preventDefault();
    }
    const box = $("reply-text");
    const text = box.value.trim();
    const ticket = state.selected;
    if (!ticket) {
      return undefined;
    }
    if (!text) {
      C.notify("Please write a reply before sending.", "error");
      box.focus();
      return undefined;
    }
    const generation = state.generation;
    return act(async function () {
      const message = await C.api("POST", "/api/handoffs/" + ticket.id + "/messages", { text: text });
      if (generation === state.generation) {
        addMessages([message]);
        box.value = "";
      }
      C.notify("Reply sent.", "success");
      window.setTimeout(function () {
        box.focus();
      }, 0);
    });
  }

  // ---- polling -----------------------------------------------------------------------

  function poll(work, interval) {
    async function tick() {
      if (C.agent() && !document.getElementById("app").hidden) {
        try {
          await work();
        } catch (error) {
          reportError(error);
        }
      }
      window.setTimeout(tick, interval);
    }
    tick();
  }

  function start() {
    $("claim-button").addEventListener("click", claim);
    $("resolve-button").addEventListener("click", resolve);
    $("reply-form").addEventListener("submit", sendReply);
    $("reply-text").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        sendReply(event);
      }
    });
    poll(refreshQueue, QUEUE_INTERVAL_MS);
    poll(function () {
      if (!state.selected || state.selected.status === "resolved") {
        return Promise.resolve();
      }
      return fetchMessages(state.generation);
    }, MESSAGES_INTERVAL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    C.boot(start);
  });
})();
