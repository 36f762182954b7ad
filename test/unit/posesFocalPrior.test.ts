import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random';
import { bundleAdjust, type BundleProblem } from '../../src/poses/bundleAdjust';
import { mul3 } from '../../src/poses/linalg';
import { projectPoint } from '../../src/poses/projection';
import { rotationFromAxisAngle } from '../../src/poses/rotation';
import { makeScene, projectAll } from './posesSynthetic';

/** A small bundle problem (4 orbit cameras, 120 points, true focal 500 px, 0.3 px noise), perturbed, starting at focal 520. */
function problem(seed: number): BundleProblem {
  const scene = makeScene('orbit', 4, seed, 500, 120);
  const random = new Random(seed + 100);
  const obsCamera: number[] = [];
  const obsPoint: number[] = [];
  const obsXy: number[] = [];
  scene.cameras.forEach((cam, c) => {
    const proj = projectAll(scene, cam);
    for (let k = 0; k < proj.length / 2; k++) {
      if (Number.isNaN(proj[2 * k])) continue;
      obsCamera.push(c);
      obsPoint.push(k);
      obsXy.push(proj[2 * k] + 0.3 * random.normal(), proj[2 * k + 1] + 0.3 * random.normal());
    }
  });
  return {
    cameras: scene.cameras.map((c, i) => ({
      R: i === 0 ? Float64Array.from(c.R) : mul3(rotationFromAxisAngle([0.01 * random.normal(), 0.01 * random.normal(), 0.01 * random.normal()]), c.R),
      t: i === 0 ? Float64Array.from(c.t) : c.t.map((x) => x + 0.02 * random.normal()),
      cx: c.cx,
      cy: c.cy,
      focalIndex: 0,
    })),
    focals: Float64Array.from([520]),
    points: scene.points.map((x) => x + 0.01 * random.normal()),
    obsCamera: Uint32Array.from(obsCamera),
    obsPoint: Uint32Array.from(obsPoint),
    obsXy: Float64Array.from(obsXy),
  };
}

/** Sum of Huber costs of the observations (threshold 2 px), as bundleAdjust's data term. */
function dataCost(p: BundleProblem, delta = 2): number {
  let cost = 0;
  for (let k = 0; k < p.obsCamera.length; k++) {
    const cam = p.cameras[p.obsCamera[k]];
    const q = projectPoint(cam.R, cam.t, p.focals[0], cam.cx, cam.cy, p.points.subarray(3 * p.obsPoint[k], 3 * p.obsPoint[k] + 3));
    const e = Math.hypot(q.u - p.obsXy[2 * k], q.v - p.obsXy[2 * k + 1]);
    cost += e <= delta ? e * e : 2 * delta * e - delta * delta;
  }
  return cost;
}

describe('bundle adjustment focal prior (log f residual)', () => {
  it('free focal goes to the truth, a tight prior holds the prior, a moderate one lands in between; the cost includes the prior term', () => {
    const free = problem(3);
    bundleAdjust(free, { fixedCamera: 0, scaleCamera: 1, maxIterations: 40 });
    expect(Math.abs(free.focals[0] - 500) / 500).toBeLessThan(0.005);

    const tight = problem(3);
    bundleAdjust(tight, { fixedCamera: 0, scaleCamera: 1, maxIterations: 40, focalPrior: { focals: [520], sigmaLog: [1e-5] } });
    expect(Math.abs(tight.focals[0] - 520)).toBeLessThan(0.5);

    const moderate = problem(3);
    const sigma = 0.002;
    const report = bundleAdjust(moderate, { fixedCamera: 0, scaleCamera: 1, maxIterations: 40, focalPrior: { focals: [520], sigmaLog: [sigma] } });
    const f = moderate.focals[0];
    expect(f).toBeGreaterThan(free.focals[0] + 1);
    expect(f).toBeLessThan(519);
    const priorTerm = (Math.log(f / 520) / sigma) ** 2;
    expect(priorTerm).toBeGreaterThan(1);
    expect(report.finalCost).toBeCloseTo(dataCost(moderate) + priorTerm, 6);

    // an infinite sigma is no prior at all
    const none = problem(3);
    bundleAdjust(none, { fixedCamera: 0, scaleCamera: 1, maxIterations: 40, focalPrior: { focals: [520], sigmaLog: [Infinity] } });
    expect(none.focals[0]).toBeCloseTo(free.focals[0], 6);
  });

  it('rejects a prior of the wrong length, a non-positive focal or sigma', () => {
    expect(() => bundleAdjust(problem(4), { focalPrior: { focals: [520, 500], sigmaLog: [0.1, 0.1] } })).toThrow(/one per focal group/);
    expect(() => bundleAdjust(problem(4), { focalPrior: { focals: [-1], sigmaLog: [0.1] } })).toThrow(/positive number of pixels/);
    expect(() => bundleAdjust(problem(4), { focalPrior: { focals: [520], sigmaLog: [0] } })).toThrow(/sigmaLog 0 must be > 0/);
  });
});
