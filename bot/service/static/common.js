/*
 * What every console page shares: the API wrapper (JSON, CSRF header, 401 → log-in form),
 * a DOM builder that only ever sets text (never HTML), formatting, and the page shell
 * (log-in form, navigation, log-out, status messages).
 *
 * Every piece of data from the API reaches the page through textContent or an
 * attribute set with setAttribute: a message such as "<img src=x onerror=...>" stays text.
 */
"use strict";

(function () {
  const CSRF_COOKIE = "agent_csrf";
  const CSRF_HEADER = "X-CSRF-Token";

  /** An error answer of the API: status code and the server's message. */
  class ApiError extends Error {
    constructor(status, message, body) {
      super(message);
      this.name = "ApiError";
      this.status = status;
      this.body = body || {};
    }
  }

  /** Thrown after a 401: the log-in form is showing and the caller should stop. */
  class LoginRequired extends ApiError {
    constructor(message) {
      super(401, message || "Please log in.");
      this.name = "LoginRequired";
    }
  }

  function cookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split(";")) {
      const item = part.trim();
      if (item.startsWith(prefix)) {
        return decodeURIComponent(item.slice(prefix.length));
      }
    }
    return "";
  }

  let onLoginRequired = function () {};

  /**
   * Calls the API. Sends and reads JSON, adds the CSRF header to changes,
   * and shows the log-in form when the session is missing or expired.
   */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const options = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET" && method !== "HEAD") {
      const token = cookie(CSRF_COOKIE);
      if (token) {
        headers[CSRF_HEADER] = token;
      }
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      throw new ApiError(0, "The service cannot be reached. Check your connection; the page keeps trying.");
    }
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("application/json")) {
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    }
    if (response.status === 401 && path !== "/api/login") {
      const message = (data && data.error) || "Please log in.";
      onLoginRequired(message);
      throw new LoginRequired(message);
    }
    if (!response.ok) {
      const message = (data && data.error) || "The service answered with an error (" + response.status + ").";
      throw new ApiError(response.status, message, data);
    }
    return data;
  }

  /**
   * Builds an element. Strings and numbers among the children become text nodes;
   * attrs are set with setAttribute (or as properties for a few known ones).
   */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) {
        continue;
      }
      if (key === "class") {
        node.className = value;
      } else if (key === "text") {
        node.textContent = String(value);
      } else if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else if (key === "value") {
        node.value = String(value);
      } else if (value === true) {
        node.setAttribute(key, "");
      } else {
        node.setAttribute(key, String(value));
      }
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) {
        continue;
      }
      if (Array.isArray(child)) {
        append(node, child);
      } else if (child instanceof Node) {
        node.appendChild(child);
      } else {
        node.appendChild(document.createTextNode(String(child)));
      }
    }
  }

  /** Replaces every child of node with the given children. */
  function replace(node, ...children) {
    node.replaceChildren();
    append(node, children);
  }

  const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });
  const timeOnly = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
  const dayOnly = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric" });

  function parseDate(value) {
    if (!value) {
      return null;
    }
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  function formatDateTime(value) {
    const date = parseDate(value);
    return date ? dateTime.format(date) : "—";
  }

  function formatTime(value) {
    const date = parseDate(value);
    return date ? timeOnly.format(date) : "";
  }

  function formatDay(value) {
    const date = parseDate(value);
    return date ? dayOnly.format(date) : "—";
  }

  /** "4 min", "1 h 5 min" since the given time. */
  function formatSince(value, now) {
    const date = parseDate(value);
    if (!date) {
      return "";
    }
    return formatDuration(((now || Date.now()) - date.getTime()) / 1000);
  }

  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) {
      return "—";
    }
    const total = Math.max(0, Math.round(seconds));
    if (total < 60) {
      return total + " s";
    }
    const minutes = Math.floor(total / 60);
    if (minutes < 60) {
      return minutes + " min";
    }
    const hours = Math.floor(minutes / 60);
    return hours + " h " + (minutes % 60) + " min";
  }

  function formatMoney(cents, currency) {
    if (typeof cents !== "number") {
      return "—";
    }
    try {
      return new Intl.NumberFormat("en-GB", { style: "currency", currency: currency || "EUR" }).format(cents / 100);
    } catch (error) {
      return (cents / 100).toFixed(2) + " " + (currency || "");
    }
  }

  function formatPercent(ratio) {
    return typeof ratio === "number" ? (ratio * 100).toFixed(1) + " %" : "—";
  }

  function formatNumber(value, digits) {
    return typeof value === "number" ? value.toFixed(digits === undefined ? 1 : digits) : "—";
  }

  function formatScore(score) {
    if (typeof score !== "number") {
      return "—";
    }
    const text = Math.abs(score).toFixed(2);
    return (score < 0 ? "−" : score > 0 ? "+" : "") + text;
  }

  /** Shows a short message in the page's status line (an ARIA live region). */
  function notify(message, kind) {
    const status = document.getElementById("status");
    if (!status) {
      return;
    }
    status.textContent = message || "";
    status.className = "status" + (kind ? " status-" + kind : "");
  }

  function describeError(error) {
    return error && error.message ? error.message : "Something went wrong. Please try again.";
  }

  let currentAgent = null;
  let started = false;

  function showLogin(message) {
    currentAgent = null;
    const login = document.getElementById("login");
    const app = document.getElementById("app");
    const who = document.getElementById("who");
    if (app) {
      app.hidden = true;
    }
    if (who) {
      who.hidden = true;
    }
    if (login) {
      login.hidden = false;
      const error = document.getElementById("login-error");
      if (error) {
        error.textContent = message && message !== "Please log in." ? message : "";
      }
      const name = document.getElementById("login-name");
      if (name && !name.value) {
        name.focus();
      } else {
        const password = document.getElementById("login-password");
        if (password) {
          password.focus();
        }
      }
    }
  }

  function showApp(agent, start) {
    currentAgent = agent;
    document.getElementById("login").hidden = true;
    document.getElementById("app").hidden = false;
    const who = document.getElementById("who");
    if (who) {
      who.hidden = false;
      replace(document.getElementById("who-name"), agent.name + " (" + agent.role + ")");
    }
    for (const node of document.querySelectorAll("[data-admin-only]")) {
      node.hidden = agent.role !== "admin";
    }
    if (!started) {
      started = true;
      start(agent);
    }
  }

  /**
   * Starts a page: wires the log-in form and the log-out button, then calls
   * start(agent) once an agent is logged in (straight away with a valid session).
   */
  function boot(start) {
    onLoginRequired = showLogin;
    const form = document.getElementById("login-form");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      const error = document.getElementById("login-error");
      const name = document.getElementById("login-name").value.trim();
      const password = document.getElementById("login-password").value;
      if (!name || !password) {
        error.textContent = "Please enter your name and password.";
        return;
      }
      button.disabled = true;
      error.textContent = "";
      try {
        const answer = await api("POST", "/api/login", { name: name, password: password });
        document.getElementById("login-password").value = "";
        showApp(answer.agent, start);
      } catch (failure) {
        error.textContent = describeError(failure);
        document.getElementById("login-password").focus();
      } finally {
        button.disabled = false;
      }
    });
    const logout = document.getElementById("logout");
    if (logout) {
      logout.addEventListener("click", async function () {
        try {
          await api("POST", "/api/logout");
        } catch (error) {
          // The cookies go either way once the page reloads to the log-in form.
        }
        window.location.reload();
      });
    }
    api("GET", "/api/me")
      .then(function (answer) {
        showApp(answer.agent, start);
      })
      .catch(function (error) {
        if (!(error instanceof LoginRequired)) {
          showLogin(describeError(error));
        }
      });
  }

  window.Console = {
    ApiError: ApiError,
    LoginRequired: LoginRequired,
    api: api,
    el: el,
    replace: replace,
    boot: boot,
    notify: notify,
    describeError: describeError,
    agent: function () {
      return currentAgent;
    },
    formatDateTime: formatDateTime,
    formatTime: formatTime,
    formatDay: formatDay,
    formatSince: formatSince,
    formatDuration: formatDuration,
    formatMoney: formatMoney,
    formatPercent: formatPercent,
    formatNumber: formatNumber,
    formatScore: formatScore,
  };
})();
