import type { SalesPeriodSummarized } from "@herald/events";
import { formatInstant, formatMoney } from "./format.js";
import { html } from "./html.js";
import { page, type RenderedMail, textPage } from "./layout.js";

export type SalesFigures = Omit<SalesPeriodSummarized, "metadata">;

const TABLE = "border-collapse:collapse;margin:12px 0";
const CELL = "padding:4px 12px 4px 0;text-align:left";
const NUMBER = `${CELL};text-align:right`;

/** The operations digest of one closed sales period. */
export function renderSalesDigest(figures: SalesFigures): RenderedMail {
  const period = `${formatInstant(figures.periodStart)} – ${formatInstant(figures.periodEnd)}`;
  const subject = `Sales digest ${period}`;
  const counts: [string, number][] = [
    ["Orders placed", figures.orderCount],
    ["Confirmed", figures.confirmedCount],
    ["Cancelled", figures.cancelledCount],
  ];
  const revenue = figures.revenue.length > 0 ? figures.revenue.map(formatMoney).join(", ") : "none";
  return {
    subject,
    html: page(
      subject,
      html`<h1 style="font-size:20px">Sales digest</h1>
<p>${period} <span style="color:#71717a">(${figures.periodId})</span></p>
<table style="${TABLE}">
${counts.map(([label, value]) => html`<tr><th style="${CELL}">${label}</th><td style="${NUMBER}">${value}</td></tr>\n`)}<tr><th style="${CELL}">Revenue, net of refunds</th><td style="${NUMBER}">${revenue}</td></tr>
</table>
<h2 style="font-size:16px">Top products</h2>
${
  figures.topSkus.length === 0
    ? html`<p>No product sold in this period.</p>`
    : html`<table style="${TABLE}">
<tr><th style="${CELL}">SKU</th><th style="${NUMBER}">Units</th></tr>
${figures.topSkus.map((sku) => html`<tr><td style="${CELL}">${sku.sku}</td><td style="${NUMBER}">${sku.quantity}</td></tr>\n`)}</table>`
}`,
    ),
    text: textPage([
      `Sales digest ${period} (${figures.periodId})`,
      [
        ...counts.map(([label, value]) => `  ${label}: ${value}`),
        `  Revenue, net of refunds: ${revenue}`,
      ].join("\n"),
      figures.topSkus.length === 0
        ? "No product sold in this period."
        : `Top products:\n${figures.topSkus.map((sku) => `  ${sku.quantity} × ${sku.sku}`).join("\n")}`,
    ]),
  };
}
