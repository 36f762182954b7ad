import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Quaternion, Vector3 } from 'three';
import { BodyEstimator } from '../../src/avatar/BodyEstimator';
import { armLength, jointIndex, legLength, makeCharacters, parentIndices } from '../../src/avatar/Character';
import { Retargeter } from '../../src/avatar/Retargeter';
import type { ThreePointFrame } from '../../src/avatar/types';

const yawQ = (deg: number): Quaternion => new Quaternion().setFromAxisAngle(new Vector3(0, 1, 0), (deg * Math.PI) / 180);

/** Standing user (head joint at 1.58 m, height ~1.75) facing yaw deg, hands at the given body-frame offsets from the head. */
function frame(t: number, yawDeg: number, l: Vector3, r: Vector3): ThreePointFrame {
  const q = yawQ(yawDeg);
  const head = new Vector3(0.3, 1.575, -0.2);
  return {
    time: t,
    head: { position: head, quaternion: q.clone() },
    left: { position: head.clone().add(l.clone().applyQuaternion(q)), quaternion: new Quaternion() },
    right: { position: head.clone().add(r.clone().applyQuaternion(q)), quaternion: new Quaternion() },
  };
}

// hand offsets from the head (x right, y up, z back): hanging, forward, overhead, far out (unreachable for short arms)
const HANDS: [Vector3, Vector3][] = [
  [new Vector3(-0.2, -0.75, 0), new Vector3(0.2, -0.75, 0)],
  [new Vector3(-0.15, -0.3, -0.5), new Vector3(0.15, -0.2, -0.55)],
  [new Vector3(-0.2, 0.35, -0.1), new Vector3(0.25, 0.3, 0)],
  [new Vector3(-0.8, -0.2, -0.1), new Vector3(0.1, -0.4, -0.3)],
];

describe('Retargeter', () => {
  for (const def of makeCharacters()) {
    it(`puts ${def.name}'s hands at the normalized target (or the reach clamp) within 1 mm`, () => {
      const est = new BodyEstimator('headJoint', { heightM: 1.75 });
      let rt: Retargeter | null = null;
      let clampedSeen = 0;
      let t = 0;
      for (const yawDeg of [0, 70]) {
        for (const [l, r] of HANDS) {
          const h = est.update(frame((t += 1 / 60), yawDeg, l, r));
          rt ??= new Retargeter(est.def!, def);
          const out = rt.update(h, t);
          const hd = est.def!;
          const hChest = h.positions[jointIndex(hd, 'chest')];
          const cChest = out.pose.positions[jointIndex(def, 'chest')];
          const yawInv = h.yaw.clone().invert();
          (['l', 'r'] as const).forEach((s, si) => {
            // independent re-derivation of the normalized target
            const n = h.positions[jointIndex(hd, s + 'Wrist')].clone().sub(hChest).applyQuaternion(yawInv).divideScalar(armLength(hd));
            const want = cChest.clone().add(n.multiplyScalar(armLength(def)).applyQuaternion(h.yaw));
            const sh = out.pose.positions[jointIndex(def, s + 'Shoulder')];
            const reach = armLength(def) * (1 - 1e-4); // the Retargeter's reach (a hair short of straight)
            const clamped = want.distanceTo(sh) > reach;
            if (clamped) want.sub(sh).setLength(reach).add(sh);
            expect(out.targets.clamped[si]).toBe(clamped);
            clampedSeen += clamped ? 1 : 0;
            const wrist = out.pose.positions[jointIndex(def, s + 'Wrist')];
            expect(wrist.distanceTo(want)).toBeLessThan(1e-3);
            expect(wrist.distanceTo(s === 'l' ? out.targets.lHand : out.targets.rHand)).toBeLessThan(1e-3);
          });
        }
      }
      // the far-out hand is beyond the short dinosaur / mouse arms: the clamp must have been exercised there
      if (def.name !== 'human') expect(clampedSeen).toBeGreaterThan(0);
    });

    it(`places ${def.name}'s feet at the leg-length-scaled human feet and keeps tails attached and above ground`, () => {
      const est = new BodyEstimator('headJoint', { heightM: 1.75 });
      const h = est.update(frame(0, 30, HANDS[0][0], HANDS[0][1]));
      const rt = new Retargeter(est.def!, def);
      const out = rt.update(h, 0);
      const k = legLength(def) / legLength(est.def!);
      for (const s of ['l', 'r']) {
        const ha = h.positions[jointIndex(est.def!, s + 'Ankle')];
        const ca = out.pose.positions[jointIndex(def, s + 'Ankle')];
        expect(Math.hypot(ca.x - ha.x * k, ca.z - ha.z * k)).toBeLessThan(1e-3);
      }
      // head reaches its target; every joint finite and above the floor by its radius
      expect(out.pose.positions[jointIndex(def, 'head')].distanceTo(out.targets.head)).toBeLessThan(1e-6);
      const parents = parentIndices(def);
      def.joints.forEach((j, i) => {
        const p = out.pose.positions[i];
        expect(Number.isFinite(p.x + p.y + p.z)).toBe(true);
        expect(p.y).toBeGreaterThanOrEqual(j.radius - 1e-9);
        if (j.drive === 'spring') {
          const rest = new Vector3(...j.rest).distanceTo(new Vector3(...def.joints[parents[i]].rest));
          expect(p.distanceTo(out.pose.positions[parents[i]])).toBeCloseTo(rest, 6);
        }
      });
    });
  }

  it('moves tails with springs: a turning body makes the tail lag, then settle', () => {
    const dino = makeCharacters()[1];
    const est = new BodyEstimator('headJoint', { heightM: 1.75 });
    let rt: Retargeter | null = null;
    const tip = jointIndex(dino, 'tail4');
    let lagMax = 0;
    let last = 0;
    for (let i = 0; i < 240; i++) {
      const yaw = i < 30 ? 0 : 90; // sudden turn at frame 30
      const h = est.update(frame(i / 60, yaw, HANDS[0][0], HANDS[0][1]));
      rt ??= new Retargeter(est.def!, dino);
      const out = rt.update(h, i / 60);
      const pelvis = out.pose.positions[jointIndex(dino, 'pelvis')];
      // the rigid rest tail direction is +Z rotated by the current yaw
      const rigid = new Vector3(0, 0, 1).applyQuaternion(h.yaw);
      const dir = out.pose.positions[tip].clone().sub(pelvis).setY(0).normalize();
      const lag = Math.acos(Math.min(1, dir.dot(rigid)));
      if (i > 30 && i < 60) lagMax = Math.max(lagMax, lag);
      last = lag;
    }
    expect(lagMax).toBeGreaterThan(0.1);
    expect(last).toBeLessThan(0.05);
  });
});

