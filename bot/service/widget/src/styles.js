// The widget's styles, inside its shadow root so the shop's CSS and the widget's never mix.

export const STYLES = `
:host { all: initial; }
* { box-sizing: border-box; }
.root {
  --accent: #1d4f91; --accent-dark: #143a6b; --text: #1b1b1f; --muted: #4a4f5a;
  --bot-bg: #eef1f6; --agent-bg: #fff3dc; --agent-edge: #8a5300; --danger: #a4001c;
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--text);
}
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
button, textarea { font: inherit; color: inherit; }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.launcher {
  position: relative; display: flex; align-items: center; gap: 8px; margin-left: auto;
  padding: 12px 18px; border: 0; border-radius: 28px; cursor: pointer;
  background: var(--accent); color: #fff; font-weight: 600;
  box-shadow: 0 4px 14px rgba(0, 0, 0, 0.25);
}
.launcher:hover { background: var(--accent-dark); }
.launcher[aria-expanded="true"] { display: none; }
.badge {
  position: absolute; top: -6px; right: -6px; min-width: 22px; height: 22px; padding: 0 6px;
  border-radius: 11px; background: var(--danger); color: #fff; font-size: 13px;
  line-height: 22px; text-align: center; font-weight: 700;
}
.badge[hidden] { display: none; }
.panel {
  display: flex; flex-direction: column; width: 370px; height: min(600px, calc(100vh - 40px));
  background: #fff; border-radius: 14px; overflow: hidden;
  box-shadow: 0 10px 40px rgba(0, 0, 0, 0.3);
}
.panel[hidden] { display: none; }
.header {
  display: flex; align-items: center; gap: 8px; padding: 12px 14px;
  background: var(--accent); color: #fff;
}
.header h2 { flex: 1; margin: 0; font-size: 17px; }
.close {
  border: 0; background: transparent; color: #fff; cursor: pointer; font-size: 22px;
  line-height: 1; padding: 4px 8px; border-radius: 6px;
}
.close:hover { background: rgba(255, 255, 255, 0.15); }
.connection { padding: 6px 14px; background: #fff8d6; color: #4d3b00; font-size: 13px; }
.connection:empty { display: none; }
.log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 8px; }
.intro { margin: 0 0 4px; color: var(--muted); }
.msg {
  max-width: 85%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap;
  overflow-wrap: anywhere;
}
.msg a { color: inherit; text-decoration: underline; }
.msg-bot { align-self: flex-start; background: var(--bot-bg); border-bottom-left-radius: 4px; }
.msg-agent {
  align-self: flex-start; background: var(--agent-bg); border-left: 4px solid var(--agent-edge);
  border-bottom-left-radius: 4px;
}
.msg-customer {
  align-self: flex-end; background: var(--accent); color: #fff; border-bottom-right-radius: 4px;
}
.msg-pending { opacity: 0.75; }
.msg-pending::after { content: " · sending…"; font-size: 12px; }
.sender { display: block; font-size: 12px; font-weight: 700; color: var(--agent-edge); }
.msg img { display: block; max-width: 100%; border-radius: 8px; }
.notice {
  align-self: center; margin: 4px 0; padding: 3px 10px; border-radius: 10px;
  background: #e5e7eb; color: #2b2f36; font-size: 13px; text-align: center;
}
.choices { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 14px 8px; }
.choices:empty { display: none; }
.choice-group { display: contents; }
.choice {
  padding: 6px 12px; border: 1px solid var(--accent); border-radius: 16px; cursor: pointer;
  background: #fff; color: var(--accent); font-size: 14px;
}
.choice:hover { background: var(--bot-bg); }
.stars { display: flex; gap: 4px; }
.star {
  border: 0; background: transparent; cursor: pointer; font-size: 30px; line-height: 1;
  padding: 2px 4px; color: #6b7280; border-radius: 6px;
}
.star.lit { color: #b7791f; }
.typing { display: flex; gap: 4px; align-items: center; padding: 0 16px 8px; color: var(--muted); }
.typing[hidden] { display: none; }
.dot { width: 7px; height: 7px; border-radius: 50%; background: #6b7280; animation: blink 1.2s infinite; }
.dot:nth-child(2) { animation-delay: 0.2s; }
.dot:nth-child(3) { animation-delay: 0.4s; }
@keyframes blink { 0%, 80%, 100% { opacity: 0.3; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .dot { animation: none; } }
.error { margin: 0 14px 6px; color: var(--danger); font-size: 13px; }
.error:empty { display: none; }
.composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #d8dce3; }
.composer textarea {
  flex: 1; resize: none; min-height: 42px; max-height: 120px; padding: 9px 10px;
  border: 1px solid #8a919e; border-radius: 10px; background: #fff;
}
.send {
  padding: 0 16px; border: 0; border-radius: 10px; cursor: pointer;
  background: var(--accent); color: #fff; font-weight: 600;
}
.send:hover { background: var(--accent-dark); }
@media (max-width: 480px) {
  .root { right: 12px; bottom: 12px; }
  .root.is-open { inset: 0; }
  .panel { width: 100vw; height: 100vh; height: 100dvh; border-radius: 0; }
}
`;
