import type { Camera } from '../core/Camera';
import { SH_C0, createGaussianCloud, logit, type GaussianCloud } from '../core/GaussianCloud';
import type { Scene } from '../core/Scene';
import { mulberry32 } from './alignDepth';
import { lift, project, sweepDepthRange } from './depthRange';
import type { HullGrid } from './visualHull';

/**
 * The pixel ray of each per-pixel Gaussian (CoherentGS binds a Gaussian to its ray; only the distance
 * along it is optimized). Gaussian i lies at origin_i + depth_i * dir_i.
 */
export interface PixelRays {
  /** N scene view indices (into scene.cameras). */
  view: Uint32Array;
  /** N*2 integer pixel (x, y) whose centre (x + 0.5, y + 0.5) the ray passes through. */
  pixel: Uint32Array;
  /** N*3 ray origins (camera centres), world units. */
  origin: Float32Array;
  /** N*3 unit ray directions, world. */
  dir: Float32Array;
  /** N distances along dir (world units; not camera z). */
  depth: Float32Array;
}

/** Per-view grid of per-pixel Gaussians: cell (row-major, width*height) -> Gaussian index or -1. */
export interface PixelGrid {
  /** Scene view index. */
  view: number;
  width: number;
  height: number;
  index: Int32Array;
}

/** Options of initPerPixel. */
export interface PerPixelOptions {
  /** One Gaussian per block x block pixels (default 1). */
  block?: number;
  /** Initial opacity in (0,1) (default 0.3). */
  opacity?: number;
  /** Pixels with confidence <= this are skipped (default 0); ignored when confidence is null. */
  minConfidence?: number;
  /** Multiplies the footprint scale (default 1). */
  scaleFactor?: number;
}

function checkInputs(fn: string, scene: Scene, viewIds: number[], depths: Float32Array[], confidence: Float32Array[] | null): void {
  if (viewIds.length === 0) throw new Error(`${fn}: viewIds is empty`);
  if (depths.length !== viewIds.length) throw new Error(`${fn}: ${depths.length} depth maps for ${viewIds.length} views`);
  if (confidence && confidence.length !== viewIds.length) throw new Error(`${fn}: ${confidence.length} confidence maps for ${viewIds.length} views`);
  viewIds.forEach((id, k) => {
    const cam = scene.cameras[id];
    if (!cam || !scene.images[id]) throw new Error(`${fn}: view ${id} is not in scene "${scene.name}"`);
    const n = cam.width * cam.height;
    if (depths[k].length !== n) throw new Error(`${fn}: depth map of view ${id} has ${depths[k].length} values, expected ${cam.width}x${cam.height}`);
    if (confidence && confidence[k].length !== n) {
      throw new Error(`${fn}: confidence map of view ${id} has ${confidence[k].length} values, expected ${cam.width}x${cam.height}`);
    }
  });
}

/** Unit world direction through pixel position (u, v) and |K^-1 (u, v, 1)| (distance per unit camera z). */
function pixelRay(cam: Camera, u: number, v: number): [number, number, number, number] {
  const x = (u - cam.cx) / cam.fx;
  const y = (v - cam.cy) / cam.fy;
  const len = Math.hypot(x, y, 1);
  const R = cam.R;
  return [(R[0] * x + R[3] * y + R[6]) / len, (R[1] * x + R[4] * y + R[7]) / len, (R[2] * x + R[5] * y + R[8]) / len, len];
}

/**
 * CoherentGS-style per-pixel initialization (Paliwal et al. 2024, Sec. 4.1): for each view and each
 * block x block cell of its image, one Gaussian on the ray through the cell's centre pixel
 * (x = bx*block + floor(block/2), clamped) at the median prior depth of the cell's usable pixels
 * (depth > 0 and confidence > minConfidence), colour = mean sRGB colour of the cell as SH DC
 * ((c - 0.5) / C0, degree 0), isotropic scale = depth / f * block * scaleFactor (pixel footprint,
 * f = mean focal length), opacity `opacity`, identity rotation.
 * @param depths per view (same order as viewIds) H*W camera-z depth, 0 = unknown
 * @param confidence per view H*W, or null to use every pixel with depth > 0
 * @returns the cloud, each Gaussian's ray (same order), and per-view cell -> Gaussian grids for a TV loss
 * @throws Error when map counts or sizes disagree with the views, or block is not a positive integer
 */
