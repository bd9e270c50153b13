// The summary stream, read as server-sent events over an authorized fetch.
import { authorizedFetch, Refused, reasonOf } from "./auth.js";
import { $ } from "./dom.js";

/**
 * Reads the summary stream with fetch (EventSource cannot send an Authorization header) and
 * reconnects after the server's retry delay; a refused token stops it and asks for another.
 */
export async function connect(controller, onSummary) {
  let retryMs = 2000;
  while (!controller.signal.aborted) {
    try {
      const response = await authorizedFetch("/analytics/stream", {
        headers: { accept: "text/event-stream" },
        signal: controller.signal,
      });
      if (!response.ok) {
        const after = Number(response.headers.get("retry-after"));
        if (after > 0) retryMs = after * 1000;
        throw new Error(`${response.status}: ${await reasonOf(response)}`);
      }
      $("live-dot").className = "dot live";
      $("live-text").textContent = "live";
      await readEvents(response.body, controller.signal, {
        summary(data) {
          onSummary(JSON.parse(data));
        },
        retry(ms) {
          retryMs = ms;
        },
      });
    } catch (error) {
      if (error instanceof Refused || controller.signal.aborted) return;
    }
    $("live-dot").className = "dot down";
    $("live-text").textContent = "reconnecting…";
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

/** Parses server-sent events from `body`: calls `on[event](data)` per event and `on.retry(ms)`. */
async function readEvents(body, signal, on) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll("\r\n", "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "retry" && /^\d+$/.test(value)) on.retry?.(Number(value));
      }
      if (data.length > 0) on[event]?.(data.join("\n"));
    }
  }
}
