import { Quaternion, Vector3 } from 'three';
import { type BvhClip, bvhJointPosition, bvhJointRotation } from './BvhClip';
import type { HumanMeasurements } from './Character';
import type { PoseSource, ThreePointFrame, TrackedPose } from './types';

/** BVH joint names per semantic joint, for the datasets we ship (CMU, Bandai). */
const NAME_TABLE: Record<string, string[]> = {
  pelvis: ['Hips'],
  head: ['Head'],
  neck: ['Neck'],
  lShoulder: ['LeftShoulder', 'UpperArm_L', 'LeftArm'],
  rShoulder: ['RightShoulder', 'UpperArm_R', 'RightArm'],
  lElbow: ['LeftElbow', 'LowerArm_L', 'LeftForeArm'],
  rElbow: ['RightElbow', 'LowerArm_R', 'RightForeArm'],
  lWrist: ['LeftWrist', 'Hand_L', 'LeftHand'],
  rWrist: ['RightWrist', 'Hand_R', 'RightHand'],
  lHip: ['LeftHip', 'UpperLeg_L', 'LeftUpLeg'],
  rHip: ['RightHip', 'UpperLeg_R', 'RightUpLeg'],
  lKnee: ['LeftKnee', 'LowerLeg_L', 'LeftLeg'],
  rKnee: ['RightKnee', 'LowerLeg_R', 'RightLeg'],
  lAnkle: ['LeftAnkle', 'Foot_L', 'LeftFoot'],
  rAnkle: ['RightAnkle', 'Foot_R', 'RightFoot'],
  lToe: ['LeftToe', 'Toes_L', 'LeftToeBase'],
  rToe: ['RightToe', 'Toes_R', 'RightToeBase'],
};

/**
 * Joint correspondence between our human skeleton (Character.makeHuman names) and BVH joints:
 * semantic name -> BVH joint index. The shoulder is the humerus head: the elbow joint's parent
 * (CMU ASF "LeftShoulder" after LeftCollar, Bandai "UpperArm_L", and "LeftArm" in the CMU BVH
 * conversions whose "LeftShoulder" is the collar bone, e.g. 01_01), by name only when the elbow is
 * missing. Missing names are left out.
 */
export function bvhCorrespondence(clip: BvhClip): Map<string, number> {
  const m = new Map<string, number>();
  for (const [sem, names] of Object.entries(NAME_TABLE)) {
    const j = clip.joints.findIndex((n) => names.includes(n));
    if (j >= 0) m.set(sem, j);
  }
  for (const side of ['l', 'r']) {
    const elbow = m.get(side + 'Elbow');
    const parent = elbow === undefined ? -1 : clip.parents[elbow];
    if (parent >= 0) m.set(side + 'Shoulder', parent);
  }
  return m;
}

export interface BvhSourceOptions {
  /** Output rate in Hz (default 60, a Quest-like rate); the clip is interpolated. */
  rateHz?: number;
  /** Gaussian position noise, standard deviation in metres (default 0). */
  noiseM?: number;
  /** Gaussian rotation noise, standard deviation in degrees (default 0). */
  noiseDeg?: number;
  /** Latency in seconds: frame at time t reports the pose of t - latency (default 0). */
  latencyS?: number;
  /** Cap on the stream length in seconds. */
  maxSeconds?: number;
  /** RNG seed for the noise. */
  seed?: number;
}

/**
 * Three-point stream from a BVH clip: head = the 'Head' joint, controllers = the wrist joints.
 * World frame: the clip's (Y up), shifted so the floor is y = 0; the floor is estimated as the 2nd
 * percentile over frames of the lowest toe/ankle joint minus 3 cm (toe joint to sole).
 * Head orientation is calibrated once so that at frame 0 the head looks along the body's forward
 * (up x (rShoulder - lShoulder)), level: q_head(t) = R_headjoint(t) * C. Wrist orientations are the
 * raw BVH joint rotations. Ground truth: world positions of all corresponded joints (bvhCorrespondence),
 * un-delayed and noise-free, at the stream's instants.
 * @throws Error naming the file when the clip lacks a head or wrist joint.
 */
