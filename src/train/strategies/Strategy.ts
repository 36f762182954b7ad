import type { GaussianTable } from '../GaussianTable';

/**
 * What a densification strategy sees at a refinement step: CPU copies of the parameters and both
 * Adam moments (same row order), and the per-Gaussian statistics accumulated since the last refinement.
 */
export interface RefineState {
  params: GaussianTable;
  adamM: GaussianTable;
  adamV: GaussianTable;
  /** Sum over views of |dL/dmean2d| in pixels, per Gaussian (length >= count). */
  mean2dGradNorm: Float32Array;
  /** Number of views in which each Gaussian was visible (length >= count). */
  visibleCount: Float32Array;
  /** Factor converting a pixel-space 2D gradient to NDC units: max(width, height) / 2. */
  pixelToNdc: number;
  /** Scene extent (radius of the camera centres around their mean, world units). */
  sceneExtent: number;
  step: number;
}

/** What a refinement did, for logs and reports. */
export interface RefineReport {
  cloned: number;
  split: number;
  pruned: number;
  relocated: number;
  added: number;
  /** True when the strategy reset opacities (the trainer then clears their Adam moments too). */
  opacityReset: boolean;
}

/** What a refinement hands back: parameters and both Adam moments (same row order), and its report. */
export interface RefinedTables {
  params: GaussianTable;
  adamM: GaussianTable;
  adamV: GaussianTable;
  report: RefineReport;
}

/**
 * A swappable densification/pruning strategy (as gsplat's strategy/ module): the trainer asks it
 * at each step whether to refine, then hands it the state and uploads whatever it returns.
 */
export interface Strategy {
  readonly name: string;
  /** Whether `refine` should run after optimizer step `step` (1-based). */
  shouldRefine(step: number): boolean;
  /** Edits the state's tables (replacing them as needed) and returns the new tables plus a report. */
  refine(state: RefineState): RefinedTables;
}

/** An empty report. */
export function emptyReport(): RefineReport {
  return { cloned: 0, split: 0, pruned: 0, relocated: 0, added: 0, opacityReset: false };
}