describe('BodyEstimator', () => {
  it('keeps planted feet still while the user stands and steps when the user walks away', () => {
    const est = new BodyEstimator('headJoint', { heightM: 1.75 });
    let p0: Vector3 | null = null;
    for (let i = 0; i < 60; i++) {
      const pose = est.update(frame(i / 60, 0, HANDS[0][0], HANDS[0][1]));
      const a = pose.positions[jointIndex(est.def!, 'lAnkle')];
      p0 ??= a.clone();
      expect(a.distanceTo(p0)).toBeLessThan(1e-6);
      expect(pose.contacts).toEqual([true, true]);
    }
    let swung = 0;
    for (let i = 0; i < 120; i++) {
      const f = frame(1 + i / 60, 0, HANDS[0][0], HANDS[0][1]);
      for (const p of [f.head, f.left, f.right]) p.position.z -= 1.2 * (i / 60); // walk forward at 1.2 m/s
      const pose = est.update(f);
      swung += pose.contacts.filter((c) => !c).length;
    }
    expect(swung).toBeGreaterThan(10);
    // the feet followed the body: at the end they are within a leg length of the pelvis
    const pose = est.update(frame(3.1, 0, HANDS[0][0], HANDS[0][1]));
    expect(Number.isFinite(pose.positions[0].x)).toBe(true);
  });

  it('lets the arm hang when its controller is put down (no motion for 2 s), and follows it again when it moves', () => {
    const est = new BodyEstimator('headJoint', { heightM: 1.75 });
    const table = new Vector3(0.6, -0.7, -0.5); // left controller lying on a table, out of reach
    const lw = (pose: ReturnType<BodyEstimator['update']>): Vector3 => pose.positions[jointIndex(est.def!, 'lWrist')];
    let pose = est.update(frame(0, 0, table, HANDS[0][1]));
    const reachingX = lw(pose).x;
    for (let i = 1; i <= 180; i++) pose = est.update(frame(i / 60, 0, table, HANDS[0][1].clone().setZ(0.01 * Math.sin(i))));
    const sh = pose.positions[jointIndex(est.def!, 'lShoulder')];
    expect(lw(pose).x).toBeLessThan(sh.x + 0.05); // hangs at the left side, not toward the table on the right
    expect(reachingX).toBeGreaterThan(sh.x + 0.1);
    for (let i = 181; i <= 240; i++) pose = est.update(frame(i / 60, 0, table.clone().setY(-0.7 + 0.001 * i), HANDS[0][1]));
    expect(lw(pose).x).toBeGreaterThan(sh.x + 0.1); // reaching again
  });

  it('rejects non-finite input with a clear error', () => {
    const est = new BodyEstimator('eyes');
    const f = frame(0, 0, HANDS[0][0], HANDS[0][1]);
    f.left.position.x = NaN;
    expect(() => est.update(f)).toThrow(/left pose at t=0 is not finite/);
  });

  const data = resolve(__dirname, '../../../shared/data/motion/bvh/cmu/131_01.bvh');
  it.skipIf(!existsSync(data))('estimates the CMU 131_01 walk with a world MPJPE under 15 cm (skips without ../shared/data)', async () => {
    const { loadBvhFile } = await import('../../src/avatar/BvhClip');
    const { BvhSource } = await import('../../src/avatar/BvhSource');
    const { mpjpe, MPJPE_JOINTS } = await import('../../src/avatar/metrics');
    const src = new BvhSource(await loadBvhFile(data), { maxSeconds: 4 });
    const est = new BodyEstimator(src.headPoint, { measurements: src.measureSubject() });
    let sum = 0;
    for (let i = 0; i < src.frameCount; i++) {
      const pose = est.update(src.frame(i));
      sum += mpjpe(est.def!, pose, src.groundTruth(i), MPJPE_JOINTS, false);
    }
    const m = sum / src.frameCount;
    expect(m).toBeGreaterThan(0.005); // not trivially zero: only head and wrists are given
    expect(m).toBeLessThan(0.15);
  });
});
