import type { Scene } from '../core/Scene';
import type { GpuContext } from '../gpu/device';
import { planeSweepMvs } from '../depth/planeSweepMvs';
import { initFusedPointCloud, initPerPixel, initRandom, initRandomCovisible, initRandomInHull, isInwardRig } from '../depth/initialize';
import { concatClouds } from '../core/GaussianCloud';
import { fillDepthEdgeAware } from '../depth/fillDepthEdgeAware';
import { fillDepthFromHull, hullUnusableReason, visualHullDepths, type VisualHullDepths } from '../depth/visualHull';
import type { Recipe } from './recipes/Recipe';
import type { TrainerInit } from './Trainer';

/** The initialization and its cost. */
export interface PreparedInit extends TrainerInit {
  timingsMs: Record<string, number>;
  /** Fraction of training-view pixels with a confident depth prior (when a prior was computed), the visual hull's fill included. */
  priorCoverage?: number;
  /** Fraction of training-view pixels whose depth came from the visual hull (Recipe.hullPrior), when it ran. */
  hullFill?: number;
  /** Fraction of the training pixels whose depth fillDepthEdgeAware filled (Recipe.depthFill), when it ran. */
  depthFill?: number;
  /** Why hullPrior=auto or randomVolume=auto did not use the visual hull on a scene with transparency, when it did not. */
  hullNote?: string;
}

/** Stages of prepareInit, in order: the depth prior (plane-sweep MVS; only when the recipe uses one), then the initial Gaussians. */
export type PrepareInitStage = 'depth' | 'init';

export interface PrepareInitOptions {
  /** Called as each stage goes: fraction in [0, 1] of that stage (the depth stage per swept chunk of depth planes). */
  onProgress?: (stage: PrepareInitStage, fraction: number) => void;
}

/**
 * Computes what the recipe asks for before training: the depth prior of each training view
 * (plane-sweep MVS, confident pixels only) and the initial Gaussians (per-pixel on the rays at the
 * prior depth, fused point cloud, or random points in the frusta, the covisible box or the visual hull;
 * random points in the hull beside the per-pixel ones with Recipe.hullInitRandom).
 * @throws Error when the recipe needs a depth prior it was not given, hullPrior=on meets opaque photos or no MVS prior, or randomVolume=hull meets opaque photos (both checked before the MVS runs).
 */
