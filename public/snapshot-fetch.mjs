// Fetches and unpacks Pyodide's start-up snapshot (server/startup_snapshot.py) for
// public/pyodide-runtime.mjs.

export class SnapshotError extends Error {}

/**
 * The snapshot's heap, and what its fetch was like. It comes as gzip, unpacked here as it
 * arrives (DecompressionStream checks gzip's CRC-32 and length, so a damaged or truncated
 * snapshot fails here), into one buffer of the size the server said.
 */
export async function fetchSnapshot(url, heapBytes) {
  // `url` is absolute: Resource Timing names entries so.
  const started = performance.now();
  const response = await fetch(url).catch((error) => {
    throw new SnapshotError(`it could not be fetched (${error.message})`);
  });
  if (!response.ok) throw new SnapshotError(`${url} answered ${response.status}`);
  const heap = new Uint8Array(heapBytes);
  let filled = 0;
  try {
    for await (const chunk of response.body.pipeThrough(new DecompressionStream("gzip"))) {
      if (filled + chunk.byteLength > heapBytes) throw new SnapshotError("it is too large");
      heap.set(chunk, filled);
      filled += chunk.byteLength;
    }
  } catch (error) {
    if (error instanceof SnapshotError) throw error;
    throw new SnapshotError(`it does not unpack (${error.message})`);
  }
  if (filled !== heapBytes) throw new SnapshotError(`it has ${filled} of ${heapBytes} bytes`);
  const [timing] = performance.getEntriesByName(url);
  const facts = {
    fetch_ms: performance.now() - started,
    heap_bytes: filled,
    wire_bytes: timing?.transferSize ?? null, // 0 from the browser's cache
    cached_bytes: timing?.encodedBodySize ?? null, // gzipped, as the cache keeps it
  };
  return { heap, facts };
}
