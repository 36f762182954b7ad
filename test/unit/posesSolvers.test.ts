import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random';
import { bundleAdjust, type BundleProblem } from '../../src/poses/bundleAdjust';
import { decomposeEssential, essentialEightPoint, essentialRansac, recoverPose, sampsonDistanceSq } from '../../src/poses/essentialMatrix';
import { mul3, mulVec3, svd, svd3, transpose3 } from '../../src/poses/linalg';
import { pnpDLT, pnpRansac } from '../../src/poses/pnp';
import { cameraCenter, projectPoint, projectWithJacobian } from '../../src/poses/projection';
import { axisAngleFromRotation, rotationAngleBetween, rotationFromAxisAngle } from '../../src/poses/rotation';
import { poseErrors, umeyama } from '../../src/poses/sim3';
import { triangulateChecked, triangulateDLT } from '../../src/poses/triangulate';
import { makeScene, projectAll } from './posesSynthetic';

const deg = 180 / Math.PI;

/** Normalized coordinates of the points visible in both cameras a, b, with noise and outliers. */
function correspondences(sceneKind: 'forward' | 'orbit', a: number, b: number, noisePx: number, outlierFraction: number, seed = 3) {
  const scene = makeScene(sceneKind, 4, seed);
  const random = new Random(seed);
  const ca = scene.cameras[a];
  const cb = scene.cameras[b];
  const pa = projectAll(scene, ca);
  const pb = projectAll(scene, cb);
  const x1: number[] = [];
  const x2: number[] = [];
  const truth: number[] = [];
  for (let k = 0; k < pa.length / 2; k++) {
    if (Number.isNaN(pa[2 * k]) || Number.isNaN(pb[2 * k])) continue;
    const outlier = random.next() < outlierFraction;
    const ub = outlier ? random.uniform(0, scene.width) : pb[2 * k] + noisePx * random.normal();
    const vb = outlier ? random.uniform(0, scene.height) : pb[2 * k + 1] + noisePx * random.normal();
    x1.push((pa[2 * k] + noisePx * random.normal() - ca.cx) / ca.focal, (pa[2 * k + 1] + noisePx * random.normal() - ca.cy) / ca.focal);
    x2.push((ub - cb.cx) / cb.focal, (vb - cb.cy) / cb.focal);
    truth.push(outlier ? 0 : 1);
  }
  // relative pose camera a -> camera b
  const R = mul3(cb.R, transpose3(ca.R));
  const Rt = mulVec3(R, ca.t);
  const t = [cb.t[0] - Rt[0], cb.t[1] - Rt[1], cb.t[2] - Rt[2]];
  return { scene, x1: Float64Array.from(x1), x2: Float64Array.from(x2), truth: Uint8Array.from(truth), R, t };
}

function angleBetween(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const c = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (Math.hypot(a[0], a[1], a[2]) * Math.hypot(b[0], b[1], b[2]));
  return Math.acos(Math.min(1, Math.max(-1, c))) * deg;
}

describe('poses linear algebra', () => {
  it('SVD reconstructs the matrix with orthogonal factors', () => {
    const random = new Random(5);
    const A = Array.from({ length: 7 * 4 }, () => random.normal());
    const { U, S, V } = svd(A, 7, 4);
    for (let r = 0; r < 7; r++) for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += U[r * 4 + k] * S[k] * V[c * 4 + k];
      expect(s).toBeCloseTo(A[r * 4 + c], 10);
    }
    expect(S[0]).toBeGreaterThanOrEqual(S[1]);
    const { U: U3, V: V3 } = svd3([1, 2, 3, 4, 5, 6, 7, 8, 9]); // rank 2
    expect(Math.abs(mul3(U3, transpose3(U3))[4] - 1)).toBeLessThan(1e-12);
    expect(Math.abs(mul3(V3, transpose3(V3))[8] - 1)).toBeLessThan(1e-12);
  });

  it('axis-angle round trip, including angles near pi', () => {
    for (const w of [[0.1, -0.2, 0.3], [1e-9, 0, 2e-9], [Math.PI - 1e-6, 0, 0], [0, 2.0, -1.5]]) {
      const back = axisAngleFromRotation(rotationFromAxisAngle(w));
      expect(rotationAngleBetween(rotationFromAxisAngle(back), rotationFromAxisAngle(w))).toBeLessThan(1e-6);
    }
  });
});