export async function prepareInit(gpu: GpuContext, scene: Scene, trainViews: number[], recipe: Recipe, opts: PrepareInitOptions = {}): Promise<PreparedInit> {
  const progress = opts.onProgress ?? (() => {});
  const timingsMs: Record<string, number> = {};
  let depths: Float32Array[] | null = null;
  let confidence: Float32Array[] | null = null;
  let priorCoverage: number | undefined;
  const needRandom = recipe.init === 'random' || ((recipe.init === 'perPixel' || recipe.init === 'fused') && recipe.depthInitRandom > 0);
  // The visual hull's own errors, before the MVS spends its time.
  if (recipe.hullPrior === 'on' && recipe.depthPrior !== 'mvs') throw new Error(`recipe "${recipe.name}": hullPrior=on fills the MVS depth prior; set depthPrior=mvs too`);
  if (recipe.hullPrior === 'on' && !scene.alphas) throw new Error(`recipe "${recipe.name}": hullPrior=on needs photos with transparency (alpha), and scene "${scene.name}" has none`);
  if (recipe.randomVolume === 'hull' && needRandom && !scene.alphas) throw new Error(`recipe "${recipe.name}": randomVolume=hull needs photos with transparency (alpha), and scene "${scene.name}" has none`);
  if (recipe.depthPrior === 'mvs') {
    const t0 = performance.now();
    progress('depth', 0);
    const mvs = await planeSweepMvs(gpu, scene, trainViews, { hypotheses: recipe.mvsHypotheses, census: recipe.mvsCensus, onProgress: (f) => progress('depth', f) });
    timingsMs.mvs = performance.now() - t0;
    depths = mvs.depth;
    confidence = mvs.confidence;
  }
  const inward = isInwardRig(trainViews.map((i) => scene.cameras[i]));
  const hullVolume = needRandom && (recipe.randomVolume === 'hull' || (recipe.randomVolume === 'auto' && inward && !!scene.alphas && trainViews.length >= 2));
  const hullDepthPrior = !!(depths && confidence) && useHullPrior(recipe, scene, trainViews.length, inward);
  let hullFill: number | undefined;
  let hullNote: string | undefined;
  let hull: VisualHullDepths | null = null;
  if (hullDepthPrior || hullVolume) {
    const t0 = performance.now();
    const required = recipe.hullPrior === 'on' ? 'hullPrior=on' : recipe.randomVolume === 'hull' && hullVolume ? 'randomVolume=hull' : null;
    const reason = required ? null : hullUnusableReason(scene, trainViews);
    if (reason) {
      hullNote = `visual hull not used: ${reason}`;
    } else {
      try {
        hull = visualHullDepths(scene, trainViews);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (required) throw new Error(`recipe "${recipe.name}": ${required}: ${msg} (--set ${required.split('=')[0]}=${required.startsWith('hull') ? 'off' : 'covisible'} trains without it)`);
        hullNote = `visual hull not used: ${msg}`;
      }
    }
    if (hull && hullDepthPrior) hullFill = fillDepthFromHull(hull.depths, depths!, confidence!);
    timingsMs.hull = performance.now() - t0;
  }
  let depthFill: number | undefined;
  if (recipe.depthFill === 'edgeAware' && depths && confidence && (recipe.init === 'perPixel' || recipe.init === 'fused')) {
    const t0 = performance.now();
    let filled = 0;
    trainViews.forEach((v, k) => (filled += fillDepthEdgeAware(scene.images[v], depths![k], confidence![k], { alpha: scene.alphas?.[v] })));
    depthFill = filled / trainViews.length;
    timingsMs.depthFill = performance.now() - t0;
  }
  const covisible = recipe.randomVolume === 'covisible' || (recipe.randomVolume !== 'frusta' && inward);
  if (depths && confidence) {
    let conf = 0;
    let total = 0;
    for (const c of confidence) {
      for (const v of c) conf += v > 0.5 ? 1 : 0;
      total += c.length;
    }
    priorCoverage = conf / Math.max(1, total);
  }
  const t1 = performance.now();
  progress('init', 0);
  const random = (count: number) =>
    hull && hullVolume ? initRandomInHull(hull.grid, count, recipe.seed) : covisible ? initRandomCovisible(scene, trainViews, count, recipe.seed) : initRandom(scene, trainViews, count, recipe.seed);
  let init: TrainerInit;
  if (recipe.init === 'perPixel' || recipe.init === 'fused') {
    if (!depths) throw new Error(`recipe "${recipe.name}": init "${recipe.init}" needs a depth prior (set depthPrior=mvs)`);
    if (recipe.init === 'perPixel') {
      const r = initPerPixel(scene, trainViews, depths, confidence, { block: recipe.initBlock });
      init = { cloud: r.cloud, rays: { origin: r.rays.origin, dir: r.rays.dir, depth: r.rays.depth }, grids: r.grids };
    } else {
      init = { cloud: initFusedPointCloud(scene, trainViews, depths, confidence) };
    }
    // Appended after the per-pixel Gaussians, so the ray binding (the first rays.depth.length) is unchanged.
    if (recipe.depthInitRandom > 0) init.cloud = concatClouds(init.cloud, random(recipe.depthInitRandom));
    // At the mean spacing (a fog of optical depth ~23 at 50k), as hullInitRandom was measured: beside the per-pixel
    // Gaussians it scores better than at randomInitScale (lego 22.40-22.43 / 0.837-0.838 against 22.27 / 0.831 twice).
    if (recipe.hullInitRandom > 0 && hull && hullDepthPrior) init.cloud = concatClouds(init.cloud, initRandomInHull(hull.grid, recipe.hullInitRandom, recipe.seed, { scale: 'spacing' }));
  } else {
    init = { cloud: random(recipe.randomCount) };
  }
  timingsMs.init = performance.now() - t1;
  if (depths && confidence) {
    init.depthPriors = depths.map((d, k) => {
      const c = confidence![k];
      const masked = new Float32Array(d.length);
      for (let i = 0; i < d.length; i++) masked[i] = c[i] > 0.5 && Number.isFinite(d[i]) ? d[i] : 0;
      return masked;
    });
  }
  progress('init', 1);
  return { ...init, timingsMs, priorCoverage, hullFill, depthFill, hullNote, hullGrid: hull?.grid };
}

/** Whether the recipe's hullPrior applies: 'on' (alpha checked before), or 'auto' on an inward rig (`inward`, isInwardRig of the training cameras) of 2+ views whose photos have transparency. */
function useHullPrior(recipe: Recipe, scene: Scene, views: number, inward: boolean): boolean {
  if (recipe.hullPrior === 'off') return false;
  if (recipe.hullPrior === 'on') return true;
  return !!scene.alphas && views >= 2 && inward;
}
