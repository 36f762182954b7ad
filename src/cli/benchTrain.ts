/**
 * `npm run bench:train [-- --cases fern-504,fern-252,sample] [--recipe sparse] [--steps 20] [--warmup 5] [--set k=v] [--adapter lavapipe|swiftshader]`
 *
 * Cost of one training step, as JSON: per case (scene, size, recipe, phase) the GPU milliseconds
 * per step of every stage (timestamp queries on every pass the step records; stages named by the
 * passes themselves: projection, sort, forward, loss.*, backward, adam, rayBinding, ...), the CPU
 * milliseconds per step spent recording and submitting, densification (download, strategy, upload)
 * amortized per step, wall-clock it/s, and the Gaussian and intersection counts.
 *
 * Phases: `coherent` times steps from 0 (the sparse recipe's first phase: Gaussians bound to their
 * rays, depth TV); `free` jumps the step counter past the coherent phase and the refine start, so
 * the free-optimization losses, SH degree and densification of that part of the schedule run
 * (with the initial Gaussians: densification adds some during the timed window only).
 * The fern cases read ../shared/data/scenes/llff-fern (LLFF 3-view training split) and are skipped
 * with a message when it is absent; `sample` is the bundled procedural scene at 252x189.
 * Each phase runs `warmup` steps, then `steps` untimed steps (it/s, CPU encode), then `steps` steps
 * each read back on its own for the per-stage GPU times; all of them must fit in the phase.
 * Without `timestamp-query` the per-stage times are omitted and only wall time is reported.
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { acquireGpu, describeAdapter, type GpuContext } from '../gpu/device';
import { ADAPTER_OPTION, applyAdapterArg, intArg } from './args';
import { applyOverrides, getRecipe } from '../train/recipes';
import type { Recipe } from '../train/recipes/Recipe';
import { prepareInit } from '../train/prepareInit';
import { Trainer } from '../train/Trainer';
import { splitForScene } from '../eval/protocol';
import { loadScenePath } from '../io/nodeSource';
import type { Scene } from '../core/Scene';
import { renderSampleScene } from '../../scenes/sampleScene';
import { StageTimer } from '../gpu/StageTimer';
import { setActiveTimer } from '../gpu/passes';

const FERN = path.resolve('..', 'shared', 'data', 'scenes', 'llff-fern');

/** The cases bench:train knows: scene loader and size. */
const CASES: Record<string, { label: string; load: (gpu: GpuContext) => Promise<Scene | null> }> = {
  'fern-504': { label: 'llff-fern 504x378', load: () => loadFern(504) },
  'fern-252': { label: 'llff-fern 252x189', load: () => loadFern(252) },
  sample: { label: 'sample scene 252x189', load: (gpu) => renderSampleScene(gpu, { width: 252, height: 189 }) },
};

async function loadFern(longSide: number): Promise<Scene | null> {
  if (!fs.existsSync(FERN)) return null;
  return loadScenePath(FERN, { downscale: 8, maxLongSide: longSide });
}

/**
 * Wall-clock and CPU costs over `steps` untimed steps, then GPU milliseconds per stage over
 * `steps` more steps, each read back on its own (timestamp queries are not free, and a query set
 * holds a few thousand passes).
 */
async function timeSteps(gpu: GpuContext, trainer: Trainer, steps: number, timer: StageTimer | undefined) {
  const d = gpu.device;
  await d.queue.onSubmittedWorkDone();
  const c0 = { ...trainer.cpuTimings };
  const t0 = performance.now();
  await trainer.train(steps);
  await d.queue.onSubmittedWorkDone();
  const wallMs = performance.now() - t0;
  const c1 = trainer.cpuTimings;
  const ran = c1.steps - c0.steps;
  const refines = c1.refines - c0.refines;
  const refineMs = c1.refineMs - c0.refineMs;
  let stages: Record<string, number> | undefined;
  let timedSteps = 0;
  if (timer) {
    const sums: Record<string, number> = {};
    let timed = 0;
    for (let i = 0; i < steps && trainer.step < trainer.recipe.iterations; i++) {
      setActiveTimer(timer);
      try {
        await trainer.train(1);
      } finally {
        setActiveTimer(undefined);
      }
      for (const [k, v] of Object.entries(await timer.read(d.createCommandEncoder(), 'sum'))) sums[k] = (sums[k] ?? 0) + v;
      if (timer.dropped > 0) throw new Error(`bench:train: a step recorded more passes than the stage timer holds (${timer.dropped} untimed)`);
      timed++;
    }
    stages = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, round(v / Math.max(1, timed))]));
    timedSteps = timed;
  }
  const gpuTotal = stages ? Object.values(stages).reduce((a, b) => a + b, 0) : undefined;
  return {
    wallSteps: ran,
    timedSteps,
    itPerSec: round((1000 * ran) / wallMs),
    wallMsPerStep: round(wallMs / Math.max(1, ran)),
    gpuMsPerStep: stages ? { total: round(gpuTotal!), ...stages } : undefined,
    cpuEncodeMsPerStep: round((c1.encodeMs - c0.encodeMs) / Math.max(1, ran)),
    refinesInWindow: refines,
    refineMsEach: refines ? round(refineMs / refines) : undefined,
  };
}

