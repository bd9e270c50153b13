import { createHash } from "node:crypto";
import type { EmailTemplate } from "@herald/events";

// The UUIDv5 namespace of Herald's mail identities; changing it would give every mail a new identity.
const MESSAGE_ID_NAMESPACE = "2cc18575-5abc-455d-9cda-1dc514f8eb11";

/** A name-based UUID (RFC 9562 version 5): the same namespace and name always give the same id. */
export function uuidV5(name: string, namespace: string = MESSAGE_ID_NAMESPACE): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The Message-ID of the mail `template` composed for the event `eventId`: derived, never random,
 * so a redelivered event, a replay or a retry after a crash names the very same mail.
 */
export function messageIdFor(eventId: string, template: EmailTemplate, domain: string): string {
  return `<${uuidV5(`${eventId}/${template}`)}@${domain}>`;
}

/** The domain of a From such as `Herald <orders@herald.local>` or `orders@herald.local`. */
export function domainOf(from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  return address.slice(address.lastIndexOf("@") + 1).trim();
}
