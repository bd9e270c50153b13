// The summary stream's figures: the headline numbers, the funnel and where orders drop out, the
// saga's latency, and the counts across the services.
import { renderBars } from "./bars.js";
import { $, html, setText } from "./dom.js";
import { money, ms, number, percent } from "./format.js";

export function renderSummary(summary) {
  const { orders, funnel, revenue, latency, payments, inventory, emails, periods } = summary;
  setText("kpi-placed", number.format(orders.placed));
  setText("kpi-placed-sub", `${number.format(summary.facts)} facts seen`);
  setText("kpi-confirmed", number.format(orders.confirmed));
  setText("kpi-confirmed-sub", `${percent(orders.confirmed, orders.placed)} of placed`);
  setText("kpi-cancelled", number.format(orders.cancelled));
  const topReason = Object.entries(orders.cancelledByReason).sort((a, b) => b[1] - a[1])[0];
  setText(
    "kpi-cancelled-sub",
    topReason ? `most: ${topReason[0].toLowerCase().replaceAll("_", " ")}` : "none so far",
  );
  setText("kpi-inflight", number.format(orders.inFlight));
  const main = [...revenue].sort((a, b) => b.grossMinor - a.grossMinor)[0];
  setText("kpi-revenue", main ? money(main.netMinor, main.currency) : "–");
  setText(
    "kpi-revenue-sub",
    main
      ? [
          `${money(main.grossMinor, main.currency)} gross − ${money(main.refundedMinor, main.currency)} refunds`,
          ...revenue.filter((r) => r !== main).map((r) => `${money(r.netMinor, r.currency)} net`),
        ].join(" · ")
      : "no confirmed orders yet",
  );
  $("kpi-revenue-sub").classList.add("wrap");
  setText("kpi-latency", ms(latency.p50Ms));
  setText(
    "kpi-latency-sub",
    latency.orders ? `p95 ${ms(latency.p95Ms)} · p99 ${ms(latency.p99Ms)}` : "no settled orders yet",
  );

  $("live-text").textContent = "live";
  $("last-fact").textContent = summary.lastFactAt
    ? `last fact ${new Date(summary.lastFactAt).toLocaleTimeString()}`
    : "no facts yet";
  $("fact-count").textContent = `${number.format(summary.facts)} facts`;

  renderBars(
    $("funnel"),
    [
      ["placed", funnel.placed, ""],
      ["reserved", funnel.reserved, percent(funnel.reserved, funnel.placed)],
      ["paid", funnel.paid, percent(funnel.paid, funnel.placed)],
      ["confirmed", funnel.confirmed, percent(funnel.confirmed, funnel.placed)],
    ],
    { empty: "no orders yet" },
  );

  const dropouts = [
    ["Out of stock at reservation", inventory.reservationFailed],
    ["Payment failed", payments.failed],
    ["Cancelled by the customer", orders.cancelledByReason.CUSTOMER_REQUEST ?? 0],
    ["Still in flight", orders.inFlight],
  ];
  $("dropouts").replaceChildren(
    ...dropouts.flatMap(([label, value]) => [html("dt", {}, label), html("dd", {}, number.format(value))]),
  );

  renderLatency(latency);
  renderBars($("reasons"), inWords(orders.cancelledByReason), {
    color: "var(--bad)",
    empty: "no cancellations",
  });
  renderBars($("payment-reasons"), inWords(payments.failedByReason), {
    color: "var(--warn)",
    empty: "no failed payments",
  });
  const others = [
    ["Stock reserved", inventory.reserved],
    ["Reservations failed", inventory.reservationFailed],
    ["Stock released", inventory.released],
    ["Payments taken", payments.processed],
    ["Refunds", payments.refunded],
    ["Mails sent", emails.sent],
    ["Mails failed", emails.failed],
    ["Periods summarized", periods.summarized],
  ];
  $("others").replaceChildren(
    ...others.flatMap(([label, value]) => [html("dt", {}, label), html("dd", {}, number.format(value))]),
  );
}

/** A count by reason as [label, count] pairs, each reason in words ("OUT_OF_STOCK" → "out of stock"). */
function inWords(countsByReason) {
  return Object.entries(countsByReason).map(([reason, count]) => [
    reason.toLowerCase().replaceAll("_", " "),
    count,
  ]);
}

function renderLatency(latency) {
  const container = $("latency");
  $("latency-hint").textContent =
    `${latency.orders} orders settled in the last ${Math.round(latency.windowMs / 60_000)} min`;
  const values = [
    ["p50", latency.p50Ms],
    ["p95", latency.p95Ms],
    ["p99", latency.p99Ms],
  ];
  const max = Math.max(1, ...values.map(([, v]) => v ?? 0));
  container.replaceChildren(
    ...values.map(([q, v]) => {
      const column = html("div", { class: "lat-col" });
      column.append(
        html("span", { class: "ms" }, ms(v)),
        html("div", { class: "col", style: `height:${v === null ? 0 : Math.max(2, (v / max) * 120)}px` }),
        html("span", { class: "q" }, q),
      );
      return column;
    }),
  );
}
