import { createGaussianCloud, shCoeffCount, type GaussianCloud } from '../core/GaussianCloud';
import { fail } from './FormatError';
import { requireColumn, type PlyData } from './plyFormat';

/**
 * INRIA 3D Gaussian Splatting PLY (Kerbl et al. 2023, `gaussian_model.py save_ply`): one `vertex`
 * element with float properties x y z [nx ny nz] f_dc_0..2 [f_rest_0..3*(K-1)-1] opacity scale_0..2
 * rot_0..3, in any order. Values are raw: log-scales, logit opacity, wxyz quaternion, SH with
 * f_rest channel-major (f_rest[c*(K-1) + j] is coefficient j+1 of channel c).
 */

const REQUIRED = ['x', 'y', 'z', 'f_dc_0', 'f_dc_1', 'f_dc_2', 'opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3'];

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
  const n = cols[0].length;
  const cloud = createGaussianCloud(n, degree);
  const K = shCoeffCount(degree);
  const [x, y, z, d0, d1, d2, op, s0, s1, s2, r0, r1, r2, r3] = cols;
  const restCols = Array.from({ length: rest }, (_, i) => vertex.get(`f_rest_${i}`)!);
  for (let i = 0; i < n; i++) {
    cloud.means[i * 3] = x[i];
    cloud.means[i * 3 + 1] = y[i];
    cloud.means[i * 3 + 2] = z[i];
    cloud.logScales[i * 3] = s0[i];
    cloud.logScales[i * 3 + 1] = s1[i];
    cloud.logScales[i * 3 + 2] = s2[i];
    cloud.quats[i * 4] = r0[i];
    cloud.quats[i * 4 + 1] = r1[i];
    cloud.quats[i * 4 + 2] = r2[i];
    cloud.quats[i * 4 + 3] = r3[i];
    cloud.logitOpacities[i] = op[i];
    const b = i * K * 3;
    cloud.sh[b] = d0[i];
    cloud.sh[b + 1] = d1[i];
    cloud.sh[b + 2] = d2[i];
    for (let c = 0; c < 3; c++) {
      for (let j = 0; j < K - 1; j++) cloud.sh[b + (j + 1) * 3 + c] = restCols[c * (K - 1) + j][i];
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
