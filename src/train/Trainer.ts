import { type Camera, interpolateCameras, nearestCameras } from '../core/Camera';
import type { GaussianCloud } from '../core/GaussianCloud';
import type { ImageRGB } from '../core/Image';
import type { Scene } from '../core/Scene';
import { Random } from '../core/random';
import type { GpuContext } from '../gpu/device';
import { createStorageBuffer, readF32 } from '../gpu/buffers';
import { GaussianBuffers } from '../splat/GaussianBuffers';
import { GaussianRasterizer, type RenderTargets } from '../splat/GaussianRasterizer';
import { psnr } from '../eval/metrics';
import { clampImage } from '../core/Image';
import { Adam, type LearningRates } from './Adam';
import { downloadTable, uploadTable } from './GaussianTable';
import { RayBinding, type BoundRays, type DepthGrid } from './RayBinding';
import { dropoutRateAt, type Recipe } from './recipes/Recipe';
import { DefaultStrategy } from './strategies/DefaultStrategy';
import { McmcStrategy } from './strategies/McmcStrategy';
import type { RefineReport, Strategy } from './strategies/Strategy';
import { carveOutsideHull } from './strategies/carveOutsideHull';
import { dilateHullGrid, type HullGrid } from '../depth/visualHull';
import { L1SsimLoss } from './losses/L1SsimLoss';
import { S3imLoss } from './losses/S3imLoss';
import { DepthTvLoss } from './losses/DepthTvLoss';
import { RelativeDepthLoss } from './losses/RelativeDepthLoss';
import { BinocularLoss, shiftedCamera } from './losses/BinocularLoss';
import { REPROJECTION_MAX_SOURCES, ReprojectionLoss, reprojectionGeometry } from './losses/ReprojectionLoss';
import { ScaleRatioLoss } from './losses/ScaleRatioLoss';
import { RandomBackground } from './RandomBackground';
import { EnvironmentBackground } from './EnvironmentBackground';
import { PoseRefiner, type PoseChange } from './PoseRefiner';

/** Steps between pose refinement updates (one small readback each). */
const POSE_UPDATE_EVERY = 10;

/** Loss slots in the per-step loss buffer (weighted values, read at intervals). */
const LOSS_SLOTS = 64;
const SLOT = { l1ssim: 0, s3im: 1, relDepth: 2, tv0: 3, scaleRatio: LOSS_SLOTS - 5, novelView: LOSS_SLOTS - 4, reprojection: LOSS_SLOTS - 3, binocular: LOSS_SLOTS - 1 } as const;

/** What the trainer starts from. */
export interface TrainerInit {
  cloud: GaussianCloud;
  /** Per-pixel Gaussians (rows [0, N) of cloud) bound to rays for the coherent phase. */
  rays?: BoundRays;
  grids?: DepthGrid[];
  /** Depth prior per training view (H*W camera z, 0 = unknown), for relative depth guidance. */
  depthPriors?: (Float32Array | null)[];
  /** The training silhouettes' visual hull, when prepareInit carved one (Recipe.hullCarve prunes outside it). */
  hullGrid?: HullGrid;
}

/** Progress after a batch of steps. */
export interface StepStats {
  step: number;
  /** Sum of the weighted losses of the last step. */
  loss: number;
  /** PSNR (dB) of the last step's render against its photo. */
  psnr: number;
  count: number;
  /** Steps per second over the batch. */
  itPerSec: number;
  /** View index (into scene) of the last step. */
  view: number;
  refine?: RefineReport;
}

/**
 * Optimizes Gaussians for a scene's training views, everything in GPU buffers: per step a random
 * training view is rendered, the recipe's losses add their gradients to the image gradient buffers,
 * the rasterizer backward turns them into parameter gradients, Adam updates the parameters. A
 * strategy densifies/prunes at intervals (the only CPU round trip). See Recipe for the schedule.
 */
export class Trainer {
  step = 0;
  readonly gaussians: GaussianBuffers;
  private readonly grads: GaussianBuffers;
  private mean2dGradNorm: GPUBuffer;
  private visibleCount: GPUBuffer;
  private statsCapacity: number;
  private readonly targets: GPUBuffer[];
  private readonly priors: (GPUBuffer | null)[];
  private readonly alphas: GPUBuffer[] | null;
  private readonly gradRgb: GPUBuffer;
  private readonly gradDepth: GPUBuffer;
  /** dL/dalpha of the training render for the reprojection loss at steps where the binocular pair (which owns one) does not run. */
  private readonly gradAlpha: GPUBuffer | null;
  /** Per training view (trainViews order): the local indices of its reprojection sources, nearest camera centres first. */
  private readonly reprojectionSources: number[][];
  private readonly lossBuf: GPUBuffer;
  private readonly rng: Random;
  /** Every 64th initial Gaussian mean, xyz, [N/64][3] (for the environment's depth range when the scene has no depth bounds). */
  private readonly initMeansSample: Float32Array;
  private envCache: EnvironmentBackground | null = null;
  /** Pose-refiner updates when envCache was built (it is rebuilt once the poses moved). */
  private envVersion = 0;
  readonly sceneExtent: number;
  private rays: RayBinding | null;
  readonly strategy: Strategy | null;
  /** Visual hull grown by one voxel, when Recipe.hullCarve prunes outside it; else null. */
  private readonly carveGrid: HullGrid | null;
  private lastView = 0;
  /** Batches in which some step needed more tile intersections than allocated (those steps' gradients were dropped). */
  overflows = 0;
  /**
   * CPU-side costs, for bench:train: milliseconds spent recording and submitting steps (summed
   * over `steps`), and in densification (download, strategy, upload recorded; summed over `refines`).
   */
  readonly cpuTimings = { encodeMs: 0, steps: 0, refineMs: 0, refines: 0 };
  private lastTargets: RenderTargets | null = null;
  private lastBackground: [number, number, number] = [0, 0, 0];
  /** photometricPoseGradient's photo on the GPU (re-uploaded when the photo changes) and pose gradient. */
  private registration: { photo: ImageRGB; target: GPUBuffer; poseGrad: GPUBuffer } | null = null;

