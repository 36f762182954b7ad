import { Matrix4, Quaternion, Vector3 } from 'three';
import { type CharacterDef, type HumanMeasurements, jointIndex, makeHuman, restDistance, restOf } from './Character';
import type { MotionLibrary } from './MotionLibrary';
import { type MatchedBody, MotionMatcher, type MotionMatcherOptions } from './MotionMatcher';
import { solveTwoBoneIk } from './TwoBoneIk';
import type { HeadPointKind, SkeletonPose, ThreePointFrame } from './types';

const UP = new Vector3(0, 1, 0);

/** Rotation about +Y that turns -Z into the horizontal part of dir (identity if dir is vertical). */
export function yawFromForward(dir: Vector3, fallback = new Quaternion()): Quaternion {
  const x = dir.x;
  const z = dir.z;
  if (x * x + z * z < 1e-8) return fallback.clone();
  return new Quaternion().setFromAxisAngle(UP, Math.atan2(-x, -z));
}

/** Rotation taking the rest frame (up = +Y, right = +X) to the frame with the given up and right hints. */
export function frameFromUpRight(up: Vector3, rightHint: Vector3): Quaternion {
  const u = up.clone().normalize();
  const r = rightHint.clone().addScaledVector(u, -rightHint.dot(u));
  if (r.lengthSq() < 1e-10) r.set(1, 0, 0).addScaledVector(u, -u.x);
  r.normalize();
  const b = new Vector3().crossVectors(r, u); // = +Z (back)
  return new Quaternion().setFromRotationMatrix(new Matrix4().makeBasis(r, u, b));
}

interface FootState {
  plant: Vector3;
  yaw: Quaternion;
  swinging: boolean;
  from: Vector3;
  to: Vector3;
  fromYaw: Quaternion;
  toYaw: Quaternion;
  t: number;
  duration: number;
}

export interface BodyEstimatorOptions {
  /** User height in metres; default: calibrated from the first frame's head height. */
  heightM?: number;
  /**
   * The user's own segment lengths (e.g. measured on a mocap subject, as learned 3-point methods
   * use the ground-truth body shape); default: anthropometric for the height.
   */
  measurements?: HumanMeasurements;
  /** Pelvis low-pass time constant, seconds (default 0.08). */
  pelvisTau?: number;
  /** Body-yaw low-pass time constant, seconds (default 0.25). */
  yawTau?: number;
  /** Step when the planted foot is this far (fraction of height) from its rest spot (default 0.07). */
  stepThreshold?: number;
  /** Swing duration, seconds (default 0.25). */
  stepDuration?: number;
  /** The foot's spot under the hip leads by pelvis velocity * lead, seconds (default 0.2). */
  stepLead?: number;
  /** A controller that has not moved for this long (s) is treated as put down: the arm hangs (default 2). */
  staleAfter?: number;
  /**
   * Motion library for data-driven legs and pelvis (MotionMatcher); without it the procedural
   * stepping rig runs.
   */
  library?: MotionLibrary;
  /** Options of the MotionMatcher (with library). */
  match?: MotionMatcherOptions;
  /** With library: lock a foot where it touched down while its blended contact label is > 0.5 (default true). */
  footLock?: boolean;
}

interface LockState {
  locked: boolean;
  spot: Vector3;
  /** Offset (locked spot - prediction) fading out after release, metres. */
  fade: Vector3;
  /** Seconds since the last release. */
  free: number;
  /** Seconds the foot must stay free after a drift release (a short step). */
  swing: number;
}

/**
 * Full human body from three points (head, two hands), in real time, in the spirit of VR IK rigs
 * (e.g. Final IK's VRIK) and the kinematic stage of Reda et al. 2023:
 * - head joint from the head point (for a headset: 5 cm below, 9 cm behind the eyes, per 1.75 m);
 * - pelvis below the neck along the torso, leaning forward with the head pitch beyond 15 deg
 *   (60% of it, at most 70 deg), low-passed (pelvisTau);
 * - spine chain on the pelvis->neck line; shoulders rigid with the torso frame;
 * - analytic two-bone arm IK with an elbow pole down/back/outward in the torso frame; a controller
 *   that has not moved for staleAfter seconds (put down) lets its arm hang;
 * - procedural stepping: each foot stays planted until it is stepThreshold from its spot under the
 *   hip (led by the pelvis velocity) or turned > 35 deg; one foot swings at a time on a raised arc;
 *   two-bone leg IK with the knee pole forward.
 * Output pose follows the human template (Character.makeHuman scaled to the user height).
 * Units: metres, seconds. The user height is calibrated from the first frame (head at 0.90 h for a
 * mocap head joint, eyes at 0.936 h) unless given; so the first frame should be standing.
 */
