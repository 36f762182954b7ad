import { choleskySolve, invert3, mul3 } from './linalg';
import { projectPoint, projectWithJacobian } from './projection';
import { rotationFromAxisAngle } from './rotation';

/*
 * Levenberg-Marquardt bundle adjustment for a handful of cameras (Triggs, McLauchlan, Hartley &
 * Fitzgibbon 2000, "Bundle adjustment - a modern synthesis", sec. 6.1; Hartley & Zisserman A6.3).
 * Parameters: per camera a rotation increment w (axis-angle, radians, R <- exp([w]x) R) and the
 * translation t; per point its world xyz; focal lengths (pixels) shared by groups of cameras.
 * The point blocks (3x3) are eliminated by the Schur complement and the reduced camera system
 * (6 per camera + focals, <= ~70 unknowns) is solved densely by Cholesky. Robust loss: Huber on
 * the pixel residual norm, by iteratively reweighted least squares. Gauge: one camera is fixed
 * (rotation and translation) and the scale is fixed by holding the largest translation component
 * of a second camera.
 */

/** One camera of a bundle problem: world-to-camera R (row-major 3x3, updated in place), t (3). */
export interface BundleCamera {
  R: Float64Array;
  t: Float64Array;
  /** Principal point in pixels (held fixed). */
  cx: number;
  cy: number;
  /** Index into BundleProblem.focals of this camera's focal. */
  focalIndex: number;
}

/** A bundle problem; cameras, focals and points are updated in place. */
export interface BundleProblem {
  cameras: BundleCamera[];
  /** Focal lengths in pixels, one per focal group (one for a shared focal). */
  focals: Float64Array;
  /** N*3 world points. */
  points: Float64Array;
  /** K observations: camera index, point index and pixel coordinates (K*2). */
  obsCamera: Uint32Array;
  obsPoint: Uint32Array;
  obsXy: Float64Array;
}

/** Options of bundleAdjust. */
export interface BundleOptions {
  /** Camera held fixed (gauge), default 0; -1 fixes none. */
  fixedCamera?: number;
  /** Camera whose largest translation component is held (scale gauge), default 1; -1 fixes none. */
  scaleCamera?: number;
  /** Other cameras to hold fixed (e.g. for pose-only refinement). */
  frozenCameras?: number[];
  /** Refine the focals (default true). */
  refineFocal?: boolean;
  /** Huber threshold on the residual norm, pixels (default 2). */
  huberPx?: number;
  /** Most LM iterations (default 30). */
  maxIterations?: number;
  /**
   * Soft prior on the focals (ignored when refineFocal is false): per focal group the residual
   * log(f / prior[g]) / sigmaLog[g], added to the cost as its square (no Huber), i.e. in the units of
   * a 1-pixel reprojection residual. sigmaLog is a relative standard deviation (0.05: about 5%);
   * Infinity (or omitting the option) leaves that focal free.
   */
  focalPrior?: { focals: ArrayLike<number>; sigmaLog: ArrayLike<number> };
}

/** What bundleAdjust did. */
export interface BundleReport {
  /** RMS of the pixel residuals (all observations, not robust) before and after. */
  initialRmsPx: number;
  finalRmsPx: number;
  /** Robust (Huber) cost before and after. */
  initialCost: number;
  finalCost: number;
  /** Accepted LM steps. */
  iterations: number;
}

/** Huber cost of a residual norm e with threshold delta: e^2 inside, 2 delta e - delta^2 outside. */
function huber(e: number, delta: number): number {
  return e <= delta ? e * e : 2 * delta * e - delta * delta;
}

/** A focal prior checked against the problem: per group prior focal (pixels) and log-sigma (> 0, Infinity = none). */
interface CheckedFocalPrior {
  focals: Float64Array;
  sigmaLog: Float64Array;
}

/** Cost of the focal prior: sum_g (log(f_g / prior_g) / sigma_g)^2 over groups with a finite sigma. */
function focalPriorCost(focals: ArrayLike<number>, prior: CheckedFocalPrior | null): number {
  if (!prior) return 0;
  let cost = 0;
  for (let g = 0; g < focals.length; g++) {
    if (!Number.isFinite(prior.sigmaLog[g])) continue;
    cost += (Math.log(focals[g] / prior.focals[g]) / prior.sigmaLog[g]) ** 2;
  }
  return cost;
}

/**
 * Robust cost and RMS of a problem state (observations behind a camera cost as a 1000 px error).
 * The cost includes the focal prior when one is given; the RMS is over the observations only.
 */
