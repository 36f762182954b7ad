import { det3, mul3, svd3, transpose3 } from './linalg';

/**
 * Rotation matrix of an axis-angle vector w (axis w/|w|, angle |w| radians), Rodrigues' formula:
 * R = I + sin(a) [k]x + (1 - cos(a)) [k]x^2. Returns a row-major 3x3.
 * Source: Hartley & Zisserman, "Multiple View Geometry", 2nd ed., eq. (A4.9).
 */
export function rotationFromAxisAngle(w: ArrayLike<number>): Float64Array {
  const angle = Math.hypot(w[0], w[1], w[2]);
  if (angle < 1e-12) {
    // first order: I + [w]x (exact enough below 1e-12 rad)
    return Float64Array.from([1, -w[2], w[1], w[2], 1, -w[0], -w[1], w[0], 1]);
  }
  const [x, y, z] = [w[0] / angle, w[1] / angle, w[2] / angle];
  const s = Math.sin(angle);
  const c = 1 - Math.cos(angle);
  return Float64Array.from([
    1 + c * (x * x - 1), -s * z + c * x * y, s * y + c * x * z,
    s * z + c * x * y, 1 + c * (y * y - 1), -s * x + c * y * z,
    -s * y + c * x * z, s * x + c * y * z, 1 + c * (z * z - 1),
  ]);
}

/**
 * Axis-angle vector (radians) of a rotation matrix (row-major 3x3), the inverse of
 * rotationFromAxisAngle; stable near 0 and pi.
 */
export function axisAngleFromRotation(R: ArrayLike<number>): [number, number, number] {
  const cosAngle = Math.min(1, Math.max(-1, (R[0] + R[4] + R[8] - 1) / 2));
  const angle = Math.acos(cosAngle);
  const v = [R[7] - R[5], R[2] - R[6], R[3] - R[1]];
  if (angle < 1e-7) return [v[0] / 2, v[1] / 2, v[2] / 2];
  if (Math.PI - angle > 1e-4) {
    const k = angle / (2 * Math.sin(angle));
    return [v[0] * k, v[1] * k, v[2] * k];
  }
  // near pi: the axis is the dominant column of (R + I) / 2 = k k^T (sign from the skew part)
  const diag = [R[0], R[4], R[8]];
  const i = diag[0] >= diag[1] && diag[0] >= diag[2] ? 0 : diag[1] >= diag[2] ? 1 : 2;
  const col = [0, 1, 2].map((r) => (R[r * 3 + i] + R[i * 3 + r]) / 2 + (r === i ? 1 : 0));
  const n = Math.hypot(col[0], col[1], col[2]);
  let axis = col.map((c) => c / n);
  if (axis[0] * v[0] + axis[1] * v[1] + axis[2] * v[2] < 0) axis = axis.map((c) => -c);
  return [axis[0] * angle, axis[1] * angle, axis[2] * angle];
}

/**
 * Nearest rotation (Frobenius norm) to a 3x3 matrix M: U diag(1, 1, det(U V^T)) V^T.
 * Source: Umeyama 1991 / orthogonal Procrustes.
 */
export function nearestRotation(M: ArrayLike<number>): Float64Array {
  const { U, V } = svd3(M);
  // svd3 returns proper U and V, so U V^T is already a rotation
  const R = mul3(U, transpose3(V));
  if (det3(R) < 0) throw new Error('nearestRotation: internal error, det < 0');
  return R;
}

/** Angle in radians of the rotation A B^T (the geodesic distance between rotations A and B). */
export function rotationAngleBetween(A: ArrayLike<number>, B: ArrayLike<number>): number {
  const D = mul3(A, transpose3(B));
  const c = Math.min(1, Math.max(-1, (D[0] + D[4] + D[8] - 1) / 2));
  return Math.acos(c);
}
