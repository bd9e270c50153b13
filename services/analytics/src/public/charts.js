// The per-minute charts (orders, revenue), drawn with uPlot, loaded by the page as a global script.
import { $, html } from "./dom.js";
import { digits } from "./format.js";

const charts = {};

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
  if (charts.orders) {
    charts.orders.setData(data);
    return;
  }
  const bars = uPlot.paths.bars({ size: [0.72, 36], gap: 1 });
  charts.orders = new uPlot(
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
  if (charts.revenue && charts.revenueKey === key) {
    charts.revenue.setData(data);
    return;
  }
  charts.revenue?.destroy();
  const palette = ["#1f9d6b", "#3f63d8", "#d98a1c", "#8a5cd1"];
  charts.revenueKey = key;
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
  charts.revenue = new uPlot(
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

/** Draws the series of the last hour, once uPlot has loaded. */
export function drawCharts(series) {
  if (typeof uPlot === "undefined") return;
  ordersChart(series);
  revenueChart(series);
}

/** Fits the charts to their containers' new widths. */
export function resizeCharts() {
  for (const [name, id] of [
    ["orders", "chart-orders"],
    ["revenue", "chart-revenue"],
  ]) {
    const chart = charts[name];
    if (chart) chart.setSize(chartSize($(id)));
  }
}