export function initPerPixel(
  scene: Scene,
  viewIds: number[],
  depths: Float32Array[],
  confidence: Float32Array[] | null,
  opts: PerPixelOptions = {},
): { cloud: GaussianCloud; rays: PixelRays; grids: PixelGrid[] } {
  checkInputs('initPerPixel', scene, viewIds, depths, confidence);
  const b = opts.block ?? 1;
  if (!(Number.isInteger(b) && b >= 1)) throw new Error(`initPerPixel: block must be a positive integer (got ${b})`);
  const minConf = opts.minConfidence ?? 0;
  const opacity = opts.opacity ?? 0.3;
  const scaleFactor = opts.scaleFactor ?? 1;
  type Item = { view: number; x: number; y: number; z: number; rgb: [number, number, number] };
  const items: Item[] = [];
  const grids: PixelGrid[] = [];
  viewIds.forEach((id, k) => {
    const cam = scene.cameras[id];
    const img = scene.images[id].data;
    const { width: W, height: H } = cam;
    const gw = Math.ceil(W / b);
    const gh = Math.ceil(H / b);
    const index = new Int32Array(gw * gh).fill(-1);
    const zs: number[] = [];
    for (let by = 0; by < gh; by++) {
      for (let bx = 0; bx < gw; bx++) {
        zs.length = 0;
        const rgb: [number, number, number] = [0, 0, 0];
        let npx = 0;
        for (let y = by * b; y < Math.min(H, by * b + b); y++) {
          for (let x = bx * b; x < Math.min(W, bx * b + b); x++) {
            const p = y * W + x;
            for (let c = 0; c < 3; c++) rgb[c] += img[p * 3 + c];
            npx++;
            const z = depths[k][p];
            if (z > 0 && Number.isFinite(z) && (!confidence || confidence[k][p] > minConf)) zs.push(z);
          }
        }
        if (zs.length === 0) continue;
        zs.sort((p, q) => p - q);
        index[by * gw + bx] = items.length;
        items.push({
          view: id,
          x: Math.min(W - 1, bx * b + (b >> 1)),
          y: Math.min(H - 1, by * b + (b >> 1)),
          z: zs[zs.length >> 1],
          rgb: [rgb[0] / npx, rgb[1] / npx, rgb[2] / npx],
        });
      }
    }
    grids.push({ view: id, width: gw, height: gh, index });
  });

  const n = items.length;
  const cloud = createGaussianCloud(n, 0);
  const rays: PixelRays = {
    view: new Uint32Array(n),
    pixel: new Uint32Array(n * 2),
    origin: new Float32Array(n * 3),
    dir: new Float32Array(n * 3),
    depth: new Float32Array(n),
  };
  const lo = logit(opacity);
  items.forEach((it, i) => {
    const cam = scene.cameras[it.view];
    const o = cam.center;
    const [dx, dy, dz, len] = pixelRay(cam, it.x + 0.5, it.y + 0.5);
    const t = it.z * len;
    rays.view[i] = it.view;
    rays.pixel.set([it.x, it.y], i * 2);
    rays.origin.set(o, i * 3);
    rays.dir.set([dx, dy, dz], i * 3);
    rays.depth[i] = t;
    cloud.means.set([o[0] + dx * t, o[1] + dy * t, o[2] + dz * t], i * 3);
    const s = Math.log(((it.z * 2) / (cam.fx + cam.fy)) * b * scaleFactor);
    cloud.logScales.set([s, s, s], i * 3);
    cloud.logitOpacities[i] = lo;
    for (let c = 0; c < 3; c++) cloud.sh[i * 3 + c] = (it.rgb[c] - 0.5) / SH_C0;
  });
  return { cloud, rays, grids };
}

