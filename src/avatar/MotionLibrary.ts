import { Vector3 } from 'three';
import type { BvhClip } from './BvhClip';
import { BvhSource } from './BvhSource';
import type { HumanMeasurements } from './Character';
import { KdTree } from './KdTree';
import { FEATURE_DIM, FEATURE_GROUPS, HAND_LAGS, HEAD_LAGS, ThreePointHistory, worldToHeading } from './MotionFeatures';
import { svd } from '../poses/linalg';

/**
 * Joints whose positions the library predicts (our semantic names, BvhSource.bvhCorrespondence),
 * in this order in every output row.
 */
export const OUTPUT_JOINTS = ['pelvis', 'lHip', 'rHip', 'lKnee', 'rKnee', 'lAnkle', 'rAnkle', 'lToe', 'rToe', 'lShoulder', 'rShoulder', 'lElbow', 'rElbow'] as const;
export type OutputJoint = (typeof OUTPUT_JOINTS)[number];
/**
 * Output row layout (OUTPUT_DIM values): per OUTPUT_JOINTS joint 3 values (x, z: offset from the
 * head joint in the head's heading frame, y: height above the floor; all divided by the subject
 * height), then the left and right foot contact labels (0 or 1; blended: a probability).
 */
export const OUTPUT_DIM = OUTPUT_JOINTS.length * 3 + 2;

/** Height of a subject from its first frame: head joint at 0.9 h (the BodyEstimator's calibration), clamped to [1.2, 2.2] m. */
export function heightFromHeadJoint(headY: number): number {
  return Math.min(2.2, Math.max(1.2, headY / 0.9));
}

/** One clip's library rows before normalization (see extractClipMotion). */
export interface ClipMotion {
  /** Clip name (file path as given to parseBvh). */
  name: string;
  /** Rows. */
  count: number;
  /** count * FEATURE_DIM raw features (layout MotionFeatures.FEATURE_GROUPS). */
  features: Float32Array;
  /** count * OUTPUT_DIM outputs (layout OUTPUT_DIM). */
  outputs: Float32Array;
  /** Subject height used for normalization, metres. */
  heightM: number;
  /**
   * Per row: the row one row interval later in the same take (-1 at the end of the clip or of its
   * mirrored half). Default: the next row of the clip (-1 for the last).
   */
  next?: Int32Array;
  /** Per row: stream seconds to the next row (stride / rate; default 1/30). */
  rowSeconds?: Float32Array;
  /** The subject's segment lengths (BvhSource.measureSubject) divided by heightM. */
  proportions: HumanMeasurements;
}

export interface ExtractOptions {
  /** Three-point rate the clip is resampled to, Hz (default 60, the benchmark's and a Quest's rate). */
  rateHz?: number;
  /** Keep every stride-th frame as a library row (default 2: 30 rows per second). */
  stride?: number;
  /** Also add the left-right mirrored rows (default true). */
  mirror?: boolean;
  /**
   * Playback speeds (default [1, 0.7, 1.4]): the clip is also played slower and faster (time
   * warped: the same poses, other speeds and cadences), each a take of its own.
   */
  speeds?: number[];
  /** Row stride of the takes at speeds other than 1 (default 4: 15 rows per second, half the data). */
  warpedStride?: number;
}

const FOOT_SPEED = 0.25; // m/s: a foot slower than this (horizontally) and low is planted

/**
 * Library rows of one BVH clip: the clip is played as a three-point stream (BvhSource: head joint,
 * wrists, 60 Hz, floor removed), features come from a ThreePointHistory fed with that stream (the
 * same code the live estimator runs), outputs from the clip's ground-truth joints (OUTPUT_DIM
 * layout). Foot contact label: the ankle moves slower than 0.25 m/s horizontally and is within
 * 0.05 h of its 5th-percentile height over the clip. Mirrored rows (x -> -x in the heading frame,
 * left <-> right) double the data when options.mirror (default). The clip is also played at the
 * other options.speeds (time-warped takes, default 0.7x and 1.4x, every 4th frame), appended.
 * @throws RangeError when a speed is not positive.
 * @throws Error naming the clip's file and the joint when a needed joint is missing.
 */
