import { Quaternion, Vector3 } from 'three';
import { type CharacterDef, armLength, jointIndex, legLength, parentIndices, restOf } from './Character';
import { solveTwoBoneIk } from './TwoBoneIk';
import type { SkeletonPose } from './types';

/** End-effector targets of one retargeted frame, metres, world frame. */
export interface EffectorTargets {
  head: Vector3;
  lHand: Vector3;
  rHand: Vector3;
  /** Per hand [l, r]: true when the normalized target was beyond reach and clamped. */
  clamped: [boolean, boolean];
}

export interface RetargetResult {
  pose: SkeletonPose;
  targets: EffectorTargets;
}

/** Swing rotation taking unit-free a to b (shortest arc). */
function swing(a: Vector3, b: Vector3): Quaternion {
  return new Quaternion().setFromUnitVectors(a.clone().normalize(), b.clone().normalize());
}

export interface RetargeterOptions {
  /** Tail spring stiffness at the base, 1/s^2 (default 400; halves toward the tip). */
  springK?: number;
  /** Tail spring damping ratio (default 0.5). */
  springZeta?: number;
}

/**
 * Kinematic retargeting of a human pose (BodyEstimator's template) onto a character with another
 * skeleton (Reda et al. 2023, Sec. 4, kinematic stage), joint by joint per the character's drive
 * table (Character.Drive):
 * - scale: k = character hip height / human hip height; root and feet positions scale by k about the
 *   world origin (so planted feet stay planted), the root height by the pelvis height ratio;
 * - torso/pelvis joints: rigid with the human torso rotation / body yaw;
 * - hands: normalized target n = yaw^-1 (hand - chest) / armLength_human, character target
 *   chest_c + yaw n armLength_c, clamped to |target - shoulder_c| <= armLength_c (reach), then
 *   two-bone IK with the elbow pole down/back/outward;
 * - head: the human chest->head direction change (from the yawed rest direction) is applied to the
 *   character's own chest->neck->head rest vectors, length ratio clamped to [0.8, 1];
 * - feet: scaled human ankle positions; digitigrade legs place the foot joint ('plant') there, the
 *   hock rigid above it, then hip->knee->hock IK;
 * - tails ('spring'): damped springs toward the rest shape carried by the yaw, lengths re-projected;
 * - finally every joint is lifted to at least its (and its parent capsule's) radius above the floor.
 */
export class Retargeter {
  readonly k: number;
  private readonly parents: number[];
  private tailPos: Vector3[] = [];
  private tailVel: Vector3[] = [];
  private started = false;
  private lastTime = 0;
  private readonly o: Required<RetargeterOptions>;

  constructor(
    readonly human: CharacterDef,
    readonly target: CharacterDef,
    options: RetargeterOptions = {},
  ) {
    this.o = { springK: 400, springZeta: 0.5, ...options };
    this.k = legLength(target) / legLength(human);
    this.parents = parentIndices(target);
  }

  /** Forget the tail spring state. */
  reset(): void {
    this.started = false;
  }