function evaluate(p: BundleProblem, huberPx: number, prior: CheckedFocalPrior | null = null): { cost: number; rms: number } {
  let cost = focalPriorCost(p.focals, prior);
  let sq = 0;
  const K = p.obsCamera.length;
  for (let k = 0; k < K; k++) {
    const cam = p.cameras[p.obsCamera[k]];
    const i = p.obsPoint[k];
    const q = projectPoint(cam.R, cam.t, p.focals[cam.focalIndex], cam.cx, cam.cy, p.points.subarray(3 * i, 3 * i + 3));
    const e = q.z > 0 ? Math.hypot(q.u - p.obsXy[2 * k], q.v - p.obsXy[2 * k + 1]) : 1000;
    cost += huber(e, huberPx);
    sq += e * e;
  }
  return { cost, rms: K ? Math.sqrt(sq / K) : 0 };
}

/**
 * Runs Levenberg-Marquardt bundle adjustment on `problem` in place (see the file comment).
 * With opts.focalPrior, each focal group g also has the residual log(f_g / prior_g) / sigma_g
 * (Jacobian 1 / (f_g sigma_g)), a Gaussian prior on log f (MAP estimate; Hartley & Zisserman A6.3
 * adds priors to LM as extra residual rows the same way).
 * @returns the RMS and robust cost (with the prior's term) before and after
 * @throws Error when an observation names a missing camera or point, the arrays disagree in size,
 *   or the focal prior has the wrong length, a non-positive focal or a non-positive sigma
 */
