/**
 * `npm run reconstruct -- [scene] [--views 3] [--recipe sparse] [--iters N] [--scale 8] [--out model.ply]`
 * Trains Gaussians from the scene's sparse training views (the bundled sample scene when no scene is
 * given), evaluates the held-out views of the scene's protocol and writes the model, a JSON report
 * and PNG renders beside their ground truth. Ctrl-C stops training and saves the model so far.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import fs from 'node:fs/promises';
import { existsSync, constants as fsConstants } from 'node:fs';
import cliProgress from 'cli-progress';
import { acquireGpu, describeAdapter } from '../gpu/device';
import { ADAPTER_OPTION, ADAPTER_USAGE, applyAdapterArg, intArg, sizeArg } from './args';
import type { Scene } from '../core/Scene';
import type { Camera } from '../core/Camera';
import { estimatedPosesModel } from '../io/colmapText';
import { applyOverrides, getRecipe, RECIPES, recipeForViews } from '../train/recipes';
import { runReconstruction } from '../train/runReconstruction';
import { Lpips } from '../eval/lpips';
import { evaluateViews, sideBySide } from '../eval/evaluate';
import { splitForScene } from '../eval/protocol';
import { WRITABLE_SPLAT_EXTENSIONS, writeSplatFile } from '../io/splatFile';
import { loadScenePath, writeFileAtomic, writeFolderAtomic } from '../io/nodeSource';
import { FormatError } from '../io/FormatError';
import { readPhotoFolder } from '../io/photoFolder';
import { estimatePoses, sceneFromPoses, tooManyPhotosNote } from '../poses/estimatePoses';
// A pure Scene helper (no DOM in it): the studio trains at a size the same way.
import { sceneAtSize } from '../app/sceneUtils';
import { renderSampleScene } from '../../scenes/sampleScene';
import { encodePng } from './pngWrite';

const USAGE = `usage: npm run reconstruct -- [scene-folder-or-zip] [options]
  A folder of plain photos (no poses file) gets its poses estimated first (src/poses), at 504 px or
  --max-side if larger; training then uses --max-side (default 504). All photos train when there are
  no more of them than --views (nothing is held out then).
  --views N         training views (default 3)
  --recipe NAME     ${Object.keys(RECIPES).join(' | ')} (default sparse)
  --iters N         optimizer steps (default: the recipe's)
  --scale N         image downscale: LLFF images_N, COLMAP images_N or images/ shrunk by N (default: 8 for
                    LLFF folders and zips, 1 for other folders)
  --max-side PX     downscale images to this long side
  --size WxH        sample scene size (default 252x189; an error with a scene path: use --max-side)
  --out FILE        model path (.ply; default out/<scene>-<recipe>.ply)
  --formats LIST    extra model formats, e.g. splat,spz
  --set KEY=VALUE   override any recipe setting (repeatable), e.g. --set loss.s3im=0.2
  --log-every N     progress refresh interval in steps (default 10)
  --seed N          random seed
  --lpips FILE      score held-out views with LPIPS too (an ONNX LPIPS model you supply)
${ADAPTER_USAGE}`;

/** Long side (pixels) poses are estimated at, at least: smaller photos give too few features. */
const POSE_LONG_SIDE = 504;

/**
 * A scene from a folder of plain photos: their poses estimated (estimatePoses), the unregistered ones
 * named on stderr and left out; with each photo's size on disk (pixels, by file name).
 * @throws Error naming the folder when it has no photos, or estimatePoses' errors naming a photo
 */
async function sceneFromPhotoFolder(folder: string, maxLongSide: number): Promise<{ scene: Scene; photoSizes: Map<string, { width: number; height: number }> }> {
  const { photos } = await readPhotoFolder(folder);
  const count = `${photos.length} photo${photos.length === 1 ? '' : 's'}`;
  console.log(`${folder}: no poses file; estimating the poses of ${count}`);
  const manyNote = tooManyPhotosNote(photos.length);
  if (manyNote) console.log(`note: ${manyNote}`);
  let lastStage = '';
  const est = await estimatePoses(photos, {
    maxLongSide,
    onProgress: (stage) => {
      if (stage !== lastStage) console.error(`poses: ${(lastStage = stage)}`);
    },
  });
  // Which focal each photo started from (EXIF or the 55-degree default), and why.
  const bySource = new Map<string, string[]>();
  est.intrinsics.forEach((g, k) => { const key = `${g.source} (${g.note})`; bySource.set(key, [...(bySource.get(key) ?? []), est.names[k]]); });
  for (const [key, names] of bySource) console.log(`intrinsics: ${key}: ${names.length === est.names.length ? 'all photos' : names.join(', ')}`);
  const { scene, dropped } = sceneFromPoses(est, path.basename(path.resolve(folder)));
  for (const d of dropped) console.error(`poses: left out ${d.name}: ${d.reason}`);
  console.log(`poses: ${scene.cameras.length} of ${count} posed, reprojection RMS ${est.report.rmsPx.toFixed(2)} px, ${est.report.points} points`);
  return { scene, photoSizes: new Map(est.names.map((n, k) => [n, est.sourceSizes[k]])) };
}

