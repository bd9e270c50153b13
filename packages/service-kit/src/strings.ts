/**
 * Text that is safe to store and publish: no control characters (C0, DEL, C1: NUL is refused by
 * Postgres, line breaks and escapes have no place in a name or an address line) and no lone
 * surrogates (not valid Unicode, so Postgres' jsonb and Avro's UTF-8 cannot hold them), with at
 * least one character that is not white space. Linear time: no backtracking on long input.
 */
export const SAFE_STRING_PATTERN = "^(?!\\s*$)[^\\p{Cc}\\p{Cs}]*$";

/**
 * JSON Schema for a required piece of text, e.g. `customerId: safeString(100)`. For an optional
 * one, widen the type: `{ ...safeString(100), type: ["string", "null"] }` (the pattern then applies
 * to strings only). The pattern implies a minimum length of 1. Relies on Fastify's Ajv matching patterns in Unicode mode, its default.
 */
export function safeString(maxLength: number) {
  return { type: "string", maxLength, pattern: SAFE_STRING_PATTERN } as const;
}
