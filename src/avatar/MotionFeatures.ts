import { Quaternion, Vector3 } from 'three';

/** Past instants (seconds before now) whose head displacement enters the feature vector. */
export const HEAD_LAGS = [0.1, 0.2, 0.35, 0.5, 0.7];
/** Past instants whose hand displacement enters the feature vector. */
export const HAND_LAGS = [0.15, 0.3];
/** How far back the history must reach, seconds. */
export const HISTORY_SECONDS = 0.8;

/**
 * Feature layout (FEATURE_DIM values; positions divided by the user height h, vectors expressed in
 * the head's heading frame: rotation about +Y by minus the head yaw, so the view direction is -Z):
 *  [0]            head height above the floor / h
 *  [1..3]         left hand - head, [4..6] right hand - head, now
 *  [7..]          head(now) - head(now - lag) for each HEAD_LAGS (3 each)
 *  then           hand(now) - hand(now - lag) for each HAND_LAGS, left then right (3 each)
 *  then           sin, cos of the heading change over 0.35 s (head yaw now - yaw then), radians
 *  then           head forward vector's vertical component (pitch) and the head up vector's x (roll)
 * Past window only (a live stream has no future). Before the history reaches back far enough the
 * oldest sample is used (as if the user had stood still).
 */
export const FEATURE_GROUPS: { name: string; size: number }[] = [
  { name: 'headHeight', size: 1 },
  { name: 'handsRel', size: 6 },
  { name: 'headTrajectory', size: 3 * HEAD_LAGS.length },
  { name: 'handTrajectory', size: 6 * HAND_LAGS.length },
  { name: 'turn', size: 2 },
  { name: 'headTilt', size: 2 },
];
/** Total number of feature values. */
export const FEATURE_DIM = FEATURE_GROUPS.reduce((s, g) => s + g.size, 0);

/** Head yaw (radians about +Y; 0 = looking along -Z) from a head orientation; NaN when looking straight up/down. */
export function headingOf(q: Quaternion): number {
  const f = new Vector3(0, 0, -1).applyQuaternion(q);
  if (f.x * f.x + f.z * f.z < 1e-8) return NaN;
  return Math.atan2(-f.x, -f.z);
}

/** Rotates the world vector (x, z) into the heading frame of yaw psi (radians); writes out[o], out[o+2]. */
function toHeading(x: number, y: number, z: number, c: number, s: number, out: Float32Array | number[], o: number, scale: number): void {
  // rotation about +Y by -psi: x' = x cos psi - z sin psi, z' = x sin psi + z cos psi
  out[o] = (x * c - z * s) * scale;
  out[o + 1] = y * scale;
  out[o + 2] = (x * s + z * c) * scale;
}

interface Sample {
  t: number;
  head: Vector3;
  l: Vector3;
  r: Vector3;
  yaw: number;
}

/**
 * A short ring buffer of three-point samples (head joint, hands, head yaw) and the motion-matching
 * feature vector computed from it (layout: FEATURE_GROUPS). The same class computes the features of
 * the motion library and of the live stream, so both see identical definitions.
 * Units: metres, seconds, radians. Samples must come in time order.
 */
export class ThreePointHistory {
  private readonly buf: Sample[];
  private head = 0;
  private size = 0;
  private lastYaw = 0;
  private yawUnwrap = 0;

  /** @param capacity samples kept (default 256: 2 s at 120 Hz). */
  constructor(readonly capacity = 256) {
    this.buf = Array.from({ length: capacity }, () => ({ t: 0, head: new Vector3(), l: new Vector3(), r: new Vector3(), yaw: 0 }));
  }

  /** Forgets all samples. */
  clear(): void {
    this.size = 0;
    this.head = 0;
  }

  /** Number of samples held. */
  get length(): number {
    return this.size;
  }

