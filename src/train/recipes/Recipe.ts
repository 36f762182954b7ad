/**
 * A named training recipe: every setting of a reconstruction in one object, each overridable from
 * the CLI (`--set loss.s3im=0.1`) or the studio.
 */
export interface Recipe {
  name: string;
  /** Optimizer steps (unless iterationsPerView is set). */
  iterations: number;
  /**
   * Steps per training view: when > 0, a run on N views takes N x this many steps instead of
   * `iterations` (recipeForViews), so every view gets as many visits whatever their number. Setting
   * `iterations` itself (--iters, --set iterations=N, the studio's step field) turns this off. 0 = off.
   */
  iterationsPerView: number;
  /** Initialization: random points in the frusta (3DGS baseline), per-pixel Gaussians from depth (CoherentGS), or a fused point cloud from depth. */
  init: 'random' | 'perPixel' | 'fused';
  /** Random init: number of points. */
  randomCount: number;
  /** Per-pixel init: one Gaussian per block x block pixels. */
  initBlock: number;
  /**
   * Per-pixel and fused init: random Gaussians in the frusta added beside the depth-initialized ones
   * (they cover what the depth prior missed: background, parts one view sees); 0 = none.
   */
  depthInitRandom: number;
  /**
   * Where random Gaussians (randomCount, depthInitRandom) are drawn: 'frusta' (each training view's
   * frustum, uniform in inverse depth: the forward-facing baseline), 'covisible' (uniform in the volume
   * two or more training views see, as 3DGS's box around a synthetic object), 'hull' (uniform in the
   * visual hull of the training silhouettes: photos with transparency only), or 'auto': 'hull' for an
   * inward-facing rig (mean angle between optical axes > 25 degrees) whose photos have transparency
   * and usable silhouettes, 'covisible' for other inward rigs, else 'frusta'.
   * Default 'frusta': on blender-lego (8 views, --cpu preset) 'covisible' scored 10.78 dB against 14.03
   * (the box's random Gaussians stay as haze in the held-out views at that schedule).
   */
  randomVolume: 'auto' | 'frusta' | 'covisible' | 'hull';
  /** Depth prior used for init and the relative-depth loss. */
  depthPrior: 'none' | 'mvs';
  /**
   * Visual hull of the training silhouettes (src/depth/visualHull.ts) as depth prior wherever the MVS
   * is not confident or lies in front of the hull (needs depthPrior=mvs): 'auto' = on for an inward
   * rig whose photos have transparency (Blender RGBA), off otherwise; 'on' needs transparency.
   */
  hullPrior: 'auto' | 'on' | 'off';
  /**
   * Random Gaussians uniform in the visual hull's volume (initRandomInHull), appended after the
   * per-pixel or fused ones whenever the hull prior runs (hullPrior, so photos with transparency on
   * an inward rig): they cover what the per-pixel Gaussians on each view's first surface miss. Their
   * scale is the mean spacing (a thick fog; measured better here than randomInitScale's thinner one). 0 = none.
   */
  hullInitRandom: number;
  /**
   * Hull carving: at each refinement, Gaussians whose mean lies outside the visual hull grown by one
   * voxel are pruned (with their Adam moments). The object lies inside the hull, so whatever is outside
   * is a floater some training view explains its photo with. 'auto' = wherever the visual hull was
   * computed (hullPrior or randomVolume=hull ran); 'off' = never. Runs only at refinements (not with
   * strategy.kind=none, nor past strategy.refineStop), and not in a run resumed from a saved model (no hull).
   */
  hullCarve: 'auto' | 'off';
  /**
   * Depth for the pixels the MVS (and the hull) left unconfident, for the per-pixel and fused init
   * only: 'edgeAware' fills them from the confident pixels around them along the photo's edges
   * (fillDepthEdgeAware: push-pull with joint-bilateral sweeps), so every opaque pixel starts with
   * a Gaussian; the depth losses still use the MVS's own pixels. 'off' leaves them empty.
   */
  depthFill: 'off' | 'edgeAware';
  /** MVS plane hypotheses. */
  mvsHypotheses: number;
  /**
   * MVS: weight in [0, 1] of the census cost mixed into the ZNCC cost (planeSweepMvs `census`);
   * 0 = ZNCC alone.
   */
  mvsCensus: number;
  lr: {
    /** Means: initial and final rate, times the scene extent, decayed exponentially (3DGS 1.6e-4 -> 1.6e-6). */
    meansInit: number;
    meansFinal: number;
    logScales: number;
    quats: number;
    logitOpacities: number;
    sh: number;
    shRest: number;
    /** Coherent phase: rate of the per-Gaussian depth along its ray, times the scene extent. */
    rayDepth: number;
    /**
     * Pose refinement (poseRefine): Adam step of the training cameras, radians of rotation and
     * median scene depths of translation, decayed linearly to a tenth by the last step.
     */
    pose: number;
    /**
     * Pose refinement: Adam step of the log of the focal shared by the training views (fx and fy
     * together), decayed like lr.pose; 0 = the focal stays as given.
     */
    focal: number;
  };
  /** Raise the SH degree by one every this many steps, up to maxShDegree. */
  shDegreeEvery: number;
  maxShDegree: number;
  strategy: {
    kind: 'default' | 'mcmc' | 'none';
    refineStart: number;
    refineStop: number;
    refineEvery: number;
    resetEvery: number;
    growGrad2d: number;
    maxGaussians: number;
  };
  loss: {
    /** D-SSIM weight lambda in (1 - lambda) L1 + lambda (1 - SSIM) (3DGS: 0.2). */
    lambdaSsim: number;
    /** S3IM weight (Xie et al. 2023). */
    s3im: number;
    /** Total variation on per-view depth grids of per-pixel Gaussians (CoherentGS). */
    depthTv: number;
    /** Relative (scale/shift-invariant) depth guidance weight (RDG-GS). */
    relativeDepth: number;
    /** Weight of the global (whole-image) term inside the relative depth loss. */
    relativeDepthGlobal: number;
    relativeDepthPatch: number;
    relativeDepthPatches: number;
    /**
     * Binocular self-consistency weight (Binocular3DGS, Han et al. NeurIPS 2024): each step from
     * binocularStart also renders a camera shifted sideways and warps it back into the training view
     * with the rendered depth, L1 against the photo; 0 = off (no second render).
     */
    binocular: number;
    /**
     * Largest disparity of the shifted camera, pixels at the scene's median depth: the baseline is
     * uniform in +-binocularDisparity * medianDepth / fx per step.
     */
    binocularDisparity: number;
    /** Step from which the binocular loss runs (Binocular3DGS: 2/3 of the schedule on LLFF). */
    binocularStart: number;
    /**
     * Multi-view reprojection weight (src/train/losses/ReprojectionLoss.ts): each training pixel is
     * lifted to its rendered depth and compared with the photos of the nearest other training views
     * there (per-pixel minimum, Monodepth2), gradients into the depth only; 0 = off. No extra render.
     */
    reprojection: number;
    /** Step from which the reprojection loss runs. */
    reprojectionStart: number;
    /** Source views per training view for the reprojection loss, nearest camera centres first (1-4; fewer when the scene has fewer other views). */
    reprojectionSources: number;
    /**
     * Novel-view reprojection weight (Trainer.recordNovelView): a virtual camera between a training view
     * and its nearest neighbour is rendered, and its depth projected into their photos; the per-pixel
     * minimum L1 residual trains its colour, depth and alpha (FewViewGS-style unseen-view consistency).
     * One extra render and backward per step; 0 = off.
     */
    novelView: number;
    /** Step from which the novel-view loss runs. */
    novelViewStart: number;
    /**
     * Scale-ratio regularizer weight (PhysGaussian, Xie et al. CVPR 2024, Eq. 11;
     * src/train/losses/ScaleRatioLoss.ts): mean over the Gaussians of max(smax / smin, r) - r, so
     * needles longer than scaleRatioMax times their width are pulled rounder; 0 = off.
     */
    scaleRatio: number;
    /** Largest ratio of a Gaussian's longest to its shortest axis that the scale-ratio regularizer leaves free, r >= 1. */
    scaleRatioMax: number;
  };
  /** Steps during which per-pixel Gaussians move only along their pixel ray (CoherentGS). */
  coherentSteps: number;
  /**
   * Gaussian dropout rate in [0, 1) of every training render (DropGaussian, Park et al. CVPR 2025):
   * a random subset is left out, the rest get opacity / (1 - rate); 0 = off. Evaluation renders all.
   */
  dropout: number;
  /**
   * How the dropout rate runs over training: 'constant' = `dropout` at every step; 'ramp' = from 0
   * at step 0 linearly up to `dropout` at the last step, as DropGaussian's code does (0.2 * step /
   * iterations), so the late steps, which overfit sparse views most, are regularized most.
   */
  dropoutSchedule: 'constant' | 'ramp';
  /**
   * Opacity decay (Binocular3DGS, Han et al. NeurIPS 2024): every step each opacity is multiplied by
   * this factor after the optimizer step, so Gaussians the loss does not hold up (floaters) fade; 1 = off.
   */
  opacityDecay: number;
  /**
   * Random background colour per step (3DGS's --random_background): the photo is re-composited over
   * it with its alpha, so Gaussians painting the background colour in front of it (white fog on
   * Blender scenes) are penalized. 'auto': on when the scene's photos have transparency (Blender
   * RGBA), off for opaque photos; 'on' needs transparency (an error otherwise).
   */
  randomBackground: 'auto' | 'on' | 'off';
  /**
   * Completion of novel views where no training view saw (src/train/EnvironmentBackground.ts): an
   * uncovered pixel whose ray lies outside every training image shows the training photos' colour
   * extended past their borders instead of the scene background. Renders only (evaluation, the
   * studio's views); training steps keep the scene background. 'auto': on for photos without
   * transparency (where the background is no part of the photos), off for RGBA scenes (Blender's
   * white is the protocol's).
   */
  environment: 'auto' | 'on' | 'off';
  /** Box-blur radius of the environment's photos as a fraction of their long side, in [0, 1) (EnvironmentBackground.fromViews). */
  environmentBlur: number;
  /**
   * Photometric refinement of the training cameras' poses (src/train/PoseRefiner.ts; the first
   * training view stays fixed): 'auto' = on for scenes whose poses were estimated from the photos
   * (Scene.posesEstimated), off for given poses.
   */
  poseRefine: 'auto' | 'on' | 'off';
  /** Step from which poses are refined, and never before the coherent phase ends (its rays are the cameras'). */
  poseRefineStart: number;
  seed: number;
}

