import { createGaussianCloud, shCoeffCount, type GaussianCloud } from '../core/GaussianCloud';
import { fail } from './FormatError';
import { requireColumn, type PlyData } from './plyFormat';

/**
 * INRIA 3D Gaussian Splatting PLY (Kerbl et al. 2023, `gaussian_model.py save_ply`): one `vertex`
 * element with float properties x y z [nx ny nz] f_dc_0..2 [f_rest_0..3*(K-1)-1] opacity scale_0..2
 * rot_0..3, in any order. Values are raw: log-scales, logit opacity, wxyz quaternion, SH with
 * f_rest channel-major (f_rest[c*(K-1) + j] is coefficient j+1 of channel c).
 */

const REQUIRED = ['x', 'y', 'z', 'f_dc_0', 'f_dc_1', 'f_dc_2', 'opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3'] as const;

/** SH degree for a number of f_rest properties (0, 9, 24, 45). */
export function shDegreeForRest(restCount: number): number {
  const d = [0, 9, 24, 45].indexOf(restCount);
  return d;
}

/**
 * Builds a GaussianCloud from the columns of a parsed INRIA PLY.
 * @throws FormatError naming the file and property when a required property is missing or the
 *   f_rest count is not 0/9/24/45.
 */
export function inriaCloudFromPly(file: string, data: PlyData): GaussianCloud {
  const cols = REQUIRED.map((p) => requireColumn(file, data, 'vertex', p));
  const vertex = data.get('vertex')!;
  let rest = 0;
  while (vertex.has(`f_rest_${rest}`)) rest++;
  const degree = shDegreeForRest(rest);
  if (degree < 0) fail(file, `property f_rest_${rest - 1}`, `${rest} f_rest properties; expected 0, 9, 24 or 45 (SH degree 0-3)`);
  const [x, y, z, d0, d1, d2, op, s0, s1, s2, r0, r1, r2, r3] = cols;
  const restCols = Array.from({ length: rest }, (_, i) => vertex.get(`f_rest_${i}`)!);
  return cloudFromPlyColumns({ x, y, z, scale_0: s0, scale_1: s1, scale_2: s2, rot_0: r0, rot_1: r1, rot_2: r2, rot_3: r3, opacity: op, f_dc_0: d0, f_dc_1: d1, f_dc_2: d2 }, restCols, degree);
}

/** Per-splat columns of the INRIA PLY layout, by property name (each of length N). */
export type PlyColumns = Record<(typeof REQUIRED)[number], ArrayLike<number>>;

/**
 * A GaussianCloud of SH degree `degree` from INRIA PLY columns (raw values: log-scales, wxyz
 * quaternions, logit opacity) and the f_rest columns, channel-major (restCols[c*(K-1) + j] is
 * coefficient j+1 of channel c). Shared by our PLY reader and the splat-transform bridge.
 */
export function cloudFromPlyColumns(c: PlyColumns, restCols: ArrayLike<number>[], degree: number): GaussianCloud {
  const n = c.x.length;
  const cloud = createGaussianCloud(n, degree);
  const K = shCoeffCount(degree);
  const groups: [Float32Array, ArrayLike<number>[]][] = [
    [cloud.means, [c.x, c.y, c.z]],
    [cloud.logScales, [c.scale_0, c.scale_1, c.scale_2]],
    [cloud.quats, [c.rot_0, c.rot_1, c.rot_2, c.rot_3]],
  ];
  for (let i = 0; i < n; i++) {
    for (const [dst, src] of groups) for (let k = 0; k < src.length; k++) dst[i * src.length + k] = src[k][i];
    cloud.logitOpacities[i] = c.opacity[i];
    const b = i * K * 3;
    cloud.sh[b] = c.f_dc_0[i];
    cloud.sh[b + 1] = c.f_dc_1[i];
    cloud.sh[b + 2] = c.f_dc_2[i];
    for (let ch = 0; ch < 3; ch++) {
      for (let j = 0; j < K - 1; j++) cloud.sh[b + (j + 1) * 3 + ch] = restCols[ch * (K - 1) + j][i];
    }
  }
  return cloud;
}

/**
 * Writes an INRIA 3DGS binary little-endian PLY (float32, with zero normals nx ny nz as the
 * reference implementation writes them). Lossless for float32 values.
 * @returns the file bytes
 */
export function writeInriaPly(cloud: GaussianCloud): Uint8Array {
  const n = cloud.count;
  const K = shCoeffCount(cloud.shDegree);
  const props = ['x', 'y', 'z', 'nx', 'ny', 'nz', 'f_dc_0', 'f_dc_1', 'f_dc_2'];
  for (let i = 0; i < 3 * (K - 1); i++) props.push(`f_rest_${i}`);
  props.push('opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3');
  const header =
    `ply\nformat binary_little_endian 1.0\nelement vertex ${n}\n` + props.map((p) => `property float ${p}\n`).join('') + 'end_header\n';
  const hb = new TextEncoder().encode(header);
  const stride = props.length;
  const body = new Float32Array(n * stride);
  for (let i = 0; i < n; i++) {
    let o = i * stride;
    body[o++] = cloud.means[i * 3];
    body[o++] = cloud.means[i * 3 + 1];
    body[o++] = cloud.means[i * 3 + 2];
    o += 3; // normals
    const b = i * K * 3;
    body[o++] = cloud.sh[b];
    body[o++] = cloud.sh[b + 1];
    body[o++] = cloud.sh[b + 2];
    for (let c = 0; c < 3; c++) for (let j = 0; j < K - 1; j++) body[o++] = cloud.sh[b + (j + 1) * 3 + c];
    body[o++] = cloud.logitOpacities[i];
    body[o++] = cloud.logScales[i * 3];
    body[o++] = cloud.logScales[i * 3 + 1];
    body[o++] = cloud.logScales[i * 3 + 2];
    for (let k = 0; k < 4; k++) body[o++] = cloud.quats[i * 4 + k];
  }
  const out = new Uint8Array(hb.length + body.byteLength);
  out.set(hb, 0);
  // Float32Array is little-endian on every platform WebGPU runs on; write explicitly anyway.
  const dv = new DataView(out.buffer, hb.length);
  for (let i = 0; i < body.length; i++) dv.setFloat32(i * 4, body[i], true);
  return out;
}
