/**
 * `npm run bench:poses [-- --scenes fern,flower,lego] [--scene PATH] [--views LIST] [--max-long-side N] [--focal-sigma K,F] [--psnr [--quick] [--iters N] [--set K=V]]`
 *
 * Pose estimation from unposed photos, against ground truth, as JSON on stdout (progress on stderr).
 * Each scene is loaded with its poses (LLFF images_8 at 504x378; Blender at 400x400 over white), the
 * poses are hidden, and estimatePoses (src/poses) runs on the decoded photos of each case:
 *   - `train`: the protocol's training views (LLFF 3 views, Blender 8 views; src/eval/protocol.ts),
 *   - `all`: every view (LLFF scenes only; Blender's 100+ train frames are beyond the 3-10 photo scope),
 *   - or the views of `--views` (comma-separated indices into the loaded scene) instead of both.
 * LLFF photos at their images_8 size carry their files' EXIF (the focal from FocalLengthIn35mmFormat);
 * the others (decoded pixels, or resized) start from the 55-degree default; bundle adjustment refines it
 * with a soft prior towards the initial focal (--focal-sigma). Reported per case: registered / failed photos with their reasons,
 * rotation error after a Sim(3) alignment of the full poses (sim3.ts alignPoses: rotation = chordal
 * mean of the cameras' alignment rotations, scale and offset from the centres), and again after the
 * centre-only Umeyama alignment (`centreAligned`), relative rotation error,
 * translation-direction error (degrees), focal error (%), reprojection RMS (pixels), point count,
 * per-stage times (ms) and the total.
 * With --psnr (the `train` / `views` case; issue 12 point 6's second half), `heldOut`: the sparse recipe
 * trained on the ground-truth poses and on the estimated ones, each held-out view (the protocol's test
 * views not in the case) registered to each frozen model (src/eval/registerView.ts, photometric LM,
 * then src/eval/registerViewByGradient.ts, Adam on the analytic pose gradient, kept when its MSE is
 * lower) from an initial pose: for the ground-truth model its ground-truth pose; for the estimated model its
 * pose by PnP against the reconstruction (src/poses/registerPhoto.ts: its features matched to the
 * case's photos, 2D-3D pairs from the triangulated points, the estimated focal), as pose-free methods
 * evaluate; where PnP fails, the ground truth mapped into the estimate's frame by alignPoses
 * (per view `init: 'pnp' | 'aligned-gt'`, and a line on stderr). Training on the estimated poses
 * refines them (the recipe's poseRefine 'auto', src/train/PoseRefiner.ts): `poseRefinement` (how far
 * each camera moved) and `relativeRotationErrorDeg` (each camera's rotation relative to the first,
 * against the ground truth's, before and after training). Reported: PSNR / SSIM before registration,
 * after the LM (`psnrAfterLm`) and at the end, the gap (estimated - ground truth, dB), the PnP pose's rotation error against the
 * aligned ground truth (`pnpRotationErrorDeg`), registration steps, renders and times.
 * `--quick` is bench:quality's `--cpu` preset (half size, CPU_PRESET's steps and settings).
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { loadScenePath } from '../io/nodeSource';
import { splitForScene } from '../eval/protocol';
import type { Scene } from '../core/Scene';
import { imageToRGBA8 } from '../core/Image';
import { Camera } from '../core/Camera';
import { clampImage } from '../core/Image';
import { estimatePoses, sceneFromPoses, type EstimatedPoses, type PhotoInput } from '../poses/estimatePoses';
import { alignPoses, poseErrors, poseInEstimateFrame } from '../poses/sim3';
import { registerPhoto } from '../poses/registerPhoto';
import { rotationAngleBetween } from '../poses/rotation';
import { acquireGpu, describeAdapter, type GpuContext } from '../gpu/device';
import { applyOverrides, getRecipe, recipeForViews } from '../train/recipes';
import type { Recipe } from '../train/recipes/Recipe';
import { runReconstruction } from '../train/runReconstruction';
import type { Trainer } from '../train/Trainer';
import { mul3, transpose3 } from '../poses/linalg';
import { psnr, ssim } from '../eval/metrics';
import { downsampleImage, registerView, type RegisterViewOptions } from '../eval/registerView';
import { registerViewByGradient } from '../eval/registerViewByGradient';
import { CPU_PRESET } from './qualityPlan';
import { FOCAL_PRIOR_SIGMA } from '../poses/reconstructFromMatches';
import type { SfmOptions } from '../poses/types';

const SCENES: Record<string, string> = { fern: 'llff-fern', flower: 'llff-flower', lego: 'blender-lego' };
const ROOT = path.resolve('..', 'shared', 'data', 'scenes');

const HELP = `npm run bench:poses -- [options]    (prints JSON: pose errors and times of estimatePoses vs ground truth)
  --scenes LIST        fern, flower, lego (default all three; absent folders are reported as skipped)
  --scene PATH         any LLFF / Blender / COLMAP folder with ground-truth poses (repeatable)
  --views LIST         comma-separated view indices (into the loaded scene) instead of the train / all cases
  --max-long-side N    long side of the loaded photos in pixels (default: LLFF 504, Blender 400, others 504)
  --focal-sigma K,F    bundle adjustment's focal prior, relative sigma of log f for an EXIF focal (K) and the
                       55-degree fallback (F); "inf" leaves it free, 0 holds it fixed (default ${FOCAL_PRIOR_SIGMA.known},${FOCAL_PRIOR_SIGMA.fallback})
  --psnr               also train the sparse recipe on the ground-truth poses and on the estimated poses
                       (the case's photos), register each held-out view (LLFF: index % 8 == 0) to each
                       model (initial pose: the ground truth for the ground-truth model; for the estimate,
                       PnP against its points (src/poses/registerPhoto.ts), or the ground truth through
                       alignPoses where PnP fails; then photometric refinement with the model frozen,
                       src/eval/registerView.ts, then registerViewByGradient.ts) and report both held-out PSNR / SSIM, the gap (estimated
                       - ground truth) and the PnP poses' rotation error against the aligned ground truth
  --quick              with --psnr: the short preset, bench:quality's --cpu (training at half size,
                       ${CPU_PRESET.iters} steps, ${CPU_PRESET.set.join(' ')})
  --iters N            with --psnr: training steps (default: the recipe's, or the preset's)
  --set KEY=VALUE      with --psnr: a recipe override for both trainings (repeatable), e.g. --set lr.pose=3e-4
  -h, --help           this text`;

/**
 * Loaded photos as estimatePoses inputs: float sRGB-encoded RGB -> 8-bit RGBA, with the file's bytes
 * (for its EXIF focal) when `exifDir` holds a file of that name and size (LLFF's images_8).
 */
