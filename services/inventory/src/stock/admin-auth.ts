import { createHash, timingSafeEqual } from "node:crypto";
import { InventoryError } from "../errors.js";

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;
const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * Checks an `Authorization: Bearer <token>` header against the admin token. The two are compared
 * as SHA-256 digests with `timingSafeEqual`: equal lengths always, so neither the token's content
 * nor its length leaks through the time the comparison takes.
 */
export function createAdminAuth(token: string): (header: string | undefined) => void {
  const expected = digest(token);
  return (header) => {
    const given = typeof header === "string" ? BEARER.exec(header)?.[1] : undefined;
    const matches = timingSafeEqual(digest(given ?? ""), expected);
    if (given === undefined)
      throw new InventoryError(
        "INVENTORY_UNAUTHORIZED",
        "changing stock needs an Authorization: Bearer <admin token> header",
      );
    if (!matches) throw new InventoryError("INVENTORY_UNAUTHORIZED", "the admin token is not valid");
  };
}
