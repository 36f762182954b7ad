import { beforeAll, describe, expect, it } from 'vitest';
import { Quaternion, Vector3 } from 'three';
import { jointIndex, makeCharacters, makeHuman, type CharacterDef } from '../../src/avatar/Character';
import { PhysicsTracker, initPhysics, linkRotations } from '../../src/avatar/PhysicsTracker';
import type { SkeletonPose } from '../../src/avatar/types';

function restPose(def: CharacterDef): SkeletonPose {
  return { positions: def.joints.map((j) => new Vector3(...j.rest)), yaw: new Quaternion(), torso: new Quaternion(), head: new Quaternion(), contacts: [true, true], footYaw: [new Quaternion(), new Quaternion()] };
}

describe('PhysicsTracker (rapier)', () => {
  beforeAll(async () => {
    await initPhysics();
  });

  it('link rotations are identity in the rest pose and follow a rotated pose', () => {
    const def = makeHuman();
    for (const q of linkRotations(def, restPose(def))) expect(q.angleTo(new Quaternion())).toBeLessThan(1e-6);
    const yaw = new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), 1);
    const pose = restPose(def);
    pose.positions.forEach((p) => p.applyQuaternion(yaw));
    pose.yaw = yaw;
    for (const q of linkRotations(def, pose)) expect(q.angleTo(yaw)).toBeLessThan(1e-6);
  });

  for (const def of makeCharacters()) {
    it(`${def.name} stands in its rest pose for 1 s with the weak root assist, without falling`, () => {
      const pose = restPose(def);
      const ph = new PhysicsTracker(def, pose);
      let fell = 0;
      let assist = 0;
      let s = ph.step(pose, 1 / 60);
      for (let i = 0; i < 60; i++) {
        s = ph.step(pose, 1 / 60);
        fell += s.fell ? 1 : 0;
        assist += s.assistFraction;
      }
      expect(fell).toBe(0);
      expect(ph.totalMass).toBeGreaterThan(10);
      expect(assist / 60).toBeLessThanOrEqual(0.25 + 1e-9); // the cap: a weak assist
      const err = s.pose.positions.reduce((m, p, i) => Math.max(m, p.distanceTo(pose.positions[i])), 0);
      expect(err).toBeLessThan(0.1 * def.joints[0].rest[1] + 0.05);
      ph.dispose();
    });
  }

  it('drives a joint toward a new target with the PD motors (raised arm)', () => {
    const def = makeHuman();
    const pose = restPose(def);
    const ph = new PhysicsTracker(def, pose);
    // raise the right arm sideways to horizontal
    const target = restPose(def);
    const sh = target.positions[jointIndex(def, 'rShoulder')];
    const l1 = sh.distanceTo(target.positions[jointIndex(def, 'rElbow')]);
    const l2 = target.positions[jointIndex(def, 'rElbow')].distanceTo(target.positions[jointIndex(def, 'rWrist')]);
    target.positions[jointIndex(def, 'rElbow')].copy(sh).add(new Vector3(l1, 0, 0));
    target.positions[jointIndex(def, 'rWrist')].copy(sh).add(new Vector3(l1 + l2, 0, 0));
    const before = ph.step(pose, 1 / 60).pose.positions[jointIndex(def, 'rWrist')].distanceTo(target.positions[jointIndex(def, 'rWrist')]);
    let s = ph.step(target, 1 / 60);
    for (let i = 0; i < 60; i++) s = ph.step(target, 1 / 60);
    const after = s.pose.positions[jointIndex(def, 'rWrist')].distanceTo(target.positions[jointIndex(def, 'rWrist')]);
    expect(before).toBeGreaterThan(0.5);
    expect(after).toBeLessThan(0.1); // ~5 deg of gravity sag at the shoulder remains
    expect(() => ph.step(target, 0)).toThrow(/frameDt must be > 0/);
    ph.dispose();
  });
});
