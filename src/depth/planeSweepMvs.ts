import warpCode from '../../shaders/mvs_warp.wgsl?raw';
import znccCode from '../../shaders/mvs_zncc.wgsl?raw';
import censusCode from '../../shaders/mvs_census.wgsl?raw';
import aggCode from '../../shaders/mvs_aggregate.wgsl?raw';
import wtaCode from '../../shaders/mvs_wta.wgsl?raw';
import consCode from '../../shaders/mvs_consistency.wgsl?raw';
import { type Camera, nearestCameras, relativePose } from '../core/Camera';
import type { Scene } from '../core/Scene';
import type { GpuContext } from '../gpu/device';
import { createStorageBuffer, createUniformBuffer, readF32, writeBuffer } from '../gpu/buffers';
import { bindEntries, cachedPipeline, recordPass, workgroups } from '../gpu/passes';
import { sweepDepthRange } from './depthRange';

/** Options of planeSweepMvs. Defaults in brackets. */
export interface MvsOptions {
  /** Depth hypotheses per view, uniform in inverse depth [auto: about 1 px of disparity per step, 32..192]. */
  hypotheses?: number;
  /** ZNCC window side in pixels, odd [7]. */
  window?: number;
  /** Near bound (camera z) for every view [scene.depthBounds, else frusta overlap]. */
  near?: number;
  /** Far bound (camera z) for every view [scene.depthBounds, else frusta overlap]. */
  far?: number;
  /**
   * Weight w in [0, 1] of the census cost mixed into each source's ZNCC cost,
   * (1 - w) (1 - ZNCC) + w 2 hamming / bits, over the ZNCC window clipped to radius 3 (48 bits); 0 = ZNCC alone [0].
   */
  census?: number;
  /** Cost aggregation window radius in pixels; 0 disables [1]. */
  aggregationRadius?: number;
  /** Per hypothesis, the mean of the best topK source costs [max(2, ceil(sources / 2)), at most sources]. */
  topK?: number;
  /** Geometric consistency: round-trip reprojection threshold in pixels [1]. */
  consistencyPx?: number;
  /** Geometric consistency: relative depth threshold [0.01]. */
  consistencyRel?: number;
  /** Views that must agree for a pixel to be confident [1]. */
  minConsistentViews?: number;
  /** Minimum aggregated ZNCC of a confident pixel [0.3]. */
  minScore?: number;
  /** Called after each finished chunk of hypotheses with the fraction of the sweep done, in (0, 1]. */
  onProgress?: (fraction: number) => void;
}

/** Result of planeSweepMvs, one entry per requested view (same order as viewIds). */
export interface MvsResult {
  /** H*W camera-z depth (world units), row-major; 0 = no estimate. */
  depth: Float32Array[];
  /**
   * H*W confidence in [0,1]: 0.5 + 0.5 * aggregated ZNCC * (agreeing views / other views) where at
   * least minConsistentViews agree and ZNCC >= minScore, else 0. Accepted pixels lie in (0.5, 1], so
   * "confident" is the same test as > 0 or > 0.5.
   */
  confidence: Float32Array[];
  /** H*W best aggregated ZNCC score (1 - cost), before the consistency check. */
  score: Float32Array[];
  /** H*W mean forward-backward reprojection error (pixels, each view clamped at 100) over views that see the point; -1 without depth or where no other view sees it. */
  reprojError: Float32Array[];
  /** [near, far] swept per view. */
  ranges: [number, number][];
  /** Hypotheses swept per view. */
  hypotheses: number[];
  /** Wall-clock milliseconds per stage: setup, sweep (warp + ZNCC + aggregation + WTA), consistency, readback, total. */
  timingsMs: Record<string, number>;
}

const MAX_SOURCES = 8;
const CHUNK_BYTES = 48 * 1024 * 1024;
/** Auto hypothesis count: one inverse-depth step moves the image centre this many pixels in the widest-baseline source. */
const PX_PER_HYPOTHESIS = 1;