export class BodyEstimator {
  def: CharacterDef | null = null;
  private height = 0;
  private pelvis = new Vector3();
  private pelvisVel = new Vector3();
  private bodyYaw = new Quaternion();
  private lastTime = 0;
  private feet: FootState[] = [];
  private started = false;
  private hands: Partial<Record<'l' | 'r', { last: Vector3; since: number; w: number; t?: number }>> = {};
  private readonly o: Required<Omit<BodyEstimatorOptions, 'heightM' | 'measurements' | 'library' | 'match'>> & { heightM?: number; measurements?: HumanMeasurements };
  private readonly matcher: MotionMatcher | null;
  private locks: LockState[] = [];

  constructor(
    readonly headPoint: HeadPointKind,
    options: BodyEstimatorOptions = {},
  ) {
    const { library, match, ...rest } = options;
    this.o = { pelvisTau: 0.08, yawTau: 0.25, stepThreshold: 0.07, stepDuration: 0.25, stepLead: 0.2, staleAfter: 2, footLock: true, ...rest };
    this.matcher = library ? new MotionMatcher(library, match) : null;
  }

  /** True when the legs come from a motion library. */
  get dataDriven(): boolean {
    return this.matcher !== null;
  }

  /** Calibrated user height in metres (0 before the first frame). */
  get userHeight(): number {
    return this.height;
  }

  /** Forget the state (next frame re-calibrates unless heightM was given). */
  reset(): void {
    this.started = false;
    this.def = null;
    this.hands = {};
    this.matcher?.reset();
    this.locks = [];
  }

  private headJoint(f: ThreePointFrame): Vector3 {
    const p = f.head.position.clone();
    if (this.headPoint === 'eyes') p.add(new Vector3(0, -0.05, 0.09).multiplyScalar(this.height / 1.75).applyQuaternion(f.head.quaternion));
    return p;
  }

  /**
   * The hand target: the controller, or, when the controller has not moved for staleAfter seconds
   * (put down, lost), the arm hanging relaxed at the side; blends over 0.3 s both ways.
   */
  private handTarget(side: 'l' | 'r', p: Vector3, time: number, shoulder: Vector3, torso: Quaternion): Vector3 {
    const st = (this.hands[side] ??= { last: p.clone(), since: time, w: 0 });
    if (st.last.distanceTo(p) > 1e-4) {
      st.last.copy(p);
      st.since = time;
    }
    const stale = time - st.since > this.o.staleAfter;
    const dt = Math.max(0, Math.min(0.1, time - (st.t ?? time)));
    st.t = time;
    st.w = Math.min(1, Math.max(0, st.w + (stale ? dt : -dt) / 0.3));
    if (st.w <= 0) return p;
    const def = this.def!;
    const hang = shoulder.clone().add(restOf(def, side + 'Wrist').sub(restOf(def, side + 'Shoulder')).applyQuaternion(torso));
    return p.clone().lerp(hang, st.w);
  }