function round(x: number): number {
  return Number(x.toFixed(2));
}

async function runCase(gpu: GpuContext, name: string, baseRecipe: Recipe, opts: { steps: number; warmup: number }, timer?: StageTimer) {
  const c = CASES[name];
  const scene = await c.load(gpu);
  if (!scene) return { case: name, skipped: `scene folder ${FERN} is absent (see ../shared/data/README.md)` };
  const split = splitForScene(scene, 3);
  const t0 = performance.now();
  const init = await prepareInit(gpu, scene, split.train, baseRecipe);
  const initSeconds = (performance.now() - t0) / 1000;
  const phases: Record<string, unknown> = {};
  const free = Math.max(baseRecipe.coherentSteps, baseRecipe.strategy.refineStart) + 1;
  for (const phase of baseRecipe.coherentSteps > 0 ? ['coherent', 'free'] : ['free']) {
    const trainer = await Trainer.create(gpu, scene, split.train, baseRecipe, init);
    try {
      if (phase === 'free') trainer.step = free;
      const fromStep = trainer.step + opts.warmup;
      await trainer.train(opts.warmup); // compiles pipelines, sizes intersection buffers
      const startCount = trainer.gaussians.count;
      const t = await timeSteps(gpu, trainer, opts.steps, timer);
      const cap = await trainer.rasterizer.syncCapacity();
      phases[phase] = { fromStep, toStep: trainer.step, gaussians: [startCount, trainer.gaussians.count], intersections: cap.intersections, ...t };
    } finally {
      trainer.destroy();
    }
  }
  const { width, height } = scene.images[split.train[0]];
  return { case: name, scene: c.label, size: [width, height], recipe: baseRecipe.name, trainViews: split.train, initSeconds: round(initSeconds), phases };
}

const HELP = `npm run bench:train -- [options]    (prints JSON: GPU ms per stage, CPU ms, it/s of a training step)
  --cases LIST     ${Object.keys(CASES).join(', ')} (default all)
  --recipe NAME    recipe (default sparse)
  --steps N        steps per window, untimed then timed (default 20)
  --warmup N       steps before the windows (default 5)
  --set k=v        recipe override, repeatable
  --adapter NAME   lavapipe or swiftshader (default: auto)`;

/**
 * Each phase needs warmup + 2 * steps steps inside it: the coherent phase before coherentSteps,
 * the free phase between the refine start and the recipe's iterations.
 * @throws Error naming --steps / --warmup and the recipe setting when they do not fit
 */
function checkSchedule(recipe: Recipe, steps: number, warmup: number): void {
  const need = warmup + 2 * steps;
  const free = Math.max(recipe.coherentSteps, recipe.strategy.refineStart) + 1;
  if (recipe.coherentSteps > 0 && need > recipe.coherentSteps) {
    throw new Error(`--steps ${steps} --warmup ${warmup}: each phase runs warmup + 2 x steps = ${need} steps, more than coherentSteps=${recipe.coherentSteps}`);
  }
  if (free + need > recipe.iterations) {
    throw new Error(`--steps ${steps} --warmup ${warmup}: the free phase starts at step ${free} and needs ${need} steps, past iterations=${recipe.iterations}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: 'fern-504,fern-252,sample' },
      recipe: { type: 'string', default: 'sparse' },
      steps: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      set: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean' },
      ...ADAPTER_OPTION,
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const names = values.cases!.split(',').map((s) => s.trim());
  for (const n of names) if (!CASES[n]) throw new Error(`--cases: unknown case "${n}" (known: ${Object.keys(CASES).join(', ')})`);
  const recipe = applyOverrides(getRecipe(values.recipe!), values.set as string[]);
  const steps = intArg('steps', values.steps)!;
  const warmup = intArg('warmup', values.warmup, 0)!;
  checkSchedule(recipe, steps, warmup);
  applyAdapterArg(values.adapter);
  const gpu = await acquireGpu();
  console.error(`adapter: ${describeAdapter(gpu)}`);
  const timer = gpu.hasTimestamps ? new StageTimer(gpu.device, 1024) : undefined;
  const results = [];
  for (const name of names) {
    const r = await runCase(gpu, name, recipe, { steps, warmup }, timer);
    console.error(JSON.stringify(r));
    results.push(r);
  }
  console.log(
    JSON.stringify(
      {
        benchmark: 'train',
        adapter: gpu.adapterName,
        adapterChoice: gpu.adapterChoice,
        timing: timer ? 'GPU: timestamp-query, sum of pass times per stage / steps; CPU: performance.now()' : 'wall time only (no timestamp-query)',
        overrides: values.set,
        results,
      },
      null,
      2,
    ),
  );
  process.exit(0);
}

main().catch((e) => {
  console.error(`bench:train: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