describe('essential matrix', () => {
  it('8-point on exact data satisfies the epipolar constraint and matches [t]x R', () => {
    const { x1, x2, R, t } = correspondences('forward', 0, 2, 0, 0);
    expect(t.length).toBe(3);
    const E = essentialEightPoint(x1, x2)!;
    let worst = 0;
    for (let k = 0; k < x1.length / 2; k++) worst = Math.max(worst, Math.sqrt(sampsonDistanceSq(E, x1[2 * k], x1[2 * k + 1], x2[2 * k], x2[2 * k + 1])) * 500);
    expect(worst).toBeLessThan(1e-6); // pixels
    const candidates = decomposeEssential(E);
    const best = Math.min(...candidates.map((c) => rotationAngleBetween(c.R, R)));
    expect(best).toBeLessThan(1e-6);
  });

  it('RANSAC with 0.5 px noise and 30% outliers finds the inliers and the relative pose (small and wide baseline)', () => {
    for (const [kind, a, b] of [['forward', 0, 3], ['orbit', 0, 1]] as const) {
      const { x1, x2, truth, R, t } = correspondences(kind, a, b, 0.5, 0.3);
      const result = essentialRansac(x1, x2, { focalPx: 500, thresholdPx: 1.5, seed: 2 })!;
      let falsePositive = 0;
      let truePositive = 0;
      let inlierTotal = 0;
      for (let k = 0; k < truth.length; k++) {
        if (truth[k]) inlierTotal++;
        if (result.inliers[k] && truth[k]) truePositive++;
        if (result.inliers[k] && !truth[k]) falsePositive++;
      }
      expect(truePositive / inlierTotal).toBeGreaterThan(0.9);
      expect(falsePositive / result.inlierCount).toBeLessThan(0.05); // random outliers rarely land on the epipolar line
      const pose = recoverPose(result.E, x1, x2, result.inliers);
      expect(rotationAngleBetween(pose.R, R) * deg).toBeLessThan(0.5);
      expect(angleBetween(pose.t, t)).toBeLessThan(3);
      expect(pose.medianParallaxDeg).toBeGreaterThan(1);
    }
  });

  it('identical views: zero parallax', () => {
    const { x1 } = correspondences('forward', 0, 2, 0, 0);
    const result = essentialRansac(x1, x1, { focalPx: 500 })!;
    const pose = recoverPose(result.E, x1, x1, result.inliers);
    expect(pose.medianParallaxDeg).toBeLessThan(0.01);
  });
});

describe('triangulation', () => {
  it('DLT recovers the point from 3 views and the checks reject low parallax and bad matches', () => {
    const scene = makeScene('orbit', 6, 4);
    const X = [0.3, -0.2, 0.5];
    const cams = scene.cameras.slice(0, 3);
    const xy = cams.flatMap((c) => {
      const q = projectPoint(c.R, c.t, c.focal, c.cx, c.cy, X);
      return [q.u, q.v];
    });
    const Y = triangulateDLT(cams, xy)!;
    expect(Math.hypot(Y[0] - X[0], Y[1] - X[1], Y[2] - X[2])).toBeLessThan(1e-9);
    const ok = triangulateChecked(cams, xy);
    expect(ok.ok).toBe(true);
    const bad = xy.slice();
    bad[0] += 30;
    expect(triangulateChecked(cams, bad)).toEqual({ ok: false, reason: 'reprojection' });
    // the same camera twice: no parallax
    const same = [cams[0], { ...cams[0], t: Float64Array.from([cams[0].t[0] + 1e-4, cams[0].t[1], cams[0].t[2]]) }];
    expect(triangulateChecked(same, [xy[0], xy[1], xy[0] + 0.01, xy[1]]).ok).toBe(false);
  });
});

