import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { GaussianBuffers } from '../../src/splat/GaussianBuffers';
import { GaussianRasterizer } from '../../src/splat/GaussianRasterizer';
import { mulberry32, randomCamera, randomScene } from '../../src/splat/randomScene';
import { applyPoseIncrement } from '../../src/eval/registerView';
import { rotationAngleBetween } from '../../src/poses/rotation';
import { applyOverrides, getRecipe } from '../../src/train/recipes';
import { Trainer } from '../../src/train/Trainer';
import type { Scene } from '../../src/core/Scene';
import { Camera } from '../../src/core/Camera';
import { registerViewByGradient } from '../../src/eval/registerViewByGradient';
import { project } from '../../src/depth/depthRange';

const deg = (a: number) => (a * 180) / Math.PI;

/*
 * Pose refinement in training (PoseRefiner through Trainer): photos rendered from a known Gaussian
 * cloud and 3 cameras; the trainer starts from that cloud, frozen (every Gaussian rate 0), with the
 * second and third cameras knocked 0.6-0.8 degrees and a little sideways off their true poses. With
 * poseRefine on, the photometric gradient must bring them back; the first camera (the anchor) must
 * not move. With poseRefine off nothing moves (the control).
 */
describe('pose refinement during training', () => {
  it.each(['on', 'off'] as const)('poseRefine=%s: perturbed training cameras return to their true poses', async (mode) => {
    const gpu = await acquireGpu();
    const r = mulberry32(4242);
    const [w, h] = [96, 72];
    const truth0 = randomCamera(r, w, h);
    const cloud = randomScene(r, truth0, { count: 1500, shDegree: 0, scale: 0.08, hard: false, depth: [2, 5] });
    const truth = [truth0, applyPoseIncrement(truth0, [0, 0.03, 0, -0.15, 0, 0], 1), applyPoseIncrement(truth0, [0.02, -0.03, 0, 0.15, 0.05, 0], 1)];
    const raster = await GaussianRasterizer.create(gpu);
    const gb = new GaussianBuffers(gpu.device, cloud.count);
    gb.upload(cloud);
    const images = [];
    for (const c of truth) images.push({ width: w, height: h, data: (await raster.render(gb, c, { background: [0, 0, 0] })).rgb });
    gb.destroy();
    raster.destroy();
    const start = [truth[0], applyPoseIncrement(truth[1], [0.012, -0.008, 0.004, 0.02, -0.01, 0], 1), applyPoseIncrement(truth[2], [-0.01, 0.01, -0.006, -0.01, 0.02, 0], 1)];
    const scene: Scene = { name: 'pose-refine', cameras: start, images, imageNames: ['a.png', 'b.png', 'c.png'], background: [0, 0, 0], protocol: 'even' };
    const frozen = ['meansInit', 'meansFinal', 'logScales', 'quats', 'logitOpacities', 'sh', 'shRest'].map((k) => `lr.${k}=0`);
    const recipe = applyOverrides(getRecipe('vanilla'), [...frozen, 'strategy.kind=none', `iterations=${mode === 'on' ? 900 : 100}`, `poseRefine=${mode}`, 'poseRefineStart=0', 'lr.pose=0.002', 'loss.lambdaSsim=0']);
    const trainer = await Trainer.create(gpu, scene, [0, 1, 2], recipe, { cloud });
    // Before the first pose update (every 10 steps) there is nothing to report, refining or not.
    await trainer.train(5);
    expect(trainer.poseChanges()).toBeNull();
    expect(trainer.refinesPoses).toBe(mode === 'on');
    // 900 steps, 300 per camera, 30 pose updates each: rotation and sideways translation form a shallow valley
    await trainer.train(895);
    const cams = trainer.trainCameras;
    const before = [1, 2].map((k) => deg(rotationAngleBetween(start[k].R, truth[k].R)));
    const after = [1, 2].map((k) => deg(rotationAngleBetween(cams[k].R, truth[k].R)));
    const centre = (a: { center: number[] }, b: { center: number[] }) => Math.hypot(...a.center.map((x, d) => x - b.center[d]));
    const centreBefore = [1, 2].map((k) => centre(start[k], truth[k]));
    const centreAfter = [1, 2].map((k) => centre(cams[k], truth[k]));
    console.log(`poseRefine=${mode}: rotation error ${before.map((x) => x.toFixed(3))} -> ${after.map((x) => x.toFixed(3))} deg, centre ${centreBefore.map((x) => x.toFixed(4))} -> ${centreAfter.map((x) => x.toFixed(4))}`);
    expect(cams[0]).toEqual(truth[0]);
    if (mode === 'on') {
      for (let k = 0; k < 2; k++) {
        expect(after[k], `camera ${k + 1} rotation`).toBeLessThan(0.2 * before[k]);
        expect(centreAfter[k], `camera ${k + 1} centre`).toBeLessThan(0.3 * centreBefore[k]);
      }
      expect(trainer.poseChanges()!.map((c) => c.rotationDeg)[0]).toBe(0);
    } else {
      expect(trainer.poseChanges()).toBeNull();
      for (let k = 0; k < 2; k++) expect(after[k]).toBeCloseTo(before[k], 9);
    }
    trainer.destroy();
  });

  it('registerViewByGradient brings a held-out camera of a frozen model back onto its photo (image motion of the Gaussians < 15% of the start)', async () => {
    const gpu = await acquireGpu();
    const r = mulberry32(777);
    const [w, h] = [96, 72];
    const truth = randomCamera(r, w, h);
    const cloud = randomScene(r, truth, { count: 1500, shDegree: 0, scale: 0.08, hard: false, depth: [2, 5] });
    const raster = await GaussianRasterizer.create(gpu);
    const gb = new GaussianBuffers(gpu.device, cloud.count);
    gb.upload(cloud);
    const photo = { width: w, height: h, data: (await raster.render(gb, truth, { background: [0, 0, 0] })).rgb };
    gb.destroy();
    raster.destroy();
    // the trainer only holds the model: one training view (the photo itself), never stepped
    const scene: Scene = { name: 'register', cameras: [truth], images: [photo], imageNames: ['t.png'], background: [0, 0, 0], protocol: 'even' };
    const trainer = await Trainer.create(gpu, scene, [0], applyOverrides(getRecipe('vanilla'), ['loss.lambdaSsim=0.2']), { cloud });
    const start = applyPoseIncrement(truth, [0.01, -0.012, 0.006, 0.015, -0.01, 0.005], 1);
    const res = await registerViewByGradient((c) => trainer.photometricPoseGradient(c, photo), start, { depthScale: 3.5, iterations: 200, lrInit: 2e-3, lrFinal: 1e-5 });
    // One view pins the pose only up to a near-ambiguity (a small rotation against a sideways shift
    // over 2-5 m of depth): score the image, the mean motion of the Gaussians' projections against
    // the true camera, in pixels.
    const shift = (c: typeof truth) => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < cloud.count; i++) {
        const X = [cloud.means[3 * i], cloud.means[3 * i + 1], cloud.means[3 * i + 2]];
        const [u0, v0, z0] = project(truth, X);
        if (!(z0 > 0.5 && u0 >= 0 && u0 < w && v0 >= 0 && v0 < h)) continue;
        const [u1, v1] = project(c, X);
        sum += Math.hypot(u1 - u0, v1 - v0);
        n++;
      }
      return sum / n;
    };
    const [before, after] = [shift(start), shift(res.camera)];
    console.log(`registerViewByGradient: image motion ${before.toFixed(3)} -> ${after.toFixed(3)} px, rotation ${deg(rotationAngleBetween(start.R, truth.R)).toFixed(3)} -> ${deg(rotationAngleBetween(res.camera.R, truth.R)).toFixed(3)} deg, loss ${res.initialLoss.toFixed(4)} -> ${res.finalLoss.toFixed(4)}`);
    expect(before).toBeGreaterThan(1);
    expect(res.finalLoss).toBeLessThan(0.1 * res.initialLoss);
    expect(after).toBeLessThan(0.15 * before);
    // the model is frozen: the photo's own view still renders as before
    expect(trainer.step).toBe(0);
    trainer.destroy();
  });

  it('with lr.focal, a focal 3% off returns to the true one (poses refined alongside)', async () => {
    const gpu = await acquireGpu();
    const r = mulberry32(99);
    const [w, h] = [96, 72];
    const truth0 = randomCamera(r, w, h);
    const cloud = randomScene(r, truth0, { count: 1500, shDegree: 0, scale: 0.08, hard: false, depth: [2, 5] });
    const truth = [truth0, applyPoseIncrement(truth0, [0, 0.03, 0, -0.15, 0, 0], 1), applyPoseIncrement(truth0, [0.02, -0.03, 0, 0.15, 0.05, 0], 1)];
    const raster = await GaussianRasterizer.create(gpu);
    const gb = new GaussianBuffers(gpu.device, cloud.count);
    gb.upload(cloud);
    const images = [];
    for (const c of truth) images.push({ width: w, height: h, data: (await raster.render(gb, c, { background: [0, 0, 0] })).rgb });
    gb.destroy();
    raster.destroy();
    const off = 1.03;
    const start = truth.map((c) => new Camera(c.R, c.t, c.fx * off, c.fy * off, c.cx, c.cy, w, h, c.name));
    const scene: Scene = { name: 'focal-refine', cameras: start, images, imageNames: ['a.png', 'b.png', 'c.png'], background: [0, 0, 0], protocol: 'even' };
    const frozen = ['meansInit', 'meansFinal', 'logScales', 'quats', 'logitOpacities', 'sh', 'shRest'].map((k) => `lr.${k}=0`);
    const recipe = applyOverrides(getRecipe('vanilla'), [...frozen, 'strategy.kind=none', 'iterations=600', 'poseRefine=on', 'lr.pose=0.001', 'lr.focal=0.002', 'loss.lambdaSsim=0']);
    const trainer = await Trainer.create(gpu, scene, [0, 1, 2], recipe, { cloud });
    await trainer.train(600);
    const f = trainer.trainCameras.map((c) => c.fx / truth0.fx);
    console.log(`focal refinement: ${off} -> ${f.map((x) => x.toFixed(4))} of the true focal (scale ${trainer.focalScale.toFixed(4)})`);
    for (const x of f) expect(Math.abs(x - 1)).toBeLessThan(0.2 * (off - 1));
    expect(trainer.trainCameras[0].cx).toBe(truth0.cx);
    trainer.destroy();
  });
});
