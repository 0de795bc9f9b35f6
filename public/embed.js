// Loaded by a dashboard shown inside /compare: answers the comparing page's requests for this
// engine's metrics. The panes live on different loopback hosts (so in different renderer
// processes), which is why this goes through postMessage rather than a shared window.
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

addEventListener("message", (event) => {
  const origin = new URL(event.origin);
  if (!LOOPBACK.has(origin.hostname) || origin.port !== location.port) return;
  if (event.data !== "tickscope:metrics" || !window.tickscope) return;
  // A crashed engine has no metrics to give (bridge.js halt()): the pane shows that it crashed.
  const { crashed } = window.tickscope;
  const metrics = crashed ? null : window.tickscope.metrics();
  event.source.postMessage({ type: "tickscope:metrics", metrics, crashed }, event.origin);
});