  private constructor(
    readonly gpu: GpuContext,
    readonly scene: Scene,
    readonly trainViews: number[],
    readonly recipe: Recipe,
    readonly rasterizer: GaussianRasterizer,
    private readonly adam: Adam,
    private readonly losses: { l1ssim: L1SsimLoss; s3im: S3imLoss | null; tv: DepthTvLoss | null; relDepth: RelativeDepthLoss | null; scaleRatio: ScaleRatioLoss | null },
    init: TrainerInit,
    rays: RayBinding | null,
    private readonly randomBackground: RandomBackground | null,
    private readonly binocular: BinocularPair | null,
    private readonly poses: PoseRefiner | null,
    private readonly reprojection: ReprojectionLoss | null,
    private readonly novelView: NovelViewPair | null,
  ) {
    const d = gpu.device;
    const cloud = init.cloud;
    this.gaussians = new GaussianBuffers(d, Math.max(cloud.count * 2, 1024), 'params');
    this.gaussians.upload(cloud);
    this.gaussians.shDegree = 0;
    this.grads = new GaussianBuffers(d, this.gaussians.capacity, 'grads');
    this.statsCapacity = this.gaussians.capacity;
    this.mean2dGradNorm = createStorageBuffer(d, this.statsCapacity * 4, 'stats.mean2dGradNorm');
    this.visibleCount = createStorageBuffer(d, this.statsCapacity * 4, 'stats.visibleCount');
    const { width, height } = scene.images[trainViews[0]];
    this.targets = trainViews.map((v) => createStorageBuffer(d, scene.images[v].data, `target.${v}`));
    this.alphas = randomBackground ? trainViews.map((v) => createStorageBuffer(d, scene.alphas![v], `alpha.${v}`)) : null;
    this.priors = trainViews.map((_, k) => {
      const p = init.depthPriors?.[k];
      return p ? createStorageBuffer(d, p, `prior.${k}`) : null;
    });
    this.gradRgb = createStorageBuffer(d, width * height * 3 * 4, 'grad.rgb');
    this.gradDepth = createStorageBuffer(d, width * height * 4, 'grad.depth');
    this.gradAlpha = reprojection && recipe.loss.reprojection > 0 ? createStorageBuffer(d, width * height * 4, 'grad.alpha') : null;
    this.reprojectionSources = trainViews.map((_, k) => nearestCameras(trainViews.map((v) => scene.cameras[v]), k, Math.min(recipe.loss.reprojectionSources, REPROJECTION_MAX_SOURCES)));
    this.lossBuf = createStorageBuffer(d, LOSS_SLOTS * 4, 'losses');
    this.rng = new Random(recipe.seed);
    this.initMeansSample = sampleMeans(cloud, 64);
    this.sceneExtent = cameraExtent(trainViews.map((v) => scene.cameras[v]));
    this.rays = rays;
    this.strategy = makeStrategy(recipe);
    this.carveGrid = recipe.hullCarve === 'auto' && init.hullGrid ? dilateHullGrid(init.hullGrid, 1) : null;
  }