export function extractClipMotion(clip: BvhClip, options: ExtractOptions = {}): ClipMotion {
  const speeds = options.speeds ?? [1, 0.7, 1.4];
  if (speeds.length === 0 || !speeds.every((p) => p > 0 && Number.isFinite(p))) throw new RangeError(`extractClipMotion: speeds must be positive, got [${speeds.join(', ')}]`);
  const parts = speeds.map((p) => extractAtSpeed(clip, p === 1 ? options : { ...options, stride: options.warpedStride ?? 4 }, p));
  if (parts.length === 1) return parts[0];
  const count = parts.reduce((a, c) => a + c.count, 0);
  const features = new Float32Array(count * FEATURE_DIM);
  const outputs = new Float32Array(count * OUTPUT_DIM);
  const next = new Int32Array(count);
  const rowSeconds = new Float32Array(count);
  let r = 0;
  for (const c of parts) {
    features.set(c.features, r * FEATURE_DIM);
    outputs.set(c.outputs, r * OUTPUT_DIM);
    rowSeconds.set(c.rowSeconds!, r);
    for (let i = 0; i < c.count; i++) next[r + i] = c.next![i] < 0 ? -1 : r + c.next![i];
    r += c.count;
  }
  return { ...parts[0], count, features, outputs, next, rowSeconds };
}

/** The rows of one take: the clip played at `speed` times its rate (stream times at rateHz). */
function extractAtSpeed(clip: BvhClip, options: ExtractOptions, speed: number): ClipMotion {
  const rateHz = options.rateHz ?? 60;
  const stride = Math.max(1, Math.round(options.stride ?? 2));
  const srcRate = rateHz / speed;
  const src = new BvhSource(clip, { rateHz: srcRate });
  for (const n of OUTPUT_JOINTS) if (!src.correspondence.has(n)) throw new Error(`${clip.file}: motion library needs a BVH joint for '${n}' (joints: ${clip.joints.join(', ')})`);
  const ids = OUTPUT_JOINTS.map((n) => src.correspondence.get(n)!);
  const h = heightFromHeadJoint(src.frame(0).head.position.y);
  const hist = new ThreePointHistory();
  // ankle height statistics for the contact label
  const ankleIds = [src.correspondence.get('lAnkle')!, src.correspondence.get('rAnkle')!];
  const lows: number[][] = [[], []];
  for (let i = 0; i < src.frameCount; i += 3) ankleIds.forEach((j, k) => lows[k].push(src.jointAt(j, i / srcRate).y));
  const ankleLow = lows.map((a) => a.sort((x, y) => x - y)[Math.floor(0.05 * (a.length - 1))]);
  const rows = Math.ceil(src.frameCount / stride);
  const mirror = options.mirror ?? true;
  const count = rows * (mirror ? 2 : 1);
  const features = new Float32Array(count * FEATURE_DIM);
  const outputs = new Float32Array(count * OUTPUT_DIM);
  const feat = new Float32Array(FEATURE_DIM);
  const v = new Vector3();
  const rel = new Vector3();
  const prevAnkle = [new Vector3(), new Vector3()];
  let row = 0;
  for (let i = 0; i < src.frameCount; i++) {
    const f = src.frame(i);
    hist.push(i / rateHz, f.head.position, f.left.position, f.right.position, f.head.quaternion);
    const t = i / srcRate;
    const ankles = ankleIds.map((j) => src.jointAt(j, t));
    if (i % stride === 0) {
      hist.features(h, f.head.quaternion, feat);
      features.set(feat, row * FEATURE_DIM);
      const psi = hist.yaw;
      const o = row * OUTPUT_DIM;
      ids.forEach((j, k) => {
        src.jointAt(j, t, v);
        worldToHeading(rel.copy(v).sub(f.head.position), psi, h, rel);
        outputs[o + 3 * k] = rel.x;
        outputs[o + 3 * k + 1] = v.y / h;
        outputs[o + 3 * k + 2] = rel.z;
      });
      for (let k = 0; k < 2; k++) {
        const speed = i > 0 ? Math.hypot(ankles[k].x - prevAnkle[k].x, ankles[k].z - prevAnkle[k].z) * rateHz : 0;
        outputs[o + OUTPUT_JOINTS.length * 3 + k] = speed < FOOT_SPEED && ankles[k].y < ankleLow[k] + 0.05 * h ? 1 : 0;
      }
      row++;
    }
    prevAnkle[0].copy(ankles[0]);
    prevAnkle[1].copy(ankles[1]);
  }
  if (mirror) {
    for (let r = 0; r < rows; r++) {
      mirrorFeatures(features.subarray(r * FEATURE_DIM, (r + 1) * FEATURE_DIM), features.subarray((rows + r) * FEATURE_DIM, (rows + r + 1) * FEATURE_DIM));
      mirrorOutputs(outputs.subarray(r * OUTPUT_DIM, (r + 1) * OUTPUT_DIM), outputs.subarray((rows + r) * OUTPUT_DIM, (rows + r + 1) * OUTPUT_DIM));
    }
  }
  const meas = src.measureSubject();
  const proportions = Object.fromEntries(Object.entries(meas).map(([k, x]) => [k, x / h])) as unknown as HumanMeasurements;
  const next = Int32Array.from({ length: count }, (_, r) => (r % rows === rows - 1 ? -1 : r + 1));
  return { name: clip.file, count, features, outputs, heightM: h, proportions, next, rowSeconds: new Float32Array(count).fill(stride / rateHz) };
}

