import { connect, type Socket } from "node:net";
import nodemailer from "nodemailer";
import { parseConnectionUrl } from "nodemailer/lib/shared/index.js";
import type { MailTransport } from "./sender.js";

/**
 * An SMTP transport for `url` (`smtp://[user:password@]host:port`, `smtps://` for implicit TLS) in
 * which no phase of a conversation can hang longer than `timeoutMs`, and a send whose signal aborts
 * is cut off there: its connection is destroyed, so the conversation is over, not merely abandoned.
 */
export function createSmtpTransport(url: string, timeoutMs: number): MailTransport {
  // Parsed here: given a `url`, nodemailer takes its settings from the URL alone and drops the rest,
  // the timeouts included.
  const settings = {
    ...parseConnectionUrl(url),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
  return {
    async sendMail(message, { signal }) {
      signal.throwIfAborted();
      let socket: Socket | undefined;
      const cutOff = () => socket?.destroy(abortError(signal));
      signal.addEventListener("abort", cutOff, { once: true });
      try {
        // One transporter per send (nodemailer opens a connection per send anyway), so the socket it
        // talks over is this send's own and the deadline can close it.
        const transporter = nodemailer.createTransport({
          ...settings,
          getSocket(
            options: { host?: string; port?: number; secure?: boolean },
            callback: (error: Error | null, socket?: { connection: Socket }) => void,
          ) {
            const port = Number(options.port) || (options.secure ? 465 : 587);
            const opening = connect({ host: options.host ?? "localhost", port });
            socket = opening;
            const timer = setTimeout(
              () => opening.destroy(Object.assign(new Error("Connection timeout"), { code: "ETIMEDOUT" })),
              timeoutMs,
            );
            const failed = (error: Error) => {
              clearTimeout(timer);
              callback(error);
            };
            opening.once("error", failed);
            opening.once("connect", () => {
              clearTimeout(timer);
              opening.removeListener("error", failed);
              // nodemailer takes over an open connection (and upgrades it for smtps://).
              callback(null, { connection: opening });
            });
          },
        } as Parameters<typeof nodemailer.createTransport>[0]);
        return await transporter.sendMail(message);
      } finally {
        signal.removeEventListener("abort", cutOff);
      }
    },
  };
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return Object.assign(reason instanceof Error ? reason : new Error(String(reason)), { code: "ETIMEDOUT" });
}

/**
 * How long the sender holds a mail for one attempt: an SMTP conversation is a connect, a greeting
 * and a handful of commands, each bounded by the timeout; four of them cover it with room to spare.
 */
export function leaseFor(timeoutMs: number): number {
  return 4 * timeoutMs;
}

/**
 * How long one SMTP conversation may last in all, whatever each step took: a timeout short of the
 * lease, so the conversation is over (and its outcome recorded) before another sender may claim the
 * mail. Without it a server answering every step just in time could stretch a send past the lease.
 */
export function sendDeadlineFor(timeoutMs: number): number {
  return 3 * timeoutMs;
}