  /**
   * Compiles the kernels and uploads the scene's training views and the initial Gaussians.
   * @throws Error when the views differ in size, a view index is out of range, or the cloud is empty.
   */
  static async create(gpu: GpuContext, scene: Scene, trainViews: number[], recipe: Recipe, init: TrainerInit): Promise<Trainer> {
    if (trainViews.length === 0) throw new Error('Trainer: no training views');
    for (const v of trainViews) if (!(v >= 0 && v < scene.cameras.length)) throw new Error(`Trainer: view ${v} is not in scene "${scene.name}" (${scene.cameras.length} views)`);
    if (init.cloud.count === 0) {
      throw new Error(
        recipe.init === 'random'
          ? 'Trainer: the initial Gaussian cloud is empty (randomCount is 0)'
          : `Trainer: the initial Gaussian cloud is empty: the depth prior found no confident pixel in the training views (too little overlap or texture); use --recipe vanilla, or add random Gaussians with --set depthInitRandom=5000`,
      );
    }
    if (!(recipe.dropout >= 0 && recipe.dropout < 1)) throw new Error(`Trainer: recipe "${recipe.name}": dropout must be in [0, 1), got ${recipe.dropout}`);
    if (!(recipe.opacityDecay > 0 && recipe.opacityDecay <= 1)) throw new Error(`Trainer: recipe "${recipe.name}": opacityDecay must be in (0, 1], got ${recipe.opacityDecay}`);
    if (!['auto', 'on', 'off'].includes(recipe.environment)) throw new Error(`Trainer: recipe "${recipe.name}": environment must be auto, on or off, got ${String(recipe.environment)}`);
    if (!['auto', 'off'].includes(recipe.hullCarve)) throw new Error(`Trainer: recipe "${recipe.name}": hullCarve must be auto or off, got ${String(recipe.hullCarve)}`);
    if (!(recipe.environmentBlur >= 0 && recipe.environmentBlur < 1)) throw new Error(`Trainer: recipe "${recipe.name}": environmentBlur must be in [0, 1), got ${recipe.environmentBlur}`);
    const { width, height } = scene.images[trainViews[0]];
    for (const v of trainViews) {
      const img = scene.images[v];
      if (img.width !== width || img.height !== height) {
        throw new Error(`Trainer: training views must share one size (${scene.imageNames[v]} is ${img.width}x${img.height}, expected ${width}x${height})`);
      }
      const a = scene.alphas?.[v];
      if (a && a.length !== width * height) throw new Error(`Trainer: the alpha of ${scene.imageNames[v]} has ${a.length} values, expected ${width}x${height} (resize the alphas with the images)`);
    }
    const rasterizer = await GaussianRasterizer.create(gpu);
    const adam = await Adam.create(gpu, Math.max(init.cloud.count * 2, 1024));
    const L = recipe.loss;
    const losses = {
      l1ssim: await L1SsimLoss.create(gpu),
      s3im: L.s3im > 0 ? await S3imLoss.create(gpu) : null,
      tv: L.depthTv > 0 && init.rays && init.grids?.length ? await DepthTvLoss.create(gpu) : null,
      relDepth: L.relativeDepth > 0 && init.depthPriors?.some((p) => p) ? await RelativeDepthLoss.create(gpu) : null,
      scaleRatio: L.scaleRatio > 0 ? await ScaleRatioLoss.create(gpu) : null,
    };
    const rays = recipe.coherentSteps > 0 && init.rays ? await RayBinding.create(gpu, init.rays, init.grids ?? []) : null;
    if (recipe.randomBackground === 'on' && !scene.alphas) {
      throw new Error(`Trainer: randomBackground=on needs images with transparency; scene "${scene.name}" has none (set randomBackground=auto or off)`);
    }
    const useRandomBackground = recipe.randomBackground === 'on' || (recipe.randomBackground === 'auto' && !!scene.alphas);
    const randomBackground = useRandomBackground ? await RandomBackground.create(gpu, width * height) : null;
    const trainCameras = trainViews.map((v) => scene.cameras[v]);
    const binocular = L.binocular > 0 ? await BinocularPair.create(gpu, width, height, medianDepth(init.cloud, trainCameras), recipe.seed) : null;
    const refinePoses = recipe.poseRefine === 'on' || (recipe.poseRefine === 'auto' && !!scene.posesEstimated);
    const poses = refinePoses && trainViews.length > 1 && recipe.lr.pose > 0 ? new PoseRefiner(gpu.device, trainCameras.slice(), trainViews, medianDepth(init.cloud, trainCameras), recipe.lr.focal > 0) : null;
    const reprojection = (L.reprojection > 0 || L.novelView > 0) && trainViews.length > 1 ? await ReprojectionLoss.create(gpu) : null;
    const novelView = L.novelView > 0 && trainViews.length > 1 ? await NovelViewPair.create(gpu, width, height, recipe.seed) : null;
    return new Trainer(gpu, scene, trainViews, recipe, rasterizer, adam, losses, init, rays, randomBackground, binocular, poses, reprojection, novelView);
  }

  /**
   * The training views' cameras (trainViews order): the scene's, or their refined poses when the
   * recipe refines poses (Recipe.poseRefine).
   */
  get trainCameras(): Camera[] {
    return this.poses ? this.poses.cameras.slice() : this.trainViews.map((v) => this.scene.cameras[v]);
  }

  /** The training views' focal now over the scene's (1 unless the recipe refines the focal, lr.focal). */
  get focalScale(): number {
    return this.poses ? this.poses.focalScale : 1;
  }

  /**
   * How far pose refinement moved each training camera; null when poses are not refined, or not yet:
   * refinement starts after the coherent phase and poseRefineStart (Recipe), so a shorter run never refines.
   */
  poseChanges(): PoseChange[] | null {
    return this.poses && this.poses.updates > 0 ? this.poses.changes() : null;
  }

  /** Whether the recipe refines this scene's training poses (Recipe.poseRefine), whether or not it has started. */
  get refinesPoses(): boolean {
    return this.poses !== null;
  }

  /** Whether pose refinement runs at the next step (from poseRefineStart, after the coherent phase). */
  private get refiningPoses(): boolean {
    return this.poses !== null && !this.coherent && this.step >= this.recipe.poseRefineStart;
  }

  /** Whether the coherent phase (Gaussians bound to their rays) is active at the next step. */
  get coherent(): boolean {
    return this.rays !== null && this.step < this.recipe.coherentSteps;
  }

  private learningRates(): LearningRates {
    const lr = this.recipe.lr;
    const t = Math.min(1, this.step / Math.max(1, this.recipe.iterations));
    // 3DGS: log-linear decay of the position rate from init to final, times the scene extent.
    const means =
      lr.meansInit > 0 && lr.meansFinal > 0
        ? Math.exp(Math.log(lr.meansInit) * (1 - t) + Math.log(lr.meansFinal) * t) * this.sceneExtent
        : lr.meansInit * (1 - t) * this.sceneExtent;
    return {
      means: this.coherent ? 0 : means,
      logScales: lr.logScales,
      quats: lr.quats,
      logitOpacities: lr.logitOpacities,
      sh: lr.sh,
      shRest: lr.shRest,
    };
  }

