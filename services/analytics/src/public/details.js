// What the dashboard fetches besides the summary: the last hour's series, the top products, the
// recent orders, and the one order whose saga is drawn.
import { getJson } from "./auth.js";
import { renderBars } from "./bars.js";
import { drawCharts } from "./charts.js";
import { $, html } from "./dom.js";
import { money } from "./format.js";
import { renderTimeline } from "./timeline.js";

const RANGE_MINUTES = 60;

/** The order whose timeline is shown, if any. */
export const shown = { orderId: undefined };

export async function refreshSeries() {
  const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
  const from = new Date(to.getTime() - RANGE_MINUTES * 60_000);
  const series = await getJson(
    `/analytics/timeseries?from=${from.toISOString()}&to=${to.toISOString()}&step=60`,
  );
  drawCharts(series);
}

async function refreshSkus() {
  const { skus } = await getJson("/analytics/skus?limit=8");
  renderBars(
    $("skus"),
    skus.map((s) => [s.sku, s.units, money(s.revenueMinor, s.currency)]),
    { color: "#8a5cd1", empty: "no confirmed orders yet" },
  );
}

async function refreshRecent() {
  const { orders } = await getJson("/analytics/orders?limit=6");
  $("recent").replaceChildren(
    ...orders.map((order) => {
      const button = html("button", { type: "button", "data-order-id": order.orderId, title: order.orderId });
      button.append(
        document.createTextNode(`${order.orderId.slice(0, 10)}…`),
        html("span", { class: `st ${order.status}` }, order.status),
      );
      button.addEventListener("click", () => showOrder(order.orderId));
      return button;
    }),
  );
}

export async function showOrder(orderId) {
  shown.orderId = orderId;
  $("order-id").value = orderId;
  const container = $("timeline");
  try {
    const timeline = await getJson(`/analytics/orders/${encodeURIComponent(orderId)}/timeline`);
    if (shown.orderId === orderId) renderTimeline(container, timeline);
  } catch (error) {
    const message =
      error.status === 404
        ? `No facts about order ${orderId} (yet).`
        : `Could not load the timeline: ${error.message}`;
    container.replaceChildren(html("p", { class: "empty error" }, message));
  }
}

let pending;
/** Coalesces the follow-up fetches of a burst of summary changes into one every half second. */
export function refreshDetails() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = undefined;
    await Promise.allSettled([
      refreshSeries(),
      refreshSkus(),
      refreshRecent(),
      shown.orderId && showOrder(shown.orderId),
    ]);
  }, 500);
}
