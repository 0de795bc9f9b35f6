// The built-in indicators' cost per bar in each engine: Pyodide and PyScript's MicroPython,
// both the npm packages the page loads, and the JS engine's public/analytics.js, under Node
// (V8, as in Chromium). The bars are the same in all three.
//
// Reads on stdin: {"engine": "py"|"mpy"|"js", "module": URL of the engine's loader (the JS
// engine's: analytics.js), "files":
// {path: text}, "bars": N, "warmup": N, "repeats": N}. Writes {"us_per_bar": {name: [us, ...]}}
// as JSON on stdout: one figure per repeat, each the mean over `bars` bars timed with the
// host's performance.now() (MicroPython's own clock counts whole milliseconds here).
import { readFileSync } from "node:fs";

const setup = JSON.parse(readFileSync(0, "utf-8"));

/** The JS engine's indicators, timed as the Python driver below times the Python ones. */
async function measureJs() {
  const { BUILT_IN } = await import(setup.module);
  const bars = [];
  let price = 45000;
  for (let step = 0; step < setup.bars + setup.warmup; step += 1) {
    const opening = price;
    price = price * (1 + 0.002 * Math.sin(step * 1.7));
    bars.push({
      t: step,
      o: opening,
      h: Math.max(opening, price),
      l: Math.min(opening, price),
      c: price,
      v: 1.5,
      n: 3,
    });
  }
  const result = {};
  for (const name of Object.keys(BUILT_IN).sort()) {
    const figures = [];
    for (let repeat = 0; repeat < setup.repeats; repeat += 1) {
      const made = new BUILT_IN[name]();
      for (const bar of bars.slice(0, setup.warmup)) made.update(bar);
      const timed = bars.slice(setup.warmup);
      const start = performance.now();
      for (const bar of timed) made.update(bar);
      figures.push(((performance.now() - start) * 1000) / timed.length);
    }
    result[name] = figures;
  }
  return result;
}

if (setup.engine === "js") {
  process.stdout.write(JSON.stringify({ us_per_bar: await measureJs() }));
  process.exit(0);
}
const printed = [];
const quiet = { stdout: (line) => printed.push(line), stderr: (line) => printed.push(line) };
let engine;
if (setup.engine === "py") {
  const { loadPyodide } = await import(setup.module);
  engine = await loadPyodide(quiet);
  engine.setStdout({ batched: quiet.stdout });
  engine.setStderr({ batched: quiet.stderr });
} else {
  const { loadMicroPython } = await import(setup.module);
  engine = await loadMicroPython(quiet);
}
for (const [path, text] of Object.entries(setup.files)) {
  const slash = path.lastIndexOf("/");
  if (slash > 0) engine.FS.mkdirTree(path.slice(0, slash));
  engine.FS.writeFile(path, text);
}
globalThis.benchSetup = setup;
const DRIVER = `
import json
import math

import js

from client.candles import Candle
from client.indicators import BUILT_IN

setup = js.benchSetup
now = js.performance.now
count = int(setup.bars)
bars = []
price = 45000.0
for step in range(count + int(setup.warmup)):
    opening = price
    price = price * (1.0 + 0.002 * math.sin(step * 1.7))
    bars.append(Candle(step, opening, max(opening, price), min(opening, price), price, 1.5, 3))
result = {}
for name in sorted(BUILT_IN):
    figures = []
    for _ in range(int(setup.repeats)):
        made = BUILT_IN[name]()
        for bar in bars[: int(setup.warmup)]:
            made.update(bar)
        timed = bars[int(setup.warmup):]
        start = now()
        for bar in timed:
            made.update(bar)
        figures.append((now() - start) * 1000.0 / len(timed))
    result[name] = figures
js.benchResult = json.dumps(result)
`;
try {
  engine.runPython(DRIVER);
} catch (error) {
  process.stderr.write(`${printed.join("\n")}\n${error}\n`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ us_per_bar: JSON.parse(globalThis.benchResult) }));
