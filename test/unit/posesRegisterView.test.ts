import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import { acquireGpu, type GpuContext } from '../../src/gpu/device';
import { GaussianBuffers } from '../../src/splat/GaussianBuffers';
import { GaussianRasterizer } from '../../src/splat/GaussianRasterizer';
import { initPerPixel } from '../../src/depth/initialize';
import { applyPoseIncrement, downsampleImage, registerView } from '../../src/eval/registerView';
import { rotationAngleBetween, rotationFromAxisAngle } from '../../src/poses/rotation';
import { mul3 } from '../../src/poses/linalg';
import { renderSampleScene } from '../../scenes/sampleScene';

const deg = Math.PI / 180;

describe('registerView (photometric test-view registration, model frozen)', () => {
  let gpu: GpuContext;
  let raster: GaussianRasterizer;
  beforeAll(async () => {
    gpu = await acquireGpu();
    raster = await GaussianRasterizer.create(gpu);
  });
  afterAll(() => raster?.destroy());

  it('downsampleImage box-averages; applyPoseIncrement moves t by depthScale * v', () => {
    const img = { width: 5, height: 4, data: Float32Array.from({ length: 60 }, (_, i) => i) };
    const d = downsampleImage(img, 2);
    expect([d.width, d.height]).toEqual([2, 2]);
    // low-res pixel (1, 0) = mean of full-res (2..3, 0..1), channel 0
    expect(d.data[3]).toBeCloseTo((img.data[6] + img.data[9] + img.data[21] + img.data[24]) / 4, 5);
    const cam = new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 2], 100, 100, 2.5, 2, 5, 4);
    // the pose increment: a pure translation v moves t by depthScale * v
    const moved = applyPoseIncrement(cam, [0, 0, 0, 0.1, 0, 0], 3);
    expect(moved.t[0]).toBeCloseTo(0.3, 12);
  });

  it('brings a camera perturbed by 1.5 degrees and 2% translation back to the true pose on the sample scene', async () => {
    const scene = await renderSampleScene(gpu, { width: 96, height: 72, views: 3 });
    const view = 1;
    const truth = scene.cameras[view];
    // the frozen model: one Gaussian per pixel of the view, at its true depth, with its colour
    const { cloud } = initPerPixel(scene, [view], [scene.depths![view]], null, { block: 1, opacity: 0.98, scaleFactor: 0.4 });
    const g = new GaussianBuffers(gpu.device, cloud.count, 'register');
    g.upload(cloud);
    try {
      const render = async (camera: Camera) => {
        const r = await raster.render(g, camera, { background: scene.background });
        return { image: { width: camera.width, height: camera.height, data: r.rgb }, depth: r.depth };
      };
      const distance = Math.hypot(...truth.center.map((c, d) => c - [0, 0.35, -0.35][d]));
      const E = rotationFromAxisAngle([0.8 * 1.5 * deg, -0.6 * 1.5 * deg, 0]);
      const R = mul3(E, truth.R);
      const C = truth.center.map((c, d) => c + [0.02, -0.01, 0.005][d] * distance * (1 / Math.hypot(0.02, -0.01, 0.005)) * 0.02);
      const t = [0, 1, 2].map((r) => -(R[r * 3] * C[0] + R[r * 3 + 1] * C[1] + R[r * 3 + 2] * C[2]));
      const start = new Camera(R, t, truth.fx, truth.fy, truth.cx, truth.cy, truth.width, truth.height, truth.name);
      const startRot = rotationAngleBetween(start.R, truth.R) / deg;
      const startCentre = Math.hypot(...start.center.map((c, d) => c - truth.center[d]));
      expect(startRot).toBeCloseTo(1.5, 6);
      expect(startCentre / distance).toBeCloseTo(0.02, 6);

      const out = await registerView(render, scene.images[view], start);
      const rot = rotationAngleBetween(out.camera.R, truth.R) / deg;
      const centre = Math.hypot(...out.camera.center.map((c, d) => c - truth.center[d]));
      console.log(`registerView: rotation ${startRot.toFixed(3)} -> ${rot.toFixed(3)} deg, centre ${(startCentre / distance * 100).toFixed(2)}% -> ${(centre / distance * 100).toFixed(2)}% of the distance, MSE ${out.initialMse.toFixed(5)} -> ${out.finalMse.toFixed(5)}, ${out.iterations} steps, ${out.renders} renders, ${out.ms.toFixed(0)} ms`);
      // 96 px over 55 degrees: 0.57 degrees per pixel; the per-pixel model's own error limits the optimum
      expect(rot).toBeLessThan(0.3);
      expect(centre / distance).toBeLessThan(0.01);
      expect(out.finalMse).toBeLessThan(out.initialMse / 4);
      // intrinsics and size are untouched
      expect([out.camera.fx, out.camera.cx, out.camera.width]).toEqual([truth.fx, truth.cx, truth.width]);
    } finally {
      g.destroy();
    }
  }, 180_000);

  it('rejects a photo of another size and bad pyramid settings', async () => {
    const cam = new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 2], 10, 10, 4, 4, 8, 8);
    const photo = { width: 4, height: 4, data: new Float32Array(48) };
    const render = async (c: Camera) => ({ image: { width: c.width, height: c.height, data: new Float32Array(c.width * c.height * 3) } });
    await expect(registerView(render, photo, cam)).rejects.toThrow(/4x4 but the camera 8x8/);
    const photo8 = { width: 8, height: 8, data: new Float32Array(192) };
    await expect(registerView(render, photo8, cam, { levels: [2, 1], iterations: [3] })).rejects.toThrow(/equal count/);
    await expect(registerView(render, photo8, cam)).rejects.toThrow(/no depth scale/);
  });
});
