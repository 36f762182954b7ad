import RAPIER from '@dimforge/rapier3d-compat';
import { Quaternion, Vector3 } from 'three';
import { type CharacterDef, firstChildren, legLength, parentIndices } from './Character';
import type { SkeletonPose } from './types';

let ready: Promise<void> | null = null;

/** Loads the rapier WASM module once (browser and Node). */
export function initPhysics(): Promise<void> {
  ready ??= RAPIER.init();
  return ready;
}

/**
 * Link rotations of a pose: each joint with a child gets swing(yaw * restDir -> currentDir) * yaw,
 * where restDir is the rest vector to its first child; leaves take their parent's rotation.
 * Rotations map the rest pose (facing -Z) to the pose. Returns one quaternion per joint.
 */
export function linkRotations(def: CharacterDef, pose: SkeletonPose): Quaternion[] {
  const parents = parentIndices(def);
  const child = firstChildren(def);
  const out: Quaternion[] = [];
  const restDir = new Vector3();
  const cur = new Vector3();
  def.joints.forEach((j, i) => {
    const c = child[i];
    if (c < 0) {
      out.push(parents[i] >= 0 ? out[parents[i]].clone() : pose.yaw.clone());
      return;
    }
    restDir.set(...def.joints[c].rest).sub(new Vector3(...j.rest)).applyQuaternion(pose.yaw).normalize();
    cur.copy(pose.positions[c]).sub(pose.positions[i]);
    if (cur.lengthSq() < 1e-12) {
      out.push(pose.yaw.clone());
      return;
    }
    cur.normalize();
    out.push(new Quaternion().setFromUnitVectors(restDir, cur).multiply(pose.yaw));
  });
  return out;
}

export interface PhysicsOptions {
  /** Joint PD stiffness per unit of subtree inertia (rapier force-based motor, kp * I_subtree N m/rad), 1/s^2 (default 2500). */
  kp?: number;
  /** Joint PD damping, 1/s (default 2 sqrt(kp)). */
  kd?: number;
  /** Simulation step, seconds (default 1/120). */
  dt?: number;
  /** Root assist cap as a fraction of body weight (default 0.25). */
  maxAssist?: number;
  /** Root assist PD gains on the pelvis position error, 1/s^2 and 1/s (default 100, 20). */
  assistKp?: number;
  assistKd?: number;
  /** Friction coefficient of feet and ground (default 1). */
  friction?: number;
}

/** What one PhysicsTracker.step reports. */
export interface PhysicsStepInfo {
  /** Simulated pose (positions from the rigid bodies; leaves carried by their parent body). */
  pose: SkeletonPose;
  /** Mean |root assist force| over the substeps, as a fraction of body weight. */
  assistFraction: number;
  /** Mean |root assist torque| over the substeps, as a fraction of body weight * hip height. */
  assistTorqueFraction: number;
  /** True when the character fell this frame and was reset to the kinematic pose. */
  fell: boolean;
}

const GROUND_GROUPS = (0x0001 << 16) | 0x0002;
const BODY_GROUPS = (0x0002 << 16) | 0x0001; // collide with the ground only, not with itself

/**
 * Physics tracking of a kinematic character pose with rapier (v0.21, impulse joints):
 * one dynamic capsule body per bone (joint -> first child; wrists get a sphere), spherical joints
 * at the joints, each driven by rapier's implicit joint motors on its three angular axes as a PD
 * controller (gains kp, kd times the joint's rest subtree inertia) toward the kinematic relative rotation (the joint's frame on the parent is set each step
 * to the target relative rotation, motors target angle 0: a stable, implicit PD; rapier motor docs).
 * A weak external root assist (a force, PD on the pelvis position, capped at maxAssist * m g, and a
 * torque, PD on the pelvis orientation, capped at maxAssist * m g * hip height) is applied to the
 * pelvis and reported, as in Reda et al. 2023 (Sec. 5). Ground: a static box top at y = 0;
 * the character collides with the ground only. A fall (pelvis below half its target height, or more
 * than half a leg length off target) is counted and the character is reset to the kinematic pose.
 * Call `await initPhysics()` first. Units: metres, kg, seconds.
 */
