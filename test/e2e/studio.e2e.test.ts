/**
 * The studio as a user drives it: open it (sample scene loads), open the LLFF fern photos (or keep
 * the sample scene when ../shared/data is absent), train a few dozen steps and see PSNR rise, drag
 * the mouse and see the view change, export a .ply and open it again, open a corrupt file and read
 * the error. Screenshots: test-results/e2e/*.png.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, DATA, REPO, shot, startStudio, watchConsole, type Studio } from './harness';

const FERN = resolve(DATA, 'scenes/llff-fern');
const hasFern = existsSync(resolve(FERN, 'poses_bounds.npy'));
const LEGO = resolve(DATA, 'scenes/blender-lego');
const hasLego = existsSync(resolve(LEGO, 'transforms_train.json'));
const hasTrainer = existsSync(resolve(REPO, 'src/train/Trainer.ts')) && existsSync(resolve(REPO, 'src/splat/GaussianRasterizer.ts'));

const STEPS = 30;
let studio: Studio;
let page: Page;
let errors: string[];

/** Bytes of a PNG screenshot of the viewer, for change detection. */
async function viewerShot(name: string): Promise<Buffer> {
  return shot(page, name, '[data-testid=viewer]');
}

/** Fraction of differing bytes between two equally sized PNG screenshots' raw bytes (decoded). */
async function pixelDiff(a: Buffer, b: Buffer): Promise<number> {
  const { decode } = await import('fast-png');
  const pa = decode(a);
  const pb = decode(b);
  if (pa.width !== pb.width || pa.height !== pb.height || pa.channels !== pb.channels || pa.channels < 3) return 1;
  let diff = 0;
  for (let i = 0; i < pa.data.length; i += pa.channels) {
    const d = Math.abs(pa.data[i] - pb.data[i]) + Math.abs(pa.data[i + 1] - pb.data[i + 1]) + Math.abs(pa.data[i + 2] - pb.data[i + 2]);
    if (d > 24) diff++;
  }
  return diff / (pa.width * pa.height);
}

interface FramingProbe {
  target: number[] | null;
  centres: number[][];
  forwards: number[][];
  depthBounds: [number, number][] | null;
  centresNdc: number[][];
}

/**
 * Checks the framing after a load: every camera centre inside the viewport (NDC within [-1, 1],
 * in front of the camera) and the orbit target inside the scene's bounds: the box around the
 * camera centres and the points each camera sees at its far bound (or, without bounds, at the
 * rig's size).
 */
async function expectFramed(): Promise<void> {
  const f = (await page.evaluate(() => (window as any).__studioFraming())) as FramingProbe;
  expect(f.centres.length).toBeGreaterThan(0);
  for (const [i, p] of f.centresNdc.entries()) {
    expect(Math.abs(p[0]), `camera ${i} x`).toBeLessThanOrEqual(1);
    expect(Math.abs(p[1]), `camera ${i} y`).toBeLessThanOrEqual(1);
    expect(Math.abs(p[2]), `camera ${i} depth`).toBeLessThan(1);
  }
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  let size = 0;
  for (const c of f.centres) for (const d of f.centres) size = Math.max(size, Math.hypot(c[0] - d[0], c[1] - d[1], c[2] - d[2]));
  f.centres.forEach((c, i) => {
    const far = f.depthBounds?.[i]?.[1] ?? size;
    for (const p of [c, c.map((v, k) => v + far * f.forwards[i][k])]) {
      for (let k = 0; k < 3; k++) { lo[k] = Math.min(lo[k], p[k]); hi[k] = Math.max(hi[k], p[k]); }
    }
  });
  expect(f.target).not.toBeNull();
  for (let k = 0; k < 3; k++) {
    expect(f.target![k]).toBeGreaterThanOrEqual(lo[k]);
    expect(f.target![k]).toBeLessThanOrEqual(hi[k]);
  }
}

async function lastNotice(kind: 'info' | 'error', contains: string, timeout = 60_000): Promise<string> {
  const loc = page.locator(`[data-testid=notice-${kind}]`, { hasText: contains }).last();
  await loc.waitFor({ timeout });
  return (await loc.textContent()) ?? '';
}