/** Options of initFusedPointCloud. */
export interface FusedOptions {
  /** Voxel edge for de-duplication, world units (default: twice the median pixel footprint z/f). */
  voxelSize?: number;
  /** Upper bound on points; the voxel grows by 1.25x until it holds (default 200000). */
  maxPoints?: number;
  /** Initial opacity in (0,1) (default 0.3). */
  opacity?: number;
  /** Pixels with confidence <= this are skipped (default 0); ignored when confidence is null. */
  minConfidence?: number;
}

/**
 * Fused point-cloud initialization (as in MVS-initialized 3DGS): every usable pixel of every view
 * (depth > 0, confidence > minConfidence) is lifted to 3D, the points are merged per voxel (mean
 * position and mean sRGB colour), and each voxel becomes one Gaussian: SH DC (c - 0.5) / C0,
 * isotropic scale = voxel / 2, opacity `opacity`.
 * @throws Error when map counts or sizes disagree with the views, or no pixel is usable
 */
export function initFusedPointCloud(
  scene: Scene,
  viewIds: number[],
  depths: Float32Array[],
  confidence: Float32Array[] | null,
  opts: FusedOptions = {},
): GaussianCloud {
  checkInputs('initFusedPointCloud', scene, viewIds, depths, confidence);
  const minConf = opts.minConfidence ?? 0;
  const pts: number[] = [];
  const cols: number[] = [];
  const footprints: number[] = [];
  viewIds.forEach((id, k) => {
    const cam = scene.cameras[id];
    const img = scene.images[id].data;
    for (let y = 0; y < cam.height; y++) {
      for (let x = 0; x < cam.width; x++) {
        const p = y * cam.width + x;
        const z = depths[k][p];
        if (!(z > 0 && Number.isFinite(z)) || (confidence && !(confidence[k][p] > minConf))) continue;
        pts.push(...lift(cam, x + 0.5, y + 0.5, z));
        cols.push(img[p * 3], img[p * 3 + 1], img[p * 3 + 2]);
        if ((p & 15) === 0) footprints.push((z * 2) / (cam.fx + cam.fy));
      }
    }
  });
  const m = pts.length / 3;
  if (m === 0) throw new Error(`initFusedPointCloud: no pixel of views ${viewIds.join(',')} has a usable depth`);
  footprints.sort((p, q) => p - q);
  let voxel = opts.voxelSize ?? 2 * (footprints[footprints.length >> 1] ?? 0.01);
  if (!(voxel > 0)) throw new Error(`initFusedPointCloud: voxelSize must be positive (got ${voxel})`);
  const maxPoints = opts.maxPoints ?? 200000;
  let min = [Infinity, Infinity, Infinity];
  for (let i = 0; i < m; i++) for (let c = 0; c < 3; c++) min[c] = Math.min(min[c], pts[i * 3 + c]);
  min = min.map((v) => v - 1e-6);
  for (;;) {
    const K = 1 << 17;
    const cells = new Map<number, number[]>();
    let overflow = false;
    for (let i = 0; i < m && !overflow; i++) {
      const q = [0, 1, 2].map((c) => Math.floor((pts[i * 3 + c] - min[c]) / voxel));
      if (q.some((v) => v >= K)) {
        overflow = true;
        break;
      }
      const key = q[0] + K * (q[1] + K * q[2]);
      let acc = cells.get(key);
      if (!acc) cells.set(key, (acc = [0, 0, 0, 0, 0, 0, 0]));
      for (let c = 0; c < 3; c++) {
        acc[c] += pts[i * 3 + c];
        acc[3 + c] += cols[i * 3 + c];
      }
      acc[6]++;
    }
    if (overflow || cells.size > maxPoints) {
      voxel *= 1.25;
      continue;
    }
    const cloud = createGaussianCloud(cells.size, 0);
    const ls = Math.log(voxel / 2);
    const lo = logit(opts.opacity ?? 0.3);
    let i = 0;
    for (const acc of cells.values()) {
      const w = acc[6];
      cloud.means.set([acc[0] / w, acc[1] / w, acc[2] / w], i * 3);
      cloud.logScales.set([ls, ls, ls], i * 3);
      cloud.logitOpacities[i] = lo;
      for (let c = 0; c < 3; c++) cloud.sh[i * 3 + c] = (acc[3 + c] / w - 0.5) / SH_C0;
      i++;
    }
    return cloud;
  }
}

