import { createServer, type Server, type Socket } from "node:net";

/** What the server answers when a message's data has been received. */
export type SmtpAnswer = "accept" | "refuse-temporarily" | "refuse-permanently" | "hang-up";

/** A message the server received, whatever it answered. */
export interface ReceivedMessage {
  readonly messageId: string | undefined;
  readonly recipients: readonly string[];
  readonly data: string;
  readonly answer: SmtpAnswer;
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>` */
  readonly url: string;
  readonly received: readonly ReceivedMessage[];
  /** Accepted messages only. */
  readonly accepted: readonly ReceivedMessage[];
  /** Decides the answer to the n-th message (0-based); can be changed while running. */
  answer: (index: number) => SmtpAnswer;
  /** How long the server waits before each reply, the greeting included (a slow server); 0 by default. */
  replyDelayMs: number;
  /** Connections the server has open now. */
  readonly openConnections: number;
  /** When each connection ended (`performance.now()`), in order. */
  readonly closedAt: readonly number[];
  close(): Promise<void>;
}

const REPLIES: Readonly<Record<Exclude<SmtpAnswer, "hang-up">, string>> = {
  accept: "250 2.0.0 queued",
  "refuse-temporarily": "451 4.3.0 try again later",
  "refuse-permanently": "550 5.7.1 message refused",
};

/**
 * A real SMTP server, just big enough for nodemailer (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, no
 * extensions), whose answer to each message a test chooses: accept, refuse with 451 or 550, or
 * hang up after the data arrived without answering (a conversation cut off in its last step).
 */
export async function startTestSmtpServer(answer: TestSmtpServer["answer"]): Promise<TestSmtpServer> {
  const received: ReceivedMessage[] = [];
  const sockets = new Set<Socket>();
  const state: { answer: TestSmtpServer["answer"]; replyDelayMs: number } = { answer, replyDelayMs: 0 };
  const closedAt: number[] = [];

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      closedAt.push(performance.now());
    });
    socket.on("error", () => {});
    socket.setEncoding("utf8");
    let buffer = "";
    let inData = false;
    let recipients: string[] = [];
    // Replies leave in order, each after the delay, as a slow server's would.
    let replies = Promise.resolve();
    const reply = (line: string) => {
      const delayMs = state.replyDelayMs;
      if (delayMs === 0) return void socket.write(`${line}\r\n`);
      replies = replies
        .then(() => new Promise((resolve) => setTimeout(resolve, delayMs)))
        .then(() => {
          if (!socket.destroyed) socket.write(`${line}\r\n`);
        });
    };
    reply("220 test-smtp ESMTP");

    socket.on("data", (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          const data = buffer.slice(0, end).replace(/^\.\./gm, ".");
          buffer = buffer.slice(end + 5);
          inData = false;
          const chosen = state.answer(received.length);
          received.push({
            messageId: /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(data)?.[1],
            recipients,
            data,
            answer: chosen,
          });
          recipients = [];
          if (chosen === "hang-up") {
            socket.destroy();
            return;
          }
          reply(REPLIES[chosen]);
          continue;
        }
        const newline = buffer.indexOf("\r\n");
        if (newline < 0) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO" || verb === "HELO") reply("250 test-smtp");
        else if (verb === "MAIL") reply("250 2.1.0 ok");
        else if (verb === "RCPT") {
          recipients.push(/<([^>]*)>/.exec(line)?.[1] ?? "");
          reply("250 2.1.5 ok");
        } else if (verb === "DATA") {
          inData = true;
          reply("354 end data with <CR><LF>.<CR><LF>");
        } else if (verb === "RSET" || verb === "NOOP") reply("250 2.0.0 ok");
        else if (verb === "QUIT") {
          reply("221 2.0.0 bye");
          void replies.then(() => socket.end());
          return;
        } else reply("502 5.5.1 not implemented");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the test SMTP server has no port");

  return {
    url: `smtp://127.0.0.1:${address.port}`,
    received,
    get accepted() {
      return received.filter((message) => message.answer === "accept");
    },
    get answer() {
      return state.answer;
    },
    set answer(next) {
      state.answer = next;
    },
    get replyDelayMs() {
      return state.replyDelayMs;
    },
    set replyDelayMs(next) {
      state.replyDelayMs = next;
    },
    get openConnections() {
      return sockets.size;
    },
    closedAt,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