  /** Estimates the pose for one frame. Frames must come in time order. @throws RangeError for non-finite input. */
  update(f: ThreePointFrame): SkeletonPose {
    for (const [n, p] of [['head', f.head], ['left', f.left], ['right', f.right]] as const) {
      const v = p.position;
      const q = p.quaternion;
      if (!Number.isFinite(v.x + v.y + v.z + q.x + q.y + q.z + q.w)) throw new RangeError(`BodyEstimator: ${n} pose at t=${f.time} is not finite`);
    }
    if (!this.started) {
      const ratio = this.headPoint === 'eyes' ? 0.936 : 0.9;
      if (this.o.measurements) {
        this.def = makeHuman(this.o.measurements);
        this.height = restOf(this.def, 'head').y / 0.9;
      } else {
        this.height = this.o.heightM ?? Math.min(2.2, Math.max(1.2, f.head.position.y / ratio));
        this.def = makeHuman(this.matcher ? this.matcher.library.measurementsFor(this.height) : this.height);
      }
    }
    const def = this.def!;
    const H = this.height;
    const dt = this.started ? Math.max(1e-4, Math.min(0.1, f.time - this.lastTime)) : 1 / 60;
    this.lastTime = f.time;
    const hq = f.head.quaternion.clone().normalize();
    const headJ = this.headJoint(f);
    // body yaw: low-passed head yaw
    const headFwd = new Vector3(0, 0, -1).applyQuaternion(hq);
    const m = this.matcher ? this.matcher.update(f.time, headJ, f.left.position, f.right.position, hq, H) : null;
    if (m) {
      // facing from the matched hips: forward = up x (right hip - left hip)
      const hipRight = m.joints.rHip.clone().sub(m.joints.lHip).setY(0);
      this.bodyYaw.copy(yawFromForward(new Vector3().crossVectors(UP, hipRight), this.bodyYaw));
    } else {
      const headYaw = yawFromForward(headFwd, this.bodyYaw);
      if (!this.started) this.bodyYaw.copy(headYaw);
      else this.bodyYaw.slerp(headYaw, 1 - Math.exp(-dt / this.o.yawTau));
    }
    const yaw = this.bodyYaw;
    const fwd = new Vector3(0, 0, -1).applyQuaternion(yaw);
    const right = new Vector3(1, 0, 0).applyQuaternion(yaw);
    // neck: below the head joint, half following the head tilt
    const neckLen = restDistance(def, 'neck', 'head');
    const headDown = new Vector3(0, -1, 0).applyQuaternion(hq);
    const neckDir = headDown.add(new Vector3(0, -1, 0)).normalize();
    const neck = headJ.clone().addScaledVector(neckDir, neckLen);
    // torso lean from head pitch
    const pitch = Math.asin(Math.max(-1, Math.min(1, -new Vector3(0, 0, -1).applyQuaternion(hq).y)));
    const lean = Math.min((70 * Math.PI) / 180, Math.max(0, 0.6 * (pitch - (15 * Math.PI) / 180)));
    const torsoLen = restDistance(def, 'pelvis', 'neck');
    const torsoDir = new Vector3(0, 1, 0).multiplyScalar(Math.cos(lean)).addScaledVector(fwd, Math.sin(lean));
    const pelvisTarget = neck.clone().addScaledVector(torsoDir, -torsoLen);
    pelvisTarget.y = Math.max(0.15 * H, pelvisTarget.y);
    if (m) {
      const prev = this.pelvis.clone();
      this.pelvis.copy(m.joints.pelvis);
      if (!this.started) this.pelvisVel.set(0, 0, 0);
      else this.pelvisVel.lerp(this.pelvis.clone().sub(prev).divideScalar(dt), 1 - Math.exp(-dt / 0.1));
    } else if (!this.started) {
      this.pelvis.copy(pelvisTarget);
      this.pelvisVel.set(0, 0, 0);
    } else {
      const prev = this.pelvis.clone();
      this.pelvis.lerp(pelvisTarget, 1 - Math.exp(-dt / this.o.pelvisTau));
      const v = this.pelvis.clone().sub(prev).divideScalar(dt);
      this.pelvisVel.lerp(v, 1 - Math.exp(-dt / 0.1));
    }
    const P = def.joints.map((j) => new Vector3(...j.rest));
    const I = (n: string): number => jointIndex(def, n);
    P[I('pelvis')].copy(this.pelvis);
    const u = neck.clone().sub(this.pelvis).normalize();
    const torso = frameFromUpRight(u, m ? m.joints.rShoulder.clone().sub(m.joints.lShoulder) : right);
    const restPelvis = restOf(def, 'pelvis');
    for (const n of ['spine', 'chest']) P[I(n)].copy(this.pelvis).addScaledVector(u, restDistance(def, 'pelvis', n));
    P[I('neck')].copy(neck);
    P[I('head')].copy(headJ);
    P[I('headTop')].copy(headJ).add(restOf(def, 'headTop').sub(restOf(def, 'head')).applyQuaternion(hq));
    const chest = P[I('chest')];
    const restChest = restOf(def, 'chest');
    for (const side of ['l', 'r'] as const) {
      const sh = P[I(side + 'Shoulder')].copy(chest).add(restOf(def, side + 'Shoulder').sub(restChest).applyQuaternion(torso));
      // without the user's own skeleton the shoulder joints come from the match, like the hips: the
      // library skeletons disagree on them (CMU's sit narrower and lower under the head joint)
      if (m && !this.o.measurements) sh.copy(m.joints[side === 'l' ? 'lShoulder' : 'rShoulder']);
      const hand = this.handTarget(side, (side === 'l' ? f.left : f.right).position, f.time, sh, torso);
      const l1 = restDistance(def, side + 'Shoulder', side + 'Elbow');
      const l2 = restDistance(def, side + 'Elbow', side + 'Wrist');
      const out = side === 'l' ? -1 : 1;
      const pole = new Vector3(0.5 * out, -1, 0.4).applyQuaternion(torso);
      if (m) pole.multiplyScalar(0.05 * H).add(m.joints[side === 'l' ? 'lElbow' : 'rElbow']).sub(sh);
      const ik = solveTwoBoneIk(sh, hand, l1, l2, pole);
      P[I(side + 'Elbow')].copy(ik.mid);
      P[I(side + 'Wrist')].copy(ik.end);
    }
    if (m) {
      const legs = this.matchedLegs(m, P, dt);
      this.started = true;
      return { positions: P, yaw: yaw.clone(), torso, head: hq, contacts: legs.contacts, footYaw: legs.footYaw };
    }
    // legs
    const pelvisRot = yaw; // pelvis keeps the body yaw, no lean (hips stay level)
    const ankleH = restOf(def, 'lAnkle').y;
    const contacts: [boolean, boolean] = [true, true];
    const footYaw: [Quaternion, Quaternion] = [yaw.clone(), yaw.clone()];
    const sides = ['l', 'r'] as const;
    const spot = (k: number): Vector3 => {
      const hip = restOf(def, sides[k] + 'Hip').sub(restPelvis).applyQuaternion(pelvisRot);
      return this.pelvis.clone().add(hip).addScaledVector(this.pelvisVel, this.o.stepLead).setY(0);
    };
    if (!this.started) {
      this.feet = [0, 1].map((k) => {
        const s = spot(k);
        return { plant: s.clone(), yaw: yaw.clone(), swinging: false, from: s.clone(), to: s.clone(), fromYaw: yaw.clone(), toYaw: yaw.clone(), t: 0, duration: this.o.stepDuration };
      });
    }
    // decide steps: one foot at a time, the one furthest from its spot
    if (!this.feet[0].swinging && !this.feet[1].swinging) {
      const err = [0, 1].map((k) => {
        const d = spot(k).sub(this.feet[k].plant).setY(0).length();
        const ang = this.feet[k].yaw.angleTo(yaw);
        return d > this.o.stepThreshold * H || ang > (35 * Math.PI) / 180 ? d + ang : -1;
      });
      const k = err[0] >= err[1] ? 0 : 1;
      if (err[k] > 0) {
        const ft = this.feet[k];
        ft.swinging = true;
        ft.t = 0;
        ft.from.copy(ft.plant);
        ft.fromYaw.copy(ft.yaw);
        ft.to.copy(spot(k)).addScaledVector(this.pelvisVel.clone().setY(0), this.o.stepDuration * 0.5);
        ft.toYaw.copy(yaw);
      }
    }
    for (let k = 0; k < 2; k++) {
      const ft = this.feet[k];
      const target = ft.plant.clone();
      if (ft.swinging) {
        ft.t = Math.min(1, ft.t + dt / ft.duration);
        // lift first, move, then put down: no horizontal motion in the lowest 15% of the swing at either end
        const u = Math.min(1, Math.max(0, (ft.t - 0.15) / 0.7));
        const s = u * u * (3 - 2 * u);
        // retarget the landing spot while swinging (the body keeps moving)
        ft.to.lerp(spot(k).addScaledVector(this.pelvisVel.clone().setY(0), this.o.stepDuration * 0.5 * (1 - ft.t)), 0.2);
        target.copy(ft.from).lerp(ft.to, s);
        const dist = ft.from.distanceTo(ft.to);
        target.y = Math.sin(Math.PI * ft.t) * (0.03 * H * Math.min(1, dist / (0.15 * H)) + 0.01 * H);
        ft.yaw.copy(ft.fromYaw).slerp(ft.toYaw, s);
        contacts[k] = false;
        if (ft.t >= 1) {
          ft.swinging = false;
          ft.plant.copy(ft.to).setY(0);
          contacts[k] = true;
        }
      }
      footYaw[k] = ft.yaw.clone();
      const side = sides[k];
      const hip = P[I(side + 'Hip')].copy(this.pelvis).add(restOf(def, side + 'Hip').sub(restPelvis).applyQuaternion(pelvisRot));
      const ankleTarget = target.clone().setY(target.y + ankleH);
      const l1 = restDistance(def, side + 'Hip', side + 'Knee');
      const l2 = restDistance(def, side + 'Knee', side + 'Ankle');
      const pole = new Vector3(0, 0, -1).applyQuaternion(ft.yaw).addScaledVector(right, k === 0 ? -0.1 : 0.1);
      const ik = solveTwoBoneIk(hip, ankleTarget, l1, l2, pole);
      P[I(side + 'Knee')].copy(ik.mid);
      P[I(side + 'Ankle')].copy(ik.end);
      P[I(side + 'Toe')].copy(ik.end).add(restOf(def, side + 'Toe').sub(restOf(def, side + 'Ankle')).applyQuaternion(ft.yaw));
    }
    this.started = true;
    return { positions: P, yaw: yaw.clone(), torso, head: hq, contacts, footYaw };
  }

