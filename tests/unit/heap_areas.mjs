// Grows MicroPython's heap by many areas in one call, keeping only the first object of each
// area, then lets a collection run and reuses the freed memory: prints, as JSON, how many areas
// the heap grew and what the kept objects hold afterwards. argv[2]: the module to load
// MicroPython from (the pinned build itself, or our loader as the page uses it).
const { loadMicroPython } = await import(process.argv[2]);
const printed = [];
const mp = await loadMicroPython({ stdout: (line) => printed.push(line), stderr: (line) => printed.push(line) });

// Every name is bound before the big call, so that call allocates only the floats.
mp.runPython(`
kept = [None] * 64
opened_at = [0] * 64
areas = 0
previous = 0
x = None
i = 0
FLOATS = 1000000
AREA_GAP = 4096
`);
// A float's id is its address: a jump means the heap grew an area and this float opened it.
mp.runPython(`
for i in range(FLOATS):
    x = i + 0.5
    if previous and abs(id(x) - previous) > AREA_GAP and areas < len(kept):
        kept[areas] = x
        opened_at[areas] = i  # a small int: no allocation next to the kept float
        areas += 1
    previous = id(x)
x = None
`);
// Returning to JS ran the collection; now the freed memory is allocated again.
mp.runPython(`
reuse = [i + 0.25 for i in range(FLOATS // 2)]
`);
mp.runPython(`
import json
print(json.dumps({"areas": areas, "kept": [repr(v) for v in kept[:areas]], "expected": [repr(i + 0.5) for i in opened_at[:areas]]}))
`);
process.stdout.write(printed.at(-1));
