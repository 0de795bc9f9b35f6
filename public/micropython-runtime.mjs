// The MicroPython engine's runtime: the pinned build (its micropython.mjs is this module's
// `runtime` query parameter), started with a heap big enough that it never grows a second heap
// area.
//
// Why: MicroPython 1.27.0's collector frees an added heap area whose only live object is its
// very first block, as if the area were empty (py/gc.c gc_sweep_free_blocks takes
// last_used_block == 0 to mean "nothing used"). That object's memory is then reused while the
// engine still holds it, and the next use of it traps (seen in the page as a crash in
// `sorted()` over the latency samples). PyScript starts MicroPython with a 1 MiB heap, which
// the engine outgrows between collections many times a second at high rates, each time adding
// and later freeing areas. Started with this much, it adds none: the engine's live data and a
// collection cycle's garbage come to a few MiB (tests/unit/test_micropython_heap.py).

export const HEAP_BYTES = 32 * 1024 * 1024;

const runtime = new URL(import.meta.url).searchParams.get("runtime");
const pinned = await import(runtime);

/** PyScript's loader call, with the heap size set; the wasm is the pinned build's. */
export function loadMicroPython(options) {
  return pinned.loadMicroPython({
    ...options,
    heapsize: HEAP_BYTES,
    url: new URL(runtime.replace(/\.mjs$/, ".wasm"), import.meta.url).href,
  });
}