/**
 * Plane-sweep multi-view stereo on WebGPU (Collins 1996; ZNCC cost; fronto-parallel planes;
 * uniform in inverse depth as in MVSNet / COLMAP). For each view of `viewIds` (the reference) the
 * other views of `viewIds` (up to 8 nearest) are the sources:
 * 1. each hypothesis plane warps each source image into the reference (bilinear, grey = Rec.601 luma
 *    of the sRGB-encoded values), 2. ZNCC over a window (separable box sums), mixed with a census
 *    cost (Zabih & Woodfill 1994) when opts.census > 0, 3. per hypothesis the
 *    mean of the best topK source costs (occlusion-robust), 4. edge-aware cost aggregation,
 *    5. winner-take-all with parabolic sub-sample refinement in inverse depth, then
 *    6. cross-view geometric consistency of the depth maps gives the confidence.
 * All views must share one image size.
 * @param gpu WebGPU context
 * @param scene posed images (cameras OpenCV, images sRGB-encoded [0,1])
 * @param viewIds indices into scene.cameras (at least 2, distinct)
 * @throws Error on fewer than 2 views, bad indices, mixed image sizes, an even window, a census weight outside [0, 1], or bounds that are not 0 < near < far
 */
export async function planeSweepMvs(gpu: GpuContext, scene: Scene, viewIds: number[], opts: MvsOptions = {}): Promise<MvsResult> {
  const t0 = performance.now();
  const device = gpu.device;
  validate(scene, viewIds, opts);
  const V = viewIds.length;
  const cams = viewIds.map((i) => scene.cameras[i]);
  const W = cams[0].width;
  const H = cams[0].height;
  const n = W * H;
  const win = opts.window ?? 7;
  const radius = (win - 1) >> 1;
  const aggRadius = opts.aggregationRadius ?? 1;
  const census = opts.census ?? 0;
  // 48 bits fit two u32 per pixel
  const censusRadius = Math.min(radius, 3);

  // Grey images of all views, [view][H*W].
  const gray = new Float32Array(V * n);
  viewIds.forEach((id, v) => {
    const d = scene.images[id].data;
    for (let p = 0; p < n; p++) gray[v * n + p] = 0.299 * d[p * 3] + 0.587 * d[p * 3 + 1] + 0.114 * d[p * 3 + 2];
  });

  const P = {
    warp: await cachedPipeline(device, warpCode, 'main', 'shaders/mvs_warp.wgsl'),
    refStats: await cachedPipeline(device, znccCode, 'refStats', 'shaders/mvs_zncc.wgsl'),
    boxH: await cachedPipeline(device, znccCode, 'boxH', 'shaders/mvs_zncc.wgsl'),
    zncc: await cachedPipeline(device, znccCode, 'zncc', 'shaders/mvs_zncc.wgsl'),
    refCensus: census > 0 ? await cachedPipeline(device, censusCode, 'refCensus', 'shaders/mvs_census.wgsl') : null,
    censusMix: census > 0 ? await cachedPipeline(device, censusCode, 'censusMix', 'shaders/mvs_census.wgsl') : null,
    combine: await cachedPipeline(device, aggCode, 'combine', 'shaders/mvs_aggregate.wgsl'),
    aggregate: await cachedPipeline(device, aggCode, 'aggregate', 'shaders/mvs_aggregate.wgsl'),
    weights: await cachedPipeline(device, aggCode, 'supportWeights', 'shaders/mvs_aggregate.wgsl'),
    step: await cachedPipeline(device, wtaCode, 'wtaStep', 'shaders/mvs_wta.wgsl'),
    finalize: await cachedPipeline(device, wtaCode, 'wtaFinalize', 'shaders/mvs_wta.wgsl'),
    cons: await cachedPipeline(device, consCode, 'main', 'shaders/mvs_consistency.wgsl'),
  };

  const ranges: [number, number][] = [];
  const hyps: number[] = [];
  const sourcesOf: number[][] = [];
  for (let r = 0; r < V; r++) {
    const others = nearestCameras(cams, r, MAX_SOURCES);
    sourcesOf.push(others);
    const range = rangeFor(scene, viewIds, r, others, opts);
    ranges.push(range);
    hyps.push(opts.hypotheses ?? autoHypotheses(cams, r, others, range));
  }
  const maxD = Math.max(...hyps);
  const totalHyps = hyps.reduce((a, b) => a + b, 0);
  let doneHyps = 0;
  const chunkMax = Math.max(1, Math.min(maxD, Math.floor(CHUNK_BYTES / (n * 16))));
  const maxS = Math.max(...sourcesOf.map((s) => s.length));

  const buffers: GPUBuffer[] = [];
  const buf = (data: ArrayBufferView | number, label: string) => {
    const b = createStorageBuffer(device, data, label);
    buffers.push(b);
    return b;
  };
  const uni = (bytes: number, label: string) => {
    const b = createUniformBuffer(device, bytes, label);
    buffers.push(b);
    return b;
  };
  const grayBuf = buf(gray, 'mvs.gray');
  const vol = buf(chunkMax * n * 16, 'mvs.vol');
  const tmp = buf(chunkMax * n * 16, 'mvs.tmp');
  const srcCost = buf(maxS * chunkMax * n * 4, 'mvs.srcCost');
  const comb = buf(chunkMax * n * 4, 'mvs.combined');
  const agg = buf(chunkMax * n * 4, 'mvs.aggregated');
  const stats = buf(n * 16, 'mvs.refStats');
  const weights = buf(n * (2 * aggRadius + 1) ** 2 * 4, 'mvs.supportWeights');
  const state = buf(n * 32, 'mvs.wtaState');
  const depthBuf = buf(V * n * 4, 'mvs.depth');
  const scoreBuf = buf(V * n * 4, 'mvs.score');
  const warpU = Array.from({ length: maxS }, (_, s) => uni(80, `mvs.warpParams${s}`));
  const znccU = Array.from({ length: maxS }, (_, s) => uni(32, `mvs.znccParams${s}`));
  const censusBits = census > 0 ? buf(n * 8, 'mvs.censusBits') : null;
  const censusU = census > 0 ? Array.from({ length: maxS }, (_, s) => uni(32, `mvs.censusParams${s}`)) : [];
  const aggU = uni(48, 'mvs.aggParams');
  const wtaU = uni(32, 'mvs.wtaParams');
  const tSetup = performance.now();

  const g1 = (count: number) => workgroups(count, 64)[0];
  /** One pass of `pipe` over (x, y) workgroups with bindings {binding: buffer}. */
  const pass = (enc: GPUCommandEncoder, stage: string, pipe: GPUComputePipeline, entries: Record<number, GPUBuffer>, x: number, y = 1) =>
    recordPass(enc, stage, pipe, bindEntries(device, pipe, entries), [x, y]);
  for (let r = 0; r < V; r++) {
    const D = hyps[r];
    const [near, far] = ranges[r];
    const invNear = 1 / near;
    const invStep = (1 / far - 1 / near) / (D - 1);
    const srcs = sourcesOf[r];
    const S = srcs.length;
    const topK = Math.min(S, Math.max(1, opts.topK ?? Math.max(2, Math.ceil(S / 2))));
    for (let d0 = 0; d0 < D; d0 += chunkMax) {
      const chunk = Math.min(chunkMax, D - d0);
      const enc = device.createCommandEncoder();
      for (let s = 0; s < S; s++) {
        const [M, m] = relativeHomography(cams[r], cams[srcs[s]]);
        const wp = new ArrayBuffer(80);
        const f = new Float32Array(wp);
        const u = new Uint32Array(wp);
        for (let row = 0; row < 3; row++) {
          f.set([M[row * 3], M[row * 3 + 1], M[row * 3 + 2], m[row]], row * 4);
        }
        u.set([W, H, r * n, srcs[s] * n, d0, chunk], 12);
        f.set([invNear, invStep], 18);
        writeBuffer(device, warpU[s], f);
        const zp = new ArrayBuffer(32);
        new Uint32Array(zp).set([W, H, radius, chunk, r * n, s]);
        new Float32Array(zp).set([1e-5], 6);
        writeBuffer(device, znccU[s], new Uint8Array(zp));
        if (s === 0 && d0 === 0) {
          pass(enc, 'mvs.refStats', P.refStats, { 0: znccU[s], 2: stats, 3: grayBuf }, g1(n));
        }
        pass(enc, 'mvs.warp', P.warp, { 0: warpU[s], 1: grayBuf, 2: vol }, g1(n), chunk);
        pass(enc, 'mvs.zncc', P.boxH, { 0: znccU[s], 1: vol, 2: tmp }, g1(n), chunk);
        pass(enc, 'mvs.zncc', P.zncc, { 0: znccU[s], 1: tmp, 3: stats, 4: srcCost }, g1(n), chunk);
        if (P.refCensus && P.censusMix && censusBits) {
          const cp = new ArrayBuffer(32);
          new Uint32Array(cp).set([W, H, censusRadius, chunk, r * n, s]);
          new Float32Array(cp).set([census], 6);
          writeBuffer(device, censusU[s], new Uint8Array(cp));
          if (s === 0 && d0 === 0) pass(enc, 'mvs.census', P.refCensus, { 0: censusU[s], 2: censusBits, 3: grayBuf }, g1(n));
          pass(enc, 'mvs.census', P.censusMix, { 0: censusU[s], 1: vol, 2: censusBits, 4: srcCost }, g1(n), chunk);
        }
      }
      const ap = new ArrayBuffer(48);
      new Uint32Array(ap).set([W, H, chunk, S, topK, aggRadius, r * n, 0]);
      new Float32Array(ap).set([0.08, Math.max(1, aggRadius), 0, 0], 8);
      writeBuffer(device, aggU, new Uint8Array(ap));
      const wp = new ArrayBuffer(32);
      new Uint32Array(wp).set([W, H, chunk, d0, D, r * n]);
      new Float32Array(wp).set([invNear, invStep], 6);
      writeBuffer(device, wtaU, new Uint8Array(wp));
      pass(enc, 'mvs.aggregate', P.combine, { 0: aggU, 1: srcCost, 2: comb }, g1(n), chunk);
      let final = comb;
      if (aggRadius > 0) {
        if (d0 === 0) pass(enc, 'mvs.aggregate', P.weights, { 0: aggU, 3: grayBuf, 4: weights }, g1(n));
        pass(enc, 'mvs.aggregate', P.aggregate, { 0: aggU, 1: comb, 2: agg, 5: weights }, g1(n), chunk);
        final = agg;
      }
      pass(enc, 'mvs.wta', P.step, { 0: wtaU, 1: final, 2: state }, g1(n));
      if (d0 + chunk >= D) {
        pass(enc, 'mvs.wta', P.finalize, { 0: wtaU, 2: state, 3: depthBuf, 4: scoreBuf }, g1(n));
      }
      device.queue.submit([enc.finish()]);
      // Bounded queue depth keeps SwiftShader responsive and the uniform rewrites ordered.
      await device.queue.onSubmittedWorkDone();
      doneHyps += chunk;
      opts.onProgress?.(doneHyps / totalHyps);
    }
  }
  const tSweep = performance.now();

  // Geometric consistency across all views.
  const camData = new Float32Array(V * 16);
  cams.forEach((c, v) => {
    for (let row = 0; row < 3; row++) camData.set([c.R[row * 3], c.R[row * 3 + 1], c.R[row * 3 + 2], c.t[row]], v * 16 + row * 4);
    camData.set([c.fx, c.fy, c.cx, c.cy], v * 16 + 12);
  });
  const camBuf = buf(camData, 'mvs.cams');
  const consOut = buf(V * n * 16, 'mvs.consistency');
  const consU = uni(32, 'mvs.consParams');
  const cp = new ArrayBuffer(32);
  new Uint32Array(cp).set([W, H, V, opts.minConsistentViews ?? 1]);
  new Float32Array(cp).set([opts.consistencyPx ?? 1, opts.consistencyRel ?? 0.01, opts.minScore ?? 0.3], 4);
  writeBuffer(device, consU, new Uint8Array(cp));
  const enc = device.createCommandEncoder();
  pass(enc, 'mvs.consistency', P.cons, { 0: consU, 1: camBuf, 2: depthBuf, 3: scoreBuf, 4: consOut }, g1(n), V);
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  const tCons = performance.now();

  const depthAll = await readF32(device, depthBuf, V * n);
  const scoreAll = await readF32(device, scoreBuf, V * n);
  const consAll = await readF32(device, consOut, V * n * 4);
  for (const b of buffers) b.destroy();
  const depth: Float32Array[] = [];
  const confidence: Float32Array[] = [];
  const score: Float32Array[] = [];
  const reprojError: Float32Array[] = [];
  for (let v = 0; v < V; v++) {
    depth.push(depthAll.slice(v * n, (v + 1) * n));
    score.push(scoreAll.slice(v * n, (v + 1) * n));
    const c = new Float32Array(n);
    const e = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      c[p] = consAll[(v * n + p) * 4];
      e[p] = consAll[(v * n + p) * 4 + 2];
    }
    confidence.push(c);
    reprojError.push(e);
  }
  const tEnd = performance.now();
  return {
    depth,
    confidence,
    score,
    reprojError,
    ranges,
    hypotheses: hyps,
    timingsMs: {
      setup: tSetup - t0,
      sweep: tSweep - tSetup,
      consistency: tCons - tSweep,
      readback: tEnd - tCons,
      total: tEnd - t0,
    },
  };
}

