import { describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import { acquireGpu } from '../../src/gpu/device';
import { renderSampleScene } from '../../scenes/sampleScene';
import { applyOverrides, getRecipe } from '../../src/train/recipes';
import { runReconstruction } from '../../src/train/runReconstruction';
import { splitForScene } from '../../src/eval/protocol';

/*
 * Trainer.render with the recipe's environment (EnvironmentBackground) on the opaque sample scene:
 * a training camera's render is unchanged (it saw its own rays), a camera moved far sideways gets
 * colour only where it is uncovered (|change| <= T), and environment=off or render(..., false) is the plain render.
 */
describe('Trainer.render with the environment background', () => {
  it('completes only uncovered pixels of novel views, never a training view', async () => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 64, height: 48 });
    const split = splitForScene(scene, 3);
    const recipe = applyOverrides(getRecipe('sparse'), ['iterations=20', 'coherentSteps=10', 'strategy.refineStart=100']);
    expect(recipe.environment).toBe('auto');
    const run = await runReconstruction(gpu, scene, split.train, recipe, { logEvery: 10 });
    const t = run.trainer;
    expect(t.usesEnvironment).toBe(true);
    const train = scene.cameras[split.train[0]];
    const [a, b] = [await t.render(train), await t.render(train, scene.background, false)];
    expect(a.image.data).toEqual(b.image.data);
    // the first training camera moved sideways by 3x the camera spread: much of it unseen
    const c = train.center;
    const spread = Math.max(...split.train.map((v) => Math.hypot(...scene.cameras[v].center.map((x, k) => x - c[k]))));
    const R = train.R;
    const shift = [R[0] * 3 * spread, R[1] * 3 * spread, R[2] * 3 * spread]; // along the camera's x axis
    const side = Camera.fromC2W(
      [R[0], R[3], R[6], c[0] + shift[0], R[1], R[4], R[7], c[1] + shift[1], R[2], R[5], R[8], c[2] + shift[2], 0, 0, 0, 1],
      train.fx, train.fy, train.cx, train.cy, train.width, train.height, 'side',
    );
    const [e, p] = [await t.render(side), await t.render(side, scene.background, false)];
    let changed = 0;
    for (let i = 0; i < p.alpha.length; i++) {
      const T = 1 - p.alpha[i];
      let most = 0;
      for (let k = 0; k < 3; k++) most = Math.max(most, Math.abs(e.image.data[i * 3 + k] - p.image.data[i * 3 + k]));
      expect(most).toBeLessThanOrEqual(T + 1e-5);
      if (most > 0.01) changed++;
    }
    console.log(`environment: ${changed} of ${p.alpha.length} pixels of the side view changed by > 0.01`);
    expect(changed).toBeGreaterThan(0);
    t.destroy();
    const off = await runReconstruction(gpu, scene, split.train, applyOverrides(recipe, ['environment=off', 'iterations=1']));
    expect(off.trainer.usesEnvironment).toBe(false);
    off.trainer.destroy();
    // a recipe built by hand is checked when training starts, naming the key
    await expect(runReconstruction(gpu, scene, split.train, { ...recipe, iterations: 1, environmentBlur: 1 })).rejects.toThrow(/environmentBlur must be in \[0, 1\)/);
    await expect(runReconstruction(gpu, scene, split.train, { ...recipe, iterations: 1, environment: 'bogus' as 'on' })).rejects.toThrow(/environment must be auto, on or off/);
  });
});
