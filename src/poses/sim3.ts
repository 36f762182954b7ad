import { mul3, mulVec3, svd3, transpose3 } from './linalg';
import { cameraCenter } from './projection';
import { nearestRotation, rotationAngleBetween } from './rotation';

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

/**
 * Similarity estimate -> ground truth fitted on the full poses ("pose alignment"): the rotation is
 * the chordal L2 mean of the per-camera alignment rotations A_i = R_gt,i^T R_est,i (the rotation A
 * minimizing sum_i ||R_est,i A^T - R_gt,i||_F^2, i.e. nearestRotation(sum_i A_i); Hartley, Trumpf,
 * Dai & Li 2013, "Rotation averaging", sec. 5.3), then the scale and translation by least squares
 * on the camera centres with that rotation held: s = sum_i <A a_i, b_i> / sum_i |a_i|^2 over the
 * centred centres a_i (estimate) and b_i (truth), t = mean(b) - s A mean(a).
 * Unlike umeyama() on the centres alone, the rotation does not depend on how the centres are spread:
 * three nearly collinear cameras leave the centre fit's roll about their baseline undetermined.
 * @param estimated, truth N >= 1 poses each (world-to-camera R row-major 3x3, t); scale is 1 and t
 *   the centre offset when N = 1 or the estimated centres coincide
 * @returns the similarity y = scale R x + t mapping estimated world points to ground-truth world
 * @throws Error when the lists are empty or differ in length
 */
export function alignPoses(estimated: PoseLike[], truth: PoseLike[]): Similarity {
  const n = estimated.length;
  if (n !== truth.length || n < 1) throw new Error(`alignPoses: need two equal, non-empty lists of poses (got ${n} and ${truth.length})`);
  const sum = new Float64Array(9);
  for (let i = 0; i < n; i++) {
    const Ai = mul3(transpose3(truth[i].R), estimated[i].R);
    for (let k = 0; k < 9; k++) sum[k] += Ai[k];
  }
  const A = nearestRotation(sum);
  const ce = estimated.map(cameraCenter);
  const cg = truth.map(cameraCenter);
  const me = [0, 1, 2].map((d) => ce.reduce((a, c) => a + c[d], 0) / n);
  const mg = [0, 1, 2].map((d) => cg.reduce((a, c) => a + c[d], 0) / n);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const a = mulVec3(A, [ce[i][0] - me[0], ce[i][1] - me[1], ce[i][2] - me[2]]);
    const b = [cg[i][0] - mg[0], cg[i][1] - mg[1], cg[i][2] - mg[2]];
    num += a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    den += a[0] ** 2 + a[1] ** 2 + a[2] ** 2;
  }
  const scale = den > 0 ? num / den : 1;
  const Ame = mulVec3(A, me);
  return { scale, R: A, t: Float64Array.from([0, 1, 2].map((d) => mg[d] - scale * Ame[d])) };
}

/**
 * A ground-truth-frame pose expressed in the estimate's frame, the inverse use of an alignment
 * `S` (estimate -> truth, y = s A x + T): R_est = R_gt A, t_est = (R_gt T + t_gt) / s. The camera sees
 * the same image of the estimated world as the true camera sees of the true world (up to scale).
 * Used to place held-out test cameras in an estimated reconstruction.
 * @param pose world-to-camera R (row-major 3x3), t (3) in ground-truth world units
 * @returns R (row-major 3x3) and t (3, estimate world units)
 * @throws Error when the scale is not a positive finite number
 */
export function poseInEstimateFrame(pose: PoseLike, S: Similarity): { R: Float64Array; t: Float64Array } {
  if (!(S.scale > 0 && Number.isFinite(S.scale))) throw new Error(`poseInEstimateFrame: the alignment scale must be positive (got ${S.scale})`);
  const R = mul3(pose.R, S.R);
  const RT = mulVec3(pose.R, S.t);
  return { R, t: Float64Array.from([0, 1, 2].map((d) => (RT[d] + pose.t[d]) / S.scale)) };
}

/** Errors of the poses after one alignment (see poseErrors). */
export interface AlignedErrors {
  /** Per camera rotation error after the alignment, degrees: angle(R_est,i A^T, R_gt,i). */
  rotationDeg: number[];
  /** Per camera pair (i < j), the angle between estimated and true directions C_j - C_i, degrees, after the alignment. */
  translationDirectionDeg: number[];
  /** Per camera, |C_est aligned - C_gt| divided by the ground-truth camera spread (RMS distance to the centroid). */
  centerErrorRelative: number[];
  /** The alignment estimate -> ground truth. */
  alignment: Similarity;
}

