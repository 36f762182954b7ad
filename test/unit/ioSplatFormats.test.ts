import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGaussianCloud, shCoeffCount, sigmoid, SH_C0 } from '../../src/core/GaussianCloud';
import { readSplatFile, writeSplatFile } from '../../src/io/splatFile';
import { writeInriaPly } from '../../src/io/inriaPly';
import { randomCloud, spzV4 } from './ioFixtures';

const SPLATS = resolve(__dirname, '../../../shared/data/splats');
const HAVE = existsSync(SPLATS);
if (!HAVE) console.warn(`skipping real splat files: ${SPLATS} is absent`);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Angle in radians between two quaternion rotations (sign-invariant). */
function quatAngle(a: ArrayLike<number>, b: ArrayLike<number>, i: number): number {
  const na = Math.hypot(a[i * 4], a[i * 4 + 1], a[i * 4 + 2], a[i * 4 + 3]);
  const nb = Math.hypot(b[i * 4], b[i * 4 + 1], b[i * 4 + 2], b[i * 4 + 3]);
  let dot = 0;
  for (let k = 0; k < 4; k++) dot += (a[i * 4 + k] / na) * (b[i * 4 + k] / nb);
  return 2 * Math.acos(Math.min(1, Math.abs(dot)));
}

describe.skipIf(!HAVE)('real splat files (../shared/data/splats)', () => {
  const expected: Record<string, number> = {
    'donut-sh0.ply': 45624,
    'chair.splat': 89945,
    'airplane.splat': 26108,
    'biker-v4.spz': 152746,
    'biker.compressed.ply': 152746,
  };
  for (const [file, count] of Object.entries(expected)) {
    it(`${file} imports with ${count} splats and finite values`, () => {
      const cloud = readSplatFile(file, new Uint8Array(readFileSync(resolve(SPLATS, file))));
      expect(cloud.count).toBe(count);
      expect(cloud.shDegree).toBe(0);
      for (const arr of [cloud.means, cloud.logScales, cloud.quats, cloud.logitOpacities, cloud.sh]) {
        expect(arr.every(Number.isFinite)).toBe(true);
      }
      // Opacities span a real range and positions are not all equal.
      let lo = 1;
      let hi = 0;
      for (const v of cloud.logitOpacities) {
        lo = Math.min(lo, sigmoid(v));
        hi = Math.max(hi, sigmoid(v));
      }
      expect(hi - lo).toBeGreaterThan(0.5);
      expect(maxAbsDiff(cloud.means.subarray(0, 3), cloud.means.subarray(3, 6))).toBeGreaterThan(0);
    });
  }

  it('biker-v4.spz (RUB) and biker.compressed.ply (RDF) decode to the same splats in our axes', () => {
    const a = readSplatFile('biker-v4.spz', new Uint8Array(readFileSync(resolve(SPLATS, 'biker-v4.spz'))));
    const b = readSplatFile('biker.compressed.ply', new Uint8Array(readFileSync(resolve(SPLATS, 'biker.compressed.ply'))));
    // Both files hold the same scene in the same order: compare a sample of splats.
    let maxPos = 0;
    let maxRot = 0;
    let maxOp = 0;
    for (let i = 0; i < a.count; i += 97) {
      for (let k = 0; k < 3; k++) maxPos = Math.max(maxPos, Math.abs(a.means[i * 3 + k] - b.means[i * 3 + k]));
      maxRot = Math.max(maxRot, quatAngle(a.quats, b.quats, i));
      maxOp = Math.max(maxOp, Math.abs(sigmoid(a.logitOpacities[i]) - sigmoid(b.logitOpacities[i])));
    }
    expect(maxPos).toBeLessThan(0.01); // compressed PLY quantizes to 1/2047 of a chunk's extent
    expect(maxRot).toBeLessThan(0.05);
    expect(maxOp).toBeLessThan(0.02);
  });
});

