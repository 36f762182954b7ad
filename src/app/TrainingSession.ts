/**
 * The studio's view of a training run. The panel and controller only talk to this interface, so
 * wiring a different trainer is this one file. `createTrainingSession` builds it on src/train
 * (recipe -> prepareInit -> Trainer), or warm-starts from a saved model (reload / device loss).
 */
import type { Camera } from '../core/Camera';
import type { GaussianCloud } from '../core/GaussianCloud';
import type { ImageRGB } from '../core/Image';
import type { Scene } from '../core/Scene';
import type { GpuContext } from '../gpu/device';
import type { GaussianBuffers } from '../splat/GaussianBuffers';
import { loadParts, type RecipeLike } from './parts';

/** Progress after a batch: step count, weighted loss and PSNR (dB) of the last step, Gaussian count, last view. */
export interface SessionStats {
  step: number;
  loss: number;
  psnr: number;
  count: number;
  /** Scene index of the view trained last. */
  view: number;
}

export interface TrainingSession {
  /** Steps done so far. */
  readonly step: number;
  /** Target step count (the recipe's iterations as set in the panel). */
  readonly iterations: number;
  /** The live parameters (drawn by the viewer straight from the GPU). */
  readonly gaussians: GaussianBuffers;
  /** Runs up to `n` more steps (never past `iterations`). */
  run(n: number): Promise<SessionStats>;
  /** Renders a camera with the current model: RGB float in [0,1] (sRGB-encoded). */
  render(camera: Camera): Promise<ImageRGB>;
  /** The current model on the CPU. */
  exportCloud(): Promise<GaussianCloud>;
  /** Scene indices of the training views, in the order of trainCameras. */
  readonly trainViews: readonly number[];
  /**
   * The training views' cameras now, at the session scene's image size: their refined poses when
   * the recipe refines poses (Recipe.poseRefine: photos with estimated poses), else the scene's.
   */
  trainCameras(): Camera[];
  destroy(): void;
}

export interface SessionOptions {
  trainViews: number[];
  recipe: 'sparse' | 'vanilla';
  iterations: number;
  /** Recipe settings as `key=value` (dotted paths, e.g. "randomCount=2000", "loss.s3im=0.1"). */
  overrides?: string[];
  /** Warm start: continue from this model at step `startStep` (skips initialization). */
  resume?: { cloud: GaussianCloud; step: number };
  /**
   * Called while preparing (depth prior, initialization, kernels) with a short phrase and the
   * fraction done of that phase (null when it cannot be measured, e.g. compiling kernels).
   */
  onPhase?: (text: string, fraction: number | null) => void;
}

/** Thrown when the trainer modules are not available in this build. */
export class TrainerUnavailableError extends Error {}

/**
 * Creates a session for `scene` (images already at training size).
 * @throws TrainerUnavailableError when src/train is missing; trainer errors otherwise.
 */
export async function createTrainingSession(gpu: GpuContext, scene: Scene, opts: SessionOptions): Promise<TrainingSession> {
  const parts = await loadParts();
  if (!parts.Trainer || !parts.getRecipe || !parts.prepareInit) {
    throw new TrainerUnavailableError('Training is not available in this build (the trainer module did not load).');
  }
  let recipe: RecipeLike = parts.getRecipe(opts.recipe);
  const overrides = (opts.overrides ?? []).filter((o) => o.trim());
  if (overrides.length) {
    if (!parts.applyOverrides) throw new Error('recipe overrides are not supported by this build');
    recipe = parts.applyOverrides(recipe, overrides);
  }
  // the panel's step count is explicit: it wins over the recipe's per-view count
  recipe = { ...recipe, iterations: opts.iterations, iterationsPerView: 0 };
  let init: { cloud: GaussianCloud };
  if (opts.resume) {
    init = { cloud: opts.resume.cloud };
  } else {
    opts.onPhase?.('Preparing', 0);
    init = await parts.prepareInit(gpu, scene, opts.trainViews, recipe, {
      onProgress: (stage, fraction) => opts.onPhase?.(stage === 'depth' ? 'Computing the depth prior (multi-view stereo)' : 'Placing the initial Gaussians', fraction),
    });
  }
  opts.onPhase?.('Compiling training kernels', null);
  const trainer = await parts.Trainer.create(gpu, scene, opts.trainViews, recipe, init);
  if (opts.resume) trainer.step = opts.resume.step;
  return {
    get step() {
      return trainer.step;
    },
    iterations: opts.iterations,
    get gaussians() {
      return trainer.gaussians;
    },
    async run(n: number) {
      const left = Math.max(0, opts.iterations - trainer.step);
      const s = await trainer.train(Math.max(1, Math.min(n, left)));
      return { step: s.step, loss: s.loss, psnr: s.psnr, count: s.count, view: s.view ?? opts.trainViews[0] };
    },
    async render(camera: Camera) {
      return (await trainer.render(camera, scene.background)).image;
    },
    exportCloud: () => trainer.exportCloud(),
    trainViews: opts.trainViews.slice(),
    trainCameras: () => trainer.trainCameras,
    destroy: () => trainer.destroy(),
  };
}