/**
 * Writes the cameras of a photos-only run as a COLMAP text model (`dir`/sparse/0; estimatedPosesModel),
 * so the estimated and refined poses outlive the run; the folder is written as a whole (writeFolderAtomic).
 * @returns the model folder
 */
async function writeEstimatedPoses(dir: string, scene: Scene, trainViews: number[], trainCameras: Camera[], photoSizes: Map<string, { width: number; height: number }>): Promise<string> {
  const modelDir = path.join(dir, 'sparse', '0');
  const model = estimatedPosesModel(scene, trainViews, trainCameras, photoSizes);
  const enc = new TextEncoder();
  await writeFolderAtomic(modelDir, Object.fromEntries(Object.entries(model).map(([name, text]) => [name, enc.encode(text)])));
  return modelDir;
}

/**
 * Fails early when `dir` (or, when it does not exist yet, its nearest existing ancestor) is not a
 * writable folder, without creating anything: a failed run leaves no empty output folder behind.
 * @throws Error naming `what` and the folder
 */
async function checkWritableDir(dir: string, what: string): Promise<void> {
  let d = path.resolve(dir);
  for (;;) {
    const st = await fs.stat(d).catch(() => null);
    if (st) {
      if (!st.isDirectory()) throw new Error(`${what}: ${d} is not a folder`);
      await fs.access(d, fsConstants.W_OK).catch(() => { throw new Error(`${what}: cannot write to ${d}`); });
      return;
    }
    const up = path.dirname(d);
    if (up === d) return;
    d = up;
  }
}

