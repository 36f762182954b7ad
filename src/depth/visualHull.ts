import type { Camera } from '../core/Camera';
import type { Scene } from '../core/Scene';
import { lift, project, sweepDepthRange } from './depthRange';

/** Options of visualHullDepths. */
export interface VisualHullOptions {
  /** Voxels along the longest side of the hull's box (default 128). */
  resolution?: number;
  /** A pixel is foreground when its alpha exceeds this (default 0.5). */
  alphaThreshold?: number;
  /** The voxel carving tests silhouettes dilated by this many pixels, so thin parts survive (default 2). */
  dilate?: number;
}

/** The visual hull's per-view depth and its extent. */
export interface VisualHullDepths {
  /** Per view (order of viewIds) H*W camera-z depth of the hull's first surface along the pixel ray, world units; 0 = background or no hull. */
  depths: Float32Array[];
  /** Fraction of the views' foreground pixels whose ray hit the hull. */
  coverage: number;
  /** The box of the occupied voxels, world units: [minX, minY, minZ, maxX, maxY, maxZ]. */
  box: [number, number, number, number, number, number];
  /** The carved grid itself (for sampling the hull's volume: initRandomInHull). */
  grid: HullGrid;
}

/** Occupancy grid of a visual hull: voxel (i, j, k) spans origin + [i, i+1) * voxel along x (likewise y, z). */
export interface HullGrid {
  /** dims[0] * dims[1] * dims[2] flags, x fastest: occ[(k * dims[1] + j) * dims[0] + i] = 1 inside the hull. */
  occ: Uint8Array;
  dims: [number, number, number];
  /** Voxel edge, world units. */
  voxel: number;
  /** World position of the grid's minimum corner. */
  origin: [number, number, number];
  /** Occupied voxels. */
  count: number;
}

/** Binary silhouette of one view: 1 where alpha > threshold, then dilated by `dilate` pixels (square). */
function silhouette(alpha: Float32Array, W: number, H: number, threshold: number, dilate: number): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let i = 0; i < m.length; i++) m[i] = alpha[i] > threshold ? 1 : 0;
  if (dilate <= 0) return m;
  // Separable max filter: along rows (stride 1), then along columns (stride W).
  return maxFilter(maxFilter(m, W, H, 1, dilate), W, H, W, dilate);
}

/** Max over +-r neighbours along one axis of a W x H mask (stride 1: rows; stride W: columns). */
function maxFilter(m: Uint8Array, W: number, H: number, stride: number, r: number): Uint8Array {
  const out = new Uint8Array(W * H);
  const len = stride === 1 ? W : H;
  for (let p = 0; p < m.length; p++) {
    const i = stride === 1 ? p % W : Math.floor(p / W);
    let v = 0;
    for (let d = Math.max(-r, -i); d <= Math.min(r, len - 1 - i) && !v; d++) v = m[p + d * stride];
    out[p] = v;
  }
  return out;
}

/**
 * Whether X lies inside every silhouette cone: for each view it projects in front of the camera, and
 * where it lands inside the image the mask is set; a view it lands outside of does not constrain it,
 * but at least `minViews` views must see it.
 */
function insideCones(cams: Camera[], masks: Uint8Array[], X: ArrayLike<number>, minViews: number, skip = -1): boolean {
  let seen = 0;
  for (let k = 0; k < cams.length; k++) {
    const c = cams[k];
    const [u, v, z] = project(c, X);
    if (!(z > 0)) return false;
    if (u < 0 || v < 0 || u >= c.width || v >= c.height) continue;
    seen++;
    if (k === skip) continue;
    if (!masks[k][Math.floor(v) * c.width + Math.floor(u)]) return false;
  }
  return seen >= minViews;
}

/** Occupancy of a regular grid over `box`, `n` voxels along the longest side. */
function carve(cams: Camera[], masks: Uint8Array[], box: number[], n: number, minViews: number): { occ: Uint8Array; dims: [number, number, number]; voxel: number; count: number } {
  const ext = [box[3] - box[0], box[4] - box[1], box[5] - box[2]];
  const voxel = Math.max(ext[0], ext[1], ext[2]) / n;
  const dims = ext.map((e) => Math.max(1, Math.ceil(e / voxel))) as [number, number, number];
  const occ = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const X = [0, 0, 0];
  let count = 0;
  for (let k = 0; k < dims[2]; k++) {
    X[2] = box[2] + (k + 0.5) * voxel;
    for (let j = 0; j < dims[1]; j++) {
      X[1] = box[1] + (j + 0.5) * voxel;
      for (let i = 0; i < dims[0]; i++) {
        X[0] = box[0] + (i + 0.5) * voxel;
        if (insideCones(cams, masks, X, minViews)) {
          occ[(k * dims[1] + j) * dims[0] + i] = 1;
          count++;
        }
      }
    }
  }
  return { occ, dims, voxel, count };
}