/**
 * Random initialization in the camera frusta (the sparse-view baseline): each point picks a view of
 * `viewIds` in turn, a uniform random pixel position and a depth uniform in inverse depth between
 * the view's sweep bounds (scene.depthBounds, else the frusta overlap); random colour (SH DC of a
 * uniform [0,1] colour), isotropic scale = depth / f * sqrt(W*H*views / count) (the lateral spacing),
 * opacity 0.1 (3DGS).
 * @param seed seed of the deterministic generator (default 0)
 * @throws Error when count is not a positive integer or the depth range cannot be derived
 */
export function initRandom(scene: Scene, viewIds: number[], count: number, seed = 0): GaussianCloud {
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`initRandom: count must be a positive integer (got ${count})`);
  if (viewIds.length === 0) throw new Error('initRandom: viewIds is empty');
  for (const id of viewIds) if (!scene.cameras[id]) throw new Error(`initRandom: view ${id} is not in scene "${scene.name}"`);
  const ranges = viewIds.map((id) => {
    const others = viewIds.filter((o) => o !== id);
    if (others.length === 0 && !scene.depthBounds?.[id]) {
      throw new Error(`initRandom: view ${id} has no depthBounds and no other view to bound the frustum`);
    }
    return sweepDepthRange(scene, id, others);
  });
  const rand = mulberry32(seed + 0x9e3779b9);
  const cloud = createGaussianCloud(count, 0);
  const lo = logit(0.1);
  for (let i = 0; i < count; i++) {
    const k = i % viewIds.length;
    const cam = scene.cameras[viewIds[k]];
    const [near, far] = ranges[k];
    const inv = 1 / near + rand() * (1 / far - 1 / near);
    const z = 1 / inv;
    const X = lift(cam, rand() * cam.width, rand() * cam.height, z);
    cloud.means.set(X, i * 3);
    const spacing = Math.sqrt((cam.width * cam.height * viewIds.length) / count);
    const s = Math.log(((z * 2) / (cam.fx + cam.fy)) * spacing);
    cloud.logScales.set([s, s, s], i * 3);
    cloud.logitOpacities[i] = lo;
    for (let c = 0; c < 3; c++) cloud.sh[i * 3 + c] = (rand() - 0.5) / SH_C0;
  }
  return cloud;
}

/**
 * Whether the views look inward at a common object (a 360-degree or turntable capture, as Blender's
 * synthetic scenes) rather than forward at a scene (LLFF): the mean angle between their optical axes
 * exceeds 25 degrees.
 * @param cameras two or more cameras (fewer: false)
 */
export function isInwardRig(cameras: Camera[]): boolean {
  if (cameras.length < 2) return false;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < cameras.length; i++) {
    for (let j = i + 1; j < cameras.length; j++) {
      const a = cameras[i].forward;
      const b = cameras[j].forward;
      sum += Math.acos(Math.max(-1, Math.min(1, a[0] * b[0] + a[1] * b[1] + a[2] * b[2])));
      pairs++;
    }
  }
  return sum / pairs > (25 * Math.PI) / 180;
}

/**
 * Random initialization uniform in the volume that at least `minViews` training views see (default:
 * half of them, at least 2), as 3DGS initializes synthetic scenes uniformly in a box around the
 * object, but bounded by what the cameras see rather than a fixed cube. (Two views are not enough
 * on a ring of wide-angle cameras: neighbours' frusta overlap out to infinity behind the object.) Candidates are drawn per view in turn: a uniform pixel position and a
 * depth between the view's sweep bounds with density proportional to z^2 (uniform in the frustum's
 * volume); a candidate is kept when it lies inside the image of at least `minViews` of the views
 * (its own included), in front of them. Random colour (SH DC of a uniform [0,1] colour), opacity 0.1,
 * isotropic scale randomInitScale of the mean spacing (volume of the kept points' bounding box / count)^(1/3).
 * Draws are capped at 200 per point; the points still missing are drawn without the covisibility
 * test (as initRandom does, uniform in inverse depth).
 * @param seed seed of the deterministic generator (default 0)
 * @throws Error when count is not a positive integer, minViews is not in 1..viewIds.length, or the depth range cannot be derived
 */
