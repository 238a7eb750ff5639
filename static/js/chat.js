// Side-by-side chat: one message to every slot, the answers read from the SSE stream of a fetch() POST and shown
// as Markdown (through the sanitizer: chat_markdown.js).
import { configure, copyText, renderMarkdown, sourceOf } from "./chat_markdown.js";
import { failure as failureOf, postJSON as post, readEvents } from "./chat_stream.js";
import { follow, keepInView, unfollow } from "./chat_follow.js";

const cfg = JSON.parse(document.getElementById("chat-config").textContent);
const S = cfg.strings;
const LABELS = ["A", "B", "C"];
const COLS = { 1: "md:grid-cols-1", 2: "md:grid-cols-2", 3: "md:grid-cols-3" };
const $ = (sel, root = document) => root.querySelector(sel);
const transcript = $("#transcript");
const input = $("#chat-input");
const sendBtn = $("#chat-send");
const stopBtn = $("#chat-stop");
const errorBox = $("#chat-error");
const statusBox = $("#chat-status");
let conversationId = cfg.conversationId;
let savedSlots = null; // the settings the server has: sent again only when changed
let controller = null;
let abortTimer = null;
configure({ copyCode: S.copyCode, copied: S.copied });
const postJSON = (url, body, signal) => post(url, body, cfg.csrf, signal);
const failure = (response) => failureOf(response, S.failed);

function showError(message) { errorBox.textContent = message; errorBox.hidden = !message; }

function announce(message) { statusBox.textContent = message; }

function setBusy(busy) {
  sendBtn.disabled = busy;
  stopBtn.hidden = !busy;
  stopBtn.disabled = false;
  transcript.querySelectorAll("[data-regenerate], [data-choice]").forEach((b) => { b.disabled = busy; });
  const vote = $("#arena-vote");
  if (vote && cfg.blind) { // an arena battle's vote: once a turn's answers are in
    $("[data-vote-submit]", vote).disabled = busy;
    if (!busy && transcript.querySelector("[data-turn-block]")) vote.hidden = false;
  }
}

// ---- slots (models and their settings) ----
const cards = () => [...document.querySelectorAll("[data-slot-card]")];
const visibleCards = () => cards().filter((c) => !c.hidden);

function number(value, integer) {
  if (value === "" || value == null) return null;
  const n = Number(value);
  return Number.isFinite(n) ? (integer ? Math.trunc(n) : n) : null;
}

function readSlots() {
  return visibleCards().map((card) => ({
    model_id: number($("[name=model_id]", card).value, true),
    system_prompt: $("[name=system_prompt]", card).value,
    temperature: number($("[name=temperature]", card).value, false),
    max_tokens: number($("[name=max_tokens]", card).value, true),
  }));
}

function updateSlotButtons() {
  const shown = visibleCards().length;
  const add = $("#add-slot");
  if (add) add.hidden = cfg.fixed || shown >= cfg.maxSlots;
  cards().forEach((card, i) => {
    const remove = $("[data-remove-slot]", card);
    if (remove) remove.hidden = cfg.fixed || i !== shown - 1;
  });
}

$("#add-slot")?.addEventListener("click", () => {
  const next = cards().find((c) => c.hidden);
  if (next) { next.hidden = false; $("select", next).focus(); }
  updateSlotButtons();
});
document.querySelectorAll("[data-remove-slot]").forEach((b) => b.addEventListener("click", () => {
  b.closest("[data-slot-card]").hidden = true;
  updateSlotButtons();
  $("#add-slot")?.focus();
}));

// ---- transcript ----
function answerCard(turn, slot, modelName, last) {
  const card = $("#tpl-answer").content.firstElementChild.cloneNode(true);
  card.dataset.slot = slot; card.dataset.turn = turn;
  const head = $("h3", card);
  head.id = `answer-${turn}-${slot}`;
  card.setAttribute("aria-labelledby", head.id);
  $("[data-label]", card).textContent = LABELS[slot - 1];
  $("[data-model-name]", card).textContent = modelName ?? S.model.replace("{label}", LABELS[slot - 1]); // blind: no name
  $("[data-regenerate]", card).hidden = !last;
  setStatus(card, "streaming");
  return card;
}

function setStatus(card, status) {
  const badge = $("[data-status-badge]", card);
  const cls = { streaming: "badge-info", stopped: "badge-warning", error: "badge-error", complete: "badge-ghost" };
  badge.className = `badge badge-sm ${cls[status] || "badge-ghost"}`;
  badge.replaceChildren();
  if (status === "streaming") {
    const spin = document.createElement("span");
    spin.className = "loading loading-spinner loading-xs"; spin.setAttribute("aria-hidden", "true");
    badge.append(spin);
  }
  badge.append(S[status] || status);
  card.dataset.status = status;
  card.setAttribute("aria-busy", status === "streaming" ? "true" : "false");
}

