/**
 * `npm run bench:quality [-- --scenes fern,flower,lego] [--scene PATH] [--cpu] [--size WxH] [--views N] [--iters N] [--recipes vanilla,sparse] [--set k=v] [--lpips model.onnx] [--renders DIR] [--adapter lavapipe|swiftshader]`
 * Sparse-view quality benchmark over the standard protocols, every recipe on every scene in one run
 * (`--help` lists the options; the plan is worked out in qualityPlan.ts):
 * - LLFF 3 views on ../shared/data/scenes/llff-fern and llff-flower: images_8 (504x378), test =
 *   index % 8 == 0, train = round(linspace(0, n_rest-1, 3)) of the rest.
 * - Blender 8 views on ../shared/data/scenes/blender-lego: train ids [2, 16, 26, 55, 73, 76, 86, 93]
 *   of transforms_train.json, test = every 8th frame of transforms_test.json, 400x400, RGBA photos
 *   composited over white; training renders and evaluation renders use the same white background
 *   (Scene.background).
 * - Blender wide baseline (`lego-wide`): blender-lego's 3 most spread-out training frames (about 120
 *   degrees apart), the same 25 test frames, 400x400 over white.
 * `--scene PATH` runs any LLFF or Blender folder (or zip) under its protocol; other formats get an
 * even split. Absent scene folders are reported as skipped; a scene that fails is reported with its
 * error and the run goes on (exit status 1 at the end).
 * Full protocol by default (protocol resolution, the recipes' own schedules). `--cpu` is the preset
 * for machines without a GPU (lavapipe or SwiftShader on the CPU): CPU_PRESET in qualityPlan.ts
 * (LLFF 252x189, Blender 200x200, 200 steps), the same for every recipe. `--size` overrides every
 * scene's resolution (long side), `--views` every scene's training view count.
 * Stdout: one JSON object: adapter, settings, per scene (protocol, resolution, background, split)
 * per recipe PSNR / SSIM (/ LPIPS with --lpips), per-view scores, train and init time, steps and
 * Gaussian count; then per recipe the mean over the scenes that ran, over all and per protocol.
 * Stderr: per-scene, per-recipe progress.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Scene } from '../core/Scene';
import { acquireGpu, describeAdapter, type GpuContext } from '../gpu/device';
import { applyAdapterArg } from './args';
import { applyOverrides, getRecipe, recipeForViews } from '../train/recipes';
import { runReconstruction } from '../train/runReconstruction';
import { Lpips } from '../eval/lpips';
import { evaluateViews, sideBySide } from '../eval/evaluate';
import { encodePng } from './pngWrite';
import { blenderWideSplit, splitForScene } from '../eval/protocol';
import { zipSource, type FileSource } from '../io/FileSource';
import { detectScene, loadScene } from '../io/loadScene';
import { nodeDirSource, writeFileAtomic } from '../io/nodeSource';
import {
  HELP, PROTOCOLS, PUBLISHED, loadOptionsFor, meanOverScenes, parseQualityArgs, protocolFor,
  type QualityPlan, type QualityProtocol, type RecipeResult,
} from './qualityPlan';

/** One scene in the JSON: skipped (absent), failed (error), or run (split and results per recipe). */
interface SceneReport {
  path: string;
  skipped?: string;
  error?: string;
  name?: string;
  protocol?: QualityProtocol['id'];
  protocolDescription?: string;
  resolution?: [number, number];
  background?: [number, number, number];
  views?: number;
  trainViews?: number[];
  trainNames?: string[];
  testViews?: number[];
  results?: Record<string, RecipeResult>;
}

/** A folder or a zip on disk as a FileSource. */
async function openSource(p: string): Promise<FileSource> {
  const st = await fsp.stat(p);
  return st.isDirectory() ? nodeDirSource(p) : zipSource(p, new Uint8Array(await fsp.readFile(p)));
}

/**
 * Loads a scene at its protocol's settings: the format decides the protocol (unless `override` names
 * one), the loaded scene confirms it.
 * @throws Error when the override needs another format than the scene has (blenderWide: a Blender scene).
 */
async function loadForProtocol(p: string, plan: QualityPlan, override?: QualityProtocol['id']): Promise<{ scene: Scene; protocol: QualityProtocol }> {
  const src = await openSource(p);
  if (override) {
    const protocol = PROTOCOLS[override];
    const scene = await loadScene(src, loadOptionsFor(protocol, plan));
    if (override === 'blenderWide' && scene.protocol !== 'blender') throw new Error(`${p}: the ${override} protocol needs a Blender scene (transforms_*.json), found a ${scene.protocol} one`);
    return { scene, protocol };
  }
  let protocol = protocolFor(detectScene(src.list())?.format);
  let scene = await loadScene(src, loadOptionsFor(protocol, plan));
  // A zip inside the source, say: detection saw nothing, the loader found the scene.
  if (PROTOCOLS[scene.protocol].id !== protocol.id) {
    protocol = PROTOCOLS[scene.protocol];
    scene = await loadScene(src, loadOptionsFor(protocol, plan));
  }
  return { scene, protocol };
}

