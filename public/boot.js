// Shows a Python engine's start-up (Pyodide or MicroPython, both run by PyScript) on the
// server-rendered page: state, progress, errors. The engine itself takes over the same nodes
// once it runs.
import { halt } from "./bridge.js";

const root = document.documentElement;
const text = document.querySelector('[data-field="loading-text"]');
const fill = document.querySelector('[data-field="loading-progress"]');
const label = document.querySelector('[data-field="state-label"]');

// The engine's runtime, PyScript's event prefix for it and its progress messages in the order
// they arrive on a cold start: the server's engine table (server/engines.py) embeds them.
const engine = JSON.parse(document.getElementById("tickscope-start-up").textContent);

root.dataset.state = "loading";
label.textContent = "Loading Python…";
text.textContent = `Loading the Python runtime (${engine.runtime})…`;
fill.style.width = "5%";

addEventListener(`${engine.event_prefix}:progress`, ({ detail }) => {
  const step = engine.steps.indexOf(detail);
  if (step >= 0) fill.style.width = `${Math.round(((step + 1) / (engine.steps.length + 1)) * 100)}%`;
  const seconds = (performance.now() / 1000).toFixed(1);
  text.textContent = `Loading the Python runtime: ${detail.toLowerCase()}… (${seconds} s)`;
});

addEventListener(`${engine.event_prefix}:ready`, () => {
  fill.style.width = "95%";
  text.textContent = "Python is running; connecting to the market…";
});

let crashed = false;

addEventListener("error", (event) => {
  if (crashed) return;
  if (event.error instanceof WebAssembly.RuntimeError) {
    crashed = true;
    crash(event.error);
    return;
  }
  if (root.dataset.state === "live") return;
  root.dataset.state = "offline";
  label.textContent = "Engine failed";
  text.textContent = `The Python engine could not start: ${event.message}`;
});

/**
 * The runtime trapped (a fault inside its wasm, not a Python exception, which the engine
 * handles itself): nothing more goes to it, and the person is told and offered a restart.
 * Without this the page went on saying "Live" while every message failed.
 */
function crash(error) {
  const reason = `the ${engine.runtime} runtime crashed (${error.message})`;
  halt(reason);
  console.error(`tickscope: ${reason}; the engine has stopped.\n${error.stack}`);
  root.dataset.state = "offline";
  label.textContent = "Engine crashed";
  text.textContent =
    `The ${engine.runtime} runtime crashed (${error.message}) and has stopped; ` +
    "the server and other pages are unaffected.";
  const restart = document.createElement("button");
  restart.type = "button";
  restart.dataset.action = "restart";
  restart.textContent = "Restart the engine";
  restart.addEventListener("click", () => location.reload());
  text.after(restart);
}
