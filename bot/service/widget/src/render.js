// Turns message text into DOM nodes. Everything is text: nodes are created one by one and
// filled with textContent, never parsed as HTML, so a message cannot add markup or script.

const TOKEN = /\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)|\*\*([^*\n]{1,500})\*\*|(https?:\/\/[^\s<>"'`]{1,2000})/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;

/** The URL if it is an absolute http(s) URL, else null. */
export function safeHttpUrl(raw) {
  if (typeof raw !== "string") {
    return null;
  }
  let url;
  try {
    url = new URL(raw);
  } catch (error) {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

function link(doc, href, label) {
  const anchor = doc.createElement("a");
  anchor.href = href;
  anchor.textContent = label;
  anchor.target = "_blank";
  anchor.rel = "noopener noreferrer";
  return anchor;
}

/** Appends ``text`` to ``parent``: links for http(s) URLs, bold for **text**, the rest as text. */
export function appendRichText(parent, text) {
  const doc = parent.ownerDocument;
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match !== null; match = TOKEN.exec(text)) {
    let consumed = match[0];
    let node = null;
    if (match[1] !== undefined) {
      const href = safeHttpUrl(match[2]);
      node = href ? link(doc, href, match[1]) : null;
    } else if (match[3] !== undefined) {
      node = doc.createElement("strong");
      node.textContent = match[3];
    } else {
      const url = match[4].replace(TRAILING_PUNCTUATION, "");
      const href = safeHttpUrl(url);
      if (href) {
        consumed = url;
        node = link(doc, href, url);
      }
    }
    if (node === null) {
      continue;
    }
    if (match.index > last) {
      parent.appendChild(doc.createTextNode(text.slice(last, match.index)));
    }
    parent.appendChild(node);
    last = match.index + consumed.length;
    TOKEN.lastIndex = last;
  }
  if (last < text.length) {
    parent.appendChild(doc.createTextNode(text.slice(last)));
  }
}
