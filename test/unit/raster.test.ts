import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { createStorageBuffer, readF32 } from '../../src/gpu/buffers';
import { GaussianBuffers } from '../../src/splat/GaussianBuffers';
import { GaussianRasterizer, defaultCompositing, dropoutKeeps, type RasterOptions } from '../../src/splat/GaussianRasterizer';
import { referenceBackward, referenceForward, type RefCloud } from '../../src/splat/referenceRasterizer';
import type { GaussianCloud } from '../../src/core/GaussianCloud';
import type { Camera } from '../../src/core/Camera';
import { mulberry32, randomCamera, randomScene } from '../../src/splat/randomScene';

describe('GPU forward rasterizer vs float64 CPU reference', () => {
  it.each(['lanes', 'wg256'] as const)('matches on 24 random scenes of 600 Gaussians (64x48 and 96x64, SH 0-3, both antialiasing modes), %s kernels', async (compositing) => {
    const gpu = await acquireGpu();
    const raster = await GaussianRasterizer.create(gpu, { maxIntersections: 1 << 16, compositing });
    const gb = new GaussianBuffers(gpu.device, 600);
    let worst = { rgb: 0, alpha: 0, depth: 0 };
    let ambiguousTotal = 0;
    let pixelsTotal = 0;
    let covered = 0;
    let worstAmbiguous = 0;
    for (let s = 0; s < 24; s++) {
      const r = mulberry32(1000 + s);
      const [w, h] = s % 2 ? [96, 64] : [64, 48];
      const camera = randomCamera(r, w, h);
      const cloud = randomScene(r, camera, { count: 600, shDegree: s % 4 });
      const opts: RasterOptions = { background: [r(), r(), r()], antialiased: s % 3 === 1 };
      gb.upload(cloud);
      const gpuOut = await raster.render(gb, camera, opts);
      const ref = referenceForward(cloud, camera, opts);
      let errRgb = 0, errA = 0, errD = 0;
      for (let p = 0; p < w * h; p++) {
        if (ref.alpha[p] > 0.5) covered++;
        if (ref.ambiguous[p]) {
          for (let ch = 0; ch < 3; ch++) worstAmbiguous = Math.max(worstAmbiguous, Math.abs(gpuOut.rgb[p * 3 + ch] - ref.rgb[p * 3 + ch]));
          continue;
        }
        for (let ch = 0; ch < 3; ch++) errRgb = Math.max(errRgb, Math.abs(gpuOut.rgb[p * 3 + ch] - ref.rgb[p * 3 + ch]));
        errA = Math.max(errA, Math.abs(gpuOut.alpha[p] - ref.alpha[p]));
        errD = Math.max(errD, Math.abs(gpuOut.depth[p] - ref.depth[p]) / Math.max(1, Math.abs(ref.depth[p])));
      }
      const amb = ref.ambiguous.reduce((a, b) => a + b, 0);
      ambiguousTotal += amb;
      pixelsTotal += w * h;
      worst = { rgb: Math.max(worst.rgb, errRgb), alpha: Math.max(worst.alpha, errA), depth: Math.max(worst.depth, errD) };
      expect(errRgb, `scene ${s} rgb`).toBeLessThanOrEqual(1e-3);
      expect(errA, `scene ${s} alpha`).toBeLessThanOrEqual(1e-3);
      expect(errD, `scene ${s} depth (relative)`).toBeLessThanOrEqual(1e-3);
      // Intersections: rectangles equal up to float32 rounding at a few rectangle borders.
      expect(Math.abs(gpuOut.intersections - ref.intersections)).toBeLessThanOrEqual(Math.max(2, 0.002 * ref.intersections));
      for (const v of gpuOut.rgb) expect(Number.isFinite(v)).toBe(true);
    }
    console.log(`forward max errors ${JSON.stringify(worst)}, ambiguous pixels ${ambiguousTotal}/${pixelsTotal} (max rgb error there ${worstAmbiguous}), alpha > 0.5: ${covered}`);
    // The scenes are not trivially empty, and the ambiguity exclusion is rare.
    expect(covered).toBeGreaterThan(pixelsTotal * 0.3);
    expect(ambiguousTotal).toBeLessThan(pixelsTotal * 0.005);
  });
});