/** Left-right mirror of a feature row (x -> -x in the heading frame, hands swapped, turn and roll negated). */
export function mirrorFeatures(a: Float32Array, out: Float32Array): void {
  let o = 0;
  out[0] = a[0];
  o = 1;
  // hands now: swap l and r, negate x
  const vec = (src: number, dst: number): void => {
    out[dst] = -a[src];
    out[dst + 1] = a[src + 1];
    out[dst + 2] = a[src + 2];
  };
  vec(o + 3, o);
  vec(o, o + 3);
  o += 6;
  for (let k = 0; k < HEAD_LAGS.length; k++, o += 3) vec(o, o);
  for (let k = 0; k < HAND_LAGS.length; k++, o += 6) {
    vec(o + 3, o);
    vec(o, o + 3);
  }
  out[o] = -a[o]; // sin of the turn
  out[o + 1] = a[o + 1];
  o += 2;
  out[o] = a[o]; // pitch
  out[o + 1] = -a[o + 1]; // roll
}

/** Left-right mirror of an output row (x -> -x, l <-> r joints and contacts). */
export function mirrorOutputs(a: Float32Array, out: Float32Array): void {
  OUTPUT_JOINTS.forEach((n, k) => {
    const m = n[0] === 'l' ? 'r' + n.slice(1) : n[0] === 'r' ? 'l' + n.slice(1) : n;
    const j = OUTPUT_JOINTS.indexOf(m as OutputJoint);
    out[3 * j] = -a[3 * k];
    out[3 * j + 1] = a[3 * k + 1];
    out[3 * j + 2] = a[3 * k + 2];
  });
  const c = OUTPUT_JOINTS.length * 3;
  out[c] = a[c + 1];
  out[c + 1] = a[c];
}

/** Relative weight of each feature group in the matching distance (after per-dimension standardization). */
export const DEFAULT_GROUP_WEIGHTS: Record<string, number> = { headHeight: 2, handsRel: 2, headTrajectory: 1.5, handTrajectory: 2, turn: 0.5, headTilt: 0.7 };

/**
 * Soft clip per feature group, in standard deviations of the library (0 or missing = none): a
 * standardized value u becomes c tanh(u / c), so that one feature far outside the library's range
 * cannot decide the match alone. The head height is clipped hardest (0.7 std): a crouch deeper than
 * any in the library then matches rows by the motion of the head and hands rather than only the
 * lowest heads (MotionMatcher scales the matched heights to the user's head).
 */
export const DEFAULT_GROUP_CLIP: Record<string, number> = { headHeight: 0.7, handsRel: 3, headTrajectory: 3, handTrajectory: 3, turn: 3, headTilt: 3 };

