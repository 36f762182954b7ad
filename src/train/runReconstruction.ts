import type { Scene } from '../core/Scene';
import type { GpuContext } from '../gpu/device';
import { prepareInit, type PreparedInit } from './prepareInit';
import { recipeForViews, type Recipe } from './recipes/Recipe';
import { Trainer, type StepStats } from './Trainer';

/** Callbacks and pacing of a reconstruction run. */
export interface RunOptions {
  /** Steps between progress callbacks (each costs one small readback). Default 10. */
  logEvery?: number;
  onProgress?: (s: StepStats) => void;
  /** Called once with the initialized trainer and its initialization before step 0 (e.g. to score the init itself). */
  onInit?: (trainer: Trainer, init: PreparedInit) => Promise<void>;
  /** Polled between batches: true stops training early (the model so far is kept). */
  shouldStop?: () => boolean;
}

/** A finished (or stopped) run: the trainer holding the model, and what it took. */
export interface RunResult {
  trainer: Trainer;
  init: PreparedInit;
  history: StepStats[];
  timingsMs: Record<string, number>;
  /** True when shouldStop ended training early, or the loss stopped being finite. */
  interrupted: boolean;
}

/**
 * The main job after loading: depth prior and initialization as the recipe says, then training on
 * `trainViews` until the recipe's iterations (per view: recipeForViews), reporting progress every `logEvery` steps.
 */
export async function runReconstruction(
  gpu: GpuContext,
  scene: Scene,
  trainViews: number[],
  recipe: Recipe,
  opts: RunOptions = {},
): Promise<RunResult> {
  recipe = recipeForViews(recipe, trainViews.length);
  const t1 = performance.now();
  const init = await prepareInit(gpu, scene, trainViews, recipe);
  const initMs = performance.now() - t1;
  let trainer: Trainer;
  try {
    trainer = await Trainer.create(gpu, scene, trainViews, recipe, init);
  } catch (e) {
    // An empty init on a scene whose hull was refused: say why the hull did not help.
    if (init.hullNote && e instanceof Error) throw new Error(`${e.message} (${init.hullNote})`);
    throw e;
  }
  await opts.onInit?.(trainer, init);
  const logEvery = opts.logEvery ?? 10;
  const history: StepStats[] = [];
  let interrupted = false;
  const t2 = performance.now();
  while (trainer.step < recipe.iterations) {
    if (opts.shouldStop?.()) {
      interrupted = true;
      break;
    }
    const s = await trainer.train(logEvery);
    history.push(s);
    opts.onProgress?.(s);
    if (!Number.isFinite(s.loss)) {
      interrupted = true;
      break;
    }
  }
  return { trainer, init, history, interrupted, timingsMs: { ...init.timingsMs, initTotal: initMs, train: performance.now() - t2 } };
}