function metricsText(m) {
  const parts = [];
  if (m.ttft_ms != null) parts.push(`TTFT ${Math.round(m.ttft_ms)} ms`);
  if (m.latency_ms != null) parts.push(`${(m.latency_ms / 1000).toFixed(2)} s`);
  if (m.tokens_per_s) parts.push(`${m.tokens_per_s} tok/s`);
  if (m.usage && m.usage.completion_tokens != null) {
    parts.push(`${m.usage.prompt_tokens ?? "?"} → ${m.usage.completion_tokens} ${S.tokens}`);
  }
  return parts.join(" · ");
}

function newTurn(start) {
  const block = document.createElement("article");
  block.className = "space-y-2";
  block.dataset.turnBlock = start.turn;
  block.setAttribute("aria-label", S.turn.replace("{n}", start.turn));
  const user = $("#tpl-user").content.firstElementChild.cloneNode(true);
  $("[data-user-text]", user).textContent = start.user_message ? start.user_message.content : "";
  const grid = document.createElement("div");
  grid.className = `grid gap-3 ${COLS[start.slots.length]}`;
  grid.dataset.answers = "";
  start.slots.forEach((s) => grid.append(answerCard(start.turn, s.slot, s.model_name, true)));
  block.append(user, grid);
  if (start.slots.length > 1 && !cfg.arena) { // an arena battle has one vote, below the transcript
    const pref = $("#tpl-preference").content.firstElementChild.cloneNode(true);
    pref.dataset.preference = start.turn;
    $("[data-choice=C]", pref).hidden = start.slots.length < 3;
    block.append(pref);
  }
  transcript.querySelectorAll("[data-regenerate]").forEach((b) => { b.hidden = true; });
  transcript.append(block);
  follow();
  return block;
}

// ---- streaming ----
async function stream(url, body, regenerateSlot) {
  controller = new AbortController();
  const response = await postJSON(url, body, controller.signal);
  if (!response.ok) throw await failure(response);
  const live = {}; // slot -> {card, text, frame}
  const paint = (slot) => {
    const s = live[slot];
    if (!s || s.frame) return;
    s.frame = requestAnimationFrame(() => { s.frame = 0; renderMarkdown($("[data-md]", s.card), s.text); keepInView(); });
  };
  try {
    await readEvents(response, (event, data) => {
      if (event === "start") {
        let block;
        if (regenerateSlot) {
          block = transcript.querySelector(`[data-turn-block="${data.turn}"]`);
          const old = block.querySelector(`[data-answer][data-slot="${regenerateSlot}"]`);
          old.replaceWith(answerCard(data.turn, regenerateSlot, data.slots[0].model_name, true));
          const pressed = block.querySelector("[data-choice][aria-pressed=true]");
          if (pressed) markChoice(pressed.closest("[data-preference]"), null);
        } else {
          block = newTurn(data);
        }
        block.querySelectorAll("[data-answer]").forEach((card) => {
          if (!regenerateSlot || card.dataset.slot === String(regenerateSlot)) {
            live[card.dataset.slot] = { card, text: "", frame: 0 };
            $("[data-regenerate]", card).disabled = true;
          }
        });
        block.querySelectorAll("[data-choice]").forEach((b) => { b.disabled = true; });
      } else if (event === "token" && live[data.slot]) {
        live[data.slot].text += data.text;
        paint(data.slot);
      } else if (event === "error") {
        if (data.slot == null || !live[data.slot]) { showError(data.message); return; }
        const box = $("[data-error]", live[data.slot].card);
        box.textContent = data.message; box.hidden = false;
      } else if (event === "done" && live[data.slot]) {
        const s = live[data.slot];
        cancelAnimationFrame(s.frame); s.frame = -1; // no later repaint
        renderMarkdown($("[data-md]", s.card), data.message.content);
        if (data.message.error) { const box = $("[data-error]", s.card); box.textContent = data.message.error; box.hidden = false; }
        $("[data-metrics]", s.card).textContent = metricsText(data.message);
        setStatus(s.card, data.message.status);
        $("[data-regenerate]", s.card).disabled = false;
        keepInView();
      } else if (event === "end") {
        announce(S.done);
      }
    });
  } finally {
    Object.values(live).forEach((s) => { // the stream broke off: what arrived stays, marked stopped
      if (s.card.getAttribute("aria-busy") === "true") { cancelAnimationFrame(s.frame); renderMarkdown($("[data-md]", s.card), s.text); setStatus(s.card, "stopped"); }
    });
    controller = null;
    clearTimeout(abortTimer);
    unfollow();
  }
}