describe('INRIA PLY', () => {
  for (const d of [0, 1, 2, 3]) {
    it(`round-trips SH degree ${d} bit-exactly`, () => {
      const c = randomCloud(50, d, 10 + d);
      const back = readSplatFile('x.ply', writeSplatFile('x.ply', c).bytes);
      expect(back.shDegree).toBe(d);
      expect(back.count).toBe(50);
      expect(Array.from(back.means)).toEqual(Array.from(c.means));
      expect(Array.from(back.sh)).toEqual(Array.from(c.sh));
      expect(Array.from(back.quats)).toEqual(Array.from(c.quats));
      expect(Array.from(back.logScales)).toEqual(Array.from(c.logScales));
      expect(Array.from(back.logitOpacities)).toEqual(Array.from(c.logitOpacities));
    });
  }

  it('reads any property order, without normals, extra properties and double precision', () => {
    const c = randomCloud(7, 1, 3);
    const K = 4;
    const props = ['rot_2', 'scale_1', 'z', 'opacity', 'f_dc_1', 'x', 'rot_0', 'scale_0', 'f_dc_0', 'y', 'rot_3', 'scale_2', 'f_dc_2', 'rot_1', 'extra'];
    for (let j = 0; j < 9; j++) props.splice(2 + j, 0, `f_rest_${j}`);
    const value = (i: number, p: string): number => {
      const m = /^f_rest_(\d+)$/.exec(p);
      if (m) {
        const j = Number(m[1]);
        return c.sh[i * K * 3 + ((j % 3) + 1) * 3 + Math.floor(j / 3)];
      }
      const map: Record<string, number> = {
        x: c.means[i * 3], y: c.means[i * 3 + 1], z: c.means[i * 3 + 2],
        f_dc_0: c.sh[i * K * 3], f_dc_1: c.sh[i * K * 3 + 1], f_dc_2: c.sh[i * K * 3 + 2],
        opacity: c.logitOpacities[i], extra: 42,
        scale_0: c.logScales[i * 3], scale_1: c.logScales[i * 3 + 1], scale_2: c.logScales[i * 3 + 2],
        rot_0: c.quats[i * 4], rot_1: c.quats[i * 4 + 1], rot_2: c.quats[i * 4 + 2], rot_3: c.quats[i * 4 + 3],
      };
      return map[p];
    };
    const header = `ply\nformat binary_little_endian 1.0\ncomment made by a test\nelement vertex 7\n${props.map((p) => `property ${p === 'extra' ? 'uchar' : 'double'} ${p}\n`).join('')}end_header\n`;
    const hb = new TextEncoder().encode(header);
    const stride = (props.length - 1) * 8 + 1;
    const bytes = new Uint8Array(hb.length + 7 * stride);
    bytes.set(hb);
    const dv = new DataView(bytes.buffer, hb.length);
    for (let i = 0; i < 7; i++) {
      let o = i * stride;
      for (const p of props) {
        if (p === 'extra') dv.setUint8(o++, 42);
        else { dv.setFloat64(o, value(i, p), true); o += 8; }
      }
    }
    const back = readSplatFile('shuffled.ply', bytes);
    expect(back.shDegree).toBe(1);
    expect(maxAbsDiff(back.means, c.means)).toBe(0);
    expect(maxAbsDiff(back.sh, c.sh)).toBe(0);
    expect(maxAbsDiff(back.quats, c.quats)).toBe(0);
    expect(maxAbsDiff(back.logScales, c.logScales)).toBe(0);
  });

  it('reads ASCII PLY', () => {
    const c = randomCloud(5, 0, 4);
    const props = ['x', 'y', 'z', 'nx', 'ny', 'nz', 'f_dc_0', 'f_dc_1', 'f_dc_2', 'opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3'];
    let txt = `ply\nformat ascii 1.0\nelement vertex 5\n${props.map((p) => `property float ${p}\n`).join('')}end_header\n`;
    for (let i = 0; i < 5; i++) {
      const row = [...c.means.subarray(i * 3, i * 3 + 3), 0, 0, 0, ...c.sh.subarray(i * 3, i * 3 + 3), c.logitOpacities[i], ...c.logScales.subarray(i * 3, i * 3 + 3), ...c.quats.subarray(i * 4, i * 4 + 4)];
      txt += row.map((v) => v.toPrecision(9)).join(' ') + '\n';
    }
    const back = readSplatFile('ascii.ply', new TextEncoder().encode(txt));
    expect(back.count).toBe(5);
    expect(maxAbsDiff(back.means, c.means)).toBeLessThan(1e-6);
    expect(maxAbsDiff(back.quats, c.quats)).toBeLessThan(1e-6);
  });
});

