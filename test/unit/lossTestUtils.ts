/** Helpers shared by the loss tests: seeded random arrays, GPU upload/readback, finite differences. */
import { createStorageBuffer, readF32 } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import { mulberry32 } from '../../src/core/random';

/** Mulberry32 PRNG in [0,1). */
export const rng = mulberry32;

export function randomArray(n: number, seed: number, lo = 0, hi = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export function upload(gpu: GpuContext, data: ArrayLike<number>, label = 'test'): GPUBuffer {
  return createStorageBuffer(gpu.device, Float32Array.from(data), label);
}

export function zeros(gpu: GpuContext, n: number, label = 'zeros'): GPUBuffer {
  return createStorageBuffer(gpu.device, new Float32Array(n), label);
}

/** Runs `record` in one encoder and reads back the listed buffers. */
export async function runAndRead(gpu: GpuContext, record: (enc: GPUCommandEncoder) => void, reads: GPUBuffer[]): Promise<Float32Array[]> {
  const enc = gpu.device.createCommandEncoder();
  record(enc);
  gpu.device.queue.submit([enc.finish()]);
  const out: Float32Array[] = [];
  for (const b of reads) out.push(await readF32(gpu.device, b));
  return out;
}

/** Central finite difference of f at coordinate i of x (x is restored). */
export function centralDiff(f: (x: Float64Array) => number, x: Float64Array, i: number, h: number): number {
  const x0 = x[i];
  x[i] = x0 + h;
  const fp = f(x);
  x[i] = x0 - h;
  const fm = f(x);
  x[i] = x0;
  return (fp - fm) / (2 * h);
}

/** Max |a - b| / (max |b| + tiny), over all entries. */
export function relMaxErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-30;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
