// Decode cost of the same frames as JSON and as MessagePack, in each engine's interpreter under
// Node (V8, as in Chromium): JSON.parse and @msgpack/msgpack's decode for the JS engine;
// json.loads and msgpack's own pure-Python decoder (msgpack/fallback.py, the one a browser
// Python without compiled wheels can run) for Pyodide and MicroPython.
//
// Reads on stdin: {"pyodide": dir, "micropython": path of micropython.mjs, "msgpack_js": path
// of @msgpack/msgpack's ESM entry, "fallback": {path: text}, "frames": [{"name", "json",
// "msgpack" (base64), "messages"}], "seconds": per measurement}. Writes JSON results on stdout.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const setup = JSON.parse(readFileSync(0, "utf-8"));
const frames = setup.frames.map((frame) => ({
  ...frame,
  bytes: Uint8Array.from(Buffer.from(frame.msgpack, "base64")),
}));

/** µs per call of `decode`, repeated for `seconds` after a warm-up. */
function timeJs(decode, input) {
  for (let i = 0; i < 200; i++) decode(input);
  let calls = 0;
  const started = performance.now();
  const until = started + setup.seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 50; i++) decode(input);
    calls += 50;
  }
  return ((performance.now() - started) * 1000) / calls;
}

const { decode } = await import(setup.msgpack_js);
const results = [];
for (const frame of frames) {
  results.push({ engine: "js", codec: "json", frame: frame.name, us: timeJs(JSON.parse, frame.json) });
  results.push({ engine: "js", codec: "msgpack", frame: frame.name, us: timeJs(decode, frame.bytes) });
}

// The Python side: each decoder over the frame for `seconds`; µs per call.
const PYTHON = `
import json, time

def clock():
    return time.ticks_us() / 1e6 if not hasattr(time, "perf_counter") else time.perf_counter()

def measure(decode, data, seconds):
    for _ in range(20):
        decode(data)
    calls = 0
    started = clock()
    while clock() - started < seconds:
        for _ in range(10):
            decode(data)
        calls += 10
    return (clock() - started) * 1e6 / calls

def run(frames_json, blobs, seconds):
    try:
        import msgpack.fallback as fallback
        unpack, error = (lambda b: fallback.unpackb(b, raw=False)), None
    except Exception as failure:  # MicroPython cannot import it
        unpack, error = None, "msgpack's pure-Python decoder does not import: " + repr(failure)
    out = []
    for frame, blob in zip(json.loads(frames_json), blobs):
        out.append([frame["name"], "json", measure(json.loads, frame["json"], seconds), None])
        if unpack is None:
            out.append([frame["name"], "msgpack", None, error])
            continue
        assert unpack(blob) == json.loads(frame["json"])
        out.append([frame["name"], "msgpack", measure(unpack, blob, seconds), None])
    return json.dumps(out)
`;

function writeFallback(fs) {
  for (const [path, text] of Object.entries(setup.fallback)) {
    const slash = path.lastIndexOf("/");
    if (slash > 0) fs.mkdirTree(path.slice(0, slash));
    fs.writeFile(path, text);
  }
}

const framesJson = JSON.stringify(setup.frames.map(({ name, json }) => ({ name, json })));

const { loadPyodide } = await import(`${setup.pyodide}/pyodide.mjs`);
const pyodide = await loadPyodide({ indexURL: setup.pyodide });
writeFallback(pyodide.FS);
pyodide.runPython(PYTHON);
const pyBlobs = pyodide.toPy(frames.map((frame) => frame.bytes));
const pyBytes = pyodide.runPython("lambda blobs: [bytes(b) for b in blobs]")(pyBlobs);
const pyOut = JSON.parse(pyodide.globals.get("run")(framesJson, pyBytes, setup.seconds));
for (const [frame, codec, us, error] of pyOut) results.push({ engine: "py", codec, frame, us, error });

const { loadMicroPython } = await import(setup.micropython);
const printed = [];
const mp = await loadMicroPython({ stdout: (l) => printed.push(l), stderr: (l) => printed.push(l) });
writeFallback(mp.FS);
mp.runPython(PYTHON);
// Bytes cross as base64 text: MicroPython's bridge has no Uint8Array to bytes conversion.
mp.globals.set("frames_json", framesJson);
mp.globals.set("blobs_b64", JSON.stringify(setup.frames.map((frame) => frame.msgpack)));
mp.globals.set("seconds", setup.seconds);
mp.runPython(
  "import binascii\nblobs = [binascii.a2b_base64(b.encode()) for b in json.loads(blobs_b64)]\n" +
    "mp_out = run(frames_json, blobs, seconds)\n",
);
for (const [frame, codec, us, error] of JSON.parse(mp.globals.get("mp_out"))) {
  results.push({ engine: "mpy", codec, frame, us, error });
}
process.stdout.write(JSON.stringify(results));