describe('studio (e2e, headless Chromium + SwiftShader WebGPU)', () => {
  beforeAll(async () => {
    studio = await startStudio();
    page = await studio.browser.newPage({ viewport: { width: 1100, height: 700 }, acceptDownloads: true });
    errors = watchConsole(page);
    await page.goto(`${studio.url}?fresh`);
  });
  afterAll(async () => {
    if (errors?.length) console.log('browser errors:\n' + errors.join('\n'));
    await studio?.close();
  });

  it('opens with WebGPU and the sample scene loaded', async () => {
    await page.locator('[data-testid=gpu-status][data-status=ok]').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid=thumb-0]').waitFor({ timeout: 120_000 });
    const views = await page.locator('[data-testid^=thumb-]').count();
    const train = await page.locator('[data-testid^=thumb-][data-train="1"]').count();
    expect(views).toBeGreaterThanOrEqual(3);
    expect(train).toBeGreaterThanOrEqual(3);
    expect(train).toBeLessThanOrEqual(5);
    await shot(page, '01-sample-scene');
  });

  it('flies to a view when its frustum is clicked', async () => {
    const i = 5;
    const at = await page.evaluate((k) => (window as any).__studioFrustumScreen(k), i);
    expect(at?.visible).toBe(true);
    await page.mouse.click(at.x, at.y);
    await page.waitForTimeout(1500);
    const pos = (await page.evaluate(() => (window as any).__studioViewCamera())) as number[];
    const centre = (await page.evaluate((k) => (window as any).__studioCameraCentre(k), i)) as number[];
    expect(Math.hypot(pos[0] - centre[0], pos[1] - centre[1], pos[2] - centre[2])).toBeLessThan(1e-3);
    await shot(page, '01b-flew-to-view');
  });

  it.skipIf(!hasFern)('opens the LLFF fern folder through the folder picker', async () => {
    expect(readdirSync(resolve(FERN, 'images_8')).length).toBe(20);
    await page.locator('[data-testid=folder-input]').setInputFiles(FERN);
    const text = await lastNotice('info', 'posed photos', 120_000);
    expect(text).toMatch(/20 posed photos/);
    expect(await page.locator('[data-testid^=thumb-]').count()).toBe(20);
    // LLFF protocol: test views are every 8th image, so 0, 8 and 16 are not training views.
    for (const i of [0, 8, 16]) expect(await page.locator(`[data-testid=thumb-${i}]`).getAttribute('data-train')).toBe('0');
    await shot(page, '02-fern-loaded');
  });

  it.skipIf(!hasFern)('frames the fern rig: every camera centre in view, the orbit target inside the scene', async () => {
    await page.waitForTimeout(500);
    await expectFramed();
    // Orbit away, then "Frame all" and the F key bring the framing back.
    const before = (await page.evaluate(() => (window as any).__studioViewCamera())) as number[];
    const box = (await page.locator('[data-testid=viewer]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 200, box.y + box.height / 2 + 60, { steps: 5 });
    await page.mouse.up();
    const moved = (await page.evaluate(() => (window as any).__studioViewCamera())) as number[];
    expect(Math.hypot(...moved.map((v, k) => v - before[k]))).toBeGreaterThan(1e-4);
    await page.locator('[data-testid=frame-all]').click();
    const back = (await page.evaluate(() => (window as any).__studioViewCamera())) as number[];
    expect(Math.hypot(...back.map((v, k) => v - before[k]))).toBeLessThan(1e-6);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 150, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.press('f');
    const again = (await page.evaluate(() => (window as any).__studioViewCamera())) as number[];
    expect(Math.hypot(...again.map((v, k) => v - before[k]))).toBeLessThan(1e-6);
    await expectFramed();
    await shot(page, '02b-fern-framed');
  });

  it.skipIf(!hasTrainer)('trains a few dozen steps and PSNR rises', async () => {
    await page.locator('[data-testid=recipe]').selectOption('vanilla');
    await page.locator('[data-testid=iterations]').fill(String(STEPS));
    await page.locator('[data-testid=train-size]').fill('64');
    // Few Gaussians and tiny images: SwiftShader runs at about 1 GFLOP/s. Pose refinement on, so
    // the refined training cameras must reach the viewer's frusta.
    await page.locator('[data-testid=overrides]').fill('randomCount=2000 poseRefine=on');
    const centres = () => page.evaluate(() => Array.from({ length: 20 }, (_, i) => (window as any).__studioCameraCentre(i) as number[]));
    const trainIds = await page.locator('[data-testid^=thumb-][data-train="1"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-testid')!.slice(6))));
    expect(trainIds.length).toBe(3);
    const before = await centres();
    await recordProgressShown(page);
    await page.locator('[data-testid=start]').click();
    const stats = page.locator('[data-testid=train-stats]');
    await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid=train-stats]');
        return el?.getAttribute('data-state') === 'done' || el?.getAttribute('data-state') === 'error';
      },
      undefined,
      { timeout: 200_000, polling: 500 },
    );
    const message = await page.locator('[data-testid=train-message]').textContent();
    expect(await stats.getAttribute('data-state'), message ?? '').toBe('done');
    const history = await page.evaluate(() => (window as any).__studioHistory?.() as { step: number; psnr: number }[]);
    expect(history.length).toBeGreaterThan(1);
    expect(history[history.length - 1].step).toBe(STEPS);
    // Long work shows progress: the preparation phase's bar, then the time left while training.
    const shown = await progressShown(page);
    expect(shown.phase.length, JSON.stringify(shown)).toBeGreaterThan(0);
    expect(shown.eta.some((t) => /^\d+:\d\d left$/.test(t)), JSON.stringify(shown.eta)).toBe(true);
    const first = history[0].psnr;
    const best = Math.max(...history.slice(-3).map((h) => h.psnr));
    expect(best).toBeGreaterThan(first + 0.5);
    const after = await centres();
    const moved = after.map((c, i) => Math.hypot(...c.map((v, a) => v - before[i][a])));
    // The first training view anchors the frame (PoseRefiner): it and the test views stay put.
    for (let i = 0; i < 20; i++) {
      if (trainIds.slice(1).includes(i)) expect(moved[i], `training camera ${i} refined`).toBeGreaterThan(1e-6);
      else expect(moved[i], `camera ${i} untouched`).toBe(0);
    }
    await shot(page, '03-trained');
    // The current training view's render beside its photo, and the live chart.
    const render = page.locator('[data-testid=view-render]');
    await render.scrollIntoViewIfNeeded();
    expect(await render.evaluate((c: HTMLCanvasElement) => c.width)).toBeGreaterThan(16);
    await page.locator('[data-testid=view-pair]').screenshot({ path: resolve(ARTIFACTS, '03b-render-vs-photo.png') });
    await page.locator('[data-testid=loss-chart]').screenshot({ path: resolve(ARTIFACTS, '03c-loss-psnr-chart.png') });
  });

  it.skipIf(!hasTrainer)('keeps the model through a GPU device loss and a page reload', async () => {
    await page.evaluate(() => (window as any).__studioLoseDevice());
    await lastNotice('info', 'GPU device was lost and has been restarted');
    await page.locator('[data-testid=gpu-status][data-status=ok]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid=train-message]').textContent()).toContain(`restored from step ${STEPS}`);
    await shot(page, '04a-after-device-loss');
    // Reload without ?fresh: the work comes back from IndexedDB.
    await page.goto(studio.url);
    const text = await lastNotice('info', 'Restored your work');
    expect(text).toContain(`step ${STEPS}`);
    expect(await page.locator('[data-testid=export-ply]').isDisabled()).toBe(false);
    await shot(page, '04b-after-reload');
  });

  it('orbits when the mouse is dragged', async () => {
    await page.waitForTimeout(1000);
    const before = await viewerShot('04-before-drag');
    const box = (await page.locator('[data-testid=viewer]').boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(cx + i * 18, cy + i * 4);
    await page.mouse.up();
    await page.waitForTimeout(1500);
    const after = await viewerShot('05-after-drag');
    expect(await pixelDiff(before, after)).toBeGreaterThan(0.05);
  });

  it('switches render modes (depth, alpha) and back to RGB', async () => {
    const rgb = await viewerShot('05a-mode-rgb');
    await page.locator('[data-testid=mode-depth]').click();
    await page.waitForTimeout(2000);
    const depth = await viewerShot('05b-mode-depth');
    await page.locator('[data-testid=mode-alpha]').click();
    await page.waitForTimeout(2000);
    const alpha = await viewerShot('05c-mode-alpha');
    await page.locator('[data-testid=mode-rgb]').click();
    expect(await pixelDiff(rgb, depth)).toBeGreaterThan(0.05);
    expect(await pixelDiff(depth, alpha)).toBeGreaterThan(0.05);
  });

  it('sizes the WebGPU canvas to CSS size x devicePixelRatio on resize', async () => {
    await page.setViewportSize({ width: 900, height: 600 });
    await page.waitForTimeout(1500);
    const size = await page.evaluate(() => {
      const c = document.querySelector('[data-testid=gpu-canvas]') as HTMLCanvasElement;
      return { w: c.width, h: c.height, cw: c.clientWidth, ch: c.clientHeight, dpr: devicePixelRatio };
    });
    expect(size.w).toBe(Math.round(size.cw * size.dpr));
    expect(size.h).toBe(Math.round(size.ch * size.dpr));
    await shot(page, '05d-resized');
    await page.setViewportSize({ width: 1100, height: 700 });
  });

  it('records a turntable as a PNG sequence (.zip)', async () => {
    await page.locator('[data-testid=turntable-frames]').fill('3');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.locator('[data-testid=turntable-png]').click()]);
    expect(download.suggestedFilename()).toMatch(/-turntable\.zip$/);
    const saved = resolve(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(saved);
    const { unzipSync } = await import('fflate');
    const entries = Object.keys(unzipSync(readFileSync(saved)));
    expect(entries.length).toBe(3);
    expect(entries.every((e) => e.endsWith('.png'))).toBe(true);
  });

  it('records a turntable as WebM (MediaRecorder)', async () => {
    await page.locator('[data-testid=turntable-frames]').fill('4');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.locator('[data-testid=turntable-webm]').click()]);
    expect(download.suggestedFilename()).toMatch(/-turntable\.webm$/);
    const saved = resolve(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(saved);
    const head = readFileSync(saved).subarray(0, 4);
    expect([...head]).toEqual([0x1a, 0x45, 0xdf, 0xa3]); // EBML magic of a WebM/Matroska file
  });

  it('exports a .ply named after the scene and opens it again', async () => {
    const exportButton = page.locator('[data-testid=export-ply]');
    if (await exportButton.isDisabled()) {
      // No trained model (trainer absent): view a splat file first so there is something to export.
      await page.locator('[data-testid=file-input]').setInputFiles(resolve(DATA, 'splats/donut-sh0.ply'));
      await lastNotice('info', 'Opened donut-sh0.ply');
    }
    const name = await page.evaluate(() => (window as any).__studioName?.() as string);
    await recordProgressShown(page);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), exportButton.click()]);
    expect(download.suggestedFilename()).toBe(`${name}.ply`);
    expect((await progressShown(page)).busy.some((t) => t.startsWith(`Exporting ${name}.ply`))).toBe(true);
    const saved = resolve(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(saved);
    expect(statSync(saved).size).toBeGreaterThan(1000);
    expect(readFileSync(saved).subarray(0, 3).toString()).toBe('ply');
    await page.locator('[data-testid=file-input]').setInputFiles(saved);
    const text = await lastNotice('info', `Opened ${name}.ply`);
    expect(text).toMatch(/[\d,]+ splats/);
    await page.waitForTimeout(1500);
    await shot(page, '06-reopened-ply');
  });

  it('shows a plain error when photos have no poses', async () => {
    await page.locator('[data-testid=file-input]').setInputFiles([{ name: 'a.png', mimeType: 'image/png', buffer: Buffer.from('not a png') }]);
    const text = await lastNotice('error', 'a.png');
    expect(text).toMatch(/Could not open/);
  });

  it('shows a plain error naming a corrupt file', async () => {
    const bad = Buffer.concat([
      Buffer.from('ply\nformat binary_little_endian 1.0\nelement vertex 1000\nproperty float x\nproperty float y\nproperty float z\nend_header\n'),
      Buffer.alloc(40),
    ]);
    await page.locator('[data-testid=file-input]').setInputFiles({ name: 'broken.ply', mimeType: 'application/octet-stream', buffer: bad });
    const text = await lastNotice('error', 'broken.ply');
    expect(text).toContain('broken.ply');
    await shot(page, '07-corrupt-file');
  });

  it.skipIf(!hasLego)('opens transforms.json and its photos picked without folders (lego), framed', async () => {
    // 12 frames of lego's transforms_train.json, picked as loose files: the file paths
    // ("./train/r_0") must match the picked "r_0.png" by name.
    const tf = JSON.parse(readFileSync(resolve(LEGO, 'transforms_train.json'), 'utf8')) as { frames: { file_path: string }[] };
    tf.frames = tf.frames.filter((_, i) => i % 8 === 0).slice(0, 12);
    const files = [
      { name: 'transforms.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tf)) },
      ...tf.frames.map((fr) => {
        const file = `${fr.file_path.replace(/^\.\//, '')}.png`;
        return { name: file.split('/').pop()!, mimeType: 'image/png', buffer: readFileSync(resolve(LEGO, file)) };
      }),
    ];
    await page.locator('[data-testid=file-input]').setInputFiles(files);
    const text = await lastNotice('info', '12 posed photos', 120_000);
    expect(text).toMatch(/Loaded .*12 posed photos/);
    expect(await page.locator('[data-testid^=thumb-]').count()).toBe(12);
    await page.waitForTimeout(500);
    await expectFramed();
    await shot(page, '08-lego-loose-files-framed');
  });
});