  private ensureStatsCapacity(): void {
    if (this.statsCapacity >= this.gaussians.capacity) return;
    this.mean2dGradNorm.destroy();
    this.visibleCount.destroy();
    this.statsCapacity = this.gaussians.capacity;
    this.mean2dGradNorm = createStorageBuffer(this.gpu.device, this.statsCapacity * 4, 'stats.mean2dGradNorm');
    this.visibleCount = createStorageBuffer(this.gpu.device, this.statsCapacity * 4, 'stats.visibleCount');
  }

  /** Records and submits one optimizer step on a random training view. */
  private recordStep(): void {
    const t0 = performance.now();
    this.encodeStep();
    this.cpuTimings.encodeMs += performance.now() - t0;
    this.cpuTimings.steps++;
  }

  private encodeStep(): void {
    const d = this.gpu.device;
    const k = this.rng.int(this.trainViews.length);
    const view = this.trainViews[k];
    this.lastView = view;
    const cam = this.poses ? this.poses.cameras[k] : this.scene.cameras[view];
    const { width, height } = cam;
    const L = this.recipe.loss;
    this.gaussians.shDegree = Math.min(this.recipe.maxShDegree, Math.floor(this.step / Math.max(1, this.recipe.shDegreeEvery)));
    this.grads.ensureCapacity(this.gaussians.capacity);
    this.grads.count = this.gaussians.count;
    this.ensureStatsCapacity();

    const enc = d.createCommandEncoder({ label: `step ${this.step}` });
    this.grads.clear(enc, this.grads.count);
    enc.clearBuffer(this.gradRgb);
    enc.clearBuffer(this.gradDepth);
    enc.clearBuffer(this.lossBuf);
    let bg = this.scene.background;
    let target = this.targets[k];
    if (this.randomBackground && this.alphas) {
      bg = [this.rng.next(), this.rng.next(), this.rng.next()];
      this.randomBackground.record(enc, target, this.alphas[k], bg, this.scene.background);
      target = this.randomBackground.target;
    }
    const seed = (this.recipe.seed * 7919 + this.step * 104729) >>> 0;
    const rate = dropoutRateAt(this.recipe, this.step);
    const dropout = rate > 0 ? { rate, seed: seed ^ 0x27d4eb2f } : undefined;
    const out = this.rasterizer.forward(enc, this.gaussians, cam, { background: bg, dropout });
    this.lastTargets = out;
    this.lastBackground = bg;
    this.losses.l1ssim.record(enc, {
      width, height, render: out.rgb, target, gradRender: this.gradRgb,
      lambdaSsim: L.lambdaSsim, weight: 1, lossOut: this.lossBuf, lossSlot: SLOT.l1ssim,
    });
    this.losses.s3im?.record(enc, {
      width, height, render: out.rgb, target, gradRender: this.gradRgb,
      weight: L.s3im, lossOut: this.lossBuf, lossSlot: SLOT.s3im, seed,
    });
    const prior = this.priors[k];
    let useDepth = false;
    if (this.losses.relDepth && prior) {
      this.losses.relDepth.record(enc, {
        width, height, renderDepth: out.depth, renderAlpha: out.alpha, priorDepth: prior, gradDepth: this.gradDepth,
        patchSize: L.relativeDepthPatch, patches: L.relativeDepthPatches, globalWeight: L.relativeDepthGlobal,
        weight: L.relativeDepth, lossOut: this.lossBuf, lossSlot: SLOT.relDepth, seed: seed ^ 0x5bd1e995,
      });
      useDepth = true;
    }
    const pair = this.binocular && this.step >= L.binocularStart ? this.binocular : null;
    if (pair) {
      // Binocular3DGS: baseline uniform in +-max (their |b| ~ U(0, max) with a random sign).
      const baseline = (2 * pair.rng.next() - 1) * L.binocularDisparity * pair.medianDepth / cam.fx;
      const shifted = pair.rasterizer.forward(enc, this.gaussians, shiftedCamera(cam, baseline), { background: bg });
      enc.clearBuffer(pair.gradRgb);
      enc.clearBuffer(pair.gradAlpha);
      pair.loss.record(enc, {
        width, height, renderDepth: out.depth, renderAlpha: out.alpha, shifted: shifted.rgb, target, fxBaseline: cam.fx * baseline,
        gradShifted: pair.gradRgb, gradDepth: this.gradDepth, gradAlpha: pair.gradAlpha,
        weight: L.binocular, lossOut: this.lossBuf, lossSlot: SLOT.binocular,
      });
      useDepth = true;
    }
    // alpha gradient of the training render: the binocular pair's buffer when it runs (both add into it)
    let gradAlpha = pair ? pair.gradAlpha : null;
    if (this.reprojection && L.reprojection > 0 && this.step >= L.reprojectionStart) {
      if (!gradAlpha) {
        gradAlpha = this.gradAlpha!;
        enc.clearBuffer(gradAlpha);
      }
      const cams = this.trainCameras;
      this.reprojection.record(enc, {
        width, height, fx: cam.fx, fy: cam.fy, cx: cam.cx, cy: cam.cy, renderDepth: out.depth, renderAlpha: out.alpha, target: this.targets[k],
        sources: this.reprojectionSources[k].map((j) => ({ ...reprojectionGeometry(cam, cams[j]), photo: this.targets[j] })),
        gradDepth: this.gradDepth, gradAlpha, weight: L.reprojection, lossOut: this.lossBuf, lossSlot: SLOT.reprojection,
      });
      useDepth = true;
    }
    const coherent = this.coherent;
    if (coherent && this.rays) {
      this.rays.recordGridGather(enc);
      if (this.losses.tv) {
        this.rays.grids.forEach((g, gi) => {
          this.losses.tv!.record(enc, {
            width: g.width, height: g.height, depth: g.t, valid: g.valid, gradDepth: g.grad,
            weight: L.depthTv / this.rays!.grids.length, lossOut: this.lossBuf, lossSlot: Math.min(SLOT.scaleRatio - 1, SLOT.tv0 + gi),
          });
        });
      }
    }
    this.rasterizer.backward(
      enc,
      this.gradRgb,
      gradAlpha,
      useDepth ? this.gradDepth : null,
      this.grads,
      { mean2dGradNorm: this.mean2dGradNorm, visibleCount: this.visibleCount },
      this.refiningPoses ? this.poses!.gradFor(k) : undefined,
    );
    // The shifted view's gradients add to the same parameters; densification statistics stay the training views'.
    if (pair) pair.rasterizer.backward(enc, pair.gradRgb, null, null, this.grads);
    if (this.novelView && this.reprojection && this.step >= L.novelViewStart) this.recordNovelView(enc, k, this.novelView, this.reprojection);
    this.losses.scaleRatio?.record(enc, {
      count: this.gaussians.count, logScales: this.gaussians.buffers.logScales, gradLogScales: this.grads.buffers.logScales,
      weight: L.scaleRatio, maxRatio: L.scaleRatioMax, lossOut: this.lossBuf, lossSlot: SLOT.scaleRatio,
    });
    const lrs = this.learningRates();
    this.adam.record(enc, this.gaussians, this.grads, lrs, this.recipe.opacityDecay);
    if (coherent && this.rays) this.rays.recordUpdate(enc, this.gaussians, this.grads, this.recipe.lr.rayDepth * this.sceneExtent);
    d.queue.submit([enc.finish()]);
    this.step++;
    if (this.rays && this.step === this.recipe.coherentSteps) {
      // End of the coherent phase: the Gaussians are free from here on.
      this.rays.destroy();
      this.rays = null;
    }
  }

