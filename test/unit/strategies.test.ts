import { describe, expect, it } from 'vitest';
import { DefaultStrategy } from '../../src/train/strategies/DefaultStrategy';
import { McmcStrategy, relocate } from '../../src/train/strategies/McmcStrategy';
import { zeroTable, uploadTable, downloadTable, type GaussianTable } from '../../src/train/GaussianTable';
import { GROUP_WIDTH, GaussianBuffers, PARAM_GROUPS } from '../../src/splat/GaussianBuffers';
import { logit, sigmoid } from '../../src/core/GaussianCloud';
import { Random } from '../../src/core/random';
import { acquireGpu } from '../../src/gpu/device';
import type { RefineState } from '../../src/train/strategies/Strategy';

function randomTable(n: number, rng: Random): GaussianTable {
  const t = zeroTable(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      t.data.means[i * 3 + k] = rng.uniform(-1, 1);
      t.data.logScales[i * 3 + k] = Math.log(rng.uniform(0.001, 0.05));
    }
    t.data.quats.set([rng.normal(), rng.normal(), rng.normal(), rng.normal()], i * 4);
    t.data.logitOpacities[i] = logit(rng.uniform(0.001, 0.9));
    for (let k = 0; k < GROUP_WIDTH.sh; k++) t.data.sh[i * GROUP_WIDTH.sh + k] = rng.normal() * 0.1;
  }
  return t;
}

function state(n: number, step: number, seed = 3): RefineState {
  const rng = new Random(seed);
  const params = randomTable(n, rng);
  const adamM = randomTable(n, rng);
  const adamV = randomTable(n, rng);
  const mean2dGradNorm = new Float32Array(n);
  const visibleCount = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    visibleCount[i] = 1 + rng.int(4);
    mean2dGradNorm[i] = visibleCount[i] * rng.uniform(0, 2e-6);
  }
  return { params, adamM, adamV, mean2dGradNorm, visibleCount, pixelToNdc: 252, sceneExtent: 3, step };
}

function expectConsistent(out: { params: GaussianTable; adamM: GaussianTable; adamV: GaussianTable }) {
  for (const t of [out.params, out.adamM, out.adamV]) {
    expect(t.count).toBe(out.params.count);
    for (const g of PARAM_GROUPS) {
      expect(t.data[g].length, g).toBe(t.count * GROUP_WIDTH[g]);
      expect(t.data[g].every(Number.isFinite), g).toBe(true);
    }
  }
}

describe('densification strategies', () => {
  it('default strategy clones small, splits large, prunes transparent, keeps tables consistent', () => {
    const st = state(400, 600);
    const before = st.params;
    const opaque = Array.from({ length: 400 }, (_, i) => sigmoid(before.data.logitOpacities[i]) >= 0.005);
    const grad = Array.from({ length: 400 }, (_, i) => (st.mean2dGradNorm[i] / st.visibleCount[i]) * 252 > 0.0002);
    const big = Array.from({ length: 400 }, (_, i) =>
      Math.exp(Math.max(...before.data.logScales.subarray(i * 3, i * 3 + 3))) > 0.03,
    );
    const strat = new DefaultStrategy({ resetEvery: 0 });
    expect(strat.shouldRefine(600)).toBe(true);
    expect(strat.shouldRefine(601)).toBe(false);
    const out = strat.refine(st);
    const wantClone = grad.filter((g, i) => g && !big[i]).length;
    const wantSplit = grad.filter((g, i) => g && big[i]).length;
    const wantPruned = opaque.filter((o, i) => !o && !(grad[i] && big[i])).length;
    expect(wantClone).toBeGreaterThan(10);
    expect(wantSplit).toBeGreaterThan(10);
    expect(out.report).toMatchObject({ cloned: wantClone, split: wantSplit, pruned: wantPruned });
    expect(out.params.count).toBe(400 - wantSplit - wantPruned + wantClone + 2 * wantSplit);
    expectConsistent(out);
    // New rows start with zero moments.
    const newRows = wantClone + 2 * wantSplit;
    expect(out.adamM.data.means.subarray((out.params.count - newRows) * 3).every((v) => v === 0)).toBe(true);
  });

  it('default strategy respects the Gaussian budget and resets opacities', () => {
    const out = new DefaultStrategy({ maxGaussians: 410, resetEvery: 600 }).refine(state(400, 600));
    expect(out.params.count).toBeLessThanOrEqual(410 + 400);
    expect(out.report.cloned + out.report.split).toBeLessThanOrEqual(10);
    expect(out.report.opacityReset).toBe(true);
    expect(Math.max(...out.params.data.logitOpacities)).toBeLessThanOrEqual(logit(0.01) + 1e-6);
    expectConsistent(out);
  });

  it('relocation preserves the composite opacity', () => {
    for (const o of [0.05, 0.3, 0.9]) {
      for (const copies of [1, 2, 5]) {
        const r = relocate(o, copies);
        expect(1 - Math.pow(1 - r.opacity, copies)).toBeCloseTo(o, 9);
        if (copies === 1) expect(r.scaleFactor).toBeCloseTo(1, 9);
      }
    }
  });

  it('MCMC strategy relocates dead Gaussians, grows by 5%, keeps tables consistent', () => {
    const st = state(400, 600);
    const dead = Array.from(st.params.data.logitOpacities).filter((l) => sigmoid(l) <= 0.005).length;
    expect(dead).toBeGreaterThan(0);
    const out = new McmcStrategy().refine(st);
    expect(out.report.relocated).toBe(dead);
    expect(out.params.count).toBe(420);
    expect(Array.from(out.params.data.logitOpacities).every((l) => sigmoid(l) >= 0.005 - 1e-6)).toBe(true);
    expectConsistent(out);
  });

  it('tables survive a GPU upload/download round trip with growth', async () => {
    const gpu = await acquireGpu();
    const buffers = new GaussianBuffers(gpu.device, 10);
    const table = randomTable(100, new Random(5));
    uploadTable(buffers, table);
    expect(buffers.capacity).toBeGreaterThanOrEqual(100);
    const back = await downloadTable(buffers);
    for (const g of PARAM_GROUPS) expect(Array.from(back.data[g])).toEqual(Array.from(table.data[g]));
  });
});