async function main(): Promise<number> {
  const plan = parseQualityArgs(process.argv.slice(2));
  if (plan.help) {
    console.log(HELP);
    return 0;
  }
  applyAdapterArg(plan.adapter);
  // Unknown recipes or settings fail before any loading or training.
  const recipes = plan.recipes.map((name) => applyOverrides(getRecipe(name), plan.overrides));
  const lpips = plan.lpips ? await Lpips.load(plan.lpips) : undefined;
  let gpu: GpuContext | undefined;
  let failed = false;
  const scenes: Record<string, SceneReport> = {};
  for (const { key, path: scenePath, protocol: protocolOverride } of plan.scenes) {
    if (!fs.existsSync(scenePath)) {
      scenes[key] = { path: scenePath, skipped: `scene folder ${scenePath} is absent (see ../shared/data/README.md)` };
      console.error(`[${key}] skipped: ${scenePath} is absent`);
      continue;
    }
    try {
      const { scene, protocol } = await loadForProtocol(scenePath, plan, protocolOverride);
      const views = plan.views ?? protocol.views;
      const split = protocol.id === 'blenderWide' ? blenderWideSplit(scene, views) : splitForScene(scene, views);
      const entry: SceneReport & { results: Record<string, RecipeResult> } = {
        path: scenePath,
        name: scene.name,
        protocol: protocol.id,
        protocolDescription: protocol.description,
        resolution: [scene.images[0].width, scene.images[0].height],
        background: scene.background,
        views,
        trainViews: split.train,
        trainNames: split.train.map((i) => scene.imageNames[i]),
        testViews: split.test,
        results: {},
      };
      scenes[key] = entry;
      console.error(`[${key}] ${protocol.id} ${entry.resolution!.join('x')}, ${views} train views (${entry.trainNames!.join(', ')}), ${split.test.length} test views`);
      if (!gpu) {
        gpu = await acquireGpu();
        console.error(`adapter: ${describeAdapter(gpu)}`);
      }
      for (const named of recipes) {
        const recipe = recipeForViews(named, split.train.length);
        const tag = `[${key}/${recipe.name}]`;
        let init: { psnr: number; ssim: number } | undefined;
        const run = await runReconstruction(gpu, scene, split.train, recipe, {
          logEvery: 50,
          // the initialization's own held-out score (issue 11: "the init's own PSNR")
          onInit: async (trainer) => {
            const e = await evaluateViews(trainer, scene, split.test);
            init = { psnr: e.meanPsnr, ssim: e.meanSsim };
            console.error(`${tag} init: held-out PSNR ${e.meanPsnr.toFixed(2)} SSIM ${e.meanSsim.toFixed(3)}, ${trainer.gaussians.count} Gaussians`);
          },
          onProgress: (s) => console.error(`${tag} step ${s.step}/${recipe.iterations} loss ${s.loss.toFixed(4)} psnr ${s.psnr.toFixed(2)} n=${s.count} ${s.itPerSec.toFixed(1)} it/s`),
        });
        // Trainer.render defaults to scene.background: the colour the photos were composited over.
        const ev = await evaluateViews(run.trainer, scene, split.test, lpips);
        const trainer = run.trainer;
        const plain = trainer.usesEnvironment ? await evaluateViews({ render: (c) => trainer.render(c, scene.background, false) }, scene, split.test) : null;
        if (plan.renders) {
          const dir = path.join(plan.renders, `${key}-${recipe.name}`);
          await fsp.mkdir(dir, { recursive: true });
          for (const [i, v] of split.test.entries()) {
            await writeFileAtomic(path.join(dir, `${path.parse(scene.imageNames[v] ?? `view${v}`).name}.png`), encodePng(sideBySide(ev.renders[i], scene.images[v])));
          }
        }
        const r: RecipeResult = {
          psnr: ev.meanPsnr,
          ssim: ev.meanSsim,
          ...(ev.meanLpips !== undefined ? { lpips: ev.meanLpips } : {}),
          perView: ev.scores,
          trainSeconds: run.timingsMs.train / 1000,
          initSeconds: run.timingsMs.initTotal / 1000,
          iterations: run.trainer.step,
          gaussians: run.trainer.gaussians.count,
          init: { ...init!, priorCoverage: run.init.priorCoverage ?? null, hullFill: run.init.hullFill ?? null, depthFill: run.init.depthFill ?? null, ...(run.init.hullNote ? { hullNote: run.init.hullNote } : {}) },
          ...(plain ? { withoutEnvironment: { psnr: plain.meanPsnr, ssim: plain.meanSsim, perViewPsnr: plain.scores.map((v) => v.psnr) } } : {}),
        };
        entry.results[recipe.name] = r;
        const { perView: _perView, ...summary } = r;
        console.error(`${tag} ${JSON.stringify(summary)}`);
        run.trainer.destroy();
      }
    } catch (e) {
      failed = true;
      const message = e instanceof Error ? e.message : String(e);
      scenes[key] = { ...scenes[key], path: scenePath, error: message };
      console.error(`[${key}] failed: ${message}`);
    }
  }
  const byProtocol: Record<string, ReturnType<typeof meanOverScenes>> = {};
  for (const id of new Set(Object.values(scenes).map((s) => s.protocol).filter((p) => p !== undefined))) {
    byProtocol[id!] = meanOverScenes(Object.fromEntries(Object.entries(scenes).filter(([, s]) => s.protocol === id)), plan.recipes);
  }
  console.log(
    JSON.stringify(
      {
        benchmark: 'quality',
        adapter: gpu?.adapterName ?? null,
        adapterChoice: gpu?.adapterChoice ?? null,
        settings: {
          preset: plan.cpu ? 'cpu' : 'none',
          size: plan.size ?? (plan.cpu ? 'cpu preset per protocol' : 'protocol'),
          views: plan.views ?? 'protocol',
          iterations: plan.iters ?? 'recipe default',
          overrides: plan.overrides,
        },
        recipes: plan.recipes,
        scenes,
        mean: meanOverScenes(scenes, plan.recipes),
        meanByProtocol: byProtocol,
        published: PUBLISHED,
      },
      null,
      2,
    ),
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench:quality: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
