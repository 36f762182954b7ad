/**
 * Same picture in other viewers (issue 13, point 5): every shared splat file, and a small model
 * trained on fern in beforeAll (Node, lavapipe) and exported with our PLY writer, rendered with our
 * compute rasterizer (WebGPU) and with Spark (WebGL2) from the same OpenCV camera in headless
 * Chromium. Both draw over transparent black (Spark's premultiplied canvas, our rgb with a black
 * background); PSNR is over the pixels either render covers (alpha >= 3/255 in either), so empty
 * background cannot inflate it. Renders and an amplified difference image per file go to
 * test-results/e2e/spark-compare/. Acceptance: >= 30 dB each.
 *
 * Spark settings: the studio's own (src/app/sparkConventions.ts, SPARK_MATCH_OPTIONS and
 * sparkObjectMatrix), which match our rasterizer where Spark has an option: 3DGS dilation without
 * opacity compensation, our 1/255 alpha cut-off, z-depth sort, no centre culling at 1.4x the
 * frustum; plus extended splat encoding (float32 centres, float16 colour/scale) instead of Spark's
 * 8-bit packing. SPZ: Spark keeps the spec's RUB axes, our reader turns them into RDF, so Spark's
 * mesh gets y and z flipped. Spark 2.2 cannot read SPZ v4 (ZSTD streams: "Invalid gzip header"),
 * so for biker-v4.spz it reads our SPZ v3 re-encoding of the same cloud (the output says so).
 *
 * Measured (2 shared cores, SwiftShader): 43-49 dB per file; a fern copy with random SH bands 1-3
 * 36.5 dB (Spark quantizes SH coefficients: each band alone loses 3-5 dB, a sign error 15+ dB);
 * ours antialiased vs Spark's compensated blur 48.5 dB. The sensitivity cases show a half-pixel
 * shift (28.7 dB), Spark's default blur (21.5 dB) and negated SH bands (22.6 dB) fail clearly.
 * About 2.3 minutes in all, fern training (9 s on lavapipe) included.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { encode } from 'fast-png';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, DATA, startStudio, watchConsole, type Studio } from './harness';
import { shCoeffCount, type GaussianCloud } from '../../src/core/GaussianCloud';
import { mulberry32 } from '../../src/core/random';
import { SPARK_MATCH_OPTIONS, sparkObjectMatrix as sparkObjectMatrixFor } from '../../src/app/sparkConventions';
import type { CompareRequest, CompareResult, PlainCamera } from './sparkComparePage';

const OUT = resolve(ARTIFACTS, 'spark-compare');
const SPLATS = resolve(DATA, 'splats');
const FERN = resolve(DATA, 'scenes/llff-fern');
const W = 320;
const H = 240;
const MIN_PSNR = 30;
/** Alpha (8-bit) above which a pixel counts as covered by a render. */
const COVER = 3;

/** The studio's Spark settings (src/app/sparkConventions.ts): our rasterizer's conventions. */
const sparkOptions: Record<string, number | boolean> = { ...SPARK_MATCH_OPTIONS };

/** SPARSESPLAT_COMPARE_ONLY=a.splat,fern: run only these cases (for a quick look at one file). */
const ONLY = process.env.SPARSESPLAT_COMPARE_ONLY?.split(',').map((s) => s.trim());
const FILES = ['donut-sh0.ply', 'chair.splat', 'airplane.splat', 'biker-v4.spz', 'biker.compressed.ply'].filter((f) => !ONLY || ONLY.includes(f));
const hasData = existsSync(SPLATS);
const hasFern = existsSync(resolve(FERN, 'poses_bounds.npy')) && (!ONLY || ONLY.includes('fern'));

let studio: Studio;
let page: Page;
let errors: string[];
let fern: { ply: string; sh3: string; camera: PlainCamera; trainMs: number; psnr: number; count: number } | null = null;
/** Matched PSNR per case, for the sensitivity checks. */
const matched = new Map<string, number>();
const summary: string[] = [];

