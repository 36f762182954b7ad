import { Camera } from '../core/Camera';
import { bundleAdjust, type BundleProblem } from './bundleAdjust';
import { essentialRansac, recoverPose } from './essentialMatrix';
import { pnpRansac, type PnpOptions, type PnpResult } from './pnp';
import { projectPoint, type PinholeCamera, cameraCenter } from './projection';
import { triangulateChecked } from './triangulate';
import type { IntrinsicsGuess, PairMatches, SfmOptions, SfmResult, ViewFeatures } from './types';

/** Fewest essential inliers for a pair to count as overlapping (also the initial pair's minimum). */
const MIN_PAIR_INLIERS = 30;
/** Fewest median parallax (degrees) of the initial pair (0.5: LLFF fern views 10 and 19 have 0.72; identical photos < 0.01). */
const MIN_INIT_PARALLAX_DEG = 0.5;
/** Parallax (degrees) above which more parallax no longer improves the initial-pair score. */
const GOOD_INIT_PARALLAX_DEG = 5;
/** Fewest triangulated points of the initial pair (lego's 8 views gave a wrong 2-view start with 15). */
const MIN_INIT_POINTS = 30;
/** Fewest 2D-3D inliers to register a view by PnP (also registerPhoto's). */
export const MIN_PNP_INLIERS = 12;
/**
 * Default focal prior of bundle adjustment (SfmOptions.focalPriorSigma): relative sigma of log f for
 * a focal from EXIF (`known`) and for the 55-degree fallback (`fallback`). Measured with bench:poses.
 */
export const FOCAL_PRIOR_SIGMA = { known: 0.02, fallback: 0.3 };
/** Reprojection threshold (pixels) of PnP inliers and of observations kept in bundle adjustment (also registerPhoto's). */
export const OBSERVATION_THRESHOLD_PX = 4;

/**
 * Places one photo from its 2D-3D correspondences: pnpRansac (pnp.ts) with the observation threshold
 * (OBSERVATION_THRESHOLD_PX), accepted with at least MIN_PNP_INLIERS inliers. The SfM's registration
 * step and registerPhoto (registerPhoto.ts) share it, so both say the same thing when it fails.
 * @param name the photo's name, for the reason
 * @param points N*3 world coordinates; xy N*2 pixel coordinates (centre +0.5) of the same points
 * @param focal, cx, cy intrinsics in pixels
 * @param opts pnpRansac's maxIterations and seed (its threshold is fixed here)
 * @returns the PnP result, or a reason naming the photo: "<name> shares too few matches with the
 *   reconstructed points (N, need 12)" or "<name> could not be placed: ... fits only K of them (need 12)"
 */
export function placeByPnp(
  name: string,
  points: ArrayLike<number>,
  xy: ArrayLike<number>,
  focal: number,
  cx: number,
  cy: number,
  opts: Omit<PnpOptions, 'thresholdPx'> = {},
): PnpResult | { reason: string } {
  const n = xy.length / 2;
  if (n < MIN_PNP_INLIERS) return { reason: `${name} shares too few matches with the reconstructed points (${n}, need ${MIN_PNP_INLIERS})` };
  const pnp = pnpRansac(points, xy, focal, cx, cy, { ...opts, thresholdPx: OBSERVATION_THRESHOLD_PX });
  if (!pnp || pnp.inlierCount < MIN_PNP_INLIERS) {
    return { reason: `${name} could not be placed: ${n} of its matches see reconstructed points but a camera pose fits only ${pnp?.inlierCount ?? 0} of them (need ${MIN_PNP_INLIERS})` };
  }
  return pnp;
}