/** Float64 copy of a cloud (finite differences need float64 parameters). */
function toF64(c: GaussianCloud): RefCloud {
  return {
    count: c.count,
    shDegree: c.shDegree,
    means: Float64Array.from(c.means),
    logScales: Float64Array.from(c.logScales),
    quats: Float64Array.from(c.quats),
    logitOpacities: Float64Array.from(c.logitOpacities),
    sh: Float64Array.from(c.sh),
  };
}

function lossOf(f: { rgb: ArrayLike<number>; alpha: ArrayLike<number>; depth: ArrayLike<number> }, w: { rgb: Float64Array; alpha: Float64Array; depth: Float64Array }): number {
  let l = 0;
  for (let i = 0; i < w.rgb.length; i++) l += w.rgb[i] * f.rgb[i];
  for (let i = 0; i < w.alpha.length; i++) l += w.alpha[i] * f.alpha[i] + w.depth[i] * f.depth[i];
  return l;
}

function randomWeights(r: () => number, np: number) {
  const u = () => 2 * r() - 1;
  return { rgb: Float64Array.from({ length: np * 3 }, u), alpha: Float64Array.from({ length: np }, u), depth: Float64Array.from({ length: np }, () => 0.2 * u()) };
}

/** One GPU forward + backward of `gb` (count Gaussians, SH `deg`) with loss weights `wts`; the gradients and the densification statistics. */
async function gpuBackward(d: GPUDevice, raster: GaussianRasterizer, gb: GaussianBuffers, camera: Camera, opts: RasterOptions, wts: { rgb: Float64Array; alpha: Float64Array; depth: Float64Array }, deg: number) {
  const grads = new GaussianBuffers(d, gb.count);
  grads.count = gb.count;
  grads.shDegree = deg;
  grads.clear();
  const stats = { mean2dGradNorm: createStorageBuffer(d, gb.count * 4, 'norm'), visibleCount: createStorageBuffer(d, gb.count * 4, 'vis') };
  const enc = d.createCommandEncoder();
  raster.forward(enc, gb, camera, opts);
  raster.backward(enc, createStorageBuffer(d, Float32Array.from(wts.rgb), 'gRgb'), createStorageBuffer(d, Float32Array.from(wts.alpha), 'gA'), createStorageBuffer(d, Float32Array.from(wts.depth), 'gD'), grads, stats);
  d.queue.submit([enc.finish()]);
  return { got: await grads.download(deg), stats };
}