  /**
   * The novel-view reprojection loss (Recipe.loss.novelView): a virtual camera between training view k
   * and its nearest neighbour (centre on the line between them, rotation slerped, s uniform in [0, 1]),
   * rendered over the scene background without dropout; its depth is projected into the photos of both
   * (and of k's next nearest views up to loss.reprojectionSources), and the rendered colour, depth and
   * alpha receive the gradients of the per-pixel minimum L1 residual. What no training view sees from
   * there (floaters, needles behind the surface) then has to agree with the photos.
   */
  private recordNovelView(enc: GPUCommandEncoder, k: number, nv: NovelViewPair, loss: ReprojectionLoss): void {
    const L = this.recipe.loss;
    const cams = this.trainCameras;
    const near = this.reprojectionSources[k];
    if (near.length === 0) return;
    const virtual = interpolateCameras(cams[k], cams[near[0]], nv.rng.next());
    const out = nv.rasterizer.forward(enc, this.gaussians, virtual, { background: this.scene.background });
    enc.clearBuffer(nv.gradRgb);
    enc.clearBuffer(nv.gradDepth);
    enc.clearBuffer(nv.gradAlpha);
    const sources = [k, ...near].slice(0, Math.max(2, Math.min(L.reprojectionSources, REPROJECTION_MAX_SOURCES)));
    loss.record(enc, {
      width: virtual.width, height: virtual.height, fx: virtual.fx, fy: virtual.fy, cx: virtual.cx, cy: virtual.cy,
      renderDepth: out.depth, renderAlpha: out.alpha, target: out.rgb, gradTarget: nv.gradRgb,
      sources: sources.map((j) => ({ ...reprojectionGeometry(virtual, cams[j]), photo: this.targets[j] })),
      gradDepth: nv.gradDepth, gradAlpha: nv.gradAlpha, weight: L.novelView, lossOut: this.lossBuf, lossSlot: SLOT.novelView,
    });
    nv.rasterizer.backward(enc, nv.gradRgb, nv.gradAlpha, nv.gradDepth, this.grads);
  }

  /** Downloads state, lets the strategy densify/prune, uploads the result. */
  private async refine(): Promise<RefineReport | undefined> {
    // Never after the last step: no step would train what a split or an opacity reset leaves behind,
    // and a reset at step == iterations (vanilla's 3000) would hand out a model of near-transparent splats.
    if (!this.strategy || this.coherent || this.step >= this.recipe.iterations || !this.strategy.shouldRefine(this.step)) return undefined;
    const t0 = performance.now();
    const report = await this.refineNow(this.strategy);
    this.cpuTimings.refineMs += performance.now() - t0;
    this.cpuTimings.refines++;
    return report;
  }