/** The box of each silhouette's cone between the view's sweep bounds, intersected over the views. */
function conesBox(scene: Scene, viewIds: number[], masks: Uint8Array[]): number[] {
  const box = [-Infinity, -Infinity, -Infinity, Infinity, Infinity, Infinity];
  viewIds.forEach((id, k) => {
    const cam = scene.cameras[id];
    const [near, far] = sweepDepthRange(scene, id, viewIds.filter((o) => o !== id));
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let y = 0; y < cam.height; y++) {
      for (let x = 0; x < cam.width; x++) {
        if (!masks[k][y * cam.width + x]) continue;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x + 1); y0 = Math.min(y0, y); y1 = Math.max(y1, y + 1);
      }
    }
    if (!(x1 > x0)) return;
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    for (const z of [near, far]) {
      for (const [u, v] of [[x0, y0], [x1, y0], [x0, y1], [x1, y1]]) {
        const P = lift(cam, u, v, z);
        for (let a = 0; a < 3; a++) { lo[a] = Math.min(lo[a], P[a]); hi[a] = Math.max(hi[a], P[a]); }
      }
    }
    for (let a = 0; a < 3; a++) { box[a] = Math.max(box[a], lo[a]); box[a + 3] = Math.min(box[a + 3], hi[a]); }
  });
  return box;
}

/**
 * Why the training silhouettes cannot give a visual hull that contains the object, or null when they
 * can: a view whose silhouette (alpha > threshold) is empty, or touches the image border (the object is
 * cut by the frame, or the photo is opaque: its cone would carve away the parts outside the frame).
 * @param viewIds training views (scene indices)
 * @returns a sentence naming the photo, or null
 */
export function hullUnusableReason(scene: Scene, viewIds: number[], alphaThreshold = 0.5): string | null {
  if (!scene.alphas) return `the photos of scene "${scene.name}" are opaque (no alpha)`;
  for (const id of viewIds) {
    const a = scene.alphas[id];
    const { width: W, height: H } = scene.cameras[id];
    const name = scene.imageNames[id] ?? `view ${id}`;
    if (a.length !== W * H) return `photo ${name}: its alpha has ${a.length} values, not ${W}x${H}`;
    let fg = 0;
    for (let p = 0; p < a.length; p++) if (a[p] > alphaThreshold) fg++;
    if (fg === 0) return `photo ${name} has an empty silhouette (no pixel with alpha > ${alphaThreshold})`;
    for (let x = 0; x < W; x++) {
      if (a[x] > alphaThreshold || a[(H - 1) * W + x] > alphaThreshold) return `photo ${name}: the object touches the image border (or the photo is opaque), and the visual hull needs the whole object inside every training photo`;
    }
    for (let y = 0; y < H; y++) {
      if (a[y * W] > alphaThreshold || a[y * W + W - 1] > alphaThreshold) return `photo ${name}: the object touches the image border (or the photo is opaque), and the visual hull needs the whole object inside every training photo`;
    }
  }
  return null;
}

/**
 * Visual hull (Laurentini, "The visual hull concept for silhouette-based image understanding", TPAMI
 * 1994) of the training views' silhouettes (Scene.alphas > alphaThreshold), carved on a voxel grid,
 * and its depth seen from each training view. The hull contains the object, so its depth is at or in
 * front of the true surface: an initialization for the pixels the photometric MVS leaves unknown
 * (the untextured parts of an object photographed on a plain background).
 * Carving: the box of the silhouette cones (between each view's sweep bounds), carved at a quarter of
 * `resolution`, then the occupied voxels' box carved at `resolution`, each voxel centre tested
 * against the silhouettes dilated by `dilate` px and kept when inside every cone that sees it and seen
 * by at least half of the views. Depth: each foreground pixel's ray is marched through the grid (half
 * a voxel per step); from one step before the first occupied voxel the cone test (silhouettes grown by
 * one pixel, for the pixels' discretization) is repeated every eighth of a voxel.
 * @param viewIds training views (scene indices), two or more, all with alpha
 * @returns per-view camera-z depths (0 = background or missed), coverage, voxel count and box
 * @throws Error when the scene has no alphas, fewer than two views are given, a silhouette is empty or
 *   touches the image border (hullUnusableReason), or the silhouettes' cones do not meet
 */
