// Draws one order's saga as a swimlane per service: each fact a dot on its producer's lane at the
// time it happened, an arrow from the fact that caused it. Built with DOM calls only (no HTML
// strings), so nothing from an event can become markup.

const SVG = "http://www.w3.org/2000/svg";
const LANES = ["order", "inventory", "payment", "email"];
const COLORS = {
  order: "var(--lane-order)",
  inventory: "var(--lane-inventory)",
  payment: "var(--lane-payment)",
  email: "var(--lane-email)",
};
const LANE_H = 58;
const LABEL_W = 104;
const TOP = 26;
const MIN_GAP = 92;

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function html(name, attributes = {}, text) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function laneColor(producer) {
  return COLORS[producer] ?? "var(--lane-other)";
}

export function formatOffset(ms) {
  if (ms < 1000) return `+${ms} ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `+${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A link to the trace the fact's event was produced in (the server builds its URL), or a dash. */
function traceCell(fact) {
  const cell = html("td", { class: "trace" });
  if (fact.traceUrl && /^https?:\/\//.test(fact.traceUrl)) {
    const link = html(
      "a",
      { href: fact.traceUrl, target: "_blank", rel: "noopener" },
      `${fact.traceId.slice(0, 8)}…`,
    );
    link.title = `trace ${fact.traceId}`;
    cell.append(link);
  } else cell.append(document.createTextNode("—"));
  return cell;
}

/** Renders `timeline` ({ orderId, facts }) into `container`, replacing what was there. */
export function renderTimeline(container, timeline) {
  const facts = timeline.facts;
  const lanes = [...LANES, ...new Set(facts.map((f) => f.producer).filter((p) => !LANES.includes(p)))];
  const width = Math.max(container.clientWidth || 900, 640);
  const t0 = Date.parse(facts[0].occurredAt);
  const span = Math.max(1, Date.parse(facts.at(-1).occurredAt) - t0);
  const plotW = width - LABEL_W - 70;

  // Time decides the position, but two facts never sit closer than MIN_GAP apart.
  const xs = [];
  for (const [i, fact] of facts.entries()) {
    const byTime = LABEL_W + 24 + ((Date.parse(fact.occurredAt) - t0) / span) * plotW;
    xs.push(i === 0 ? byTime : Math.max(byTime, xs[i - 1] + MIN_GAP));
  }
  const overflow = Math.max(0, xs.at(-1) - (width - 46));
  const svgW = width + overflow;
  const height = TOP + lanes.length * LANE_H + 8;

  const svg = el("svg", {
    viewBox: `0 0 ${svgW} ${height}`,
    width: svgW,
    height,
    role: "img",
    "aria-label": `Saga of order ${timeline.orderId}`,
  });
  const defs = el("defs");
  const marker = el("marker", {
    id: "arrowhead",
    viewBox: "0 0 10 10",
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: "auto-start-reverse",
  });
  marker.append(el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#9aa3b8" }));
  defs.append(marker);
  svg.append(defs);

  lanes.forEach((lane, i) => {
    const y = TOP + i * LANE_H;
    if (i % 2 === 0) svg.append(el("rect", { class: "lane-bg", x: 0, y, width: svgW, height: LANE_H }));
    svg.append(el("rect", { x: 0, y: y + 8, width: 4, height: LANE_H - 16, rx: 2, fill: laneColor(lane) }));
    svg.append(el("text", { class: "lane-label", x: 14, y: y + LANE_H / 2 + 4 }, lane));
  });
  svg.append(
    el(
      "text",
      { class: "axis", x: LABEL_W + 24, y: 15 },
      new Date(t0).toISOString().replace("T", " ").slice(0, 23),
    ),
  );

  const position = new Map();
  facts.forEach((fact, i) => {
    const lane = Math.max(0, lanes.indexOf(fact.producer));
    position.set(fact.eventId, { x: xs[i], y: TOP + lane * LANE_H + LANE_H / 2 });
  });

  // Causation arrows first, so the dots sit on top of them.
  for (const fact of facts) {
    const from = fact.causationId && position.get(fact.causationId);
    const to = position.get(fact.eventId);
    if (!from || !to) continue;
    const dx = Math.max(24, (to.x - from.x) / 2);
    const d = `M ${from.x + 7} ${from.y} C ${from.x + dx} ${from.y}, ${to.x - dx} ${to.y}, ${to.x - 9} ${to.y}`;
    svg.append(el("path", { class: "arrow", d, "marker-end": "url(#arrowhead)" }));
  }

  facts.forEach((fact, i) => {
    const { x, y } = position.get(fact.eventId);
    const group = el("g", { class: "node", "data-type": fact.type, "data-producer": fact.producer });
    group.append(el("title", {}, `${fact.type} (${fact.producer})\n${fact.detail}\n${fact.occurredAt}`));
    svg.append(
      el("line", { class: "grid-line", x1: x, x2: x, y1: TOP, y2: height - 8, "stroke-dasharray": "2 4" }),
    );
    group.append(
      el("circle", {
        cx: x,
        cy: y,
        r: 7,
        fill: laneColor(fact.producer),
        stroke: "white",
        "stroke-width": 2,
      }),
    );
    const above = i % 2 === 0;
    group.append(
      el("text", { class: "node-label", x, y: above ? y - 13 : y + 22, "text-anchor": "middle" }, fact.type),
    );
    group.append(
      el(
        "text",
        { class: "node-time", x, y: above ? y + 20 : y - 12, "text-anchor": "middle" },
        formatOffset(Date.parse(fact.occurredAt) - t0),
      ),
    );
    svg.append(group);
  });

  const head = html("div", { class: "timeline-head" });
  const id = html("span", {}, "order ");
  id.append(html("code", {}, timeline.orderId));
  const settled = facts.find((f) => f.type === "OrderConfirmed" || f.type === "OrderCancelled");
  head.append(
    id,
    html("span", {}, `${facts.length} facts from ${new Set(facts.map((f) => f.producer)).size} services`),
    html("span", {}, `correlation ${facts[0].correlationId.slice(0, 8)}…`),
    html(
      "span",
      {},
      settled
        ? `settled ${formatOffset(Date.parse(settled.occurredAt) - t0)} after placing`
        : "not settled yet",
    ),
  );

  const scroller = html("div", { style: "overflow-x: auto" });
  scroller.append(svg);

  const table = html("table", { class: "facts" });
  const header = html("tr");
  for (const title of ["when", "service", "fact", "detail", "trace"]) header.append(html("th", {}, title));
  table.append(header);
  for (const fact of facts) {
    const row = html("tr", { "data-event-id": fact.eventId });
    const svc = html("span", { class: "svc" });
    svc.append(
      html("i", { style: `background:${laneColor(fact.producer)}` }),
      document.createTextNode(fact.producer),
    );
    const service = html("td");
    service.append(svc);
    row.append(
      html("td", { class: "t" }, formatOffset(Date.parse(fact.occurredAt) - t0)),
      service,
      html("td", {}, fact.type),
      html("td", {}, fact.detail),
      traceCell(fact),
    );
    table.append(row);
  }
  container.replaceChildren(head, scroller, table);
}
