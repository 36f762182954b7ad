import { Random } from '../../core/random';
import { logit, sigmoid } from '../../core/GaussianCloud';
import { concatTables, gatherRows, zeroTable, type GaussianTable } from '../GaussianTable';
import { GROUP_WIDTH, PARAM_GROUPS } from '../../splat/GaussianBuffers';
import { emptyReport, type RefineState, type Strategy } from './Strategy';

/** Settings of the relocation strategy; defaults follow gsplat's MCMCStrategy. */
export interface McmcStrategyConfig {
  refineStart: number;
  refineStop: number;
  refineEvery: number;
  /** Gaussians below this opacity are "dead" and relocated (0.005). */
  minOpacity: number;
  /** Growth per refinement (5%), up to maxGaussians. */
  growRate: number;
  maxGaussians: number;
  seed: number;
}

export const MCMC_STRATEGY_CONFIG: McmcStrategyConfig = {
  refineStart: 500,
  refineStop: 25000,
  refineEvery: 100,
  minOpacity: 0.005,
  growRate: 0.05,
  maxGaussians: 1_000_000,
  seed: 11,
};

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/**
 * Opacity and scale of each of `copies` Gaussians replacing one of opacity `o` and scale `s`, so the
 * rendered distribution is preserved (Kheradmand et al., "3D Gaussian Splatting as Markov Chain Monte
 * Carlo", 2024, Eq. 9; gsplat's compute_relocation).
 */
export function relocate(o: number, copies: number): { opacity: number; scaleFactor: number } {
  const newO = 1 - Math.pow(1 - o, 1 / copies);
  let denom = 0;
  for (let i = 1; i <= copies; i++) {
    for (let k = 0; k < i; k++) denom += (binomial(i - 1, k) * (k % 2 ? -1 : 1) * Math.pow(newO, k + 1)) / Math.sqrt(k + 1);
  }
  return { opacity: newO, scaleFactor: o / denom };
}

/**
 * MCMC-like relocation strategy (Kheradmand et al. 2024, as gsplat's MCMCStrategy without the
 * per-step noise): dead Gaussians are moved onto live ones sampled by opacity, the sources and their
 * copies sharing the opacity and scale by relocate(); the count grows by `growRate` per refinement up
 * to the budget by the same sampling. Sampled rows and new rows start with zero Adam moments.
 */
export class McmcStrategy implements Strategy {
  readonly name = 'mcmc';
  readonly config: McmcStrategyConfig;
  private readonly rng: Random;

  constructor(config: Partial<McmcStrategyConfig> = {}) {
    this.config = { ...MCMC_STRATEGY_CONFIG, ...config };
    this.rng = new Random(this.config.seed);
  }

  shouldRefine(step: number): boolean {
    const c = this.config;
    return step > c.refineStart && step <= c.refineStop && step % c.refineEvery === 0;
  }

  /** Samples `k` row indices among `candidates` with probability proportional to opacity. */
  private sampleByOpacity(params: GaussianTable, candidates: number[], k: number): number[] {
    const cdf = new Float64Array(candidates.length);
    let total = 0;
    candidates.forEach((i, j) => {
      total += Math.max(0, sigmoid(params.data.logitOpacities[i]));
      cdf[j] = total;
    });
    const out: number[] = [];
    for (let s = 0; s < k; s++) {
      const u = this.rng.next() * total;
      let lo = 0;
      let hi = cdf.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      out.push(candidates[lo]);
    }
    return out;
  }

  /** Applies relocate() to each sampled source: returns rows for the copies; updates sources in place. */
  private spread(params: GaussianTable, adamM: GaussianTable, adamV: GaussianTable, sources: number[]): GaussianTable {
    const copiesOf = new Map<number, number>();
    for (const i of sources) copiesOf.set(i, (copiesOf.get(i) ?? 0) + 1);
    const o = params.data.logitOpacities;
    const s = params.data.logScales;
    for (const [i, extra] of copiesOf) {
      const { opacity, scaleFactor } = relocate(sigmoid(o[i]), extra + 1);
      o[i] = logit(Math.min(1 - 1e-4, Math.max(this.config.minOpacity, opacity)));
      for (let k = 0; k < 3; k++) s[i * 3 + k] += Math.log(Math.max(1e-12, scaleFactor));
      for (const g of PARAM_GROUPS) {
        const w = GROUP_WIDTH[g];
        adamM.data[g].fill(0, i * w, i * w + w);
        adamV.data[g].fill(0, i * w, i * w + w);
      }
    }
    return gatherRows(params, sources);
  }

  refine(state: RefineState) {
    const c = this.config;
    const report = emptyReport();
    let { params, adamM, adamV } = state;
    const n = params.count;
    const dead: number[] = [];
    const alive: number[] = [];
    for (let i = 0; i < n; i++) {
      const ok = sigmoid(params.data.logitOpacities[i]) > c.minOpacity && Number.isFinite(params.data.means[i * 3]);
      (ok ? alive : dead).push(i);
    }
    if (alive.length === 0) return { params, adamM, adamV, report };

    // Relocate the dead onto sampled live Gaussians.
    if (dead.length) {
      const sources = this.sampleByOpacity(params, alive, dead.length);
      const copies = this.spread(params, adamM, adamV, sources);
      for (const g of PARAM_GROUPS) {
        const w = GROUP_WIDTH[g];
        dead.forEach((d, j) => {
          params.data[g].set(copies.data[g].subarray(j * w, j * w + w), d * w);
          adamM.data[g].fill(0, d * w, d * w + w);
          adamV.data[g].fill(0, d * w, d * w + w);
        });
      }
      report.relocated = dead.length;
    }

    // Grow by growRate up to the budget.
    const target = Math.min(c.maxGaussians, Math.floor(n * (1 + c.growRate)));
    const add = Math.max(0, target - n);
    if (add > 0) {
      const all = Array.from({ length: n }, (_, i) => i);
      const sources = this.sampleByOpacity(params, all, add);
      const copies = this.spread(params, adamM, adamV, sources);
      params = concatTables(params, copies);
      adamM = concatTables(adamM, zeroTable(add));
      adamV = concatTables(adamV, zeroTable(add));
      report.added = add;
    }
    return { params, adamM, adamV, report };
  }
}