  /**
   * Adds one sample: time t (s), head joint, left and right hand positions (m, world), head orientation.
   * The yaw is unwrapped over time so that differences are continuous.
   * @throws RangeError when t is earlier than the last sample or a value is not finite.
   */
  push(t: number, head: Vector3, left: Vector3, right: Vector3, headQ: Quaternion): void {
    if (!Number.isFinite(t + head.x + head.y + head.z + left.x + left.y + left.z + right.x + right.y + right.z)) throw new RangeError(`ThreePointHistory: non-finite sample at t=${t}`);
    let yaw = headingOf(headQ);
    if (Number.isNaN(yaw)) yaw = this.size ? this.lastYaw : 0;
    if (this.size) {
      const last = this.buf[(this.head + this.capacity - 1) % this.capacity];
      if (t < last.t) throw new RangeError(`ThreePointHistory: time ${t} before the last sample ${last.t}`);
      let dy = yaw - this.lastYaw;
      dy -= 2 * Math.PI * Math.round(dy / (2 * Math.PI));
      this.yawUnwrap += dy;
    } else this.yawUnwrap = yaw;
    this.lastYaw = yaw;
    const s = this.buf[this.head];
    s.t = t;
    s.head.copy(head);
    s.l.copy(left);
    s.r.copy(right);
    s.yaw = this.yawUnwrap;
    this.head = (this.head + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
  }

  /** Sample k steps back (0 = newest). */
  private at(k: number): Sample {
    return this.buf[(this.head + this.capacity - 1 - k) % this.capacity];
  }

  /** Linear interpolation of the history at time t (clamped to the oldest / newest sample). */
  private sampleAt(t: number, head: Vector3, l: Vector3, r: Vector3): number {
    let k = 0;
    while (k + 1 < this.size && this.at(k + 1).t > t) k++;
    const a = this.at(k);
    if (k + 1 >= this.size || a.t <= t) {
      head.copy(a.head);
      l.copy(a.l);
      r.copy(a.r);
      return a.yaw;
    }
    const b = this.at(k + 1); // b.t <= t < a.t
    const w = a.t > b.t ? (t - b.t) / (a.t - b.t) : 1;
    head.copy(b.head).lerp(a.head, w);
    l.copy(b.l).lerp(a.l, w);
    r.copy(b.r).lerp(a.r, w);
    return b.yaw + (a.yaw - b.yaw) * w;
  }

  private readonly tmp = { h: new Vector3(), l: new Vector3(), r: new Vector3() };

  /**
   * Feature vector of the newest sample (FEATURE_DIM values, layout FEATURE_GROUPS) for a user of
   * height h metres (> 0), with headQ the newest head orientation (for pitch and roll).
   * @throws Error when the history is empty.
   */
  features(h: number, headQ: Quaternion, out: Float32Array = new Float32Array(FEATURE_DIM)): Float32Array {
    if (this.size === 0) throw new Error('ThreePointHistory.features: no samples');
    const now = this.at(0);
    const c = Math.cos(now.yaw);
    const s = Math.sin(now.yaw);
    const inv = 1 / h;
    let o = 0;
    out[o++] = now.head.y * inv;
    toHeading(now.l.x - now.head.x, now.l.y - now.head.y, now.l.z - now.head.z, c, s, out, o, inv);
    o += 3;
    toHeading(now.r.x - now.head.x, now.r.y - now.head.y, now.r.z - now.head.z, c, s, out, o, inv);
    o += 3;
    const { h: ph, l: pl, r: pr } = this.tmp;
    for (const lag of HEAD_LAGS) {
      this.sampleAt(now.t - lag, ph, pl, pr);
      toHeading(now.head.x - ph.x, now.head.y - ph.y, now.head.z - ph.z, c, s, out, o, inv);
      o += 3;
    }
    for (const lag of HAND_LAGS) {
      this.sampleAt(now.t - lag, ph, pl, pr);
      toHeading(now.l.x - pl.x, now.l.y - pl.y, now.l.z - pl.z, c, s, out, o, inv);
      toHeading(now.r.x - pr.x, now.r.y - pr.y, now.r.z - pr.z, c, s, out, o + 3, inv);
      o += 6;
    }
    const yawThen = this.sampleAt(now.t - 0.35, ph, pl, pr);
    out[o++] = Math.sin(now.yaw - yawThen);
    out[o++] = Math.cos(now.yaw - yawThen);
    const f = new Vector3(0, 0, -1).applyQuaternion(headQ);
    const u = new Vector3(0, 1, 0).applyQuaternion(headQ);
    out[o++] = f.y;
    out[o++] = u.x * c - u.z * s;
    return out;
  }

  /** Head yaw of the newest sample (unwrapped, radians). @throws Error when empty. */
  get yaw(): number {
    if (this.size === 0) throw new Error('ThreePointHistory.yaw: no samples');
    return this.at(0).yaw;
  }
}

/** Writes world vector v into the heading frame of yaw psi, divided by h: returns [x, y, z]. */
export function worldToHeading(v: Vector3, psi: number, h: number, out = new Vector3()): Vector3 {
  const c = Math.cos(psi);
  const s = Math.sin(psi);
  return out.set((v.x * c - v.z * s) / h, v.y / h, (v.x * s + v.z * c) / h);
}

/** Inverse of worldToHeading: heading-frame vector (units of h) back to world metres. */
export function headingToWorld(v: Vector3, psi: number, h: number, out = new Vector3()): Vector3 {
  const c = Math.cos(psi);
  const s = Math.sin(psi);
  // rotation about +Y by +psi: x = x' cos psi + z' sin psi, z = -x' sin psi + z' cos psi
  return out.set((v.x * c + v.z * s) * h, v.y * h, (-v.x * s + v.z * c) * h);
}
