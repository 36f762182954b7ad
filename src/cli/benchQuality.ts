/**
 * `npm run bench:quality [-- --cpu] [--size 252x189] [--iters N] [--recipes vanilla,sparse] [--set k=v] [--lpips model.onnx] [--adapter lavapipe|swiftshader]`
 * LLFF sparse-view protocol on ../shared/data/scenes/llff-fern: 3 training views
 * (round(linspace(0, n_rest-1, 3)) of the images with index % 8 != 0), tested on index % 8 == 0,
 * both recipes in one run. Prints one JSON object: adapter, per recipe PSNR/SSIM/train time/Gaussians.
 * Default resolution 504x378 (the protocol's) and the recipes' own schedules. `--cpu` is the preset for
 * machines without a GPU (lavapipe or SwiftShader on the CPU): CPU_PRESET below, same for both recipes.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import fs from 'node:fs';
import { acquireGpu, describeAdapter } from '../gpu/device';
import { ADAPTER_OPTION, applyAdapterArg, intArg, sizeArg } from './args';
import { applyOverrides, getRecipe } from '../train/recipes';
import { runReconstruction } from '../train/runReconstruction';
import { Lpips } from '../eval/lpips';
import { evaluateViews } from '../eval/evaluate';
import { splitForScene } from '../eval/protocol';
import { loadScenePath } from '../io/nodeSource';

/** `--cpu`: 252x189, 200 steps, schedules shortened alike for both recipes, fewer initial Gaussians. */
export const CPU_PRESET = {
  size: '252x189',
  iters: '200',
  set: ['randomCount=5000', 'initBlock=3', 'coherentSteps=70', 'strategy.refineStart=70', 'strategy.refineEvery=40'],
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scene: { type: 'string', default: path.resolve('..', 'shared', 'data', 'scenes', 'llff-fern') },
      size: { type: 'string', default: '504x378' },
      views: { type: 'string', default: '3' },
      iters: { type: 'string' },
      recipes: { type: 'string', default: 'vanilla,sparse' },
      set: { type: 'string', multiple: true, default: [] },
      lpips: { type: 'string' },
      cpu: { type: 'boolean' },
      ...ADAPTER_OPTION,
    },
  });
  applyAdapterArg(values.adapter);
  if (values.cpu) {
    values.size = CPU_PRESET.size;
    values.iters ??= CPU_PRESET.iters;
    values.set = [...CPU_PRESET.set, ...(values.set as string[])];
  }
  if (!fs.existsSync(values.scene!)) {
    console.log(JSON.stringify({ skipped: `scene folder ${values.scene} is absent (see ../shared/data/README.md)` }));
    return;
  }
  const longSide = Math.max(...sizeArg('size', values.size!));
  const gpu = await acquireGpu();
  console.error(`adapter: ${describeAdapter(gpu)}`);
  const scene = await loadScenePath(values.scene!, { downscale: 8, maxLongSide: longSide });
  const views = intArg('views', values.views)!;
  const split = splitForScene(scene, views);
  const recipeNames = values.recipes!.split(',').map((r) => r.trim());
  for (const name of recipeNames) getRecipe(name); // unknown names fail before any training
  const results: Record<string, unknown> = {};
  const lpips = values.lpips ? await Lpips.load(values.lpips) : undefined;
  for (const name of recipeNames) {
    const overrides = [...(values.set as string[])];
    if (values.iters) overrides.push(`iterations=${intArg('iters', values.iters)}`);
    const recipe = applyOverrides(getRecipe(name), overrides);
    const run = await runReconstruction(gpu, scene, split.train, recipe, {
      logEvery: 50,
      onProgress: (s) => console.error(`[${name}] step ${s.step}/${recipe.iterations} loss ${s.loss.toFixed(4)} psnr ${s.psnr.toFixed(2)} n=${s.count} ${s.itPerSec.toFixed(1)} it/s`),
    });
    const ev = await evaluateViews(run.trainer, scene, split.test, lpips);
    results[name] = {
      psnr: ev.meanPsnr,
      ssim: ev.meanSsim,
      lpips: ev.meanLpips,
      perView: ev.scores,
      trainSeconds: run.timingsMs.train / 1000,
      initSeconds: run.timingsMs.initTotal / 1000,
      iterations: run.trainer.step,
      gaussians: run.trainer.gaussians.count,
    };
    console.error(JSON.stringify({ recipe: name, ...(results[name] as object) }));
    run.trainer.destroy();
  }
  console.log(
    JSON.stringify(
      {
        benchmark: 'quality',
        protocol: 'LLFF 3-view: test = index % 8 == 0; train = round(linspace(0, n_rest-1, k)) of the rest (RegNeRF/DNGaussian/FSGS)',
        scene: scene.name,
        adapter: gpu.adapterName,
        adapterChoice: gpu.adapterChoice,
        resolution: [scene.images[0].width, scene.images[0].height],
        views,
        settings: { preset: values.cpu ? 'cpu' : 'none', iterations: values.iters ?? 'recipe default', overrides: values.set },
        trainViews: split.train,
        testViews: split.test,
        results,
        published3ViewLlffMeanPsnr: { vanilla3dgsRandomInit: 15.52, dnGaussian: 19.12, fsgs: 20.31, corGs: 20.45 },
      },
      null,
      2,
    ),
  );
  process.exit(0);
}

main().catch((e) => {
  console.error(`bench:quality: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
