// The Pyodide engine's runtime: the pinned Pyodide (its pyodide.mjs is this module's `runtime`
// query parameter), started from the server's start-up snapshot (`snapshot`, a gzipped wasm
// heap of `bytes` bytes, made from the client archive `digest`) instead of booting CPython and
// importing the stdlib and the client again (server/startup_snapshot.py).
//
// A snapshot that cannot be used (missing, truncated, corrupt, from another Pyodide build or
// another client archive) is discarded with one warning on the console, and Pyodide boots the
// normal way: the page is slower to start, never broken. What happened is in
// `globalThis.tickscopeStartup` and in performance marks named `tickscope:…`.

import { fetchSnapshot, SnapshotError } from "./snapshot-fetch.mjs";

const query = new URL(import.meta.url).searchParams;
const runtime = new URL(query.get("runtime"), import.meta.url).href;
// Absolute: in PyScript's worker the base URL is a blob: one.
const snapshotUrl = query.get("snapshot") && new URL(query.get("snapshot"), import.meta.url).href;
const heapBytes = Number(query.get("bytes"));
const digest = query.get("digest");
const pinned = await import(runtime);

export const version = pinned.version;
const MARK_PREFIX = "tickscope:"; // as client/runtime.py's marks
// The client package the snapshot imported, and the name its digest is kept under there.
const DIGEST_CHECK = "import client; getattr(client, 'SNAPSHOT_DIGEST', None)";

/** How this page's Pyodide started: `snapshot` or `boot`, and why not from a snapshot. */
const startUp = {
  source: "boot",
  reason: snapshotUrl ? null : "no snapshot offered",
  restore_ms: null,
  // and, once the snapshot is fetched: fetch_ms, heap_bytes, wire_bytes (0 from the
  // browser's cache), cached_bytes (gzipped, as the cache keeps it)
};
globalThis.tickscopeStartup = startUp;

function mark(name) {
  return performance.mark(MARK_PREFIX + name);
}

// Asked for as this module runs (the page's <link rel=preload> has it on its way already).
const fetched = snapshotUrl ? fetchSnapshot(snapshotUrl, heapBytes) : null;

async function snapshotHeap() {
  const { heap, facts } = await fetched;
  Object.assign(startUp, facts);
  mark("snapshot-unpacked");
  return heap;
}

const indexURL = new URL(".", runtime).href;
// What PyScript's call may carry for a restored Pyodide to serve it: the streams, set on it
// afterwards. Any other option (packages, say) needs a Pyodide loaded with it.
const STREAMS = new Set(["stdout", "stderr", "indexURL"]);

async function restore() {
  const started = mark("restore");
  const heap = snapshotHeap();
  try {
    // Pyodide waits for the heap only once its wasm is instantiating: fetch and unpacking
    // overlap it.
    const pyodide = await pinned.loadPyodide({ indexURL, _loadSnapshot: heap });
    await compiled; // held until Pyodide's own compile has found it
    const imported = pyodide.runPython(DIGEST_CHECK);
    if (imported !== digest) {
      throw new SnapshotError(`it holds client ${imported}, the page loads ${digest}`);
    }
    startUp.restore_ms = mark("restored").startTime - started.startTime;
    return pyodide;
  } finally {
    // Pyodide has copied the heap into its memory, but its config keeps the promise of it:
    // detached, the 31 MB buffer does not stay on the JS heap for the page's life.
    heap.then((bytes) => bytes.buffer.transfer?.(0)).catch(() => {});
  }
}

// Pyodide compiles its wasm only once it has the snapshot. Compiled here meanwhile, the same
// bytes are then found compiled in this process (V8 keeps one native module per wire bytes),
// which in a new tab was most of the restore.
const compiled = snapshotUrl
  ? WebAssembly.compileStreaming(fetch(`${indexURL}pyodide.asm.wasm`)).catch(() => null)
  : null;

// Started as this module runs, not when PyScript asks: the page also runs it from a
// <script type="module"> in its head, so the restore overlaps PyScript's own start.
const restoring = snapshotUrl ? restore() : null;
restoring?.catch(() => {}); // reported where it is awaited, below

/** PyScript's loader call: the restored Pyodide if it passed its checks, else a normal boot. */
export async function loadPyodide(options) {
  const settings = { ...options, indexURL };
  const fits = Object.keys(options).every((name) => STREAMS.has(name));
  if (restoring && fits) {
    try {
      const pyodide = await restoring;
      if (options.stdout) pyodide.setStdout({ batched: options.stdout });
      if (options.stderr) pyodide.setStderr({ batched: options.stderr });
      startUp.source = "snapshot";
      return pyodide;
    } catch (error) {
      startUp.reason = error.message;
      console.warn(
        `tickscope: Pyodide's start-up snapshot was not used: ${error.message}. ` +
          "Pyodide boots the normal way (slower to start).",
      );
    }
  } else if (restoring) {
    startUp.reason = `PyScript asked for options a snapshot cannot serve: ${Object.keys(options)}`;
  }
  mark("boot");
  const pyodide = await pinned.loadPyodide(settings);
  mark("booted");
  return pyodide;
}
