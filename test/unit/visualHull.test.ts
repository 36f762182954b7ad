import { describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import type { Scene } from '../../src/core/Scene';
import { fillDepthFromHull, hullUnusableReason, visualHullDepths } from '../../src/depth/visualHull';
import { initRandomInHull, randomInitScale, RANDOM_INIT_OPTICAL_DEPTH } from '../../src/depth/initialize';
import { acquireGpu } from '../../src/gpu/device';
import { prepareInit } from '../../src/train/prepareInit';
import { applyOverrides, getRecipe } from '../../src/train/recipes';
import { Trainer } from '../../src/train/Trainer';
import { concatClouds, createGaussianCloud, logit } from '../../src/core/GaussianCloud';

const W = 64;
const H = 48;
const RADIUS = 0.8;

/** 8 cameras on a ring 4 units from the origin, alternately 1.5 above and below it, looking at the origin (OpenCV axes). */
function ringCameras(focal: number): Camera[] {
  return Array.from({ length: 8 }, (_, k) => {
    const a = (k / 8) * 2 * Math.PI;
    const C = [4 * Math.cos(a), k % 2 ? 1.5 : -1.5, 4 * Math.sin(a)];
    const z = C.map((c) => -c / Math.hypot(...C));
    const xr = [z[2], 0, -z[0]];
    const x = xr.map((v) => v / Math.hypot(...xr));
    const y = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]];
    const c2w = [x[0], y[0], z[0], C[0], x[1], y[1], z[1], C[1], x[2], y[2], z[2], C[2], 0, 0, 0, 1];
    return Camera.fromC2W(c2w, focal, focal, W / 2, H / 2, W, H, `ring${k}`);
  });
}

/** Camera-z depth of the sphere (centre origin, RADIUS) through pixel centre (x, y); 0 = missed. */
function sphereDepth(cam: Camera, x: number, y: number): number {
  const cx = (x + 0.5 - cam.cx) / cam.fx;
  const cy = (y + 0.5 - cam.cy) / cam.fy;
  const R = cam.R;
  const d = [R[0] * cx + R[3] * cy + R[6], R[1] * cx + R[4] * cy + R[7], R[2] * cx + R[5] * cy + R[8]];
  const o = cam.center;
  // |o + t d|^2 = r^2, t in camera z (d has camera z 1).
  const a = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
  const b = 2 * (o[0] * d[0] + o[1] * d[1] + o[2] * d[2]);
  const c = o[0] * o[0] + o[1] * o[1] + o[2] * o[2] - RADIUS * RADIUS;
  const disc = b * b - 4 * a * c;
  return disc < 0 ? 0 : (-b - Math.sqrt(disc)) / (2 * a);
}

function sphereScene(focal = 50): { scene: Scene; truth: Float32Array[] } {
  const cameras = ringCameras(focal);
  const truth = cameras.map((cam) => {
    const t = new Float32Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) t[y * W + x] = sphereDepth(cam, x, y);
    return t;
  });
  const alphas = truth.map((t) => t.map((z) => (z > 0 ? 1 : 0)));
  const images = cameras.map(() => ({ width: W, height: H, data: new Float32Array(W * H * 3) }));
  const scene = { name: 'sphere', cameras, images, imageNames: cameras.map((c) => c.name), alphas, background: [1, 1, 1], protocol: 'even' } as unknown as Scene;
  return { scene, truth };
}