  /**
   * Legs from a motion match: hips at the matched hip joints (rigid with the pelvis, template
   * offsets and body yaw, when the user's measurements were given), the ankle
   * target is the matched ankle, locked (footLock) where the foot touched down while the matched
   * contact label is > 0.5; released when the label drops or the prediction moves 0.12 h away (then
   * the foot steps: free for 0.12 s), the offset to the prediction fading with a 0.1 s time
   * constant, and a free foot keeps 0.03 h of clearance above its rest height (ramped over 60 ms); two-bone IK with the knee pole toward the matched knee; the toe
   * rigid with the foot yaw taken from the matched ankle->toe direction. Writes P (metres).
   */
  private matchedLegs(m: MatchedBody, P: Vector3[], dt: number): { contacts: [boolean, boolean]; footYaw: [Quaternion, Quaternion] } {
    const def = this.def!;
    const H = this.height;
    const I = (n: string): number => jointIndex(def, n);
    const contacts: [boolean, boolean] = [false, false];
    const footYaw: [Quaternion, Quaternion] = [this.bodyYaw.clone(), this.bodyYaw.clone()];
    if (this.locks.length !== 2) this.locks = [0, 1].map(() => ({ locked: false, spot: new Vector3(), fade: new Vector3(), free: 1, swing: 0 }));
    (['l', 'r'] as const).forEach((side, k) => {
      const ankleM = m.joints[side === 'l' ? 'lAnkle' : 'rAnkle'];
      const kneeM = m.joints[side === 'l' ? 'lKnee' : 'rKnee'];
      const toeM = m.joints[side === 'l' ? 'lToe' : 'rToe'];
      // without the user's own skeleton (measurements) the hip joint goes where the match puts it:
      // the library skeletons disagree on where the root sits above the hips (CMU 6.5% of the
      // height, Bandai 1.4%), and the match carries the convention of the rows it came from,
      // consistent with its pelvis; with measurements the template's rigid offsets are the user's
      const hip = P[I(side + 'Hip')];
      if (this.o.measurements) hip.copy(this.pelvis).add(restOf(def, side + 'Hip').sub(restOf(def, 'pelvis')).applyQuaternion(this.bodyYaw));
      else hip.copy(m.joints[side === 'l' ? 'lHip' : 'rHip']);
      const target = ankleM.clone();
      const st = this.locks[k];
      const planted = m.contacts[k] > 0.5;
      contacts[k] = planted;
      if (this.o.footLock) {
        const ankleRest = restOf(def, side + 'Ankle').y;
        st.free += dt;
        const drift = st.locked ? Math.hypot(st.spot.x - ankleM.x, st.spot.z - ankleM.z) : 0;
        if (st.locked && (!planted || drift > 0.12 * H)) {
          // lift off: the offset to the prediction fades out; after a drift release the foot steps
          // (stays free for 0.12 s) instead of teleporting to a new spot
          st.locked = false;
          st.fade.copy(st.spot).sub(ankleM).setY(0);
          st.free = 0;
          st.swing = planted ? 0.12 : 0;
        } else if (!st.locked && planted && st.free >= st.swing) {
          st.locked = true;
          st.spot.copy(ankleM).add(st.fade.setY(0));
          st.fade.set(0, 0, 0);
        }
        if (st.locked) target.set(st.spot.x, ankleM.y, st.spot.z);
        else {
          st.fade.multiplyScalar(Math.exp(-dt / 0.1));
          target.add(st.fade);
          // a foot that is not planted is in the air: at least 0.03 h of clearance, ramped in and
          // out over 60 ms around lift-off
          target.y = Math.max(target.y, ankleRest + 0.03 * H * Math.min(1, st.free / 0.06));
        }
        contacts[k] = st.locked;
      }
      const l1 = restDistance(def, side + 'Hip', side + 'Knee');
      const l2 = restDistance(def, side + 'Knee', side + 'Ankle');
      const pole = kneeM.clone().sub(hip).addScaledVector(new Vector3(0, 0, -1).applyQuaternion(this.bodyYaw), 0.02 * H);
      const ik = solveTwoBoneIk(hip, target, l1, l2, pole);
      P[I(side + 'Knee')].copy(ik.mid);
      P[I(side + 'Ankle')].copy(ik.end);
      const fy = yawFromForward(toeM.clone().sub(ankleM), this.bodyYaw);
      footYaw[k] = fy;
      P[I(side + 'Toe')].copy(ik.end).add(restOf(def, side + 'Toe').sub(restOf(def, side + 'Ankle')).applyQuaternion(fy));
    });
    return { contacts, footYaw };
  }
}