/** Pose errors of an estimate against the ground truth (see poseErrors). */
export interface PoseErrors extends AlignedErrors {
  /** Per camera pair (i < j), the angle between estimated and true relative rotations, degrees (no alignment). */
  relativeRotationDeg: number[];
  /** Per camera with both focals, 100 |f_est - f_gt| / f_gt. */
  focalErrorPercent: number[];
  /**
   * The same errors after umeyama() on the camera centres alone (the alignment bench:poses reported
   * before; ill-conditioned for nearly collinear centres); null for N < 3 or coincident centres.
   */
  centreAligned: AlignedErrors | null;
}

/** Errors of `estimated` against `truth` after the similarity `S` (estimate -> truth). */
function errorsAfter(estimated: PoseLike[], truth: PoseLike[], S: Similarity): AlignedErrors {
  const n = estimated.length;
  const ce = estimated.map(cameraCenter);
  const cg = truth.map(cameraCenter);
  const aligned = ce.map((c) => {
    const r = mulVec3(S.R, c);
    return [0, 1, 2].map((d) => S.scale * r[d] + S.t[d]);
  });
  const At = transpose3(S.R);
  const deg = 180 / Math.PI;
  const rotationDeg = estimated.map((e, i) => rotationAngleBetween(mul3(e.R, At), truth[i].R) * deg);
  const translationDirectionDeg: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const de = [0, 1, 2].map((d) => aligned[j][d] - aligned[i][d]);
      const dg = [0, 1, 2].map((d) => cg[j][d] - cg[i][d]);
      const cos = (de[0] * dg[0] + de[1] * dg[1] + de[2] * dg[2]) / (Math.hypot(...de) * Math.hypot(...dg) || 1);
      translationDirectionDeg.push(Math.acos(Math.min(1, Math.max(-1, cos))) * deg);
    }
  }
  const mg = [0, 1, 2].map((d) => cg.reduce((s, c) => s + c[d], 0) / n);
  const spread = Math.sqrt(cg.reduce((s, c) => s + (c[0] - mg[0]) ** 2 + (c[1] - mg[1]) ** 2 + (c[2] - mg[2]) ** 2, 0) / n) || 1;
  const centerErrorRelative = aligned.map((a, i) => Math.hypot(a[0] - cg[i][0], a[1] - cg[i][1], a[2] - cg[i][2]) / spread);
  return { rotationDeg, translationDirectionDeg, centerErrorRelative, alignment: S };
}

/**
 * Pose error metrics for bench:poses and the tests. The main alignment is alignPoses() (rotation
 * from all camera rotations, scale and offset from the centres); `centreAligned` repeats the errors
 * after umeyama() on the centres alone (N >= 3 non-collinear). Relative rotation errors need no
 * alignment. Rotation error of camera i: angle(R_est,i A^T, R_gt,i) with A the alignment rotation.
 * @throws Error when the lists differ in length or have fewer than 2 cameras
 */
export function poseErrors(estimated: PoseLike[], truth: PoseLike[]): PoseErrors {
  const n = estimated.length;
  if (n !== truth.length || n < 2) throw new Error(`poseErrors: need two equal lists of >= 2 poses (got ${n} and ${truth.length})`);
  let centre: Similarity | null = null;
  if (n >= 3) {
    try {
      const s = umeyama(estimated.flatMap(cameraCenter), truth.flatMap(cameraCenter));
      if (Number.isFinite(s.scale) && s.scale > 0) centre = s;
    } catch {
      centre = null;
    }
  }
  const deg = 180 / Math.PI;
  const relativeRotationDeg: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const relE = mul3(estimated[j].R, transpose3(estimated[i].R));
      const relG = mul3(truth[j].R, transpose3(truth[i].R));
      relativeRotationDeg.push(rotationAngleBetween(relE, relG) * deg);
    }
  }
  const focalErrorPercent: number[] = [];
  estimated.forEach((e, i) => {
    const fg = truth[i].focal;
    if (e.focal !== undefined && fg !== undefined && fg > 0) focalErrorPercent.push((100 * Math.abs(e.focal - fg)) / fg);
  });
  return {
    ...errorsAfter(estimated, truth, alignPoses(estimated, truth)),
    relativeRotationDeg,
    focalErrorPercent,
    centreAligned: centre ? errorsAfter(estimated, truth, centre) : null,
  };
}
