// The page follows a streaming answer (the end of the transcript stays just above the sticky composer) until the
// reader scrolls up; scrolling back to the bottom follows again.
let following = false;
let lastY = window.scrollY;
const SLACK = 48; // px from the bottom that still counts as "at the bottom"

const atBottom = () => window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - SLACK;

function toBottom() {
  window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "instant" });
  lastY = window.scrollY;
}

function stopFollowing() { following = false; }

window.addEventListener("wheel", (ev) => { if (ev.deltaY < 0) stopFollowing(); }, { passive: true });
window.addEventListener("touchmove", stopFollowing, { passive: true });
window.addEventListener("keydown", (ev) => {
  if (["PageUp", "ArrowUp", "Home"].includes(ev.key) && !ev.target.closest("textarea, input, select")) stopFollowing();
});
window.addEventListener("scroll", () => {
  const y = window.scrollY;
  if (y < lastY - SLACK) stopFollowing(); // e.g. the scrollbar dragged up
  lastY = y;
}, { passive: true });

/** A new turn starts: show it and follow its answers. */
export function follow() { following = true; toBottom(); }

/** Content grew: keep the end in view unless the reader scrolled away (back at the bottom: follow again). */
export function keepInView() {
  if (!following && atBottom()) following = true;
  if (following) toBottom();
}

/** The stream ended. */
export function unfollow() { following = false; }
