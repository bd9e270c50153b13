import nodemailer from "nodemailer";
import type { MailTransport } from "./sender.js";

/**
 * An SMTP transport for `url` (`smtp://[user:password@]host:port`, `smtps://` for implicit TLS) in
 * which no phase of a conversation can hang longer than `timeoutMs`.
 */
export function createSmtpTransport(url: string, timeoutMs: number): MailTransport {
  return nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  } as Parameters<typeof nodemailer.createTransport>[0]);
}

/**
 * How long the sender holds a mail for one attempt: an SMTP conversation is a connect, a greeting
 * and a handful of commands, each bounded by the timeout; four of them cover it with room to spare.
 */
export function leaseFor(timeoutMs: number): number {
  return 4 * timeoutMs;
}
