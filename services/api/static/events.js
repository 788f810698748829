// The live worklist: /api/v1/events read with fetch() so that the token travels in a header
// (EventSource cannot send one), reconnected with backoff whenever the stream drops.

import { Unauthorized } from "./api.js";

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30000;
// The server sends at least a keepalive every 15 s; silence this long means a dead link.
const SILENCE_MS = 45000;

export class EventStream {
  // handlers: hello(), change(data), state("connecting" | "live" | "reconnecting" | "token")
  constructor(api, handlers) {
    this.api = api;
    this.handlers = handlers;
    this.running = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.loop();
  }

  async loop() {
    let delay = FIRST_RETRY_MS;
    while (this.running) {
      this.handlers.state("connecting");
      try {
        await this.readOnce(() => {
          delay = FIRST_RETRY_MS;
        });
      } catch (error) {
        if (error instanceof Unauthorized) {
          this.running = false;
          this.handlers.state("token");
          return;
        }
      }
      this.handlers.state("reconnecting");
      await sleep(delay * (0.75 + Math.random() / 2));
      delay = Math.min(delay * 2, LAST_RETRY_MS);
    }
  }

  async readOnce(connected) {
    const controller = new AbortController();
    let watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
    try {
      const response = await fetch("/api/v1/events", {
        headers: this.api.headers({ Accept: "text/event-stream" }),
        cache: "no-store",
        signal: controller.signal,
      });
      if (response.status === 401) throw new Unauthorized("a valid token is needed");
      if (!response.ok || !response.body) return;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          this.dispatch(parseEvent(buffer.slice(0, end)), connected);
          buffer = buffer.slice(end + 2);
        }
      }
    } finally {
      clearTimeout(watchdog);
      controller.abort();
    }
  }

  dispatch(event, connected) {
    if (event.type === "hello") {
      connected();
      this.handlers.state("live");
      this.handlers.hello();
    } else if (event.type === "change") {
      this.handlers.change(event.data);
    }
  }
}

// One event block in the text/event-stream format; comments (keepalives) come back typeless.
export function parseEvent(block) {
  let type = "";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    if (field === "data") data.push(value);
  }
  if (data.length && !type) type = "message";
  return { type, data: data.join("\n") };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
