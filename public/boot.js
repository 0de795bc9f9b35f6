// Shows the Python engine's start-up on the server-rendered page: state, progress, errors.
// The engine itself takes over the same nodes once it runs.
const root = document.documentElement;
const text = document.querySelector('[data-field="loading-text"]');
const fill = document.querySelector('[data-field="loading-progress"]');
const label = document.querySelector('[data-field="state-label"]');

// PyScript's progress messages, in the order they arrive on a cold start.
const STEPS = [
  "Loading Pyodide",
  "Loading interpreter",
  "Loaded interpreter",
  "Loaded Pyodide",
  "Loading files",
  "Loaded files",
];

root.dataset.state = "loading";
label.textContent = "Loading Python…";
text.textContent = "Loading the Python runtime (Pyodide)…";
fill.style.width = "5%";

addEventListener("py:progress", ({ detail }) => {
  const step = STEPS.indexOf(detail);
  if (step >= 0) fill.style.width = `${Math.round(((step + 1) / (STEPS.length + 1)) * 100)}%`;
  const seconds = (performance.now() / 1000).toFixed(1);
  text.textContent = `Loading the Python runtime: ${detail.toLowerCase()}… (${seconds} s)`;
});

addEventListener("py:ready", () => {
  fill.style.width = "95%";
  text.textContent = "Python is running; connecting to the market…";
});

addEventListener("error", (event) => {
  if (root.dataset.state === "live") return;
  root.dataset.state = "offline";
  label.textContent = "Engine failed";
  text.textContent = `The Python engine could not start: ${event.message}`;
});