/** A geometrically verified pair. */
interface VerifiedPair {
  i: number;
  j: number;
  /** Inlier matches, M*2 feature indices. */
  idx: Uint32Array;
  R: Float64Array;
  t: Float64Array;
  medianParallaxDeg: number;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Validates the inputs; throws an Error naming the view and field. */
function validate(views: ViewFeatures[], intrinsics: IntrinsicsGuess[], matches: PairMatches[]): void {
  if (!Array.isArray(views) || views.length < 2) throw new Error(`pose estimation needs at least 2 photos, got ${views?.length ?? 0}`);
  if (intrinsics.length !== views.length) throw new Error(`pose estimation: ${views.length} photos but ${intrinsics.length} intrinsics`);
  views.forEach((v, k) => {
    const name = v.name || `view ${k}`;
    if (!(v.width > 0 && v.height > 0)) throw new Error(`${name}: width and height must be positive (got ${v.width}x${v.height})`);
    if (v.xy.length % 2 !== 0) throw new Error(`${name}: xy must hold 2 values per keypoint (got ${v.xy.length})`);
    for (let q = 0; q < v.xy.length; q++) if (!Number.isFinite(v.xy[q])) throw new Error(`${name}: keypoint ${q >> 1} has a non-finite coordinate in xy`);
    if (v.rgb && v.rgb.length !== (v.xy.length / 2) * 3) throw new Error(`${name}: rgb must hold 3 values per keypoint (${v.xy.length / 2} keypoints, ${v.rgb.length} values)`);
    const g = intrinsics[k];
    if (!(Number.isFinite(g.focalPx) && g.focalPx > 0)) throw new Error(`${name}: intrinsics focalPx must be a positive number (got ${g.focalPx})`);
    if (!Number.isFinite(g.cx) || !Number.isFinite(g.cy)) throw new Error(`${name}: intrinsics cx, cy must be finite (got ${g.cx}, ${g.cy})`);
  });
  for (const m of matches) {
    if (!(Number.isInteger(m.i) && Number.isInteger(m.j) && m.i >= 0 && m.j < views.length && m.i < m.j)) {
      throw new Error(`pose estimation: a match list names views ${m.i} and ${m.j}; need 0 <= i < j < ${views.length}`);
    }
    if (m.idx.length % 2 !== 0) throw new Error(`matches ${views[m.i].name} - ${views[m.j].name}: idx must hold 2 values per match (got ${m.idx.length})`);
    const ni = views[m.i].xy.length / 2;
    const nj = views[m.j].xy.length / 2;
    for (let q = 0; q < m.idx.length; q += 2) {
      if (m.idx[q] >= ni || m.idx[q + 1] >= nj) {
        throw new Error(`matches ${views[m.i].name} - ${views[m.j].name}: match ${q >> 1} names keypoints ${m.idx[q]} / ${m.idx[q + 1]}, beyond the ${ni} / ${nj} keypoints`);
      }
    }
  }
}

/** Union-find with path halving. */
class DisjointSets {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, k) => k);
  }
  find(a: number): number {
    let x = a;
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]];
      x = this.parent[x];
    }
    return x;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/**
 * Incremental structure from motion for 3-10 photos (Schoenberger & Frahm, "Structure-from-Motion
 * Revisited", CVPR 2016, in miniature):
 * 1. geometric verification of every pair: essential-matrix LO-RANSAC (Sampson threshold in pixels)
 *    and pose recovery; pairs with < 30 inliers are dropped;
 * 2. tracks: union-find over the verified matches; a track with two keypoints in one photo is dropped;
 * 3. initial pair: most inliers weighted by parallax (score = inliers * min(1, parallax / 5 deg),
 *    median parallax >= 0.5 deg required); its first view is the world frame, |t| = 1;
 * 4. triangulation (DLT + reprojection/parallax/cheirality checks), bundle adjustment;
 * 5. the remaining photos, most 2D-3D matches first: PnP RANSAC, new points, bundle adjustment;
 * 6. final bundle adjustment (focal refined when opts.refineFocal and >= 3 photos are registered,
 *    with a soft prior towards the initial focal: opts.focalPriorSigma, default FOCAL_PRIOR_SIGMA),
 *    points reprojecting worse than 4 px dropped;
 * 7. scale: the median distance of the camera centres to the points' per-axis median is 1.
 * Every loop is bounded. Photos that cannot be registered are listed in `failures` and the rest go on.
 * @param views per photo its keypoints (pixels, centre at +0.5)
 * @param intrinsics per photo the focal guess and principal point (pixels)
 * @param matches putative matches per pair i < j (feature indices)
 * @returns cameras (null for unregistered photos, OpenCV w2c, fx = fy = focal), points, per keypoint
 *   its point (pointOfKeypoint), failures, report
 * @throws Error naming the photo and field for bad input (< 2 photos, mismatched sizes, NaN, focal <= 0),
 *   and a plain Error naming photos when no pair can start the reconstruction (too few matches, or
 *   no parallax, e.g. two identical photos)
 */
