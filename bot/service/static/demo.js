// The demo shop page: a "log in as a demo customer" switch that hands the chat widget a
// signed customer token, issued by the bot service for the seeded demo customer.
(function () {
  "use strict";

  var STORAGE_KEY = "demo-shop:customer";
  var customer = null;

  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && typeof saved.token === "string" && saved.expiresAt > Date.now()) {
        return saved;
      }
    } catch (error) {
      return null;
    }
    return null;
  }

  function save() {
    try {
      if (customer) {
        window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(customer));
      } else {
        window.sessionStorage.removeItem(STORAGE_KEY);
      }
    } catch (error) {
      // Storage blocked: the log-in lasts until the page is reloaded.
    }
  }

  // The widget calls this (data-customer-token-function) each time it connects.
  window.demoCustomerToken = function () {
    return customer && customer.expiresAt > Date.now() ? customer.token : null;
  };

  function show(button, status, message) {
    button.setAttribute("aria-checked", customer ? "true" : "false");
    status.textContent = message || (customer ? "Logged in as " + customer.name + "." : "Browsing as a guest.");
  }

  function chat() {
    return window.ShopSupportChat || null;
  }

  function logIn(button, status) {
    button.disabled = true;
    show(button, status, "Logging in…");
    fetch("/api/demo/customer-token", { method: "POST", credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body && body.error ? body.error : "The demo log-in is not available.");
          }
          return body;
        });
      })
      .then(function (body) {
        customer = {
          token: body.token,
          name: body.name,
          expiresAt: Date.now() + body.expires_in * 1000,
        };
        save();
        show(button, status);
        if (chat()) {
          chat().refreshCustomer();
        }
      })
      .catch(function (error) {
        customer = null;
        show(button, status, "Could not log in: " + error.message);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function logOut(button, status) {
    customer = null;
    save();
    show(button, status);
    if (chat()) {
      chat().endConversation();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("demo-login");
    var status = document.getElementById("demo-login-status");
    customer = load();
    show(button, status);
    button.addEventListener("click", function () {
      if (customer) {
        logOut(button, status);
      } else {
        logIn(button, status);
      }
    });
  });
})();