async function send() {
  if (controller) return;
  const content = input.value.trim();
  if (!content) { showError(S.empty); input.focus(); return; }
  const slots = cfg.arena ? [] : readSlots(); // an arena battle's models are fixed and hidden
  if (!cfg.arena && (!slots.length || slots.some((s) => !s.model_id))) { showError(S.pickModel); return; }
  showError("");
  setBusy(true);
  let voteNext = false;
  try {
    if (!conversationId) {
      const r = await postJSON(cfg.createUrl, { slots });
      if (!r.ok) throw await failure(r);
      const created = await r.json();
      conversationId = created.id;
      cfg.fixed = true;
      updateSlotButtons();
      history.replaceState(null, "", created.url);
      addToSidebar(created.url, content);
      savedSlots = JSON.stringify(slots);
    }
    input.value = "";
    const body = { content };
    if (!cfg.arena && JSON.stringify(slots) !== savedSlots) body.slots = slots;
    await stream(`${cfg.root}${conversationId}/messages`, body);
    savedSlots = JSON.stringify(slots);
    voteNext = cfg.blind && turnComplete();
  } catch (err) {
    if (err.name !== "AbortError") showError(err.message);
    if (!input.value) input.value = content;
  } finally {
    setBusy(false);
    const vote = $("#arena-vote");
    if (voteNext && vote && !vote.hidden) { // a blind battle's answers are in: the vote is next, not another message
      $("input[name=choice]", vote).focus();
      announce(S.voteNext);
    } else {
      input.focus();
    }
  }
}

// Whether every answer of the latest turn is complete (none stopped or failed).
function turnComplete() {
  const blocks = transcript.querySelectorAll("[data-turn-block]");
  const answers = blocks.length ? [...blocks[blocks.length - 1].querySelectorAll("[data-answer]")] : [];
  return answers.length > 0 && answers.every((card) => card.dataset.status === "complete");
}

function addToSidebar(url, content) {
  const list = $("#conversation-list");
  list.querySelector("[data-empty]")?.remove();
  list.querySelectorAll("[aria-current]").forEach((a) => { a.removeAttribute("aria-current"); a.classList.remove("menu-active"); });
  const li = document.createElement("li");
  const a = Object.assign(document.createElement("a"), { href: url, className: "menu-active" });
  a.setAttribute("aria-current", "page");
  const span = Object.assign(document.createElement("span"), { className: "truncate", textContent: content.slice(0, 80) });
  a.append(span); li.append(a); list.prepend(li);
  $("#chat-title").textContent = span.textContent;
}

async function stop() {
  if (!controller) return;
  stopBtn.disabled = true;
  try { await postJSON(`${cfg.root}${conversationId}/stop`, {}); } catch { /* the abort below still stops it */ }
  abortTimer = setTimeout(() => controller && controller.abort(), 4000); // going away stops the server too
}

function markChoice(group, choice) {
  group.querySelectorAll("[data-choice]").forEach((b) => {
    const on = b.dataset.choice === choice;
    b.setAttribute("aria-pressed", on ? "true" : "false");
    b.classList.toggle("btn-primary", on); b.classList.toggle("btn-outline", !on);
  });
}

transcript.addEventListener("click", async (ev) => {
  const target = ev.target.closest("button");
  if (!target) return;
  const card = target.closest("[data-answer]");
  if (target.matches("[data-copy-answer]")) {
    const md = $("[data-md]", card);
    copyText(sourceOf(md), target);
  } else if (target.matches("[data-regenerate]") && !controller) {
    showError(""); setBusy(true);
    try { await stream(`${cfg.root}${conversationId}/slots/${card.dataset.slot}/regenerate`, {}, Number(card.dataset.slot)); }
    catch (err) { if (err.name !== "AbortError") showError(err.message); }
    finally { setBusy(false); }
  } else if (target.matches("[data-choice]")) {
    const group = target.closest("[data-preference]");
    const r = await postJSON(`${cfg.root}${conversationId}/preference`, { turn: Number(group.dataset.preference), choice: target.dataset.choice });
    if (r.ok) markChoice(group, target.dataset.choice); else showError((await failure(r)).message);
  }
});

$("#chat-form").addEventListener("submit", (ev) => { ev.preventDefault(); send(); });
input.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send(); }
  else if (ev.key === "Escape" && controller) { ev.preventDefault(); stop(); }
});
stopBtn.addEventListener("click", stop);

document.querySelectorAll("#transcript [data-md]").forEach((el) => renderMarkdown(el, el.textContent));
updateSlotButtons();
if (cfg.fixed) savedSlots = JSON.stringify(readSlots());
document.documentElement.dataset.chatReady = "1";