export function reconstructFromMatches(
  views: ViewFeatures[],
  intrinsics: IntrinsicsGuess[],
  matches: PairMatches[],
  opts: SfmOptions = {},
): SfmResult {
  validate(views, intrinsics, matches);
  const progress = opts.onProgress ?? ((): void => {});
  const timings: Record<string, number> = {};
  const tStart = now();
  const n = views.length;
  const thresholdPx = opts.ransacThresholdPx ?? 1.5;
  const sharedFocal = opts.sharedFocal ?? true;
  const refineFocal = opts.refineFocal ?? true;
  const seed = opts.seed ?? 1;
  const names = views.map((v, k) => v.name || `view ${k}`);

  // normalized coordinates with the initial focal, per view
  const normalized = views.map((v, k) => {
    const g = intrinsics[k];
    const out = new Float64Array(v.xy.length);
    for (let q = 0; q < v.xy.length; q += 2) {
      out[q] = (v.xy[q] - g.cx) / g.focalPx;
      out[q + 1] = (v.xy[q + 1] - g.cy) / g.focalPx;
    }
    return out;
  });

  // 1. geometric verification
  const tVerify = now();
  const verified: VerifiedPair[] = [];
  const bestPairInliers = new Int32Array(n);
  let noParallax: { i: number; j: number; inliers: number; parallaxDeg: number } | null = null;
  matches.forEach((m, mk) => {
    progress('verify', mk / Math.max(1, matches.length));
    const count = m.idx.length / 2;
    if (count < 8) return;
    const x1 = new Float64Array(2 * count);
    const x2 = new Float64Array(2 * count);
    for (let q = 0; q < count; q++) {
      const a = m.idx[2 * q];
      const b = m.idx[2 * q + 1];
      x1[2 * q] = normalized[m.i][2 * a];
      x1[2 * q + 1] = normalized[m.i][2 * a + 1];
      x2[2 * q] = normalized[m.j][2 * b];
      x2[2 * q + 1] = normalized[m.j][2 * b + 1];
    }
    const focal = Math.sqrt(intrinsics[m.i].focalPx * intrinsics[m.j].focalPx);
    const ransac = essentialRansac(x1, x2, { focalPx: focal, thresholdPx, maxIterations: opts.ransacIters ?? 2000, seed: seed + mk });
    if (!ransac) return;
    const pose = recoverPose(ransac.E, x1, x2, ransac.inliers);
    const inlierCount = pose.inlierCount;
    bestPairInliers[m.i] = Math.max(bestPairInliers[m.i], inlierCount);
    bestPairInliers[m.j] = Math.max(bestPairInliers[m.j], inlierCount);
    if (inlierCount < MIN_PAIR_INLIERS) {
      // many epipolar inliers but few points in front with parallax: the camera did not move
      if (ransac.inlierCount >= MIN_PAIR_INLIERS && (!noParallax || ransac.inlierCount > noParallax.inliers)) {
        noParallax = { i: m.i, j: m.j, inliers: ransac.inlierCount, parallaxDeg: pose.medianParallaxDeg };
      }
      return;
    }
    const idx = new Uint32Array(2 * inlierCount);
    let w = 0;
    for (let q = 0; q < count; q++) {
      if (!pose.inliers[q]) continue;
      idx[w++] = m.idx[2 * q];
      idx[w++] = m.idx[2 * q + 1];
    }
    verified.push({ i: m.i, j: m.j, idx, R: pose.R, t: pose.t, medianParallaxDeg: pose.medianParallaxDeg });
  });
  timings.verifyMs = now() - tVerify;

  // 2. tracks
  const offsets = new Int32Array(n + 1);
  for (let k = 0; k < n; k++) offsets[k + 1] = offsets[k] + views[k].xy.length / 2;
  const sets = new DisjointSets(offsets[n]);
  for (const p of verified) {
    for (let q = 0; q < p.idx.length; q += 2) sets.union(offsets[p.i] + p.idx[q], offsets[p.j] + p.idx[q + 1]);
  }
  const members = new Map<number, number[]>();
  for (const p of verified) {
    for (let q = 0; q < p.idx.length; q += 2) {
      for (const node of [offsets[p.i] + p.idx[q], offsets[p.j] + p.idx[q + 1]]) {
        const root = sets.find(node);
        let list = members.get(root);
        if (!list) members.set(root, (list = []));
        if (!list.includes(node)) list.push(node);
      }
    }
  }
  const viewOfNode = (node: number): number => {
    let v = 0;
    while (offsets[v + 1] <= node) v++;
    return v;
  };
  /** Per track, the (view, feature) observations: one per view. */
  const tracks: { view: number; feature: number }[][] = [];
  for (const list of members.values()) {
    const obs = list.map((node) => {
      const view = viewOfNode(node);
      return { view, feature: node - offsets[view] };
    });
    const seen = new Set(obs.map((o) => o.view));
    if (seen.size !== obs.length || obs.length < 2) continue; // inconsistent: two keypoints of one photo
    tracks.push(obs);
  }

  // 3. initial pair
  const tInit = now();
  let initial: VerifiedPair | null = null;
  let initialScore = -1;
  let flattest: VerifiedPair | null = null;
  for (const p of verified) {
    if (p.medianParallaxDeg < MIN_INIT_PARALLAX_DEG) {
      if (!flattest || p.idx.length > flattest.idx.length) flattest = p;
      continue;
    }
    const score = (p.idx.length / 2) * Math.min(1, p.medianParallaxDeg / GOOD_INIT_PARALLAX_DEG);
    if (score > initialScore) {
      initialScore = score;
      initial = p;
    }
  }
  if (!initial) {
    const flat = flattest ? { i: flattest.i, j: flattest.j, parallaxDeg: flattest.medianParallaxDeg } : noParallax;
    if (flat) {
      throw new Error(
        `${names[flat.i]} and ${names[flat.j]} were taken from the same spot (median parallax ${flat.parallaxDeg.toFixed(2)} degrees, need ${MIN_INIT_PARALLAX_DEG}): move the camera sideways between photos`,
      );
    }
    let best = 0;
    for (let k = 1; k < n; k++) if (bestPairInliers[k] > bestPairInliers[best]) best = k;
    throw new Error(
      `no two photos share enough matches to start: ${names[best]} shares at most ${bestPairInliers[best]} inlier matches with the other photos (need ${MIN_PAIR_INLIERS})`,
    );
  }

  // reconstruction state
  const focalGroups = sharedFocal ? [median(intrinsics.map((g) => g.focalPx))] : intrinsics.map((g) => g.focalPx);
  // focal prior per group: the initial focal, with the sigma of its photos' intrinsics source
  const sigmaKnown = opts.focalPriorSigma?.known ?? FOCAL_PRIOR_SIGMA.known;
  const sigmaFallback = opts.focalPriorSigma?.fallback ?? FOCAL_PRIOR_SIGMA.fallback;
  const sigmaOf = (g: IntrinsicsGuess): number => (g.source === 'default-55deg' ? sigmaFallback : sigmaKnown);
  const priorFocals = Float64Array.from(focalGroups);
  const priorSigma = Float64Array.from(sharedFocal ? [Math.max(...intrinsics.map(sigmaOf))] : intrinsics.map(sigmaOf));
  if (![...priorSigma].every((s) => s >= 0)) throw new Error(`pose estimation: focalPriorSigma must be >= 0 (0 = fixed, Infinity = free), got ${JSON.stringify(opts.focalPriorSigma)}`);
  const focalIndex = (v: number): number => (sharedFocal ? 0 : v);
  const cams: (PinholeCamera | null)[] = new Array(n).fill(null);
  const cameraOf = (v: number): PinholeCamera => {
    const c = cams[v]!;
    c.focal = focalGroups[focalIndex(v)];
    return c;
  };
  cams[initial.i] = { R: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), t: new Float64Array(3), focal: 0, cx: intrinsics[initial.i].cx, cy: intrinsics[initial.i].cy };
  cams[initial.j] = { R: Float64Array.from(initial.R), t: Float64Array.from(initial.t), focal: 0, cx: intrinsics[initial.j].cx, cy: intrinsics[initial.j].cy };
  const trackPoint = new Int32Array(tracks.length).fill(-1);
  const pointXyz: Float64Array[] = [];
  const pointTrack: number[] = [];

  const pixel = (o: { view: number; feature: number }): [number, number] => [views[o.view].xy[2 * o.feature], views[o.view].xy[2 * o.feature + 1]];
  /** Reprojection error (pixels) of observation o of point X; Infinity behind the camera. */
  const observationError = (o: { view: number; feature: number }, X: ArrayLike<number>): number => {
    const c = cameraOf(o.view);
    const q = projectPoint(c.R, c.t, c.focal, c.cx, c.cy, X);
    const [u, v] = pixel(o);
    return q.z > 0 ? Math.hypot(q.u - u, q.v - v) : Infinity;
  };
  const triangulateNewTracks = (): number => {
    let added = 0;
    tracks.forEach((obs, tk) => {
      if (trackPoint[tk] >= 0) return;
      const seen = obs.filter((o) => cams[o.view]);
      if (seen.length < 2) return;
      const result = triangulateChecked(seen.map((o) => cameraOf(o.view)), seen.flatMap(pixel), { maxReprojectionPx: OBSERVATION_THRESHOLD_PX, minParallaxDeg: 1 });
      if (!result.ok) return;
      trackPoint[tk] = pointXyz.length;
      pointXyz.push(result.X);
      pointTrack.push(tk);
      added++;
    });
    return added;
  };

  const registeredList = (): number[] => cams.map((c, v) => (c ? v : -1)).filter((v) => v >= 0);
  let bundleMs = 0;
  const runBundle = (withFocal: boolean, iterations: number): { initialRmsPx: number; finalRmsPx: number } => {
    const tb = now();
    const reg = registeredList();
    const slot = new Map(reg.map((v, s) => [v, s]));
    const obsCamera: number[] = [];
    const obsPoint: number[] = [];
    const obsXy: number[] = [];
    const points = new Float64Array(pointXyz.length * 3);
    pointXyz.forEach((X, p) => {
      points.set(X, 3 * p);
      for (const o of tracks[pointTrack[p]]) {
        if (!cams[o.view]) continue;
        // keep observations near their point; gross ones would only be down-weighted by Huber
        if (!(observationError(o, X) <= 3 * OBSERVATION_THRESHOLD_PX)) continue;
        obsCamera.push(slot.get(o.view)!);
        obsPoint.push(p);
        obsXy.push(...pixel(o));
      }
    });
    const problem: BundleProblem = {
      cameras: reg.map((v) => ({ R: cams[v]!.R, t: cams[v]!.t, cx: cams[v]!.cx, cy: cams[v]!.cy, focalIndex: sharedFocal ? 0 : slot.get(v)! })),
      focals: Float64Array.from(sharedFocal ? focalGroups : reg.map((v) => focalGroups[v])),
      points,
      obsCamera: Uint32Array.from(obsCamera),
      obsPoint: Uint32Array.from(obsPoint),
      obsXy: Float64Array.from(obsXy),
    };
    const groupIds = sharedFocal ? [0] : reg;
    const sigmas = groupIds.map((g) => priorSigma[g]);
    const report = bundleAdjust(problem, {
      fixedCamera: slot.get(initial!.i)!,
      scaleCamera: slot.get(initial!.j)!,
      // sigma 0 holds a focal fixed (all groups share the flag, so any 0 fixes all)
      refineFocal: withFocal && sigmas.every((s) => s > 0),
      focalPrior: { focals: groupIds.map((g) => priorFocals[g]), sigmaLog: sigmas },
      huberPx: Math.max(1, thresholdPx),
      maxIterations: iterations,
    });
    if (sharedFocal) focalGroups[0] = problem.focals[0];
    else reg.forEach((v, s) => (focalGroups[v] = problem.focals[s]));
    pointXyz.forEach((X, p) => X.set(problem.points.subarray(3 * p, 3 * p + 3)));
    bundleMs += now() - tb;
    return report;
  };

  const initialPoints = triangulateNewTracks();
  if (initialPoints < MIN_INIT_POINTS) {
    // A start this thin (a wide-baseline pair's few surviving matches) gives a wrong reconstruction.
    throw new Error(
      `${names[initial.i]} and ${names[initial.j]}, the best-matching pair, give only ${initialPoints} reliable 3D points (need ${MIN_INIT_POINTS}): the photos overlap too little, or their baseline is too wide for the features`,
    );
  }
  runBundle(false, 20);
  timings.initialPairMs = now() - tInit;

  // 5. register the others
  const tRegister = now();
  const failures: SfmResult['failures'] = [];
  const failedReason = new Map<number, string>();
  for (let v = 0; v < n; v++) {
    if (!cams[v] && bestPairInliers[v] < MIN_PAIR_INLIERS) {
      failedReason.set(v, `${names[v]} shares too few matches with the other photos (${bestPairInliers[v]} inlier matches, need ${MIN_PAIR_INLIERS})`);
    }
  }
  const triedSinceLastSuccess = new Set<number>();
  for (let round = 0; round < n * n; round++) {
    const candidates: { view: number; trackIds: number[] }[] = [];
    for (let v = 0; v < n; v++) {
      if (cams[v] || failedReason.has(v) || triedSinceLastSuccess.has(v)) continue;
      const trackIds: number[] = [];
      tracks.forEach((obs, tk) => {
        if (trackPoint[tk] >= 0 && obs.some((o) => o.view === v)) trackIds.push(tk);
      });
      candidates.push({ view: v, trackIds });
    }
    if (!candidates.length) break;
    candidates.sort((a, b) => b.trackIds.length - a.trackIds.length);
    const { view, trackIds } = candidates[0];
    progress('register', registeredList().length / n);
    triedSinceLastSuccess.add(view);
    const pts = new Float64Array(trackIds.length * 3);
    const xy = new Float64Array(trackIds.length * 2);
    trackIds.forEach((tk, q) => {
      pts.set(pointXyz[trackPoint[tk]], 3 * q);
      const o = tracks[tk].find((x) => x.view === view)!;
      const [u, w] = pixel(o);
      xy[2 * q] = u;
      xy[2 * q + 1] = w;
    });
    const g = intrinsics[view];
    const focal = focalGroups[sharedFocal ? 0 : view];
    const pnp = placeByPnp(names[view], pts, xy, focal, g.cx, g.cy, { maxIterations: opts.ransacIters ?? 500, seed: seed + 1000 + view });
    if ('reason' in pnp) {
      failedReason.set(view, pnp.reason);
      continue;
    }
    cams[view] = { R: pnp.R, t: pnp.t, focal, cx: g.cx, cy: g.cy };
    triedSinceLastSuccess.clear();
    // a photo that failed PnP may succeed now that more points exist
    for (const [v, reason] of [...failedReason]) if (reason.includes('could not be placed') || reason.includes('reconstructed points')) failedReason.delete(v);
    triangulateNewTracks();
    runBundle(refineFocal && registeredList().length >= 3, 15);
  }
  timings.registerMs = now() - tRegister;

  // 6. final bundle adjustment and outlier removal
  progress('bundle', 0);
  const registered = registeredList().length;
  const finalReport = runBundle(refineFocal && registered >= 3, 40);
  let keep = new Uint8Array(pointXyz.length);
  const errorsOf = (): { sq: number; count: number } => {
    let sq = 0;
    let count = 0;
    keep = new Uint8Array(pointXyz.length);
    pointXyz.forEach((X, p) => {
      let worst = 0;
      let local = 0;
      let seen = 0;
      for (const o of tracks[pointTrack[p]]) {
        if (!cams[o.view]) continue;
        const e = observationError(o, X);
        if (e > 3 * OBSERVATION_THRESHOLD_PX) continue; // an observation BA did not use
        worst = Math.max(worst, e);
        local += e * e;
        seen++;
      }
      if (seen >= 2 && worst <= OBSERVATION_THRESHOLD_PX) {
        keep[p] = 1;
        sq += local;
        count += seen;
      }
    });
    return { sq, count };
  };
  const { sq, count } = errorsOf();
  progress('bundle', 1);

  // 7. scale normalization: median camera-centre distance to the points' per-axis median = 1
  const kept = pointXyz.filter((_, p) => keep[p]);
  const centers = registeredList().map((v) => cameraCenter(cams[v]!));
  const pointMedian = [0, 1, 2].map((d) => median(kept.map((X) => X[d])));
  const spread = median(centers.map((c) => Math.hypot(c[0] - pointMedian[0], c[1] - pointMedian[1], c[2] - pointMedian[2])));
  const scale = spread > 0 && Number.isFinite(spread) ? 1 / spread : 1;

  const cameras = cams.map((c, v) =>
    c ? new Camera(c.R, Array.from(c.t, (x) => x * scale), focalGroups[focalIndex(v)], focalGroups[focalIndex(v)], c.cx, c.cy, views[v].width, views[v].height, names[v]) : null,
  );
  const xyz = new Float32Array(kept.length * 3);
  const rgb = new Float32Array(kept.length * 3);
  const pointOfKeypoint = views.map((v) => new Int32Array(v.xy.length / 2).fill(-1));
  let w = 0;
  pointXyz.forEach((X, p) => {
    if (!keep[p]) return;
    xyz.set([X[0] * scale, X[1] * scale, X[2] * scale], 3 * w);
    // the observations bundle adjustment used (errorsOf's rule): what registerPhoto matches against
    for (const o of tracks[pointTrack[p]]) {
      if (cams[o.view] && observationError(o, X) <= 3 * OBSERVATION_THRESHOLD_PX) pointOfKeypoint[o.view][o.feature] = w;
    }
    const colour = [0, 0, 0];
    let seen = 0;
    for (const o of tracks[pointTrack[p]]) {
      const source = views[o.view].rgb;
      if (!cams[o.view] || !source) continue;
      for (let d = 0; d < 3; d++) colour[d] += source[3 * o.feature + d];
      seen++;
    }
    rgb.set(seen ? colour.map((x) => x / seen) : [0.5, 0.5, 0.5], 3 * w);
    w++;
  });
  for (let v = 0; v < n; v++) {
    if (cams[v]) continue;
    failures.push({ view: v, name: names[v], reason: failedReason.get(v) ?? `${names[v]} could not be registered` });
  }
  timings.bundleMs = bundleMs;
  timings.totalMs = now() - tStart;
  return {
    cameras,
    points: { xyz, rgb },
    pointOfKeypoint,
    failures,
    report: {
      rmsPx: count ? Math.sqrt(sq / count) : finalReport.finalRmsPx,
      inlierMatches: verified.reduce((s, p) => s + p.idx.length / 2, 0),
      points: kept.length,
      timingsMs: timings,
      focalPx: cams.map((c, v) => (c ? focalGroups[focalIndex(v)] : NaN)),
    },
  };
}

function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