describe('studio without WebGPU (WebGL2 fallback through Spark)', () => {
  let fb: Studio;
  let p: Page;
  beforeAll(async () => {
    fb = await startStudio(['--disable-features=WebGPU', '--disable-unsafe-webgpu']);
    // The WebGPU flags come first in the list; drop navigator.gpu outright to be sure.
    p = await fb.browser.newPage({ viewport: { width: 760, height: 480 } });
    await p.addInitScript(() => {
      delete (Navigator.prototype as any).gpu;
    });
    await p.goto(`${fb.url}?fresh`);
  });
  afterAll(async () => {
    await fb?.close();
  });

  it.skipIf(!existsSync(resolve(DATA, 'splats/donut-sh0.ply')))('says training is disabled and still shows a splat file', async () => {
    const msg = await p.locator('[data-testid=no-webgpu]').textContent({ timeout: 60_000 });
    expect(msg).toMatch(/WebGPU is not available/);
    expect(await p.locator('[data-testid=start]').isDisabled()).toBe(true);
    const before = await p.locator('[data-testid=viewer]').screenshot({ timeout: 90_000 });
    await p.locator('[data-testid=file-input]').setInputFiles(resolve(DATA, 'splats/donut-sh0.ply'));
    await p.waitForTimeout(10_000);
    const after = await p.locator('[data-testid=viewer]').screenshot({ path: resolve(ARTIFACTS, '08-webgl2-fallback.png'), timeout: 90_000 });
    expect(await pixelDiff(before, after)).toBeGreaterThan(0.02);
  });
});

