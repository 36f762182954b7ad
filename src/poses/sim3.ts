import { mul3, mulVec3, svd3, transpose3 } from './linalg';
import { cameraCenter } from './projection';
import { rotationAngleBetween } from './rotation';

/** A similarity transform y = scale R x + t (R row-major 3x3). */
export interface Similarity {
  scale: number;
  R: Float64Array;
  t: Float64Array;
}

/**
 * Least-squares similarity mapping points `from` onto `to` (Umeyama 1991, "Least-squares estimation
 * of transformation parameters between two point patterns", eqs. 40-42).
 * @param from N*3 source points (e.g. estimated camera centres); to N*3 target points (ground truth)
 * @throws Error when N < 3, the lengths differ, or the source points are all equal
 */
export function umeyama(from: ArrayLike<number>, to: ArrayLike<number>): Similarity {
  const n = from.length / 3;
  if (from.length !== to.length || n < 3 || !Number.isInteger(n)) {
    throw new Error(`umeyama: need two N*3 arrays of equal length with N >= 3 (got ${from.length} and ${to.length} values)`);
  }
  const ma = [0, 0, 0];
  const mb = [0, 0, 0];
  for (let k = 0; k < n; k++) for (let d = 0; d < 3; d++) {
    ma[d] += from[3 * k + d] / n;
    mb[d] += to[3 * k + d] / n;
  }
  const cov = new Float64Array(9);
  let varA = 0;
  for (let k = 0; k < n; k++) {
    const a = [from[3 * k] - ma[0], from[3 * k + 1] - ma[1], from[3 * k + 2] - ma[2]];
    const b = [to[3 * k] - mb[0], to[3 * k + 1] - mb[1], to[3 * k + 2] - mb[2]];
    varA += (a[0] ** 2 + a[1] ** 2 + a[2] ** 2) / n;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) cov[r * 3 + c] += (b[r] * a[c]) / n;
  }
  if (!(varA > 0)) throw new Error('umeyama: the source points coincide');
  // svd3 folds the reflection correction diag(1, 1, det(U) det(V)) into S[2]
  const { U, S, V } = svd3(cov);
  const R = mul3(U, transpose3(V));
  const scale = (S[0] + S[1] + S[2]) / varA;
  const Rma = mulVec3(R, ma);
  return { scale, R, t: Float64Array.from([mb[0] - scale * Rma[0], mb[1] - scale * Rma[1], mb[2] - scale * Rma[2]]) };
}

/** A camera pose for the metrics: world-to-camera R (row-major 3x3), t (3), optional focal (pixels). */
export interface PoseLike {
  R: ArrayLike<number>;
  t: ArrayLike<number>;
  focal?: number;
}

/** Pose errors of an estimate against the ground truth (see poseErrors). */
export interface PoseErrors {
  /** Per camera rotation error after the Sim(3) alignment, degrees. */
  rotationDeg: number[];
  /** Per camera pair (i < j), the angle between estimated and true relative rotations, degrees. */
  relativeRotationDeg: number[];
  /** Per camera pair (i < j), the angle between estimated and true directions C_j - C_i, degrees, after the alignment. */
  translationDirectionDeg: number[];
  /** Per camera, |C_est aligned - C_gt| divided by the ground-truth camera spread (RMS distance to the centroid). */
  centerErrorRelative: number[];
  /** Per camera with both focals, 100 |f_est - f_gt| / f_gt. */
  focalErrorPercent: number[];
  /** The alignment estimate -> ground truth. */
  alignment: Similarity;
}

/**
 * Pose error metrics for bench:poses and the tests. The alignment is umeyama() on camera centres
 * (N >= 3 non-collinear); for N = 2 it is the rotation taking camera 0's estimate to its ground
 * truth plus the scale and offset of the centres. Relative rotation errors need no alignment.
 * Rotation error of camera i: angle(R_est,i A^T, R_gt,i) with A the alignment rotation.
 * @throws Error when the lists differ in length or have fewer than 2 cameras
 */
export function poseErrors(estimated: PoseLike[], truth: PoseLike[]): PoseErrors {
  const n = estimated.length;
  if (n !== truth.length || n < 2) throw new Error(`poseErrors: need two equal lists of >= 2 poses (got ${n} and ${truth.length})`);
  const ce = estimated.map(cameraCenter);
  const cg = truth.map(cameraCenter);
  let alignment: Similarity;
  const tryUmeyama = (): Similarity | null => {
    if (n < 3) return null;
    try {
      const s = umeyama(ce.flat(), cg.flat());
      return Number.isFinite(s.scale) && s.scale > 0 ? s : null;
    } catch {
      return null;
    }
  };
  const fromCentres = tryUmeyama();
  if (fromCentres) {
    alignment = fromCentres;
  } else {
    // R_gt = R_est A^T  =>  A = R_gt^T R_est
    const A = mul3(transpose3(truth[0].R), estimated[0].R);
    const de = Math.hypot(ce[1][0] - ce[0][0], ce[1][1] - ce[0][1], ce[1][2] - ce[0][2]);
    const dg = Math.hypot(cg[1][0] - cg[0][0], cg[1][1] - cg[0][1], cg[1][2] - cg[0][2]);
    const scale = de > 0 ? dg / de : 1;
    const Ac0 = mulVec3(A, ce[0]);
    alignment = { scale, R: A, t: Float64Array.from([0, 1, 2].map((d) => cg[0][d] - scale * Ac0[d])) };
  }
  const aligned = ce.map((c) => {
    const r = mulVec3(alignment.R, c);
    return [0, 1, 2].map((d) => alignment.scale * r[d] + alignment.t[d]);
  });
  const At = transpose3(alignment.R);
  const deg = 180 / Math.PI;
  const rotationDeg = estimated.map((e, i) => rotationAngleBetween(mul3(e.R, At), truth[i].R) * deg);
  const relativeRotationDeg: number[] = [];
  const translationDirectionDeg: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const relE = mul3(estimated[j].R, transpose3(estimated[i].R));
      const relG = mul3(truth[j].R, transpose3(truth[i].R));
      relativeRotationDeg.push(rotationAngleBetween(relE, relG) * deg);
      const de = [0, 1, 2].map((d) => aligned[j][d] - aligned[i][d]);
      const dg = [0, 1, 2].map((d) => cg[j][d] - cg[i][d]);
      const cos = (de[0] * dg[0] + de[1] * dg[1] + de[2] * dg[2]) / (Math.hypot(...de) * Math.hypot(...dg) || 1);
      translationDirectionDeg.push(Math.acos(Math.min(1, Math.max(-1, cos))) * deg);
    }
  }
  const mg = [0, 1, 2].map((d) => cg.reduce((s, c) => s + c[d], 0) / n);
  const spread = Math.sqrt(cg.reduce((s, c) => s + (c[0] - mg[0]) ** 2 + (c[1] - mg[1]) ** 2 + (c[2] - mg[2]) ** 2, 0) / n) || 1;
  const centerErrorRelative = aligned.map((a, i) => Math.hypot(a[0] - cg[i][0], a[1] - cg[i][1], a[2] - cg[i][2]) / spread);
  const focalErrorPercent: number[] = [];
  estimated.forEach((e, i) => {
    const fg = truth[i].focal;
    if (e.focal !== undefined && fg !== undefined && fg > 0) focalErrorPercent.push((100 * Math.abs(e.focal - fg)) / fg);
  });
  return { rotationDeg, relativeRotationDeg, translationDirectionDeg, centerErrorRelative, focalErrorPercent, alignment };
}
