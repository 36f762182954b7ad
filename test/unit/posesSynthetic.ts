/** Synthetic SfM scenes with known poses for the src/poses tests (no GPU). */
import { Random } from '../../src/core/random';
import type { PinholeCamera } from '../../src/poses/projection';
import { projectPoint } from '../../src/poses/projection';
import type { IntrinsicsGuess, PairMatches, ViewFeatures } from '../../src/poses/types';

export interface SyntheticScene {
  cameras: PinholeCamera[];
  /** N*3 world points. */
  points: Float64Array;
  width: number;
  height: number;
}

/** World-to-camera rotation (rows x, y, z) of a camera at `center` looking at `target`, with `down` roughly image-down. */
export function lookAt(center: number[], target: number[], down: number[]): Float64Array {
  const norm = (v: number[]): number[] => {
    const n = Math.hypot(v[0], v[1], v[2]);
    return v.map((x) => x / n);
  };
  const cross = (a: number[], b: number[]): number[] => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const z = norm([target[0] - center[0], target[1] - center[1], target[2] - center[2]]);
  const x = norm(cross(down, z));
  const y = cross(z, x);
  return Float64Array.from([...x, ...y, ...z]);
}

function cameraAt(R: Float64Array, C: number[], focal: number, width: number, height: number): PinholeCamera {
  const t = Float64Array.from([0, 1, 2].map((r) => -(R[r * 3] * C[0] + R[r * 3 + 1] * C[1] + R[r * 3 + 2] * C[2])));
  return { R, t, focal, cx: width / 2, cy: height / 2 };
}

/**
 * 'forward': LLFF-like forward-facing rig, centres within +-0.4 of the origin in x/y, looking at +z,
 * points at depth 3-8 (small baseline). 'orbit': Blender-like ring of radius 4 around points in a
 * radius-1 ball (wide baseline, 360/n degrees apart).
 */
export function makeScene(kind: 'forward' | 'orbit', nViews: number, seed = 1, focal = 500, nPoints = 400): SyntheticScene {
  const random = new Random(seed);
  const width = 640;
  const height = 480;
  const cameras: PinholeCamera[] = [];
  for (let v = 0; v < nViews; v++) {
    if (kind === 'forward') {
      const a = (v / Math.max(1, nViews - 1) - 0.5) * 0.8;
      const C = [a, 0.15 * Math.sin(3 * v), 0.1 * random.uniform(-1, 1)];
      const target = [0.2 * random.uniform(-1, 1), 0.2 * random.uniform(-1, 1), 5];
      cameras.push(cameraAt(lookAt(C, target, [0, 1, 0]), C, focal, width, height));
    } else {
      const a = (2 * Math.PI * v) / nViews;
      const C = [4 * Math.cos(a), 4 * Math.sin(a), 1.5 + 0.3 * Math.sin(2 * v)];
      cameras.push(cameraAt(lookAt(C, [0, 0, 0], [0, 0, -1]), C, focal, width, height));
    }
  }
  const points = new Float64Array(nPoints * 3);
  for (let k = 0; k < nPoints; k++) {
    if (kind === 'forward') {
      const z = random.uniform(3, 8);
      points.set([random.uniform(-0.45, 0.45) * z, random.uniform(-0.35, 0.35) * z, z], 3 * k);
    } else {
      let p: number[];
      do p = [random.uniform(-1, 1), random.uniform(-1, 1), random.uniform(-1, 1)];
      while (Math.hypot(p[0], p[1], p[2]) > 1);
      points.set(p, 3 * k);
    }
  }
  return { cameras, points, width, height };
}

/** Pixel projections of all points in a camera: N*2 (NaN when outside the image or behind). */
export function projectAll(scene: SyntheticScene, cam: PinholeCamera): Float64Array {
  const n = scene.points.length / 3;
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    const q = projectPoint(cam.R, cam.t, cam.focal, cam.cx, cam.cy, scene.points.subarray(3 * k, 3 * k + 3));
    const inside = q.z > 0 && q.u >= 0 && q.u < scene.width && q.v >= 0 && q.v < scene.height;
    out[2 * k] = inside ? q.u : NaN;
    out[2 * k + 1] = inside ? q.v : NaN;
  }
  return out;
}

/**
 * Features and putative matches of a synthetic scene: every visible point becomes a keypoint
 * (with Gaussian pixel noise), each view gets extra clutter keypoints, feature order is shuffled,
 * and a fraction of every pair's matches is replaced by random wrong pairs.
 */
export function makeMatches(
  scene: SyntheticScene,
  opts: { noisePx?: number; outlierFraction?: number; seed?: number; names?: string[] } = {},
): { views: ViewFeatures[]; matches: PairMatches[]; featureOfPoint: Int32Array[] } {
  const random = new Random(opts.seed ?? 7);
  const noise = opts.noisePx ?? 0.5;
  const outliers = opts.outlierFraction ?? 0.25;
  const nPoints = scene.points.length / 3;
  const views: ViewFeatures[] = [];
  const featureOfPoint: Int32Array[] = [];
  scene.cameras.forEach((cam, v) => {
    const proj = projectAll(scene, cam);
    const list: number[][] = [];
    const pointOf: number[] = [];
    for (let k = 0; k < nPoints; k++) {
      if (Number.isNaN(proj[2 * k])) continue;
      list.push([proj[2 * k] + noise * random.normal(), proj[2 * k + 1] + noise * random.normal()]);
      pointOf.push(k);
    }
    for (let c = 0; c < 50; c++) {
      list.push([random.uniform(0, scene.width), random.uniform(0, scene.height)]);
      pointOf.push(-1);
    }
    const order = list.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const xy = new Float32Array(order.length * 2);
    const rgb = new Float32Array(order.length * 3).fill(0.5);
    const fop = new Int32Array(nPoints).fill(-1);
    order.forEach((src, dst) => {
      xy[2 * dst] = list[src][0];
      xy[2 * dst + 1] = list[src][1];
      if (pointOf[src] >= 0) fop[pointOf[src]] = dst;
    });
    featureOfPoint.push(fop);
    views.push({ name: opts.names?.[v] ?? `view${v}.jpg`, width: scene.width, height: scene.height, xy, rgb });
  });
  const matches: PairMatches[] = [];
  for (let i = 0; i < views.length; i++) {
    for (let j = i + 1; j < views.length; j++) {
      const pairs: number[] = [];
      for (let k = 0; k < nPoints; k++) {
        const a = featureOfPoint[i][k];
        const b = featureOfPoint[j][k];
        if (a < 0 || b < 0) continue;
        if (random.next() < outliers) pairs.push(a, random.int(views[j].xy.length / 2));
        else pairs.push(a, b);
      }
      matches.push({ i, j, idx: Uint32Array.from(pairs) });
    }
  }
  return { views, matches, featureOfPoint };
}

/** Intrinsics guesses for the views of a scene, the focal scaled by `focalFactor`. */
export function guesses(scene: SyntheticScene, focalFactor = 1): IntrinsicsGuess[] {
  return scene.cameras.map((c) => ({ focalPx: c.focal * focalFactor, cx: c.cx, cy: c.cy, source: 'given' as const }));
}
