/*
 * Follow-ups: the list sorted by priority, with status, assignee and notes editable in
 * place (PATCH /api/followups/{id}) and a CSV download for admins.
 */
"use strict";

(function () {
  const C = window.Console;
  const el = C.el;
  const STATUSES = [
    ["open", "Open"],
    ["in_progress", "In progress"],
    ["done", "Done"],
  ];

  let agents = [];

  function $(id) {
    return document.getElementById(id);
  }

  function byPriority(a, b) {
    return (b.priority || 0) - (a.priority || 0) || String(a.created_at).localeCompare(String(b.created_at));
  }

  function hiddenLabel(forId, text) {
    return el("label", { for: forId, class: "visually-hidden" }, text);
  }

  async function patch(item, changes, done) {
    try {
      const updated = await C.api("PATCH", "/api/followups/" + item.id, changes);
      Object.assign(item, updated);
      if (done) {
        done(updated);
      }
      return updated;
    } catch (error) {
      if (!(error instanceof C.LoginRequired)) {
        C.notify("Follow-up " + item.id + " was not saved: " + C.describeError(error), "error");
      }
      return null;
    }
  }

  function statusSelect(item) {
    const id = "status-" + item.id;
    const select = el(
      "select",
      { id: id },
      STATUSES.map(function ([value, text]) {
        return el("option", { value: value, selected: item.status === value }, text);
      })
    );
    select.addEventListener("change", async function () {
      const previous = item.status;
      select.disabled = true;
      const updated = await patch(item, { status: select.value });
      select.disabled = false;
      if (updated) {
        C.notify("Follow-up " + item.id + " is now " + labelOf(updated.status) + ".", "success");
        renderUpdated(item);
      } else {
        select.value = previous;
      }
    });
    return [hiddenLabel(id, "Status of follow-up " + item.id), select];
  }

  function labelOf(status) {
    const match = STATUSES.find(function ([value]) {
      return value === status;
    });
    return match ? match[1].toLowerCase() : status;
  }

  function assigneeSelect(item) {
    const id = "assignee-" + item.id;
    const current = item.assignee ? item.assignee.id : null;
    const options = [el("option", { value: "", selected: current === null }, "Nobody")];
    const known = new Set();
    for (const agent of agents) {
      known.add(agent.id);
      options.push(el("option", { value: agent.id, selected: agent.id === current }, agent.name));
    }
    if (current !== null && !known.has(current)) {
      options.push(el("option", { value: current, selected: true }, item.assignee.name));
    }
    const select = el("select", { id: id }, options);
    select.addEventListener("change", async function () {
      const previous = item.assignee ? String(item.assignee.id) : "";
      const value = select.value === "" ? null : Number(select.value);
      select.disabled = true;
      const updated = await patch(item, { assignee_id: value });
      select.disabled = false;
      if (updated) {
        C.notify(
          updated.assignee
            ? "Follow-up " + item.id + " is assigned to " + updated.assignee.name + "."
            : "Follow-up " + item.id + " is unassigned.",
          "success"
        );
        renderUpdated(item);
      } else {
        select.value = previous;
      }
    });
    return [hiddenLabel(id, "Assignee of follow-up " + item.id), select];
  }

  function notesEditor(item) {
    const id = "notes-" + item.id;
    const box = el("textarea", { id: id, rows: 2, maxlength: 4000 });
    box.value = item.notes || "";
    const save = el("button", { type: "button", class: "button-secondary" }, "Save notes");
    save.setAttribute("aria-label", "Save notes of follow-up " + item.id);
    save.addEventListener("click", async function () {
      save.disabled = true;
      const updated = await patch(item, { notes: box.value });
      save.disabled = false;
      if (updated) {
        C.notify("Notes of follow-up " + item.id + " saved.", "success");
        renderUpdated(item);
      }
    });
    return el("div", { class: "notes-cell" }, hiddenLabel(id, "Notes of follow-up " + item.id), box, save);
  }

  function renderUpdated(item) {
    const cell = document.querySelector('[data-updated-for="' + item.id + '"]');
    if (cell) {
      cell.textContent = C.formatDateTime(item.updated_at);
    }
  }

  function row(item) {
    return el(
      "tr",
      { "data-followup-id": item.id },
      el("td", { class: "priority numeric" }, item.priority),
      el("td", {}, item.reason || "—"),
      el("td", {}, el("code", {}, item.conversation_id)),
      el("td", {}, item.customer_id === null || item.customer_id === undefined ? "Not verified" : "#" + item.customer_id),
      el("td", {}, statusSelect(item)),
      el("td", {}, assigneeSelect(item)),
      el("td", {}, notesEditor(item)),
      el("td", { "data-updated-for": item.id }, C.formatDateTime(item.updated_at))
    );
  }

  function filterValue() {
    return $("status-filter").value;
  }

  async function load() {
    const status = filterValue();
    const query = status ? "?status=" + encodeURIComponent(status) : "";
    $("csv-link").setAttribute("href", "/api/followups.csv" + query);
    const body = $("followups-body");
    try {
      const answer = await C.api("GET", "/api/followups" + query);
      const items = (answer.followups || []).slice().sort(byPriority);
      if (items.length === 0) {
        C.replace(body, el("tr", {}, el("td", { colspan: 8, class: "hint" }, "Nothing to follow up here.")));
      } else {
        C.replace(body, items.map(row));
      }
      C.notify(items.length === 1 ? "1 follow-up." : items.length + " follow-ups.");
    } catch (error) {
      if (!(error instanceof C.LoginRequired)) {
        C.notify(C.describeError(error), "error");
      }
    }
  }

  async function start() {
    try {
      const answer = await C.api("GET", "/api/agents");
      agents = answer.agents || [];
    } catch (error) {
      agents = [];
    }
    $("status-filter").addEventListener("change", load);
    $("refresh-button").addEventListener("click", load);
    await load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    C.boot(start);
  });
})();
