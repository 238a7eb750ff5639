// The chat's requests: JSON posts with the CSRF header, and reading a Server-Sent Events body from fetch()
// (EventSource cannot POST).

/** POST ``body`` as JSON; ``csrf`` goes in the X-CSRFToken header. */
export function postJSON(url, body, csrf, signal) {
  return fetch(url, {
    method: "POST", credentials: "same-origin", signal, body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json, text/event-stream" },
  });
}

/** Call ``onEvent(name, data)`` for each event of an SSE response body, as it arrives. */
export async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(event, JSON.parse(data.join("\n")));
    }
  }
}

/** The error of a failed response: the API's message, else ``fallback`` with the HTTP status. */
export async function failure(response, fallback) {
  try {
    const body = await response.json();
    return new Error(body.error.message);
  } catch {
    return new Error(fallback.replace("{error}", `HTTP ${response.status}`));
  }
}