/** PSNR (dB) of two RGBA8 images over the pixels either covers; also the covered fraction and mean abs error. */
export function maskedPsnr(a: Uint8Array, b: Uint8Array, cover = COVER): { psnr: number; covered: number; mae: number } {
  let se = 0;
  let ae = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    if (a[i + 3] < cover && b[i + 3] < cover) continue;
    n++;
    for (let k = 0; k < 3; k++) {
      const d = (a[i + k] - b[i + k]) / 255;
      se += d * d;
      ae += Math.abs(d);
    }
  }
  const mse = se / Math.max(1, 3 * n);
  return { psnr: n === 0 ? NaN : mse === 0 ? Infinity : -10 * Math.log10(mse), covered: n / (a.length / 4), mae: ae / Math.max(1, 3 * n) };
}

/** `cloud` at SH degree `degree`: DC kept, every higher coefficient ~ N(0, std^2) from a seeded generator. */
export function withRandomShRest(cloud: GaussianCloud, degree: number, std: number, seed: number): GaussianCloud {
  const rand = mulberry32(seed);
  const K0 = shCoeffCount(cloud.shDegree);
  const K = shCoeffCount(degree);
  const out = { ...cloud, shDegree: degree, sh: new Float32Array(cloud.count * K * 3) };
  for (let i = 0; i < cloud.count; i++) {
    for (let c = 0; c < 3; c++) out.sh[i * K * 3 + c] = cloud.sh[i * K0 * 3 + c];
    for (let k = 3; k < K * 3; k++) {
      const u = Math.max(1e-12, rand());
      out.sh[i * K * 3 + k] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    }
  }
  return out;
}

function savePng(name: string, px: Uint8Array): void {
  // Composite over black for viewing (the RGB is premultiplied already), opaque.
  const o = new Uint8Array(px);
  for (let i = 3; i < o.length; i += 4) o[i] = 255;
  writeFileSync(resolve(OUT, name), encode({ width: W, height: H, data: o, depth: 8, channels: 4 }));
}

function diffImage(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i += 4) {
    for (let k = 0; k < 3; k++) o[i + k] = Math.min(255, Math.abs(a[i + k] - b[i + k]) * 8);
    o[i + 3] = 255;
  }
  return o;
}

async function compare(label: string, req: CompareRequest): Promise<number> {
  const t0 = performance.now();
  const r = (await page.evaluate((q) => (window as any).__sparkCompare(q), req)) as CompareResult;
  const ms = performance.now() - t0;
  const a = new Uint8Array(Buffer.from(r.ours, 'base64'));
  const b = new Uint8Array(Buffer.from(r.spark, 'base64'));
  const m = maskedPsnr(a, b);
  const stem = label.replace(/[^a-z0-9.-]+/gi, '_');
  savePng(`${stem}-ours.png`, a);
  savePng(`${stem}-spark.png`, b);
  writeFileSync(resolve(OUT, `${stem}-diff8x.png`), encode({ width: W, height: H, data: diffImage(a, b), depth: 8, channels: 4 }));
  const line =
    `${label}: PSNR ${m.psnr.toFixed(2)} dB over ${(m.covered * 100).toFixed(1)}% of pixels (MAE ${(m.mae * 255).toFixed(2)}/255), ` +
    `${r.splats} splats (SH ${r.shDegree}; Spark ${r.sparkSplats}, active ${r.sparkActive}, ${r.sparkFrames} frames; Spark read ${r.sparkInput}), ` +
    `ours ${r.oursMs.toFixed(0)} ms, Spark ${r.sparkMs.toFixed(0)} ms, total ${ms.toFixed(0)} ms`;
  console.log(line);
  summary.push(line);
  expect(r.sparkActive, `${label}: Spark drew nothing`).toBeGreaterThan(0);
  expect(m.covered, `${label}: neither render covers any pixel`).toBeGreaterThan(0.02);
  return m.psnr;
}

