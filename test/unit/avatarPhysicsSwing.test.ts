import { beforeAll, describe, expect, it } from 'vitest';
import { Quaternion, Vector3 } from 'three';
import { type CharacterDef, jointIndex, makeHuman } from '../../src/avatar/Character';
import { PhysicsTracker, initPhysics } from '../../src/avatar/PhysicsTracker';
import { solveTwoBoneIk } from '../../src/avatar/TwoBoneIk';
import type { SkeletonPose } from '../../src/avatar/types';

const RATE = 60;

function pose(def: CharacterDef, positions: Vector3[], contacts: [boolean, boolean]): SkeletonPose {
  return { positions, yaw: new Quaternion(), torso: new Quaternion(), head: new Quaternion(), contacts, footYaw: [new Quaternion(), new Quaternion()] };
}

/** Re-aims leg s ('l' | 'r') of positions at an ankle moved by `move` (knee forward, -Z), the toe carried along. */
function aimLeg(def: CharacterDef, positions: Vector3[], s: 'l' | 'r', move: Vector3): void {
  const [h, k, a, t] = ['Hip', 'Knee', 'Ankle', 'Toe'].map((n) => jointIndex(def, s + n));
  const goal = positions[a].clone().add(move);
  const ik = solveTwoBoneIk(positions[h], goal, positions[k].distanceTo(positions[h]), positions[a].distanceTo(positions[k]), new Vector3(0, 0, -1));
  positions[t].add(ik.end.clone().sub(positions[a]));
  positions[k].copy(ik.mid);
  positions[a].copy(ik.end);
}

/** Rest pose with the left foot lifted by dy metres (knee bent forward), the left foot free. */
function liftedLeft(def: CharacterDef, dy: number): SkeletonPose {
  const p = def.joints.map((j) => new Vector3(...j.rest));
  aimLeg(def, p, 'l', new Vector3(0, dy, 0));
  return pose(def, p, [false, true]);
}

function restPose(def: CharacterDef): SkeletonPose {
  return pose(def, def.joints.map((j) => new Vector3(...j.rest)), [true, true]);
}

/**
 * Stands 1 s on both feet, then tracks `next` for `seconds` (assist off); with `kick` (N·s) that
 * impulse hits the left foot 0.3 s after the switch. Returns the left ankle's height error 3 frames
 * after the switch and at the end, its largest horizontal distance from its target after the kick
 * (metres), and the falls.
 */
function run(swingGain: number, next: SkeletonPose, seconds: number, kick?: Vector3): { early: number; late: number; deflection: number; falls: number } {
  const def = makeHuman();
  const rest = restPose(def);
  const ph = new PhysicsTracker(def, rest, { maxAssist: 0, swingGain });
  let falls = 0;
  let early = 0;
  let late = 0;
  let deflection = 0;
  const a = jointIndex(def, 'lAnkle');
  const n = Math.round((1 + seconds) * RATE);
  const kickAt = Math.round(1.3 * RATE);
  for (let i = 0; i < n; i++) {
    if (kick && i === kickAt) ph.applyImpulse(a, kick);
    const s = ph.step(i < RATE ? rest : next, 1 / RATE);
    falls += s.fell ? 1 : 0;
    const d = s.pose.positions[a].clone().sub(next.positions[a]);
    if (i === RATE + 2) early = d.y;
    if (kick && i >= kickAt) deflection = Math.max(deflection, Math.hypot(d.x, d.z));
    late = d.y;
  }
  ph.dispose();
  return { early, late, deflection, falls };
}

describe('PhysicsTracker swing-leg gains (swingGain)', () => {
  beforeAll(async () => {
    await initPhysics();
  });

  it('with own-inertia swing gains a lifted foot still follows its target', () => {
    const def = makeHuman();
    const soft = run(0, liftedLeft(def, 0.1), 0.5);
    expect(soft.falls).toBe(0);
    expect(Math.abs(soft.late)).toBeLessThan(0.02);
  }, 60_000);

  it('the legs of free feet get their own-inertia motor gains, planted legs the stance floor', () => {
    const def = makeHuman();
    const [lk, rk, la, ra] = ['lKnee', 'rKnee', 'lAnkle', 'rAnkle'].map((n) => jointIndex(def, n));
    const rest = restPose(def);
    const lifted = liftedLeft(def, 0.1);
    for (const swingGain of [0, 0.5, 1]) {
      const ph = new PhysicsTracker(def, rest, { maxAssist: 0, swingGain });
      ph.step(rest, 1 / RATE);
      const stanceKnee = ph.motorInertia(rk);
      expect(stanceKnee).toBeGreaterThan(0);
      expect(ph.motorInertia(lk)).toBe(stanceKnee);
      ph.step(lifted, 1 / RATE);
      expect(ph.motorInertia(rk)).toBe(stanceKnee);
      if (swingGain === 1) expect(ph.motorInertia(lk)).toBe(stanceKnee);
      else {
        // the knee and ankle then carry only the shank and foot: far below the whole-body floor
        expect(ph.motorInertia(lk)).toBeLessThan(Math.max(0.2, swingGain) * stanceKnee + 1e-9);
        expect(ph.motorInertia(la)).toBeLessThan(ph.motorInertia(ra));
      }
      ph.step(rest, 1 / RATE);
      expect(ph.motorInertia(lk)).toBe(stanceKnee);
      ph.dispose();
    }
  }, 60_000);

  it('stance tracking leans the stance legs so that the pelvis follows a target that moves off the planted feet', () => {
    const def = makeHuman();
    const rest = restPose(def);
    // 0.5 s standing, then the whole target (feet planted) glides forward (-Z) at 0.3 m/s for 0.5 s
    const glide = (t: number): SkeletonPose => pose(def, rest.positions.map((p) => p.clone().add(new Vector3(0, 0, -0.3 * t))), [true, true]);
    const errAfter = (stanceTracking: number): number => {
      const ph = new PhysicsTracker(def, rest, { maxAssist: 0, stanceTracking });
      let err = 0;
      for (let i = 0; i < RATE; i++) {
        const target = i < RATE / 2 ? rest : glide((i - RATE / 2 + 1) / RATE);
        const s = ph.step(target, 1 / RATE);
        expect(s.fell).toBe(false);
        err = Math.hypot(s.pelvisError.x, s.pelvisError.z);
      }
      ph.dispose();
      return err;
    };
    const off = errAfter(0);
    const on = errAfter(0.5);
    // the feet stay where they stand: without the tracking the pelvis stays over them (~11 cm behind at the end)
    expect(off).toBeGreaterThan(0.08);
    expect(on).toBeLessThan(off - 0.03);
  }, 60_000);
});