describe('PnP', () => {
  it('DLT on exact data and RANSAC with noise + 30% outliers recover a known pose', () => {
    const scene = makeScene('forward', 3, 6);
    const cam = scene.cameras[2];
    const proj = projectAll(scene, cam);
    const random = new Random(9);
    const pts: number[] = [];
    const xy: number[] = [];
    const exactXy: number[] = [];
    for (let k = 0; k < proj.length / 2; k++) {
      if (Number.isNaN(proj[2 * k])) continue;
      pts.push(...scene.points.subarray(3 * k, 3 * k + 3));
      exactXy.push(proj[2 * k], proj[2 * k + 1]);
      const outlier = random.next() < 0.3;
      xy.push(outlier ? random.uniform(0, 640) : proj[2 * k] + 0.5 * random.normal(), outlier ? random.uniform(0, 480) : proj[2 * k + 1] + 0.5 * random.normal());
    }
    const exact = pnpDLT(pts, exactXy, cam.focal, cam.cx, cam.cy)!;
    expect(rotationAngleBetween(exact.R, cam.R) * deg).toBeLessThan(1e-6);
    expect(Math.hypot(exact.t[0] - cam.t[0], exact.t[1] - cam.t[1], exact.t[2] - cam.t[2])).toBeLessThan(1e-6);
    const result = pnpRansac(pts, xy, cam.focal, cam.cx, cam.cy, { seed: 3 })!;
    expect(rotationAngleBetween(result.R, cam.R) * deg).toBeLessThan(0.2);
    expect(Math.hypot(result.t[0] - cam.t[0], result.t[1] - cam.t[1], result.t[2] - cam.t[2])).toBeLessThan(0.02);
    expect(result.inlierCount / (pts.length / 3)).toBeGreaterThan(0.6);
    expect(result.rmsPx).toBeLessThan(1);
  });
});

describe('bundle adjustment', () => {
  it('analytic projection Jacobians agree with finite differences', () => {
    const R = rotationFromAxisAngle([0.2, -0.1, 0.3]);
    const t = [0.1, -0.3, 4];
    const X = [0.4, 0.2, 1.1];
    const f = 480;
    const j = projectWithJacobian(R, t, f, 320, 240, X);
    const h = 1e-6;
    for (let a = 0; a < 3; a++) {
      const w = [0, 0, 0];
      w[a] = h;
      const Rp = mul3(rotationFromAxisAngle(w), R);
      w[a] = -h;
      const Rm = mul3(rotationFromAxisAngle(w), R);
      const p = projectPoint(Rp, t, f, 320, 240, X);
      const m = projectPoint(Rm, t, f, 320, 240, X);
      expect(j.dRotation[a]).toBeCloseTo((p.u - m.u) / (2 * h), 3);
      expect(j.dRotation[3 + a]).toBeCloseTo((p.v - m.v) / (2 * h), 3);
      const tp = t.slice();
      tp[a] += h;
      const tm = t.slice();
      tm[a] -= h;
      expect(j.dTranslation[a]).toBeCloseTo((projectPoint(R, tp, f, 320, 240, X).u - projectPoint(R, tm, f, 320, 240, X).u) / (2 * h), 3);
      expect(j.dTranslation[3 + a]).toBeCloseTo((projectPoint(R, tp, f, 320, 240, X).v - projectPoint(R, tm, f, 320, 240, X).v) / (2 * h), 3);
      const Xp = X.slice();
      Xp[a] += h;
      const Xm = X.slice();
      Xm[a] -= h;
      expect(j.dPoint[a]).toBeCloseTo((projectPoint(R, t, f, 320, 240, Xp).u - projectPoint(R, t, f, 320, 240, Xm).u) / (2 * h), 3);
      expect(j.dPoint[3 + a]).toBeCloseTo((projectPoint(R, t, f, 320, 240, Xp).v - projectPoint(R, t, f, 320, 240, Xm).v) / (2 * h), 3);
    }
    const fp = projectPoint(R, t, f + h, 320, 240, X);
    const fm = projectPoint(R, t, f - h, 320, 240, X);
    expect(j.dFocal[0]).toBeCloseTo((fp.u - fm.u) / (2 * h), 5);
    expect(j.dFocal[1]).toBeCloseTo((fp.v - fm.v) / (2 * h), 5);
  });

  it('recovers perturbed cameras, points and a 10%-off shared focal; the RMS drops to the noise level', () => {
    const scene = makeScene('orbit', 5, 11, 500, 300);
    const random = new Random(12);
    const obsCamera: number[] = [];
    const obsPoint: number[] = [];
    const obsXy: number[] = [];
    scene.cameras.forEach((cam, c) => {
      const proj = projectAll(scene, cam);
      for (let k = 0; k < proj.length / 2; k++) {
        if (Number.isNaN(proj[2 * k])) continue;
        obsCamera.push(c);
        obsPoint.push(k);
        obsXy.push(proj[2 * k] + 0.5 * random.normal(), proj[2 * k + 1] + 0.5 * random.normal());
      }
    });
    // 5% gross outliers, which Huber must tolerate
    for (let k = 0; k < obsXy.length; k += 40) obsXy[k] += 60;
    const problem: BundleProblem = {
      cameras: scene.cameras.map((c, i) => ({
        R: i === 0 ? Float64Array.from(c.R) : mul3(rotationFromAxisAngle([0.02 * random.normal(), 0.02 * random.normal(), 0.02 * random.normal()]), c.R),
        t: i === 0 ? Float64Array.from(c.t) : c.t.map((x) => x + 0.05 * random.normal()),
        cx: c.cx,
        cy: c.cy,
        focalIndex: 0,
      })),
      focals: Float64Array.from([550]),
      points: scene.points.map((x) => x + 0.03 * random.normal()),
      obsCamera: Uint32Array.from(obsCamera),
      obsPoint: Uint32Array.from(obsPoint),
      obsXy: Float64Array.from(obsXy),
    };
    const report = bundleAdjust(problem, { fixedCamera: 0, scaleCamera: -1, huberPx: 2, maxIterations: 50 });
    expect(report.initialRmsPx).toBeGreaterThan(10);
    expect(report.finalCost).toBeLessThan(report.initialCost);
    // the gauge: camera 0 fixed; scale is then free, so compare after a similarity alignment
    const errors = poseErrors(problem.cameras.map((c) => ({ R: c.R, t: c.t, focal: problem.focals[0] })), scene.cameras);
    expect(Math.max(...errors.rotationDeg)).toBeLessThan(0.1);
    expect(Math.max(...errors.focalErrorPercent)).toBeLessThan(1);
    // inlier residuals at the noise level (0.5 px per axis -> ~0.7 px norm)
    let sq = 0;
    let count = 0;
    for (let k = 0; k < obsCamera.length; k++) {
      if (k % 20 === 0) continue; // the outliers sit at even k multiples of 40 / 2 per obs
      const cam = problem.cameras[obsCamera[k]];
      const q = projectPoint(cam.R, cam.t, problem.focals[0], cam.cx, cam.cy, problem.points.subarray(3 * obsPoint[k], 3 * obsPoint[k] + 3));
      sq += (q.u - obsXy[2 * k]) ** 2 + (q.v - obsXy[2 * k + 1]) ** 2;
      count++;
    }
    expect(Math.sqrt(sq / count)).toBeLessThan(0.9);
  });
});

