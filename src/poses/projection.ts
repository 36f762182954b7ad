/**
 * Pinhole projection with analytic Jacobians, shared by PnP refinement and bundle adjustment.
 * Camera model: OpenCV world-to-camera, x_cam = R X + t; u = f x/z + cx, v = f y/z + cy (pixels,
 * fx = fy = f). Rotation updates are left increments: R <- exp([w]x) R (w axis-angle, radians).
 */

/** A camera of the solvers: world-to-camera R (row-major 3x3), t (3), focal and principal point in pixels. */
export interface PinholeCamera {
  R: Float64Array;
  t: Float64Array;
  focal: number;
  cx: number;
  cy: number;
}

/** Camera centre -R^T t (world coordinates). */
export function cameraCenter(cam: { R: ArrayLike<number>; t: ArrayLike<number> }): [number, number, number] {
  const { R, t } = cam;
  return [
    -(R[0] * t[0] + R[3] * t[1] + R[6] * t[2]),
    -(R[1] * t[0] + R[4] * t[1] + R[7] * t[2]),
    -(R[2] * t[0] + R[5] * t[1] + R[8] * t[2]),
  ];
}

/** Projection of one point and its derivatives (all row-major 2 x k). */
export interface ProjectionJacobian {
  /** Pixel coordinates. */
  u: number;
  v: number;
  /** Camera-space depth z (world units); the derivatives are meaningless when z <= 0. */
  z: number;
  /** d(u,v)/dw, 2x3, for the left increment exp([w]x) R at w = 0. */
  dRotation: Float64Array;
  /** d(u,v)/dt, 2x3. */
  dTranslation: Float64Array;
  /** d(u,v)/dX, 2x3 (world point). */
  dPoint: Float64Array;
  /** d(u,v)/df, 2 values. */
  dFocal: Float64Array;
}

/**
 * Projects world point X (3 values) through camera (R row-major 3x3, t 3, focal f and principal
 * point cx, cy in pixels) and returns the pixel and its Jacobians.
 * Derivation: with p = R X + t, d p/dw = -[R X]x, d p/dt = I, d p/dX = R, and
 * d(u,v)/dp = f [[1/z, 0, -x/z^2], [0, 1/z, -y/z^2]] (Hartley & Zisserman, sec. A6 / Triggs et al. 2000).
 */
export function projectWithJacobian(
  R: ArrayLike<number>,
  t: ArrayLike<number>,
  f: number,
  cx: number,
  cy: number,
  X: ArrayLike<number>,
): ProjectionJacobian {
  const rx = R[0] * X[0] + R[1] * X[1] + R[2] * X[2];
  const ry = R[3] * X[0] + R[4] * X[1] + R[5] * X[2];
  const rz = R[6] * X[0] + R[7] * X[1] + R[8] * X[2];
  const x = rx + t[0];
  const y = ry + t[1];
  const z = rz + t[2];
  const iz = 1 / z;
  const xn = x * iz;
  const yn = y * iz;
  // d(u,v)/dp rows
  const a0 = f * iz;
  const a2 = -f * xn * iz;
  const b1 = f * iz;
  const b2 = -f * yn * iz;
  const dTranslation = Float64Array.from([a0, 0, a2, 0, b1, b2]);
  // d p / d w = -[r]x = [[0, rz, -ry], [-rz, 0, rx], [ry, -rx, 0]]
  const dRotation = Float64Array.from([
    a2 * ry, a0 * rz - a2 * rx, -a0 * ry,
    -b1 * rz + b2 * ry, -b2 * rx, b1 * rx,
  ]);
  const dPoint = new Float64Array(6);
  for (let k = 0; k < 3; k++) {
    dPoint[k] = a0 * R[k] + a2 * R[6 + k];
    dPoint[3 + k] = b1 * R[3 + k] + b2 * R[6 + k];
  }
  return { u: f * xn + cx, v: f * yn + cy, z, dRotation, dTranslation, dPoint, dFocal: Float64Array.from([xn, yn]) };
}

/**
 * Pixel coordinates of world point X (3 values) through camera (R, t, f, cx, cy) as in
 * projectWithJacobian; z is the camera-space depth (the pixel is meaningless when z <= 0).
 */
export function projectPoint(
  R: ArrayLike<number>,
  t: ArrayLike<number>,
  f: number,
  cx: number,
  cy: number,
  X: ArrayLike<number>,
): { u: number; v: number; z: number } {
  const x = R[0] * X[0] + R[1] * X[1] + R[2] * X[2] + t[0];
  const y = R[3] * X[0] + R[4] * X[1] + R[5] * X[2] + t[1];
  const z = R[6] * X[0] + R[7] * X[1] + R[8] * X[2] + t[2];
  return { u: (f * x) / z + cx, v: (f * y) / z + cy, z };
}
