import { createGaussianCloud, shCoeffCount, sigmoid, SH_C0, type GaussianCloud } from '../core/GaussianCloud';
import { fail } from './FormatError';

/**
 * antimatter15 `.splat` (github.com/antimatter15/splat, `convert.py`): 32-byte little-endian records,
 * no header: float32 x y z, float32 scale x y z (LINEAR standard deviations, not log), uint8 r g b a
 * (sRGB colour = 0.5 + C0 * f_dc, a = opacity, each * 255), uint8 quaternion w x y z encoded as
 * q * 128 + 128 of the normalized quaternion. SH above degree 0 cannot be stored.
 */

/** Bytes per record. */
export const SPLAT_RECORD_BYTES = 32;

/**
 * Decodes a .splat file into a raw cloud (log-scales, logit opacities, SH DC from the 8-bit colour).
 * Zero scales become log(1e-12); all-zero quaternions become identity.
 * @throws FormatError when the size is not a multiple of 32 or a record holds a non-finite value.
 */
export function readAntimatterSplat(file: string, bytes: Uint8Array): GaussianCloud {
  if (bytes.length % SPLAT_RECORD_BYTES !== 0) {
    fail(file, 'size', `${bytes.length} bytes is not a multiple of the 32-byte .splat record`);
  }
  const n = bytes.length / SPLAT_RECORD_BYTES;
  const cloud = createGaussianCloud(n, 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const o = i * SPLAT_RECORD_BYTES;
    for (let k = 0; k < 3; k++) {
      const p = dv.getFloat32(o + k * 4, true);
      const s = dv.getFloat32(o + 12 + k * 4, true);
      if (!Number.isFinite(p)) fail(file, `record ${i} position`, `non-finite value ${p}`);
      if (!Number.isFinite(s) || s < 0) fail(file, `record ${i} scale`, `invalid scale ${s} (must be finite and >= 0)`);
      cloud.means[i * 3 + k] = p;
      cloud.logScales[i * 3 + k] = Math.log(Math.max(s, 1e-12));
      cloud.sh[i * 3 + k] = (bytes[o + 24 + k] / 255 - 0.5) / SH_C0;
    }
    const a = Math.min(1 - 1e-6, Math.max(1e-6, bytes[o + 27] / 255));
    cloud.logitOpacities[i] = Math.log(a / (1 - a));
    const q = [0, 1, 2, 3].map((k) => (bytes[o + 28 + k] - 128) / 128);
    if (q[0] === 0 && q[1] === 0 && q[2] === 0 && q[3] === 0) q[0] = 1;
    cloud.quats.set(q, i * 4);
  }
  return cloud;
}

/**
 * Encodes a cloud as .splat records (in the cloud's order).
 * @returns bytes and `dropped`: what the format cannot hold (SH bands above 0; opacity and colour are
 *   quantized to 8 bits, rotation to 8 bits per component).
 */
export function writeAntimatterSplat(cloud: GaussianCloud): { bytes: Uint8Array; dropped: string[] } {
  const n = cloud.count;
  const K = shCoeffCount(cloud.shDegree);
  const out = new Uint8Array(n * SPLAT_RECORD_BYTES);
  const dv = new DataView(out.buffer);
  const u8 = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  for (let i = 0; i < n; i++) {
    const o = i * SPLAT_RECORD_BYTES;
    for (let k = 0; k < 3; k++) {
      dv.setFloat32(o + k * 4, cloud.means[i * 3 + k], true);
      dv.setFloat32(o + 12 + k * 4, Math.exp(cloud.logScales[i * 3 + k]), true);
      out[o + 24 + k] = u8((0.5 + SH_C0 * cloud.sh[i * K * 3 + k]) * 255);
    }
    out[o + 27] = u8(sigmoid(cloud.logitOpacities[i]) * 255);
    const q = cloud.quats.subarray(i * 4, i * 4 + 4);
    const len = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
    for (let k = 0; k < 4; k++) out[o + 28 + k] = u8((q[k] / len) * 128 + 128);
  }
  const dropped = cloud.shDegree > 0 ? [`SH bands 1-${cloud.shDegree} (${(K - 1) * 3} coefficients per splat); .splat keeps only the base colour`] : [];
  return { bytes: out, dropped };
}
