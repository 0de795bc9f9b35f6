// Makes the Pyodide engine's start-up snapshot: the pinned Pyodide booted under Node, the
// client's archive unpacked where PyScript unpacks it in the page, the stdlib and the client
// modules that never touch `js` imported, and then the whole wasm heap saved. The page starts
// from it (public/pyodide-runtime.mjs) instead of booting CPython and importing them again.
//
// Reads on stdin: {"runtime": file URL of pyodide.mjs, "archive": path of the client's zip,
// "digest": the archive's hash, "setup": path of server/snapshot_setup.py, "imports": [module,
// ...] to import, "compiled": [module, ...] to compile only, "output": path}. Writes the snapshot
// to `output` and {"bytes": N, "boot_ms": ms, "import_ms": ms} as JSON on stdout.
import { readFileSync, writeFileSync } from "node:fs";

const SETUP_DIR = "/tickscope";

const setup = JSON.parse(readFileSync(0, "utf-8"));
const { loadPyodide } = await import(setup.runtime);

const started = performance.now();
const pyodide = await loadPyodide({
  _makeSnapshot: true,
  indexURL: new URL(".", setup.runtime).pathname,
  // The page's stdout and stderr are PyScript's; nothing here may print into the snapshot.
  stdout: () => {},
  stderr: (line) => process.stderr.write(`${line}\n`),
});
const booted = performance.now();
const archive = new Uint8Array(readFileSync(setup.archive)); // not a Buffer: Pyodide refuses one
pyodide.unpackArchive(archive, "zip", { extractDir: "/home/pyodide" });
// server/snapshot_setup.py does the imports, out of the way of the page's own files.
pyodide.FS.mkdirTree(SETUP_DIR);
pyodide.FS.writeFile(`${SETUP_DIR}/snapshot_setup.py`, readFileSync(setup.setup, "utf-8"));
const prepare = pyodide.runPython(`
import sys
sys.path.insert(0, "${SETUP_DIR}")
import snapshot_setup
sys.path.remove("${SETUP_DIR}")
snapshot_setup.prepare
`);
const [imports, compiled] = [pyodide.toPy(setup.imports), pyodide.toPy(setup.compiled)];
prepare(imports, compiled, setup.digest);
for (const proxy of [prepare, imports, compiled]) proxy.destroy();
const imported = performance.now();
const snapshot = pyodide.makeMemorySnapshot();
writeFileSync(setup.output, snapshot);
process.stdout.write(
  JSON.stringify({ bytes: snapshot.length, boot_ms: booted - started, import_ms: imported - booted }),
);
