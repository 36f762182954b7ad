import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { renderSampleScene } from '../../scenes/sampleScene';
import { applyOverrides, getRecipe } from '../../src/train/recipes';
import { runReconstruction } from '../../src/train/runReconstruction';
import { evaluateViews } from '../../src/eval/evaluate';
import { splitForScene } from '../../src/eval/protocol';
import { prepareInit } from '../../src/train/prepareInit';
import { Trainer } from '../../src/train/Trainer';

/*
 * CI smoke test of the whole main job on the bundled sample scene at 64x48 (12 views, LLFF split:
 * train [1, 5, 11], test [0, 8]): MVS depth prior, per-pixel init, coherent phase, losses,
 * densification, held-out evaluation. Thresholds are measured values on SwiftShader minus a margin
 * (see each assertion). With broken gradients (zeroed, say) Adam leaves the parameters where they
 * started, so PSNR stays at its value at initialization and the gain assertions fail.
 */
describe('training smoke test (sample scene, 64x48, 3 views)', () => {
  it('sparse recipe raises held-out PSNR well above its initialization', async () => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 64, height: 48 });
    const split = splitForScene(scene, 3);
    const recipe = applyOverrides(getRecipe('sparse'), [
      'iterations=120', 'coherentSteps=60', 'strategy.refineStart=60', 'strategy.refineEvery=30',
    ]);
    const init = await prepareInit(gpu, scene, split.train, recipe);
    const atInit = await Trainer.create(gpu, scene, split.train, recipe, init);
    const psnr0 = (await evaluateViews(atInit, scene, split.test)).meanPsnr;
    atInit.destroy();
    const run = await runReconstruction(gpu, scene, split.train, recipe, { logEvery: 30 });
    const ev = await evaluateViews(run.trainer, scene, split.test);
    const last = run.history[run.history.length - 1];
    console.log(`sparse: held-out PSNR ${psnr0.toFixed(2)} -> ${ev.meanPsnr.toFixed(2)} dB, SSIM ${ev.meanSsim.toFixed(3)}, train-view PSNR ${last.psnr.toFixed(2)}, ${last.count} Gaussians`);
    expect(run.interrupted).toBe(false);
    expect(run.trainer.step).toBe(120);
    // Measured on SwiftShader: 14.28 dB at init -> 18.66 dB after 120 steps (gain 4.4 dB). The
    // margins absorb run-to-run variation (GPU float atomics make the sums order-dependent).
    expect(ev.meanPsnr).toBeGreaterThan(17.0);
    expect(ev.meanPsnr - psnr0).toBeGreaterThan(2.5);
    const cloud = await run.trainer.exportCloud();
    expect(cloud.means.every(Number.isFinite)).toBe(true);
    run.trainer.destroy();
  });

  it('vanilla recipe from random init learns the training views', async () => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 64, height: 48 });
    const split = splitForScene(scene, 3);
    const recipe = applyOverrides(getRecipe('vanilla'), ['iterations=60', 'randomCount=2000']);
    const run = await runReconstruction(gpu, scene, split.train, recipe, { logEvery: 1 });
    // PSNR of a training view after 1 step vs the mean of the last 5 (single views are noisy).
    const first = run.history[0].psnr;
    const lastMean = run.history.slice(-5).reduce((s, h) => s + h.psnr, 0) / 5;
    console.log(`vanilla: train-view PSNR ${first.toFixed(2)} -> ${lastMean.toFixed(2)} dB`);
    // Measured on SwiftShader: 11.96 -> 19.91 dB (gain 7.9 dB) in 60 steps.
    expect(lastMean - first).toBeGreaterThan(4.0);
    run.trainer.destroy();
  });

  it('no refinement after the last step: an opacity reset due at step == iterations is skipped', async () => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 64, height: 48 });
    const split = splitForScene(scene, 3);
    // Vanilla's schedule in small: its reset interval equals its length (3000 and 3000 in the recipe).
    const recipe = applyOverrides(getRecipe('vanilla'), [
      'iterations=40', 'randomCount=1000', 'strategy.refineStart=0', 'strategy.refineEvery=20', 'strategy.resetEvery=40',
    ]);
    const run = await runReconstruction(gpu, scene, split.train, recipe, { logEvery: 10 });
    expect(run.trainer.step).toBe(40);
    expect(run.trainer.cpuTimings.refines).toBe(1); // step 20 only
    const cloud = await run.trainer.exportCloud();
    // A reset sets every opacity to <= 0.01 (logit -4.6); trained splats are well above that.
    const opacities = Array.from(cloud.logitOpacities, (l) => 1 / (1 + Math.exp(-l)));
    expect(Math.max(...opacities)).toBeGreaterThan(0.05);
    run.trainer.destroy();
  });

  it('depthInitRandom adds random Gaussians after the per-pixel ones; the coherent phase still trains', async () => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 64, height: 48 });
    const split = splitForScene(scene, 3);
    const base = applyOverrides(getRecipe('sparse'), ['iterations=30', 'coherentSteps=15', 'strategy.refineStart=1000']);
    const stages: [string, number][] = [];
    const plain = await prepareInit(gpu, scene, split.train, base, { onProgress: (stage, f) => stages.push([stage, f]) });
    // Progress: the depth prior from 0 to 1 through each swept chunk, then the init stage, fractions never going back.
    const depth = stages.filter(([st]) => st === 'depth').map(([, f]) => f);
    expect(depth[0]).toBe(0);
    expect(depth[depth.length - 1]).toBeCloseTo(1, 9);
    expect(depth.length).toBeGreaterThan(2);
    for (let i = 1; i < depth.length; i++) expect(depth[i]).toBeGreaterThanOrEqual(depth[i - 1]);
    expect(stages.slice(-2)).toEqual([['init', 0], ['init', 1]]);
    const withRandom = await prepareInit(gpu, scene, split.train, applyOverrides(base, ['depthInitRandom=500']));
    expect(withRandom.cloud.count).toBe(plain.cloud.count + 500);
    expect(withRandom.rays!.depth.length).toBe(plain.rays!.depth.length);
    // The per-pixel Gaussians come first, unchanged (the ray binding indexes them).
    expect(Array.from(withRandom.cloud.means.subarray(0, plain.cloud.count * 3))).toEqual(Array.from(plain.cloud.means));
    // depthFill=edgeAware: Gaussians on the unconfident pixels too; the depth losses' priors and the coverage are the MVS's own.
    expect(plain.depthFill).toBeUndefined();
    const filled = await prepareInit(gpu, scene, split.train, applyOverrides(base, ['depthFill=edgeAware']));
    expect(filled.depthFill).toBeGreaterThan(0.01);
    expect(filled.cloud.count).toBeGreaterThan(plain.cloud.count);
    expect(filled.priorCoverage).toBe(plain.priorCoverage);
    filled.depthPriors!.forEach((d, k) => expect(Array.from(d ?? [])).toEqual(Array.from(plain.depthPriors![k] ?? [])));
    const trainer = await Trainer.create(gpu, scene, split.train, applyOverrides(base, ['depthInitRandom=500']), withRandom);
    const stats = await trainer.train(30);
    expect(trainer.step).toBe(30);
    expect(Number.isFinite(stats.loss)).toBe(true);
    const cloud = await trainer.exportCloud();
    expect(cloud.count).toBe(plain.cloud.count + 500);
    expect(cloud.means.every(Number.isFinite)).toBe(true);
    trainer.destroy();
  });
  it('hullPrior=on and randomVolume=hull on opaque photos fail before the MVS runs, naming the recipe and the scene', async () => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 64, height: 48 });
    expect(scene.alphas).toBeFalsy();
    const split = splitForScene(scene, 3);
    for (const [set, msg] of [
      [['init=random', 'randomVolume=hull'], /recipe "sparse": randomVolume=hull needs photos with transparency \(alpha\), and scene "[^"]+" has none/],
      [['hullPrior=on'], /recipe "sparse": hullPrior=on needs photos with transparency/],
    ] as const) {
      const stages: string[] = [];
      await expect(prepareInit(gpu, scene, split.train, applyOverrides(getRecipe('sparse'), [...set]), { onProgress: (st) => stages.push(st) })).rejects.toThrow(msg);
      expect(stages).toEqual([]);
    }
  });
});
