import RAPIER from '@dimforge/rapier3d-compat';
import { Quaternion, Vector3 } from 'three';
import { type CharacterDef, firstChildren, jointIndex, legLength, parentIndices } from './Character';
import { solveTwoBoneIk } from './TwoBoneIk';
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
  /**
   * Root assist cap as a fraction of body weight (default 0.25); the torque is capped at
   * maxAssist * m g * leg length. With contactResidual it caps only the part the contact residual
   * cannot account for (the "unjustified" assist).
   */
  maxAssist?: number;
  /**
   * Contact-aware root residual (default false: on 4 clips with maxAssist 0.05, bench:avatar's
   * falls/min went 16.7 / 30.7 / 25.3 -> 45.4 / 61.3 / 63.4 for human / dino / mouse, about what the
   * 5% cap alone gives, 44 / 58 / 53; see docs/avatar-bench.md). The root's desired wrench (the PD
   * on the pelvis position and orientation, gains assistKp / assistKd) is first met, as far as the
   * stance feet (planted in the target and with a sole corner within contactHeight of the floor)
   * can supply it through their contact, by internal stance-leg torques (Jacobian transpose, in
   * the feedforward; needs gravityCompensation): an extra ground force with vertical part in
   * [-0.9 m g, m g] and horizontal part at most residualFriction * friction * (vertical load), N,
   * from a centre of pressure inside the support polygon (the hull of the stance soles' corners)
   * moved from under the centre of mass to give the wanted torque, plus a yaw moment of at most
   * friction * load * a quarter of the foot length. Reported apart
   * (PhysicsStepInfo.residualFraction); only the rest, capped at maxAssist, is external (the assist).
   */
  contactResidual?: boolean;
  /**
   * With contactResidual, the pelvis orientation by the stance hips (default true): the PD torque
   * on the pelvis orientation (assistKp / assistKd times the whole-body inertia about the pelvis,
   * N m) is applied to the pelvis with its reaction on the stance legs' thighs (an internal hip
   * torque, as SIMBICON controls the torso) instead of through the ground.
   */
  hipTorque?: boolean;
  /**
   * Start moving (default true): after a reset (a fall) the bodies get the target's velocity (the
   * finite difference of the target joints over the last frame, m/s) instead of zero (a new
   * tracker still starts at rest). From rest, a body whose target already walks lags behind and
   * falls again. See docs/avatar-bench.md for its bench:avatar numbers.
   */
  resetVelocity?: boolean;
  /**
   * Support from touching feet (default false: mixed on 4 clips, human 18.0 -> 17.3 falls/min, dino
   * 32.0 -> 26.7, mouse 25.4 -> 28.0): the feedforward's legs carry the weight through every foot
   * that is planted in the target or touches the floor (a sole corner within contactHeight), not
   * only the target's planted feet. The estimated targets often have both feet free for a few frames
   * of a walk; the body then sinks and the compressed stance leg launches it when its foot is
   * planted again.
   */
  touchSupport?: boolean;
  /** Share of the friction cone (friction * m g) the residual's horizontal force may use, dimensionless (default 0.5). */
  residualFriction?: number;
  /** A sole corner within this height of the floor counts as touching it, metres (default 0.015). */
  contactHeight?: number;
  /** Root assist PD gains on the pelvis position error, 1/s^2 and 1/s (default 100, 20). */
  assistKp?: number;
  assistKd?: number;
  /** Friction coefficient of feet and ground (default 1). */
  friction?: number;
  /**
   * Flat sole boxes under the foot bodies, heel (30% of the foot length behind the ankle) to toe
   * tip, half a foot length wide, bottom on the floor in the rest pose (default true). Without them
   * a foot touches the floor at its toe only and the body tips over its heel.
   */
  soles?: boolean;
  /**
   * Extra mass of each foot body as a fraction of the body mass (default 0.03). A foot of ~1% of
   * the mass between the floor and stiff leg motors makes rapier's iterative solver diverge.
   */
  footMassFraction?: number;
  /** rapier PGS iterations per solver iteration (default 8; with rapier's default 1 the stance legs buckle). */
  pgsIterations?: number;
  /**
   * Feedforward joint torques (default true): each joint holds its subtree against gravity, and
   * the legs whose target foot is planted carry the body weight (minus the vertical root assist)
   * from a point of their sole under the centre of mass (Jacobian-transpose stance; the motors
   * then only correct the residual).
   */
  gravityCompensation?: boolean;
  /**
   * Ankle-strategy balance gain, dimensionless (default 1; 0 = off): the stance ankles' targets
   * lean the body about the feet to move the centre of mass by -balanceGain * xi, where xi is the
   * horizontal capture-point error against the target, (c - c_T) + (v - v_T) / sqrt(g / h), metres.
   */
  balanceGain?: number;
  /** Largest balance lean, radians (default 0.25). */
  maxLean?: number;
  /**
   * Reactive capture-point step (default false: switched on, bench:avatar's falls/min rose for
   * every character, human 21.9 -> 26.2, dino 27.9 -> 34.2, mouse 19.2 -> 21.7 over the 28 clips):
   * when both target feet are planted and still and the horizontal capture point c + v / sqrt(g / h) leaves the support polygon (the hull of the soles)
   * by more than 1% of the leg length, the foot farther from it swings, in sqrt(h / g) seconds, to
   * where the capture point will be at landing (see aimSwing); both feet are then held where they
   * are in the world until their target foot lifts or moves; at most one step each 0.5 s after a
   * landing. On one foot the ankle strategy centres the body over the stance sole. h: target
   * centre-of-mass height.
   */
  stepping?: boolean;
  /**
   * Swing-foot clearance, fraction of the leg length (default 0 = off: on 8 clips, 12 s each, 0.03
   * changed falls by noise, human 9.9 -> 9.1 with swingGain 0, the dino not at all; range 0..0.1): while a foot
   * is free in the target (and not in a reactive step), its ankle target is kept at least this high
   * above the ankle's rest height (ramped in over 0.1 s after lift-off), the leg re-aimed by
   * two-bone IK. A sagging or lagging swing foot otherwise scuffs the floor, lands early and short,
   * and the body behind it falls back.
   */
  swingLift?: number;
  /**
   * Swing-foot placement feedback on the position, dimensionless (default 0 = off: on 8 clips,
   * 12 s each, at the old swingGain 1, 0.5 kept the falls, 1 raised the human's 20.5 -> 25; range 0..1):
   * the free feet's ankle targets (relative to the pelvis, before the IK) move horizontally by
   * -swingPlacement * (simulated pelvis - target pelvis), so that with 1 the swing foot lands where
   * the target's foot does in the world even while the body lags (ramped in over 0.1 s after
   * lift-off; the shift is at most 0.3 leg lengths).
   */
  swingPlacement?: number;
  /**
   * Swing-foot placement feedback on the velocity, seconds (default 0 = off: on 8 clips, 12 s
   * each, 0.1 was noise-level, -0.1 raised the human's falls 20.5 -> 31; SIMBICON's c_v, range
   * 0..0.3): the free feet's ankle targets move horizontally by swingPlacementVel * (simulated
   * centre-of-mass velocity - target centre-of-mass velocity), m/s * s: a body that moves too fast
   * steps farther out and brakes, one that lags steps shorter and falls forward over the new foot.
   */
  swingPlacementVel?: number;
  /**
   * Stance legs track the pelvis from where their simulated foot is, dimensionless (default 0.5;
   * 0 = off; range 0..1; bench:avatar, 28 clips, with swingGain 0: falls/min human / dino / mouse
   * 13.7 / 17.3 / 17.3 at 0 -> 13.9 / 14.9 / 14.7 at 0.5, hand error 14.4 / 22.3 / 4.5 ->
   * 13.2 / 18.1 / 4.2 cm; see docs/avatar-bench.md): a foot planted in the target (and not held by a reactive step) gets its
   * ankle target (relative to the pelvis, before the two-bone IK) moved horizontally by
   * stanceTracking * (simulated ankle - target ankle), at most 0.3 leg lengths, ramped in over
   * 0.1 s after touch-down. With 1 the stance leg's joint targets put the pelvis at the target's
   * pelvis even when the foot landed or slid elsewhere; with 0 they copy the target's joint angles,
   * so a foot that lands short leaves the body behind by as much.
   */
  stanceTracking?: number;
  /**
   * How long after touch-down stanceTracking acts, seconds (default 1; range 0.3..Infinity): the
   * correction is full until then and fades out over the next 0.5 s. A foot that stays planted
   * (standing) is then left alone: there the correction feeds back on the feet's slow creep (the
   * standing dino drifted half a leg length sideways within 20 s with stanceTracking 0.5 for good).
   * It also scales with the target pelvis's horizontal speed up to 0.25 leg lengths per second
   * (none while the target stands still).
   */
  stanceTrackingTime?: number;
  /**
   * Swing-leg motor gains, dimensionless (default 0; range 0..1; bench:avatar, 28 clips: falls/min
   * human / dino / mouse 19.0 / 20.4 / 20.9 at 1 -> 13.7 / 17.3 / 17.3 at 0, 15.1 / 18.7 / 18.3
   * at 0.1, with less foot skate and hand error; see docs/avatar-bench.md): the leg joints of a foot free in
   * the target (and not in a reactive step) use the gains kp, kd times
   * max(own subtree inertia, swingGain * the stance legs' inertia floor) instead of that floor
   * (0.125 m L^2: stance legs carry the whole body). With the floor a swing foot that scuffs the
   * floor pushes against it with whole-body stiffness and launches the body.
   */
  swingGain?: number;
  /**
   * With swingGain < 1, a free foot that touches the floor (a sole corner within contactHeight)
   * gets the stance gains back (default false: on 8 clips, 12 s each, with stanceTracking 0.5
   * human falls/min went 10.6 -> 20.5): the estimated targets often lift a foot that still
   * carries the body, and the soft leg then buckles.
   */
  swingTouchStance?: boolean;
}