  private async refineNow(strategy: Strategy): Promise<RefineReport> {
    const n = this.gaussians.count;
    const [params, adamM, adamV] = [await downloadTable(this.gaussians), await downloadTable(this.adam.m), await downloadTable(this.adam.v)];
    const mean2dGradNorm = await readF32(this.gpu.device, this.mean2dGradNorm, n);
    const visibleCount = await readF32(this.gpu.device, this.visibleCount, n);
    const { width, height } = this.scene.images[this.trainViews[0]];
    const out = strategy.refine({
      params, adamM, adamV, mean2dGradNorm, visibleCount,
      pixelToNdc: Math.max(width, height) / 2, sceneExtent: this.sceneExtent, step: this.step,
    });
    const carved = this.carveGrid ? carveOutsideHull(out, this.carveGrid) : out;
    uploadTable(this.gaussians, carved.params);
    uploadTable(this.adam.m, carved.adamM);
    uploadTable(this.adam.v, carved.adamV);
    this.adam.syncCapacity(this.gaussians);
    this.ensureStatsCapacity();
    const enc = this.gpu.device.createCommandEncoder();
    enc.clearBuffer(this.mean2dGradNorm);
    enc.clearBuffer(this.visibleCount);
    this.gpu.device.queue.submit([enc.finish()]);
    return carved.report;
  }

  /**
   * Runs `n` steps (fewer if the recipe's iterations are reached), then reads the last step's loss
   * and computes its PSNR against the photo (one readback per call, not per step).
   */
  async train(n: number): Promise<StepStats> {
    const t0 = performance.now();
    let ran = 0;
    let refine: RefineReport | undefined;
    while (ran < n && this.step < this.recipe.iterations) {
      this.recordStep();
      ran++;
      if (this.poses && this.step % POSE_UPDATE_EVERY === 0) {
        const t = Math.min(1, this.step / Math.max(1, this.recipe.iterations));
        await this.poses.update(this.recipe.lr.pose * (1 - 0.9 * t), this.recipe.lr.focal * (1 - 0.9 * t));
      }
      const r = await this.refine();
      if (r) refine = r;
    }
    // Intersection buffers have a fixed capacity (no per-step readback); check and grow once per batch.
    const cap = await this.rasterizer.syncCapacity();
    const capShifted = this.binocular ? await this.binocular.rasterizer.syncCapacity() : undefined;
    const capNovel = this.novelView ? await this.novelView.rasterizer.syncCapacity() : undefined;
    if (cap.overflowed || capShifted?.overflowed || capNovel?.overflowed) this.overflows++;
    const stats = await this.lastStats();
    stats.itPerSec = ran / Math.max(1e-6, (performance.now() - t0) / 1000);
    if (refine) stats.refine = refine;
    return stats;
  }

  private async lastStats(): Promise<StepStats> {
    const d = this.gpu.device;
    const losses = await readF32(d, this.lossBuf, LOSS_SLOTS);
    let loss = 0;
    for (const v of losses) loss += v;
    let p = NaN;
    if (this.lastTargets) {
      const cam = this.scene.images[this.lastView];
      const rgb = await readF32(d, this.lastTargets.rgb, cam.width * cam.height * 3);
      // A non-finite pixel means a broken model: report NaN (the caller stops) instead of throwing.
      if (rgb.every(Number.isFinite)) p = psnr(clampImage({ width: cam.width, height: cam.height, data: rgb }), this.photoOver(this.lastView, this.lastBackground));
    }
    return { step: this.step, loss, psnr: p, count: this.gaussians.count, itPerSec: 0, view: this.lastView };
  }

