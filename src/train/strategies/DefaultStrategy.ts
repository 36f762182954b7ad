import { Random } from '../../core/random';
import { logit, sigmoid } from '../../core/GaussianCloud';
import { GROUP_WIDTH, PARAM_GROUPS } from '../../splat/GaussianBuffers';
import { concatTables, gatherRows, zeroTable, type GaussianTable } from '../GaussianTable';
import { emptyReport, type RefineState, type Strategy } from './Strategy';
import { quatToMatrix } from './quat';

/** Settings of the gradient-threshold strategy; defaults are gsplat's DefaultStrategy (3DGS). */
export interface DefaultStrategyConfig {
  /** First and last step at which to clone/split/prune, and the interval. */
  refineStart: number;
  refineStop: number;
  refineEvery: number;
  /** Opacity reset interval (0 disables). */
  resetEvery: number;
  /** Average NDC 2D-gradient above which a Gaussian grows (3DGS: 0.0002). */
  growGrad2d: number;
  /** Largest scale (fraction of the scene extent) for cloning; larger ones split (3DGS: 0.01). */
  growScale3d: number;
  /** Prune below this opacity (0.005). */
  pruneOpacity: number;
  /** Prune above this scale (fraction of the scene extent) once opacities have been reset (0.1). */
  pruneScale3d: number;
  /** Gaussian budget: growth stops at this count. */
  maxGaussians: number;
  seed: number;
}

export const DEFAULT_STRATEGY_CONFIG: DefaultStrategyConfig = {
  refineStart: 500,
  refineStop: 15000,
  refineEvery: 100,
  resetEvery: 3000,
  growGrad2d: 0.0002,
  growScale3d: 0.01,
  pruneOpacity: 0.005,
  pruneScale3d: 0.1,
  maxGaussians: 1_000_000,
  seed: 7,
};

/**
 * Gradient-threshold densification of 3DGS (Kerbl et al. 2023, Sec. 5.2), as gsplat's
 * DefaultStrategy: Gaussians with a large average view-space positional gradient are cloned when
 * small and split in two (scales / 1.6, positions sampled from the Gaussian) when large; nearly
 * transparent and oversized ones are pruned; opacities are reset at intervals. New rows start with
 * zero Adam moments.
 */
export class DefaultStrategy implements Strategy {
  readonly name = 'default';
  readonly config: DefaultStrategyConfig;
  private readonly rng: Random;

  constructor(config: Partial<DefaultStrategyConfig> = {}) {
    this.config = { ...DEFAULT_STRATEGY_CONFIG, ...config };
    this.rng = new Random(this.config.seed);
  }

  shouldRefine(step: number): boolean {
    const c = this.config;
    const refine = step > c.refineStart && step <= c.refineStop && step % c.refineEvery === 0;
    const reset = c.resetEvery > 0 && step <= c.refineStop && step % c.resetEvery === 0;
    return refine || reset;
  }

  refine(state: RefineState) {
    const c = this.config;
    const report = emptyReport();
    let { params, adamM, adamV } = state;
    const n = params.count;
    const step = state.step;
    const isRefine = step > c.refineStart && step % c.refineEvery === 0;

    if (isRefine) {
      const { logScales, logitOpacities } = params.data;
      const maxScale = (i: number) =>
        Math.exp(Math.max(logScales[i * 3], logScales[i * 3 + 1], logScales[i * 3 + 2]));
      const clone: number[] = [];
      const split: number[] = [];
      const gradOf = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const vis = state.visibleCount[i];
        gradOf[i] = vis > 0 ? (state.mean2dGradNorm[i] / vis) * state.pixelToNdc : 0;
        if (!(gradOf[i] > c.growGrad2d)) continue;
        if (maxScale(i) <= c.growScale3d * state.sceneExtent) clone.push(i);
        else split.push(i);
      }
      // Respect the budget: keep the candidates with the largest gradients.
      const room = Math.max(0, c.maxGaussians - n);
      if (clone.length + split.length > room) {
        const all = [...clone.map((i) => [i, 0]), ...split.map((i) => [i, 1])].sort((a, b) => gradOf[b[0]] - gradOf[a[0]]);
        clone.length = 0;
        split.length = 0;
        for (const [i, kind] of all.slice(0, room)) (kind ? split : clone).push(i);
      }
      report.cloned = clone.length;
      report.split = split.length;

      // Split: two samples drawn from each selected Gaussian, scales shrunk by 1.6.
      const splitRows = gatherRows(params, [...split, ...split]);
      for (let r = 0; r < splitRows.count; r++) {
        const m = splitRows.data.means;
        const s = splitRows.data.logScales;
        const R = quatToMatrix(splitRows.data.quats, r);
        const z = [0, 1, 2].map((k) => this.rng.normal() * Math.exp(s[r * 3 + k]));
        for (let a = 0; a < 3; a++) m[r * 3 + a] += R[a * 3] * z[0] + R[a * 3 + 1] * z[1] + R[a * 3 + 2] * z[2];
        for (let k = 0; k < 3; k++) s[r * 3 + k] -= Math.log(1.6);
      }
      const cloneRows = gatherRows(params, clone);

      // Prune: transparent, and (after the first reset) too large; split parents are replaced.
      const drop = new Uint8Array(n);
      for (const i of split) drop[i] = 1;
      const afterReset = c.resetEvery > 0 && step > c.resetEvery;
      for (let i = 0; i < n; i++) {
        if (drop[i]) continue;
        const tooBig = afterReset && maxScale(i) > c.pruneScale3d * state.sceneExtent;
        if (sigmoid(logitOpacities[i]) < c.pruneOpacity || tooBig || !rowFinite(params, i)) {
          drop[i] = 1;
          report.pruned++;
        }
      }
      const keep: number[] = [];
      for (let i = 0; i < n; i++) if (!drop[i]) keep.push(i);
      const added = cloneRows.count + splitRows.count;
      params = concatTables(gatherRows(params, keep), cloneRows, splitRows);
      adamM = concatTables(gatherRows(adamM, keep), zeroTable(added));
      adamV = concatTables(gatherRows(adamV, keep), zeroTable(added));
    }

    if (c.resetEvery > 0 && step % c.resetEvery === 0) {
      const cap = logit(c.pruneOpacity * 2);
      const o = params.data.logitOpacities;
      for (let i = 0; i < params.count; i++) o[i] = Math.min(o[i], cap);
      adamM.data.logitOpacities.fill(0);
      adamV.data.logitOpacities.fill(0);
      report.opacityReset = true;
    }
    return { params, adamM, adamV, report };
  }
}

/** True when every parameter of row i is finite. */
export function rowFinite(t: GaussianTable, i: number): boolean {
  for (const g of PARAM_GROUPS) {
    const w = GROUP_WIDTH[g];
    for (let k = 0; k < w; k++) if (!Number.isFinite(t.data[g][i * w + k])) return false;
  }
  return true;
}
