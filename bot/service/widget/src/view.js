// The widget's DOM: launcher with unread badge, chat window, messages, choices, composer.

import { appendRichText, safeHttpUrl } from "./render.js";
import { STYLES } from "./styles.js";

export const MAX_MESSAGE_LENGTH = 2000;
export const AGENT_JOINED = "An agent has joined the chat";
const CSAT_PAYLOAD = /^\/rate_conversation\{"csat_score":"([1-5])"\}$/;
const TYPING_SECONDS = 12;

function element(doc, tag, attributes, text) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    node.setAttribute(name, value);
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** The parts of a ``bot_uttered`` payload (live or from the history) the widget shows. */
export function readBotMessage(payload) {
  const message = payload && typeof payload === "object" ? payload : {};
  const metadata = message.metadata && typeof message.metadata === "object" ? message.metadata : {};
  const agent = typeof metadata.agent === "string" && metadata.agent ? metadata.agent : null;
  const text = typeof message.text === "string" ? message.text : "";
  const choices = Array.isArray(message.quick_replies)
    ? message.quick_replies.filter(
        (choice) => choice && typeof choice.title === "string" && typeof choice.payload === "string",
      )
    : [];
  const attachment = message.attachment;
  const image =
    attachment && attachment.type === "image" && attachment.payload
      ? safeHttpUrl(attachment.payload.src)
      : null;
  return { text, agent, choices, image };
}

function csatScores(choices) {
  if (choices.length !== 5) {
    return null;
  }
  const scores = choices.map((choice) => {
    const match = CSAT_PAYLOAD.exec(choice.payload);
    return match ? Number(match[1]) : null;
  });
  return scores.every((score, index) => score === index + 1) ? scores : null;
}

export class ChatView {
  constructor(config, handlers) {
    this.config = config;
    this.handlers = handlers;
    this.speaker = null;
    this.unread = 0;
    this.typingTimer = null;
  }

  mount(doc) {
    this.doc = doc;
    const host = element(doc, "div", { id: "shop-support-chat" });
    const shadow = host.attachShadow({ mode: "open" });
    if (shadow.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function") {
      // A constructed sheet also works on shop pages whose CSP forbids inline styles.
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLES);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.appendChild(element(doc, "style", {}, STYLES));
    }

    const root = element(doc, "div", { class: "root" });
    const titleId = "shop-support-chat-title";

    this.launcher = element(doc, "button", {
      type: "button",
      class: "launcher",
      "aria-expanded": "false",
      "aria-controls": "shop-support-chat-panel",
    });
    this.launcher.appendChild(element(doc, "span", { "aria-hidden": "true" }, "Chat with us"));
    this.badge = element(doc, "span", { class: "badge", "aria-hidden": "true" });
    this.badge.hidden = true;
    this.launcher.appendChild(this.badge);
    this.launcher.addEventListener("click", () => this.open());

    this.panel = element(doc, "section", {
      id: "shop-support-chat-panel",
      class: "panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": titleId,
    });
    this.panel.hidden = true;
    const header = element(doc, "div", { class: "header" });
    header.appendChild(element(doc, "h2", { id: titleId }, this.config.title));
    const close = element(doc, "button", { type: "button", class: "close", "aria-label": "Close chat" }, "×");
    close.addEventListener("click", () => this.close());
    header.appendChild(close);
    this.panel.appendChild(header);

    this.connection = element(doc, "div", { class: "connection", role: "status" });
    this.panel.appendChild(this.connection);

    this.log = element(doc, "div", {
      class: "log",
      role: "log",
      "aria-live": "polite",
      "aria-label": "Conversation",
      tabindex: "0",
    });
    this.panel.appendChild(this.log);

    this.typing = element(doc, "div", { class: "typing", role: "status" });
    for (let i = 0; i < 3; i += 1) {
      this.typing.appendChild(element(doc, "span", { class: "dot", "aria-hidden": "true" }));
    }
    this.typing.appendChild(element(doc, "span", { class: "sr-only" }, "The assistant is typing…"));
    this.typing.hidden = true;
    this.panel.appendChild(this.typing);

    this.choices = element(doc, "div", { class: "choices" });
    this.panel.appendChild(this.choices);

    this.error = element(doc, "p", { class: "error", role: "alert" });
    this.panel.appendChild(this.error);