/** Allowed values of the recipe's text settings (dotted paths). */
export const RECIPE_CHOICES: Record<string, readonly string[]> = {
  init: ['random', 'perPixel', 'fused'],
  randomVolume: ['auto', 'frusta', 'covisible', 'hull'],
  depthPrior: ['none', 'mvs'],
  depthFill: ['off', 'edgeAware'],
  hullPrior: ['auto', 'on', 'off'],
  hullCarve: ['auto', 'off'],
  'strategy.kind': ['default', 'mcmc', 'none'],
  randomBackground: ['auto', 'on', 'off'],
  environment: ['auto', 'on', 'off'],
  dropoutSchedule: ['constant', 'ramp'],
  poseRefine: ['auto', 'on', 'off'],
};

/** Allowed ranges of numeric settings checked when overridden: [min, max], each bound inclusive unless marked open; `integer` = whole numbers only. */
export const RECIPE_RANGES: Record<string, { min: number; max: number; minOpen?: boolean; maxOpen?: boolean; integer?: boolean }> = {
  iterations: { min: 1, max: 1e7, integer: true },
  iterationsPerView: { min: 0, max: 1e6, integer: true },
  hullInitRandom: { min: 0, max: 1e7, integer: true },
  depthInitRandom: { min: 0, max: 1e7, integer: true },
  dropout: { min: 0, max: 1, maxOpen: true },
  mvsCensus: { min: 0, max: 1 },
  opacityDecay: { min: 0, max: 1, minOpen: true },
  environmentBlur: { min: 0, max: 1, maxOpen: true },
  'loss.binocular': { min: 0, max: 100 },
  'loss.binocularDisparity': { min: 0, max: 256, minOpen: true },
  'loss.binocularStart': { min: 0, max: 1e9 },
  'loss.reprojection': { min: 0, max: 100 },
  'loss.reprojectionStart': { min: 0, max: 1e9 },
  'loss.reprojectionSources': { min: 1, max: 4, integer: true },
  'loss.novelView': { min: 0, max: 100 },
  'loss.novelViewStart': { min: 0, max: 1e9 },
  'loss.scaleRatio': { min: 0, max: 1e6 },
  'loss.scaleRatioMax': { min: 1, max: 1e6 },
  'lr.pose': { min: 0, max: 1 },
  'lr.focal': { min: 0, max: 1 },
  poseRefineStart: { min: 0, max: 1e9 },
};