export function visualHullDepths(scene: Scene, viewIds: number[], opts: VisualHullOptions = {}): VisualHullDepths {
  const alphas = scene.alphas;
  if (!alphas) throw new Error(`visualHullDepths: scene "${scene.name}" has no alpha (its photos are opaque), so there is no silhouette`);
  if (viewIds.length < 2) throw new Error(`visualHullDepths: need two or more views (got ${viewIds.length})`);
  const resolution = opts.resolution ?? 128;
  if (!(Number.isInteger(resolution) && resolution >= 8)) throw new Error(`visualHullDepths: resolution must be an integer >= 8 (got ${resolution})`);
  const threshold = opts.alphaThreshold ?? 0.5;
  const unusable = hullUnusableReason(scene, viewIds, threshold);
  if (unusable) throw new Error(`visualHullDepths: ${unusable}`);
  const dilate = opts.dilate ?? 2;
  const cams = viewIds.map((id) => scene.cameras[id]);
  const fg = viewIds.map((id, k) => silhouette(alphas[id], cams[k].width, cams[k].height, threshold, 0));
  // The exact test reads masks grown by one pixel: a surface point near another view's rim may fall in a pixel whose centre is outside.
  const near = viewIds.map((id, k) => silhouette(alphas[id], cams[k].width, cams[k].height, threshold, 1));
  const wide = viewIds.map((id, k) => silhouette(alphas[id], cams[k].width, cams[k].height, threshold, dilate));
  const minViews = Math.max(2, Math.ceil(viewIds.length / 2));

  let box = conesBox(scene, viewIds, wide);
  if (!(box[3] > box[0] && box[4] > box[1] && box[5] > box[2])) {
    throw new Error(`visualHullDepths: the silhouettes' cones of scene "${scene.name}" do not meet (views ${viewIds.join(', ')})`);
  }
  // Coarse pass for a tight box, then the fine grid.
  for (const n of [Math.max(8, resolution >> 2), resolution]) {
    const g = carve(cams, wide, box, n, minViews);
    if (g.count === 0) throw new Error(`visualHullDepths: the silhouettes of scene "${scene.name}" carve away every voxel (views ${viewIds.join(', ')})`);
    if (n === resolution) return marchDepths(cams, fg, near, g, box, minViews);
    // One coarse voxel of margin: a part thinner than a coarse voxel may have been carved.
    box = occupiedBox(g, box, 1);
  }
  throw new Error('unreachable');
}

/** The box of the grid's occupied voxels, grown by `margin` voxels on each side. */
function occupiedBox(g: { occ: Uint8Array; dims: [number, number, number]; voxel: number }, box: number[], margin: number): number[] {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let k = 0; k < g.dims[2]; k++) {
    for (let j = 0; j < g.dims[1]; j++) {
      for (let i = 0; i < g.dims[0]; i++) {
        if (!g.occ[(k * g.dims[1] + j) * g.dims[0] + i]) continue;
        const ijk = [i, j, k];
        for (let a = 0; a < 3; a++) { lo[a] = Math.min(lo[a], ijk[a]); hi[a] = Math.max(hi[a], ijk[a] + 1); }
      }
    }
  }
  return [0, 1, 2, 3, 4, 5].map((a) => (a < 3 ? box[a] + (lo[a] - margin) * g.voxel : box[a - 3] + (hi[a - 3] + margin) * g.voxel));
}

/** Marches each foreground pixel's ray through the occupancy grid; see visualHullDepths. */
function marchDepths(
  cams: Camera[],
  fg: Uint8Array[],
  near: Uint8Array[],
  g: { occ: Uint8Array; dims: [number, number, number]; voxel: number; count: number },
  box: number[],
  minViews: number,
): VisualHullDepths {
  const { occ, dims, voxel } = g;
  const occupied = (X: number[]) => {
    const i = Math.floor((X[0] - box[0]) / voxel);
    const j = Math.floor((X[1] - box[1]) / voxel);
    const k = Math.floor((X[2] - box[2]) / voxel);
    if (i < 0 || j < 0 || k < 0 || i >= dims[0] || j >= dims[1] || k >= dims[2]) return false;
    return occ[(k * dims[1] + j) * dims[0] + i] === 1;
  };
  const boxMax = [box[0] + dims[0] * voxel, box[1] + dims[1] * voxel, box[2] + dims[2] * voxel];
  let hits = 0;
  let total = 0;
  const X = [0, 0, 0];
  const depths = cams.map((cam, view) => {
    const out = new Float32Array(cam.width * cam.height);
    const o = cam.center;
    const R = cam.R;
    for (let y = 0; y < cam.height; y++) {
      for (let x = 0; x < cam.width; x++) {
        const p = y * cam.width + x;
        if (!fg[view][p]) continue;
        total++;
        const cx = (x + 0.5 - cam.cx) / cam.fx;
        const cy = (y + 0.5 - cam.cy) / cam.fy;
        // World direction per unit camera z (R is w2c, so R^T maps camera to world).
        const d = [R[0] * cx + R[3] * cy + R[6], R[1] * cx + R[4] * cy + R[7], R[2] * cx + R[5] * cy + R[8]];
        // Slab intersection with the grid's box, in camera z.
        let t0 = 0;
        let t1 = Infinity;
        for (let a = 0; a < 3; a++) {
          const lo = (box[a] - o[a]) / d[a];
          const hi = (boxMax[a] - o[a]) / d[a];
          t0 = Math.max(t0, Math.min(lo, hi));
          t1 = Math.min(t1, Math.max(lo, hi));
        }
        if (!(t1 > t0)) continue;
        const len = Math.hypot(d[0], d[1], d[2]);
        const step = (0.5 * voxel) / len;
        for (let t = t0; t < t1; t += step) {
          for (let a = 0; a < 3; a++) X[a] = o[a] + d[a] * t;
          if (!occupied(X)) continue;
          // Exact cone test on an eighth of a voxel, from one step back to two voxels on.
          const fine = step / 4;
          let z = 0;
          for (let s = t - step; s < t + 4 * step; s += fine) {
            for (let a = 0; a < 3; a++) X[a] = o[a] + d[a] * s;
            if (insideCones(cams, near, X, minViews, view)) { z = s; break; }
          }
          if (z > 0) {
            out[p] = z;
            hits++;
            break;
          }
          t += 4 * step;
        }
      }
    }
    return out;
  });
  const grid: HullGrid = { occ, dims, voxel, origin: [box[0], box[1], box[2]], count: g.count };
  return { depths, coverage: hits / Math.max(1, total), box: occupiedBox(g, box, 0) as VisualHullDepths['box'], grid };
}

