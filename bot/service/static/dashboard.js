/*
 * Dashboard (admins): headline numbers from GET /api/metrics, the three chart PNGs drawn
 * by the service, and the numbers behind the charts as tables.
 */
"use strict";

(function () {
  const C = window.Console;
  const el = C.el;
  const CHARTS = ["sentiment", "escalations", "csat"];

  function $(id) {
    return document.getElementById(id);
  }

  function days() {
    return Number($("period").value) || 0;
  }

  function query() {
    return days() ? "?days=" + days() : "";
  }

  function card(term, value, note) {
    return el("div", { class: "card" }, el("dt", {}, term), el("dd", {}, value), note ? el("p", { class: "hint" }, note) : null);
  }

  function csat(value) {
    return typeof value === "number" ? value.toFixed(2) + " / 5" : "—";
  }

  function renderHeadline(metrics) {
    const wait = metrics.handoff_wait_seconds || {};
    const ratings = metrics.csat || {};
    const escalations = Object.values(metrics.escalations_by_reason || {}).reduce(function (sum, n) {
      return sum + n;
    }, 0);
    C.replace(
      $("headline"),
      card("Conversations", String(metrics.conversations === undefined ? "—" : metrics.conversations)),
      card("Contained by the assistant", C.formatPercent(metrics.containment_rate), "No person needed"),
      card("Handed to a person", String(escalations)),
      card("Fallback rate", C.formatPercent(metrics.fallback_rate), "Messages the assistant did not understand"),
      card("Average handoff wait", C.formatDuration(wait.average)),
      card("95th percentile wait", C.formatDuration(wait.p95)),
      card("CSAT, assistant only", csat(ratings.bot_only)),
      card("CSAT, with a person", csat(ratings.human)),
      card("NPS", typeof metrics.nps === "number" ? metrics.nps.toFixed(0) : "—", "From −100 to 100")
    );
  }

  function table(labelId, headings, rows, emptyText) {
    if (rows.length === 0) {
      return el("p", { class: "hint" }, emptyText);
    }
    return el(
      "table",
      { class: "data-table", "aria-labelledby": labelId },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          headings.map(function (heading, index) {
            return el("th", { scope: "col", class: index > 0 ? "numeric" : null }, heading);
          })
        )
      ),
      el(
        "tbody",
        {},
        rows.map(function (cells) {
          return el(
            "tr",
            {},
            cells.map(function (cell, index) {
              return index === 0 ? el("th", { scope: "row" }, cell) : el("td", { class: "numeric" }, cell);
            })
          );
        })
      )
    );
  }

  function renderTables(metrics) {
    const reasons = Object.entries(metrics.escalations_by_reason || {}).sort(function (a, b) {
      return b[1] - a[1];
    });
    C.replace(
      $("reasons-table"),
      table(
        "reasons-title",
        ["Reason", "Handoffs"],
        reasons.map(function ([reason, count]) {
          return [reason, String(count)];
        }),
        "No conversation was handed to a person in this period."
      )
    );
    const perDay = metrics.sentiment_per_day || [];
    C.replace(
      $("days-table"),
      table(
        "days-title",
        ["Day", "Average", "Messages"],
        perDay.map(function (day) {
          return [C.formatDay(day.day), C.formatScore(day.average), String(day.messages)];
        }),
        "No customer messages in this period."
      )
    );
  }

  function loadCharts() {
    const stamp = Date.now();
    for (const name of CHARTS) {
      const image = $("chart-" + name);
      image.onerror = function () {
        C.notify("The " + name + " chart could not be drawn just now.", "error");
      };
      const separator = query() ? "&" : "?";
      image.setAttribute("src", "/api/metrics/charts/" + name + ".png" + query() + separator + "t=" + stamp);
    }
  }

  async function load() {
    try {
      const metrics = await C.api("GET", "/api/metrics" + query());
      $("dashboard-content").hidden = false;
      renderHeadline(metrics);
      renderTables(metrics);
      loadCharts();
      C.notify("Updated " + C.formatTime(new Date().toISOString()) + ".");
    } catch (error) {
      if (error instanceof C.LoginRequired) {
        return;
      }
      if (error instanceof C.ApiError && error.status === 403) {
        $("dashboard-content").hidden = true;
        C.notify("Only an admin can see the dashboard. The handoff queue and follow-ups are open to every agent.", "error");
        return;
      }
      C.notify(C.describeError(error), "error");
    }
  }

  function start() {
    $("period").addEventListener("change", load);
    $("refresh-button").addEventListener("click", load);
    load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    C.boot(start);
  });
})();
