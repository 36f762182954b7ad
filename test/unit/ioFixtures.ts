import { encode as encodePng } from 'fast-png';
import { gunzipSync } from 'fflate';
import { Camera } from '../../src/core/Camera';
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


/** A PNG of w x h RGB(A) pixels from a function of (x, y) -> [r, g, b, a] in 0-255. */
export function makePng(w: number, h: number, f: (x: number, y: number) => number[] = (x, y) => [(x * 37) % 256, (y * 53) % 256, 128, 255]): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x, y).concat([255]).slice(0, 4), (y * w + x) * 4);
  return encodePng({ width: w, height: h, data, channels: 4, depth: 8 });
}

/** A .npy (v1.0, little-endian float64, C order) of a 2D array. */
export function makeNpy(rows: number[][]): Uint8Array {
  const shape = `(${rows.length}, ${rows[0]?.length ?? 0})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + rows.length * (rows[0]?.length ?? 0) * 8);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const dv = new DataView(out.buffer, 10 + header.length);
  rows.flat().forEach((v, i) => dv.setFloat64(i * 8, v, true));
  return out;
}

/** OpenCV camera at `eye` looking at `target` (world up -y... any up not parallel to the view). */
export function lookAt(eye: number[], target: number[], w: number, h: number, f: number, name = ''): Camera {
  const z = norm(sub(target, eye));
  let x = cross(z, [0, -1, 0]);
  if (Math.hypot(...x) < 1e-6) x = cross(z, [0, 0, 1]);
  x = norm(x);
  const y = cross(z, x);
  const c2w = [x[0], y[0], z[0], eye[0], x[1], y[1], z[1], eye[1], x[2], y[2], z[2], eye[2], 0, 0, 0, 1];
  return Camera.fromC2W(c2w, f, f, w / 2, h / 2, w, h, name);
}
const sub = (a: number[], b: number[]) => a.map((v, i) => v - b[i]);
const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: number[]) => a.map((v) => v / Math.hypot(...a));

/** poses_bounds.npy rows (N x 17, LLFF [down, right, back] columns) for OpenCV cameras at full size H, W. */
export function llffRows(cams: Camera[], H: number, W: number, f: number): number[][] {
  return cams.map((c) => {
    const m = c.c2w();
    const col = (k: number) => [m[k], m[4 + k], m[8 + k]];
    const [xr, yd, zf] = [col(0), col(1), col(2)];
    const C = [m[3], m[7], m[11]];
    const cols = [yd, xr, zf.map((v) => -v), C, [H, W, f]];
    const rows: number[] = [];
    for (let r = 0; r < 3; r++) for (let k = 0; k < 5; k++) rows.push(cols[k][r]);
    return rows.concat([0.5, 20]);
  });
}

/** A small LLFF scene (files keyed by path under `prefix`): n cameras on an arc, images_{factor}. */
export function llffScene(n = 5, factor = 4, prefix = ''): { files: Record<string, Uint8Array>; cams: Camera[] } {
  const W = 64 * factor;
  const H = 48 * factor;
  const f = 60 * factor;
  const cams = Array.from({ length: n }, (_, i) => lookAt([i - (n - 1) / 2, 0.2 * i, -5], [0, 0, 0], W, H, f));
  const files: Record<string, Uint8Array> = { [`${prefix}poses_bounds.npy`]: makeNpy(llffRows(cams, H, W, f)) };
  for (let i = 0; i < n; i++) files[`${prefix}images_${factor}/IMG_${1000 + i}.png`] = makePng(64, 48, (x, y) => [x * 4, y * 5, i * 40, 255]);
  return { files, cams };
}
