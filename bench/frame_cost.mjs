// The client's cost per animation frame under MicroPython: PyScript's MicroPython interpreter
// (the npm package the mpy engine loads) under Node, the client package as the engine gets it,
// and a bridge that only counts the characters each frame sends to the page.
//
// Reads on stdin: {"module": URL of micropython.mjs, "files": {path: text}, "market":
// {"snapshot": JSON text, "frames": [[message JSON text, ...], ...]}, "window": points,
// "warmup": frames not measured}. Two passes over the same frames, each from the snapshot: the
// first times whole frames in CPU time (process.cpuUsage), the second each view's run (wall
// time, inside Python). Writes the result as JSON on stdout.
import { readFileSync } from "node:fs";

const SEPARATOR = "\u001f";
const setup = JSON.parse(readFileSync(0, "utf-8"));
const { loadMicroPython } = await import(setup.module);
const printed = [];
const mp = await loadMicroPython({ stdout: (line) => printed.push(line), stderr: (line) => printed.push(line) });

let sent = 0;
globalThis.tickscope_bridge = {
  // Binding answers "nothing rendered" for every node: the first frames then write what the
  // server rendered; they are the warm-up.
  bind: (requests) => `0${SEPARATOR.repeat(requests.split(SEPARATOR).length / 3)}`,
  write: (batch) => {
    sent += batch.length;
  },
  timeOrigin: () => String(performance.timeOrigin),
};
globalThis.requestAnimationFrame = () => 0;

const files = {
  ...setup.files,
  // PyScript's modules as the client uses them: no worker, proxies as plain functions, and
  // bridge.js as the object above.
  "pyscript/__init__.py": "RUNNING_IN_WORKER = False\n",
  "pyscript/ffi.py": "def create_proxy(fn):\n    return fn\n",
  "pyscript/js_modules.py": "import js\ntickscope_bridge = js.tickscope_bridge\n",
};
for (const [path, text] of Object.entries(files)) {
  const slash = path.lastIndexOf("/");
  if (slash > 0) mp.FS.mkdirTree(path.slice(0, slash));
  mp.FS.writeFile(path, text);
}

const DRIVER = `
import gc
import json

import js

from client import runtime
from client.frames import Frames
from client.panels import hydrate
from client.measure import Measurements
from client.stats import percentile
from client.store import Store

runtime.tune_collector()
now = js.performance.now
state = {}


def start(snapshot, window):
    store = Store(window)
    store.apply(json.loads(snapshot))
    frames = Frames(store, Measurements(runtime.now_ms(), runtime.time_origin_ms()))
    views = hydrate(store, frames)
    frames.writes.bind()
    symbols = len(store.symbols)
    kinds = {}
    for index, view in enumerate(views):
        if index < 2 * symbols:
            kinds[id(view)] = "card" if index < symbols else "book"
        else:
            kinds[id(view)] = ("trades", "system", "window")[index - 2 * symbols]
    state.update(store=store, frames=frames, kinds=kinds, costs={})
    gc.collect()


def apply(text):
    state["store"].apply(json.loads(text))


def render():
    state["frames"]._render()


def render_by_view(measured):
    frames = state["frames"]
    costs = state["costs"]
    stale, frames.stale = frames.stale, []
    for effect in stale:
        started = now()
        effect.run()
        if measured:
            costs.setdefault(state["kinds"][id(effect)], []).append(now() - started)
    frames.writes.flush()


def view_costs(frame_count):
    report = {}
    for kind, runs in state["costs"].items():
        runs.sort()
        report[kind] = {
            "runs_per_frame": len(runs) / frame_count,
            "p50_us": 1000 * percentile(runs, 0.5),
            "mean_us": 1000 * sum(runs) / len(runs),
        }
    return json.dumps(report)
`;
mp.runPython(DRIVER);
const py = (name) => mp.globals.get(name);
const [start, apply, render, renderByView, viewCosts] = [
  "start",
  "apply",
  "render",
  "render_by_view",
  "view_costs",
].map(py);

const { snapshot, frames } = setup.market;
const measured = frames.length - setup.warmup;

// Pass 1: whole frames, in CPU time.
start(snapshot, setup.window);
const frameCpu = [];
let messages = 0;
frames.forEach((texts, index) => {
  for (const text of texts) apply(text);
  if (index === setup.warmup) sent = 0;
  const before = process.cpuUsage();
  render();
  const spent = process.cpuUsage(before);
  if (index >= setup.warmup) {
    frameCpu.push(spent.user + spent.system);
    messages += texts.length;
  }
});
const chars = sent;

// Pass 2: each view's runs.
start(snapshot, setup.window);
frames.forEach((texts, index) => {
  for (const text of texts) apply(text);
  renderByView(index >= setup.warmup);
});

const sorted = [...frameCpu].sort((a, b) => a - b);
// client/stats.py's index rule (the reference's), as everywhere else.
const at = (share) => sorted[Math.floor((sorted.length - 1) * share)];
process.stdout.write(
  JSON.stringify({
    load: setup.market.load,
    frames: measured,
    msgs_per_frame: messages / measured,
    frame_cpu_us: {
      mean: frameCpu.reduce((sum, value) => sum + value, 0) / measured,
      p50: at(0.5),
      p95: at(0.95),
    },
    views: JSON.parse(viewCosts(measured)),
    chars_per_frame: chars / measured,
    output: printed,
  }),
);