export function initRandomCovisible(scene: Scene, viewIds: number[], count: number, seed = 0, minViews = Math.max(2, Math.ceil(viewIds.length / 2))): GaussianCloud {
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`initRandomCovisible: count must be a positive integer (got ${count})`);
  if (viewIds.length === 0) throw new Error('initRandomCovisible: viewIds is empty');
  for (const id of viewIds) if (!scene.cameras[id]) throw new Error(`initRandomCovisible: view ${id} is not in scene "${scene.name}"`);
  const need = Math.min(minViews, viewIds.length);
  if (!(Number.isInteger(minViews) && minViews >= 1)) throw new Error(`initRandomCovisible: minViews must be a positive integer (got ${minViews})`);
  const cams = viewIds.map((id) => scene.cameras[id]);
  const ranges = viewIds.map((id) => sweepDepthRange(scene, id, viewIds.filter((o) => o !== id)));
  const rand = mulberry32(seed + 0x7f4a7c15);
  const kept: number[] = [];
  const seenBy = (X: [number, number, number]) => {
    let n = 0;
    for (const c of cams) {
      const [u, v, z] = project(c, X);
      if (z > 0 && u >= 0 && v >= 0 && u <= c.width && v <= c.height) n++;
    }
    return n;
  };
  // 1. The covisible region's extent: rays sampled uniform in inverse depth (dense near the cameras,
  // still reaching far), kept when covisible; the box is their 1st-99th percentile per axis.
  const probe: number[][] = [[], [], []];
  for (let draw = 0; probe[0].length < 4000 && draw < 400_000; draw++) {
    const k = draw % cams.length;
    const [near, far] = ranges[k];
    const z = 1 / (1 / near + rand() * (1 / far - 1 / near));
    const X = lift(cams[k], rand() * cams[k].width, rand() * cams[k].height, z);
    if (seenBy(X) >= need) for (let a = 0; a < 3; a++) probe[a].push(X[a]);
  }
  if (probe[0].length < 10) throw new Error(`initRandomCovisible: no region of scene "${scene.name}" is seen by ${need} of the training views`);
  const box = probe.map((axis) => {
    const v = Float64Array.from(axis).sort();
    const lo = v[Math.floor(0.01 * (v.length - 1))];
    const hi = v[Math.ceil(0.99 * (v.length - 1))];
    return [lo, Math.max(hi, lo + 1e-9)];
  });
  // 2. Uniform in that box, kept when covisible (200 draws per point at most).
  for (let draw = 0; kept.length < count * 3 && draw < count * 200; draw++) {
    const X: [number, number, number] = [0, 1, 2].map((a) => box[a][0] + rand() * (box[a][1] - box[a][0])) as [number, number, number];
    if (seenBy(X) >= need) kept.push(X[0], X[1], X[2]);
  }
  const cloud = createGaussianCloud(count, 0);
  // Too few kept (a thin covisible region): the probe points fill the rest, cycling.
  for (let i = kept.length / 3, p = 0; i < count; i++, p = (p + 1) % probe[0].length) kept.push(probe[0][p], probe[1][p], probe[2][p]);
  cloud.means.set(kept.slice(0, count * 3));
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < count; i++) {
    for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a], cloud.means[i * 3 + a]);
      hi[a] = Math.max(hi[a], cloud.means[i * 3 + a]);
    }
  }
  const volume = Math.max(1e-30, (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]));
  setRandomAppearance(cloud, randomInitScale(Math.cbrt(volume / count), count), rand);
  return cloud;
}