    const form = element(doc, "form", { class: "composer" });
    const inputId = "shop-support-chat-input";
    form.appendChild(element(doc, "label", { for: inputId, class: "sr-only" }, "Type your message"));
    this.input = element(doc, "textarea", {
      id: inputId,
      rows: "1",
      placeholder: "Type your message…",
      autocomplete: "off",
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    this.input.addEventListener("input", () => this.setError(""));
    form.appendChild(this.input);
    form.appendChild(element(doc, "button", { type: "submit", class: "send" }, "Send"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.panel.appendChild(form);

    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      }
    });

    root.appendChild(this.launcher);
    root.appendChild(this.panel);
    shadow.appendChild(root);
    this.root = root;
    this.clearMessages();
    this.setUnread(0);
    doc.body.appendChild(host);
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  open(focus = true) {
    this.panel.hidden = false;
    this.root.classList.add("is-open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.setUnread(0);
    this.scrollToEnd();
    if (focus) {
      this.input.focus();
    }
    this.handlers.onOpenChange(true);
  }

  close() {
    this.panel.hidden = true;
    this.root.classList.remove("is-open");
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.focus();
    this.handlers.onOpenChange(false);
  }

  setUnread(count) {
    this.unread = count;
    this.badge.textContent = String(count);
    this.badge.hidden = count === 0;
    const unread = count === 1 ? "1 unread message" : `${count} unread messages`;
    this.launcher.setAttribute(
      "aria-label",
      count ? `Open chat: ${this.config.title} (${unread})` : `Open chat: ${this.config.title}`,
    );
  }

  setConnection(text) {
    this.connection.textContent = text;
  }

  setError(text) {
    this.error.textContent = text;
  }

  submit() {
    const text = this.input.value;
    if (!text.trim()) {
      return;
    }
    if (text.length > MAX_MESSAGE_LENGTH) {
      this.setError(
        `That message has ${text.length.toLocaleString("en")} characters. Please keep it under ` +
          `${MAX_MESSAGE_LENGTH.toLocaleString("en")}, or send it in a few shorter parts.`,
      );
      return;
    }
    this.setError("");
    this.input.value = "";
    this.handlers.onSend(text.trim(), text.trim());
  }

  clearMessages() {
    this.log.replaceChildren(element(this.doc, "p", { class: "intro" }, this.config.intro));
    this.choices.replaceChildren();
    this.speaker = null;
  }

  /** Shows the messages of a chat so far, replacing what is on screen. */
  showHistory(messages) {
    this.log.setAttribute("aria-busy", "true");
    this.clearMessages();
    for (const message of messages) {
      if (message && message.sender === "customer" && typeof message.text === "string") {
        this.addCustomerMessage(message.text);
      } else {
        this.addBotMessage(message);
      }
    }
    this.log.removeAttribute("aria-busy");
    this.scrollToEnd();
  }

  addCustomerMessage(text, pending = false) {
    this.choices.replaceChildren();
    const bubble = element(this.doc, "div", { class: "msg msg-customer" });
    bubble.appendChild(element(this.doc, "span", { class: "sr-only" }, "You: "));
    bubble.appendChild(this.doc.createTextNode(text));
    if (pending) {
      bubble.classList.add("msg-pending");
    }
    this.log.appendChild(bubble);
    this.scrollToEnd();
    return bubble;
  }

  markSent(bubble) {
    bubble.classList.remove("msg-pending");
  }

  /** Adds an assistant's or agent's message; returns whether it showed anything. */
  addBotMessage(payload) {
    const { text, agent, choices, image } = readBotMessage(payload);
    if (!text && !image) {
      return false;
    }
    const speaker = agent ? "agent" : "bot";
    if (speaker === "agent" && this.speaker !== "agent") {
      this.addNotice(`${AGENT_JOINED}: ${agent}`);
    }
    this.speaker = speaker;
    const bubble = element(this.doc, "div", { class: `msg msg-${speaker}` });
    if (agent) {
      bubble.setAttribute("data-agent", agent);
      bubble.appendChild(element(this.doc, "span", { class: "sender" }, `${agent} · Support team`));
    } else {
      bubble.appendChild(element(this.doc, "span", { class: "sr-only" }, "Assistant: "));
    }
    if (text) {
      appendRichText(bubble, text);
    }
    if (image) {
      const picture = element(this.doc, "img", {
        src: image,
        alt: "Image sent in the chat",
        loading: "lazy",
        referrerpolicy: "no-referrer",
      });
      bubble.appendChild(picture);
    }
    this.log.appendChild(bubble);
    this.showChoices(choices);
    this.hideTyping();
    this.scrollToEnd();
    return true;
  }

  addNotice(text) {
    this.log.appendChild(element(this.doc, "p", { class: "notice" }, text));
  }

  showChoices(choices) {
    this.choices.replaceChildren();
    if (!choices.length) {
      return;
    }
    const scores = csatScores(choices);
    if (scores) {
      this.showStars(choices);
      return;
    }
    const group = element(this.doc, "div", {
      class: "choice-group",
      role: "group",
      "aria-label": "Suggested replies",
    });
    for (const choice of choices) {
      const button = element(this.doc, "button", { type: "button", class: "choice" }, choice.title);
      button.addEventListener("click", () => this.handlers.onSend(choice.payload, choice.title));
      group.appendChild(button);
    }
    this.choices.appendChild(group);
  }

  showStars(choices) {
    const group = element(this.doc, "div", {
      class: "stars",
      role: "group",
      "aria-label": "Rate the help you got, from 1 to 5 stars",
    });
    const stars = choices.map((choice, index) => {
      const score = index + 1;
      const label = score === 1 ? "1 star out of 5" : `${score} stars out of 5`;
      const star = element(this.doc, "button", { type: "button", class: "star", "aria-label": label }, "★");
      // Shown as the button's title, as the history shows it after a reload.
      star.addEventListener("click", () => this.handlers.onSend(choice.payload, choice.title));
      group.appendChild(star);
      return star;
    });
    const light = (upTo) => stars.forEach((star, index) => star.classList.toggle("lit", index < upTo));
    stars.forEach((star, index) => {
      star.addEventListener("mouseenter", () => light(index + 1));
      star.addEventListener("focus", () => light(index + 1));
    });
    group.addEventListener("mouseleave", () => light(0));
    group.addEventListener("focusout", () => light(0));
    this.choices.appendChild(group);
  }

  showTyping() {
    if (this.speaker === "agent") {
      return; // A person answers in their own time; the assistant is not the one typing.
    }
    this.typing.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SECONDS * 1000);
    this.scrollToEnd();
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    this.typing.hidden = true;
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
