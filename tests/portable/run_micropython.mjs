// Runs the portable tests inside MicroPython: the npm package PyScript's MicroPython engine
// uses, under Node. Reads {"module": path of micropython.mjs, "files": {path: text},
// "binary": {path: base64, e.g. compiled .mpy}, "modules": [...]} as JSON on stdin, writes
// every file into MicroPython's file system, runs tests.portable.runner and prints its results
// as JSON on stdout.
import { readFileSync } from "node:fs";

const setup = JSON.parse(readFileSync(0, "utf-8"));
const { loadMicroPython } = await import(setup.module);
const printed = [];
const output = (line) => printed.push(line);
const mp = await loadMicroPython({ stdout: output, stderr: output });
const write = (path, data) => {
  const slash = path.lastIndexOf("/");
  if (slash > 0) mp.FS.mkdirTree(path.slice(0, slash));
  mp.FS.writeFile(path, data);
};
for (const [path, text] of Object.entries(setup.files)) write(path, text);
for (const [path, data] of Object.entries(setup.binary ?? {})) {
  write(path, Buffer.from(data, "base64"));
}
mp.globals.set("modules", JSON.stringify(setup.modules));
mp.runPython(
  "import json\n" +
    "import tests.portable.runner as runner\n" +
    "results = json.dumps(runner.run(json.loads(modules)))\n",
);
// Text, not objects, across the bridge: MicroPython's js bridge mangles large integers.
const results = JSON.parse(mp.globals.get("results"));
process.stdout.write(JSON.stringify({ results, output: printed }));
