import { shCoeffCount, sigmoid, SH_C0, type GaussianCloud } from '../../src/core/GaussianCloud';

/**
 * Test-only .ksplat encoder (mkkellogg/GaussianSplats3D `SplatBuffer.generateFromUncompressedSplatArrays`
 * layout; SH order as @playcanvas/splat-transform's reader decodes it: band 1 as r0 r1 r2 g0 g1 g2 b0 b1
 * b2, then band 2 channel by channel). Neither splat-transform nor the shared data has a .ksplat, so
 * the tests make their own. One section; compression level 0 (float32) or 1 (float16 + uint16 positions
 * relative to spatial buckets of `blockSize`). Splats are written bucket by bucket (order changes in
 * level 1). Values stored raw in PLY axes, as mkkellogg's converter stores them.
 */
export function writeKsplat(cloud: GaussianCloud, level: 0 | 1, blockSize = 5): Uint8Array {
  const n = cloud.count;
  const degree = Math.min(cloud.shDegree, 2);
  const K = shCoeffCount(cloud.shDegree);
  const restN = [0, 9, 24][degree];
  const perSplat = (level === 0 ? 44 : 24) + restN * (level === 0 ? 4 : 2);
  const range = 32767;
  // Buckets: group by spatial cell (level 1), one group for level 0.
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = level === 0 ? '0' : [0, 1, 2].map((k) => Math.floor(cloud.means[i * 3 + k] / blockSize)).join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const full: { c: number[]; idx: number[] }[] = [];
  const partial: { c: number[]; idx: number[] }[] = [];
  for (const [key, idx] of groups) {
    const c = level === 0 ? [0, 0, 0] : key.split(',').map((v) => (Number(v) + 0.5) * blockSize);
    for (let o = 0; o < idx.length; o += 256) (idx.length - o >= 256 ? full : partial).push({ c, idx: idx.slice(o, o + 256) });
  }
  const buckets = level === 1 ? [...full, ...partial] : [];
  const order = level === 1 ? buckets.flatMap((b) => b.idx) : Array.from({ length: n }, (_, i) => i);
  const metaBytes = level === 1 ? partial.length * 4 + buckets.length * 12 : 0;
  const out = new Uint8Array(4096 + 1024 + metaBytes + n * perSplat);
  const dv = new DataView(out.buffer);
  out[0] = 0;
  out[1] = 1;
  dv.setUint32(4, 1, true);
  dv.setUint32(8, 1, true);
  dv.setUint32(12, n, true);
  dv.setUint32(16, n, true);
  dv.setUint16(20, level, true);
  dv.setFloat32(36, -1.5, true);
  dv.setFloat32(40, 1.5, true);
  const h = 4096;
  dv.setUint32(h, n, true);
  dv.setUint32(h + 4, n, true);
  dv.setUint32(h + 8, level === 1 ? 256 : 0, true);
  dv.setUint32(h + 12, buckets.length, true);
  dv.setFloat32(h + 16, level === 1 ? blockSize : 0, true);
  dv.setUint16(h + 20, level === 1 ? 12 : 0, true);
  dv.setUint32(h + 24, level === 1 ? range : 0, true);
  dv.setUint32(h + 28, metaBytes + n * perSplat, true);
  dv.setUint32(h + 32, level === 1 ? full.length : 0, true);
  dv.setUint32(h + 36, level === 1 ? partial.length : 0, true);
  dv.setUint16(h + 40, degree, true);
  let o = 4096 + 1024;
  if (level === 1) {
    for (const b of partial) {
      dv.setUint32(o, b.idx.length, true);
      o += 4;
    }
    for (const b of buckets) {
      for (let k = 0; k < 3; k++) {
        dv.setFloat32(o, b.c[k], true);
        o += 4;
      }
    }
  }
  const bucketOf = new Int32Array(n);
  buckets.forEach((b, bi) => b.idx.forEach((i) => (bucketOf[i] = bi)));
  const u8 = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  for (const i of order) {
    const f = (v: number) => {
      if (level === 0) dv.setFloat32(o, v, true);
      else dv.setUint16(o, toHalf(v), true);
      o += level === 0 ? 4 : 2;
    };
    if (level === 0) for (let k = 0; k < 3; k++) f(cloud.means[i * 3 + k]);
    else {
      const c = buckets[bucketOf[i]].c;
      for (let k = 0; k < 3; k++) {
        const q = Math.round((cloud.means[i * 3 + k] - c[k]) / (blockSize / 2 / range)) + range;
        dv.setUint16(o, Math.max(0, Math.min(65535, q)), true);
        o += 2;
      }
    }
    for (let k = 0; k < 3; k++) f(Math.exp(cloud.logScales[i * 3 + k]));
    const q = cloud.quats.subarray(i * 4, i * 4 + 4);
    const len = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
    for (let k = 0; k < 4; k++) f(q[k] / len);
    for (let k = 0; k < 3; k++) out[o++] = u8((0.5 + SH_C0 * cloud.sh[i * K * 3 + k]) * 255);
    out[o++] = u8(sigmoid(cloud.logitOpacities[i]) * 255);
    // SH: band by band, channel-major within a band.
    const bands = [[1, 3], [4, 5]].slice(0, degree);
    for (const [first, count] of bands) for (let ch = 0; ch < 3; ch++) for (let j = 0; j < count; j++) f(cloud.sh[i * K * 3 + (first + j) * 3 + ch]);
  }
  return out;
}

/** float32 -> IEEE 754 binary16 bits (round to nearest; overflow to infinity). */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    return sign | Math.round(mant / 2 ** (14 - exp));
  }
  if (exp >= 31) return sign | 0x7c00;
  const r = Math.round(mant / 8192);
  return r === 1024 ? sign | ((exp + 1) << 10) : sign | (exp << 10) | r;
}
