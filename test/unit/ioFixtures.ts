import { gunzipSync } from 'fflate';
import { createGaussianCloud, shCoeffCount, type GaussianCloud } from '../../src/core/GaussianCloud';
import { writeSpz } from '../../src/io/spz';

/** Deterministic LCG in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Random cloud with SH degree d (values in the ranges real splats have). */
export function randomCloud(n: number, d: number, seed = 1): GaussianCloud {
  const rnd = rng(seed);
  const c = createGaussianCloud(n, d);
  for (let i = 0; i < n * 3; i++) c.means[i] = (rnd() - 0.5) * 20;
  for (let i = 0; i < n * 3; i++) c.logScales[i] = -6 + rnd() * 5;
  for (let i = 0; i < n * 4; i++) c.quats[i] = rnd() * 2 - 1;
  for (let i = 0; i < n; i++) c.logitOpacities[i] = (rnd() - 0.5) * 8;
  const K = shCoeffCount(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < K * 3; j++) c.sh[i * K * 3 + j] = j < 3 ? (rnd() - 0.5) * 3 : (rnd() - 0.5) * 0.8;
  return c;
}

/** One zstd frame holding `data` in raw (stored) blocks (RFC 8878 3.1.1; single segment). */
export function zstdStoredFrame(data: Uint8Array): Uint8Array {
  const parts: number[] = [0x28, 0xb5, 0x2f, 0xfd];
  const n = data.length;
  if (n < 256) parts.push(0x20, n); // FCS flag 0 + single segment: 1-byte size
  else if (n < 65536 + 256) parts.push(0x60, (n - 256) & 0xff, (n - 256) >> 8); // 2-byte size - 256
  else parts.push(0xa0, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24); // 4-byte size
  const out: number[] = parts;
  const MAX = 128 * 1024;
  let o = 0;
  do {
    const len = Math.min(MAX, n - o);
    const last = o + len >= n ? 1 : 0;
    const h = last | (0 << 1) | (len << 3);
    out.push(h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff);
    for (let i = 0; i < len; i++) out.push(data[o + i]);
    o += len;
  } while (o < n);
  return Uint8Array.from(out);
}

/** An SPZ v4 file (NGSP header, TOC, one stored zstd frame per stream) with our v3 writer's content. */
export function spzV4(cloud: GaussianCloud): Uint8Array {
  const raw = gunzipSync(writeSpz(cloud).bytes);
  const n = cloud.count;
  const dim = shCoeffCount(cloud.shDegree) - 1;
  const sizes = [n * 9, n, n * 3, n * 3, n * 4];
  if (cloud.shDegree > 0) sizes.push(n * dim * 3);
  let o = 16;
  const frames = sizes.map((s) => zstdStoredFrame(raw.subarray(o, (o += s))));
  const head = new Uint8Array(32 + sizes.length * 16);
  const dv = new DataView(head.buffer);
  head.set(raw.subarray(0, 16));
  dv.setUint32(4, 4, true);
  head[15] = sizes.length;
  dv.setUint32(16, 32, true);
  sizes.forEach((s, i) => {
    dv.setUint32(32 + i * 16, frames[i].length, true);
    dv.setUint32(32 + i * 16 + 8, s, true);
  });
  const total = head.length + frames.reduce((a, f) => a + f.length, 0);
  const out = new Uint8Array(total);
  out.set(head);
  let p = head.length;
  for (const f of frames) {
    out.set(f, p);
    p += f.length;
  }
  return out;
}
