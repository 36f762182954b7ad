import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { createStorageBuffer, readU32 } from '../../src/gpu/buffers';
import { RadixSort } from '../../src/splat/RadixSort';
import { PrefixScan } from '../../src/splat/PrefixScan';

/** Deterministic xorshift32 stream. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

async function sortOnGpu(keys: Uint32Array, vals: Uint32Array, bits: number, useSubgroups: boolean, capacity = keys.length) {
  const gpu = await acquireGpu();
  const d = gpu.device;
  const sorter = await RadixSort.create(gpu, capacity, useSubgroups);
  const bufs = {
    keys: createStorageBuffer(d, keys, 'k'),
    vals: createStorageBuffer(d, vals, 'v'),
    keysAlt: createStorageBuffer(d, keys.byteLength, 'k2'),
    valsAlt: createStorageBuffer(d, vals.byteLength, 'v2'),
  };
  const count = createStorageBuffer(d, Uint32Array.of(keys.length), 'n');
  const enc = d.createCommandEncoder();
  const out = sorter.encode(enc, bufs, count, bits);
  d.queue.submit([enc.finish()]);
  const res = { keys: await readU32(d, out.keys, keys.length), vals: await readU32(d, out.vals, keys.length) };
  sorter.destroy();
  for (const b of Object.values(bufs)) b.destroy();
  return res;
}

function expectSortedStable(keys: Uint32Array, vals: Uint32Array, outK: Uint32Array, outV: Uint32Array, bits: number) {
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  // Reference: stable sort of indices by masked key (values are the original indices).
  const idx = Array.from(keys.keys()).sort((a, b) => ((keys[a] & mask) >>> 0) - ((keys[b] & mask) >>> 0) || a - b);
  let bad = 0;
  for (let i = 0; i < keys.length; i++) {
    if (outV[i] !== vals[idx[i]] || outK[i] !== keys[idx[i]]) bad++;
  }
  expect(bad).toBe(0);
}

describe('GPU prefix scan', () => {
  it.each([false, true])('exclusive scan of 3M values (subgroups=%s)', async (sg) => {
    const gpu = await acquireGpu();
    if (sg && !gpu.hasSubgroups) return;
    const n = 3_000_001;
    const r = rng(7);
    const data = new Uint32Array(n);
    for (let i = 0; i < n; i++) data[i] = r() % 17;
    const buf = createStorageBuffer(gpu.device, data, 'scan');
    const scan = await PrefixScan.create(gpu, n, sg);
    const enc = gpu.device.createCommandEncoder();
    scan.encode(enc, buf);
    gpu.device.queue.submit([enc.finish()]);
    const out = await readU32(gpu.device, buf, n);
    let acc = 0;
    let bad = 0;
    for (let i = 0; i < n; i++) {
      if (out[i] !== acc) bad++;
      acc += data[i];
    }
    expect(bad).toBe(0);
  });
});

describe('GPU radix sort', () => {
  for (const sg of [false, true]) {
    it(`sorts 1M random u32 keys stably (subgroups=${sg})`, async () => {
      const gpu = await acquireGpu();
      if (sg && !gpu.hasSubgroups) {
        console.warn('adapter has no subgroups: subgroup path not tested');
        return;
      }
      const n = 1 << 20;
      const r = rng(sg ? 11 : 12);
      const keys = new Uint32Array(n);
      const vals = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        // Many duplicates in the low byte half of the time, to exercise stability.
        keys[i] = i % 2 ? r() : r() & 0xff00ff;
        vals[i] = i;
      }
      const out = await sortOnGpu(keys, vals, 32, sg);
      expectSortedStable(keys, vals, out.keys, out.vals, 32);
    });
  }

  it.each([false, true])('sorts 10-bit keys, count read on the GPU below capacity (subgroups=%s)', async (sg) => {
    const gpu = await acquireGpu();
    if (sg && !gpu.hasSubgroups) return;
    const n = 70_001;
    const r = rng(3);
    const keys = new Uint32Array(n);
    const vals = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      keys[i] = r() & 1023;
      vals[i] = i;
    }
    // 10 bits = 3 passes (odd: result lands in the Alt buffers); capacity larger than the count.
    const out = await sortOnGpu(keys, vals, 10, sg, 200_000);
    expectSortedStable(keys, vals, out.keys, out.vals, 10);
  });
});