describe('CPU reference gradients vs central finite differences', () => {
  it.each([false, true])('agree within 1e-2 relative (antialiased=%s)', (antialiased) => {
    const r = mulberry32(antialiased ? 77 : 78);
    const camera = randomCamera(r, 64, 48);
    const cloud = toF64(randomScene(r, camera, { count: 80, shDegree: 3, scale: 0.08 }));
    const opts: RasterOptions = { background: [0.3, 0.6, 0.9], antialiased };
    const w = randomWeights(r, 64 * 48);
    const grads = referenceBackward(cloud, camera, opts, w.rgb, w.alpha, w.depth);
    const visible = Array.from({ length: cloud.count }, (_, i) => i).filter((i) => grads.visible[i] > 0);
    expect(visible.length).toBeGreaterThan(20);
    const h = 1e-6;
    let checked = 0;
    for (const group of ['means', 'logScales', 'quats', 'logitOpacities', 'sh'] as const) {
      const arr = cloud[group];
      const an = grads[group];
      const width = arr.length / cloud.count;
      const gmax = an.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      let groupChecked = 0;
      for (let k = 0; k < 200 && groupChecked < 12; k++) {
        const i = visible[Math.floor(r() * visible.length)];
        const j = i * width + Math.floor(r() * width);
        if (Math.abs(an[j]) < 1e-3 * gmax) continue; // negligible
        const x0 = arr[j];
        arr[j] = x0 + h;
        const lp = lossOf(referenceForward(cloud, camera, opts), w);
        arr[j] = x0 - h;
        const lm = lossOf(referenceForward(cloud, camera, opts), w);
        arr[j] = x0;
        const fd = (lp - lm) / (2 * h);
        expect(Math.abs(fd - an[j]) / Math.max(Math.abs(an[j]), Math.abs(fd)), `${group}[${j}] analytic ${an[j]} fd ${fd}`).toBeLessThanOrEqual(1e-2);
        groupChecked++;
      }
      expect(groupChecked, group).toBeGreaterThan(5);
      checked += groupChecked;
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('GPU backward vs float64 CPU reference', () => {
  it.each([
    [0, false, true, 'lanes'],
    [1, true, true, 'lanes'],
    [2, false, false, 'lanes'],
    [3, true, false, 'lanes'],
    [0, false, true, 'wg256'],
    [3, true, false, 'wg256'],
    [1, true, true, 'lanes', 0.3],
    [2, false, false, 'wg256', 0.3],
  ] as const)('SH degree %s, antialiased=%s, subgroups=%s, %s kernels, dropout %s', async (deg, antialiased, wantSubgroups, compositing, rate?: number) => {
    const dropoutRate: number = rate ?? 0;
    const gpu = await acquireGpu();
    const useSubgroups = wantSubgroups && gpu.hasSubgroups;
    const raster = await GaussianRasterizer.create(gpu, { maxIntersections: 1 << 16, useSubgroups, compositing });
    const r = mulberry32(500 + deg);
    const [w, h] = deg % 2 ? [96, 64] : [64, 48];
    const camera = randomCamera(r, w, h);
    const cloud = randomScene(r, camera, { count: 500, shDegree: deg });
    // Scaled opacities stay below the 0.99 clamp: where opacity / (1 - rate) * G crosses it inside
    // a splat, float32 and float64 pick different sides at a few pixels (a true kink, not an error).
    if (dropoutRate) for (let i = 0; i < cloud.count; i++) cloud.logitOpacities[i] = Math.min(cloud.logitOpacities[i], 0.4);
    const opts: RasterOptions = { background: [r(), r(), r()], antialiased, dropout: dropoutRate ? { rate: dropoutRate, seed: 0x9e3779b9 + deg } : undefined };
    const wts = randomWeights(r, w * h);
    const d = gpu.device;
    const gb = new GaussianBuffers(d, cloud.count);
    gb.upload(cloud);
    const { got, stats } = await gpuBackward(d, raster, gb, camera, opts, wts, deg);
    const ref = referenceBackward(cloud, camera, opts, wts.rgb, wts.alpha, wts.depth);
    const report: Record<string, unknown> = {};
    for (const group of ['means', 'logScales', 'quats', 'logitOpacities', 'sh'] as const) {
      const a = got[group];
      const b = ref[group];
      let gmax = 0, l1 = 0, sumA = 0, sumB = 0, worst = 0, bad = 0, n = 0;
      for (let k = 0; k < b.length; k++) {
        gmax = Math.max(gmax, Math.abs(b[k]));
        l1 += Math.abs(b[k]);
        sumA += a[k];
        sumB += b[k];
      }
      for (let k = 0; k < b.length; k++) {
        expect(Number.isFinite(a[k])).toBe(true);
        if (Math.abs(b[k]) < 1e-4 * gmax) continue; // negligible against the group's largest
        n++;
        const rel = Math.abs(a[k] - b[k]) / Math.abs(b[k]);
        worst = Math.max(worst, rel);
        if (rel > 1e-2) bad++;
      }
      report[group] = { compared: n, worstRel: worst, over1e2: bad, sumRel: Math.abs(sumA - sumB) / l1 };
      expect(bad, `${group}: elements over 1e-2 relative`).toBe(0);
      expect(Math.abs(sumA - sumB) / l1, `${group}: sum`).toBeLessThanOrEqual(1e-3);
    }
    const norm = await readF32(d, stats.mean2dGradNorm, cloud.count);
    const vis = await readF32(d, stats.visibleCount, cloud.count);
    let normErr = 0, normMax = 0;
    for (let i = 0; i < cloud.count; i++) {
      expect(vis[i]).toBe(ref.visible[i]);
      normErr = Math.max(normErr, Math.abs(norm[i] - ref.mean2dGradNorm[i]));
      normMax = Math.max(normMax, ref.mean2dGradNorm[i]);
    }
    expect(normErr).toBeLessThanOrEqual(1e-3 * normMax);
    if (dropoutRate) {
      const img = await raster.render(gb, camera, opts);
      const refImg = referenceForward(cloud, camera, opts);
      let err = 0;
      for (let p = 0; p < w * h; p++) if (!refImg.ambiguous[p]) for (let ch = 0; ch < 3; ch++) err = Math.max(err, Math.abs(img.rgb[p * 3 + ch] - refImg.rgb[p * 3 + ch]));
      expect(err, 'dropout forward vs reference').toBeLessThanOrEqual(1e-3);
      // About `rate` of the Gaussians are dropped, and a dropped one gets no gradient at all.
      const dropped = Array.from({ length: cloud.count }, (_, i) => i).filter((i) => !dropoutKeeps(i, opts.dropout!.seed, dropoutRate));
      expect(dropped.length).toBeGreaterThan(cloud.count * (dropoutRate - 0.1));
      expect(dropped.length).toBeLessThan(cloud.count * (dropoutRate + 0.1));
      for (const i of dropped) {
        expect(got.means[i * 3]).toBe(0);
        expect(got.logitOpacities[i]).toBe(0);
        expect(vis[i]).toBe(0);
      }
    }
    console.log(`backward deg ${deg} aa=${antialiased} sg=${useSubgroups}: ${JSON.stringify(report)}`);
  });
});

describe('GPU backward vs float64 CPU reference on dense tiles (hundreds of Gaussians per tile, several batches, transmittance near 0)', () => {
  it.each(['lanes', 'wg256'] as const)('%s kernels', async (compositing) => {
    const gpu = await acquireGpu();
    const raster = await GaussianRasterizer.create(gpu, { maxIntersections: 1 << 18, compositing });
    const r = mulberry32(4242);
    const [w, h] = [48, 32];
    const camera = randomCamera(r, w, h);
    const cloud = randomScene(r, camera, { count: 2000, shDegree: 0, scale: 0.3 });
    // Opacity at most 0.1, as a random init's fog (3DGS).
    for (let i = 0; i < cloud.count; i++) cloud.logitOpacities[i] = Math.min(cloud.logitOpacities[i], -2.2);
    const opts: RasterOptions = { background: [1, 1, 1], antialiased: false };
    const u = () => 2 * r() - 1;
    const wts = { rgb: Float64Array.from({ length: w * h * 3 }, u), alpha: Float64Array.from({ length: w * h }, u), depth: Float64Array.from({ length: w * h }, () => 0.2 * u()) };
    const d = gpu.device;
    const gb = new GaussianBuffers(d, cloud.count);
    gb.upload(cloud);
    const img = await raster.render(gb, camera, opts);
    const refImg = referenceForward(cloud, camera, opts);
    let ferr = 0, amin = 1; // amin: the least covered pixel's alpha
    for (let p = 0; p < w * h; p++) { amin = Math.min(amin, refImg.alpha[p]); for (let c = 0; c < 3; c++) ferr = Math.max(ferr, Math.abs(img.rgb[p * 3 + c] - refImg.rgb[p * 3 + c])); }
    const { got } = await gpuBackward(d, raster, gb, camera, opts, wts, 0);
    const ref = referenceBackward(cloud, camera, opts, wts.rgb, wts.alpha, wts.depth);
    const { intersections } = await raster.syncCapacity();
    // 6 tiles of 16x16: several 256-entry batches per tile, and pixels whose transmittance nearly ends.
    expect(intersections / 6).toBeGreaterThan(512);
    expect(amin).toBeGreaterThan(0.999);
    for (const group of ['means', 'logScales', 'logitOpacities', 'sh'] as const) {
      const a = got[group], b = ref[group];
      let gmax = 0, l1 = 0, diff = 0, bad = 0;
      for (let k = 0; k < b.length; k++) { gmax = Math.max(gmax, Math.abs(b[k])); l1 += Math.abs(b[k]); diff += Math.abs(a[k] - b[k]); }
      for (let k = 0; k < b.length; k++) if (Math.abs(b[k]) > 1e-3 * gmax && Math.abs(a[k] - b[k]) > 0.02 * Math.abs(b[k])) bad++;
      expect(bad, `${group}: elements off by over 2%`).toBe(0);
      expect(diff / l1, `${group}: relative L1`).toBeLessThan(1e-4);
    }
    expect(ferr).toBeLessThan(1e-4);
  }, 600_000);
});

describe('non-finite parameters', () => {
  it('are culled: no NaN pixel or gradient, the image equals the scene without them', async () => {
    const gpu = await acquireGpu();
    const d = gpu.device;
    const raster = await GaussianRasterizer.create(gpu, { maxIntersections: 1 << 16 });
    const r = mulberry32(99);
    const camera = randomCamera(r, 64, 48);
    const cloud = randomScene(r, camera, { count: 300, shDegree: 2, hard: false });
    const poisoned: number[] = [];
    const put = (i: number, f: (i: number) => void) => {
      f(i);
      poisoned.push(i);
    };
    put(3, (i) => (cloud.means[i * 3 + 1] = NaN));
    put(10, (i) => (cloud.logScales[i * 3] = Infinity));
    put(11, (i) => (cloud.logScales[i * 3 + 2] = 200)); // finite, but exp() overflows float32
    put(17, (i) => cloud.quats.fill(0, i * 4, i * 4 + 4)); // zero quaternion
    put(25, (i) => (cloud.quats[i * 4 + 2] = -Infinity));
    put(40, (i) => (cloud.logitOpacities[i] = NaN));
    put(41, (i) => (cloud.sh[(i * 9 + 5) * 3 + 1] = NaN)); // an active band
    put(60, (i) => (cloud.means[i * 3] = Infinity));
    const opts: RasterOptions = { background: [0.2, 0.2, 0.2], antialiased: true };
    const gb = new GaussianBuffers(d, cloud.count);
    gb.upload(cloud);
    const out = await raster.render(gb, camera, opts);
    for (const arr of [out.rgb, out.alpha, out.depth]) for (const v of arr) expect(Number.isFinite(v)).toBe(true);
    // The reference renders the cloud with the poisoned Gaussians made fully transparent.
    const clean = { ...cloud, logitOpacities: Float32Array.from(cloud.logitOpacities), means: Float32Array.from(cloud.means), logScales: Float32Array.from(cloud.logScales), quats: Float32Array.from(cloud.quats), sh: Float32Array.from(cloud.sh) };
    for (const i of poisoned) {
      clean.logitOpacities[i] = -30;
      clean.means.fill(0, i * 3, i * 3 + 3);
      clean.logScales.fill(0, i * 3, i * 3 + 3);
      clean.quats.fill(0, i * 4, i * 4 + 4);
      clean.quats[i * 4] = 1;
      clean.sh.fill(0, i * 27, i * 27 + 27);
    }
    const ref = referenceForward(clean, camera, opts);
    let err = 0;
    for (let k = 0; k < ref.rgb.length; k++) err = Math.max(err, Math.abs(out.rgb[k] - ref.rgb[k]));
    expect(err).toBeLessThanOrEqual(1e-3);
    // Backward with random output gradients.
    const wts = randomWeights(r, 64 * 48);
    const { got: g, stats } = await gpuBackward(d, raster, gb, camera, opts, wts, 2);
    for (const group of ['means', 'logScales', 'quats', 'logitOpacities', 'sh'] as const) {
      for (const v of g[group]) expect(Number.isFinite(v), group).toBe(true);
      const width = g[group].length / cloud.count;
      for (const i of poisoned) for (let k = 0; k < width; k++) expect(g[group][i * width + k]).toBe(0);
    }
    const norm = await readF32(d, stats.mean2dGradNorm, cloud.count);
    for (const v of norm) expect(Number.isFinite(v)).toBe(true);
    const vis = await readF32(d, stats.visibleCount, cloud.count);
    for (const i of poisoned) expect(vis[i]).toBe(0);
  });
});

describe('intersection capacity', () => {
  it('detects overflow, adds no gradient for the overflowed frame, grows, and render() stays exact', async () => {
    const gpu = await acquireGpu();
    const d = gpu.device;
    const raster = await GaussianRasterizer.create(gpu, { maxIntersections: 1024 });
    const r = mulberry32(4242);
    const camera = randomCamera(r, 96, 64);
    const cloud = randomScene(r, camera, { count: 600, shDegree: 1, scale: 0.3, hard: false });
    const opts: RasterOptions = { background: [0, 0, 0] };
    const gb = new GaussianBuffers(d, cloud.count);
    gb.upload(cloud);
    const ref = referenceForward(cloud, camera, opts);
    expect(ref.intersections).toBeGreaterThan(1024);
    const grads = new GaussianBuffers(d, cloud.count);
    grads.count = cloud.count;
    grads.clear();
    const enc = d.createCommandEncoder();
    raster.forward(enc, gb, camera, opts);
    raster.backward(enc, createStorageBuffer(d, new Float32Array(96 * 64 * 3).fill(1), 'g'), null, null, grads);
    d.queue.submit([enc.finish()]);
    const g = await grads.download();
    expect(g.means.every((v) => v === 0)).toBe(true);
    const s = await raster.syncCapacity();
    expect(s.overflowed).toBe(true);
    expect(raster.overflowed).toBe(true);
    expect(raster.maxIntersections).toBeGreaterThanOrEqual(s.maxIntersections);
    expect(Math.abs(s.maxIntersections - ref.intersections)).toBeLessThanOrEqual(Math.max(2, 0.002 * ref.intersections));
    const out = await raster.render(gb, camera, opts);
    let err = 0;
    for (let k = 0; k < ref.rgb.length; k++) if (!ref.ambiguous[Math.floor(k / 3)]) err = Math.max(err, Math.abs(out.rgb[k] - ref.rgb[k]));
    expect(err).toBeLessThanOrEqual(1e-3);
    expect((await raster.syncCapacity()).overflowed).toBe(false);
  });
});

describe('tile/depth ordering (the 64-bit key: tile id high, depth low)', () => {
  it.each(['chunked', 'workgroup'] as const)('intersections are sorted by tile, then depth, then index, and match the reference pairs (%s sort)', async (sortVariant) => {
    const gpu = await acquireGpu();
    const raster = await GaussianRasterizer.create(gpu, { maxIntersections: 1 << 16, sortVariant });
    const r = mulberry32(31337);
    const camera = randomCamera(r, 96, 64);
    const cloud = randomScene(r, camera, { count: 800, shDegree: 0 });
    // Exact depth ties (duplicated Gaussians) must keep index order.
    for (let i = 0; i < 50; i++) {
      const j = 400 + i;
      cloud.means.copyWithin(j * 3, i * 3, i * 3 + 3);
      cloud.logScales.copyWithin(j * 3, i * 3, i * 3 + 3);
    }
    const gb = new GaussianBuffers(gpu.device, cloud.count);
    gb.upload(cloud);
    const opts: RasterOptions = { background: [0, 0, 0] };
    await raster.render(gb, camera, opts);
    const { tiles, gaussians } = await raster.readIntersections();
    const ref = referenceForward(cloud, camera, opts);
    expect(tiles.length).toBeGreaterThan(1000);
    let bad = 0;
    for (let k = 1; k < tiles.length; k++) {
      if (tiles[k] < tiles[k - 1]) bad++;
      else if (tiles[k] === tiles[k - 1]) {
        const za = Math.fround(ref.splats[gaussians[k - 1]].z), zb = Math.fround(ref.splats[gaussians[k]].z);
        const tie = Math.abs(za - zb) <= 4e-6 * (1 + zb);
        if (!tie && za > zb) bad++;
        if (za === zb && gaussians[k] < gaussians[k - 1]) bad++; // stable
      }
    }
    expect(bad).toBe(0);
    const tilesX = Math.ceil(96 / 16);
    const refPairs = new Set<string>();
    for (const i of ref.order) {
      const rc = ref.splats[i].rect;
      for (let ty = rc[1]; ty < rc[3]; ty++) for (let tx = rc[0]; tx < rc[2]; tx++) refPairs.add(`${ty * tilesX + tx}:${i}`);
    }
    let missing = 0;
    for (let k = 0; k < tiles.length; k++) if (!refPairs.has(`${tiles[k]}:${gaussians[k]}`)) missing++;
    expect(missing + Math.abs(refPairs.size - tiles.length)).toBeLessThanOrEqual(Math.max(2, 0.002 * refPairs.size));
  });
});

describe('compositing kernel choice', () => {
  it('uses the lanes kernels on lavapipe only (SwiftShader cannot compile them in reasonable time)', () => {
    expect(defaultCompositing({ adapterName: 'mesa software llvmpipe: Mesa 25.0.7' })).toBe('lanes');
    expect(defaultCompositing({ adapterName: 'google swiftshader SwiftShader driver 5.0.0' })).toBe('wg256');
    expect(defaultCompositing({ adapterName: 'nvidia hopper NVIDIA H200' })).toBe('wg256');
  });
});
