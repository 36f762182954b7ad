import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { renderSampleScene, sampleCameras } from '../../scenes/sampleScene';
import type { Camera } from '../../src/core/Camera';

/** Projects pixel (x, y) of camera a with camera-z depth z into camera b: [u, v, zb]. */
function reproject(a: Camera, b: Camera, x: number, y: number, z: number): [number, number, number] {
  const xc = [((x + 0.5 - a.cx) / a.fx) * z, ((y + 0.5 - a.cy) / a.fy) * z, z];
  const c = a.center;
  const Ra = a.R;
  const w = [0, 1, 2].map((k) => Ra[k] * xc[0] + Ra[3 + k] * xc[1] + Ra[6 + k] * xc[2] + c[k]);
  const Rb = b.R;
  const p = [0, 1, 2].map((r) => Rb[r * 3] * w[0] + Rb[r * 3 + 1] * w[1] + Rb[r * 3 + 2] * w[2] + b.t[r]);
  return [(b.fx * p[0]) / p[2] + b.cx - 0.5, (b.fy * p[1]) / p[2] + b.cy - 0.5, p[2]];
}

describe('sample scene (ray-marched)', () => {
  it('renders posed images with exact depth that agrees across views', async () => {
    const gpu = await acquireGpu();
    const W = 96;
    const H = 72;
    const scene = await renderSampleScene(gpu, { width: W, height: H, views: 6 });
    expect(scene.name).toBe('sample');
    expect(scene.protocol).toBe('llff');
    expect(scene.cameras).toHaveLength(6);
    expect(scene.images[0].data).toHaveLength(W * H * 3);
    expect(scene.depths).toHaveLength(6);
    for (let v = 0; v < 6; v++) {
      const d = scene.depths![v];
      const [near, far] = scene.depthBounds![v];
      for (const z of d) {
        expect(z).toBeGreaterThan(near);
        expect(z).toBeLessThan(far);
      }
      const img = scene.images[v].data;
      let mean = 0;
      let sq = 0;
      for (const x of img) {
        mean += x;
        sq += x * x;
      }
      mean /= img.length;
      expect(mean).toBeGreaterThan(0.2);
      expect(Math.sqrt(sq / img.length - mean * mean)).toBeGreaterThan(0.08); // textured, not flat
    }
    // Geometry: a pixel of view 1 at its GT depth lands in view 3 where view 3's GT depth agrees
    // (unless occluded) and the colour matches (Lambertian scene).
    const a = scene.cameras[1];
    const b = scene.cameras[3];
    let agree = 0;
    let visible = 0;
    const colourErr: number[] = [];
    for (let y = 2; y < H - 2; y += 2) {
      for (let x = 2; x < W - 2; x += 2) {
        const [u, v, zb] = reproject(a, b, x, y, scene.depths![1][y * W + x]);
        const ui = Math.round(u);
        const vi = Math.round(v);
        if (ui < 1 || vi < 1 || ui >= W - 1 || vi >= H - 1) continue;
        visible++;
        const db = scene.depths![3][vi * W + ui];
        if (Math.abs(db - zb) / zb < 0.03) {
          agree++;
          for (let c = 0; c < 3; c++) colourErr.push(Math.abs(scene.images[3].data[(vi * W + ui) * 3 + c] - scene.images[1].data[(y * W + x) * 3 + c]));
        }
      }
    }
    expect(visible).toBeGreaterThan(500);
    expect(agree / visible).toBeGreaterThan(0.85); // the rest: occlusion and depth edges
    colourErr.sort((p, q) => p - q);
    expect(colourErr[colourErr.length >> 1]).toBeLessThan(0.08);
  });

  it('is deterministic and scales intrinsics with the size', async () => {
    const gpu = await acquireGpu();
    const s1 = await renderSampleScene(gpu, { width: 32, height: 24, views: 2 });
    const s2 = await renderSampleScene(gpu, { width: 32, height: 24, views: 2 });
    expect(Array.from(s1.images[1].data)).toEqual(Array.from(s2.images[1].data));
    const big = sampleCameras(64, 48, 2);
    expect(big[0].fx).toBeCloseTo(2 * s1.cameras[0].fx, 9);
    expect(big[0].center).toEqual(s1.cameras[0].center);
    expect(() => sampleCameras(0, 10, 3)).toThrow(/width and height/);
    expect(() => sampleCameras(10, 10, 0)).toThrow(/views/);
  });
});