export class PhysicsTracker {
  readonly world: RAPIER.World;
  readonly totalMass: number;
  private readonly rootInertia: number;
  private readonly bodies: (RAPIER.RigidBody | null)[];
  private readonly joints: (RAPIER.SphericalImpulseJoint | null)[];
  private readonly parents: number[];
  private readonly o: Required<Omit<PhysicsOptions, 'kd'>> & { kd: number };
  private prevTarget: Vector3 | null = null;

  /** @throws Error when initPhysics() was not awaited. */
  constructor(
    readonly def: CharacterDef,
    initial: SkeletonPose,
    options: PhysicsOptions = {},
  ) {
    const kp = options.kp ?? 2500;
    this.o = { kp, kd: options.kd ?? 2 * Math.sqrt(kp), dt: 1 / 120, maxAssist: 0.25, assistKp: 100, assistKd: 20, friction: 1, ...options };
    this.world = new RAPIER.World({ x: 0, y: -9.81, z: 0 });
    this.world.timestep = this.o.dt;
    this.world.numSolverIterations = 8; // long chains with mass ratios up to ~50
    const ground = this.world.createRigidBody(RAPIER.RigidBodyDesc.fixed().setTranslation(0, -0.5, 0));
    this.world.createCollider(RAPIER.ColliderDesc.cuboid(200, 0.5, 200).setFriction(this.o.friction).setCollisionGroups(GROUND_GROUPS), ground);
    this.parents = parentIndices(def);
    const child = firstChildren(def);
    const rots = linkRotations(def, initial);
    const Y = new Vector3(0, 1, 0);
    this.bodies = def.joints.map((j, i) => {
      const c = child[i];
      const isHand = /^[lr]Wrist$/.test(j.name);
      if (c < 0 && !isHand) return null;
      const p = initial.positions[i];
      const q = rots[i];
      const body = this.world.createRigidBody(
        RAPIER.RigidBodyDesc.dynamic().setTranslation(p.x, p.y, p.z).setRotation({ x: q.x, y: q.y, z: q.z, w: q.w }).setAngularDamping(0.5).setLinearDamping(0.05),
      );
      let desc: RAPIER.ColliderDesc;
      if (c < 0) desc = RAPIER.ColliderDesc.ball(j.radius);
      else {
        const d = new Vector3(...def.joints[c].rest).sub(new Vector3(...j.rest));
        const len = d.length();
        d.normalize();
        const r = new Quaternion().setFromUnitVectors(Y, d);
        desc = RAPIER.ColliderDesc.capsule(Math.max(1e-3, len / 2), j.radius)
          .setTranslation(d.x * (len / 2), d.y * (len / 2), d.z * (len / 2))
          .setRotation({ x: r.x, y: r.y, z: r.z, w: r.w });
      }
      this.world.createCollider(desc.setDensity(j.density ?? def.density).setFriction(this.o.friction).setCollisionGroups(BODY_GROUPS), body);
      return body;
    });
    this.totalMass = this.bodies.reduce((m, b) => m + (b ? b.mass() : 0), 0);
    // whole-body inertia about the pelvis, rest pose (for the assist torque gains)
    this.rootInertia = this.bodies.reduce((acc, b, i) => {
      if (!b) return acc;
      const c = child[i];
      const mid = c < 0 ? new Vector3(...def.joints[i].rest) : new Vector3(...def.joints[i].rest).add(new Vector3(...def.joints[c].rest)).multiplyScalar(0.5);
      return acc + b.mass() * mid.distanceToSquared(new Vector3(...def.joints[0].rest));
    }, 0);
    // subtree mass and rest inertia about each joint: force-based motor gains scale with it so that
    // a hip carries the whole upper body (the acceleration-based model normalizes by the two
    // adjacent bodies only, which leaves heavy subtrees sagging)
    const n = def.joints.length;
    const com: Vector3[] = def.joints.map((j, i) => {
      const b = this.bodies[i];
      if (!b) return new Vector3(...j.rest);
      const c = child[i];
      return c < 0 ? new Vector3(...j.rest) : new Vector3(...j.rest).add(new Vector3(...def.joints[c].rest)).multiplyScalar(0.5);
    });
    const mass = this.bodies.map((b) => (b ? b.mass() : 0));
    const inertia = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      // walk up from body i, adding m d^2 to every ancestor joint (and itself)
      for (let a = i; a >= 0; a = this.parents[a]) inertia[a] += mass[i] * (com[i].distanceToSquared(new Vector3(...def.joints[a].rest)) + 0.01 * 0.01);
    }
    this.joints = def.joints.map((j, i) => {
      const p = this.parents[i];
      const b = this.bodies[i];
      if (p < 0 || !b || !this.bodies[p]) return null;
      const a1 = new Vector3(...j.rest).sub(new Vector3(...def.joints[p].rest));
      const data = RAPIER.JointData.spherical({ x: a1.x, y: a1.y, z: a1.z }, { x: 0, y: 0, z: 0 });
      const joint = this.world.createImpulseJoint(data, this.bodies[p]!, b, true) as RAPIER.SphericalImpulseJoint;
      // rapier-compat 0.21 returns spherical joints typed as Generic (no motor methods); the
      // spherical motor methods only forward the handle to the raw joint set, so borrow them
      if (!('configureMotorPosition' in joint)) Object.setPrototypeOf(joint, RAPIER.SphericalImpulseJoint.prototype);
      joint.setContactsEnabled(false);
      // stance legs carry the whole body through the ground contact, not just their own subtree
      const I = /^[lr](Knee|Hock|Ankle|Toe)$/.test(j.name) || /^[lr]Hip$/.test(j.name) ? Math.max(inertia[i], 0.5 * this.totalMass * legLength(def) ** 2 * 0.25) : inertia[i];
      for (const ax of [RAPIER.JointAxis.AngX, RAPIER.JointAxis.AngY, RAPIER.JointAxis.AngZ]) {
        joint.configureMotorModel(ax, RAPIER.MotorModel.ForceBased);
        joint.configureMotorPosition(ax, 0, this.o.kp * I, this.o.kd * I);
      }
      return joint;
    });
    this.setTargets(rots);
  }

  private setTargets(rots: Quaternion[]): void {
    const inv = new Quaternion();
    this.joints.forEach((j, i) => {
      if (!j) return;
      const rel = inv.copy(rots[this.parents[i]]).invert().multiply(rots[i]);
      j.setFrameX1({ x: rel.x, y: rel.y, z: rel.z, w: rel.w });
    });
  }

  /** Teleports every body to the kinematic pose with zero velocity. */
  reset(pose: SkeletonPose): void {
    const rots = linkRotations(this.def, pose);
    this.bodies.forEach((b, i) => {
      if (!b) return;
      const p = pose.positions[i];
      const q = rots[i];
      b.setTranslation({ x: p.x, y: p.y, z: p.z }, true);
      b.setRotation({ x: q.x, y: q.y, z: q.z, w: q.w }, true);
      b.setLinvel({ x: 0, y: 0, z: 0 }, true);
      b.setAngvel({ x: 0, y: 0, z: 0 }, true);
    });
    this.setTargets(rots);
    this.prevTarget = null;
  }

  /**
   * Advances by frameDt seconds (in substeps of dt) tracking the kinematic pose.
   * @throws RangeError for a non-positive or non-finite frameDt.
   */
  step(target: SkeletonPose, frameDt: number): PhysicsStepInfo {
    if (!(frameDt > 0 && Number.isFinite(frameDt))) throw new RangeError(`PhysicsTracker.step: frameDt must be > 0, got ${frameDt}`);
    const rots = linkRotations(this.def, target);
    this.setTargets(rots);
    const root = this.bodies[0]!;
    const pT = target.positions[0];
    const vT = this.prevTarget ? pT.clone().sub(this.prevTarget).divideScalar(frameDt) : new Vector3();
    this.prevTarget = pT.clone();
    const n = Math.max(1, Math.round(frameDt / this.o.dt));
    const weight = this.totalMass * 9.81;
    const qT = rots[0];
    const lever = legLength(this.def);
    let assist = 0;
    let assistT = 0;
    for (let s = 0; s < n; s++) {
      const p = root.translation();
      const v = root.linvel();
      const f = new Vector3(pT.x - p.x, pT.y - p.y, pT.z - p.z).multiplyScalar(this.o.assistKp).add(new Vector3(vT.x - v.x, vT.y - v.y, vT.z - v.z).multiplyScalar(this.o.assistKd)).multiplyScalar(this.totalMass);
      const cap = this.o.maxAssist * weight;
      if (f.length() > cap) f.setLength(cap);
      root.resetForces(false);
      root.resetTorques(false);
      root.addForce({ x: f.x, y: f.y, z: f.z }, true);
      assist += f.length() / weight;
      // assist torque: PD on the pelvis orientation, capped at maxAssist * m g * hip height
      const r = root.rotation();
      const w = root.angvel();
      const qe = qT.clone().multiply(new Quaternion(r.x, r.y, r.z, r.w).invert());
      if (qe.w < 0) qe.set(-qe.x, -qe.y, -qe.z, -qe.w);
      const sinHalf = Math.hypot(qe.x, qe.y, qe.z);
      const ang = 2 * Math.atan2(sinHalf, qe.w);
      const axis = sinHalf > 1e-9 ? new Vector3(qe.x, qe.y, qe.z).divideScalar(sinHalf) : new Vector3();
      const tq = axis.multiplyScalar(ang * this.o.assistKp).addScaledVector(new Vector3(w.x, w.y, w.z), -this.o.assistKd).multiplyScalar(this.rootInertia);
      const capT = this.o.maxAssist * weight * lever;
      if (tq.length() > capT) tq.setLength(capT);
      root.addTorque({ x: tq.x, y: tq.y, z: tq.z }, true);
      assistT += tq.length() / (weight * lever);
      this.world.step();
    }
    root.resetForces(false);
    root.resetTorques(false);
    const pose = this.readPose(target);
    const pr = pose.positions[0];
    const fell = pr.y < 0.5 * pT.y || pr.distanceTo(pT) > 0.5 * legLength(this.def) || !Number.isFinite(pr.x + pr.y + pr.z);
    if (fell) {
      this.reset(target);
      return { pose: this.readPose(target), assistFraction: assist / n, assistTorqueFraction: assistT / n, fell };
    }
    return { pose, assistFraction: assist / n, assistTorqueFraction: assistT / n, fell };
  }

  /** Current simulated pose (contacts, yaw etc. copied from the kinematic pose given). */
  readPose(kin: SkeletonPose): SkeletonPose {
    const positions: Vector3[] = [];
    const rots: Quaternion[] = [];
    this.def.joints.forEach((j, i) => {
      const b = this.bodies[i];
      if (b) {
        const t = b.translation();
        const r = b.rotation();
        positions.push(new Vector3(t.x, t.y, t.z));
        rots.push(new Quaternion(r.x, r.y, r.z, r.w));
      } else {
        const p = this.parents[i];
        const off = new Vector3(...j.rest).sub(new Vector3(...this.def.joints[p].rest)).applyQuaternion(rots[p]);
        positions.push(positions[p].clone().add(off));
        rots.push(rots[p].clone());
      }
    });
    return { ...kin, positions };
  }

  /** Frees the WASM world. */
  dispose(): void {
    this.world.free();
  }
}