describe.skipIf(!hasData)('ours vs Spark on the same camera (PSNR >= 30 dB)', () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    if (hasFern) {
      // A real trained model: fern at 128x96, 3 views, the sparse recipe, 80 steps (SH degree 1
      // from step 40), on lavapipe in Node; exported with our PLY writer.
      const t0 = performance.now();
      const { acquireGpu } = await import('../../src/gpu/device');
      const { loadScenePath } = await import('../../src/io/nodeSource');
      const { splitForScene } = await import('../../src/eval/protocol');
      const { applyOverrides, getRecipe } = await import('../../src/train/recipes');
      const { runReconstruction } = await import('../../src/train/runReconstruction');
      const { writeSplatFile } = await import('../../src/io/splatFile');
      const gpu = await acquireGpu();
      const scene = await loadScenePath(FERN, { downscale: 8, maxLongSide: 128 });
      const split = splitForScene(scene, 3);
      const recipe = applyOverrides(getRecipe('sparse'), ['iterations=80', 'coherentSteps=40', 'shDegreeEvery=40', 'strategy.refineStart=40', 'strategy.refineEvery=20']);
      const run = await runReconstruction(gpu, scene, split.train, recipe, { logEvery: 20 });
      const cloud = await run.trainer.exportCloud();
      const ply = resolve(OUT, 'fern-trained.ply');
      writeFileSync(ply, writeSplatFile(ply, cloud).bytes);
      // The trained SH band 1 is still tiny after 40 steps (flipping its sign moves PSNR by 0.6 dB),
      // so SH conventions get their own case: the same model promoted to degree 3 with seeded
      // random bands 1-3 (std 0.1 per coefficient), DC and geometry as trained.
      const sh3 = resolve(OUT, 'fern-trained-sh3.ply');
      writeFileSync(sh3, writeSplatFile(sh3, withRandomShRest(cloud, 3, 0.1, 13)).bytes);
      const last = run.history[run.history.length - 1];
      // The first held-out view, at the compare size (fern is 4:3 like 320x240).
      const cam = scene.cameras[split.test[0]].resized(W, H);
      run.trainer.destroy();
      fern = {
        ply,
        sh3,
        camera: { R: Array.from(cam.R), t: Array.from(cam.t), fx: cam.fx, fy: cam.fy, cx: cam.cx, cy: cam.cy, width: W, height: H },
        trainMs: performance.now() - t0,
        psnr: last.psnr,
        count: cloud.count,
      };
      console.log(`fern: trained ${recipe.iterations} steps in ${(fern.trainMs / 1000).toFixed(1)} s (train-view PSNR ${last.psnr.toFixed(2)} dB, ${cloud.count} Gaussians, SH ${cloud.shDegree})`);
    } else {
      console.log(`fern scene not found at ${FERN}: the trained-model case is skipped`);
    }
    studio = await startStudio();
    page = await studio.browser.newPage({ viewport: { width: W, height: H }, deviceScaleFactor: 1 });
    errors = watchConsole(page);
    await page.goto(`${studio.url}test/e2e/sparkCompare.html`);
    await page.waitForFunction(() => (window as any).__sparkCompareReady === true, undefined, { timeout: 60_000 });
  });

  afterAll(async () => {
    if (summary.length) console.log(`ours vs Spark (${W}x${H}):\n  ${summary.join('\n  ')}`);
    if (errors?.length) console.log(`page errors:\n  ${errors.join('\n  ')}`);
    await studio?.close();
  });

  for (const file of FILES) {
    it(file, async () => {
      const path = resolve(SPLATS, file);
      if (!existsSync(path)) return void console.log(`${file}: not in ${SPLATS}, skipped`);
      // SPZ stores RUB axes (the spec's, three.js's world), which Spark keeps raw while our reader
      // turns them into the PLY axes (RDF) of every other format: the same scene in our world is
      // Spark's mesh with y and z flipped.
      const sparkObjectMatrix = sparkObjectMatrixFor(file)?.toArray();
      const psnr = await compare(file, { url: `/@fs${path}`, name: file, width: W, height: H, antialiased: false, spark: sparkOptions, sparkObjectMatrix });
      matched.set(file, psnr);
      expect(psnr, `${file}: ours vs Spark`).toBeGreaterThanOrEqual(MIN_PSNR);
    });
  }

  it.skipIf(!hasFern)('fern trained model (our PLY writer)', async () => {
    expect(fern).not.toBeNull();
    expect(readFileSync(fern!.ply).length).toBeGreaterThan(1000);
    const psnr = await compare('fern-trained.ply', {
      url: `/@fs${fern!.ply}`,
      name: 'fern-trained.ply',
      width: W,
      height: H,
      camera: fern!.camera,
      antialiased: false,
      spark: sparkOptions,
    });
    expect(psnr, 'fern-trained.ply: ours vs Spark').toBeGreaterThanOrEqual(MIN_PSNR);
  });

  const fernReq = (ply: string, name: string): CompareRequest => ({
    url: `/@fs${ply}`, name, width: W, height: H, camera: fern!.camera, antialiased: false, spark: sparkOptions,
  });

  it.skipIf(!hasFern)('fern trained model, SH degree 3 bands (signs and degree)', async () => {
    const psnr = await compare('fern-trained-sh3.ply', fernReq(fern!.sh3, 'fern-trained-sh3.ply'));
    matched.set('fern-sh3', psnr);
    expect(psnr, 'fern-trained-sh3.ply: ours vs Spark').toBeGreaterThanOrEqual(MIN_PSNR);
  });

  const air = resolve(SPLATS, 'airplane.splat');
  const airReq: CompareRequest = { url: `/@fs${air}`, name: 'airplane.splat', width: W, height: H, antialiased: false, spark: sparkOptions };

  it.skipIf(!FILES.includes('airplane.splat'))('antialiased mode: ours with Mip-Splatting compensation vs Spark blurAmount 0.3', async () => {
    // Spark's own default: blurAmount 0.3 with opacity compensation = our `antialiased: true`.
    const psnr = await compare('airplane.splat (antialiased)', { ...airReq, antialiased: true, spark: { ...sparkOptions, preBlurAmount: 0, blurAmount: 0.3 } });
    expect(psnr, 'airplane.splat antialiased: ours vs Spark').toBeGreaterThanOrEqual(MIN_PSNR);
  });

  // The comparison is sharp enough to see the slips it is for: each deliberate slip on our side
  // (or Spark left at its defaults) costs well over 10 dB against the matched render.
  // Measured: airplane matched 48.8 dB, half-pixel shift 28.7, Spark defaults vs our 3DGS dilation
  // 21.5; fern SH3 with the bands above DC negated: see the output.
  it.skipIf(!FILES.includes('airplane.splat'))('sensitivity: a half-pixel shift or Spark\'s default blur is caught', async () => {
    const ref = matched.get('airplane.splat');
    expect(ref, 'the matched airplane.splat case ran first').toBeDefined();
    const shifted = await compare('slip: airplane.splat, ours shifted 0.5 px', { ...airReq, oursSlip: { shift: [0.5, 0.5] } });
    expect(shifted).toBeLessThan(ref! - 10);
    const defaults = await compare('slip: airplane.splat, Spark defaults', { ...airReq, spark: {} });
    expect(defaults).toBeLessThan(ref! - 10);
  });

  it.skipIf(!hasFern)('sensitivity: negated SH bands are caught', async () => {
    const ref = matched.get('fern-sh3');
    expect(ref, 'the matched SH3 case ran first').toBeDefined();
    const flipped = await compare('slip: fern-trained-sh3.ply, ours SH bands 1-3 negated', { ...fernReq(fern!.sh3, 'fern-trained-sh3.ply'), oursSlip: { shRestSign: -1 } });
    expect(flipped).toBeLessThan(ref! - 10);
  });
});
