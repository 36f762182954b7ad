import { quatToRotation, rotationToQuat } from './rotation';

/**
 * Pinhole camera in the OpenCV convention (x right, y down, z forward), world-to-camera.
 * A world point X maps to camera space as x_cam = R X + t, then to pixels as
 * u = fx * x/z + cx, v = fy * y/z + cy (pixel centres at integer + 0.5).
 */
export class Camera {
  /** World-to-camera rotation, 3x3 row-major (9 values). */
  readonly R: Float64Array;
  /** World-to-camera translation (3 values), world units. */
  readonly t: Float64Array;

  /**
   * @param R world-to-camera rotation, row-major 3x3 (length 9)
   * @param t world-to-camera translation (length 3)
   * @param fx focal length x in pixels; fy likewise
   * @param cx principal point x in pixels; cy likewise
   * @param width image width in pixels; height likewise
   * @param name optional label (usually the image file name)
   * @throws Error when any value is non-finite or the sizes are not positive
   */
  constructor(
    R: ArrayLike<number>,
    t: ArrayLike<number>,
    readonly fx: number,
    readonly fy: number,
    readonly cx: number,
    readonly cy: number,
    readonly width: number,
    readonly height: number,
    readonly name = '',
  ) {
    this.R = Float64Array.from(R);
    this.t = Float64Array.from(t);
    const where = name ? `camera "${name}"` : 'camera';
    if (this.R.length !== 9 || this.t.length !== 3) throw new Error(`${where}: R must have 9 values and t 3`);
    for (const [field, vals] of [['R', this.R], ['t', this.t], ['intrinsics', [fx, fy, cx, cy]]] as const) {
      if (!Array.from(vals).every(Number.isFinite)) throw new Error(`${where}: non-finite value in ${field}`);
    }
    if (!(width > 0 && height > 0 && fx > 0 && fy > 0)) {
      throw new Error(`${where}: width, height, fx and fy must be positive (got ${width}x${height}, fx=${fx}, fy=${fy})`);
    }
  }

  /** Builds a camera from a camera-to-world 4x4 (row-major, OpenCV axes). */
  static fromC2W(
    c2w: ArrayLike<number>,
    fx: number,
    fy: number,
    cx: number,
    cy: number,
    width: number,
    height: number,
    name = '',
  ): Camera {
    const Rt = [c2w[0], c2w[4], c2w[8], c2w[1], c2w[5], c2w[9], c2w[2], c2w[6], c2w[10]];
    const C = [c2w[3], c2w[7], c2w[11]];
    const t = [
      -(Rt[0] * C[0] + Rt[1] * C[1] + Rt[2] * C[2]),
      -(Rt[3] * C[0] + Rt[4] * C[1] + Rt[5] * C[2]),
      -(Rt[6] * C[0] + Rt[7] * C[1] + Rt[8] * C[2]),
    ];
    return new Camera(Rt, t, fx, fy, cx, cy, width, height, name);
  }

  /** Camera centre in world coordinates: -R^T t. */
  get center(): [number, number, number] {
    const R = this.R;
    const t = this.t;
    return [
      -(R[0] * t[0] + R[3] * t[1] + R[6] * t[2]),
      -(R[1] * t[0] + R[4] * t[1] + R[7] * t[2]),
      -(R[2] * t[0] + R[5] * t[1] + R[8] * t[2]),
    ];
  }

  /** Viewing direction (camera +z) in world coordinates: third row of R. */
  get forward(): [number, number, number] {
    return [this.R[6], this.R[7], this.R[8]];
  }

  /** Camera-to-world 4x4, row-major (OpenCV axes). */
  c2w(): Float64Array {
    const R = this.R;
    const c = this.center;
    return Float64Array.from([R[0], R[3], R[6], c[0], R[1], R[4], R[7], c[1], R[2], R[5], R[8], c[2], 0, 0, 0, 1]);
  }

