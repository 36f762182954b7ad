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
    const recipe = applyOverrides(getRecipe('vanilla'), [...frozen, 'strategy.kind=none', 'iterations=900', `poseRefine=${mode}`, 'poseRefineStart=0', 'lr.pose=0.002', 'loss.lambdaSsim=0']);
    const trainer = await Trainer.create(gpu, scene, [0, 1, 2], recipe, { cloud });
    // 900 steps, 300 per camera, 30 pose updates each: rotation and sideways translation form a shallow valley
    await trainer.train(900);
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
});