describe('PlayCanvas compressed PLY', () => {
  it('decodes chunk bounds, 11-10-11 / 2-10-10-10 / 8888 packing and the sh element', () => {
    const chunkProps = ['min_x', 'min_y', 'min_z', 'max_x', 'max_y', 'max_z', 'min_scale_x', 'min_scale_y', 'min_scale_z', 'max_scale_x', 'max_scale_y', 'max_scale_z', 'min_r', 'min_g', 'min_b', 'max_r', 'max_g', 'max_b'];
    const chunk = [-1, 0, 2, 1, 4, 3, -5, -5, -5, -1, -1, -1, 0, 0, 0, 1, 1, 1];
    const header =
      'ply\nformat binary_little_endian 1.0\nelement chunk 1\n' + chunkProps.map((p) => `property float ${p}\n`).join('') +
      'element vertex 1\nproperty uint packed_position\nproperty uint packed_rotation\nproperty uint packed_scale\nproperty uint packed_color\n' +
      'element sh 1\n' + Array.from({ length: 9 }, (_, i) => `property uchar f_rest_${i}\n`).join('') + 'end_header\n';
    const hb = new TextEncoder().encode(header);
    const out = new Uint8Array(hb.length + 18 * 4 + 16 + 9);
    out.set(hb);
    const dv = new DataView(out.buffer, hb.length);
    chunk.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    // position: x = 2047 (max), y = 0 (min), z = 1023/2047 (about mid)
    dv.setUint32(72, (2047 << 21) | (0 << 11) | 1023, true);
    // rotation: largest = index 0 (w); a = b = c = 0 encoded as 0.5 * 1023 ~ 511.5 -> use 512
    dv.setUint32(76, ((0 << 30) | (512 << 20) | (512 << 10) | 512) >>> 0, true);
    // scale: all max
    dv.setUint32(80, ((2047 << 21) | (1023 << 11) | 2047) >>> 0, true);
    // colour: r = 255, g = 0, b = 128, opacity 255 * 0.75 ~ 191
    dv.setUint32(84, ((255 << 24) | (0 << 16) | (128 << 8) | 191) >>> 0, true);
    for (let i = 0; i < 9; i++) out[hb.length + 88 + i] = i * 20;
    const c = readSplatFile('tiny.compressed.ply', out);
    expect(c.count).toBe(1);
    expect(c.shDegree).toBe(1);
    expect(c.means[0]).toBeCloseTo(1, 6);
    expect(c.means[1]).toBeCloseTo(0, 6);
    expect(c.means[2]).toBeCloseTo(2 + 1023 / 2047, 6);
    expect(Array.from(c.logScales)).toEqual([-1, -1, -1]);
    expect(c.quats[0]).toBeCloseTo(1, 5);
    expect(Math.abs(c.quats[1])).toBeLessThan(1e-3);
    expect(0.5 + SH_C0 * c.sh[0]).toBeCloseTo(1, 5);
    expect(0.5 + SH_C0 * c.sh[1]).toBeCloseTo(0, 5);
    expect(0.5 + SH_C0 * c.sh[2]).toBeCloseTo(128 / 255, 5);
    expect(sigmoid(c.logitOpacities[0])).toBeCloseTo(191 / 255, 5);
    // f_rest_j (channel-major) -> coefficient (j % 3) + 1 of channel floor(j / 3), value (v/256 - 0.5) * 8.
    for (let j = 0; j < 9; j++) expect(c.sh[((j % 3) + 1) * 3 + Math.floor(j / 3)]).toBeCloseTo(((j * 20) / 256 - 0.5) * 8, 5);
  });
});

