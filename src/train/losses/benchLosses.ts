/**
 * Benchmark of the GPU losses: wall-clock ms per record+submit (forward + backward) at a given
 * size, default 504x378 (LLFF protocol), and the process CPU ms per step (on SwiftShader the
 * GPU work runs on this process's threads, so this is robust to other load). Prints JSON. Run:
 *   npx vite-node src/train/losses/benchLosses.ts -- [--width 504] [--height 378] [--iters 5] [--adapter lavapipe|swiftshader]
 */
import { acquireGpu, describeAdapter } from '../../gpu/device';
import { takeAdapterArg } from '../../cli/args';
import { createStorageBuffer } from '../../gpu/buffers';
import { L1SsimLoss } from './L1SsimLoss';
import { S3imLoss } from './S3imLoss';
import { DepthTvLoss } from './DepthTvLoss';
import { RelativeDepthLoss } from './RelativeDepthLoss';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

async function main(): Promise<void> {
  takeAdapterArg(process.argv.slice(2));
  const width = arg('width', 504);
  const height = arg('height', 378);
  const iters = arg('iters', 5);
  const gpu = await acquireGpu();
  console.error(`adapter: ${describeAdapter(gpu)}`);
  const d = gpu.device;
  const n = width * height;
  const rnd = (k: number, lo: number, hi: number) => Float32Array.from({ length: k }, () => lo + (hi - lo) * Math.random());
  const render = createStorageBuffer(d, rnd(n * 3, 0, 1), 'render');
  const target = createStorageBuffer(d, rnd(n * 3, 0, 1), 'target');
  const gradRender = createStorageBuffer(d, n * 12, 'gradRender');
  const depth = createStorageBuffer(d, rnd(n, 1, 5), 'depth');
  const prior = createStorageBuffer(d, rnd(n, 1, 5), 'prior');
  const alpha = createStorageBuffer(d, rnd(n, 0, 1), 'alpha');
  const gradDepth = createStorageBuffer(d, n * 4, 'gradDepth');
  const lossOut = createStorageBuffer(d, 64, 'loss');
  const createMs: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const r = await f();
    createMs[name] = Math.round(performance.now() - t);
    return r;
  };
  const l1 = await timed('l1ssim', () => L1SsimLoss.create(gpu));
  const s3 = await timed('s3im', () => S3imLoss.create(gpu));
  const tv = await timed('depthTv', () => DepthTvLoss.create(gpu));
  const rd = await timed('relativeDepth', () => RelativeDepthLoss.create(gpu));
  const cases: Record<string, (enc: GPUCommandEncoder, step: number) => void> = {
    l1ssim: (enc) => l1.record(enc, { width, height, render, target, gradRender, lambdaSsim: 0.2, weight: 1, lossOut, lossSlot: 0 }),
    s3im: (enc, s) => s3.record(enc, { width, height, render, target, gradRender, weight: 1, lossOut, lossSlot: 1, seed: s }),
    depthTv: (enc) => tv.record(enc, { width, height, depth, valid: null, gradDepth, weight: 1, lossOut, lossSlot: 2 }),
    relativeDepth: (enc, s) =>
      rd.record(enc, { width, height, renderDepth: depth, renderAlpha: alpha, priorDepth: prior, gradDepth, patchSize: 16, patches: 64, globalWeight: 0.5, weight: 1, lossOut, lossSlot: 3, seed: s }),
  };
  const msPerStep: Record<string, number> = {};
  // CPU time of this process (SwiftShader's worker threads included): robust to a loaded machine.
  const cpuMsPerStep: Record<string, number> = {};
  for (const [name, rec] of Object.entries(cases)) {
    const run = async (step: number) => {
      const enc = d.createCommandEncoder();
      rec(enc, step);
      d.queue.submit([enc.finish()]);
      await d.queue.onSubmittedWorkDone();
    };
    await run(0); // warm-up (pipeline and bind-group creation)
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 1; i <= iters; i++) await run(i);
    const c = process.cpuUsage(c0);
    msPerStep[name] = +((performance.now() - t0) / iters).toFixed(2);
    cpuMsPerStep[name] = +((c.user + c.system) / 1000 / iters).toFixed(2);
  }
  const os = await import('node:os');
  console.log(JSON.stringify({ adapter: gpu.adapterName, adapterChoice: gpu.adapterChoice, width, height, iters, createMs, msPerStep, cpuMsPerStep, loadAverage: os.loadavg()[0], cpus: os.cpus().length }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