  /** The photo of `view` over background `bg` (the stored one when no alpha is known). */
  private photoOver(view: number, bg: [number, number, number]): ImageRGB {
    const img = this.scene.images[view];
    const a = this.scene.alphas?.[view];
    const b0 = this.scene.background;
    if (!a || (bg[0] === b0[0] && bg[1] === b0[1] && bg[2] === b0[2])) return img;
    const data = new Float32Array(img.data.length);
    for (let i = 0; i < a.length; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = img.data[i * 3 + c] + (1 - a[i]) * (bg[c] - b0[c]);
    return { width: img.width, height: img.height, data };
  }

  /**
   * The photometric loss of the current (frozen) model seen by `camera` against `photo`, and its
   * gradient w.r.t. the camera pose (GaussianRasterizer.backward's poseGrad: dL/dw radians, dL/dv
   * world units, camera frame), for registering held-out views (registerViewByGradient). The loss is
   * the recipe's L1 + D-SSIM over the photo with the scene's background, no dropout; the Gaussians are
   * not changed (their gradients land in the scratch gradient buffers every step clears).
   * @param photo sRGB-encoded [0,1], W*H*3, the size of `camera`
   * @throws Error when the photo and the camera differ in size
   */
  async photometricPoseGradient(camera: Camera, photo: ImageRGB): Promise<{ loss: number; grad: Float32Array }> {
    if (photo.width !== camera.width || photo.height !== camera.height) {
      throw new Error(`Trainer.photometricPoseGradient: photo ${photo.width}x${photo.height}, camera ${camera.width}x${camera.height}`);
    }
    const d = this.gpu.device;
    const { width, height } = camera;
    const np = width * height;
    if (!this.registration || this.registration.photo !== photo) {
      this.registration?.target.destroy();
      this.registration = { photo, target: createStorageBuffer(d, photo.data, 'registration.target'), poseGrad: this.registration?.poseGrad ?? createStorageBuffer(d, 32, 'registration.poseGrad') };
    }
    const { target, poseGrad } = this.registration;
    const gradRgb = np * 12 <= this.gradRgb.size ? this.gradRgb : createStorageBuffer(d, np * 12, 'registration.gradRgb');
    this.grads.ensureCapacity(this.gaussians.capacity);
    this.grads.count = this.gaussians.count;
    const enc = d.createCommandEncoder({ label: 'registration' });
    enc.clearBuffer(gradRgb);
    enc.clearBuffer(this.lossBuf);
    enc.clearBuffer(poseGrad);
    const out = this.rasterizer.forward(enc, this.gaussians, camera, { background: this.scene.background });
    this.losses.l1ssim.record(enc, {
      width, height, render: out.rgb, target, gradRender: gradRgb,
      lambdaSsim: this.recipe.loss.lambdaSsim, weight: 1, lossOut: this.lossBuf, lossSlot: SLOT.l1ssim,
    });
    this.rasterizer.backward(enc, gradRgb, null, null, this.grads, undefined, poseGrad);
    d.queue.submit([enc.finish()]);
    const [losses, grad] = [await readF32(d, this.lossBuf, 1), await readF32(d, poseGrad, 6)];
    if (gradRgb !== this.gradRgb) gradRgb.destroy();
    return { loss: losses[0], grad };
  }

  /**
   * Renders any camera with the current Gaussians: RGB as an ImageRGB ([H][W][3], sRGB-encoded), alpha
   * (1 - T) and depth (sum of w z, camera z in world units), [H][W] each. Composited over `background`
   * (RGB in [0,1], default the scene's); when that is the scene's and the recipe's environment is on
   * (Recipe.environment) and `environment` is not false, what no training view saw shows the
   * EnvironmentBackground (training steps never use it).
   */
  async render(camera: Camera, background = this.scene.background, environment = true): Promise<{ image: ImageRGB; alpha: Float32Array; depth: Float32Array }> {
    const r = await this.rasterizer.render(this.gaussians, camera, { background });
    const sameBackground = background.every((c, k) => c === this.scene.background[k]);
    if (environment && sameBackground) this.environment()?.composite(r.rgb, r.alpha, camera, background);
    return { image: { width: camera.width, height: camera.height, data: r.rgb }, alpha: r.alpha, depth: r.depth };
  }

  /** Whether renders complete unseen regions with the EnvironmentBackground (Recipe.environment: 'auto' = photos without transparency). */
  get usesEnvironment(): boolean {
    const e = this.recipe.environment;
    return e === 'on' || (e === 'auto' && !this.scene.alphas);
  }

  /** The EnvironmentBackground of the training views as they are now (rebuilt after the poses moved), or null when off. */
  private environment(): EnvironmentBackground | null {
    if (!this.usesEnvironment) return null;
    const version = this.poses ? this.poses.updates : 0;
    if (this.envCache && this.envVersion === version) return this.envCache;
    this.envVersion = version;
    const cams = this.trainCameras;
    const bounds = this.scene.depthBounds;
    const given: [number, number] | null = bounds ? [Math.min(...this.trainViews.map((v) => bounds[v][0])), Math.max(...this.trainViews.map((v) => bounds[v][1]))] : null;
    // the scene's own bounds (LLFF) when usable, else the initial Gaussians' depths
    const range = given && given[0] > 0 && given[1] > given[0] && Number.isFinite(given[1]) ? given : depthRangeOf(this.initMeansSample, cams);
    this.envCache = EnvironmentBackground.fromViews(cams, this.trainViews.map((v) => this.scene.images[v]), range, this.recipe.environmentBlur);
    return this.envCache;
  }

  /** The current model as a CPU cloud with the SH degree trained so far. */
  async exportCloud(): Promise<GaussianCloud> {
    return this.gaussians.download(Math.min(3, this.gaussians.shDegree));
  }

  /** Frees GPU memory. */
  destroy(): void {
    this.gaussians.destroy();
    this.grads.destroy();
    this.adam.m.destroy();
    this.adam.v.destroy();
    this.rays?.destroy();
    for (const b of [...this.targets, this.gradRgb, this.gradDepth, this.lossBuf, this.mean2dGradNorm, this.visibleCount]) b.destroy();
    for (const b of this.priors) b?.destroy();
    for (const b of this.alphas ?? []) b.destroy();
    this.randomBackground?.destroy();
    this.binocular?.destroy();
    this.reprojection?.destroy();
    this.novelView?.destroy();
    this.losses.scaleRatio?.destroy();
    this.gradAlpha?.destroy();
    this.poses?.destroy();
    this.registration?.target.destroy();
    this.registration?.poseGrad.destroy();
  }
}

/** What the binocular loss needs besides the training render: a second rasterizer (its own buffers, so both renders' backward passes can run in one step), its gradient images, and the scene's median depth. */
class BinocularPair {
  private constructor(
    readonly rasterizer: GaussianRasterizer,
    readonly loss: BinocularLoss,
    /** [H][W][3] dL/d(shifted render). */
    readonly gradRgb: GPUBuffer,
    /** [H][W] dL/d(training render's alpha). */
    readonly gradAlpha: GPUBuffer,
    /** Median camera z (world units) of the initial Gaussians in the training views: sets the baseline's scale. */
    readonly medianDepth: number,
    /** Baselines have their own stream, so turning the loss on leaves the sequence of training views as it was. */
    readonly rng: Random,
  ) {}