  /**
   * Retargets one frame. time in seconds (for the springs).
   * @throws Error when the human pose does not match the human def.
   */
  update(h: SkeletonPose, time: number): RetargetResult {
    const hd = this.human;
    const cd = this.target;
    if (h.positions.length !== hd.joints.length) throw new Error(`Retargeter(${cd.name}): human pose has ${h.positions.length} joints, def '${hd.name}' has ${hd.joints.length}`);
    const dt = this.started ? Math.max(1e-4, Math.min(0.1, time - this.lastTime)) : 1 / 60;
    this.lastTime = time;
    const H = (n: string): Vector3 => h.positions[jointIndex(hd, n)];
    const C = (n: string): number => jointIndex(cd, n);
    const rest = (n: string): Vector3 => restOf(cd, n);
    const P = cd.joints.map((j) => new Vector3(...j.rest));
    const k = this.k;
    const yaw = h.yaw;
    const yawInv = yaw.clone().invert();
    // root
    const hp = H('pelvis');
    const pelvis = P[C('pelvis')].set(hp.x * k, (hp.y * rest('pelvis').y) / restOf(hd, 'pelvis').y, hp.z * k);
    const restPelvis = rest('pelvis');
    // pass 1: rigid joints
    cd.joints.forEach((j, i) => {
      if (j.drive === 'torso') P[i].copy(pelvis).add(rest(j.name).sub(restPelvis).applyQuaternion(h.torso));
      if (j.drive === 'pelvis') P[i].copy(pelvis).add(rest(j.name).sub(restPelvis).applyQuaternion(yaw));
    });
    // head chain
    const chest = P[C('chest')];
    const hChest = H('chest');
    const hRestDir = restOf(hd, 'head').sub(restOf(hd, 'chest')).applyQuaternion(yaw);
    const hCur = H('head').clone().sub(hChest);
    const bend = swing(hRestDir, hCur);
    const ratio = Math.min(1, Math.max(0.8, hCur.length() / hRestDir.length()));
    const restChest = rest('chest');
    const headRel = yawInv.clone().multiply(h.head); // head orientation relative to the body yaw
    for (const n of ['neck', 'head']) {
      if (cd.joints.some((j) => j.name === n)) P[C(n)].copy(chest).add(rest(n).sub(restChest).applyQuaternion(yaw).applyQuaternion(bend).multiplyScalar(n === 'head' ? ratio : 1));
    }
    const headT = P[C('head')].clone();
    if (cd.joints.some((j) => j.name === 'headTop')) P[C('headTop')].copy(P[C('head')]).add(rest('headTop').sub(rest('head')).applyQuaternion(yaw.clone().multiply(headRel)));
    // hands
    const armH = armLength(hd);
    const armC = armLength(cd);
    const clamped: [boolean, boolean] = [false, false];
    const handT: Vector3[] = [];
    (['l', 'r'] as const).forEach((s, si) => {
      const n = H(s + 'Wrist').clone().sub(hChest).applyQuaternion(yawInv).divideScalar(armH);
      const t = chest.clone().add(n.multiplyScalar(armC).applyQuaternion(yaw));
      const sh = P[C(s + 'Shoulder')];
      const reach = armC * (1 - 1e-4);
      const d = t.distanceTo(sh);
      if (d > reach) {
        t.sub(sh).multiplyScalar(reach / d).add(sh);
        clamped[si] = true;
      }
      handT.push(t);
      const l1 = rest(s + 'Shoulder').distanceTo(rest(s + 'Elbow'));
      const l2 = rest(s + 'Elbow').distanceTo(rest(s + 'Wrist'));
      const pole = new Vector3(s === 'l' ? -0.5 : 0.5, -1, 0.4).applyQuaternion(h.torso);
      const ik = solveTwoBoneIk(sh, t, l1, l2, pole);
      P[C(s + 'Elbow')].copy(ik.mid);
      P[C(s + 'Wrist')].copy(ik.end);
    });
    // legs
    const hAnkleRestY = restOf(hd, 'lAnkle').y;
    (['l', 'r'] as const).forEach((s, si) => {
      const ha = H(s + 'Ankle');
      const fy = h.footYaw[si];
      const ankle = new Vector3(ha.x * k, rest(s + 'Ankle').y + (ha.y - hAnkleRestY) * k, ha.z * k);
      const digitigrade = cd.joints.some((j) => j.name === s + 'Hock');
      const ikEnd = digitigrade ? s + 'Hock' : s + 'Ankle';
      const mid = s + 'Knee';
      const endTarget = digitigrade ? ankle.clone().add(rest(s + 'Hock').sub(rest(s + 'Ankle')).applyQuaternion(fy)) : ankle;
      const hip = P[C(s + 'Hip')];
      const l1 = rest(s + 'Hip').distanceTo(rest(mid));
      const l2 = rest(mid).distanceTo(rest(ikEnd));
      const pole = new Vector3(0, 0, -1).applyQuaternion(fy);
      const ik = solveTwoBoneIk(hip, endTarget, l1, l2, pole);
      P[C(mid)].copy(ik.mid);
      P[C(ikEnd)].copy(ik.end);
      // foot joint: at the target when the chain reached it, else carried rigidly by the chain end
      if (digitigrade) P[C(s + 'Ankle')].copy(ik.end).add(rest(s + 'Ankle').sub(rest(s + 'Hock')).applyQuaternion(fy));
      P[C(s + 'Toe')].copy(P[C(s + 'Ankle')]).add(rest(s + 'Toe').sub(rest(s + 'Ankle')).applyQuaternion(fy));
    });
    // tails
    const tails = cd.joints.map((j, i) => (j.drive === 'spring' ? i : -1)).filter((i) => i >= 0);
    if (!this.started || this.tailPos.length !== tails.length) {
      this.tailPos = tails.map(() => new Vector3());
      this.tailVel = tails.map(() => new Vector3());
    }
    tails.forEach((i, ti) => {
      const p = this.parents[i];
      const off = new Vector3(...cd.joints[i].rest).sub(new Vector3(...cd.joints[p].rest));
      const goal = P[p].clone().add(off.clone().applyQuaternion(yaw));
      if (!this.started) {
        this.tailPos[ti].copy(goal);
        this.tailVel[ti].set(0, 0, 0);
      } else {
        const kS = this.o.springK / (1 + ti);
        const c = 2 * this.o.springZeta * Math.sqrt(kS);
        const acc = goal.clone().sub(this.tailPos[ti]).multiplyScalar(kS).addScaledVector(this.tailVel[ti], -c);
        this.tailVel[ti].addScaledVector(acc, dt);
        this.tailPos[ti].addScaledVector(this.tailVel[ti], dt);
        // keep the bone length
        const v = this.tailPos[ti].clone().sub(P[p]);
        this.tailPos[ti].copy(P[p]).addScaledVector(v, off.length() / Math.max(1e-9, v.length()));
        // the tail rests on the ground rather than passing through it
        const r = cd.joints[i].radius;
        if (this.tailPos[ti].y < r) {
          this.tailPos[ti].y = r;
          if (this.tailVel[ti].y < 0) this.tailVel[ti].y = 0;
        }
      }
      P[i].copy(this.tailPos[ti]);
    });
    // no joint sphere below the floor (a bowing dinosaur's head, a crouching mouse's hips)
    cd.joints.forEach((j, i) => {
      const r = Math.max(j.radius, this.parents[i] >= 0 ? cd.joints[this.parents[i]].radius : 0); // the parent's capsule ends here
      if (P[i].y < r) P[i].y = r;
    });
    this.started = true;
    const pose: SkeletonPose = { positions: P, yaw: yaw.clone(), torso: h.torso.clone(), head: h.head.clone(), contacts: [h.contacts[0], h.contacts[1]], footYaw: [h.footYaw[0].clone(), h.footYaw[1].clone()] };
    return { pose, targets: { head: headT, lHand: handT[0], rHand: handT[1], clamped } };
  }
}
