import { Vector3 } from 'three';

/** Result of solveTwoBoneIk: the middle (elbow/knee) and end (wrist/ankle) positions, metres. */
export interface TwoBoneIkResult {
  mid: Vector3;
  end: Vector3;
  /** True when the target was within [|l1-l2|, l1+l2] (then end equals target to float precision). */
  reached: boolean;
}

const EPS = 1e-9;

/**
 * Analytic two-bone IK (law of cosines). Places the middle joint in the plane spanned by
 * root->target and the pole direction, on the pole's side.
 * Unreachable targets: the chain stretches (or folds) toward the target, the end stopping at the
 * reach limit along root->target; a target at the root gives a finite pose along the pole.
 * @param root  upper joint (shoulder / hip), metres
 * @param target desired end position, metres
 * @param l1 upper bone length (> 0), l2 lower bone length (> 0), metres
 * @param pole direction the middle joint should bend toward (need not be unit or orthogonal)
 * @throws RangeError for non-finite inputs or non-positive lengths
 */
export function solveTwoBoneIk(root: Vector3, target: Vector3, l1: number, l2: number, pole: Vector3): TwoBoneIkResult {
  if (!(l1 > 0 && l2 > 0 && Number.isFinite(l1) && Number.isFinite(l2))) throw new RangeError(`TwoBoneIk: bone lengths must be finite and > 0, got ${l1}, ${l2}`);
  for (const [n, v] of [['root', root], ['target', target], ['pole', pole]] as const) {
    if (!Number.isFinite(v.x + v.y + v.z)) throw new RangeError(`TwoBoneIk: ${n} is not finite`);
  }
  const toT = new Vector3().subVectors(target, root);
  let d = toT.length();
  // direction to target; fall back to the pole (or -Y) when the target sits on the root
  const dir = d > EPS ? toT.clone().divideScalar(d) : pole.lengthSq() > EPS ? pole.clone().normalize() : new Vector3(0, -1, 0);
  const dMin = Math.abs(l1 - l2);
  const dMax = l1 + l2;
  const reached = d >= dMin - 1e-12 && d <= dMax + 1e-12;
  d = Math.min(Math.max(d, dMin + 1e-9), dMax - 1e-9);
  // bend axis: component of the pole orthogonal to dir; any orthogonal vector if degenerate
  const bend = pole.clone().addScaledVector(dir, -pole.dot(dir));
  if (bend.lengthSq() < EPS) {
    bend.set(1, 0, 0).addScaledVector(dir, -dir.x);
    if (bend.lengthSq() < 1e-6) bend.set(0, 0, 1).addScaledVector(dir, -dir.z);
  }
  bend.normalize();
  // law of cosines: distance of the mid joint along dir and off the axis
  const a = (l1 * l1 - l2 * l2 + d * d) / (2 * d);
  const h = Math.sqrt(Math.max(0, l1 * l1 - a * a));
  const mid = root.clone().addScaledVector(dir, a).addScaledVector(bend, h);
  const end = reached ? target.clone() : root.clone().addScaledVector(dir, d);
  if (reached) {
    // re-project so |end - mid| = l2 exactly even after clamping d
    const m2e = new Vector3().subVectors(end, mid);
    const e = m2e.length();
    if (Math.abs(e - l2) > 1e-7 && e > EPS) end.copy(mid).addScaledVector(m2e, l2 / e);
  }
  return { mid, end, reached };
}
