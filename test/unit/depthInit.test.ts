import { beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { renderSampleScene } from '../../scenes/sampleScene';
import { initFusedPointCloud, initPerPixel, initRandom, initRandomCovisible, isInwardRig } from '../../src/depth/initialize';
import { Camera } from '../../src/core/Camera';
import { project } from '../../src/depth/depthRange';
import { SH_C0 } from '../../src/core/GaussianCloud';
import type { Scene } from '../../src/core/Scene';

let scene: Scene;
const W = 40;
const H = 30;
beforeAll(async () => {
  scene = await renderSampleScene(await acquireGpu(), { width: W, height: H, views: 4 });
});

describe('depth-based initialization', () => {
  it('per-pixel: one Gaussian per pixel on its ray at the prior depth, pixel colour, footprint scale', () => {
    const views = [1, 3];
    const depths = views.map((v) => scene.depths![v]);
    const { cloud, rays, grids } = initPerPixel(scene, views, depths, null);
    expect(cloud.count).toBe(W * H * 2);
    expect(rays.depth).toHaveLength(cloud.count);
    expect(grids.map((g) => [g.view, g.width, g.height])).toEqual([[1, W, H], [3, W, H]]);
    for (const i of [0, 77, 1234, W * H + 500, cloud.count - 1]) {
      const view = rays.view[i];
      const [x, y] = [rays.pixel[i * 2], rays.pixel[i * 2 + 1]];
      const cam = scene.cameras[view];
      const mean = cloud.means.subarray(i * 3, i * 3 + 3);
      const [u, v, z] = project(cam, mean);
      expect(u).toBeCloseTo(x + 0.5, 3);
      expect(v).toBeCloseTo(y + 0.5, 3);
      expect(z).toBeCloseTo(scene.depths![view][y * W + x], 4);
      const d = rays.dir.subarray(i * 3, i * 3 + 3);
      expect(Math.hypot(d[0], d[1], d[2])).toBeCloseTo(1, 5);
      for (let c = 0; c < 3; c++) {
        expect(rays.origin[i * 3 + c] + d[c] * rays.depth[i]).toBeCloseTo(mean[c], 4);
        expect(0.5 + SH_C0 * cloud.sh[i * 3 + c]).toBeCloseTo(scene.images[view].data[(y * W + x) * 3 + c], 5);
      }
      expect(Math.exp(cloud.logScales[i * 3])).toBeCloseTo(z / cam.fx, 5);
      const g = grids[views.indexOf(view)];
      expect(g.index[y * W + x]).toBe(i);
    }
    expect(1 / (1 + Math.exp(-cloud.logitOpacities[0]))).toBeCloseTo(0.3, 5);
  });

  it('per-pixel blocks skip cells without confident depth and mark them -1', () => {
    const conf = new Float32Array(W * H);
    for (let p = 0; p < W * H; p++) conf[p] = p % W < W / 2 ? 1 : 0; // left half confident
    const { cloud, grids, rays } = initPerPixel(scene, [2], [scene.depths![2]], [conf], { block: 4 });
    const g = grids[0];
    expect([g.width, g.height]).toEqual([10, 8]);
    expect(cloud.count).toBe(5 * 8);
    for (let by = 0; by < 8; by++) {
      for (let bx = 0; bx < 10; bx++) expect(g.index[by * 10 + bx] >= 0).toBe(bx < 5);
    }
    const i = g.index[3 * 10 + 2];
    expect([rays.pixel[i * 2], rays.pixel[i * 2 + 1]]).toEqual([2 * 4 + 2, 3 * 4 + 2]);
    const z = project(scene.cameras[2], cloud.means.subarray(i * 3, i * 3 + 3))[2];
    expect(Math.exp(cloud.logScales[i * 3])).toBeCloseTo((4 * z) / scene.cameras[2].fx, 4); // block * footprint
  });

  it('fused cloud de-duplicates views onto the surface', () => {
    const views = [0, 1, 2];
    const cloud = initFusedPointCloud(scene, views, views.map((v) => scene.depths![v]), null);
    expect(cloud.count).toBeGreaterThan(200);
    expect(cloud.count).toBeLessThan(W * H * 3 * 0.8);
    const voxel = 2 * Math.exp(cloud.logScales[0]);
    // Points seen by view 0 lie on its ground-truth surface (within a voxel).
    let onSurface = 0;
    let seen = 0;
    const cam = scene.cameras[0];
    for (let i = 0; i < cloud.count; i++) {
      const [u, v, z] = project(cam, cloud.means.subarray(i * 3, i * 3 + 3));
      if (u < 1 || v < 1 || u > W - 1 || v > H - 1) continue;
      const gt = scene.depths![0][Math.floor(v) * W + Math.floor(u)];
      if (z > gt + 2 * voxel) continue; // hidden behind the visible surface
      seen++;
      if (Math.abs(z - gt) < 2 * voxel + 0.02 * gt) onSurface++;
    }
    expect(onSurface / seen).toBeGreaterThan(0.9);
    expect(() => initFusedPointCloud(scene, [0], [new Float32Array(W * H)], null)).toThrow(/no pixel/);
  });

  it('random init fills the frusta between the depth bounds, deterministically', () => {
    const a = initRandom(scene, [1, 2], 500, 3);
    const b = initRandom(scene, [1, 2], 500, 3);
    const c = initRandom(scene, [1, 2], 500, 4);
    expect(Array.from(a.means)).toEqual(Array.from(b.means));
    expect(Array.from(a.means)).not.toEqual(Array.from(c.means));
    for (let i = 0; i < 500; i++) {
      const view = [1, 2][i % 2];
      const [u, v, z] = project(scene.cameras[view], a.means.subarray(i * 3, i * 3 + 3));
      const [near, far] = scene.depthBounds![view];
      expect(u).toBeGreaterThanOrEqual(-1e-3);
      expect(u).toBeLessThanOrEqual(W + 1e-3);
      expect(v).toBeGreaterThanOrEqual(-1e-3);
      expect(v).toBeLessThanOrEqual(H + 1e-3);
      expect(z).toBeGreaterThan(near * 0.999);
      expect(z).toBeLessThan(far * 1.001);
    }
    expect(() => initRandom(scene, [1], 0)).toThrow(/count must be a positive integer/);
  });

  it('rejects mismatched maps', () => {
    expect(() => initPerPixel(scene, [0, 1], [scene.depths![0]], null)).toThrow(/1 depth maps for 2 views/);
    expect(() => initPerPixel(scene, [0], [new Float32Array(5)], null)).toThrow(/depth map of view 0 has 5 values/);
    expect(() => initPerPixel(scene, [0], [scene.depths![0]], null, { block: 0 })).toThrow(/block must be a positive integer/);
  });

  it('covisible random init: uniform where two or more views see, deterministic, inward rigs detected', () => {
    // A ring of 8 cameras 4 units from the origin looking at it (OpenCV axes: z forward, y down).
    const ring = Array.from({ length: 8 }, (_, k) => {
      const a = (k / 8) * 2 * Math.PI;
      const C = [4 * Math.cos(a), 0.5, 4 * Math.sin(a)];
      const z = C.map((c) => -c / Math.hypot(...C));
      const x = [z[2], 0, -z[0]].map((v, _i, arr) => v / Math.hypot(...arr));
      const y = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]];
      const c2w = [x[0], y[0], z[0], C[0], x[1], y[1], z[1], C[1], x[2], y[2], z[2], C[2], 0, 0, 0, 1];
      return Camera.fromC2W(c2w, 50, 50, 32, 24, 64, 48, `ring${k}`);
    });
    expect(isInwardRig(ring)).toBe(true);
    expect(isInwardRig([1, 2, 3].map((v) => scene.cameras[v]))).toBe(false); // the sample scene is forward-facing
    const ringScene: Scene = { name: 'ring', cameras: ring, images: [], imageNames: [], background: [1, 1, 1], protocol: 'even' };
    const views = [0, 1, 2, 3, 4, 5, 6, 7];
    const a = initRandomCovisible(ringScene, views, 2000, 5);
    expect(a.count).toBe(2000);
    expect(Array.from(initRandomCovisible(ringScene, views, 2000, 5).means)).toEqual(Array.from(a.means));
    let spread = 0;
    for (let i = 0; i < a.count; i++) {
      const X = a.means.subarray(i * 3, i * 3 + 3);
      const seen = ring.filter((c) => {
        const [u, v, z] = project(c, X);
        return z > 0 && u >= 0 && v >= 0 && u <= c.width && v <= c.height;
      }).length;
      expect(seen).toBeGreaterThanOrEqual(4); // half of the 8 views by default
      spread = Math.max(spread, Math.hypot(X[0], X[1], X[2]));
    }
    // Covisible points gather around the object the ring looks at, not near any one camera.
    expect(spread).toBeLessThan(4);
    const s = Math.exp(a.logScales[0]);
    expect(s).toBeGreaterThan(0);
    expect(Array.from(a.logScales).every((v) => v === a.logScales[0])).toBe(true);
    expect(() => initRandomCovisible(ringScene, views, 0)).toThrow(/count/);
  });
});