function photosOf(scene: Scene, views: number[], exifDir?: string): PhotoInput[] {
  return views.map((v) => {
    const im = scene.images[v];
    const rgba = imageToRGBA8(im);
    const name = scene.imageNames[v] ?? `view ${v}`;
    const file = exifDir ? path.join(exifDir, name) : '';
    const bytes = file && fs.existsSync(file) ? new Uint8Array(fs.readFileSync(file)) : undefined;
    return { name, image: { width: im.width, height: im.height, rgba }, bytes };
  });
}

const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
const max = (a: number[]) => (a.length ? Math.max(...a) : NaN);
const r3 = (x: number) => Number(x.toFixed(3));

async function runCase(scene: Scene, label: string, views: number[], exifDir: string | undefined, sfm: SfmOptions, psnrWith?: { gpu: () => Promise<GpuContext>; plan: PsnrPlan; testViews: number[] }) {
  const t0 = performance.now();
  let lastStage = '';
  const est = await estimatePoses(photosOf(scene, views, exifDir), {
    ...sfm,
    onProgress: (stage) => {
      if (stage !== lastStage) console.error(`[${scene.name}/${label}] ${stage}`);
      lastStage = stage;
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const reg = views.map((_, k) => k).filter((k) => est.cameras[k]);
  const out: Record<string, unknown> = {
    case: label,
    views,
    names: views.map((v) => scene.imageNames[v]),
    registered: reg.length,
    failures: est.failures,
    intrinsicsSource: est.intrinsics.map((i) => i.source),
    initialFocalPx: r3(est.intrinsics[0].focalPx),
    keypoints: est.stats.keypoints,
    rmsPx: r3(est.report.rmsPx),
    points: est.report.points,
    timingsMs: Object.fromEntries(Object.entries({ ...est.stats.timingsMs, ...est.report.timingsMs }).map(([k, v]) => [k, Math.round(v)])),
    seconds: r3(seconds),
  };
  if (reg.length >= 2) {
    const e = poseErrors(
      reg.map((k) => ({ R: est.cameras[k]!.R, t: est.cameras[k]!.t, focal: est.cameras[k]!.fx })),
      reg.map((k) => ({ R: scene.cameras[views[k]].R, t: scene.cameras[views[k]].t, focal: scene.cameras[views[k]].fx })),
    );
    Object.assign(out, {
      alignment: 'pose (sim3.ts alignPoses: chordal mean of the camera rotations, scale and offset from the centres)',
      rotationErrorDeg: { mean: r3(mean(e.rotationDeg)), max: r3(max(e.rotationDeg)) },
      relativeRotationErrorDeg: { mean: r3(mean(e.relativeRotationDeg)), max: r3(max(e.relativeRotationDeg)) },
      translationDirectionErrorDeg: { mean: r3(mean(e.translationDirectionDeg)), max: r3(max(e.translationDirectionDeg)) },
      centreErrorRelative: { mean: r3(mean(e.centerErrorRelative)), max: r3(max(e.centerErrorRelative)) },
      centreAligned: e.centreAligned
        ? {
            alignment: 'camera centres only (sim3.ts umeyama)',
            rotationErrorDeg: { mean: r3(mean(e.centreAligned.rotationDeg)), max: r3(max(e.centreAligned.rotationDeg)) },
            translationDirectionErrorDeg: { mean: r3(mean(e.centreAligned.translationDirectionDeg)), max: r3(max(e.centreAligned.translationDirectionDeg)) },
            centreErrorRelative: { mean: r3(mean(e.centreAligned.centerErrorRelative)), max: r3(max(e.centreAligned.centerErrorRelative)) },
          }
        : null,
      focalErrorPercent: { mean: r3(mean(e.focalErrorPercent)), max: r3(max(e.focalErrorPercent)) },
      focalPx: { estimated: r3(est.cameras[reg[0]]!.fx), truth: r3(scene.cameras[views[reg[0]]].fx) },
    });
  }
  if (psnrWith) {
    const tests = psnrWith.testViews.filter((v) => !views.includes(v));
    out.heldOut = await psnrComparison(await psnrWith.gpu(), scene, views, tests, est, psnrWith.plan);
  }
  return out;
}

/** Settings of the --psnr comparison. */
interface PsnrPlan {
  recipe: Recipe;
  /** Integer factor the photos and cameras are shrunk by for training and scoring (1: loaded size). */
  shrink: number;
  register: RegisterViewOptions;
  preset: string;
}

/** The camera of an image downsampleImage shrank by k to `width` x `height`: it crops to a multiple of k, so the intrinsics scale by exactly 1/k. */
function shrinkCamera(c: Camera, k: number, width: number, height: number): Camera {
  return k === 1 ? c : new Camera(c.R, c.t, c.fx / k, c.fy / k, c.cx / k, c.cy / k, width, height, c.name);
}

/** A scene at 1/k size: cameras resized (intrinsics scale), images box-filtered; depth bounds kept. */
function shrinkScene(scene: Scene, k: number): Scene {
  if (k === 1) return scene;
  const images = scene.images.map((im) => downsampleImage(im, k));
  const cameras = scene.cameras.map((c, i) => shrinkCamera(c, k, images[i].width, images[i].height));
  const { depths: _d, alphas: _a, ...rest } = scene;
  return { ...rest, cameras, images };
}

/** A held-out view to score: its initial camera, photo, and (estimated poses) how that camera was found. */
interface TestView {
  name: string;
  camera: Camera;
  photo: Scene['images'][number];
  /** Copied into the view's JSON entry (the estimate's `init`, PnP counts and errors). */
  init?: Record<string, unknown>;
}

/**
 * Trains `plan.recipe` on `train` views of `scene`, then registers and scores each test camera
 * against its photo: PSNR / SSIM at the initial pose and after registerView, and the pose change.
 * `extra` adds fields from the trained model (before the test views are scored).
 */
async function trainAndScore(gpu: GpuContext, tag: string, scene: Scene, train: number[], tests: TestView[], plan: PsnrPlan, extra?: (trainer: Trainer) => Record<string, unknown>) {
  const t0 = performance.now();
  const steps = recipeForViews(plan.recipe, train.length).iterations;
  const run = await runReconstruction(gpu, scene, train, plan.recipe, {
    logEvery: 50,
    onProgress: (st) => console.error(`[${tag}] step ${st.step}/${steps} loss ${st.loss.toFixed(4)} psnr ${st.psnr.toFixed(2)} n=${st.count} ${st.itPerSec.toFixed(1)} it/s`),
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const render = async (c: Camera) => {
    const r = await run.trainer.render(c);
    return { image: r.image, depth: r.depth };
  };
  // registration fits the Gaussians' own image: no environment completion (Recipe.environment), which is CPU work per render
  const fitRender = async (c: Camera) => {
    const r = await run.trainer.render(c, undefined, false);
    return { image: r.image, depth: r.depth };
  };
  const views = [];
  // a refined focal (Recipe lr.focal) is the camera's: the held-out views take it too
  const fs = run.trainer.focalScale;
  const withFocal = (c: Camera) => (fs === 1 ? c : new Camera(c.R, c.t, c.fx * fs, c.fy * fs, c.cx, c.cy, c.width, c.height, c.name));
  for (const test of tests) {
    const t = { ...test, camera: withFocal(test.camera) };
    const before = clampImage((await render(t.camera)).image);
    const reg = await registerView(fitRender, t.photo, t.camera, plan.register);
    const afterLm = clampImage((await render(reg.camera)).image);
    // then gradient descent with the analytic pose gradient (registerViewByGradient), kept when its
    // MSE against the photo is lower than the LM pose's
    const depth = (await render(reg.camera)).depth!;
    const zs = Array.from(depth).filter((z) => z > 0).sort((a, b) => a - b);
    const grad = await registerViewByGradient((c) => run.trainer.photometricPoseGradient(c, t.photo), reg.camera, { depthScale: zs[zs.length >> 1] ?? 1 });
    const afterGrad = clampImage((await render(grad.camera)).image);
    const mse = (img: typeof afterLm) => img.data.reduce((a, x, i) => a + (x - t.photo.data[i]) ** 2, 0) / img.data.length;
    const useGrad = mse(afterGrad) < mse(afterLm);
    const after = useGrad ? afterGrad : afterLm;
    const v = {
      name: t.name,
      ...t.init,
      psnrInitial: r3(psnr(before, t.photo)),
      psnrAfterLm: r3(psnr(afterLm, t.photo)),
      psnr: r3(psnr(after, t.photo)),
      ssim: r3(ssim(after, t.photo)),
      registration: { iterations: reg.iterations, renders: reg.renders, seconds: r3(reg.ms / 1000), rotationChangeDeg: r3(reg.rotationChangeDeg), mseInitial: reg.initialMse, mseFinal: reg.finalMse },
      gradientRegistration: { kept: useGrad, iterations: grad.iterations, seconds: r3(grad.ms / 1000), rotationChangeDeg: r3(grad.rotationChangeDeg), lossInitial: r3(grad.initialLoss), lossFinal: r3(grad.finalLoss) },
    };
    console.error(`[${tag}] ${t.name}: PSNR ${v.psnrInitial} -> ${v.psnrAfterLm} (LM: ${reg.iterations} steps, ${reg.renders} renders, ${v.registration.seconds} s, rotated ${v.registration.rotationChangeDeg} deg) -> ${v.psnr} dB (gradient: ${grad.iterations} steps, ${v.gradientRegistration.seconds} s, rotated ${v.gradientRegistration.rotationChangeDeg} deg, ${useGrad ? 'kept' : 'not kept'})`);
    views.push(v);
  }
  const out = {
    psnr: r3(mean(views.map((v) => v.psnr))),
    ssim: r3(mean(views.map((v) => v.ssim))),
    psnrBeforeRegistration: r3(mean(views.map((v) => v.psnrInitial))),
    psnrAfterLm: r3(mean(views.map((v) => v.psnrAfterLm))),
    trainSeconds: r3(trainSeconds),
    registrationSeconds: r3(views.reduce((a, v) => a + v.registration.seconds + v.gradientRegistration.seconds, 0)),
    iterations: run.trainer.step,
    gaussians: run.trainer.gaussians.count,
    interrupted: run.interrupted,
    ...extra?.(run.trainer),
    perView: views,
  };
  run.trainer.destroy();
  return out;
}

/**
 * Initial cameras of the held-out views in the estimate's frame, at the photos' loaded size: each view
 * registered to the reconstruction by registerPhoto (its features matched to the case's photos, PnP
 * against the triangulated points, the estimated focal). A view PnP cannot place falls back to its
 * ground-truth pose mapped by `S` (alignPoses on the case's cameras) with the estimated focal, and
 * says so (`init: 'aligned-gt'`, the reason, and a line on stderr). Each entry also carries the PnP
 * pose's error against that aligned ground truth (rotation in degrees; centre distance in the
 * estimate's units, where the median camera-to-points distance is 1).
 */
async function initTestCameras(scene: Scene, testViews: number[], est: EstimatedPoses, S: ReturnType<typeof alignPoses>, tag: string) {
  const ref = est.cameras.find((c) => c)!;
  const out: { camera: Camera; init: Record<string, unknown> }[] = [];
  for (const v of testViews) {
    const g = scene.cameras[v];
    const name = scene.imageNames[v] ?? `view ${v}`;
    const aligned = poseInEstimateFrame(g, S);
    const fallback = new Camera(aligned.R, aligned.t, ref.fx, ref.fx, g.cx, g.cy, g.width, g.height, g.name);
    const t0 = performance.now();
    try {
      const im = scene.images[v];
      const reg = await registerPhoto(est, { name, image: { width: im.width, height: im.height, rgba: imageToRGBA8(im) } });
      const c = reg.camera.center;
      const centreError = Math.hypot(...fallback.center.map((x, d) => x - c[d]));
      const init = {
        init: 'pnp',
        pnp: { correspondences: reg.correspondences, inliers: reg.inliers, rmsPx: r3(reg.rmsPx), seconds: r3((performance.now() - t0) / 1000) },
        pnpRotationErrorDeg: r3((rotationAngleBetween(reg.camera.R, aligned.R) * 180) / Math.PI),
        pnpCentreError: r3(centreError),
      };
      console.error(`[${tag}] ${name}: PnP init, ${reg.inliers} / ${reg.correspondences} inliers, ${init.pnp.rmsPx} px; against the aligned ground truth: rotation ${init.pnpRotationErrorDeg} deg, centre ${init.pnpCentreError}`);
      out.push({ camera: reg.camera, init });
    } catch (e) {
      const reason = (e as Error).message;
      console.error(`[${tag}] ${name}: PnP failed (${reason}); initial pose: the aligned ground truth`);
      out.push({ camera: fallback, init: { init: 'aligned-gt', pnpFailure: reason } });
    }
  }
  return out;
}

/**
 * Issue 12's held-out comparison: the recipe trained on the ground-truth poses of the case's views
 * and on the estimated ones (sceneFromPoses), each test view registered to each model (registerView,
 * model frozen) and scored. Initial test poses: the ground truth for the ground-truth model; for the
 * estimated model, PnP against the reconstruction (initTestCameras; the aligned ground truth where
 * PnP fails).
 * @throws Error when a case photo was not registered (the comparison needs all of them)
 */
async function psnrComparison(gpu: GpuContext, scene: Scene, views: number[], testViews: number[], est: EstimatedPoses, plan: PsnrPlan) {
  if (est.cameras.some((c) => !c)) throw new Error('bench:poses --psnr: every photo of the case must be registered');
  const k = plan.shrink;
  const S = alignPoses(
    est.cameras.map((c) => ({ R: c!.R, t: c!.t })),
    views.map((v) => ({ R: scene.cameras[v].R, t: scene.cameras[v].t })),
  );
  const inits = await initTestCameras(scene, testViews, est, S, `${scene.name}/estimated-poses`);
  const gt = shrinkScene(scene, k);
  const gtTests = testViews.map((v) => ({ name: scene.imageNames[v], camera: gt.cameras[v], photo: gt.images[v] }));
  const gtResult = await trainAndScore(gpu, `${scene.name}/gt-poses`, gt, views, gtTests, plan);
  const estScene = shrinkScene(sceneFromPoses(est, `${scene.name}-estimated`).scene, k);
  const f = estScene.cameras[0].fx;
  const estTests = testViews.map((v, q) => {
    const photo = gt.images[v];
    return { name: scene.imageNames[v], camera: shrinkCamera(inits[q].camera, k, photo.width, photo.height), photo, init: inits[q].init };
  });
  // Relative rotation of each training camera to the first (the refinement's fixed anchor) against
  // the ground truth's: alignment-free, before and after training refined the poses.
  const relativeErrors = (cams: Camera[]) =>
    cams.slice(1).map((c, q) => r3((rotationAngleBetween(mul3(c.R, transpose3(cams[0].R)), mul3(scene.cameras[views[q + 1]].R, transpose3(scene.cameras[views[0]].R))) * 180) / Math.PI));
  const estResult = await trainAndScore(gpu, `${scene.name}/estimated-poses`, estScene, estScene.cameras.map((_, i) => i), estTests, plan, (trainer) => ({
    poseRefinement: trainer.poseChanges()?.map((c) => ({ view: views[c.view], rotationDeg: r3(c.rotationDeg), centre: r3(c.centre) })) ?? null,
    focalAfterTraining: r3(trainer.trainCameras[0].fx),
    relativeRotationErrorDeg: { before: relativeErrors(estScene.cameras), after: relativeErrors(trainer.trainCameras) },
  }));
  // how far registration moved the estimate's test cameras from their initial (PnP) pose
  const testRotationChangeDeg = estResult.perView.map((v) => v.registration.rotationChangeDeg);
  const pnpErrors = inits.map((x) => x.init.pnpRotationErrorDeg).filter((x): x is number => typeof x === 'number');
  return {
    preset: plan.preset,
    recipe: plan.recipe.name,
    resolution: [gt.images[0].width, gt.images[0].height],
    testViews,
    testNames: testViews.map((v) => scene.imageNames[v]),
    testInit: {
      groundTruthPoses: 'ground truth',
      estimatedPoses: 'PnP against the reconstruction (src/poses/registerPhoto.ts); the ground truth through alignPoses where it fails',
      pnp: pnpErrors.length,
      alignedGroundTruth: inits.length - pnpErrors.length,
      pnpRotationErrorDeg: { mean: r3(mean(pnpErrors)), max: r3(max(pnpErrors)) },
    },
    groundTruthPoses: gtResult,
    estimatedPoses: estResult,
    gapDb: r3(estResult.psnr - gtResult.psnr),
    gapBeforeRegistrationDb: r3(estResult.psnrBeforeRegistration - gtResult.psnrBeforeRegistration),
    gapAfterLmDb: r3(estResult.psnrAfterLm - gtResult.psnrAfterLm),
    testRotationChangeDeg,
    alignmentScale: r3(S.scale),
    focalPx: { estimated: r3(f), truth: r3(gt.cameras[views[0]].fx) },
    registration: plan.register,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenes: { type: 'string' },
      scene: { type: 'string', multiple: true, default: [] },
      views: { type: 'string' },
      'max-long-side': { type: 'string' },
      'focal-sigma': { type: 'string' },
      psnr: { type: 'boolean' },
      quick: { type: 'boolean' },
      iters: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const named = (values.scenes ?? (values.scene.length ? '' : 'fern,flower,lego')).split(',').filter(Boolean);
  for (const n of named) if (!SCENES[n]) throw new Error(`bench:poses: --scenes: unknown scene "${n}" (known: ${Object.keys(SCENES).join(', ')})`);
  const views = values.views?.split(',').map((v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new Error(`bench:poses: --views: "${v}" is not a view index (in ${values.views})`);
    return n;
  });
  if (views) {
    const dup = views.find((v, i) => views.indexOf(v) !== i);
    if (dup !== undefined) throw new Error(`bench:poses: --views: view ${dup} is listed twice (${values.views})`);
    if (views.length < 2) throw new Error(`bench:poses: --views: pose estimation needs at least 2 views, got ${values.views}`);
  }
  const longSide = values['max-long-side'] !== undefined ? Number(values['max-long-side']) : undefined;
  if (longSide !== undefined && !(Number.isInteger(longSide) && longSide >= 16)) throw new Error(`bench:poses: --max-long-side must be an integer >= 16, got ${values['max-long-side']}`);
  let focalPriorSigma = { ...FOCAL_PRIOR_SIGMA };
  if (values['focal-sigma'] !== undefined) {
    const parts = values['focal-sigma'].split(',').map((x) => (x.trim().toLowerCase() === 'inf' ? Infinity : x.trim() === '' ? NaN : Number(x)));
    if (parts.length !== 2 || !parts.every((x) => x >= 0)) throw new Error(`bench:poses: --focal-sigma needs two numbers >= 0 or "inf" (EXIF,fallback), got ${values['focal-sigma']}`);
    focalPriorSigma = { known: parts[0], fallback: parts[1] };
  }
  const iters = values.iters !== undefined ? Number(values.iters) : values.quick ? Number(CPU_PRESET.iters) : undefined;
  if (iters !== undefined && !(Number.isInteger(iters) && iters >= 1)) throw new Error(`bench:poses: --iters must be a positive integer, got ${values.iters}`);
  const psnrPlan: PsnrPlan | undefined = values.psnr
    ? {
        recipe: applyOverrides(getRecipe('sparse'), [...(values.quick ? CPU_PRESET.set : []), ...(iters !== undefined ? [`iterations=${iters}`] : []), ...values.set]),
        shrink: values.quick ? 2 : 1,
        register: {},
        preset: (values.quick ? `quick (bench:quality --cpu: half size, ${iters} steps, ${CPU_PRESET.set.join(' ')})` : `full protocol${iters !== undefined ? `, ${iters} steps` : ''}`) + (values.set.length ? `; --set ${values.set.join(' ')}` : ''),
      }
    : undefined;
  let gpuContext: GpuContext | undefined;
  const gpu = async (): Promise<GpuContext> => {
    if (!gpuContext) {
      gpuContext = await acquireGpu();
      console.error(`adapter: ${describeAdapter(gpuContext)}`);
    }
    return gpuContext;
  };
  const targets = [...named.map((n) => ({ key: n, dir: path.join(ROOT, SCENES[n]) })), ...values.scene.map((p) => ({ key: path.basename(p), dir: path.resolve(p) }))];
  const results: Record<string, unknown> = {};
  let failed = false;
  for (const { key, dir } of targets) {
    if (!fs.existsSync(dir)) {
      results[key] = { skipped: `scene folder ${dir} is absent (see ../shared/data/README.md)` };
      continue;
    }
    try {
      const blender = fs.existsSync(path.join(dir, 'transforms_train.json'));
      const llff = fs.existsSync(path.join(dir, 'poses_bounds.npy'));
      const scene = await loadScenePath(dir, llff ? { downscale: 8, maxLongSide: longSide ?? 504 } : { maxLongSide: longSide ?? (blender ? 400 : 504) });
      const cases: [string, number[]][] = views
        ? [['views', views]]
        : [['train', splitForScene(scene, scene.protocol === 'blender' ? 8 : 3).train], ...(scene.protocol === 'llff' ? [['all', scene.cameras.map((_, i) => i)] as [string, number[]]] : [])];
      for (const v of cases[0][1]) if (v >= scene.cameras.length) throw new Error(`bench:poses: --views: view ${v} is out of range (${scene.cameras.length} views in ${dir})`);
      const out = [];
      for (const [label, vs] of cases) {
        try {
          const testViews = splitForScene(scene, scene.protocol === 'blender' ? 8 : 3).test;
          const psnrWith = psnrPlan && (label === 'train' || label === 'views') ? { gpu, plan: psnrPlan, testViews } : undefined;
          out.push(await runCase(scene, label, vs, llff && !longSide ? path.join(dir, 'images_8') : undefined, { focalPriorSigma }, psnrWith));
        } catch (e) {
          failed = true;
          out.push({ case: label, views: vs, error: (e as Error).message });
          console.error(`[${key}/${label}] failed: ${(e as Error).message}`);
        }
      }
      results[key] = { path: dir, protocol: scene.protocol, resolution: [scene.images[0].width, scene.images[0].height], cases: out };
    } catch (e) {
      failed = true;
      results[key] = { path: dir, error: (e as Error).message };
      console.error(`[${key}] failed: ${(e as Error).message}`);
    }
  }
  const settings = { focalPriorSigma: { known: String(focalPriorSigma.known), fallback: String(focalPriorSigma.fallback) }, psnr: psnrPlan ? psnrPlan.preset : false, adapter: gpuContext?.adapterName ?? null };
  console.log(JSON.stringify({ benchmark: 'poses', settings, scenes: results }, null, 2));
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).message);
    process.exit(2);
  },
);
