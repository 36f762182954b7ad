/**
 * Rotation matrix (row-major 3x3) of the quaternion (w, x, y, z) at row `i` of a flat N*4 array,
 * normalized first; the identity for a zero quaternion.
 */
export function quatToMatrix(quats: ArrayLike<number>, i: number): number[] {
  let w = quats[i * 4];
  let x = quats[i * 4 + 1];
  let y = quats[i * 4 + 2];
  let z = quats[i * 4 + 3];
  const n = Math.hypot(w, x, y, z);
  if (!(n > 0)) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  w /= n;
  x /= n;
  y /= n;
  z /= n;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}
