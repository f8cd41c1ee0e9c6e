// The website chat widget. Embed with:
//   <script src="https://support.shop.example/widget.js"
//           data-socket-url="https://chat.shop.example" data-title="Customer support" defer></script>
// See config.js for every data attribute; window.ShopSupportChat is the page's handle on it.

import { Chat } from "./chat.js";
import { readConfig } from "./config.js";
import { createStore } from "./storage.js";
import { ChatView } from "./view.js";

function ownScript() {
  if (document.currentScript) {
    return document.currentScript;
  }
  return document.querySelector("script[data-socket-url]");
}

function start(script) {
  const config = readConfig(script);
  const store = createStore(config.socketUrl);
  let chat = null;
  const view = new ChatView(config, {
    onSend: (text, display) => chat.send(text, display),
    onOpenChange: (open) => store.write("open", open),
  });
  view.mount(document);
  chat = new Chat(config, view, store);
  chat.start();
  if (store.read("open") === true) {
    view.open(false);
  }
  window.ShopSupportChat = {
    open: () => view.open(),
    close: () => view.close(),
    refreshCustomer: () => chat.refreshCustomer(),
    endConversation: () => chat.endConversation(),
  };
  document.dispatchEvent(new CustomEvent("shop-support-chat:ready"));
}

const script = ownScript();
if (!script) {
  console.error("The chat widget could not find its <script> tag.");
} else if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => start(script));
} else {
  start(script);
}
