/**
 * bench:viewer: frame time of the studio's viewer against Spark (WebGL2) on the same splat file, in
 * the same headless Chromium run (Debian's chromium, SwiftShader WebGPU/WebGL without a GPU).
 * Prints JSON: per renderer the median / mean frame time (ms, submit to GPU completion) over
 * `--frames` orbiting frames after `--warmup`, and the ratio ours / Spark (> 1: ours is slower).
 *
 *   npm run bench:viewer -- [file] [--width 1280] [--height 720] [--frames 10] [--warmup 2] [--renderers raster,preview,spark]
 *
 * Default file: ../shared/data/splats/biker.compressed.ply (skips with a message when absent).
 * Uses the e2e harness (test/e2e/harness.ts) to start Vite and Chromium. Chromium runs WebGPU on its own
 * SwiftShader (it ignores lavapipe), so `--adapter` accepts swiftshader or auto only; the JSON's
 * `adapter` is the adapter Chromium's WebGPU reported.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DATA, startStudio } from '../../test/e2e/harness';
import { AdapterChoiceError, ADAPTER_ENV } from '../gpu/adapterChoice';
import { takeAdapterArg } from './args';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

async function main(): Promise<void> {
  const env: Record<string, string | undefined> = {};
  takeAdapterArg(process.argv.slice(2), env);
  if (env[ADAPTER_ENV] === 'lavapipe') {
    throw new AdapterChoiceError('bench:viewer: --adapter lavapipe: headless Chromium runs WebGPU on its own SwiftShader and ignores lavapipe; use swiftshader or auto');
  }
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(i > 0 && all[i - 1].startsWith('--')));
  const file = resolve(positional[0] ?? resolve(DATA, 'splats/biker.compressed.ply'));
  if (!existsSync(file)) {
    console.log(JSON.stringify({ skipped: `splat file not found: ${file} (../shared/data is absent?)` }));
    return;
  }
  const width = Number(arg('width', '1280'));
  const height = Number(arg('height', '720'));
  const frames = Number(arg('frames', '10'));
  const warmup = Number(arg('warmup', '2'));
  const renderers = arg('renderers', 'raster,preview,spark').split(',');
  const studio = await startStudio();
  const results: Record<string, unknown> = {};
  try {
    for (const r of renderers) {
      const page = await studio.browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
      await page.addInitScript(
        ([w, h]) => {
          document.addEventListener('DOMContentLoaded', () => {
            const c = document.getElementById('view') as HTMLCanvasElement;
            c.width = w;
            c.height = h;
            c.style.width = `${w}px`;
            c.style.height = `${h}px`;
          });
        },
        [width, height],
      );
      const url = `${studio.url}src/app/bench.html?renderer=${r}&frames=${frames}&warmup=${warmup}&file=/@fs${file}`;
      await page.goto(url);
      await page.waitForFunction(() => (window as any).__benchResult, undefined, { timeout: 580_000, polling: 1000 });
      results[r] = await page.evaluate(() => (window as any).__benchResult);
      await page.close();
    }
  } finally {
    await studio.close();
  }
  const med = (k: string) => (results[k] as { medianMs?: number } | undefined)?.medianMs;
  const spark = med('spark');
  const adapter = renderers.map((r) => (results[r] as { adapter?: string } | undefined)?.adapter).find((a) => !!a) ?? 'none (WebGL2 only)';
  console.error(`adapter: ${adapter} [Chromium]`);
  const ratios: Record<string, number | null> = {};
  for (const r of renderers) if (r !== 'spark') ratios[`${r}_over_spark`] = med(r) && spark ? med(r)! / spark : null;
  console.log(
    JSON.stringify(
      {
        bench: 'viewer',
        file,
        width,
        height,
        frames,
        warmup,
        adapter,
        browser: '/usr/bin/chromium headless, SwiftShader WebGPU + ANGLE/SwiftShader WebGL2 unless a GPU is present',
        timing: 'per frame, submit to GPU completion (WebGPU onSubmittedWorkDone; WebGL 1-pixel readPixels); Spark sorts in a worker outside the timing',
        results,
        ratios,
      },
      null,
      2,
    ),
  );
}

main().catch((e) => {
  console.error(e instanceof AdapterChoiceError ? e.message : e instanceof Error ? e.stack : e);
  process.exit(1);
});
