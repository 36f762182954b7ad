import { createGaussianCloud, shCoeffCount, SH_C0, type GaussianCloud } from '../core/GaussianCloud';
import { fail } from './FormatError';
import type { PlyData, PlyColumn } from './plyFormat';

/**
 * PlayCanvas / SuperSplat compressed PLY (playcanvas/engine `ply-compressed`, splat-transform):
 * element `chunk` (one per 256 splats: float min/max of position, log-scale and optionally colour),
 * element `vertex` with uint packed_position (11-10-11 unorm, x in the high bits), packed_rotation
 * (2-bit index of the largest wxyz component + three 10-bit components in [-1/sqrt2, 1/sqrt2]),
 * packed_scale (11-10-11 unorm between the chunk's log-scale bounds), packed_color (8-8-8-8: r g b
 * in the chunk's colour bounds, colour = 0.5 + C0 * f_dc, then opacity), optional element `sh`
 * with uchar f_rest_* (value = (v/256 - 0.5) * 8).
 */

const CHUNK = 256;

/** True when the parsed PLY has the compressed layout (chunk element + packed vertex properties). */
export function isCompressedPly(data: PlyData): boolean {
  const v = data.get('vertex');
  return !!data.get('chunk') && !!v && v.has('packed_position');
}

/**
 * Decodes a compressed PLY into a raw GaussianCloud.
 * @throws FormatError naming the file and property when a chunk or packed property is missing or
 *   there are fewer chunks than ceil(vertices / 256).
 */
export function readCompressedPly(file: string, data: PlyData): GaussianCloud {
  const chunk = data.get('chunk')!;
  const vertex = data.get('vertex')!;
  const col = (m: Map<string, PlyColumn>, el: string, name: string): PlyColumn => {
    const c = m.get(name);
    if (!c) fail(file, `property ${name}`, `missing required property in element ${el}`);
    return c;
  };
  const cp = ['min_x', 'min_y', 'min_z', 'max_x', 'max_y', 'max_z', 'min_scale_x', 'min_scale_y', 'min_scale_z', 'max_scale_x', 'max_scale_y', 'max_scale_z'].map((n) =>
    col(chunk, 'chunk', n),
  );
  const hasColorRange = chunk.has('min_r');
  const cc = hasColorRange ? ['min_r', 'min_g', 'min_b', 'max_r', 'max_g', 'max_b'].map((n) => col(chunk, 'chunk', n)) : [];
  const [pp, pr, ps, pc] = ['packed_position', 'packed_rotation', 'packed_scale', 'packed_color'].map((n) => col(vertex, 'vertex', n));
  const n = pp.length;
  const nChunks = cp[0].length;
  if (nChunks * CHUNK < n) fail(file, 'element chunk', `${nChunks} chunks cover ${nChunks * CHUNK} splats, file has ${n}`);
  const shEl = data.get('sh');
  let rest = 0;
  while (shEl?.has(`f_rest_${rest}`)) rest++;
  const degree = [0, 9, 24, 45].indexOf(rest);
  if (degree < 0) fail(file, `property f_rest_${rest - 1}`, `${rest} f_rest properties; expected 0, 9, 24 or 45`);
  if (shEl && rest > 0 && shEl.get('f_rest_0')!.length !== n) fail(file, 'element sh', `has ${shEl.get('f_rest_0')!.length} rows, vertex has ${n}`);
  const K = shCoeffCount(degree);
  const cloud = createGaussianCloud(n, degree);
  const lerp = (a: number, b: number, t: number) => a + (b - a) * t;
  const SQ = Math.SQRT2;
  for (let i = 0; i < n; i++) {
    const c = (i / CHUNK) | 0;
    const p = pp[i] >>> 0;
    cloud.means[i * 3] = lerp(cp[0][c], cp[3][c], (p >>> 21) / 2047);
    cloud.means[i * 3 + 1] = lerp(cp[1][c], cp[4][c], ((p >>> 11) & 0x3ff) / 1023);
    cloud.means[i * 3 + 2] = lerp(cp[2][c], cp[5][c], (p & 0x7ff) / 2047);
    const s = ps[i] >>> 0;
    cloud.logScales[i * 3] = lerp(cp[6][c], cp[9][c], (s >>> 21) / 2047);
    cloud.logScales[i * 3 + 1] = lerp(cp[7][c], cp[10][c], ((s >>> 11) & 0x3ff) / 1023);
    cloud.logScales[i * 3 + 2] = lerp(cp[8][c], cp[11][c], (s & 0x7ff) / 2047);
    const r = pr[i] >>> 0;
    const a = (((r >>> 20) & 0x3ff) / 1023 - 0.5) * SQ;
    const b = (((r >>> 10) & 0x3ff) / 1023 - 0.5) * SQ;
    const d = ((r & 0x3ff) / 1023 - 0.5) * SQ;
    const m = Math.sqrt(Math.max(0, 1 - (a * a + b * b + d * d)));
    const which = r >>> 30;
    const q = which === 0 ? [m, a, b, d] : which === 1 ? [a, m, b, d] : which === 2 ? [a, b, m, d] : [a, b, d, m];
    cloud.quats.set(q, i * 4);
    const col8 = pc[i] >>> 0;
    const rgb = [(col8 >>> 24) / 255, ((col8 >>> 16) & 0xff) / 255, ((col8 >>> 8) & 0xff) / 255];
    for (let k = 0; k < 3; k++) {
      const v = hasColorRange ? lerp(cc[k][c], cc[k + 3][c], rgb[k]) : rgb[k];
      cloud.sh[i * K * 3 + k] = (v - 0.5) / SH_C0;
    }
    const alpha = Math.min(1 - 1e-6, Math.max(1e-6, (col8 & 0xff) / 255));
    cloud.logitOpacities[i] = Math.log(alpha / (1 - alpha));
  }
  if (shEl && rest > 0) {
    const restCols = Array.from({ length: rest }, (_, j) => shEl.get(`f_rest_${j}`)!);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < 3; ch++) {
        for (let j = 0; j < K - 1; j++) cloud.sh[i * K * 3 + (j + 1) * 3 + ch] = (restCols[ch * (K - 1) + j][i] / 256 - 0.5) * 8;
      }
    }
  }
  return cloud;
}