export interface LibraryOptions {
  /** Feature group weights (FEATURE_GROUPS names); default DEFAULT_GROUP_WEIGHTS. */
  weights?: Record<string, number>;
  /** Soft clip per feature group in standard deviations (0 = none); default DEFAULT_GROUP_CLIP. */
  clip?: Record<string, number>;
  /**
   * Principal components the search runs in (default FEATURE_DIM = 38: no reduction, the search
   * axes are then only rotated; 20 was the default until the 28-clip benchmark measured 38 as more
   * accurate at the same per-frame cost, ~0.3 ms for the estimator).
   */
  dims?: number;
}

/**
 * Eigen-decomposition of a symmetric positive semi-definite n x n matrix (row-major; here the feature
 * covariance): its SVD (src/poses/linalg.ts, one-sided Jacobi), whose singular values and right
 * singular vectors are the eigenvalues and eigenvectors of such a matrix.
 * @returns eigenvalues in decreasing order and the eigenvectors as the columns of an n x n matrix.
 * @throws Error when m does not hold n*n values.
 */
export function symmetricEigen(m: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const { S, V } = svd(m, n, n);
  return { values: Array.from(S), vectors: V };
}

/** A blended match: the output row (OUTPUT_DIM layout) and the neighbours it came from. */
export interface MotionMatch {
  output: Float32Array;
  /** Library rows used, closest first. */
  rows: Int32Array;
  /** Their distances in the weighted, standardized feature space. */
  distances: Float64Array;
  /** Head height above the floor of the blended rows (same weights as output), units of the subject height. */
  headHeight: number;
}

/**
 * A motion-matching library (Clavet, "Motion Matching and The Road to Next-Gen Animation", GDC
 * 2016; Büttner & Clavet 2015): rows of (feature, output) from BVH clips; features are standardized
 * per dimension (library mean and standard deviation), soft-clipped (DEFAULT_GROUP_CLIP), weighted
 * per group (each group's weight spread over its dimensions as w / sqrt(size)), projected on their top `dims` principal axes
 * (PCA of the weighted library features), and searched there with an exact k-d tree (KdTree):
 * the neighbours are exactly those of a brute-force scan in that space.
 * query() blends the k nearest rows' outputs with weights 1 / (distance + 0.1 * nearest + eps).
 */
export class MotionLibrary {
  readonly count: number;
  /** count * dims search coordinates: standardized, weighted features projected on the top principal axes. */
  readonly normalized: Float32Array;
  /** Search dimension (principal components kept). */
  readonly dims: number;
  /** Fraction of the weighted feature variance the kept components explain. */
  readonly explainedVariance: number;
  /** dims * FEATURE_DIM principal axes (rows, unit length). */
  readonly basis: Float32Array;
  /** count * OUTPUT_DIM outputs. */
  readonly outputs: Float32Array;
  /** Head height above the floor per row (raw feature 0), units of the subject height. */
  readonly headHeight: Float32Array;
  /** Per row: the row one row interval later in the same take, -1 at a take's end. */
  readonly next: Int32Array;
  /** Per row: stream seconds to the next row of its take. */
  readonly rowSeconds: Float32Array;
  /** Library row -> index into clipNames. */
  readonly clipOf: Uint16Array;
  readonly clipNames: string[];
  readonly mean: Float32Array;
  /** Per-dimension multiplier: group weight / (sqrt(group size) * std). */
  readonly scale: Float32Array;
  /** Per-dimension soft clip of the weighted standardized value (DEFAULT_GROUP_CLIP standard deviations times the weight / sqrt(size)); 0 = none. */
  readonly clip: Float32Array;
  /** Mean over clips of the subjects' segment lengths per unit height (ClipMotion.proportions). */
  readonly proportions: HumanMeasurements;
  private readonly tree: KdTree;
  private readonly q = new Float32Array(FEATURE_DIM);
  private qp = new Float32Array(0);