describe('studio on a high-DPI screen', () => {
  let hd: Studio;
  afterAll(async () => {
    await hd?.close();
  });
  it('renders the WebGPU canvas at devicePixelRatio 2', async () => {
    hd = await startStudio();
    const p = await hd.browser.newPage({ viewport: { width: 800, height: 500 }, deviceScaleFactor: 2 });
    await p.goto(`${hd.url}?fresh`);
    await p.locator('[data-testid=thumb-0]').waitFor({ timeout: 120_000 });
    await p.waitForTimeout(1500);
    const size = await p.evaluate(() => {
      const c = document.querySelector('[data-testid=gpu-canvas]') as HTMLCanvasElement;
      return { w: c.width, cw: c.clientWidth, dpr: devicePixelRatio };
    });
    expect(size.dpr).toBe(2);
    expect(size.w).toBe(size.cw * 2);
    await p.screenshot({ path: resolve(ARTIFACTS, '09-high-dpi.png') });
  });
});

/**
 * Starts recording (MutationObserver) what the page shows as progress: the preparation phase bar's
 * fractions, the time-left texts and the busy texts (export), so short-lived ones are not missed.
 */
async function recordProgressShown(p: Page): Promise<void> {
  await p.evaluate(() => {
    const w = window as any;
    w.__progressShown?.observer.disconnect();
    const seen = { phase: [] as string[], eta: [] as string[], busy: [] as string[] };
    const look = () => {
      const phase = document.querySelector('[data-testid=phase-progress]');
      if (phase) seen.phase.push(phase.getAttribute('data-fraction') ?? '');
      const eta = document.querySelector('[data-testid=train-eta]')?.textContent;
      if (eta) seen.eta.push(eta);
      const busy = document.querySelector('[data-testid=busy]')?.textContent;
      if (busy) seen.busy.push(busy);
    };
    const observer = new MutationObserver(look);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    w.__progressShown = { observer, seen };
  });
}

/** What recordProgressShown saw so far. */
async function progressShown(p: Page): Promise<{ phase: string[]; eta: string[]; busy: string[] }> {
  return p.evaluate(() => (window as any).__progressShown.seen);
}
