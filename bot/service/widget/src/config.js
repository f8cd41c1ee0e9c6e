// Reads the widget's settings from the data attributes of its <script> tag.

const DEFAULT_TITLE = "Customer support";
const DEFAULT_INTRO =
  "Hi! I can help with your orders, delivery, returns and anything else about the shop. " +
  "What can I do for you?";

function trimmed(value) {
  return typeof value === "string" ? value.trim() : "";
}

function withoutTrailingSlash(url) {
  return url.replace(/\/+$/, "");
}

/**
 * The settings of one embedded widget.
 *
 * data-socket-url (required): the Rasa server, e.g. https://chat.shop.example
 * data-title: the heading of the chat window
 * data-intro: the first line shown in an empty chat
 * data-service-url: the bot service (history); by default where widget.js came from
 * data-socket-path: socket.io path on the Rasa server, /socket.io by default
 * data-customer-token: a signed customer token (JWT) of the signed-in customer
 * data-customer-token-function: name of a global function returning that token
 *   (or a promise of it, or null for a guest); called whenever the chat connects
 */
export function readConfig(script) {
  const data = script.dataset || {};
  const socketUrl = withoutTrailingSlash(trimmed(data.socketUrl));
  if (!socketUrl) {
    throw new Error("The chat widget needs data-socket-url on its <script> tag.");
  }
  const serviceUrl = withoutTrailingSlash(
    trimmed(data.serviceUrl) || new URL(script.src, window.location.href).origin,
  );
  return {
    socketUrl,
    serviceUrl,
    socketPath: trimmed(data.socketPath) || "/socket.io",
    title: trimmed(data.title) || DEFAULT_TITLE,
    intro: trimmed(data.intro) || DEFAULT_INTRO,
    customerToken: trimmed(data.customerToken) || null,
    customerTokenFunction: trimmed(data.customerTokenFunction) || null,
  };
}

/** The signed-in customer's token right now, or null for a guest. */
export async function currentCustomerToken(config) {
  if (config.customerTokenFunction) {
    const provide = window[config.customerTokenFunction];
    if (typeof provide !== "function") {
      return null;
    }
    try {
      const token = await provide();
      return typeof token === "string" && token ? token : null;
    } catch (error) {
      return null;
    }
  }
  return config.customerToken;
}
