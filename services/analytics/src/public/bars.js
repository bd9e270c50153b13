// Horizontal bar lists: the funnel, top products and the reasons orders fail.
import { html } from "./dom.js";
import { number } from "./format.js";

/** Horizontal bars: rows of [label, value, note?]. */
export function renderBars(container, rows, { color, empty = "nothing yet" } = {}) {
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
