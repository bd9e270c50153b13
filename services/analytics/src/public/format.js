// How the dashboard writes numbers, amounts of money, durations and shares.

export const number = new Intl.NumberFormat("en");

/** The currency's minor-unit digits (2 for EUR, 0 for JPY; 2 when the browser does not know it). */
export function digits(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits;
  } catch {
    return 2;
  }
}

export function money(minor, currency) {
  const d = digits(currency);
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency, maximumFractionDigits: d }).format(
      minor / 10 ** d,
    );
  } catch {
    return `${(minor / 10 ** d).toFixed(d)} ${currency}`;
  }
}

export function ms(value) {
  if (value === null || value === undefined) return "–";
  return value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)} s`;
}

export function percent(part, whole) {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : "–";
}
