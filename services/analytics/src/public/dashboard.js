// The Analytics dashboard: headline figures and charts fed by the server-sent summary stream, and
// an order lookup that draws one saga. Plain ES modules, no build step; uPlot from node_modules.
// This module wires the page: sign-in, the stream, the lookup and the timers.
import { askForToken, auth, signIn } from "./auth.js";
import { resizeCharts } from "./charts.js";
import { refreshDetails, refreshSeries, shown, showOrder } from "./details.js";
import { $ } from "./dom.js";
import { connect } from "./stream.js";
import { renderSummary } from "./summary.js";

function start() {
  auth.stream?.abort();
  auth.stream = new AbortController();
  void connect(auth.stream, (summary) => {
    renderSummary(summary);
    refreshDetails();
  });
  refreshDetails();
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("operator-token").value.trim();
  if (token) {
    signIn(token);
    start();
  }
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
  resizeCharts();
  if (shown.orderId) showOrder(shown.orderId);
});

// The minute buckets slide even when nothing happens.
setInterval(() => auth.token && refreshSeries().catch(() => {}), 30_000);
window.addEventListener("load", () => {
  if (auth.token) {
    $("sign-out").hidden = false;
    start();
  } else askForToken();
});
