// DOM helpers of the dashboard: elements built with DOM calls only (no HTML strings), so nothing
// from an event can become markup.

export const $ = (id) => document.getElementById(id);

export function html(name, attributes = {}, text) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Sets an element's text and flashes it when the text changed. */
export function setText(id, text) {
  const node = $(id);
  if (node.textContent === text) return;
  node.textContent = text;
  node.classList.remove("flash");
  void node.offsetWidth;
  node.classList.add("flash");
}
