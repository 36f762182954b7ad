import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random';
import { mul3, mulVec3 } from '../../src/poses/linalg';
import { cameraCenter } from '../../src/poses/projection';
import { rotationAngleBetween, rotationFromAxisAngle } from '../../src/poses/rotation';
import { alignPoses, poseErrors, poseInEstimateFrame, type PoseLike, type Similarity } from '../../src/poses/sim3';
import { lookAt } from './posesSynthetic';

const deg = 180 / Math.PI;

/** Three forward-facing cameras nearly on a line (as LLFF fern's 3 training views), world-to-camera. */
function collinearRig(): PoseLike[] {
  const centres = [[-0.4, 0.01, 0], [0, -0.01, 0.005], [0.4, 0.012, -0.004]];
  return centres.map((C) => {
    const R = lookAt(C, [0, 0, 5], [0, 1, 0]);
    return { R, t: mulVec3(R, C).map((x) => -x) };
  });
}

/** A pose of the truth frame moved into the frame S maps from (estimate = S^-1 applied to the world). */
function toEstimateFrame(p: PoseLike, S: Similarity): PoseLike {
  return poseInEstimateFrame(p, S);
}

describe('pose alignment (sim3.ts alignPoses)', () => {
  const S: Similarity = { scale: 0.37, R: rotationFromAxisAngle([0.4, -0.9, 0.25]), t: Float64Array.from([2, -1, 0.5]) };

  it('recovers a known similarity exactly, and poseInEstimateFrame inverts it', () => {
    const truth = collinearRig();
    const est = truth.map((p) => toEstimateFrame(p, S));
    const A = alignPoses(est, truth);
    expect(A.scale).toBeCloseTo(S.scale, 10);
    expect(rotationAngleBetween(A.R, S.R)).toBeLessThan(1e-7); // acos resolution near 1
    for (let d = 0; d < 3; d++) expect(A.t[d]).toBeCloseTo(S.t[d], 9);
    // the estimated centre maps onto the true centre through S
    const ce = cameraCenter(est[1]);
    const mapped = mulVec3(S.R, ce).map((x, d) => S.scale * x + S.t[d]);
    const cg = cameraCenter(truth[1]);
    for (let d = 0; d < 3; d++) expect(mapped[d]).toBeCloseTo(cg[d], 9);
    const e = poseErrors(est, truth);
    expect(Math.max(...e.rotationDeg)).toBeLessThan(1e-5); // degrees; acos resolution
    expect(Math.max(...e.centerErrorRelative)).toBeLessThan(1e-8);
    expect(Math.max(...e.centreAligned!.rotationDeg)).toBeLessThan(1e-5);
  });

  it('with noise on nearly collinear cameras, the pose alignment keeps the rotation error at the noise level; the centre-only one does not', () => {
    const random = new Random(7);
    let poseWorst = 0;
    let centreWorse = 0;
    const trials = 20;
    for (let trial = 0; trial < trials; trial++) {
      const truth = collinearRig();
      const est = truth.map((p) => {
        const q = toEstimateFrame(p, S);
        // 0.2 degree rotation noise (per axis), centre noise 1% of the baseline (in estimate units)
        const noise = rotationFromAxisAngle([0, 1, 2].map(() => (0.2 / deg) * random.normal()));
        const R = mul3(noise, q.R);
        const C = cameraCenter(q).map((x) => x + 0.01 * 0.8 * S.scale ** -1 * random.normal());
        return { R, t: mulVec3(R, C).map((x) => -x) };
      });
      const e = poseErrors(est, truth);
      const poseMax = Math.max(...e.rotationDeg);
      const centreMax = Math.max(...e.centreAligned!.rotationDeg);
      poseWorst = Math.max(poseWorst, poseMax);
      if (centreMax > 2 * poseMax) centreWorse++;
      // the relative rotations need no alignment and carry the same noise
      expect(Math.max(...e.relativeRotationDeg)).toBeLessThan(1.5);
    }
    // 3 cameras with 0.2 deg per axis: the per-camera error after the best rotation is about 0.3 deg, rarely above 0.7
    expect(poseWorst).toBeLessThan(0.8);
    // the centres leave the roll about the baseline to the noise: the centre fit is worse in most trials
    expect(centreWorse).toBeGreaterThan(trials / 2);
  });

  it('rotation errors are those of a rotation perturbation of one camera (about 1/3 of it goes into the mean)', () => {
    const truth = collinearRig();
    const est = truth.map((p) => toEstimateFrame(p, S));
    est[0] = { ...est[0], R: mul3(rotationFromAxisAngle([0, 0, 1.5 / deg]), est[0].R) };
    const e = poseErrors(est, truth);
    // the chordal mean moves by ~1/3 of the perturbation: camera 0 keeps ~1.0 deg, the others ~0.5
    expect(e.rotationDeg[0]).toBeGreaterThan(0.9);
    expect(e.rotationDeg[0]).toBeLessThan(1.1);
    expect(e.rotationDeg[1]).toBeGreaterThan(0.4);
    expect(e.rotationDeg[1]).toBeLessThan(0.6);
  });

  it('rejects empty or mismatched lists and a non-positive scale', () => {
    expect(() => alignPoses([], [])).toThrow(/non-empty/);
    expect(() => alignPoses(collinearRig(), collinearRig().slice(1))).toThrow(/equal/);
    expect(() => poseInEstimateFrame(collinearRig()[0], { ...S, scale: 0 })).toThrow(/scale/);
  });
});
