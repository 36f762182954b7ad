import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { renderSampleScene } from '../../scenes/sampleScene';
import { applyOverrides, getRecipe } from '../../src/train/recipes';
import { splitForScene } from '../../src/eval/protocol';
import { prepareInit } from '../../src/train/prepareInit';
import { Trainer, medianDepth } from '../../src/train/Trainer';

// Each case switches a loss on from step 6 of 12; "off" has every extra loss at 0.
const cases = [
  { name: 'binocular (Binocular3DGS)', on: ['loss.binocular=1', 'loss.binocularStart=6', 'loss.binocularDisparity=4', 'loss.reprojection=0'] },
  { name: 'multi-view reprojection', on: ['loss.reprojection=1', 'loss.reprojectionStart=6'] },
  // a virtual view between training cameras, its render compared with their photos (the training-view reprojection off)
  { name: 'novel-view reprojection', on: ['loss.reprojection=0', 'loss.novelView=1', 'loss.novelViewStart=6'] },
  // the reprojection from step 0 (sparse's default) before the binocular starts at 6: its alpha gradient is the trainer's own
  { name: 'reprojection from step 0, binocular from step 6', on: ['loss.binocular=1', 'loss.binocularStart=6', 'loss.binocularDisparity=4', 'loss.reprojection=1', 'loss.reprojectionStart=0'], sameStart: false },
  // PhysGaussian's scale-ratio regularizer, with r = 1 so that it costs something on the sample scene's Gaussians
  { name: 'scale ratio (PhysGaussian)', on: ['loss.reprojection=0', 'loss.scaleRatio=1', 'loss.scaleRatioMax=1'], sameStart: false },
  { name: 'binocular and reprojection together (one alpha gradient)', on: ['loss.binocular=1', 'loss.binocularStart=6', 'loss.binocularDisparity=4', 'loss.reprojection=1', 'loss.reprojectionStart=6'] },
];

describe('Trainer with the extra geometric losses', () => {
  it.each(cases)('$name: adds its loss from its start step and its gradients change the model; everything stays finite', async ({ name, on: onOverrides, sameStart }) => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 48, height: 36 });
    const split = splitForScene(scene, 3);
    const base = applyOverrides(getRecipe('sparse'), ['iterations=12', 'coherentSteps=0', 'strategy.refineStart=1000']);
    const init = await prepareInit(gpu, scene, split.train, base);
    const z = medianDepth(init.cloud, split.train.map((v) => scene.cameras[v]));
    expect(z).toBeGreaterThan(0);
    const run = async (overrides: string[]) => {
      const t = await Trainer.create(gpu, scene, split.train, applyOverrides(base, overrides), init);
      const before = await t.train(6);
      const after = await t.train(6);
      const cloud = await t.exportCloud();
      t.destroy();
      return { before, after, cloud };
    };
    const offOverrides = ['loss.binocular=0', 'loss.reprojection=0'];
    const off = await run(offOverrides);
    const off2 = await run(offOverrides);
    const on = await run(onOverrides);
    // Same seed: identical until the loss starts (its loss slot is 0 before step 6) ...
    if (sameStart !== false) expect(on.before.loss).toBeCloseTo(off.before.loss, 5);
    // ... then its L1 term adds to the step's loss, and its gradients move the parameters.
    expect(on.after.loss).toBeGreaterThan(off.after.loss + 1e-3);
    // (by far more than the run-to-run noise of float atomics: same views, same seed, only the loss differs)
    // Summed |difference|: atomics' noise touches few values by little, the loss moves every Gaussian it sees.
    const sumAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => m + Math.abs(v - b[i]), 0);
    for (const field of ['means', 'sh', 'logitOpacities'] as const) {
      const noise = sumAbsDiff(off2.cloud[field], off.cloud[field]);
      const change = sumAbsDiff(on.cloud[field], off.cloud[field]);
      console.log(`${name}: loss ${off.after.loss.toFixed(4)} -> ${on.after.loss.toFixed(4)}, sum |d ${field}| ${change.toExponential(2)} (noise ${noise.toExponential(2)})`);
      expect(change).toBeGreaterThan(Math.max(1e-6, 10 * noise));
    }
    expect(on.cloud.means.every(Number.isFinite) && on.cloud.logitOpacities.every(Number.isFinite)).toBe(true);
  });

  it('scale ratio: the trained Gaussians are rounder (smaller mean log ratio of longest to shortest axis) than without it', async () => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 48, height: 36 });
    const split = splitForScene(scene, 3);
    const base = applyOverrides(getRecipe('sparse'), ['iterations=30', 'coherentSteps=0', 'strategy.refineStart=1000', 'loss.reprojection=0']);
    const init = await prepareInit(gpu, scene, split.train, base);
    const meanLogRatio = async (overrides: string[]) => {
      const t = await Trainer.create(gpu, scene, split.train, applyOverrides(base, overrides), init);
      await t.train(30);
      const c = await t.exportCloud();
      t.destroy();
      let sum = 0;
      for (let i = 0; i < c.count; i++) {
        const s = [0, 1, 2].map((k) => c.logScales[3 * i + k]);
        sum += Math.max(...s) - Math.min(...s);
      }
      return sum / c.count;
    };
    const off = await meanLogRatio(['loss.scaleRatio=0']);
    const on = await meanLogRatio(['loss.scaleRatio=10', 'loss.scaleRatioMax=1']);
    console.log(`scale ratio: mean log(smax / smin) ${off.toFixed(3)} without, ${on.toFixed(3)} with`);
    expect(on).toBeLessThan(off - 0.05);
  });
});