/** A reactive step: foot k swings from `from` to `to` (ankle, world, metres) in `duration` seconds. */
interface ReactiveStep {
  k: number;
  /** Seconds since lift-off. */
  t: number;
  duration: number;
  from: Vector3;
  /** Sole centre at lift-off (y = 0). */
  fromSole: Vector3;
  to: Vector3;
}

/** What one PhysicsTracker.step reports. */
export interface PhysicsStepInfo {
  /** Simulated pose (positions from the rigid bodies; leaves carried by their parent body). */
  pose: SkeletonPose;
  /** Mean |root assist force| (external; with PhysicsOptions.contactResidual the unjustified part) over the substeps, as a fraction of body weight. */
  assistFraction: number;
  /** Mean |contact residual force| over the substeps, fraction of body weight (0 without PhysicsOptions.contactResidual). */
  residualFraction: number;
  /** Mean |contact residual torque| over the substeps, fraction of body weight * leg length. */
  residualTorqueFraction: number;
  /** Mean |root assist torque| over the substeps, as a fraction of body weight * hip height. */
  assistTorqueFraction: number;
  /** True when the character fell this frame and was reset to the kinematic pose. */
  fell: boolean;
  /** Simulated pelvis minus target pelvis at the end of the frame, before any reset (world, metres; for diagnostics). */
  pelvisError: Vector3;
}

/** A foot's flat sole box in its body frame (the rest frame at the ankle), metres. */
interface SoleBox {
  /** Box centre. */
  mid: Vector3;
  /** Yaw of the box about +Y (its long axis is the foot's horizontal direction). */
  q: Quaternion;
  halfW: number;
  halfH: number;
  halfLen: number;
}

/**
 * Flat box sole of the foot body of joint i (ankle, first child c = toe), in the body frame (the
 * rest frame at the ankle): heel 30% of the horizontal foot length behind the ankle, front at the
 * toe capsule's tip, width half the foot length (at least the capsule's diameter), 1/4 of the ankle
 * height thick, bottom at y = 0.
 */
function soleBox(def: CharacterDef, i: number, c: number): SoleBox {
  const a = new Vector3(...def.joints[i].rest);
  const t = new Vector3(...def.joints[c].rest);
  const f = t.clone().sub(a).setY(0);
  const len = f.length();
  f.normalize();
  const r = def.joints[c].radius;
  const heel = a.clone().addScaledVector(f, -0.3 * len);
  const tip = t.clone().addScaledVector(f, r);
  const halfLen = 0.5 * heel.distanceTo(tip.clone().setY(a.y));
  const halfW = Math.max(def.joints[i].radius, 0.25 * len);
  const halfH = 0.125 * a.y;
  const mid = heel.clone().add(tip.setY(a.y)).multiplyScalar(0.5).sub(a).setY(halfH - a.y);
  const q = new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), Math.atan2(f.x, f.z));
  return { mid, q, halfW, halfH, halfLen };
}

/** The sole box as a collider, light (100 kg/m^3) so that the segment masses barely change. */
function soleCollider(box: SoleBox): RAPIER.ColliderDesc {
  const { mid, q } = box;
  return RAPIER.ColliderDesc.cuboid(box.halfW, box.halfH, box.halfLen)
    .setTranslation(mid.x, mid.y, mid.z)
    .setRotation({ x: q.x, y: q.y, z: q.z, w: q.w })
    .setDensity(100);
}

