import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { renderSampleScene } from '../../scenes/sampleScene';
import { applyOverrides, getRecipe } from '../../src/train/recipes';
import { splitForScene } from '../../src/eval/protocol';
import { prepareInit } from '../../src/train/prepareInit';
import { Trainer, medianDepth } from '../../src/train/Trainer';

describe('Trainer with the binocular loss (Binocular3DGS)', () => {
  it('adds its loss from binocularStart and its gradients change the model; everything stays finite', async () => {
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
    const off = await run(['loss.binocular=0']);
    const off2 = await run(['loss.binocular=0']);
    const on = await run(['loss.binocular=1', 'loss.binocularStart=6', 'loss.binocularDisparity=4']);
    // Same seed: identical until the binocular loss starts (its loss slot is 0 before step 6) ...
    expect(on.before.loss).toBeCloseTo(off.before.loss, 5);
    // ... then its L1 term adds to the step's loss, and its gradients move the parameters.
    expect(on.after.loss).toBeGreaterThan(off.after.loss + 1e-3);
    // (by far more than the run-to-run noise of float atomics: same views, same seed, only the loss differs)
    // Summed |difference|: atomics' noise touches few values by little, the loss moves every Gaussian it sees.
    const sumAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => m + Math.abs(v - b[i]), 0);
    for (const field of ['means', 'sh', 'logitOpacities'] as const) {
      const noise = sumAbsDiff(off2.cloud[field], off.cloud[field]);
      const change = sumAbsDiff(on.cloud[field], off.cloud[field]);
      console.log(`binocular: loss ${off.after.loss.toFixed(4)} -> ${on.after.loss.toFixed(4)}, sum |d ${field}| ${change.toExponential(2)} (noise ${noise.toExponential(2)})`);
      expect(change).toBeGreaterThan(Math.max(1e-6, 10 * noise));
    }
    expect(on.cloud.means.every(Number.isFinite) && on.cloud.logitOpacities.every(Number.isFinite)).toBe(true);
  });
});