export class BvhSource implements PoseSource {
  readonly name: string;
  readonly rateHz: number;
  readonly frameCount: number;
  readonly headPoint = 'headJoint' as const;
  readonly correspondence: Map<string, number>;
  /** Floor height removed from the clip, metres. */
  readonly floorY: number;
  private readonly calib: Quaternion;
  private readonly ids: { head: number; l: number; r: number };
  private readonly noise: Float32Array;
  private readonly opts: Required<Omit<BvhSourceOptions, 'maxSeconds'>>;

  constructor(
    readonly clip: BvhClip,
    options: BvhSourceOptions = {},
  ) {
    this.opts = { rateHz: options.rateHz ?? 60, noiseM: options.noiseM ?? 0, noiseDeg: options.noiseDeg ?? 0, latencyS: options.latencyS ?? 0, seed: options.seed ?? 1 };
    this.name = clip.file.split(/[\\/]/).pop() ?? clip.file;
    this.rateHz = this.opts.rateHz;
    this.correspondence = bvhCorrespondence(clip);
    const need = ['head', 'lWrist', 'rWrist', 'lShoulder', 'rShoulder'];
    for (const n of need) if (!this.correspondence.has(n)) throw new Error(`${clip.file}: no BVH joint for '${n}' (looked for ${NAME_TABLE[n].join(', ')})`);
    this.ids = { head: this.correspondence.get('head')!, l: this.correspondence.get('lWrist')!, r: this.correspondence.get('rWrist')! };
    const duration = (clip.frameCount - 1) * clip.frameTime;
    const dur = Math.min(duration, options.maxSeconds ?? Infinity);
    this.frameCount = Math.floor(dur * this.rateHz + 1e-9) + 1;
    // floor
    const feet = ['lToe', 'rToe', 'lAnkle', 'rAnkle'].map((n) => this.correspondence.get(n)).filter((j): j is number => j !== undefined);
    const lows: number[] = [];
    const v = new Vector3();
    for (let f = 0; f < clip.frameCount; f++) {
      let lo = Infinity;
      for (const j of feet) lo = Math.min(lo, bvhJointPosition(clip, f, j, v).y);
      if (Number.isFinite(lo)) lows.push(lo);
    }
    lows.sort((a, b) => a - b);
    this.floorY = lows.length ? lows[Math.floor(0.02 * (lows.length - 1))] - 0.03 : 0;
    // head calibration at frame 0
    const ls = bvhJointPosition(clip, 0, this.correspondence.get('lShoulder')!);
    const rs = bvhJointPosition(clip, 0, this.correspondence.get('rShoulder')!);
    const right = rs.sub(ls).setY(0).normalize();
    const fwd = new Vector3(0, 1, 0).cross(right);
    const yaw = Math.atan2(-fwd.x, -fwd.z);
    const want = new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), yaw);
    this.calib = bvhJointRotation(clip, 0, this.ids.head).invert().multiply(want);
    // deterministic noise table (Box-Muller on an LCG)
    let s = this.opts.seed >>> 0 || 1;
    const uni = (): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s + 0.5) / 2 ** 32;
    };
    this.noise = new Float32Array(this.frameCount * 18);
    for (let k = 0; k < this.noise.length; k++) this.noise[k] = Math.sqrt(-2 * Math.log(uni())) * Math.cos(2 * Math.PI * uni());
  }

  /** Clip frame (fractional) for stream time t seconds. */
  private clipFrame(t: number): number {
    return Math.min(Math.max(t / this.clip.frameTime, 0), this.clip.frameCount - 1);
  }

  /** Interpolated world position of BVH joint j at time t (floor removed), metres. */
  jointAt(j: number, t: number, out = new Vector3()): Vector3 {
    const u = this.clipFrame(t);
    const f0 = Math.floor(u);
    const f1 = Math.min(f0 + 1, this.clip.frameCount - 1);
    const a = bvhJointPosition(this.clip, f0, j, out);
    const b = bvhJointPosition(this.clip, f1, j);
    return a.lerp(b, u - f0).setY(a.y - this.floorY);
  }

  private rotAt(j: number, t: number): Quaternion {
    const u = this.clipFrame(t);
    const f0 = Math.floor(u);
    const f1 = Math.min(f0 + 1, this.clip.frameCount - 1);
    return bvhJointRotation(this.clip, f0, j).slerp(bvhJointRotation(this.clip, f1, j), u - f0);
  }

  private tracked(j: number, t: number, frame: number, slot: number, calib: Quaternion | null): TrackedPose {
    const position = this.jointAt(j, t);
    const quaternion = this.rotAt(j, t);
    if (calib) quaternion.multiply(calib);
    const n = this.noise;
    const k = (frame * 3 + slot) * 6;
    position.x += this.opts.noiseM * n[k];
    position.y += this.opts.noiseM * n[k + 1];
    position.z += this.opts.noiseM * n[k + 2];
    if (this.opts.noiseDeg > 0) {
      const r = (this.opts.noiseDeg * Math.PI) / 180;
      const axis = new Vector3(n[k + 3], n[k + 4], n[k + 5]);
      const ang = axis.length() * r;
      if (ang > 0) quaternion.premultiply(new Quaternion().setFromAxisAngle(axis.normalize(), ang));
    }
    return { position, quaternion };
  }

  /** Three-point frame i (delayed by the latency, with noise). @throws RangeError outside [0, frameCount). */
  frame(i: number): ThreePointFrame {
    if (!(i >= 0 && i < this.frameCount)) throw new RangeError(`${this.name}: frame ${i} outside [0, ${this.frameCount})`);
    const time = i / this.rateHz;
    const t = Math.max(0, time - this.opts.latencyS);
    return {
      time,
      head: this.tracked(this.ids.head, t, i, 0, this.calib),
      left: this.tracked(this.ids.l, t, i, 1, null),
      right: this.tracked(this.ids.r, t, i, 2, null),
    };
  }

  /**
   * The subject's segment lengths from the clip (frame 0, floor removed; ankle height = 5th percentile
   * over the clip). For the 'subject skeleton' protocol (learned methods use the true body shape).
   * @throws Error naming the file when a needed joint is missing.
   */
  measureSubject(): HumanMeasurements {
    const g = this.groundTruth(0);
    const need = (n: string): Vector3 => {
      const v = g.get(n);
      if (!v) throw new Error(`${this.clip.file}: no BVH joint for '${n}'`);
      return v;
    };
    const avg = (a: string, b: string): Vector3 => need(a).clone().add(need(b)).multiplyScalar(0.5);
    const d = (a: string, b: string): number => 0.5 * (need('l' + a).distanceTo(need('l' + b)) + need('r' + a).distanceTo(need('r' + b)));
    const ank: number[] = [];
    for (let i = 0; i < this.frameCount; i += 5) {
      const t = i / this.rateHz;
      for (const n of ['lAnkle', 'rAnkle']) ank.push(this.jointAt(this.correspondence.get(n)!, t).y);
    }
    ank.sort((a, b) => a - b);
    const toe = this.correspondence.has('lToe') && this.correspondence.has('rToe');
    return {
      ankleHeight: Math.max(0.02, ank[Math.floor(0.05 * (ank.length - 1))]),
      shin: d('Knee', 'Ankle'),
      thigh: d('Hip', 'Knee'),
      hipHalfWidth: 0.5 * need('lHip').distanceTo(need('rHip')),
      pelvisAboveHip: need('pelvis').y - avg('lHip', 'rHip').y,
      pelvisToHead: need('pelvis').distanceTo(need('head')),
      shoulderBelowHead: need('head').y - avg('lShoulder', 'rShoulder').y,
      shoulderHalfWidth: 0.5 * need('lShoulder').distanceTo(need('rShoulder')),
      upperArm: d('Shoulder', 'Elbow'),
      forearm: d('Elbow', 'Wrist'),
      foot: toe ? d('Ankle', 'Toe') : 0.1 * (need('pelvis').distanceTo(need('head')) / 0.37),
    };
  }

  /** Ground-truth world positions (floor removed, no latency or noise) of the corresponded joints at frame i. */
  groundTruth(i: number): Map<string, Vector3> {
    const t = i / this.rateHz;
    const out = new Map<string, Vector3>();
    for (const [sem, j] of this.correspondence) out.set(sem, this.jointAt(j, t));
    return out;
  }
}
