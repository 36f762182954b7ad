import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { renderSampleScene, sampleCameras } from '../../scenes/sampleScene';
import { planeSweepMvs } from '../../src/depth/planeSweepMvs';
import { frustaOverlapRange, lift, project } from '../../src/depth/depthRange';
import type { Scene } from '../../src/core/Scene';

/**
 * Pixels (away from the border) whose 7x7 grey std exceeds 0.03 and which another selected view
 * sees unoccluded (ground-truth depth agrees there): what MVS can and should reconstruct.
 */
function texturedCovisible(scene: Scene, id: number, views: number[]): Uint8Array {
  const cam = scene.cameras[id];
  const { width: W, height: H } = cam;
  const img = scene.images[id].data;
  const gt = scene.depths![id];
  const g = new Float32Array(W * H);
  for (let p = 0; p < W * H; p++) g[p] = 0.299 * img[p * 3] + 0.587 * img[p * 3 + 1] + 0.114 * img[p * 3 + 2];
  const mask = new Uint8Array(W * H);
  const r = 3;
  for (let y = r; y < H - r; y++) {
    for (let x = r; x < W - r; x++) {
      let s = 0;
      let ss = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const q = g[(y + dy) * W + x + dx];
          s += q;
          ss += q * q;
        }
      }
      const n = (2 * r + 1) ** 2;
      if (Math.sqrt(Math.max(0, ss / n - (s / n) ** 2)) <= 0.03) continue;
      const X = lift(cam, x + 0.5, y + 0.5, gt[y * W + x]);
      for (const o of views) {
        if (o === id) continue;
        const [u, v, z] = project(scene.cameras[o], X);
        if (u < 4 || v < 4 || u > W - 4 || v > H - 4) continue;
        if (Math.abs(scene.depths![o][Math.floor(v) * W + Math.floor(u)] - z) < 0.02 * z) mask[y * W + x] = 1;
      }
    }
  }
  return mask;
}

describe('plane-sweep MVS (WebGPU)', () => {
  it.each([
    { cost: 'ZNCC', census: 0 },
    // census alone (weight 1): a wrong census kernel (bits, Hamming, window) loses the depth
    { cost: 'census', census: 1 },
  ])('recovers the sample scene depth within 2% on confident pixels, 3 views (LLFF split of 12), $cost cost', async ({ census }) => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 160, height: 120, views: 12 });
    // LLFF protocol: test views i % 8 == 0; 3 training views = round(linspace(0, n_rest - 1, 3)) of the rest.
    const rest = scene.cameras.map((_, i) => i).filter((i) => i % 8 !== 0);
    const views = [0, (rest.length - 1) / 2, rest.length - 1].map((k) => rest[Math.floor(k)]);
    expect(views).toEqual([1, 5, 11]);
    const res = await planeSweepMvs(gpu, scene, views, { census });
    console.log('MVS timings (ms)', res.timingsMs, 'hypotheses', res.hypotheses);
    expect(res.depth).toHaveLength(3);
    views.forEach((id, v) => {
      const gt = scene.depths![id];
      const d = res.depth[v];
      const c = res.confidence[v];
      const mask = texturedCovisible(scene, id, views);
      const errs: number[] = [];
      let tex = 0;
      let texConf = 0;
      for (let p = 0; p < gt.length; p++) {
        expect(c[p]).toBeGreaterThanOrEqual(0);
        expect(c[p]).toBeLessThanOrEqual(1);
        expect(c[p] === 0 || c[p] > 0.5).toBe(true); // accepted pixels lie in (0.5, 1]
        if (c[p] > 0) errs.push(Math.abs(d[p] - gt[p]) / gt[p]);
        if (mask[p]) {
          tex++;
          if (c[p] > 0) texConf++;
        }
      }
      errs.sort((a, b) => a - b);
      const median = errs[errs.length >> 1];
      console.log(`view ${id}: confident ${errs.length}/${gt.length}, median rel err ${median.toFixed(4)}, textured covisible confident ${(texConf / tex).toFixed(3)}`);
      expect(tex).toBeGreaterThan(0.3 * gt.length);
      expect(median).toBeLessThanOrEqual(0.02);
      expect(texConf / tex).toBeGreaterThanOrEqual(0.6);
    });
  });

  it('rejects bad input with clear errors', async () => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 16, height: 12, views: 3 });
    await expect(planeSweepMvs(gpu, scene, [0])).rejects.toThrow(/at least 2 views/);
    await expect(planeSweepMvs(gpu, scene, [0, 5])).rejects.toThrow(/view 5 is not in scene/);
    await expect(planeSweepMvs(gpu, scene, [0, 1], { window: 4 })).rejects.toThrow(/window must be an odd/);
    await expect(planeSweepMvs(gpu, scene, [0, 1], { near: 3, far: 2 })).rejects.toThrow(/near < far/);
    await expect(planeSweepMvs(gpu, scene, [0, 1], { census: 1.5 })).rejects.toThrow(/census weight must be in \[0, 1\]/);
    const mixed: Scene = { ...scene, images: [scene.images[0], { width: 8, height: 6, data: new Float32Array(144) }, scene.images[2]] };
    await expect(planeSweepMvs(gpu, mixed, [0, 1])).rejects.toThrow(/all views must match/);
  });

  it('derives sweep bounds from the frusta overlap when the scene has none', () => {
    const cams = sampleCameras(64, 48, 5);
    const [near, far] = frustaOverlapRange(cams[2], [cams[1], cams[3]]);
    // The objects sit 1.8-6 units away: the overlap range must contain them.
    expect(near).toBeGreaterThan(0);
    expect(near).toBeLessThan(1.8);
    expect(far).toBeGreaterThan(6);
  });
});