describe('visual hull depth prior', () => {
  it('contains the object, and its depth is close to the surface seen from 8 views', () => {
    const { scene, truth } = sphereScene();
    const views = [0, 1, 2, 3, 4, 5, 6, 7];
    const hull = visualHullDepths(scene, views, { resolution: 64, dilate: 1 });
    const voxel = (hull.box[3] - hull.box[0]) / 64;
    // One pixel's footprint at the sphere's front (depth ~3.2, f = 50): the silhouettes' discretization.
    const pixel = 3.2 / 50;
    // The occupied voxels hug the sphere, give or take a few voxels.
    for (let a = 0; a < 3; a++) {
      expect(hull.box[a]).toBeGreaterThan(-RADIUS - 6 * voxel);
      expect(hull.box[a]).toBeLessThan(-RADIUS + voxel);
      expect(hull.box[a + 3]).toBeLessThan(RADIUS + 6 * voxel);
      expect(hull.box[a + 3]).toBeGreaterThan(RADIUS - voxel);
    }
    expect(hull.coverage).toBeGreaterThan(0.97);
    let sum = 0;
    let n = 0;
    views.forEach((_, k) => {
      for (let p = 0; p < W * H; p++) {
        const h = hull.depths[k][p];
        const t = truth[k][p];
        if (t === 0) {
          expect(h).toBe(0); // background pixels get no depth
          continue;
        }
        if (h === 0) continue;
        // The hull contains the sphere: its first surface is never behind the sphere's (within a voxel's discretization).
        expect(h).toBeLessThan(t + voxel);
        sum += t - h;
        n++;
      }
      // The pixel at the image centre looks at the origin: depth = distance - radius.
      const centre = (H / 2) * W + W / 2;
      expect(Math.abs(hull.depths[k][centre] - truth[k][centre])).toBeLessThan(2 * voxel + pixel);
    });
    // On average the hull of 8 spread views lies within a few voxels and pixels in front of the sphere.
    expect(sum / n).toBeLessThan(2 * voxel + 2 * pixel);
    expect(sum / n).toBeGreaterThan(-voxel);
  });

  it('rejects opaque scenes, a single view and bad settings', () => {
    const { scene } = sphereScene();
    expect(() => visualHullDepths({ ...scene, alphas: undefined }, [0, 1])).toThrow(/scene "sphere" has no alpha/);
    expect(() => visualHullDepths(scene, [0])).toThrow(/two or more views/);
    expect(() => visualHullDepths(scene, [0, 1], { resolution: 3 })).toThrow(/resolution/);
    // Silhouettes that share nothing: view 0 sees the sphere, view 4 (opposite) an empty image.
    const empty = { ...scene, alphas: scene.alphas!.map((a, k) => (k === 4 ? new Float32Array(a.length) : a)) };
    expect(hullUnusableReason(empty, [0, 4])).toMatch(/photo ring4 has an empty silhouette/);
    expect(() => visualHullDepths(empty, [0, 4])).toThrow(/photo ring4 has an empty silhouette/);
    // Zoomed in, the sphere is cut by the frame: cones clipped by the border would carve the object,
    // so the hull refuses (the same for an opaque photo: alpha 1 up to the border).
    const cut = sphereScene(200).scene;
    expect(hullUnusableReason(cut, [0, 1, 2])).toMatch(/photo ring0: the object touches the image border/);
    expect(() => visualHullDepths(cut, [0, 1, 2])).toThrow(/touches the image border/);
    const opaque = { ...scene, alphas: scene.alphas!.map((a, k) => (k === 2 ? new Float32Array(a.length).fill(1) : a)) };
    expect(hullUnusableReason(opaque, [0, 1, 2])).toMatch(/photo ring2/);
    expect(hullUnusableReason(scene, [0, 1, 2])).toBeNull();
  });

  it('fills the MVS depth where it is unsure or in front of the hull, keeps it behind, leaves the background', () => {
    const hull = [Float32Array.from([2, 2, 2, 2, 0])];
    // pixel 0: confident, behind the hull (kept); 1: confident, 10% in front (replaced); 2: unsure (replaced);
    // 3: confident, 1% in front (within the slack: kept); 4: background (no hull: kept as is).
    const depths = [Float32Array.from([2.5, 1.8, 3, 1.98, 7])];
    const confidence = [Float32Array.from([0.9, 0.9, 0.2, 0.9, 0.1])];
    const filled = fillDepthFromHull(hull, depths, confidence);
    expect(Array.from(depths[0])).toEqual([2.5, 2, 2, Math.fround(1.98), 7]);
    expect(Array.from(confidence[0])).toEqual([Math.fround(0.9), 1, 1, Math.fround(0.9), Math.fround(0.1)]);
    expect(filled).toBeCloseTo(2 / 5, 6);
    expect(() => fillDepthFromHull(hull, [new Float32Array(4)], confidence)).toThrow(/view 0/);
  });

  it('samples random Gaussians uniformly inside the hull volume (initRandomInHull)', () => {
    const { scene } = sphereScene();
    const { grid } = visualHullDepths(scene, [0, 1, 2, 3, 4, 5, 6, 7], { resolution: 32, dilate: 1 });
    const count = 20000;
    const cloud = initRandomInHull(grid, count, 3);
    const { occ, dims, voxel, origin } = grid;
    let inside = 0;
    const mean = [0, 0, 0];
    for (let n = 0; n < count; n++) {
      const X = [0, 1, 2].map((a) => cloud.means[n * 3 + a]);
      // Every point lies in an occupied voxel of the hull.
      const [i, j, k] = X.map((x, a) => Math.floor((x - origin[a]) / voxel));
      expect(occ[(k * dims[1] + j) * dims[0] + i]).toBe(1);
      if (Math.hypot(X[0], X[1], X[2]) < RADIUS) inside++;
      for (let a = 0; a < 3; a++) mean[a] += X[a] / count;
    }
    // Uniform: the share inside the sphere is the sphere's share of the hull's volume (the hull contains it).
    const share = ((4 / 3) * Math.PI * RADIUS ** 3) / (grid.count * voxel ** 3);
    expect(share).toBeLessThan(1);
    expect(inside / count).toBeGreaterThan(share - 0.03);
    expect(inside / count).toBeLessThan(share + 0.03);
    for (const m of mean) expect(Math.abs(m)).toBeLessThan(voxel);
    // Scale: randomInitScale of the mean spacing (volume per point)^(1/3); opacity 0.1 (3DGS).
    const spacing = Math.cbrt((grid.count * voxel ** 3) / count);
    expect(Math.exp(cloud.logScales[0])).toBeCloseTo(randomInitScale(spacing, count), 6);
    // That scale gives the documented optical depth: rays along z near the centre meet
    // sum -ln(1 - 0.1 G) = RANDOM_INIT_OPTICAL_DEPTH x chord / volume^(1/3), chord from the grid.
    const sigma = Math.exp(cloud.logScales[0]);
    let ratio = 0;
    const rays = 25;
    for (let r = 0; r < rays; r++) {
      const x = ((r % 5) - 2) * 0.1, y = (Math.floor(r / 5) - 2) * 0.1;
      let tau = 0;
      for (let n = 0; n < count; n++) {
        const d2 = (cloud.means[n * 3] - x) ** 2 + (cloud.means[n * 3 + 1] - y) ** 2;
        tau -= Math.log(1 - 0.1 * Math.exp(-d2 / (2 * sigma * sigma)));
      }
      const [i, j] = [x, y].map((v, a) => Math.floor((v - origin[a]) / voxel));
      let cells = 0;
      for (let k = 0; k < dims[2]; k++) cells += occ[(k * dims[1] + j) * dims[0] + i];
      ratio += tau / ((RANDOM_INIT_OPTICAL_DEPTH * cells * voxel) / Math.cbrt(grid.count * voxel ** 3)) / rays;
    }
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
    // scale: 'spacing' (Recipe.hullInitRandom's): the same points at the mean spacing.
    const thick = initRandomInHull(grid, count, 3, { scale: 'spacing' });
    expect(Array.from(thick.means.subarray(0, 30))).toEqual(Array.from(cloud.means.subarray(0, 30)));
    expect(Math.exp(thick.logScales[0])).toBeCloseTo(spacing, 6);
    expect(1 / (1 + Math.exp(-cloud.logitOpacities[0]))).toBeCloseTo(0.1, 6);
    expect(() => initRandomInHull(grid, 0)).toThrow(/count must be a positive integer/);
    expect(() => initRandomInHull({ ...grid, occ: new Uint8Array(occ.length), count: 0 }, 10)).toThrow(/no occupied voxel/);
  });
  it('hullInitRandom appends Gaussians inside the hull after the per-pixel ones, only where the hull prior runs', async () => {
    const gpu = await acquireGpu();
    const { scene } = sphereScene();
    const views = [0, 2, 4, 6];
    const base = applyOverrides(getRecipe('sparse'), ['mvsHypotheses=16']);
    const plain = await prepareInit(gpu, scene, views, applyOverrides(base, ['hullInitRandom=0']));
    const filled = await prepareInit(gpu, scene, views, applyOverrides(base, ['hullInitRandom=400']));
    expect(plain.hullFill).toBeGreaterThan(0);
    expect(filled.cloud.count).toBe(plain.cloud.count + 400);
    expect(filled.rays!.depth.length).toBe(plain.rays!.depth.length);
    expect(Array.from(filled.cloud.means.subarray(0, plain.cloud.count * 3))).toEqual(Array.from(plain.cloud.means));
    // The added ones lie in the hull of 4 views of the sphere: within its bounding cube, a little dilated.
    for (let n = plain.cloud.count; n < filled.cloud.count; n++) {
      for (let a = 0; a < 3; a++) expect(Math.abs(filled.cloud.means[n * 3 + a])).toBeLessThan(RADIUS * 1.6);
    }
    // No hull prior (hullPrior=off): nothing added.
    const offPlain = await prepareInit(gpu, scene, views, applyOverrides(base, ['hullPrior=off']));
    const off = await prepareInit(gpu, scene, views, applyOverrides(base, ['hullPrior=off', 'hullInitRandom=400']));
    expect(off.cloud.count).toBe(offPlain.cloud.count);
    expect(() => applyOverrides(base, ['hullInitRandom=0.5'])).toThrow(/hullInitRandom=0.5": must be an integer/);
  });
  it('hullCarve=auto prunes Gaussians outside the hull at the first refinement; off keeps them', async () => {
    const gpu = await acquireGpu();
    const { scene } = sphereScene();
    const views = [0, 2, 4, 6];
    const base = applyOverrides(getRecipe('sparse'), ['mvsHypotheses=16', 'hullInitRandom=200', 'coherentSteps=0', 'iterations=12', 'strategy.refineStart=5', 'strategy.refineEvery=5', 'opacityDecay=1']);
    const outsideAfterTraining = async (carve: 'auto' | 'off') => {
      const recipe = applyOverrides(base, [`hullCarve=${carve}`]);
      const init = await prepareInit(gpu, scene, views, recipe);
      expect(init.hullGrid).toBeDefined();
      // Two opaque floaters 2.5 units from the sphere (radius 0.8), in front of view 0's camera.
      const floaters = createGaussianCloud(2, init.cloud.shDegree);
      floaters.means.set([2.5, 0, 0.2, 2.5, 0.1, -0.2]);
      floaters.logScales.fill(Math.log(0.05));
      floaters.logitOpacities.fill(logit(0.9));
      const trainer = await Trainer.create(gpu, scene, views, recipe, { ...init, cloud: concatClouds(init.cloud, floaters) });
      await trainer.train(12);
      const cloud = await trainer.exportCloud();
      trainer.destroy();
      let outside = 0;
      for (let i = 0; i < cloud.count; i++) if (Math.hypot(cloud.means[i * 3], cloud.means[i * 3 + 1], cloud.means[i * 3 + 2]) > 2) outside++;
      return { outside, count: cloud.count };
    };
    const carved = await outsideAfterTraining('auto');
    const kept = await outsideAfterTraining('off');
    expect(kept.outside).toBeGreaterThanOrEqual(2); // (densification may clone them)
    expect(carved.outside).toBe(0);
    expect(carved.count).toBeGreaterThan(100);
  }, 60_000);
});
