/**
 * `npm run bench:depth [-- --hypotheses N] [--skip-sample] [--adapter lavapipe|swiftshader]`: plane-sweep MVS benchmark, printed as JSON.
 * - llff-fern (../shared/data/scenes/llff-fern, images_8 = 504x378): the 3 training views of the LLFF
 *   sparse-view protocol (test = index % 8 == 0, train = round(linspace(0, n_rest - 1, 3)) of the rest);
 *   MVS time, coverage (confident pixels), mean forward-backward reprojection consistency.
 *   Skipped with a message when the folder is absent.
 * - the bundled sample scene at 252x189 (same split of its 12 views), with error against its exact depth.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderSampleScene } from '../../scenes/sampleScene';
import type { Scene } from '../core/Scene';
import { acquireGpu, describeAdapter, type GpuContext } from '../gpu/device';
import { ADAPTER_OPTION, applyAdapterArg } from './args';
import { splitForScene } from '../eval/protocol';
import { planeSweepMvs } from '../depth/planeSweepMvs';
import { reportDepth } from '../depth/depthReport';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FERN = path.resolve(ROOT, '../shared/data/scenes/llff-fern');

async function benchScene(gpu: GpuContext, scene: Scene, hypotheses: number | undefined) {
  const views = splitForScene(scene, 3).train;
  const res = await planeSweepMvs(gpu, scene, views, { hypotheses });
  const per = reportDepth(scene, views, res);
  const mean = (k: keyof (typeof per)[number]) => per.reduce((a, r) => a + Number(r[k]), 0) / per.length;
  return {
    scene: scene.name,
    protocol: `${scene.protocol} split, 3 training views`,
    views,
    size: [scene.cameras[views[0]].width, scene.cameras[views[0]].height],
    hypotheses: res.hypotheses,
    depthRanges: res.ranges,
    mvsMs: res.timingsMs.total,
    timingsMs: res.timingsMs,
    coverage: mean('coverage'),
    meanReprojErrorPx: mean('meanReprojErrorPx'),
    medianReprojErrorPx: mean('medianReprojErrorPx'),
    reprojWithin1px: mean('reprojWithin1px'),
    ...(per[0].medianRelErrConfident !== undefined
      ? { medianRelErrConfident: mean('medianRelErrConfident'), within2pctConfident: mean('within2pctConfident') }
      : {}),
    perView: per,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { hypotheses: { type: 'string' }, 'skip-sample': { type: 'boolean' }, ...ADAPTER_OPTION } });
  applyAdapterArg(values.adapter);
  const hypotheses = values.hypotheses ? Number(values.hypotheses) : undefined;
  const gpu = await acquireGpu();
  console.error(`adapter: ${describeAdapter(gpu)}`);
  const out: Record<string, unknown> = {
    benchmark: 'plane-sweep MVS (ZNCC 7x7, adaptive-weight aggregation r=1, ~1 px per hypothesis, WTA + parabolic, geometric consistency 1 px / 1%)',
    adapter: gpu.adapterName,
    adapterChoice: gpu.adapterChoice,
    date: new Date().toISOString(),
  };
  if (!fs.existsSync(path.join(FERN, 'poses_bounds.npy'))) {
    out.fern = { skipped: `${FERN} not found (the shared data folder is absent)` };
  } else {
    let loadScenePath: ((p: string, o?: { downscale?: number }) => Promise<Scene>) | undefined;
    try {
      ({ loadScenePath } = await import('../io/nodeSource'));
    } catch (e) {
      out.fern = { skipped: `scene loader src/io/nodeSource unavailable (${(e as Error).message})` };
    }
    if (loadScenePath) {
      const t = performance.now();
      const fern = await loadScenePath(FERN, { downscale: 8 });
      const loadMs = performance.now() - t;
      out.fern = { loadMs, ...(await benchScene(gpu, fern, hypotheses)) };
    }
  }
  if (!values['skip-sample']) {
    const sample = await renderSampleScene(gpu, { width: 252, height: 189 });
    out.sample = await benchScene(gpu, sample, hypotheses);
  }
  console.log(JSON.stringify(out, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
