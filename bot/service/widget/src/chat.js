// The conversation: the socket.io session (signed id kept across reloads), history,
// unsent messages, and what happens on a lost connection.

import { io } from "socket.io-client";

import { currentCustomerToken } from "./config.js";
import { fetchHistory } from "./history.js";

const RECONNECTING = "Connection lost. Reconnecting…";
const UNREACHABLE = "Can't reach the chat just now. Trying again…";

function conversationOf(session) {
  return typeof session === "string" ? session.split(".")[0] : null;
}

export class Chat {
  constructor(config, view, store) {
    this.config = config;
    this.view = view;
    this.store = store;
    this.socket = null;
    this.confirmed = false;
    this.needsHistory = true;
    this.syncing = false;
    this.arrivedWhileSyncing = [];
    this.outbox = [];
  }

  start() {
    for (const item of this.store.read("outbox") || []) {
      if (item && typeof item.text === "string" && typeof item.display === "string") {
        this.outbox.push({ text: item.text, display: item.display, bubble: null });
      }
    }
    this.socket = io(this.config.socketUrl, {
      path: this.config.socketPath,
      withCredentials: false,
    });
    this.socket.on("connect", () => {
      this.view.setConnection("");
      this.requestSession();
    });
    this.socket.on("disconnect", () => {
      this.confirmed = false;
      this.needsHistory = true;
      this.view.hideTyping();
      this.view.setConnection(RECONNECTING);
    });
    this.socket.on("connect_error", () => {
      this.view.setConnection(this.confirmed ? RECONNECTING : UNREACHABLE);
    });
    this.socket.on("session_confirm", (session) => this.confirm(session));
    this.socket.on("bot_uttered", (payload) => this.receive(payload));
  }

  /** Asks for (or resumes) the conversation, as the signed-in customer if there is one. */
  async requestSession() {
    const request = {};
    const session = this.store.read("session");
    if (typeof session === "string") {
      request.session_id = session;
    }
    const customerToken = await currentCustomerToken(this.config);
    if (customerToken) {
      request.customer_token = customerToken;
    }
    this.socket.emit("session_request", request);
  }

  async confirm(session) {
    if (typeof session !== "string") {
      return;
    }
    const previous = this.store.read("session");
    this.store.write("session", session);
    if (conversationOf(previous) !== conversationOf(session)) {
      // A new conversation: nothing earlier belongs to it.
      if (previous !== null) {
        this.view.clearMessages();
      }
      this.needsHistory = false;
    }
    if (this.needsHistory) {
      await this.loadHistory(session);
    }
    this.confirmed = true;
    this.renderOutbox();
    this.flush();
  }

  async loadHistory(session) {
    this.syncing = true;
    this.arrivedWhileSyncing = [];
    try {
      const messages = await fetchHistory(this.config.serviceUrl, session);
      this.view.showHistory(messages);
      this.needsHistory = false;
    } catch (error) {
      this.view.setConnection(error.message);
    } finally {
      this.syncing = false;
    }
    const arrived = this.arrivedWhileSyncing;
    this.arrivedWhileSyncing = [];
    for (const payload of arrived) {
      this.show(payload);
    }
  }

  receive(payload) {
    if (this.syncing) {
      this.arrivedWhileSyncing.push(payload);
      return;
    }
    this.show(payload);
  }

  show(payload) {
    if (this.view.addBotMessage(payload) && !this.view.isOpen) {
      this.view.setUnread(this.view.unread + 1);
    }
  }

  /** Sends a message (or a button's payload), or keeps it until the chat is connected. */
  send(text, display) {
    const item = { text, display, bubble: this.view.addCustomerMessage(display, true) };
    this.outbox.push(item);
    this.saveOutbox();
    this.flush();
  }

  renderOutbox() {
    for (const item of this.outbox) {
      if (item.bubble === null) {
        item.bubble = this.view.addCustomerMessage(item.display, true);
      }
    }
  }

  flush() {
    if (!this.confirmed || !this.socket.connected) {
      return;
    }
    while (this.outbox.length) {
      const item = this.outbox.shift();
      this.socket.emit("user_uttered", { message: item.text });
      if (item.bubble) {
        this.view.markSent(item.bubble);
      }
      this.view.showTyping();
    }
    this.saveOutbox();
  }

  saveOutbox() {
    this.store.write(
      "outbox",
      this.outbox.map(({ text, display }) => ({ text, display })),
    );
  }

  /** Sends the customer's current token again, keeping the conversation. */
  refreshCustomer() {
    if (this.socket && this.socket.connected) {
      this.requestSession();
    }
  }

  /** Forgets this conversation (e.g. when the customer logs out) and starts a new one. */
  endConversation() {
    this.store.remove("session");
    this.store.remove("outbox");
    this.outbox = [];
    this.confirmed = false;
    this.view.clearMessages();
    if (this.socket && this.socket.connected) {
      this.requestSession();
    }
  }
}