/**
 * Applies `key=value` overrides (dotted paths, e.g. "loss.s3im=0.1", "strategy.kind=mcmc") to a copy of `recipe`.
 * @throws Error naming the key when it does not exist, a number is not a number, a text
 *   setting gets a value outside RECIPE_CHOICES, or a number falls outside RECIPE_RANGES.
 */
export function applyOverrides(recipe: Recipe, overrides: string[]): Recipe {
  const out = structuredClone(recipe);
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq < 0) throw new Error(`override "${o}": expected key=value`);
    const path = o.slice(0, eq).split('.');
    const raw = o.slice(eq + 1);
    let obj: any = out;
    for (const k of path.slice(0, -1)) {
      if (typeof obj[k] !== 'object' || obj[k] === null) throw new Error(`override "${o}": unknown key "${path.join('.')}"`);
      obj = obj[k];
    }
    const last = path[path.length - 1];
    if (!(last in obj) || typeof obj[last] === 'object') throw new Error(`override "${o}": unknown key "${path.join('.')}"`);
    const cur = obj[last];
    if (typeof cur === 'number') {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new Error(`override "${o}": "${raw}" is not a finite number`);
      const r = RECIPE_RANGES[path.join('.')];
      if (r && (v < r.min || v > r.max || (r.minOpen && v === r.min) || (r.maxOpen && v === r.max))) {
        throw new Error(`override "${o}": must be in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`);
      }
      if (r?.integer && !Number.isInteger(v)) throw new Error(`override "${o}": must be an integer`);
      obj[last] = v;
      // an explicit step count wins over the per-view one
      if (o.slice(0, eq) === 'iterations') out.iterationsPerView = 0;
    } else {
      const choices = RECIPE_CHOICES[path.join('.')];
      if (choices && !choices.includes(raw)) throw new Error(`override "${o}": unknown value "${raw}" (${choices.join(' | ')})`);
      obj[last] = raw;
    }
  }
  return out;
}

/**
 * The recipe with the step count for `views` training views: `iterationsPerView` x views when that
 * is set (and then 0, so applying it twice changes nothing), else the recipe itself.
 */
export function recipeForViews(recipe: Recipe, views: number): Recipe {
  return recipe.iterationsPerView > 0 ? { ...recipe, iterations: recipe.iterationsPerView * Math.max(1, views), iterationsPerView: 0 } : recipe;
}

/**
 * The dropout rate of the training render at `step` (0-based), in [0, 1): Recipe.dropout under
 * Recipe.dropoutSchedule ('ramp': dropout * step / iterations, DropGaussian's schedule).
 */
export function dropoutRateAt(recipe: Pick<Recipe, 'dropout' | 'dropoutSchedule' | 'iterations'>, step: number): number {
  return recipe.dropoutSchedule === 'ramp' ? (recipe.dropout * Math.min(step, recipe.iterations)) / Math.max(1, recipe.iterations) : recipe.dropout;
}
