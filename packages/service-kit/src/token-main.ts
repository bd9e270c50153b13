import { parseArgs } from "node:util";
import { ROLES, type Role } from "./auth.js";
import { issueDevelopmentToken } from "./tokens.js";

// `npm run token -- <subject> [--email you@example.com] [--role support|operator] [--ttl 12h]`:
// prints a bearer token signed with the development key, which only development-mode services trust.
const USAGE = `usage: npm run token -- <customer or staff id> [--email ADDRESS] [--role ${ROLES.join("|")}]... [--ttl 12h]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    email: { type: "string" },
    role: { type: "string", multiple: true },
    ttl: { type: "string", default: "12h" },
  },
});
const subject = positionals[0];
const roles = values.role ?? [];
const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
if (!subject || positionals.length > 1 || unknown.length > 0) {
  console.error(unknown.length > 0 ? `unknown role ${unknown.join(", ")}\n${USAGE}` : USAGE);
  process.exit(2);
}
console.log(
  await issueDevelopmentToken({
    subject,
    roles: roles as Role[],
    expiresIn: values.ttl,
    ...(values.email ? { email: values.email } : {}),
  }),
);