describe('Sim(3) alignment and pose metrics', () => {
  it('Umeyama recovers a known similarity and the errors of an exact copy are 0', () => {
    const scene = makeScene('orbit', 5, 2);
    const S = { scale: 2.5, R: rotationFromAxisAngle([0.3, 1.1, -0.4]), t: [1, -2, 3] };
    const from = scene.cameras.flatMap((c) => cameraCenter(c));
    const to = from.map((_, i) => i).filter((i) => i % 3 === 0).flatMap((i) => {
      const p = [from[i], from[i + 1], from[i + 2]];
      return [0, 1, 2].map((r) => S.scale * (S.R[r * 3] * p[0] + S.R[r * 3 + 1] * p[1] + S.R[r * 3 + 2] * p[2]) + S.t[r]);
    });
    const est = umeyama(from, to);
    expect(est.scale).toBeCloseTo(2.5, 10);
    expect(rotationAngleBetween(est.R, S.R)).toBeLessThan(1e-10);
    // an estimate in another similarity frame has zero error after alignment
    const moved = scene.cameras.map((c) => {
      const Ri = transpose3(S.R);
      const R = mul3(c.R, Ri);
      const Rt = [0, 1, 2].map((r) => R[r * 3] * S.t[0] + R[r * 3 + 1] * S.t[1] + R[r * 3 + 2] * S.t[2]);
      return { R, t: [0, 1, 2].map((r) => S.scale * c.t[r] - Rt[r]), focal: c.focal };
    });
    const e = poseErrors(moved, scene.cameras);
    expect(Math.max(...e.rotationDeg)).toBeLessThan(1e-5);
    expect(Math.max(...e.translationDirectionDeg)).toBeLessThan(1e-4);
    expect(Math.max(...e.centerErrorRelative)).toBeLessThan(1e-7);
    // a 1-degree rotation error on one camera shows up as about 1 degree
    moved[2] = { ...moved[2], R: mul3(rotationFromAxisAngle([1 / deg, 0, 0]), moved[2].R) };
    expect(Math.max(...poseErrors(moved, scene.cameras).relativeRotationDeg)).toBeCloseTo(1, 6);
  });
});
