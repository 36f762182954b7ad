/**
 * A small pool of image-decoding Web Workers (imageWorker.ts) for the browser: the browser's own
 * PNG/JPEG decoders, off the main thread, several images at once. Workers start on first use and
 * stop after a few idle seconds. When workers or OffscreenCanvas are missing, or a worker cannot
 * start, `browserDecodeAvailable` turns false and callers use the pure-JS decoders (imageDecode.ts).
 */
import { parseDecodeResponse, type DecodeFit, type DecodeRequest, type DecodeResponse } from './imageWorkerProtocol';

interface Task {
  req: DecodeRequest;
  resolve: (r: DecodeResponse) => void;
}

let disabled = false;
let nextId = 1;
const queue: Task[] = [];
const idle: Worker[] = [];
const all = new Set<Worker>();
/** The task each busy worker is on (answered by failAll when the workers are given up). */
const running = new Map<Worker, Task>();
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** Stop the workers after this long without work (they hold decoder memory). */
const IDLE_MS = 8000;

/** True in a browser with module workers, createImageBitmap and OffscreenCanvas (and no worker failure yet). */
export function browserDecodeAvailable(): boolean {
  return (
    !disabled &&
    typeof window !== 'undefined' &&
    typeof Worker === 'function' &&
    typeof OffscreenCanvas === 'function' &&
    typeof createImageBitmap === 'function'
  );
}

/** Workers in the pool: one per core, 2 to 4 (decoding is CPU-bound; the page keeps a core busy too). */
export function decodePoolSize(cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : 2): number {
  return Math.max(2, Math.min(4, Math.floor(cores || 2)));
}

function spawn(): Worker {
  const w = new Worker(new URL('./imageWorker.ts', import.meta.url), { type: 'module', name: 'sparsesplat-image-decode' });
  all.add(w);
  return w;
}

function retire(w: Worker): void {
  all.delete(w);
  const i = idle.indexOf(w);
  if (i >= 0) idle.splice(i, 1);
  w.terminate();
}

function pump(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  while (queue.length) {
    let w = idle.pop();
    if (!w && all.size < decodePoolSize()) {
      try {
        w = spawn();
      } catch (e) {
        failAll(`image worker could not start: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
    if (!w) break;
    run(w, queue.shift()!);
  }
  if (queue.length === 0 && idle.length === all.size && all.size) {
    idleTimer = setTimeout(() => [...all].forEach(retire), IDLE_MS);
  }
}

/** The workers cannot run here: answer everything queued as unsupported and stop using them. */
function failAll(error: string): void {
  disabled = true;
  const pending = [...running.values(), ...queue.splice(0)];
  running.clear();
  [...all].forEach(retire);
  for (const t of pending) t.resolve({ id: t.req.id, ok: false, error, unsupported: true });
}

function run(w: Worker, t: Task): void {
  const done = () => {
    running.delete(w);
    w.removeEventListener('message', onMessage);
    w.removeEventListener('error', onError);
  };
  const onMessage = (e: MessageEvent) => {
    done();
    const r = parseDecodeResponse(e.data, t.req.id);
    if (!r.ok && r.unsupported) {
      t.resolve(r);
      failAll(r.error);
      return;
    }
    idle.push(w);
    t.resolve(r);
    pump();
  };
  const onError = (e: ErrorEvent) => {
    // A worker that fails to load or crashes: stop using workers altogether (the JS path takes over).
    e.preventDefault?.();
    done();
    retire(w);
    const error = `image worker failed: ${e.message || 'could not load'}`;
    t.resolve({ id: t.req.id, ok: false, error, unsupported: true });
    failAll(error);
  };
  running.set(w, t);
  w.addEventListener('message', onMessage);
  w.addEventListener('error', onError);
  w.postMessage(t.req, [t.req.bytes]);
}

/**
 * Starts the pool's workers ahead of use (e.g. as soon as the user picks files), so that their
 * start-up overlaps reading the files. Idle workers stop again after a few seconds.
 */
export function warmImageDecoders(): void {
  if (!browserDecodeAvailable()) return;
  try {
    while (all.size < decodePoolSize()) idle.push(spawn());
  } catch (e) {
    failAll(`image worker could not start: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  pump();
}

/**
 * Decodes a PNG or JPEG in a worker. Never throws: a failure comes back as `{ ok: false }` (the
 * caller falls back to the JS decoders, which also name the fault precisely). The bytes are copied,
 * so the caller's array stays usable.
 */
export function decodeInWorker(
  file: string,
  bytes: Uint8Array,
  fit?: DecodeFit,
  hints: { type?: string; orientation?: number; storedSize?: [number, number] } = {},
): Promise<DecodeResponse> {
  const id = nextId++;
  if (!browserDecodeAvailable()) return Promise.resolve({ id, ok: false, error: 'browser decoding unavailable', unsupported: true });
  const copy = bytes.slice().buffer as ArrayBuffer;
  return new Promise((resolve) => {
    queue.push({ req: { id, file, bytes: copy, ...(fit ? { fit } : {}), ...hints }, resolve });
    pump();
  });
}