  /**
   * @param clips per-clip rows (extractClipMotion); at least one row in total
   * @throws Error when there are no rows.
   */
  constructor(clips: ClipMotion[], options: LibraryOptions = {}) {
    const count = clips.reduce((s, c) => s + c.count, 0);
    if (count === 0) throw new Error('MotionLibrary: no rows (no clips, or empty clips)');
    this.count = count;
    this.clipNames = clips.map((c) => c.name);
    const raw = new Float32Array(count * FEATURE_DIM);
    this.outputs = new Float32Array(count * OUTPUT_DIM);
    this.clipOf = new Uint16Array(count);
    this.next = new Int32Array(count);
    this.rowSeconds = new Float32Array(count).fill(1 / 30);
    let r = 0;
    clips.forEach((c, ci) => {
      for (let i = 0; i < c.count; i++) {
        const nx = c.next ? c.next[i] : i + 1 < c.count ? i + 1 : -1;
        this.next[r + i] = nx < 0 ? -1 : r + nx;
      }
      if (c.rowSeconds) this.rowSeconds.set(c.rowSeconds, r);
      raw.set(c.features, r * FEATURE_DIM);
      this.outputs.set(c.outputs, r * OUTPUT_DIM);
      this.clipOf.fill(ci, r, r + c.count);
      r += c.count;
    });
    const D = FEATURE_DIM;
    this.headHeight = new Float32Array(count);
    for (let i = 0; i < count; i++) this.headHeight[i] = raw[i * D];
    this.mean = new Float32Array(D);
    this.scale = new Float32Array(D);
    const sq = new Float64Array(D);
    const mean = new Float64Array(D);
    for (let i = 0; i < count; i++) for (let j = 0; j < D; j++) mean[j] += raw[i * D + j];
    for (let j = 0; j < D; j++) mean[j] /= count;
    for (let i = 0; i < count; i++) for (let j = 0; j < D; j++) sq[j] += (raw[i * D + j] - mean[j]) ** 2;
    const weights = { ...DEFAULT_GROUP_WEIGHTS, ...options.weights };
    const caps = { ...DEFAULT_GROUP_CLIP, ...options.clip };
    this.clip = new Float32Array(D);
    let j0 = 0;
    for (const g of FEATURE_GROUPS) {
      const w = weights[g.name] ?? 1;
      const cap = caps[g.name] ?? 0;
      for (let j = j0; j < j0 + g.size; j++) {
        const std = Math.sqrt(sq[j] / count);
        this.mean[j] = mean[j];
        this.scale[j] = w / (Math.sqrt(g.size) * Math.max(std, 1e-3));
        this.clip[j] = cap > 0 ? (cap * w) / Math.sqrt(g.size) : 0;
      }
      j0 += g.size;
    }
    const z = new Float64Array(count * D);
    for (let i = 0; i < count; i++) for (let j = 0; j < D; j++) z[i * D + j] = this.standardized(raw[i * D + j], j);
    // principal axes of the weighted features: the search runs in the top `dims` components
    const cov = new Float64Array(D * D);
    for (let i = 0; i < count; i++) {
      const o = i * D;
      for (let a = 0; a < D; a++) {
        const va = z[o + a];
        for (let b = a; b < D; b++) cov[a * D + b] += va * z[o + b];
      }
    }
    for (let a = 0; a < D; a++) for (let b = a; b < D; b++) cov[b * D + a] = cov[a * D + b] /= count;
    const { values, vectors } = symmetricEigen(cov, D);
    const P = Math.min(D, Math.max(1, Math.round(options.dims ?? FEATURE_DIM)));
    const total = values.reduce((a, b) => a + Math.max(0, b), 0);
    this.explainedVariance = values.slice(0, P).reduce((a, b) => a + Math.max(0, b), 0) / Math.max(1e-12, total);
    this.dims = P;
    this.basis = new Float32Array(P * D);
    for (let k = 0; k < P; k++) for (let j = 0; j < D; j++) this.basis[k * D + j] = vectors[j * D + k];
    this.normalized = new Float32Array(count * P);
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < P; k++) {
        let acc = 0;
        for (let j = 0; j < D; j++) acc += this.basis[k * D + j] * z[i * D + j];
        this.normalized[i * P + k] = acc;
      }
    }
    this.tree = new KdTree(this.normalized, P);
    const keys = Object.keys(clips[0].proportions) as (keyof HumanMeasurements)[];
    this.proportions = Object.fromEntries(keys.map((k) => [k, clips.reduce((s, c) => s + c.proportions[k], 0) / clips.length])) as unknown as HumanMeasurements;
  }

  /**
   * Segment lengths for a user of height h metres from the library's mean proportions (a body model
   * from the head height alone, like Character.anthropometric, but fitted to the library subjects).
   */
  measurementsFor(h: number): HumanMeasurements {
    return Object.fromEntries(Object.entries(this.proportions).map(([k, x]) => [k, x * h])) as unknown as HumanMeasurements;
  }

  /**
   * Weighted, standardized value of raw feature j: v = (x - mean[j]) * scale[j], soft-clipped to
   * clip[j] * tanh(v / clip[j]) where clip[j] > 0 (the search coordinates before the projection).
   */
  standardized(x: number, j: number): number {
    const v = (x - this.mean[j]) * this.scale[j];
    const c = this.clip[j];
    return c > 0 ? c * Math.tanh(v / c) : v;
  }

  /** Search coordinates (dims values) of a raw feature vector (FEATURE_DIM), like the library rows. */
  normalize(raw: ArrayLike<number>, out: Float32Array = new Float32Array(this.dims)): Float32Array {
    const z = this.q;
    for (let j = 0; j < FEATURE_DIM; j++) z[j] = this.standardized(raw[j], j);
    for (let k = 0; k < this.dims; k++) {
      let acc = 0;
      for (let j = 0; j < FEATURE_DIM; j++) acc += this.basis[k * FEATURE_DIM + j] * z[j];
      out[k] = acc;
    }
    return out;
  }

  /** The k nearest library rows to a raw feature vector (exact, KdTree), closest first; squared distances. */
  nearest(raw: ArrayLike<number>, k: number): { indices: Int32Array; dist2: Float64Array } {
    if (raw.length !== FEATURE_DIM) throw new RangeError(`MotionLibrary.nearest: expected ${FEATURE_DIM} features, got ${raw.length}`);
    if (this.qp.length !== this.dims) this.qp = new Float32Array(this.dims);
    return this.tree.knn(this.normalize(raw, this.qp), k);
  }

  /**
   * Blended output of the k nearest rows (default 8) for a raw feature vector. With carry, the
   * given rows (e.g. the previous neighbours played on; -1 entries are skipped) compete with the
   * nearest ones at their distance times (1 - carry.bonus), and the k best of both are blended.
   * @throws RangeError when raw has the wrong length or holds a non-finite value.
   */
  query(raw: ArrayLike<number>, k = 8, out: Float32Array = new Float32Array(OUTPUT_DIM), carry?: { rows: ArrayLike<number>; bonus: number }): MotionMatch {
    for (let j = 0; j < raw.length; j++) if (!Number.isFinite(raw[j])) throw new RangeError(`MotionLibrary.query: feature ${j} is not finite`);
    let { indices, dist2 } = this.nearest(raw, k);
    if (carry && carry.rows.length) {
      // squared distances in the search space (qp holds the projected query after nearest())
      const cand = new Map<number, number>();
      indices.forEach((r, n) => cand.set(r, dist2[n]));
      const P = this.dims;
      const f = (1 - carry.bonus) ** 2;
      for (let n = 0; n < carry.rows.length; n++) {
        const r = carry.rows[n];
        if (r < 0) continue;
        let s = 0;
        for (let j = 0; j < P; j++) s += (this.normalized[r * P + j] - this.qp[j]) ** 2;
        s *= f;
        const old = cand.get(r);
        if (old === undefined || s < old) cand.set(r, s);
      }
      const sorted = [...cand].sort((a, b) => a[1] - b[1]).slice(0, k);
      indices = Int32Array.from(sorted, (x) => x[0]);
      dist2 = Float64Array.from(sorted, (x) => x[1]);
    }
    const d = Array.from(dist2, Math.sqrt);
    const eps = 0.1 * d[0] + 1e-6;
    out.fill(0);
    let wsum = 0;
    let head = 0;
    indices.forEach((row, n) => {
      const w = 1 / (d[n] + eps);
      wsum += w;
      head += w * this.headHeight[row];
      const o = row * OUTPUT_DIM;
      for (let j = 0; j < OUTPUT_DIM; j++) out[j] += w * this.outputs[o + j];
    });
    for (let j = 0; j < OUTPUT_DIM; j++) out[j] /= wsum;
    return { output: out, rows: indices, distances: Float64Array.from(d), headHeight: head / wsum };
  }
}