function validate(scene: Scene, viewIds: number[], opts: MvsOptions): void {
  if (viewIds.length < 2) throw new Error(`planeSweepMvs: scene "${scene.name}" needs at least 2 views, got ${viewIds.length}`);
  if (new Set(viewIds).size !== viewIds.length) throw new Error(`planeSweepMvs: viewIds has duplicates (${viewIds.join(',')})`);
  for (const id of viewIds) {
    if (!Number.isInteger(id) || id < 0 || id >= scene.cameras.length || !scene.images[id]) {
      throw new Error(`planeSweepMvs: view ${id} is not in scene "${scene.name}" (${scene.cameras.length} cameras)`);
    }
    const c = scene.cameras[id];
    const img = scene.images[id];
    const c0 = scene.cameras[viewIds[0]];
    if (c.width !== c0.width || c.height !== c0.height || img.width !== c.width || img.height !== c.height) {
      throw new Error(
        `planeSweepMvs: view ${id} ("${scene.imageNames[id] ?? c.name}") is ${img.width}x${img.height} with a ` +
          `${c.width}x${c.height} camera; all views must match ${c0.width}x${c0.height}`,
      );
    }
  }
  const win = opts.window ?? 7;
  if (!(Number.isInteger(win) && win >= 1 && win % 2 === 1)) throw new Error(`planeSweepMvs: window must be an odd integer >= 1 (got ${win})`);
  if (opts.hypotheses !== undefined && !(Number.isInteger(opts.hypotheses) && opts.hypotheses >= 3)) {
    throw new Error(`planeSweepMvs: hypotheses must be an integer >= 3 (got ${opts.hypotheses})`);
  }
  const census = opts.census ?? 0;
  if (!(census >= 0 && census <= 1)) throw new Error(`planeSweepMvs: census weight must be in [0, 1] (got ${census})`);
  const w0 = scene.cameras[viewIds[0]].width;
  const h0 = scene.cameras[viewIds[0]].height;
  if (w0 < 2 || h0 < 2) throw new Error(`planeSweepMvs: images must be at least 2x2 (got ${w0}x${h0})`);
}

