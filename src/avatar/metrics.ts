import type { Vector3 } from 'three';
import { type CharacterDef, firstChildren, jointIndex, legLength } from './Character';
import type { EffectorTargets } from './Retargeter';
import type { SkeletonPose } from './types';

/** Joints used for MPJPE (our names; see BvhSource.bvhCorrespondence for the BVH side). */
export const MPJPE_JOINTS = ['pelvis', 'head', 'lShoulder', 'rShoulder', 'lElbow', 'rElbow', 'lWrist', 'rWrist', 'lHip', 'rHip', 'lKnee', 'rKnee', 'lAnkle', 'rAnkle'];

/**
 * Mean per-joint position error (metres) between an estimated human pose and ground truth, over the
 * joints present in both. rootRelative: both sides have their own pelvis subtracted first
 * (the usual Human3.6M protocol); otherwise world frame (both share the tracking frame).
 * @throws Error when no joint is shared.
 */
export function mpjpe(def: CharacterDef, pose: SkeletonPose, gt: Map<string, Vector3>, joints: string[], rootRelative: boolean): number {
  const pe = pose.positions[jointIndex(def, 'pelvis')];
  const pg = gt.get('pelvis');
  if (rootRelative && !pg) throw new Error('mpjpe: ground truth has no pelvis');
  let sum = 0;
  let n = 0;
  for (const name of joints) {
    const g = gt.get(name);
    if (!g) continue;
    const e = pose.positions[jointIndex(def, name)];
    const dx = e.x - g.x - (rootRelative ? pe.x - pg!.x : 0);
    const dy = e.y - g.y - (rootRelative ? pe.y - pg!.y : 0);
    const dz = e.z - g.z - (rootRelative ? pe.z - pg!.z : 0);
    sum += Math.hypot(dx, dy, dz);
    n++;
  }
  if (n === 0) throw new Error('mpjpe: no shared joints');
  return sum / n;
}

/** Lowest point (metres) of the capsule from joint i to its first child (or the sphere at a leaf). */
function capsuleBottom(def: CharacterDef, pose: SkeletonPose, i: number, child: number): number {
  const a = pose.positions[i].y;
  const b = child >= 0 ? pose.positions[child].y : a;
  return Math.min(a, b) - def.joints[i].radius;
}

/** Per-frame quantities accumulated by MetricsAccumulator. */
export interface FrameMetrics {
  /** |head - head target| etc., metres. */
  headErr: number;
  handErr: number;
  /** Deepest point below y = 0 over all capsules, metres (0 if none). */
  penetration: number;
}

/** Averages of one run, in the units the benchmark reports. */
export interface MetricsSummary {
  frames: number;
  /** Mean |head - target|, cm. */
  headErrCm: number;
  /** Mean over both hands of |hand - target|, cm. */
  handErrCm: number;
  /** Mean horizontal speed of feet in contact (lowest foot point < contactM), cm/s. */
  footSkateCmS: number;
  /** Fraction of foot-frames in contact. */
  contactFraction: number;
  /** Mean over frames of the deepest capsule point below the floor, cm. */
  penetrationCm: number;
  /** Max over frames, cm. */
  maxPenetrationCm: number;
}

/**
 * Accumulates tracking, skating and penetration metrics over a run for one character.
 * Foot contact: the lowest point of the foot capsules (ankle->toe and the toe) below contactM
 * (default 3% of the hip height: 2.6 cm for a 1.75 m human); skating = horizontal speed of the foot joint ('lAnkle'/'rAnkle') in those frames.
 */
export class MetricsAccumulator {
  private n = 0;
  private head = 0;
  private hand = 0;
  private pen = 0;
  private maxPen = 0;
  private skate = 0;
  private contactFrames = 0;
  private footFrames = 0;
  private prevFeet: { x: number; z: number }[] | null = null;
  private prevTime = 0;
  private readonly children: number[];
  private readonly feet: number[];

  constructor(
    readonly def: CharacterDef,
    readonly contactM = 0.03 * legLength(def),
  ) {
    this.children = firstChildren(def);
    this.feet = [jointIndex(def, 'lAnkle'), jointIndex(def, 'rAnkle')];
  }

  /** Adds one frame; returns its instantaneous metrics. time in seconds. */
  add(pose: SkeletonPose, targets: EffectorTargets, time: number): FrameMetrics {
    const P = pose.positions;
    const headErr = P[jointIndex(this.def, 'head')].distanceTo(targets.head);
    const handErr = 0.5 * (P[jointIndex(this.def, 'lWrist')].distanceTo(targets.lHand) + P[jointIndex(this.def, 'rWrist')].distanceTo(targets.rHand));
    let low = Infinity;
    for (let i = 0; i < P.length; i++) low = Math.min(low, capsuleBottom(this.def, pose, i, this.children[i]));
    const penetration = Math.max(0, -low);
    this.n++;
    this.head += headErr;
    this.hand += handErr;
    this.pen += penetration;
    this.maxPen = Math.max(this.maxPen, penetration);
    const feetXZ = this.feet.map((i) => ({ x: P[i].x, z: P[i].z }));
    if (this.prevFeet) {
      const dt = time - this.prevTime;
      this.feet.forEach((i, k) => {
        const toe = this.children[i];
        const bottom = Math.min(capsuleBottom(this.def, pose, i, toe), toe >= 0 ? capsuleBottom(this.def, pose, toe, -1) : Infinity);
        this.footFrames++;
        if (bottom < this.contactM && dt > 0) {
          this.contactFrames++;
          this.skate += Math.hypot(feetXZ[k].x - this.prevFeet![k].x, feetXZ[k].z - this.prevFeet![k].z) / dt;
        }
      });
    }
    this.prevFeet = feetXZ;
    this.prevTime = time;
    return { headErr, handErr, penetration };
  }

  /** Summary so far. */
  summary(): MetricsSummary {
    const n = Math.max(1, this.n);
    return {
      frames: this.n,
      headErrCm: (100 * this.head) / n,
      handErrCm: (100 * this.hand) / n,
      footSkateCmS: this.contactFrames ? (100 * this.skate) / this.contactFrames : 0,
      contactFraction: this.footFrames ? this.contactFrames / this.footFrames : 0,
      penetrationCm: (100 * this.pen) / n,
      maxPenetrationCm: 100 * this.maxPen,
    };
  }
}
