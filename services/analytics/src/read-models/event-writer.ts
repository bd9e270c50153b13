/** The part of a response (or any writable) the writer needs. */
export interface EventSink {
  write(chunk: string): boolean;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  once(event: "drain", listener: () => void): unknown;
  off(event: "drain", listener: () => void): unknown;
}

/** Writes server-sent events to one client, honouring backpressure. */
export interface EventWriter {
  /** Sends `frame` now, or keeps it (replacing any kept one) until the client has read what it has. */
  send(frame: string): void;
  /** A keep-alive comment, skipped while the client is behind (the kept frame will go soon enough). */
  heartbeat(): void;
  /** Stops the deadline; the caller ends the response. */
  close(): void;
}

/**
 * A client that reads slower than the summary changes never makes the server queue: while its
 * socket buffer is full, only the latest frame is kept, and it goes out when the buffer drains
 * (every frame is a whole summary, so the latest makes the older ones worthless). A client whose
 * buffer stays full for `stallMs` is given up on: `onStall` is called (the caller disconnects it).
 */
export function createEventWriter(
  sink: EventSink,
  options: { stallMs: number; onStall: () => void },
): EventWriter {
  let kept: string | undefined;
  let waiting = false;
  let deadline: NodeJS.Timeout | undefined;

  const gone = () => sink.destroyed || sink.writableEnded;

  function drained(): void {
    waiting = false;
    clearTimeout(deadline);
    deadline = undefined;
    const frame = kept;
    kept = undefined;
    if (frame !== undefined) write(frame);
  }

  function behind(): void {
    if (waiting) return;
    waiting = true;
    sink.once("drain", drained);
    deadline = setTimeout(options.onStall, options.stallMs);
    deadline.unref?.();
  }

  function write(frame: string): void {
    if (gone()) return;
    if (!sink.write(frame)) behind();
  }

  return {
    send(frame) {
      if (!waiting && !sink.writableNeedDrain) return write(frame);
      kept = frame;
      behind();
    },
    heartbeat() {
      if (!waiting && !sink.writableNeedDrain) write(": keep-alive\n\n");
    },
    close() {
      clearTimeout(deadline);
      deadline = undefined;
      kept = undefined;
      sink.off("drain", drained);
    },
  };
}