  static async create(gpu: GpuContext, width: number, height: number, medianDepth: number, seed: number): Promise<BinocularPair> {
    const d = gpu.device;
    return new BinocularPair(
      await GaussianRasterizer.create(gpu),
      await BinocularLoss.create(gpu),
      createStorageBuffer(d, width * height * 3 * 4, 'binocular.gradRgb'),
      createStorageBuffer(d, width * height * 4, 'binocular.gradAlpha'),
      medianDepth,
      new Random((seed ^ 0x9e3779b9) >>> 0),
    );
  }

  destroy(): void {
    this.rasterizer.destroy();
    this.loss.destroy();
    this.gradRgb.destroy();
    this.gradAlpha.destroy();
  }
}

/** What the novel-view reprojection loss needs: a rasterizer of its own (its backward runs in the same step as the training render's) and the virtual render's gradient images. */
class NovelViewPair {
  private constructor(
    readonly rasterizer: GaussianRasterizer,
    /** [H][W][3] dL/d(virtual render's colour). */
    readonly gradRgb: GPUBuffer,
    /** [H][W] dL/d(virtual render's depth and alpha). */
    readonly gradDepth: GPUBuffer,
    readonly gradAlpha: GPUBuffer,
    /** Interpolation parameters have their own stream, so turning the loss on leaves the sequence of training views as it was. */
    readonly rng: Random,
  ) {}

  static async create(gpu: GpuContext, width: number, height: number, seed: number): Promise<NovelViewPair> {
    const d = gpu.device;
    return new NovelViewPair(
      await GaussianRasterizer.create(gpu),
      createStorageBuffer(d, width * height * 3 * 4, 'novelView.gradRgb'),
      createStorageBuffer(d, width * height * 4, 'novelView.gradDepth'),
      createStorageBuffer(d, width * height * 4, 'novelView.gradAlpha'),
      new Random((seed ^ 0x85ebca6b) >>> 0),
    );
  }

  destroy(): void {
    this.rasterizer.destroy();
    for (const b of [this.gradRgb, this.gradDepth, this.gradAlpha]) b.destroy();
  }
}

/** Every stride-th mean of a cloud, xyz, [N/stride][3]. */
function sampleMeans(cloud: GaussianCloud, stride: number): Float32Array {
  const n = Math.ceil(cloud.count / stride);
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) out.set(cloud.means.subarray(3 * i * stride, 3 * i * stride + 3), 3 * i);
  return out;
}

/**
 * Camera depths (world units) of points in the cameras that see them in front: the 2nd and 98th
 * percentiles, as a [near, far] range (far at least 1.5 near); [1, 100] without any finite point in front.
 * @param means xyz per point, [N][3], world units
 * @param cameras the cameras whose depths count (every point in each)
 * @returns [near, far], world units
 */
export function depthRangeOf(means: Float32Array, cameras: Camera[]): [number, number] {
  const zs: number[] = [];
  for (const cam of cameras) {
    const R = cam.R;
    for (let i = 0; i < means.length; i += 3) {
      const zc = R[6] * means[i] + R[7] * means[i + 1] + R[8] * means[i + 2] + cam.t[2];
      if (zc > 0 && Number.isFinite(zc)) zs.push(zc);
    }
  }
  if (zs.length === 0) return [1, 100];
  zs.sort((a, b) => a - b);
  const near = zs[Math.floor(0.02 * (zs.length - 1))];
  return [near, Math.max(1.5 * near, zs[Math.ceil(0.98 * (zs.length - 1))])];
}

/**
 * Median camera z (world units) of the cloud's means in front of the cameras, over up to 4096
 * evenly strided Gaussians per camera; 1 when none is in front.
 */
export function medianDepth(cloud: GaussianCloud, cameras: Camera[]): number {
  const zs: number[] = [];
  const stride = Math.max(1, Math.floor(cloud.count / 4096));
  for (const cam of cameras) {
    const R = cam.R;
    for (let i = 0; i < cloud.count; i += stride) {
      const [x, y, z] = [cloud.means[3 * i], cloud.means[3 * i + 1], cloud.means[3 * i + 2]];
      const zc = R[6] * x + R[7] * y + R[8] * z + cam.t[2];
      if (zc > 0) zs.push(zc);
    }
  }
  if (zs.length === 0) return 1;
  zs.sort((a, b) => a - b);
  return zs[zs.length >> 1];
}

/** 3DGS scene extent: 1.1 x the largest distance of a camera centre from their mean (at least a small floor). */
export function cameraExtent(cameras: Camera[]): number {
  const c = cameras.map((cam) => cam.center);
  const mean = [0, 1, 2].map((k) => c.reduce((s, p) => s + p[k], 0) / c.length);
  const r = Math.max(...c.map((p) => Math.hypot(p[0] - mean[0], p[1] - mean[1], p[2] - mean[2])));
  return Math.max(1.1 * r, 1e-2);
}

function makeStrategy(recipe: Recipe): Strategy | null {
  const s = recipe.strategy;
  const common = { refineStart: s.refineStart, refineStop: s.refineStop, refineEvery: s.refineEvery, maxGaussians: s.maxGaussians };
  if (s.kind === 'default') return new DefaultStrategy({ ...common, resetEvery: s.resetEvery, growGrad2d: s.growGrad2d });
  if (s.kind === 'mcmc') return new McmcStrategy(common);
  return null;
}