/** The four bottom corners of a sole box, body frame, metres. */
function soleCorners(box: SoleBox): Vector3[] {
  return [
    [-1, -1],
    [1, -1],
    [1, 1],
    [-1, 1],
  ].map(([sx, sz]) => new Vector3(sx * box.halfW, 0, sz * box.halfLen).applyQuaternion(box.q).add(box.mid).setY(box.mid.y - box.halfH));
}

/** Mean of points, metres. */
function centroid(points: Vector3[]): Vector3 {
  return points.reduce((a, p) => a.add(p), new Vector3()).divideScalar(points.length);
}

/**
 * Vector from the nearest point of the convex hull of `points` (horizontal, x and z; y ignored) to
 * p, metres: zero when p is inside. Andrew's monotone chain hull.
 */
export function outsideHull(points: Vector3[], p: Vector3): Vector3 {
  const pts = points.map((v) => [v.x, v.z]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: number[], a: number[], b: number[]): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: number[][]): number[][] => {
    const h: number[][] = [];
    for (const q of list) {
      while (h.length >= 2 && cross(h[h.length - 2], h[h.length - 1], q) <= 0) h.pop();
      h.push(q);
    }
    h.pop();
    return h;
  };
  const hull = [...half(pts), ...half([...pts].reverse())]; // counter-clockwise in (x, z)
  const q = [p.x, p.z];
  if (hull.length >= 3 && hull.every((a, k) => cross(a, hull[(k + 1) % hull.length], q) >= 0)) return new Vector3();
  let best = new Vector3(Infinity, 0, 0);
  hull.forEach((a, k) => {
    const b = hull[(k + 1) % hull.length];
    const ex = b[0] - a[0];
    const ez = b[1] - a[1];
    const t = Math.min(1, Math.max(0, ((q[0] - a[0]) * ex + (q[1] - a[1]) * ez) / Math.max(1e-12, ex * ex + ez * ez)));
    const d = new Vector3(q[0] - a[0] - t * ex, 0, q[1] - a[1] - t * ez);
    if (d.lengthSq() < best.lengthSq()) best = d;
  });
  return best;
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
/** touching() when no option reads floor contact (stance is then only read with contactResidual on). */
const NO_TOUCH: readonly [boolean, boolean] = [false, false];

export class PhysicsTracker {
  readonly world: RAPIER.World;
  readonly totalMass: number;
  private readonly rootInertia: number;
  private readonly bodies: (RAPIER.RigidBody | null)[];
  private readonly joints: (RAPIER.SphericalImpulseJoint | null)[];
  private readonly parents: number[];
  /** Body masses including the extra foot mass, kg (0 for joints without a body). */
  private readonly mass: number[];
  /** Joint indices of the left and right foot bodies (the ankles). */
  private readonly feet: number[];
  /** 0 / 1 for joints of the left / right leg (hip to ankle), -1 otherwise. */
  private readonly legSide: number[];
  private readonly soleCentre: Vector3[];
  private readonly soleHalf: number[];
  private readonly o: Required<Omit<PhysicsOptions, 'kd'>> & { kd: number };
  private prevTarget: Vector3 | null = null;
  /** Target joint positions of the previous frame (for the velocity of a reset), metres. */
  private prevTargetJoints: Vector3[] | null = null;
  private prevTargetCom: Vector3 | null = null;
  /** Sole corners per foot on the floor, foot body frame, metres. */
  private readonly soleCorners: Vector3[][];
  /** Joints from the hip down to the ankle, per foot. */
  private readonly legChains: number[][];
  private swing: ReactiveStep | null = null;
  /** Per foot: ankle held in the world after a reactive step (null: follow the target), metres. */
  private readonly held: (Vector3 | null)[] = [null, null];
  /** Per foot: the target ankle when its reactive step began (released once it moves), metres. */
  private readonly heldTarget: (Vector3 | null)[] = [null, null];
  private prevTargetFeet: Vector3[] | null = null;
  /** Seconds since the last reactive step landed. */
  private sinceStep = Infinity;
  /** Per foot: seconds since its target foot left the floor (0 while planted). */
  private readonly freeTime: number[] = [0, 0];
  /** Per joint: motor inertia (kg m^2) while its leg stands / swings, and the one set now (0: no motor). */
  private readonly stanceI: number[];
  private readonly swingI: number[];
  private readonly motorI: number[];
  /** Per foot: the share of the stance tracking applied this frame (0..stanceTracking). */
  private readonly stanceShare: number[] = [0, 0];
  /** Per foot: seconds since its target foot was planted (0 while free). */
  private readonly plantTime: number[] = [0, 0];