/** Adds where the photos of a COLMAP model belong to a "not found" image error (a model `npm run poses --out` wrote elsewhere). */
function withPhotosHint(e: unknown, scenePath: string): unknown {
  if (!(e instanceof FormatError && /image .* not found/.test(e.message) && /images\.(txt|bin)/.test(e.message))) return e;
  const images = path.join(scenePath, 'images');
  return new Error(`${e.message}\nthe model's photos belong in ${images}/ beside sparse/ (copy or link them there when \`npm run poses --out\` wrote the model away from its photos)`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      views: { type: 'string', default: '3' },
      recipe: { type: 'string', default: 'sparse' },
      iters: { type: 'string' },
      scale: { type: 'string' },
      'max-side': { type: 'string' },
      size: { type: 'string' },
      out: { type: 'string' },
      formats: { type: 'string', default: '' },
      set: { type: 'string', multiple: true, default: [] },
      lpips: { type: 'string' },
      'log-every': { type: 'string', default: '10' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...ADAPTER_OPTION,
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  applyAdapterArg(values.adapter);
  let recipe = getRecipe(values.recipe!);
  const overrides = [...(values.set as string[])];
  if (values.iters) overrides.push(`iterations=${intArg('iters', values.iters)}`);
  if (values.seed) overrides.push(`seed=${intArg('seed', values.seed, 0)}`);
  recipe = applyOverrides(recipe, overrides);
  let views = intArg('views', values.views)!;
  const logEvery = intArg('log-every', values['log-every'])!;
  const sampleSize = sizeArg('size', values.size ?? '252x189');
  if (values.size !== undefined && positionals[0] && positionals[0] !== 'sample') {
    throw new Error(`--size ${values.size} sizes the sample scene only; for ${positionals[0]} use --max-side PX (or --scale N)`);
  }
  // Check where the results go before any training, so a typo cannot waste a run.
  const formats = ['ply', ...values.formats!.split(',').map((f) => f.trim().replace(/^\./, '')).filter(Boolean)];
  const outPathEarly = values.out ? path.resolve(values.out) : undefined;
  if (outPathEarly && !/\.ply$/i.test(outPathEarly)) throw new Error(`--out ${values.out}: the model path must end in .ply (add other formats with --formats splat,spz)`);
  for (const f of formats) {
    if (!(WRITABLE_SPLAT_EXTENSIONS as readonly string[]).includes(f.toLowerCase())) {
      throw new Error(`--formats: cannot write "${f}" (supported: ${WRITABLE_SPLAT_EXTENSIONS.join(', ')})`);
    }
  }
  if (outPathEarly) await checkWritableDir(path.dirname(outPathEarly), `--out ${values.out}`);

  const gpu = await acquireGpu();
  console.log(`adapter: ${describeAdapter(gpu)}`);
  // Load the LPIPS model before training so a bad file fails at once.
  const lpips = values.lpips ? await Lpips.load(values.lpips) : undefined;
  const t0 = performance.now();
  let scene: Scene;
  let photoSizes: Map<string, { width: number; height: number }> | null = null;
  const scenePath = positionals[0];
  if (scenePath && scenePath !== 'sample') {
    try {
      // LLFF's protocol size is images_8; a COLMAP model (from `npm run poses`, say) keeps its photos' size.
      const llffOrZip = scenePath.toLowerCase().endsWith('.zip') || existsSync(path.join(scenePath, 'poses_bounds.npy'));
      const downscale = values.scale !== undefined ? intArg('scale', values.scale) : llffOrZip ? 8 : undefined;
      scene = await loadScenePath(scenePath, { downscale, maxLongSide: intArg('max-side', values['max-side']) }).catch((e: unknown) => {
        throw withPhotosHint(e, scenePath);
      });
    } catch (e) {
      if (!(e instanceof FormatError && e.field === 'scene' && /no scene found/.test(e.message))) throw e;
      const side = intArg('max-side', values['max-side']) ?? POSE_LONG_SIDE;
      ({ scene, photoSizes } = await sceneFromPhotoFolder(scenePath, Math.max(side, POSE_LONG_SIDE)));
      if (side < POSE_LONG_SIDE) scene = sceneAtSize(scene, side);
    }
  } else {
    scene = await renderSampleScene(gpu, { width: sampleSize[0], height: sampleSize[1] });
  }
  const loadMs = performance.now() - t0;
  if (scene.cameras.length <= views) {
    // A handful of the user's own photos: train on all of them rather than refuse.
    if (scene.cameras.length < views) console.log(`note: the scene has ${scene.cameras.length} views, fewer than --views ${views}: training on all of them`);
    views = scene.cameras.length;
  }
  const split = splitForScene(scene, views);
  recipe = recipeForViews(recipe, split.train.length);
  console.log(
    `scene "${scene.name}": ${scene.cameras.length} views at ${scene.images[0].width}x${scene.images[0].height}, ` +
      `train ${JSON.stringify(split.train)}, test ${JSON.stringify(split.test)} (protocol ${scene.protocol}), recipe ${recipe.name}, ${recipe.iterations} steps`,
  );

  let stop = false;
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    console.log('\ninterrupted: saving the model trained so far (Ctrl-C again to quit at once)');
  });
  const bar = new cliProgress.SingleBar(
    { format: 'step {value}/{total} |{bar}| loss {loss} | PSNR {psnr} dB | {count} Gaussians | {its} it/s', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const interactive = !!process.stdout.isTTY;
  if (/swiftshader/i.test(gpu.adapterName) && !values.iters) {
    console.log(`note: SwiftShader runs WebGPU on the CPU, where a step takes seconds; ${recipe.iterations} steps will take hours (try --iters 300 ${scenePath && scenePath !== 'sample' ? '--max-side 252' : '--size 128x96'})`);
  }
  console.log(`preparing ${recipe.init} initialization${recipe.depthPrior !== 'none' ? ` from ${recipe.depthPrior} depth` : ''}...`);
  if (interactive) bar.start(recipe.iterations, 0, { loss: '-', psnr: '-', count: '-', its: '-' });
  const run = await runReconstruction(gpu, scene, split.train, recipe, {
    logEvery,
    onInit: async (_trainer, prepared) => {
      if (prepared.hullFill !== undefined) console.log(`visual hull: depth for ${(prepared.hullFill * 100).toFixed(1)}% of the training pixels`);
      if (prepared.depthFill !== undefined) console.log(`depth fill: depth for ${(prepared.depthFill * 100).toFixed(1)}% of the training pixels`);
      if (prepared.hullNote) console.log(`note: ${prepared.hullNote}`);
    },
    shouldStop: () => stop,
    onProgress: (s) => {
      const payload = { loss: s.loss.toFixed(4), psnr: s.psnr.toFixed(2), count: s.count, its: s.itPerSec.toFixed(1) };
      if (interactive) bar.update(s.step, payload);
      else if (s.step % (logEvery * 10) === 0 || s.step === recipe.iterations) {
        console.log(`step ${s.step}/${recipe.iterations} loss ${payload.loss} PSNR ${payload.psnr} dB ${s.count} Gaussians ${payload.its} it/s`);
      }
      if (!Number.isFinite(s.loss)) console.error(`\nloss became ${s.loss} at step ${s.step}: stopping and saving the last model`);
    },
  });
  if (interactive) bar.stop();
  const { trainer, init, history } = run;

  const outPath = path.resolve(values.out ?? path.join('out', `${scene.name}-${recipe.name}.ply`));
  const outDir = path.dirname(outPath);
  const base = outPath.replace(/\.[^.\\/]+$/, '');
  await fs.mkdir(outDir, { recursive: true });
  const cloud = await trainer.exportCloud();
  const written: string[] = [];
  for (const ext of formats) {
    const file = ext === 'ply' ? outPath : `${base}.${ext}`;
    const { bytes, dropped } = writeSplatFile(file, cloud);
    await writeFileAtomic(file, bytes);
    written.push(file);
    if (dropped.length) console.log(`${path.basename(file)}: dropped ${dropped.join(', ')}`);
  }
  const posesDir = photoSizes ? await writeEstimatedPoses(`${base}-poses`, scene, split.train, trainer.trainCameras, photoSizes) : null;

  const evalT = performance.now();
  const ev = await evaluateViews(trainer, scene, split.test, lpips);
  const evalMs = performance.now() - evalT;
  const renderDir = `${base}-renders`;
  if (split.test.length) await fs.mkdir(renderDir, { recursive: true });
  for (const [i, v] of split.test.entries()) {
    const png = encodePng(sideBySide(ev.renders[i], scene.images[v]));
    await writeFileAtomic(path.join(renderDir, `${path.parse(scene.imageNames[v] ?? `view${v}`).name}.png`), png);
  }
  const report = {
    scene: scene.name,
    protocol: scene.protocol,
    resolution: [scene.images[0].width, scene.images[0].height],
    adapter: gpu.adapterName,
    adapterChoice: gpu.adapterChoice,
    recipe,
    trainViews: split.train,
    testViews: split.test,
    interrupted: run.interrupted,
    steps: trainer.step,
    intersectionOverflowBatches: trainer.overflows,
    gaussians: cloud.count,
    shDegree: cloud.shDegree,
    timingsMs: { load: loadMs, ...run.timingsMs, eval: evalMs },
    priorCoverage: init.priorCoverage,
    hullFill: init.hullFill,
    depthFill: init.depthFill,
    ...(init.hullNote ? { hullNote: init.hullNote } : {}),
    // how far training refined the estimated poses (Recipe.poseRefine), per training view
    poseRefinement: trainer.poseChanges(),
    ...(trainer.refinesPoses && !trainer.poseChanges()
      ? { poseRefinementNote: `pose refinement starts after the coherent phase (step ${Math.max(recipe.coherentSteps, recipe.poseRefineStart)}); this run stopped at step ${trainer.step}` }
      : {}),
    meanPsnr: ev.meanPsnr,
    meanSsim: ev.meanSsim,
    meanLpips: ev.meanLpips,
    perView: ev.scores,
    history: history.map((h) => ({ step: h.step, loss: h.loss, psnr: h.psnr, count: h.count, itPerSec: h.itPerSec })),
    outputs: { models: written, renders: split.test.length ? renderDir : null, poses: posesDir },
  };
  const reportPath = `${base}.report.json`;
  await writeFileAtomic(reportPath, new TextEncoder().encode(JSON.stringify(report, null, 2)));
  console.log(
    (split.test.length ? `held-out PSNR ${ev.meanPsnr.toFixed(2)} dB, SSIM ${ev.meanSsim.toFixed(3)} over ${split.test.length} views; ` : 'no held-out views (every view trained); ') +
      `${cloud.count} Gaussians; train ${(run.timingsMs.train / 1000).toFixed(1)} s\nmodel: ${written.join(', ')}\nreport: ${reportPath}${split.test.length ? `\nrenders: ${renderDir}` : ''}` +
      (posesDir ? `\nposes: ${posesDir} (COLMAP text; to train on them again, link the photos to ${path.join(`${base}-poses`, 'images')})` : ''),
  );
  trainer.destroy();
  process.exit(0);
}

main().catch((e) => {
  console.error(`reconstruct: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