  /** World-to-camera 4x4, row-major. */
  w2c(): Float64Array {
    const R = this.R;
    const t = this.t;
    return Float64Array.from([R[0], R[1], R[2], t[0], R[3], R[4], R[5], t[1], R[6], R[7], R[8], t[2], 0, 0, 0, 1]);
  }

  /** Same pose with the image resized to `width` x `height`; intrinsics scale with it. */
  resized(width: number, height: number): Camera {
    const sx = width / this.width;
    const sy = height / this.height;
    return new Camera(this.R, this.t, this.fx * sx, this.fy * sy, this.cx * sx, this.cy * sy, width, height, this.name);
  }

  /** Horizontal field of view in radians. */
  get fovX(): number {
    return 2 * Math.atan(this.width / (2 * this.fx));
  }
}

/**
 * Indices of up to `count` cameras other than cameras[k], nearest camera centres first (world
 * distance; ties keep the input order). Used to pick stereo and reprojection sources.
 */
export function nearestCameras(cameras: Camera[], k: number, count: number): number[] {
  const c = cameras[k].center;
  return cameras
    .map((o, i) => ({ i, d: Math.hypot(o.center[0] - c[0], o.center[1] - c[1], o.center[2] - c[2]) }))
    .filter((e) => e.i !== k)
    .sort((a, b) => a.d - b.d)
    .slice(0, count)
    .map((e) => e.i);
}

/**
 * Transform from the camera frame of `from` to that of `to` (both world-to-camera): Y = R X + t with
 * R = R_to R_from^T (row-major 3x3) and t = t_to - R t_from, world units.
 */
export function relativePose(from: Camera, to: Camera): { R: number[]; t: number[] } {
  const Rf = from.R;
  const Rt = to.R;
  const R: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) R.push(Rt[i * 3] * Rf[j * 3] + Rt[i * 3 + 1] * Rf[j * 3 + 1] + Rt[i * 3 + 2] * Rf[j * 3 + 2]);
  const t = [0, 1, 2].map((i) => to.t[i] - (R[i * 3] * from.t[0] + R[i * 3 + 1] * from.t[1] + R[i * 3 + 2] * from.t[2]));
  return { R, t };
}

/**
 * A camera between `a` and `b`: the centre on the straight line, c = (1 - s) c_a + s c_b (world
 * units), the rotation by quaternion slerp from R_a to R_b (shortest arc), `a`'s intrinsics and
 * image size. s = 0 gives `a`'s pose, s = 1 `b`'s orientation at `b`'s centre. Used for the virtual
 * views of the novel-view reprojection loss.
 * @throws Error when s is not finite.
 */
export function interpolateCameras(a: Camera, b: Camera, s: number, name = `${a.name}~${b.name}`): Camera {
  if (!Number.isFinite(s)) throw new Error(`interpolateCameras: s must be finite, got ${s}`);
  const qa = rotationToQuat(a.R);
  let qb = rotationToQuat(b.R);
  let cos = qa[0] * qb[0] + qa[1] * qb[1] + qa[2] * qb[2] + qa[3] * qb[3];
  if (cos < 0) {
    qb = [-qb[0], -qb[1], -qb[2], -qb[3]];
    cos = -cos;
  }
  let wa = 1 - s;
  let wb = s;
  if (cos < 1 - 1e-9) {
    const theta = Math.acos(Math.min(1, cos));
    wa = Math.sin((1 - s) * theta) / Math.sin(theta);
    wb = Math.sin(s * theta) / Math.sin(theta);
  }
  const R = quatToRotation([0, 1, 2, 3].map((i) => wa * qa[i] + wb * qb[i]));
  const ca = a.center;
  const cb = b.center;
  const c = [0, 1, 2].map((i) => (1 - s) * ca[i] + s * cb[i]);
  const t = [0, 1, 2].map((i) => -(R[3 * i] * c[0] + R[3 * i + 1] * c[1] + R[3 * i + 2] * c[2]));
  return new Camera(R, t, a.fx, a.fy, a.cx, a.cy, a.width, a.height, name);
}