  /** @throws Error when initPhysics() was not awaited. */
  constructor(
    readonly def: CharacterDef,
    initial: SkeletonPose,
    options: PhysicsOptions = {},
  ) {
    const kp = options.kp ?? 2500;
    this.o = { kp, kd: options.kd ?? 2 * Math.sqrt(kp), dt: 1 / 120, maxAssist: 0.25, contactResidual: false, hipTorque: true, resetVelocity: true, touchSupport: false, residualFriction: 0.5, contactHeight: 0.015, assistKp: 100, assistKd: 20, friction: 1, soles: true, footMassFraction: 0.03, pgsIterations: 8, gravityCompensation: true, balanceGain: 1, maxLean: 0.25, stepping: false, swingLift: 0, swingPlacement: 0, swingPlacementVel: 0, stanceTracking: 0.5, stanceTrackingTime: 1, swingGain: 0, swingTouchStance: false, ...options };
    this.world = new RAPIER.World({ x: 0, y: -9.81, z: 0 });
    this.world.timestep = this.o.dt;
    this.world.numSolverIterations = 8; // long chains with mass ratios up to ~50
    this.world.numInternalPgsIterations = this.o.pgsIterations;
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
      if (this.o.soles && /^[lr]Ankle$/.test(j.name) && c >= 0) this.world.createCollider(soleCollider(soleBox(def, i, c)).setFriction(this.o.friction).setCollisionGroups(BODY_GROUPS), body);
      return body;
    });
    this.feet = (['l', 'r'] as const).map((s) => jointIndex(def, `${s}Ankle`));
    const baseMass = this.bodies.reduce((m, b) => m + (b ? b.mass() : 0), 0);
    const footExtra = this.o.footMassFraction * baseMass;
    // rapier applies additional mass at the next step (scaled like the colliders: same centre of mass)
    for (const f of this.feet) this.bodies[f]?.setAdditionalMass(footExtra, false);
    this.mass = this.bodies.map((b, i) => (b ? b.mass() + (this.feet.includes(i) ? footExtra : 0) : 0));
    this.totalMass = this.mass.reduce((a, m) => a + m, 0);
    this.legSide = def.joints.map((j) => (/^[lr](Hip|Knee|Hock|Ankle)$/.test(j.name) ? (j.name[0] === 'l' ? 0 : 1) : -1));
    // sole centre on the floor and half length, in the foot body frame (rest frame at the ankle)
    this.soleCentre = this.feet.map((f) => {
      const a = new Vector3(...def.joints[f].rest);
      const t = new Vector3(...def.joints[child[f]].rest);
      return a.clone().lerp(t, 0.35).sub(a).setY(-a.y);
    });
    this.soleCorners = this.feet.map((f) => soleCorners(soleBox(def, f, child[f])));
    this.legChains = this.feet.map((f) => {
      const chain = [f];
      while (!/^[lr]Hip$/.test(def.joints[chain[0]].name) && this.parents[chain[0]] > 0) chain.unshift(this.parents[chain[0]]);
      return chain;
    });
    this.soleHalf = this.feet.map((f) => 0.65 * new Vector3(...def.joints[child[f]].rest).sub(new Vector3(...def.joints[f].rest)).setY(0).length());
    // whole-body inertia about the pelvis, rest pose (for the assist torque gains)
    this.rootInertia = this.bodies.reduce((acc, b, i) => {
      if (!b) return acc;
      const c = child[i];
      const mid = c < 0 ? new Vector3(...def.joints[i].rest) : new Vector3(...def.joints[i].rest).add(new Vector3(...def.joints[c].rest)).multiplyScalar(0.5);
      return acc + this.mass[i] * mid.distanceToSquared(new Vector3(...def.joints[0].rest));
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
    const mass = this.mass;
    const inertia = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      // walk up from body i, adding m d^2 to every ancestor joint (and itself)
      for (let a = i; a >= 0; a = this.parents[a]) inertia[a] += mass[i] * (com[i].distanceToSquared(new Vector3(...def.joints[a].rest)) + 0.01 * 0.01);
    }
    this.stanceI = new Array<number>(n).fill(0);
    this.swingI = new Array<number>(n).fill(0);
    this.motorI = new Array<number>(n).fill(0);
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
      const floor = 0.5 * this.totalMass * legLength(def) ** 2 * 0.25;
      const I = /^[lr](Knee|Hock|Ankle|Toe)$/.test(j.name) || /^[lr]Hip$/.test(j.name) ? Math.max(inertia[i], floor) : inertia[i];
      this.stanceI[i] = I;
      this.swingI[i] = Math.min(I, Math.max(inertia[i], this.o.swingGain * floor));
      this.motorI[i] = I;
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

  /**
   * Teleports every body to the kinematic pose, with zero velocity or, given `velocities` (one per
   * joint, m/s), each body moving with its joint's velocity.
   */
  reset(pose: SkeletonPose, velocities?: Vector3[]): void {
    const rots = linkRotations(this.def, pose);
    this.bodies.forEach((b, i) => {
      if (!b) return;
      const p = pose.positions[i];
      const q = rots[i];
      b.setTranslation({ x: p.x, y: p.y, z: p.z }, true);
      b.setRotation({ x: q.x, y: q.y, z: q.z, w: q.w }, true);
      const v = velocities?.[i];
      b.setLinvel({ x: v?.x ?? 0, y: v?.y ?? 0, z: v?.z ?? 0 }, true);
      b.setAngvel({ x: 0, y: 0, z: 0 }, true);
    });
    this.setTargets(rots);
    this.prevTarget = null;
    this.prevTargetJoints = velocities ? pose.positions.map((q) => q.clone()) : null;
    this.prevTargetCom = null;
    this.prevTargetFeet = null;
    this.swing = null;
    this.sinceStep = Infinity;
    this.held.fill(null);
    this.heldTarget.fill(null);
    this.freeTime.fill(0);
    this.plantTime.fill(0);
  }

  /**
   * Advances by frameDt seconds (in substeps of dt) tracking the kinematic pose.
   * @throws RangeError for a non-positive or non-finite frameDt.
   */
  step(target: SkeletonPose, frameDt: number): PhysicsStepInfo {
    if (!(frameDt > 0 && Number.isFinite(frameDt))) throw new RangeError(`PhysicsTracker.step: frameDt must be > 0, got ${frameDt}`);
    const targetRots = linkRotations(this.def, target);
    const root = this.bodies[0]!;
    const pT = target.positions[0];
    const vT = this.prevTarget ? pT.clone().sub(this.prevTarget).divideScalar(frameDt) : new Vector3();
    this.prevTarget = pT.clone();
    const prevJ = this.prevTargetJoints;
    const jointVel = prevJ && this.o.resetVelocity ? target.positions.map((q, i) => q.clone().sub(prevJ[i]).divideScalar(frameDt)) : undefined;
    this.prevTargetJoints = target.positions.map((q) => q.clone());
    const cT = this.centreOfMass(target.positions, targetRots);
    const vcT = this.prevTargetCom ? cT.clone().sub(this.prevTargetCom).divideScalar(frameDt) : new Vector3();
    this.prevTargetCom = cT.clone();
    const stepped = this.reactiveStep(target, targetRots, cT.y, frameDt);
    const { contacts, goal } = stepped;
    const rots = this.placeSwing(target, stepped.rots, vcT, frameDt, Math.hypot(vT.x, vT.z));
    this.setTargets(rots);
    if (this.o.swingGain < 1) {
      const touch = this.o.swingTouchStance ? this.touching() : NO_TOUCH;
      this.setLegGains([contacts[0] || touch[0], contacts[1] || touch[1]]);
    }
    const n = Math.max(1, Math.round(frameDt / this.o.dt));
    const weight = this.totalMass * 9.81;
    const qT = rots[0];
    const lever = legLength(this.def);
    let assist = 0;
    let assistT = 0;
    let resid = 0;
    let residT = 0;
    const fu = new Vector3();
    const tu = new Vector3();
    for (let s = 0; s < n; s++) {
      const p = root.translation();
      const v = root.linvel();
      // desired root wrench: PD on the pelvis position and orientation
      const f = new Vector3(pT.x - p.x, pT.y - p.y, pT.z - p.z).multiplyScalar(this.o.assistKp).add(new Vector3(vT.x - v.x, vT.y - v.y, vT.z - v.z).multiplyScalar(this.o.assistKd)).multiplyScalar(this.totalMass);
      const r = root.rotation();
      const w = root.angvel();
      const qe = qT.clone().multiply(new Quaternion(r.x, r.y, r.z, r.w).invert());
      if (qe.w < 0) qe.set(-qe.x, -qe.y, -qe.z, -qe.w);
      const sinHalf = Math.hypot(qe.x, qe.y, qe.z);
      const ang = 2 * Math.atan2(sinHalf, qe.w);
      const axis = sinHalf > 1e-9 ? new Vector3(qe.x, qe.y, qe.z).divideScalar(sinHalf) : new Vector3();
      const tq = axis.multiplyScalar(ang * this.o.assistKp).addScaledVector(new Vector3(w.x, w.y, w.z), -this.o.assistKd).multiplyScalar(this.rootInertia);
      // the part the contacts can justify, then the capped rest (the assist)
      // sole corners are only needed by the options that read floor contact
      const touch = this.o.contactResidual || this.o.touchSupport ? this.touching() : NO_TOUCH;
      const stance: [boolean, boolean] = [contacts[0] && touch[0], contacts[1] && touch[1]];
      const support: [boolean, boolean] = this.o.touchSupport ? [contacts[0] || touch[0], contacts[1] || touch[1]] : contacts;
      const useHips = this.o.contactResidual && this.o.hipTorque && (stance[0] || stance[1]);
      const just = this.o.contactResidual && this.o.gravityCompensation && (stance[0] || stance[1]) ? this.contactWrench(f, useHips ? new Vector3() : tq, new Vector3(p.x, p.y, p.z), weight, stance) : null;
      fu.copy(f);
      tu.copy(tq);
      if (useHips) tu.set(0, 0, 0);
      if (just) {
        fu.sub(just.force);
        tu.sub(just.torque);
      }
      const cap = this.o.maxAssist * weight;
      if (fu.length() > cap) fu.setLength(cap);
      const capT = this.o.maxAssist * weight * lever;
      if (tu.length() > capT) tu.setLength(capT);
      if (just) {
        resid += just.force.length() / weight;
        residT += just.torque.length() / (weight * lever);
      }
      for (const b of this.bodies) b?.resetTorques(false);
      root.resetForces(false);
      root.addForce({ x: fu.x, y: fu.y, z: fu.z }, true);
      // the residual goes through the stance legs (internal torques), carried by the real contact
      if (this.o.gravityCompensation) this.feedforward(just ? stance : support, Math.max(0, weight - fu.y), just);
      if (this.o.balanceGain > 0) this.balance(contacts, target.positions, rots, cT, vcT, goal);
      assist += fu.length() / weight;
      root.addTorque({ x: tu.x, y: tu.y, z: tu.z }, true);
      if (useHips) {
        root.addTorque({ x: tq.x, y: tq.y, z: tq.z }, true);
        const k = stance.filter(Boolean).length;
        for (let side = 0; side < 2; side++) if (stance[side]) this.bodies[this.legChains[side][0]]!.addTorque({ x: -tq.x / k, y: -tq.y / k, z: -tq.z / k }, true);
      }
      assistT += tu.length() / (weight * lever);
      this.world.step();
    }
    root.resetForces(false);
    for (const b of this.bodies) b?.resetTorques(false);
    const pose = this.readPose(target);
    const pr = pose.positions[0];
    const fell = pr.y < 0.5 * pT.y || pr.distanceTo(pT) > 0.5 * legLength(this.def) || !Number.isFinite(pr.x + pr.y + pr.z);
    const pelvisError = pr.clone().sub(pT);
    if (fell) {
      this.reset(target, jointVel);
      return { pose: this.readPose(target), assistFraction: assist / n, assistTorqueFraction: assistT / n, residualFraction: resid / n, residualTorqueFraction: residT / n, fell, pelvisError };
    }
    return { pose, assistFraction: assist / n, assistTorqueFraction: assistT / n, residualFraction: resid / n, residualTorqueFraction: residT / n, fell, pelvisError };
  }

  /**
   * Per foot: true when one of its sole corners is within contactHeight of the floor.
   */
  private touching(): [boolean, boolean] {
    const t = [0, 1].map((k) => this.soleWorld(k).some((c) => c.y < this.o.contactHeight));
    return [t[0], t[1]];
  }

  /**
   * The part of the desired root wrench (force f, N, and torque tq about the pelvis at `pelvis`,
   * N m, world) that the stance feet (`stance`: planted in the target and touching the floor)
   * could supply through their contact (see PhysicsOptions.contactResidual), or null when there is
   * none. Returns the extra ground force `force` (N), the point `cop` where the whole ground force
   * (the weight `load`, N, vertical, plus `force`) acts, inside the support polygon (the hull of the
   * stance soles' corners), the yaw moment `yaw` (N m) and the wrench this gives about the pelvis
   * beyond holding the weight at the centre of mass's ground point (`torque`, N m).
   */
  private contactWrench(f: Vector3, tq: Vector3, pelvis: Vector3, load: number, stance: [boolean, boolean]): { force: Vector3; torque: Vector3; cop: Vector3; yaw: number } | null {
    const pts: Vector3[] = [];
    for (let k = 0; k < 2; k++) if (stance[k]) for (const c of this.soleWorld(k)) pts.push(c.setY(0));
    if (pts.length === 0) return null;
    const weight = this.totalMass * 9.81;
    const inPolygon = (q: Vector3): Vector3 => q.clone().sub(outsideHull(pts, q)).setY(0);
    const q0 = inPolygon(this.centreOfMass().setY(0));
    const force = f.clone();
    force.y = Math.min(weight, Math.max(-0.9 * load, force.y));
    const T = load + force.y;
    const hMax = this.o.residualFriction * this.o.friction * T;
    const h = Math.hypot(force.x, force.z);
    if (h > hMax) {
      force.x *= hMax / h;
      force.z *= hMax / h;
    }
    // the extra force acts on the ground at q0: its moment about the pelvis; the rest of the wanted
    // torque from moving the whole load's centre of pressure to q1: (q1 - q0) x (0, T, 0) = T (-dz, 0, dx)
    const torque = q0.clone().sub(pelvis).cross(force);
    const need = tq.clone().sub(torque);
    const cop = inPolygon(new Vector3(q0.x + need.z / T, 0, q0.z - need.x / T));
    torque.x += -T * (cop.z - q0.z);
    torque.z += T * (cop.x - q0.x);
    const yawMax = this.o.friction * T * 0.5 * this.soleHalf[0];
    const yaw = Math.min(yawMax, Math.max(-yawMax, need.y));
    torque.y += yaw;
    return { force, torque, cop, yaw };
  }

  /**
   * Adds the feedforward joint torques of this substep (equal and opposite on each joint's two
   * bodies, so internal, not an external help): every joint holds its subtree against gravity, and
   * the legs of planted feet (contacts, from the target) carry `support` newtons upward from a sole
   * point under the centre of mass, shared by the centre of mass's position between the feet. With
   * `extra` (the contact residual, contactWrench) the stance legs instead transmit the ground force
   * support + extra.force from extra.cop and the yaw moment extra.yaw (Jacobian transpose).
   */
  private feedforward(contacts: [boolean, boolean], support: number, extra: { force: Vector3; cop: Vector3; yaw: number } | null = null): void {
    const n = this.def.joints.length;
    const mc: Vector3[] = [];
    const m = new Array<number>(n).fill(0);
    const pos: (Vector3 | null)[] = [];
    for (let i = 0; i < n; i++) {
      const b = this.bodies[i];
      mc.push(new Vector3());
      if (!b) {
        pos.push(null);
        continue;
      }
      const c = b.worldCom();
      const t = b.translation();
      mc[i].set(c.x, c.y, c.z).multiplyScalar(this.mass[i]);
      m[i] = this.mass[i];
      pos.push(new Vector3(t.x, t.y, t.z));
    }
    // subtree sums, children after parents in def.joints
    for (let i = n - 1; i > 0; i--) {
      const p = this.parents[i];
      m[p] += m[i];
      mc[p].add(mc[i]);
    }
    const com = mc[0].clone().divideScalar(m[0]);
    // planted feet: sole centres on the floor, the centre of mass (or the residual's centre of
    // pressure) projected between them
    const soles = this.feet.map((f, k) => {
      const b = this.bodies[f]!;
      const r = b.rotation();
      return this.soleCentre[k].clone().applyQuaternion(new Quaternion(r.x, r.y, r.z, r.w)).add(pos[f]!).setY(0);
    });
    const share = [contacts[0] ? 1 : 0, contacts[1] ? 1 : 0];
    const cop = soles.map((s) => s.clone());
    const ch = extra ? extra.cop.clone() : com.clone().setY(0);
    if (share[0] && share[1]) {
      const ab = soles[1].clone().sub(soles[0]);
      const t = ab.lengthSq() > 1e-9 ? Math.min(1, Math.max(0, ch.clone().sub(soles[0]).dot(ab) / ab.lengthSq())) : 0.5;
      share[0] = 1 - t;
      share[1] = t;
      const off = ch.clone().sub(soles[0].clone().addScaledVector(ab, t));
      cop.forEach((c, k) => c.add(off.clone().clampLength(0, this.soleHalf[k])));
    } else {
      cop.forEach((c, k) => c.add(ch.clone().sub(c).clampLength(0, this.soleHalf[k])));
    }
    const g = new Vector3(0, -9.81, 0);
    const grf = new Vector3(0, support, 0);
    if (extra) grf.add(extra.force);
    const tau = new Vector3();
    const tmp = new Vector3();
    const fk = new Vector3();
    for (let i = 1; i < n; i++) {
      const j = this.joints[i];
      if (!j) continue;
      const p = pos[i]!;
      // -(sum over the subtree of (c_b - p) x m_b g)
      tau.copy(mc[i]).addScaledVector(p, -m[i]).cross(g).negate();
      const side = this.legSide[i];
      if (side >= 0 && share[side] > 0) {
        fk.copy(grf).multiplyScalar(share[side]);
        tau.sub(tmp.copy(cop[side]).sub(p).cross(fk));
        if (extra) tau.y -= share[side] * extra.yaw;
      }
      this.bodies[i]!.addTorque({ x: tau.x, y: tau.y, z: tau.z }, true);
      this.bodies[this.parents[i]]!.addTorque({ x: -tau.x, y: -tau.y, z: -tau.z }, true);
    }
  }

  /**
   * Whole-body centre of mass, metres: of the simulated bodies, or with positions and rots of the
   * pose whose joints and link rotations are given (the bodies' local centres of mass carried along).
   */
  private centreOfMass(positions?: Vector3[], rots?: Quaternion[]): Vector3 {
    const c = new Vector3();
    const tmp = new Vector3();
    this.bodies.forEach((b, i) => {
      if (!b) return;
      if (positions && rots) {
        const l = b.localCom();
        tmp.set(l.x, l.y, l.z).applyQuaternion(rots[i]).add(positions[i]);
      } else {
        const w = b.worldCom();
        tmp.set(w.x, w.y, w.z);
      }
      c.addScaledVector(tmp, this.mass[i]);
    });
    return c.divideScalar(this.totalMass);
  }

  /** Horizontal velocity of the simulated centre of mass (y = 0), m/s. */
  private comVelocity(): Vector3 {
    const v = new Vector3();
    this.bodies.forEach((b, i) => {
      if (!b) return;
      const l = b.linvel();
      v.x += this.mass[i] * l.x;
      v.z += this.mass[i] * l.z;
    });
    return v.divideScalar(this.totalMass);
  }

  /**
   * Reactive stepping (PhysicsOptions.stepping), once per frame: releases the held feet whose
   * target foot lifts or moves, starts a step when the capture point leaves the support polygon,
   * advances the swing. Returns the contacts to use (the swing foot off the ground) and the link
   * rotations with the swing and held legs re-aimed by two-bone IK at their ankles' world positions
   * (carried into the target's frame through the simulated pelvis). comHeight: the target centre
   * of mass's height, metres; frameDt, seconds.
   */
  private reactiveStep(target: SkeletonPose, rots: Quaternion[], comHeight: number, frameDt: number): { contacts: [boolean, boolean]; rots: Quaternion[]; goal: Vector3 | null } {
    const L = legLength(this.def);
    const feetT = this.feet.map((f) => target.positions[f].clone());
    const prev = this.prevTargetFeet;
    const still = prev !== null && feetT.every((p, k) => p.distanceTo(prev[k]) < 0.1 * L * frameDt);
    this.prevTargetFeet = feetT;
    for (let k = 0; k < 2; k++) {
      const ref = this.heldTarget[k];
      if (target.contacts[k] && (ref === null || ref.distanceTo(feetT[k]) < 0.05 * L)) continue;
      this.held[k] = null;
      this.heldTarget[k] = null;
      if (this.swing?.k === k) this.swing = null;
    }
    const h = Math.max(0.05, comHeight);
    this.sinceStep += frameDt;
    if (this.o.stepping && !this.swing && this.sinceStep > 0.5 && still && target.contacts[0] && target.contacts[1]) this.startStep(h, feetT);
    const ankles: (Vector3 | null)[] = [...this.held];
    const sw = this.swing;
    if (sw) {
      if (sw.t < 0.7 * sw.duration) this.aimSwing(h); // feedback until shortly before touch-down
      sw.t += frameDt;
      const u = Math.min(1, sw.t / sw.duration);
      // smoothstep across, lifted by 10% of the leg length at mid-swing
      ankles[sw.k] = sw.from.clone().lerp(sw.to, u * u * (3 - 2 * u)).setY(sw.from.y + 0.1 * L * Math.sin(Math.PI * u));
      if (u >= 1) {
        this.held[sw.k] = sw.to.clone();
        this.swing = null;
        this.sinceStep = 0;
      }
    }
    const contacts: [boolean, boolean] = [target.contacts[0] && sw?.k !== 0, target.contacts[1] && sw?.k !== 1];
    // on one foot the balance centres the body over the stance sole, not over the target's midline
    const goal = sw ? centroid(this.soleWorld(1 - sw.k)) : null;
    if (!ankles[0] && !ankles[1]) return { contacts, rots, goal };
    // world -> target frame by the pelvis's offset only: carrying the feet through the simulated
    // pelvis's rotation would leave nothing to hold the pelvis upright
    const t = this.bodies[0]!.translation();
    const offset = target.positions[0].clone().sub(new Vector3(t.x, t.y, t.z));
    const pos = target.positions.map((p) => p.clone());
    const pole = new Vector3(0, 0, -1).applyQuaternion(target.yaw);
    ankles.forEach((w, k) => {
      if (!w) return;
      const ankle = this.feet[k];
      const wT = w.clone().add(offset);
      // two bones below the hip; a longer chain (a hock) keeps its rest below the second bone
      const [hip, mid, end] = this.legChains[k];
      const endT = wT.clone().add(pos[end]).sub(pos[ankle]);
      const ik = solveTwoBoneIk(pos[hip], endT, pos[mid].distanceTo(pos[hip]), pos[end].distanceTo(pos[mid]), pole);
      const shift = ik.end.clone().sub(pos[end]);
      pos[mid].copy(ik.mid);
      this.def.joints.forEach((_, j) => {
        if (this.isBelow(j, end)) pos[j].add(shift);
      });
    });
    return { contacts, rots: linkRotations(this.def, { ...target, positions: pos }), goal };
  }

  /**
   * Swing-foot clearance and placement and stance tracking (PhysicsOptions.swingLift,
   * swingPlacement, swingPlacementVel, stanceTracking), once per frame: the legs of the feet free
   * (planted) in the target and not driven by a reactive step are re-aimed by two-bone IK at a
   * moved ankle target. Returns rots unchanged when
   * the options are off or no foot is free. vcT: target centre-of-mass velocity, m/s; frameDt, s;
   * speedT: the target pelvis's horizontal speed, m/s.
   */
  private placeSwing(target: SkeletonPose, rots: Quaternion[], vcT: Vector3, frameDt: number, speedT: number): Quaternion[] {
    for (let k = 0; k < 2; k++) {
      this.freeTime[k] = target.contacts[k] ? 0 : this.freeTime[k] + frameDt;
      this.plantTime[k] = target.contacts[k] ? this.plantTime[k] + frameDt : 0;
    }
    this.stanceShare.fill(0);
    const { swingLift, swingPlacement, swingPlacementVel, stanceTracking } = this.o;
    const swingOn = swingLift > 0 || swingPlacement !== 0 || swingPlacementVel !== 0;
    const mine = (k: number): boolean => !this.held[k] && this.swing?.k !== k;
    const free = swingOn ? [0, 1].filter((k) => !target.contacts[k] && mine(k)) : [];
    const planted = stanceTracking !== 0 ? [0, 1].filter((k) => target.contacts[k] && mine(k) && this.plantTime[k] < this.o.stanceTrackingTime + 0.5) : [];
    if (free.length === 0 && planted.length === 0) return rots;
    const L = legLength(this.def);
    const t = this.bodies[0]!.translation();
    const shift = new Vector3(target.positions[0].x - t.x, 0, target.positions[0].z - t.z).multiplyScalar(swingPlacement);
    if (swingPlacementVel !== 0) shift.addScaledVector(this.comVelocity().sub(vcT).setY(0), swingPlacementVel);
    shift.clampLength(0, 0.3 * L);
    const pos = target.positions.map((p) => p.clone());
    const goals: [number, Vector3][] = free.map((k) => {
      const ramp = Math.min(1, this.freeTime[k] / 0.1);
      const ankle = this.feet[k];
      const goal = pos[ankle].clone().addScaledVector(shift, ramp);
      goal.y = Math.max(goal.y, this.def.joints[ankle].rest[1] + swingLift * L * ramp);
      return [k, goal];
    });
    for (const k of planted) {
      const ankle = this.feet[k];
      const a = this.bodies[ankle]!.translation();
      const slip = new Vector3(a.x - pos[ankle].x, 0, a.z - pos[ankle].z).multiplyScalar(stanceTracking).clampLength(0, 0.3 * L);
      const sincePlant = this.plantTime[k];
      const w = Math.min(1, sincePlant / 0.1, Math.max(0, (this.o.stanceTrackingTime + 0.5 - sincePlant) / 0.5), speedT / (0.25 * L));
      this.stanceShare[k] = stanceTracking * w;
      if (w > 0) goals.push([k, pos[ankle].clone().addScaledVector(slip, w)]);
    }
    if (goals.length === 0) return rots;
    for (const [k, goal] of goals) {
      const ankle = this.feet[k];
      const [hip, mid, end] = this.legChains[k];
      const endT = goal.add(pos[end]).sub(pos[ankle]);
      // bend toward where the target's knee already is
      const pole = pos[mid].clone().sub(pos[hip].clone().add(pos[end]).multiplyScalar(0.5));
      if (pole.lengthSq() < 1e-8) pole.set(0, 0, -1).applyQuaternion(target.yaw);
      const ik = solveTwoBoneIk(pos[hip], endT, pos[mid].distanceTo(pos[hip]), pos[end].distanceTo(pos[mid]), pole);
      const d = ik.end.clone().sub(pos[end]);
      pos[mid].copy(ik.mid);
      this.def.joints.forEach((_, j) => {
        if (this.isBelow(j, end)) pos[j].add(d);
      });
    }
    return linkRotations(this.def, { ...target, positions: pos });
  }

  /**
   * The inertia that scales joint i's motor gains now (kp, kd times it), kg m^2: for a leg joint
   * the stance or the swing value (PhysicsOptions.swingGain); 0 for a joint without a motor.
   */
  motorInertia(i: number): number {
    return this.motorI[i] ?? 0;
  }

  /** Motor gains of the leg joints for this frame: stance or swing inertia per foot (PhysicsOptions.swingGain). */
  private setLegGains(contacts: [boolean, boolean]): void {
    this.joints.forEach((j, i) => {
      const side = this.legSide[i];
      if (!j || side < 0) return;
      const I = contacts[side] ? this.stanceI[i] : this.swingI[i];
      if (I === this.motorI[i]) return;
      this.motorI[i] = I;
      for (const ax of [RAPIER.JointAxis.AngX, RAPIER.JointAxis.AngY, RAPIER.JointAxis.AngZ]) j.configureMotorPosition(ax, 0, this.o.kp * I, this.o.kd * I);
    });
  }

  /** True when joint j is `a` or one of its descendants. */
  private isBelow(j: number, a: number): boolean {
    for (let i = j; i >= 0; i = this.parents[i]) if (i === a) return true;
    return false;
  }

  /** World corners of foot k's sole on the floor, metres. */
  private soleWorld(k: number): Vector3[] {
    const b = this.bodies[this.feet[k]]!;
    const r = b.rotation();
    const q = new Quaternion(r.x, r.y, r.z, r.w);
    const t = b.translation();
    return this.soleCorners[k].map((p) => p.clone().applyQuaternion(q).add(new Vector3(t.x, t.y, t.z)));
  }

  /**
   * Starts a reactive step when the capture point (centre-of-mass height h, metres) is outside the
   * hull of both soles by more than 1% of the leg length: the foot whose sole centre is farther
   * from it swings for sqrt(h / g) seconds. feetT: the target ankles, metres.
   */
  private startStep(h: number, feetT: Vector3[]): void {
    const L = legLength(this.def);
    const cp = this.centreOfMass().addScaledVector(this.comVelocity(), Math.sqrt(h / 9.81)).setY(0);
    if (outsideHull([...this.soleWorld(0), ...this.soleWorld(1)], cp).length() < 0.01 * L) return;
    const far = [0, 1].map((k) => centroid(this.soleWorld(k)).distanceTo(cp));
    const k = far[0] > far[1] ? 0 : 1;
    const a = this.bodies[this.feet[k]]!.translation();
    const from = new Vector3(a.x, a.y, a.z);
    this.swing = { k, t: 0, duration: Math.sqrt(h / 9.81), from, fromSole: centroid(this.soleWorld(k)).setY(0), to: from.clone() };
    this.heldTarget[k] = feetT[k].clone();
    // the stance foot stays where it is: its leg following the target would push the pelvis back over it
    const j = 1 - k;
    if (!this.held[j]) {
      const s = this.bodies[this.feet[j]]!.translation();
      this.held[j] = new Vector3(s.x, s.y, s.z);
      this.heldTarget[j] = feetT[j].clone();
    }
    this.aimSwing(h);
  }

  /**
   * Sets the swing's landing ankle: its sole centre on the capture point predicted at touch-down
   * (diverging from the stance sole's hull, exp(omega t_left)), at most 0.6 leg lengths from the
   * stance sole's centre, and sideways (away from the stance foot) never narrower than at lift-off
   * and at least 10% of the leg length outward of that predicted point. h: centre-of-mass height, metres.
   */
  private aimSwing(h: number): void {
    const sw = this.swing!;
    const omega = Math.sqrt(9.81 / h);
    const stance = this.soleWorld(1 - sw.k);
    const cp = this.centreOfMass().addScaledVector(this.comVelocity(), 1 / omega).setY(0);
    const out = outsideHull(stance, cp);
    const pred = cp.addScaledVector(out, Math.exp(omega * Math.max(0, sw.duration - sw.t)) - 1);
    const base = centroid(stance).setY(0);
    const sole = pred.clone().sub(base).clampLength(0, 0.6 * legLength(this.def)).add(base);
    // never narrower than the stance at lift-off: a narrow base lets the sideways sway out
    const move = sole.sub(sw.fromSole);
    const wide = sw.fromSole.clone().sub(base).setY(0).normalize();
    // sideways: outward far enough that the predicted capture point lies inside the landed sole
    const need = Math.max(0, pred.clone().sub(sw.fromSole).dot(wide) + 0.1 * legLength(this.def));
    move.addScaledVector(wide, need - move.dot(wide));
    sw.to.copy(sw.from).add(move.setY(0));
  }

  /**
   * Ankle strategy: the targets of the planted feet's ankles (contacts, from the target) lean the
   * body above them about the feet so that the horizontal capture point returns to the target's
   * (cT, vcT: target centre of mass, metres, and its velocity, m/s), moved by the mean slip of the
   * planted feet from their targets; see PhysicsOptions.balanceGain.
   */
  private balance(contacts: [boolean, boolean], targetPositions: Vector3[], rots: Quaternion[], cT: Vector3, vcT: Vector3, goal: Vector3 | null): void {
    if (!contacts[0] && !contacts[1]) return;
    const c = this.centreOfMass();
    const v = this.comVelocity();
    // the target centre of mass carried along with the planted feet (a lean cannot move the feet)
    const slip = new Vector3();
    let planted = 0;
    this.feet.forEach((f, k) => {
      if (!contacts[k]) return;
      const t = this.bodies[f]!.translation();
      // the part of the slip that the stance tracking does not already take back
      const keep = 1 - this.stanceShare[k];
      slip.x += keep * (t.x - targetPositions[f].x);
      slip.z += keep * (t.z - targetPositions[f].z);
      planted++;
    });
    const h = Math.max(0.05, cT.y);
    const xi = (goal ? c.sub(goal).addScaledVector(v, 1 / Math.sqrt(9.81 / h)) : c.sub(cT).addScaledVector(slip, -1 / planted).addScaledVector(v.sub(vcT), 1 / Math.sqrt(9.81 / h))).setY(0);
    // rotation vector rho = -(k / h) (Y x xi) moves a point h above the ankle by -k xi
    const axis = new Vector3(0, 1, 0).cross(xi);
    const rot = (gain: number, max: number): Quaternion => {
      const rho = axis.clone().multiplyScalar(-gain / h).clampLength(0, max);
      const ang = rho.length();
      return ang > 1e-9 ? new Quaternion().setFromAxisAngle(rho.divideScalar(ang), ang) : new Quaternion();
    };
    const lean = rot(this.o.balanceGain, this.o.maxLean);
    const inv = new Quaternion();
    // joint i's target with its parent's target turned by q in the world and its own kept
    const lift = (i: number, q: Quaternion): void => {
      const rel = inv.copy(q).multiply(rots[this.parents[i]]).invert().multiply(rots[i]);
      this.joints[i]!.setFrameX1({ x: rel.x, y: rel.y, z: rel.z, w: rel.w });
    };
    this.feet.forEach((f, k) => {
      if (!this.joints[f] || !contacts[k]) return;
      lift(f, lean);
    });
  }

  /**
   * Applies an impulse, N·s (world frame), at the centre of mass of joint i's body (a push).
   * @throws RangeError when joint i has no body (a leaf such as a toe).
   */
  applyImpulse(i: number, impulse: Vector3): void {
    const b = this.bodies[i];
    if (!b) throw new RangeError(`PhysicsTracker.applyImpulse: joint ${i} (${this.def.joints[i]?.name}) has no body`);
    b.applyImpulse({ x: impulse.x, y: impulse.y, z: impulse.z }, true);
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