/**
 * Expected optical depth of a random init along a ray across its volume (see randomInitScale).
 * A scale of the mean spacing (3DGS's nearest-neighbour scale is about 0.7 of it) makes 100k points a
 * fog of optical depth near 29 (14 at 0.7), whose Gaussians share each pixel's gradient so thinly that
 * it hardly clears: lego, 50 views, 200x200, 600 steps from a covisible box of 100k, test PSNR 11.3 dB
 * at the mean spacing, 17.3 at 0.7 of it, 22.8 at 0.5, 24.0 at optical depth 3.6 (0.35). With 8 views
 * `sparse` still scores 0.1-0.3 dB better from the thick fog (README, session 13).
 */
export const RANDOM_INIT_OPTICAL_DEPTH = 3.5;

/**
 * Isotropic scale (world units) of `count` random Gaussians of opacity 0.1 filling a volume with mean
 * spacing `spacing` (volume / count)^(1/3): a ray across the volume (about count^(1/3) spacings) meets
 * density x length x (0.1 x 2 pi sigma^2) = RANDOM_INIT_OPTICAL_DEPTH, so
 * sigma = spacing x sqrt(tau / (0.2 pi count^(1/3))), at most the spacing (few points).
 */
export function randomInitScale(spacing: number, count: number): number {
  return spacing * Math.min(1, Math.sqrt(RANDOM_INIT_OPTICAL_DEPTH / (0.2 * Math.PI * Math.cbrt(count))));
}

/** 3DGS's random-init appearance for every Gaussian of `cloud`: isotropic scale `scale` (world units), opacity 0.1, SH DC of a uniform [0,1] colour. */
function setRandomAppearance(cloud: GaussianCloud, scale: number, rand: () => number): void {
  const s = Math.log(scale);
  const lOpacity = logit(0.1);
  for (let i = 0; i < cloud.count; i++) {
    cloud.logScales.set([s, s, s], i * 3);
    cloud.logitOpacities[i] = lOpacity;
    for (let c = 0; c < 3; c++) cloud.sh[i * 3 + c] = (rand() - 0.5) / SH_C0;
  }
}

/**
 * Random initialization uniform in the volume of a visual hull (visualHullDepths' `grid`): as 3DGS
 * initializes synthetic scenes uniformly in a box around the object, but only where the training
 * silhouettes allow the object to be, so no Gaussian starts in the empty space that the box's
 * floaters come from. Each point picks an occupied voxel uniformly, then a uniform position in it.
 * Random colour (SH DC of a uniform [0,1] colour), opacity 0.1, isotropic scale randomInitScale of the
 * mean spacing (hull volume / count)^(1/3), or the mean spacing itself with `scale: 'spacing'`.
 * @param grid the hull's occupancy grid (world units)
 * @param seed seed of the deterministic generator (default 0)
 * @param opts.scale 'opticalDepth' (default, randomInitScale) or 'spacing' (a thick fog: see Recipe.hullInitRandom)
 * @throws Error when count is not a positive integer or the grid has no occupied voxel
 */
export function initRandomInHull(grid: HullGrid, count: number, seed = 0, opts: { scale?: 'opticalDepth' | 'spacing' } = {}): GaussianCloud {
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`initRandomInHull: count must be a positive integer (got ${count})`);
  const { occ, dims, voxel, origin } = grid;
  const cells: number[] = [];
  for (let c = 0; c < occ.length; c++) if (occ[c]) cells.push(c);
  if (cells.length === 0) throw new Error('initRandomInHull: the visual hull has no occupied voxel');
  const rand = mulberry32(seed + 0x2545f491);
  const cloud = createGaussianCloud(count, 0);
  for (let n = 0; n < count; n++) {
    const c = cells[Math.min(cells.length - 1, Math.floor(rand() * cells.length))];
    const i = c % dims[0];
    const j = Math.floor(c / dims[0]) % dims[1];
    const k = Math.floor(c / (dims[0] * dims[1]));
    cloud.means.set([origin[0] + (i + rand()) * voxel, origin[1] + (j + rand()) * voxel, origin[2] + (k + rand()) * voxel], n * 3);
  }
  const spacing = Math.cbrt((cells.length * voxel ** 3) / count);
  setRandomAppearance(cloud, opts.scale === 'spacing' ? spacing : randomInitScale(spacing, count), rand);
  return cloud;
}
