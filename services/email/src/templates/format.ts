import type { Money, ShippingAddress } from "@herald/events";

// One fixed locale: the events carry no customer locale, and a stable rendering keeps mails testable.
const LOCALE = "en-GB";
const formatters = new Map<string, Intl.NumberFormat>();

/** `{ amountMinor: 5070, currency: "EUR" }` → `€50.70`; JPY has no minor unit, so 500 → `¥500`. */
export function formatMoney(money: Money): string {
  const formatter = currencyFormatter(money.currency);
  if (!formatter) return `${(money.amountMinor / 100).toFixed(2)} ${money.currency}`;
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  return formatter.format(money.amountMinor / 10 ** digits);
}

function currencyFormatter(currency: string): Intl.NumberFormat | undefined {
  let formatter = formatters.get(currency);
  if (!formatter) {
    try {
      formatter = new Intl.NumberFormat(LOCALE, { style: "currency", currency });
    } catch {
      return undefined; // not a well-formed ISO 4217 code: shown as amount and code
    }
    formatters.set(currency, formatter);
  }
  return formatter;
}

/** The address as the lines of a label: name, street, detail, postal code and city, region, country. */
export function addressLines(address: ShippingAddress): string[] {
  return [
    address.recipientName,
    address.line1,
    address.line2,
    `${address.postalCode} ${address.city}`,
    address.region,
    address.country,
  ].filter((line): line is string => line !== null && line.trim() !== "");
}

/** The first block of an order id, as people quote it: `7d9f3c1e` of `7d9f3c1e-…`. */
export function shortOrderId(orderId: string): string {
  return orderId.split("-")[0]!.slice(0, 12);
}

/** `2025-11-23 12:00 UTC`. */
export function formatInstant(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