/** Relative depth by which an MVS depth may lie in front of the visual hull (its voxels' discretization) before the hull replaces it. */
export const HULL_SLACK = 0.02;

/**
 * Gives the visual hull's depth to each pixel the hull covers (hull depth > 0) whose prior depth is
 * not confident (confidence <= 0.5 or not finite), or lies in front of the hull by more than `slack`
 * (impossible: the hull contains the object); confidence 1 there. Edits depths and confidence in place.
 * @param hull per view H*W hull camera-z depths (visualHullDepths), 0 = none
 * @param depths per view (same order) H*W prior camera-z depths, world units
 * @param confidence per view H*W confidence of `depths`, in [0, 1]
 * @returns the fraction of all pixels filled from the hull
 * @throws Error when the map counts or sizes disagree
 */
export function fillDepthFromHull(hull: Float32Array[], depths: Float32Array[], confidence: Float32Array[], slack = HULL_SLACK): number {
  if (hull.length !== depths.length || hull.length !== confidence.length) {
    throw new Error(`fillDepthFromHull: ${hull.length} hull maps, ${depths.length} depth maps and ${confidence.length} confidence maps`);
  }
  let filled = 0;
  let total = 0;
  hull.forEach((h, k) => {
    const d = depths[k];
    const c = confidence[k];
    if (d.length !== h.length || c.length !== h.length) throw new Error(`fillDepthFromHull: view ${k}: ${h.length} hull, ${d.length} depth and ${c.length} confidence values`);
    total += h.length;
    for (let p = 0; p < h.length; p++) {
      if (!(h[p] > 0)) continue;
      if (c[p] > 0.5 && Number.isFinite(d[p]) && d[p] >= h[p] * (1 - slack)) continue;
      d[p] = h[p];
      c[p] = 1;
      filled++;
    }
  });
  return filled / Math.max(1, total);
}

/**
 * The grid grown by `r` voxels (a 3D max filter of the occupancy, separable along x, y, z): a point
 * within r voxels of the carved hull counts as inside. Same dims, voxel and origin.
 */
export function dilateHullGrid(grid: HullGrid, r: number): HullGrid {
  const [nx, ny, nz] = grid.dims;
  let occ = grid.occ;
  if (r > 0) {
    for (const [len, stride] of [[nx, 1], [ny, nx], [nz, nx * ny]] as const) {
      const out = new Uint8Array(occ.length);
      for (let p = 0; p < occ.length; p++) {
        const i = Math.floor(p / stride) % len;
        let v = 0;
        for (let d = Math.max(-r, -i); d <= Math.min(r, len - 1 - i) && !v; d++) v = occ[p + d * stride];
        out[p] = v;
      }
      occ = out;
    }
  }
  let count = 0;
  for (const v of occ) count += v;
  return { occ, dims: grid.dims, voxel: grid.voxel, origin: grid.origin, count };
}

/** Whether world point (x, y, z) lies in an occupied voxel of the grid (false outside its box). */
export function insideHullGrid(grid: HullGrid, x: number, y: number, z: number): boolean {
  const i = Math.floor((x - grid.origin[0]) / grid.voxel);
  const j = Math.floor((y - grid.origin[1]) / grid.voxel);
  const k = Math.floor((z - grid.origin[2]) / grid.voxel);
  const [nx, ny, nz] = grid.dims;
  if (!(i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz)) return false;
  return grid.occ[(k * ny + j) * nx + i] === 1;
}