function rangeFor(scene: Scene, viewIds: number[], r: number, others: number[], opts: MvsOptions): [number, number] {
  let [near, far] =
    opts.near !== undefined && opts.far !== undefined
      ? [opts.near, opts.far]
      : sweepDepthRange(scene, viewIds[r], others.map((o) => viewIds[o]));
  if (opts.near !== undefined) near = opts.near;
  if (opts.far !== undefined) far = opts.far;
  if (!(near > 0 && far > near && Number.isFinite(far))) {
    throw new Error(`planeSweepMvs: view ${viewIds[r]}: depth bounds must satisfy 0 < near < far < inf (got near=${near}, far=${far})`);
  }
  return [near, far];
}

/** Hypotheses so that one inverse-depth step moves the image centre by about PX_PER_HYPOTHESIS in the widest-baseline source. */
function autoHypotheses(cams: Camera[], r: number, srcs: number[], [near, far]: [number, number]): number {
  const ref = cams[r];
  let maxPx = 0;
  for (const s of srcs) {
    const [M, m] = relativeHomography(ref, cams[s]);
    const proj = (z: number) => {
      const x = [ref.cx, ref.cy, 1];
      const h = [0, 1, 2].map((k) => z * (M[k * 3] * x[0] + M[k * 3 + 1] * x[1] + M[k * 3 + 2] * x[2]) + m[k]);
      return h[2] > 0 ? [h[0] / h[2], h[1] / h[2]] : null;
    };
    const a = proj(near);
    const b = proj(far);
    if (a && b) maxPx = Math.max(maxPx, Math.hypot(a[0] - b[0], a[1] - b[1]));
  }
  return Math.min(192, Math.max(32, Math.ceil(maxPx / PX_PER_HYPOTHESIS)));
}

/**
 * Plane-induced mapping of reference pixels to a source: x_s ~ z * M x_r + m with
 * M = K_s R_rel K_r^-1, m = K_s t_rel, R_rel = R_s R_r^T, t_rel = t_s - R_rel t_r (row-major M).
 */
function relativeHomography(ref: Camera, src: Camera): [number[], number[]] {
  const { R: Rrel, t: trel } = relativePose(ref, src);
  const Ks = [src.fx, 0, src.cx, 0, src.fy, src.cy, 0, 0, 1];
  const Kinv = [1 / ref.fx, 0, -ref.cx / ref.fx, 0, 1 / ref.fy, -ref.cy / ref.fy, 0, 0, 1];
  const mul = (A: number[], B: number[]) => {
    const C: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) C.push(A[i * 3] * B[j] + A[i * 3 + 1] * B[3 + j] + A[i * 3 + 2] * B[6 + j]);
    return C;
  };
  const M = mul(mul(Ks, Rrel), Kinv);
  const m = [0, 1, 2].map((i) => Ks[i * 3] * trel[0] + Ks[i * 3 + 1] * trel[1] + Ks[i * 3 + 2] * trel[2]);
  return [M, m];
}
