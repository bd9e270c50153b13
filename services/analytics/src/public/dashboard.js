// The Analytics dashboard: headline figures and charts fed by the server-sent summary stream, and
// an order lookup that draws one saga. Plain ES modules, no build step; uPlot from node_modules.
import { formatOffset, renderTimeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat("en");
const RANGE_MINUTES = 60;

const state = { summary: undefined, series: undefined, orderId: undefined, charts: {} };

function html(name, attributes = {}, text) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function digits(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits;
  } catch {
    return 2;
  }
}

function money(minor, currency) {
  const d = digits(currency);
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency, maximumFractionDigits: d }).format(
      minor / 10 ** d,
    );
  } catch {
    return `${(minor / 10 ** d).toFixed(d)} ${currency}`;
  }
}

function ms(value) {
  if (value === null || value === undefined) return "–";
  return value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)} s`;
}

function percent(part, whole) {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : "–";
}

function setText(id, text) {
  const node = $(id);
  if (node.textContent === text) return;
  node.textContent = text;
  node.classList.remove("flash");
  void node.offsetWidth;
  node.classList.add("flash");
}

/** Horizontal bars: rows of [label, value, note?]. */
function renderBars(container, rows, { color, empty = "nothing yet" } = {}) {
  if (rows.length === 0) {
    container.replaceChildren(html("p", { class: "none" }, empty));
    return;
  }
  const max = Math.max(1, ...rows.map((row) => row[1]));
  container.replaceChildren(
    ...rows.map(([label, value, note]) => {
      const row = html("div", { class: "bar-row", title: `${label}: ${value}` });
      const track = html("div", { class: "track" });
      const fill = html("div", { class: "fill", style: `width:${(value / max) * 100}%` });
      if (color) fill.style.background = color;
      track.append(fill);
      const num = html("span", { class: "num" }, number.format(value));
      if (note) num.append(html("small", {}, note));
      row.append(html("span", { class: "label" }, label), track, num);
      return row;
    }),
  );
}

function renderSummary(summary) {
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
  renderBars(
    $("reasons"),
    Object.entries(orders.cancelledByReason).map(([reason, count]) => [
      reason.toLowerCase().replaceAll("_", " "),
      count,
    ]),
    { color: "var(--bad)", empty: "no cancellations" },
  );
  renderBars(
    $("payment-reasons"),
    Object.entries(payments.failedByReason).map(([reason, count]) => [
      reason.toLowerCase().replaceAll("_", " "),
      count,
    ]),
    { color: "var(--warn)", empty: "no failed payments" },
  );
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

const CHART_HEIGHT = { "chart-orders": 250, "chart-revenue": 190 };

function chartSize(container) {
  return { width: Math.max(200, container.clientWidth), height: CHART_HEIGHT[container.id] ?? 200 };
}

function ordersChart(series) {
  const container = $("chart-orders");
  const x = series.buckets.map((at) => at / 1000);
  // Outcomes stacked: the red bar (confirmed + cancelled) is drawn first, the green one over its base.
  const settled = series.confirmed.map((confirmed, i) => confirmed + series.cancelled[i]);
  const data = [x, settled, series.confirmed, series.placed];
  if (state.charts.orders) {
    state.charts.orders.setData(data);
    return;
  }
  const bars = uPlot.paths.bars({ size: [0.72, 36], gap: 1 });
  state.charts.orders = new uPlot(
    {
      ...chartSize(container),
      legend: { show: false },
      cursor: { points: { size: 6 } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
      axes: [
        { stroke: "#6b7385", grid: { stroke: "#eef0f4" }, ticks: { show: false } },
        { stroke: "#6b7385", grid: { stroke: "#eef0f4" }, ticks: { show: false }, size: 36 },
      ],
      series: [
        {},
        {
          label: "cancelled",
          stroke: "#d64550",
          fill: "#d64550cc",
          width: 0,
          paths: bars,
          points: { show: false },
        },
        {
          label: "confirmed",
          stroke: "#1f9d6b",
          fill: "#1f9d6bdd",
          width: 0,
          paths: bars,
          points: { show: false },
        },
        {
          label: "placed",
          stroke: "#3f63d8",
          width: 2,
          paths: uPlot.paths.stepped({ align: 0 }),
          points: { show: false },
        },
      ],
    },
    data,
    container,
  );
}

function revenueChart(series) {
  const container = $("chart-revenue");
  const x = series.buckets.map((at) => at / 1000);
  const currencies = series.revenue.map((r) => r.currency);
  const key = currencies.join(",");
  const data = [
    x,
    ...series.revenue.map((r) =>
      r.grossMinor.map((gross, i) => (gross - r.refundedMinor[i]) / 10 ** digits(r.currency)),
    ),
  ];
  if (currencies.length === 0) data.push(x.map(() => 0));
  if (state.charts.revenue && state.charts.revenueKey === key) {
    state.charts.revenue.setData(data);
    return;
  }
  state.charts.revenue?.destroy();
  const palette = ["#1f9d6b", "#3f63d8", "#d98a1c", "#8a5cd1"];
  state.charts.revenueKey = key;
  $("revenue-chips").replaceChildren(
    ...currencies.map((currency, i) => {
      const chip = html("span", { class: "chip" });
      chip.append(
        html("i", { class: "swatch", style: `--c: ${palette[i % palette.length]}` }),
        document.createTextNode(currency),
      );
      return chip;
    }),
    html("span", { class: "hint" }, "net of refunds"),
  );
  state.charts.revenue = new uPlot(
    {
      ...chartSize(container),
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [
        { stroke: "#6b7385", grid: { stroke: "#eef0f4" }, ticks: { show: false } },
        { stroke: "#6b7385", grid: { stroke: "#eef0f4" }, ticks: { show: false }, size: 44 },
      ],
      series: [
        {},
        ...(currencies.length
          ? currencies.map((currency, i) => ({
              label: currency,
              stroke: palette[i % palette.length],
              fill: `${palette[i % palette.length]}bb`,
              width: 0,
              paths: uPlot.paths.bars({ size: [0.7, 40] }),
              points: { show: false },
              value: (_u, v) => (v === null ? "–" : `${v.toFixed(digits(currency))}`),
            }))
          : [{ label: "revenue", stroke: "#1f9d6b" }]),
      ],
    },
    data,
    container,
  );
}

// The operator's token: kept in this tab's sessionStorage (gone when the tab closes), sent only as
// an Authorization header, never put in a URL or logged.
const TOKEN_KEY = "herald.analytics.operatorToken";
const auth = { token: sessionStorage.getItem(TOKEN_KEY), stream: undefined };

/** A refusal of the token (401, 403): the dashboard stops and asks for another one. */
class Refused extends Error {}

async function reasonOf(response) {
  try {
    const body = await response.json();
    if (typeof body.message === "string") return body.message;
  } catch {}
  return `the server answered ${response.status}`;
}

async function authorizedFetch(url, init = {}) {
  if (!auth.token) throw new Refused("no token yet");
  const response = await fetch(url, {
    ...init,
    headers: { ...init.headers, authorization: `Bearer ${auth.token}` },
  });
  if (response.status === 401 || response.status === 403) {
    const reason = await reasonOf(response);
    askForToken(response.status === 403 ? `Not allowed: ${reason}.` : `Not signed in: ${reason}.`);
    throw new Refused(reason);
  }
  return response;
}

async function getJson(url) {
  const response = await authorizedFetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) throw Object.assign(new Error(`${response.status} ${url}`), { status: response.status });
  return response.json();
}

function askForToken(reason) {
  auth.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  auth.stream?.abort();
  auth.stream = undefined;
  $("live-dot").className = "dot down";
  $("live-text").textContent = "signed out";
  $("sign-out").hidden = true;
  $("login-reason").textContent = reason ?? "";
  $("login-reason").hidden = !reason;
  $("operator-token").value = "";
  const dialog = $("login");
  if (!dialog.open) dialog.showModal();
  $("operator-token").focus();
}

function signIn(token) {
  auth.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("login").close();
  $("sign-out").hidden = false;
  start();
}

async function refreshSeries() {
  const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
  const from = new Date(to.getTime() - RANGE_MINUTES * 60_000);
  const series = await getJson(
    `/analytics/timeseries?from=${from.toISOString()}&to=${to.toISOString()}&step=60`,
  );
  state.series = series;
  if (typeof uPlot === "undefined") return;
  ordersChart(series);
  revenueChart(series);
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

async function showOrder(orderId) {
  state.orderId = orderId;
  $("order-id").value = orderId;
  const container = $("timeline");
  try {
    const timeline = await getJson(`/analytics/orders/${encodeURIComponent(orderId)}/timeline`);
    if (state.orderId === orderId) renderTimeline(container, timeline);
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
function refreshDetails() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = undefined;
    await Promise.allSettled([
      refreshSeries(),
      refreshSkus(),
      refreshRecent(),
      state.orderId && showOrder(state.orderId),
    ]);
  }, 500);
}

/**
 * Reads the summary stream with fetch (EventSource cannot send an Authorization header) and
 * reconnects after the server's retry delay; a refused token stops it and asks for another.
 */
async function connect(controller) {
  let retryMs = 2000;
  while (!controller.signal.aborted) {
    try {
      const response = await authorizedFetch("/analytics/stream", {
        headers: { accept: "text/event-stream" },
        signal: controller.signal,
      });
      if (!response.ok) {
        const after = Number(response.headers.get("retry-after"));
        if (after > 0) retryMs = after * 1000;
        throw new Error(`${response.status}: ${await reasonOf(response)}`);
      }
      $("live-dot").className = "dot live";
      $("live-text").textContent = "live";
      await readEvents(response.body, controller.signal, {
        summary(data) {
          state.summary = JSON.parse(data);
          renderSummary(state.summary);
          refreshDetails();
        },
        retry(ms) {
          retryMs = ms;
        },
      });
    } catch (error) {
      if (error instanceof Refused || controller.signal.aborted) return;
    }
    $("live-dot").className = "dot down";
    $("live-text").textContent = "reconnecting…";
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

/** Parses server-sent events from `body`: calls `on[event](data)` per event and `on.retry(ms)`. */
async function readEvents(body, signal, on) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll("\r\n", "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "retry" && /^\d+$/.test(value)) on.retry?.(Number(value));
      }
      if (data.length > 0) on[event]?.(data.join("\n"));
    }
  }
}

function start() {
  auth.stream?.abort();
  auth.stream = new AbortController();
  void connect(auth.stream);
  refreshDetails();
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("operator-token").value.trim();
  if (token) signIn(token);
});

$("sign-out").addEventListener("click", () => askForToken());
// Escape would close the dialog onto an empty dashboard: without a token there is nothing to show.
$("login").addEventListener("cancel", (event) => {
  if (!auth.token) event.preventDefault();
});

$("lookup").addEventListener("submit", (event) => {
  event.preventDefault();
  const orderId = $("order-id").value.trim();
  if (orderId) showOrder(orderId);
});

window.addEventListener("resize", () => {
  for (const [name, id] of [
    ["orders", "chart-orders"],
    ["revenue", "chart-revenue"],
  ]) {
    const chart = state.charts[name];
    if (chart) chart.setSize(chartSize($(id)));
  }
  if (state.orderId) showOrder(state.orderId);
});

// The minute buckets slide even when nothing happens.
setInterval(() => auth.token && refreshSeries().catch(() => {}), 30_000);
window.addEventListener("load", () => {
  if (auth.token) {
    $("sign-out").hidden = false;
    start();
  } else askForToken();
});

export { formatOffset };