export function bundleAdjust(problem: BundleProblem, opts: BundleOptions = {}): BundleReport {
  const { cameras, focals, points, obsCamera, obsPoint, obsXy } = problem;
  const nc = cameras.length;
  const np = points.length / 3;
  const K = obsCamera.length;
  if (obsPoint.length !== K || obsXy.length !== 2 * K) throw new Error('bundleAdjust: obsCamera, obsPoint and obsXy (2 per observation) disagree in size');
  for (let k = 0; k < K; k++) {
    if (obsCamera[k] >= nc || obsPoint[k] >= np) throw new Error(`bundleAdjust: observation ${k} names camera ${obsCamera[k]} / point ${obsPoint[k]}, which do not exist`);
  }
  cameras.forEach((c, i) => {
    if (!(c.focalIndex >= 0 && c.focalIndex < focals.length)) throw new Error(`bundleAdjust: camera ${i} has focalIndex ${c.focalIndex}, not in [0, ${focals.length})`);
  });
  const huberPx = opts.huberPx ?? 2;
  const maxIterations = opts.maxIterations ?? 30;
  const refineFocal = opts.refineFocal ?? true;
  const fixedCamera = opts.fixedCamera ?? 0;
  const scaleCamera = opts.scaleCamera ?? (nc > 1 ? 1 : -1);
  let prior: CheckedFocalPrior | null = null;
  if (opts.focalPrior && refineFocal) {
    const { focals: pf, sigmaLog } = opts.focalPrior;
    if (pf.length !== focals.length || sigmaLog.length !== focals.length) {
      throw new Error(`bundleAdjust: focalPrior needs ${focals.length} focals and sigmas (one per focal group), got ${pf.length} and ${sigmaLog.length}`);
    }
    for (let g = 0; g < focals.length; g++) {
      if (!(pf[g] > 0 && Number.isFinite(pf[g]))) throw new Error(`bundleAdjust: focalPrior focal ${g} must be a positive number of pixels (got ${pf[g]})`);
      if (!(sigmaLog[g] > 0)) throw new Error(`bundleAdjust: focalPrior sigmaLog ${g} must be > 0 (Infinity for none), got ${sigmaLog[g]}`);
    }
    prior = { focals: Float64Array.from(pf), sigmaLog: Float64Array.from(sigmaLog) };
  }

  // reduced-system layout: 6 per camera, then one per focal group
  const dim = 6 * nc + focals.length;
  const fixed = new Uint8Array(dim);
  const freeze = (c: number): void => {
    if (c >= 0 && c < nc) fixed.fill(1, 6 * c, 6 * c + 6);
  };
  freeze(fixedCamera);
  for (const c of opts.frozenCameras ?? []) freeze(c);
  if (scaleCamera >= 0 && scaleCamera < nc && scaleCamera !== fixedCamera) {
    const t = cameras[scaleCamera].t;
    const axis = Math.abs(t[0]) >= Math.abs(t[1]) && Math.abs(t[0]) >= Math.abs(t[2]) ? 0 : Math.abs(t[1]) >= Math.abs(t[2]) ? 1 : 2;
    fixed[6 * scaleCamera + 3 + axis] = 1;
  }
  if (!refineFocal) fixed.fill(1, 6 * nc);

  // observations grouped by point (CSR)
  const pointStart = new Uint32Array(np + 1);
  for (let k = 0; k < K; k++) pointStart[obsPoint[k] + 1]++;
  for (let i = 0; i < np; i++) pointStart[i + 1] += pointStart[i];
  const byPoint = new Uint32Array(K);
  const fill = pointStart.slice(0, np);
  for (let k = 0; k < K; k++) byPoint[fill[obsPoint[k]]++] = k;

  const start = evaluate(problem, huberPx, prior);
  let cost = start.cost;
  let lambda = 1e-4;
  let accepted = 0;

  // per-observation blocks, reused across iterations
  const camColumns = new Int32Array(K * 7); // the 7 reduced-system columns of an observation (-1: none)
  const Wblocks = new Float64Array(K * 21); // 7x3, w Jc^T Jp
  const U = new Float64Array(dim * dim);
  const bc = new Float64Array(dim);
  const V = new Float64Array(np * 9);
  const bp = new Float64Array(np * 3);

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    U.fill(0);
    bc.fill(0);
    V.fill(0);
    bp.fill(0);
    Wblocks.fill(0);
    for (let k = 0; k < K; k++) {
      const c = obsCamera[k];
      const cam = cameras[c];
      const i = obsPoint[k];
      const fIndex = 6 * nc + cam.focalIndex;
      for (let a = 0; a < 6; a++) camColumns[k * 7 + a] = fixed[6 * c + a] ? -1 : 6 * c + a;
      camColumns[k * 7 + 6] = fixed[fIndex] ? -1 : fIndex;
      const j = projectWithJacobian(cam.R, cam.t, focals[cam.focalIndex], cam.cx, cam.cy, points.subarray(3 * i, 3 * i + 3));
      if (!(j.z > 0)) continue; // behind the camera: no reliable linearization
      const r0 = j.u - obsXy[2 * k];
      const r1 = j.v - obsXy[2 * k + 1];
      const e = Math.hypot(r0, r1);
      const w = e <= huberPx ? 1 : huberPx / e;
      // Jc rows: [dRotation(3) dTranslation(3) dFocal(1)], zeroed on fixed columns
      const Jc = new Float64Array(14);
      for (let row = 0; row < 2; row++) {
        for (let a = 0; a < 3; a++) {
          Jc[row * 7 + a] = j.dRotation[row * 3 + a];
          Jc[row * 7 + 3 + a] = j.dTranslation[row * 3 + a];
        }
        Jc[row * 7 + 6] = j.dFocal[row];
      }
      for (let a = 0; a < 7; a++) if (camColumns[k * 7 + a] < 0) Jc[a] = Jc[7 + a] = 0;
      const Jp = j.dPoint;
      const r = [r0, r1];
      for (let a = 0; a < 7; a++) {
        const ca = camColumns[k * 7 + a];
        if (ca < 0) continue;
        bc[ca] -= w * (Jc[a] * r0 + Jc[7 + a] * r1);
        for (let b = 0; b < 7; b++) {
          const cb = camColumns[k * 7 + b];
          if (cb >= 0) U[ca * dim + cb] += w * (Jc[a] * Jc[b] + Jc[7 + a] * Jc[7 + b]);
        }
        for (let b = 0; b < 3; b++) Wblocks[k * 21 + a * 3 + b] = w * (Jc[a] * Jp[b] + Jc[7 + a] * Jp[3 + b]);
      }
      for (let a = 0; a < 3; a++) {
        bp[3 * i + a] -= w * (Jp[a] * r[0] + Jp[3 + a] * r[1]);
        for (let b = 0; b < 3; b++) V[9 * i + a * 3 + b] += w * (Jp[a] * Jp[b] + Jp[3 + a] * Jp[3 + b]);
      }
    }

    // focal prior rows: r_g = log(f_g / prior_g) / sigma_g, dr/df = 1 / (f_g sigma_g)
    if (prior) {
      for (let g = 0; g < focals.length; g++) {
        const col = 6 * nc + g;
        if (fixed[col] || !Number.isFinite(prior.sigmaLog[g])) continue;
        const r = Math.log(focals[g] / prior.focals[g]) / prior.sigmaLog[g];
        const J = 1 / (focals[g] * prior.sigmaLog[g]);
        U[col * dim + col] += J * J;
        bc[col] -= J * r;
      }
    }

    let stepTaken = false;
    for (let attempt = 0; attempt < 10 && !stepTaken; attempt++) {
      // damped reduced camera system S dc = rhs
      const S = Float64Array.from(U);
      const rhs = Float64Array.from(bc);
      for (let a = 0; a < dim; a++) S[a * dim + a] += lambda * U[a * dim + a] + 1e-12;
      const Vinv = new Float64Array(np * 9);
      let singular = false;
      for (let i = 0; i < np; i++) {
        const Vd = V.slice(9 * i, 9 * i + 9);
        for (let a = 0; a < 3; a++) Vd[a * 4] += lambda * V[9 * i + a * 4] + 1e-12;
        const inv = invert3(Vd);
        if (!inv) {
          singular = true;
          break;
        }
        Vinv.set(inv, 9 * i);
        // S -= sum_{a,b in obs(i)} W_a Vinv W_b^T ; rhs -= sum_a W_a Vinv bp_i
        for (let s0 = pointStart[i]; s0 < pointStart[i + 1]; s0++) {
          const ka = byPoint[s0];
          const WaV = mul7x3by3x3(Wblocks, ka * 21, inv);
          for (let a = 0; a < 7; a++) {
            const ca = camColumns[ka * 7 + a];
            if (ca < 0) continue;
            rhs[ca] -= WaV[a * 3] * bp[3 * i] + WaV[a * 3 + 1] * bp[3 * i + 1] + WaV[a * 3 + 2] * bp[3 * i + 2];
            for (let s1 = pointStart[i]; s1 < pointStart[i + 1]; s1++) {
              const kb = byPoint[s1];
              for (let b = 0; b < 7; b++) {
                const cb = camColumns[kb * 7 + b];
                if (cb < 0) continue;
                const o = kb * 21 + b * 3;
                S[ca * dim + cb] -= WaV[a * 3] * Wblocks[o] + WaV[a * 3 + 1] * Wblocks[o + 1] + WaV[a * 3 + 2] * Wblocks[o + 2];
              }
            }
          }
        }
      }
      if (singular) {
        lambda *= 10;
        continue;
      }
      for (let a = 0; a < dim; a++) {
        if (!fixed[a]) continue;
        for (let b = 0; b < dim; b++) S[a * dim + b] = S[b * dim + a] = 0;
        S[a * dim + a] = 1;
        rhs[a] = 0;
      }
      const dc = choleskySolve(S, rhs, dim);
      if (!dc) {
        lambda *= 10;
        continue;
      }
      // back-substitute the points: dp_i = Vinv (bp_i - sum_a W_a^T dc)
      const dp = new Float64Array(np * 3);
      for (let i = 0; i < np; i++) {
        const g = [bp[3 * i], bp[3 * i + 1], bp[3 * i + 2]];
        for (let s0 = pointStart[i]; s0 < pointStart[i + 1]; s0++) {
          const ka = byPoint[s0];
          for (let a = 0; a < 7; a++) {
            const ca = camColumns[ka * 7 + a];
            if (ca < 0) continue;
            for (let b = 0; b < 3; b++) g[b] -= Wblocks[ka * 21 + a * 3 + b] * dc[ca];
          }
        }
        for (let a = 0; a < 3; a++) dp[3 * i + a] = Vinv[9 * i + a * 3] * g[0] + Vinv[9 * i + a * 3 + 1] * g[1] + Vinv[9 * i + a * 3 + 2] * g[2];
      }
      const trial: BundleProblem = {
        ...problem,
        cameras: cameras.map((cam, c) => ({
          ...cam,
          R: mul3(rotationFromAxisAngle(dc.subarray(6 * c, 6 * c + 3)), cam.R),
          t: Float64Array.from([cam.t[0] + dc[6 * c + 3], cam.t[1] + dc[6 * c + 4], cam.t[2] + dc[6 * c + 5]]),
        })),
        focals: focals.map((f, g) => Math.max(f + dc[6 * nc + g], 1e-3)),
        points: points.map((x, q) => x + dp[q]),
      };
      const trialCost = evaluate(trial, huberPx, prior).cost;
      if (trialCost < cost) {
        const relative = (cost - trialCost) / Math.max(cost, 1e-300);
        cameras.forEach((cam, c) => {
          cam.R.set(trial.cameras[c].R);
          cam.t.set(trial.cameras[c].t);
        });
        focals.set(trial.focals);
        points.set(trial.points);
        cost = trialCost;
        lambda = Math.max(lambda / 3, 1e-12);
        accepted++;
        stepTaken = true;
        if (relative < 1e-10) iteration = maxIterations; // converged
      } else {
        lambda *= 4;
      }
    }
    if (!stepTaken) break;
  }
  const end = evaluate(problem, huberPx, prior);
  return { initialRmsPx: start.rms, finalRmsPx: end.rms, initialCost: start.cost, finalCost: end.cost, iterations: accepted };
}

/** (7x3 block of W at offset) times a 3x3 matrix, as a 7x3 row-major array. */
function mul7x3by3x3(W: Float64Array, offset: number, M: Float64Array): Float64Array {
  const out = new Float64Array(21);
  for (let a = 0; a < 7; a++) {
    const w0 = W[offset + a * 3];
    const w1 = W[offset + a * 3 + 1];
    const w2 = W[offset + a * 3 + 2];
    for (let b = 0; b < 3; b++) out[a * 3 + b] = w0 * M[b] + w1 * M[3 + b] + w2 * M[6 + b];
  }
  return out;
}
