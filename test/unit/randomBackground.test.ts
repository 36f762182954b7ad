import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { createStorageBuffer, readF32 } from '../../src/gpu/buffers';
import { RandomBackground } from '../../src/train/RandomBackground';
import { Random } from '../../src/core/random';
import { renderSampleScene } from '../../scenes/sampleScene';
import { applyOverrides, getRecipe } from '../../src/train/recipes';
import { Trainer } from '../../src/train/Trainer';
import { initRandom } from '../../src/depth/initialize';

describe('random background', () => {
  it('re-composites the photo over a new colour with its alpha', async () => {
    const gpu = await acquireGpu();
    const n = 300;
    const rng = new Random(3);
    const b0: [number, number, number] = [1, 1, 1];
    const fg = Float32Array.from({ length: n * 3 }, () => rng.next());
    const alpha = Float32Array.from({ length: n }, () => rng.next());
    const stored = fg.map((v, i) => v * alpha[Math.floor(i / 3)] + b0[i % 3] * (1 - alpha[Math.floor(i / 3)]));
    const bg: [number, number, number] = [0.2, 0.5, 0.9];
    const rb = await RandomBackground.create(gpu, n);
    const enc = gpu.device.createCommandEncoder();
    rb.record(enc, createStorageBuffer(gpu.device, stored, 't'), createStorageBuffer(gpu.device, alpha, 'a'), bg, b0);
    gpu.device.queue.submit([enc.finish()]);
    const got = await readF32(gpu.device, rb.target, n * 3);
    for (let i = 0; i < n * 3; i++) {
      const a = alpha[Math.floor(i / 3)];
      expect(got[i]).toBeCloseTo(fg[i] * a + bg[i % 3] * (1 - a), 5);
    }
  });

  it('the trainer refuses randomBackground=on for scenes without transparency, naming the scene; auto trains them plainly', async () => {
    const gpu = await acquireGpu();
    const scene = await renderSampleScene(gpu, { width: 32, height: 24, views: 3 });
    const cloud = initRandom(scene, [1, 2], 100, 1);
    const on = applyOverrides(getRecipe('vanilla'), ['randomBackground=on']);
    await expect(Trainer.create(gpu, scene, [1, 2], on, { cloud })).rejects.toThrow(/randomBackground=on.*sample/);
    const auto = await Trainer.create(gpu, scene, [1, 2], applyOverrides(getRecipe('vanilla'), ['randomBackground=auto', 'iterations=2']), { cloud });
    expect(Number.isFinite((await auto.train(2)).loss)).toBe(true);
    auto.destroy();
  });
});
