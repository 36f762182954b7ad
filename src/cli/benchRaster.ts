/**
 * Rasterizer benchmark: prints JSON with the adapter name and, per scene size, milliseconds for
 * projection, sort (depth sort, tile keys, tile sort, tile ranges), forward compositing and
 * backward, plus the intersection count. Random scenes in front of the camera at 504x378.
 * Times: GPU timestamp queries when the device has `timestamp-query` (median over iterations),
 * else wall time around queue.onSubmittedWorkDone of the whole forward / backward.
 *
 * Also times the radix sort alone on --sortKeys random u32 key/value pairs (32 bits, 0 to skip):
 * the 'chunked' variant (CPU drivers) and the 'workgroup' one (GPUs) with and without subgroups.
 *
 * Usage: npm run bench:raster -- [--sizes 10000,100000,300000] [--width 504] [--height 378] [--iters 3]
 *   [--subgroups on|off] [--sortKeys 1000000] [--adapter lavapipe|swiftshader|auto]
 */
import { acquireGpu, describeAdapter } from '../gpu/device';
import { takeAdapterArg } from './args';
import { createStorageBuffer } from '../gpu/buffers';
import { GaussianBuffers } from '../splat/GaussianBuffers';
import { GaussianRasterizer } from '../splat/GaussianRasterizer';
import { RadixSort, type SortVariant } from '../splat/RadixSort';
import { StageTimer } from '../gpu/StageTimer';
import { setActiveTimer } from '../gpu/passes';
import { mulberry32, randomCamera, randomScene } from '../splat/randomScene';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  takeAdapterArg(process.argv.slice(2));
  const sizes = arg('sizes', '10000,100000,300000').split(',').map(Number);
  const width = Number(arg('width', '504'));
  const height = Number(arg('height', '378'));
  const iters = Math.max(1, Number(arg('iters', '3')));
  if (sizes.some((n) => !(n > 0)) || !(width > 0 && height > 0)) throw new Error('benchRaster: --sizes, --width, --height must be positive numbers');
  const gpu = await acquireGpu();
  console.error(`adapter: ${describeAdapter(gpu)}`);
  const sgArg = arg('subgroups', gpu.hasSubgroups ? 'on' : 'off');
  const useSubgroups = sgArg === 'on' && gpu.hasSubgroups;
  const d = gpu.device;
  const raster = await GaussianRasterizer.create(gpu, { useSubgroups });
  const timer = gpu.hasTimestamps ? new StageTimer(d) : undefined;
  const results = [];
  for (const n of sizes) {
    const r = mulberry32(n);
    const camera = randomCamera(r, width, height);
    const cloud = randomScene(r, camera, { count: n, shDegree: 3, hard: false, scale: 0.03 });
    const gb = new GaussianBuffers(d, n);
    gb.upload(cloud);
    const grads = new GaussianBuffers(d, n);
    grads.count = n;
    grads.shDegree = 3;
    const gradRgb = createStorageBuffer(d, Float32Array.from({ length: width * height * 3 }, () => r() - 0.5), 'gradRgb');
    const stats = { mean2dGradNorm: createStorageBuffer(d, n * 4, 'norm'), visibleCount: createStorageBuffer(d, n * 4, 'count') };
    const opts = { background: [0, 0, 0] as [number, number, number] };
    const { intersections } = await raster.render(gb, camera, opts); // warm-up, sizes the buffers
    const samples: Record<string, number[]> = { projection: [], sort: [], forward: [], backward: [] };
    for (let it = 0; it < iters; it++) {
      if (timer) {
        setActiveTimer(timer);
        const enc = d.createCommandEncoder();
        raster.forward(enc, gb, camera, opts);
        raster.backward(enc, gradRgb, null, null, grads, stats);
        setActiveTimer(undefined);
        const t = await timer.read(enc);
        t.backward = (t.backward ?? 0) + (t['backward.project'] ?? 0);
        for (const k of Object.keys(samples)) samples[k].push(t[k]);
      } else {
        let t0 = performance.now();
        let enc = d.createCommandEncoder();
        raster.forward(enc, gb, camera, opts);
        d.queue.submit([enc.finish()]);
        await d.queue.onSubmittedWorkDone();
        samples.forward.push(performance.now() - t0);
        t0 = performance.now();
        enc = d.createCommandEncoder();
        raster.backward(enc, gradRgb, null, null, grads, stats);
        d.queue.submit([enc.finish()]);
        await d.queue.onSubmittedWorkDone();
        samples.backward.push(performance.now() - t0);
      }
    }
    const ms = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.length ? Number(median(v).toFixed(2)) : null]));
    results.push({ gaussians: n, intersections, ms });
    console.error(JSON.stringify(results[results.length - 1]));
    gb.destroy();
    grads.destroy();
  }
  const sortKeys = Number(arg('sortKeys', '1000000'));
  const sortMs: Record<string, number> = {};
  const variants: { name: string; kind: SortVariant; sg: boolean }[] = [
    { name: 'chunked', kind: 'chunked', sg: false },
    ...(gpu.hasSubgroups ? [{ name: 'workgroup-subgroups', kind: 'workgroup' as const, sg: true }] : []),
    { name: 'workgroup-plain', kind: 'workgroup', sg: false },
  ];
  for (const { name, kind, sg } of sortKeys > 0 ? variants : []) {
    const sorter = await RadixSort.create(gpu, sortKeys, sg, kind);
    const r = mulberry32(1);
    const keys = Uint32Array.from({ length: sortKeys }, () => Math.floor(r() * 2 ** 32));
    const vals = Uint32Array.from({ length: sortKeys }, (_, i) => i);
    const bufs = {
      keys: createStorageBuffer(d, keys, 'k'),
      vals: createStorageBuffer(d, vals, 'v'),
      keysAlt: createStorageBuffer(d, keys.byteLength, 'k2'),
      valsAlt: createStorageBuffer(d, vals.byteLength, 'v2'),
    };
    const count = createStorageBuffer(d, Uint32Array.of(sortKeys), 'n');
    const times: number[] = [];
    for (let it = 0; it < iters; it++) {
      d.queue.writeBuffer(bufs.keys, 0, keys);
      const enc = d.createCommandEncoder();
      if (timer) {
        setActiveTimer(timer);
        sorter.encode(enc, bufs, count, 32);
        setActiveTimer(undefined);
        times.push((await timer.read(enc)).sort);
      } else {
        const t0 = performance.now();
        sorter.encode(enc, bufs, count, 32);
        d.queue.submit([enc.finish()]);
        await d.queue.onSubmittedWorkDone();
        times.push(performance.now() - t0);
      }
    }
    sortMs[name] = Number(median(times).toFixed(2));
    sorter.destroy();
    for (const b of Object.values(bufs)) b.destroy();
  }
  console.log(
    JSON.stringify(
      {
        adapter: gpu.adapterName,
        adapterChoice: gpu.adapterChoice,
        width,
        height,
        subgroups: useSubgroups,
        timing: timer ? 'timestamp-query, median' : 'wall time (forward = projection + sort + compositing), median',
        iters,
        results,
        radixSort: { keys: sortKeys, bits: 32, defaultVariant: RadixSort.defaultVariant(gpu), ms: sortMs },
      },
      null,
      2,
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
