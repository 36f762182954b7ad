import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { createStorageBuffer, readU32 } from '../../src/gpu/buffers';
import { RadixSort, type SortVariant } from '../../src/splat/RadixSort';
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

async function sortOnGpu(keys: Uint32Array, vals: Uint32Array, bits: number, variant: Variant, capacity = keys.length) {
  const gpu = await acquireGpu();
  const d = gpu.device;
  const sorter = await RadixSort.create(gpu, capacity, variant.sg, variant.kind);
  expect(sorter.variant).toBe(variant.kind);
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

/** Sorter implementations tested: both variants on every adapter, 'workgroup' with and without subgroups. */
interface Variant {
  kind: SortVariant;
  sg: boolean;
}
const VARIANTS: Variant[] = [
  { kind: 'workgroup', sg: false },
  { kind: 'workgroup', sg: true },
  { kind: 'chunked', sg: false },
];
const name = (v: Variant) => (v.kind === 'workgroup' ? `workgroup, subgroups=${v.sg}` : v.kind);

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
  for (const v of VARIANTS) {
    it(`sorts 1M random u32 keys stably (${name(v)})`, async () => {
      const gpu = await acquireGpu();
      if (v.sg && !gpu.hasSubgroups) {
        console.warn('adapter has no subgroups: subgroup path not tested');
        return;
      }
      const n = 1 << 20;
      const r = rng(v.sg ? 11 : 12);
      const keys = new Uint32Array(n);
      const vals = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        // Many duplicates in the low byte half of the time, to exercise stability.
        keys[i] = i % 2 ? r() : r() & 0xff00ff;
        vals[i] = i;
      }
      const out = await sortOnGpu(keys, vals, 32, v);
      expectSortedStable(keys, vals, out.keys, out.vals, 32);
    });

    it(`sorts 10-bit keys, count read on the GPU below capacity (${name(v)})`, async () => {
      const gpu = await acquireGpu();
      if (v.sg && !gpu.hasSubgroups) return;
      const n = 70_001;
      const r = rng(3);
      const keys = new Uint32Array(n);
      const vals = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        keys[i] = r() & 1023;
        vals[i] = i;
      }
      // Capacity larger than the count; the result lands in keys/vals or the Alt buffers by the pass count.
      const out = await sortOnGpu(keys, vals, 10, v, 200_000);
      expectSortedStable(keys, vals, out.keys, out.vals, 10);
    });

    it(`sorts by exactly the low bits, higher bits kept in input order (${name(v)})`, async () => {
      const gpu = await acquireGpu();
      if (v.sg && !gpu.hasSubgroups) return;
      const r = rng(5);
      // bits 9 and 13 are not multiples of either variant's digit width (4, up to 10): the last pass is cut.
      for (const [n, bits] of [[50_000, 9], [3_001, 13], [1, 32], [257, 1]]) {
        const keys = new Uint32Array(n);
        const vals = new Uint32Array(n);
        for (let i = 0; i < n; i++) {
          keys[i] = r();
          vals[i] = i;
        }
        const out = await sortOnGpu(keys, vals, bits, v);
        expectSortedStable(keys, vals, out.keys, out.vals, bits);
      }
    });

    it(`sorts an empty input and counts above the capacity (${name(v)})`, async () => {
      const gpu = await acquireGpu();
      if (v.sg && !gpu.hasSubgroups) return;
      const d = gpu.device;
      const sorter = await RadixSort.create(gpu, 1000, v.sg, v.kind);
      const n = 1000;
      const r = rng(9);
      const keys = Uint32Array.from({ length: n }, () => r() & 0xffff);
      const vals = Uint32Array.from({ length: n }, (_, i) => i);
      for (const c of [0, 5000]) {
        const bufs = {
          keys: createStorageBuffer(d, keys, 'k'),
          vals: createStorageBuffer(d, vals, 'v'),
          keysAlt: createStorageBuffer(d, keys.byteLength, 'k2'),
          valsAlt: createStorageBuffer(d, vals.byteLength, 'v2'),
        };
        const count = createStorageBuffer(d, Uint32Array.of(c), 'n');
        const enc = d.createCommandEncoder();
        const out = sorter.encode(enc, bufs, count, 16);
        d.queue.submit([enc.finish()]);
        const outK = await readU32(d, out.keys, n);
        const outV = await readU32(d, out.vals, n);
        if (c === 0) {
          // Nothing to sort: 16 bits is an even number of passes in both variants, input left in place.
          expect(out.keys).toBe(bufs.keys);
          expect(Array.from(outK)).toEqual(Array.from(keys));
        } else {
          expectSortedStable(keys, vals, outK, outV, 16);
        }
        for (const b of [...Object.values(bufs), count]) b.destroy();
      }
      sorter.destroy();
    });
  }

  it('picks the chunked variant on CPU adapters only', () => {
    expect(RadixSort.defaultVariant({ adapterName: 'mesa software llvmpipe-llvm-15-0-6-256-bits- llvmpipe: Mesa 25.0.7' })).toBe('chunked');
    expect(RadixSort.defaultVariant({ adapterName: 'google swiftshader swiftshader-device-subzero- SwiftShader driver 5.0.0' })).toBe('chunked');
    expect(RadixSort.defaultVariant({ adapterName: 'nvidia ampere NVIDIA GeForce RTX 3080' })).toBe('workgroup');
  });
});