describe('.splat (antimatter15)', () => {
  it('round-trips within 8-bit quantization and reports dropped SH', () => {
    const c = randomCloud(200, 2, 5);
    const { bytes, dropped } = writeSplatFile('x.splat', c);
    expect(bytes.length).toBe(200 * 32);
    expect(dropped.join(' ')).toMatch(/SH bands 1-2/);
    const back = readSplatFile('x.splat', bytes);
    expect(back.shDegree).toBe(0);
    expect(maxAbsDiff(back.means, c.means)).toBe(0); // float32 positions
    expect(maxAbsDiff(back.logScales, c.logScales)).toBeLessThan(1e-5); // float32 linear scales
    for (let i = 0; i < 200; i++) {
      expect(quatAngle(back.quats, c.quats, i)).toBeLessThan(0.05);
      expect(Math.abs(sigmoid(back.logitOpacities[i]) - sigmoid(c.logitOpacities[i]))).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
      for (let k = 0; k < 3; k++) {
        const want = Math.min(1, Math.max(0, 0.5 + SH_C0 * c.sh[i * 27 + k]));
        const got = 0.5 + SH_C0 * back.sh[i * 3 + k];
        expect(Math.abs(got - want)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
      }
    }
  });

  it('refuses a size that is not a multiple of 32 bytes, naming the file', () => {
    expect(() => readSplatFile('odd.splat', new Uint8Array(33))).toThrow(/odd\.splat: size/);
  });
});

describe('SPZ', () => {
  for (const d of [0, 1, 3]) {
    it(`v3 round-trips SH degree ${d} within the format's quantization`, () => {
      const c = randomCloud(300, d, 20 + d);
      const { bytes, dropped } = writeSplatFile('x.spz', c);
      expect(bytes[0]).toBe(0x1f); // gzip
      expect(dropped[0]).toMatch(/precision/);
      const back = readSplatFile('x.spz', bytes);
      expect(back.count).toBe(300);
      expect(back.shDegree).toBe(d);
      // |means| <= 10 -> 12 fractional bits: error <= 2^-13.
      expect(maxAbsDiff(back.means, c.means)).toBeLessThanOrEqual(2 ** -13 + 1e-7);
      expect(maxAbsDiff(back.logScales, c.logScales)).toBeLessThanOrEqual(1 / 32 + 1e-6);
      const K = shCoeffCount(d);
      for (let i = 0; i < 300; i++) {
        expect(quatAngle(back.quats, c.quats, i)).toBeLessThan(0.01);
        expect(Math.abs(sigmoid(back.logitOpacities[i]) - sigmoid(c.logitOpacities[i]))).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
        for (let k = 0; k < 3; k++) {
          const dc = Math.min(127.5 / 38.25, Math.max(-127.5 / 38.25, c.sh[i * K * 3 + k]));
          expect(Math.abs(back.sh[i * K * 3 + k] - dc)).toBeLessThanOrEqual(0.5 / 38.25 + 1e-5);
          // SH rest: 5-bit buckets for band 1 (step 8/128), 4-bit above (16/128).
          for (let j = 1; j < K; j++) {
            const tol = (j <= 3 ? 4 : 8) / 128 + 1 / 128;
            expect(Math.abs(back.sh[i * K * 3 + j * 3 + k] - c.sh[i * K * 3 + j * 3 + k])).toBeLessThanOrEqual(tol);
          }
        }
      }
    });
  }

  it('v4 (NGSP header, zstd streams) decodes to the same values as v3', () => {
    for (const d of [0, 2]) {
      const c = randomCloud(40, d, 30 + d);
      const v3 = readSplatFile('a.spz', writeSplatFile('a.spz', c).bytes);
      const v4bytes = spzV4(c);
      expect(new TextDecoder().decode(v4bytes.subarray(0, 4))).toBe('NGSP');
      const v4 = readSplatFile('a.spz', v4bytes);
      expect(v4.shDegree).toBe(d);
      expect(Array.from(v4.means)).toEqual(Array.from(v3.means));
      expect(Array.from(v4.quats)).toEqual(Array.from(v3.quats));
      expect(Array.from(v4.sh)).toEqual(Array.from(v3.sh));
    }
  });

  it('reads v2 (8-bit xyz quaternions with w >= 0)', async () => {
    const { gunzipSync, gzipSync } = await import('fflate');
    const c = randomCloud(50, 1, 41);
    // 8-bit xyz with w recovered as sqrt(1 - |xyz|^2) is coarse when w is near 0: keep |w| large.
    for (let i = 0; i < c.count; i++) c.quats[i * 4] = 1.5 * Math.sign(c.quats[i * 4] || 1);
    const v3raw = gunzipSync(writeSplatFile('a.spz', c).bytes);
    const n = c.count;
    const before = 16 + n * (9 + 1 + 3 + 3);
    const shBytes = v3raw.subarray(before + n * 4);
    const raw = new Uint8Array(before + n * 3 + shBytes.length);
    raw.set(v3raw.subarray(0, before));
    new DataView(raw.buffer).setUint32(4, 2, true);
    for (let i = 0; i < n; i++) {
      // RUB axes: (w, x, -y, -z), normalized with w >= 0, stored as q * 127.5 + 127.5.
      const q = [c.quats[i * 4], c.quats[i * 4 + 1], -c.quats[i * 4 + 2], -c.quats[i * 4 + 3]];
      const len = Math.hypot(...q) * (q[0] < 0 ? -1 : 1);
      for (let k = 0; k < 3; k++) raw[before + i * 3 + k] = Math.round((q[k + 1] / len) * 127.5 + 127.5);
    }
    raw.set(shBytes, before + n * 3);
    const back = readSplatFile('v2.spz', gzipSync(raw));
    expect(back.shDegree).toBe(1);
    for (let i = 0; i < n; i++) expect(quatAngle(back.quats, c.quats, i)).toBeLessThan(0.02);
    expect(maxAbsDiff(back.means, c.means)).toBeLessThanOrEqual(2 ** -13 + 1e-7);
  });

  it('writes RUB axes (y and z flipped) as the SPZ spec requires', async () => {
    const { gunzipSync } = await import('fflate');
    const c = createGaussianCloud(1, 0);
    c.means.set([1, 2, 3]);
    const raw = gunzipSync(writeSplatFile('p.spz', c).bytes);
    const dv = new DataView(raw.buffer, raw.byteOffset);
    const fb = raw[13];
    const fixed = (k: number) => ((raw[16 + k * 3] | (raw[17 + k * 3] << 8) | (raw[18 + k * 3] << 16)) << 8) >> 8;
    expect(dv.getUint32(4, true)).toBe(3);
    expect([0, 1, 2].map((k) => fixed(k) / 2 ** fb)).toEqual([1, -2, -3]);
  });

  it("axes 'rdf' (splat-transform's convention) store PLY axes raw and round-trip; RUB and RDF readings differ by the flip", async () => {
    const { gunzipSync } = await import('fflate');
    const c = createGaussianCloud(1, 0);
    c.means.set([1, 2, 3]);
    const raw = gunzipSync(writeSplatFile('p.spz', c, { spz: { axes: 'rdf' } }).bytes);
    const fb = raw[13];
    const fixed = (k: number) => ((raw[16 + k * 3] | (raw[17 + k * 3] << 8) | (raw[18 + k * 3] << 16)) << 8) >> 8;
    expect([0, 1, 2].map((k) => fixed(k) / 2 ** fb)).toEqual([1, 2, 3]);

    const r = randomCloud(100, 3, 77);
    const bytes = writeSplatFile('r.spz', r, { spz: { axes: 'rdf' } }).bytes;
    const asRdf = readSplatFile('r.spz', bytes, { spz: { axes: 'rdf' } });
    const asRub = readSplatFile('r.spz', bytes);
    expect(maxAbsDiff(asRdf.means, r.means)).toBeLessThanOrEqual(2 ** -13 + 1e-7);
    for (let i = 0; i < r.count; i++) expect(quatAngle(asRdf.quats, r.quats, i)).toBeLessThan(0.01);
    const K = shCoeffCount(3);
    for (let i = 0; i < r.count; i++) {
      expect(asRub.means[i * 3]).toBe(asRdf.means[i * 3]);
      expect(asRub.means[i * 3 + 1]).toBe(-asRdf.means[i * 3 + 1]);
      expect(asRub.means[i * 3 + 2]).toBe(-asRdf.means[i * 3 + 2]);
      // SH band 1 coefficient 0 (y) flips sign under (x, -y, -z); coefficient 2 (x) does not.
      expect(asRub.sh[i * K * 3 + 3]).toBeCloseTo(-asRdf.sh[i * K * 3 + 3], 6);
      expect(asRub.sh[i * K * 3 + 9]).toBeCloseTo(asRdf.sh[i * K * 3 + 9], 6);
    }
    expect(() => readSplatFile('r.spz', bytes, { spz: { axes: 'xyz' as 'rub' } })).toThrow(/axes must be 'rub' or 'rdf'/);
  });
});

describe('writeInriaPly output', () => {
  it('has the INRIA header with normals', () => {
    const head = new TextDecoder().decode(writeInriaPly(randomCloud(2, 1)).subarray(0, 2000));
    expect(head).toMatch(/element vertex 2\nproperty float x\nproperty float y\nproperty float z\nproperty float nx/);
    expect(head).toMatch(/property float f_rest_8\nproperty float opacity/);
  });
});
