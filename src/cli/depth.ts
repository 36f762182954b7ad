/**
 * `npm run depth -- [scene] [--views 3] [--out dir] ...`: depth priors of a scene's training views.
 * Writes per view a 16-bit depth PNG (value = depth * depthScale, 0 = none), an 8-bit preview
 * (inverse depth), an 8-bit confidence PNG (confidence * 255) and, with --mono, the aligned
 * monocular depth; plus summary.json (coverage, timings, reprojection consistency, error against
 * ground truth when the scene has it).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encode as encodePngRaw } from 'fast-png';
import { renderSampleScene } from '../../scenes/sampleScene';
import type { Scene } from '../core/Scene';
import { acquireGpu, describeAdapter } from '../gpu/device';
import { ADAPTER_OPTION, ADAPTER_USAGE, applyAdapterArg, intArg, sizeArg } from './args';
import { loadScenePath } from '../io/nodeSource';
import { splitForScene } from '../eval/protocol';
import { planeSweepMvs, type MvsOptions } from '../depth/planeSweepMvs';
import { reportDepth } from '../depth/depthReport';
import { createMonocularDepth } from '../depth/monocularDepth';
import { alignScaleShift, applyScaleShift } from '../depth/alignDepth';

const USAGE = `usage: npm run depth -- [sample | scene-folder-or-zip] [options]
  --views N         training views of the scene's protocol split (default 3)
  --out DIR         output folder (default out/depth-<scene>)
  --scale N         LLFF / COLMAP image downscale folder images_N (default 8)
  --max-side PX     downscale images to this long side
  --size WxH        sample scene size (default 252x189)
  --hypotheses N    depth hypotheses (default: auto, ~0.75 px per step)
  --window N        ZNCC window side, odd (default 7)
  --mono FILE       also run a monocular depth ONNX model (disparity output) and align it to the MVS depth
${ADAPTER_USAGE}`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      views: { type: 'string', default: '3' },
      out: { type: 'string' },
      scale: { type: 'string', default: '8' },
      'max-side': { type: 'string' },
      size: { type: 'string', default: '252x189' },
      hypotheses: { type: 'string' },
      window: { type: 'string' },
      mono: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...ADAPTER_OPTION,
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  applyAdapterArg(values.adapter);
  const k = intArg('views', values.views, 2)!;
  const gpu = await acquireGpu();
  console.log(`adapter: ${describeAdapter(gpu)}`);
  const t0 = performance.now();
  let scene: Scene;
  const scenePath = positionals[0];
  if (scenePath && scenePath !== 'sample') {
    scene = await loadScenePath(scenePath, { downscale: intArg('scale', values.scale), maxLongSide: intArg('max-side', values['max-side']) });
  } else {
    const [width, height] = sizeArg('size', values.size!);
    scene = await renderSampleScene(gpu, { width, height });
  }
  const loadMs = performance.now() - t0;
  const views = splitForScene(scene, k).train;
  const { width: W, height: H } = scene.cameras[views[0]];
  console.log(`scene "${scene.name}": ${scene.cameras.length} views, ${W}x${H}, training views ${JSON.stringify(views)} (protocol ${scene.protocol})`);

  const opts: MvsOptions = { hypotheses: intArg('hypotheses', values.hypotheses, 3), window: intArg('window', values.window) };
  const res = await planeSweepMvs(gpu, scene, views, opts);
  const report = reportDepth(scene, views, res);
  const outDir = values.out ?? path.join('out', `depth-${scene.name}`);
  await fs.mkdir(outDir, { recursive: true });

  const far = Math.max(...res.ranges.map((r) => r[1]));
  const depthScale = 65535 / far;
  const files: string[] = [];
  const write = async (name: string, bytes: Uint8Array) => {
    await fs.writeFile(path.join(outDir, name), bytes);
    files.push(name);
  };
  const monoReports: Record<string, unknown>[] = [];
  const mono = values.mono ? await createMonocularDepth(values.mono) : undefined;
  for (let i = 0; i < views.length; i++) {
    const id = views[i];
    const tag = `view_${String(id).padStart(3, '0')}`;
    const [near, vfar] = res.ranges[i];
    await write(`${tag}_depth.png`, depth16(res.depth[i], W, H, depthScale));
    await write(`${tag}_depth_vis.png`, grey8(res.depth[i], W, H, (z) => (z > 0 ? (1 / z - 1 / vfar) / (1 / near - 1 / vfar) : 0)));
    await write(`${tag}_confidence.png`, grey8(res.confidence[i], W, H, (c) => c));
    if (mono) {
      const t = performance.now();
      const rel = await mono.predict(scene.images[id]);
      const fit = alignScaleShift(rel, res.depth[i], res.confidence[i], { target: mono.output });
      const aligned = applyScaleShift(rel, fit, mono.output);
      await write(`${tag}_mono_depth.png`, depth16(aligned, W, H, depthScale));
      monoReports.push({ view: id, ...fit, ms: performance.now() - t });
    }
  }
  const summary = {
    scene: scene.name,
    size: [W, H],
    views,
    protocol: scene.protocol,
    adapter: gpu.adapterName,
    adapterChoice: gpu.adapterChoice,
    hypotheses: res.hypotheses,
    depthRanges: res.ranges,
    depthPng: { bitDepth: 16, depthScale, meaning: 'depth (camera z, world units) = value / depthScale; 0 = none' },
    confidencePng: 'confidence * 255; 0 = rejected, > 127 = confident',
    coverage: mean(report.map((r) => r.coverage)),
    meanReprojErrorPx: mean(report.map((r) => r.meanReprojErrorPx)),
    perView: report,
    monocular: mono ? { model: values.mono, output: mono.output, perView: monoReports } : undefined,
    timingsMs: { load: loadMs, ...res.timingsMs },
    files,
  };
  await fs.writeFile(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  console.log(JSON.stringify({ ...summary, files: `${files.length} files in ${outDir}` }, null, 2));
}

function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
}

/** 16-bit grey PNG of depth * scale (0 = unknown). */
function depth16(depth: Float32Array, width: number, height: number, scale: number): Uint8Array {
  const data = new Uint16Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = depth[i] > 0 ? Math.min(65535, Math.round(depth[i] * scale)) : 0;
  return encodePngRaw({ width, height, data, depth: 16, channels: 1 });
}

/** 8-bit grey PNG of f(value) in [0,1]. */
function grey8(values: Float32Array, width: number, height: number, f: (v: number) => number): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, f(values[i]) || 0)) * 255);
  return encodePngRaw({ width, height, data, depth: 8, channels: 1 });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
