import { describe, expect, it } from 'vitest';
import { Vector3 } from 'three';
import { solveTwoBoneIk } from '../../src/avatar/TwoBoneIk';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('TwoBoneIk', () => {
  it('reaches 500 random reachable targets within 1 mm, keeping bone lengths and bending toward the pole', () => {
    const r = rng(7);
    for (let n = 0; n < 500; n++) {
      const l1 = 0.1 + r() * 0.5;
      const l2 = 0.1 + r() * 0.5;
      const root = new Vector3(r() - 0.5, r() + 0.5, r() - 0.5);
      const dir = new Vector3(r() - 0.5, r() - 0.5, r() - 0.5).normalize();
      const d = Math.abs(l1 - l2) + 1e-3 + r() * (l1 + l2 - Math.abs(l1 - l2) - 2e-3);
      const target = root.clone().addScaledVector(dir, d);
      const pole = new Vector3(r() - 0.5, r() - 0.5, r() - 0.5);
      const { mid, end, reached } = solveTwoBoneIk(root, target, l1, l2, pole);
      expect(reached).toBe(true);
      expect(end.distanceTo(target)).toBeLessThan(1e-3);
      expect(mid.distanceTo(root)).toBeCloseTo(l1, 6);
      expect(end.distanceTo(mid)).toBeCloseTo(l2, 6);
      // the elbow lies on the pole side of the root->target line
      const off = mid.clone().sub(root).addScaledVector(dir, -mid.clone().sub(root).dot(dir));
      const poleOrth = pole.clone().addScaledVector(dir, -pole.dot(dir));
      if (poleOrth.length() > 1e-3 && off.length() > 1e-4) expect(off.dot(poleOrth)).toBeGreaterThan(0);
    }
  });

  it('stays finite for unreachable targets: too far (stretched toward it), too close, on the root, pole along the line', () => {
    const root = new Vector3(0, 1, 0);
    const far = solveTwoBoneIk(root, new Vector3(3, 1, 0), 0.3, 0.25, new Vector3(0, -1, 0));
    expect(far.reached).toBe(false);
    expect(far.end.distanceTo(root)).toBeCloseTo(0.55, 5);
    expect(far.end.y).toBeCloseTo(1, 5); // along root->target
    const near = solveTwoBoneIk(root, new Vector3(0.01, 1, 0), 0.3, 0.1, new Vector3(0, 0, 1));
    expect(near.reached).toBe(false);
    expect(near.end.distanceTo(root)).toBeCloseTo(0.2, 5);
    for (const res of [
      far,
      near,
      solveTwoBoneIk(root, root.clone(), 0.3, 0.3, new Vector3(0, 0, 0)),
      solveTwoBoneIk(root, new Vector3(0, 0.5, 0), 0.3, 0.3, new Vector3(0, -1, 0)),
      solveTwoBoneIk(root, new Vector3(1e6, -1e6, 1e6), 0.3, 0.3, new Vector3(1, 0, 0)),
    ]) {
      for (const v of [res.mid, res.end]) expect(Number.isFinite(v.x + v.y + v.z)).toBe(true);
    }
  });

  it('rejects non-finite input and bad lengths with a clear error', () => {
    expect(() => solveTwoBoneIk(new Vector3(), new Vector3(NaN, 0, 0), 1, 1, new Vector3(0, 1, 0))).toThrow(/target is not finite/);
    expect(() => solveTwoBoneIk(new Vector3(), new Vector3(), 0, 1, new Vector3(0, 1, 0))).toThrow(/bone lengths/);
  });
});
