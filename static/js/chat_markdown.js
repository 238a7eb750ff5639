// Model output as Markdown, and copy buttons. The output reaches the page only through DOMPurify, and raw HTML in
// it is escaped first (shown as text), so nothing a model writes ever runs as script.
import { marked } from "../vendor/marked/marked.esm.js";
import DOMPurify from "../vendor/dompurify/purify.es.js";

const sources = new WeakMap(); // rendered element -> its Markdown source
let labels = { copyCode: "Copy code", copied: "Copied" };
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
marked.use({ gfm: true, breaks: true, renderer: { html: (token) => escapeHtml(token.text || token.raw || "") } });

/** Button labels in the page's language. */
export function configure(strings) { labels = { ...labels, ...strings }; }

/** Render ``text`` into ``el`` (sanitized), with a copy button on each code block. */
export function renderMarkdown(el, text) {
  sources.set(el, text);
  el.classList.remove("whitespace-pre-wrap");
  el.innerHTML = DOMPurify.sanitize(marked.parse(text || ""), { USE_PROFILES: { html: true } });
  el.querySelectorAll("pre").forEach((pre) => {
    // the button sits on a bar of its own above the code, never over its first line
    const wrap = document.createElement("div");
    wrap.className = "rounded-box bg-base-200 my-2";
    pre.replaceWith(wrap);
    const bar = document.createElement("div");
    bar.className = "flex justify-end px-1 pt-1";
    const btn = document.createElement("button");
    btn.type = "button"; btn.className = "btn btn-xs btn-ghost"; btn.textContent = labels.copyCode;
    btn.addEventListener("click", () => copyText(pre.textContent, btn));
    bar.append(btn);
    wrap.append(bar, pre);
  });
}

/** The Markdown an element was rendered from (its text when it was not). */
export function sourceOf(el) { return sources.get(el) ?? el.textContent; }

/** Copy ``text`` to the clipboard; ``btn`` says "Copied" for a moment. */
export async function copyText(text, btn) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = Object.assign(document.createElement("textarea"), { value: text });
    document.body.append(area); area.select(); document.execCommand("copy"); area.remove();
  }
  const old = btn.textContent;
  btn.textContent = labels.copied;
  setTimeout(() => { btn.textContent = old; }, 1500);
}
