/**
 * Plain photos into the studio (issue 12 point 4): the 3 LLFF training views of fern picked WITHOUT
 * their poses file (read in place from ../shared/data) get their poses estimated in the page (OpenCV.js
 * + our structure from motion, in a Web Worker) with a progress bar; the scene shows 3 cameras and
 * the sparse points and trains. A photo of another scene (flower) is named and left out; two identical
 * photos give a plain error naming a photo and leave the previous scene in place. Screenshots: test-results/e2e/poses-*.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llffSplit } from '../../src/eval/protocol';
import { DATA, REPO, shot, startStudio, watchConsole, type Studio } from './harness';

const IMAGES = resolve(DATA, 'scenes/llff-fern/images_8');
const hasFern = existsSync(resolve(IMAGES, 'IMG_4026.png'));
/** A photo of another scene (LLFF flower), which shares no matches with fern's. */
const FLOWER_PHOTO = resolve(DATA, 'scenes/llff-flower/images_8/image000.png');
const hasFlower = existsSync(FLOWER_PHOTO);
const hasTrainer = existsSync(resolve(REPO, 'src/train/Trainer.ts')) && existsSync(resolve(REPO, 'src/splat/GaussianRasterizer.ts'));
/** fern's 20 images, sorted; the LLFF 3-view protocol's training views (1, 10, 19). */
const FERN_NAMES = Array.from({ length: 20 }, (_, i) => `IMG_${4026 + i}.png`);
const TRAIN = llffSplit(FERN_NAMES.length, 3).train.map((i) => FERN_NAMES[i]);

let studio: Studio;
let page: Page;
let errors: string[];
/** Every URL the page (and its workers) requested. */
const requests: string[] = [];

async function lastNotice(kind: 'info' | 'error', contains: string, timeout = 60_000): Promise<string> {
  const loc = page.locator(`[data-testid=notice-${kind}]`, { hasText: contains }).last();
  await loc.waitFor({ timeout });
  return (await loc.textContent()) ?? '';
}

/** Records every load-progress text and fraction the page shows (a MutationObserver, so short-lived ones count). */
async function recordLoadProgress(): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    w.__loadSeen?.observer.disconnect();
    const seen: { text: string; fraction: string; heading: string }[] = [];
    const look = () => {
      const el = document.querySelector('[data-testid=load-progress]');
      if (!el) return;
      const text = el.querySelector('[data-testid=load-progress-text]')?.textContent ?? '';
      const prev = seen[seen.length - 1];
      if (!prev || prev.text !== text) seen.push({ text, fraction: el.getAttribute('data-fraction') ?? '', heading: el.querySelector('.hint')?.textContent ?? '' });
    };
    const observer = new MutationObserver(look);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    w.__loadSeen = { observer, seen };
  });
}

describe.skipIf(!hasFern)('plain photos: pose estimation in the studio (e2e)', () => {
  beforeAll(async () => {
    studio = await startStudio();
    page = await studio.browser.newPage({ viewport: { width: 1100, height: 700 } });
    errors = watchConsole(page);
    page.on('request', (r) => requests.push(r.url()));
    if (process.env.SPARSESPLAT_E2E_DEBUG) {
      page.on('console', (m) => console.log('console', m.type(), m.text().slice(0, 300)));
      page.on('worker', (w) => console.log('worker', w.url()));
    }
    // No sample scene: the photos are the first thing opened.
    await page.goto(`${studio.url}?fresh&sample=0`);
    await page.locator('[data-testid=gpu-status][data-status=ok]').waitFor({ timeout: 60_000 });
  });
  afterAll(async () => {
    if (errors?.length) console.log('browser errors:\n' + errors.join('\n'));
    await studio?.close();
  });

  it('estimates the poses of fern\'s 3 training photos (no poses file) with progress, and shows 3 cameras', async () => {
    expect(TRAIN).toEqual(['IMG_4027.png', 'IMG_4036.png', 'IMG_4045.png']);
    // OpenCV.js is not part of the studio's first load: it comes with the first photos.
    await page.waitForTimeout(1000);
    expect(requests.filter((u) => /opencv/i.test(u))).toEqual([]);
    await recordLoadProgress();
    const t0 = Date.now();
    await page.locator('[data-testid=file-input]').setInputFiles(TRAIN.map((n) => resolve(IMAGES, n)));
    const text = await lastNotice('info', 'Estimated the poses', 150_000).catch(async (e: Error) => {
      // Say where it stopped: the progress shown and the notices.
      const state = await page.evaluate(() => ({
        seen: (window as any).__loadSeen.seen,
        notices: [...document.querySelectorAll('[data-testid^=notice-]')].map((n) => n.textContent),
      }));
      throw new Error(`${e.message}\nprogress: ${JSON.stringify(state.seen)}\nnotices: ${JSON.stringify(state.notices)}`);
    });
    const seconds = (Date.now() - t0) / 1000;
    console.log(`pose estimation in the studio: ${seconds.toFixed(1)} s; ${text}`);
    expect(text).toContain('3 of 3 photos');
    expect(requests.some((u) => /opencv/i.test(u)), 'opencv.js loaded for the photos').toBe(true);
    const seen = (await page.evaluate(() => (window as any).__loadSeen.seen)) as { text: string; fraction: string; heading: string }[];
    console.log('progress shown:', seen.map((s) => `${s.text} (${s.fraction})`).join(' | '));
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[0].heading).toContain('Estimating the poses of 3 photos');
    expect(seen.some((s) => /^Finding features \d\/3$/.test(s.text)), JSON.stringify(seen)).toBe(true);
    expect(seen.some((s) => s.text.startsWith('Solving poses')), JSON.stringify(seen)).toBe(true);
    // The fractions only grow.
    const fr = seen.map((s) => Number(s.fraction));
    for (let i = 1; i < fr.length; i++) expect(fr[i]).toBeGreaterThanOrEqual(fr[i - 1]);
    expect(await page.locator('[data-testid=load-progress]').count()).toBe(0);
    expect(await page.locator('[data-testid^=thumb-]').count()).toBe(3);
    for (let i = 0; i < 3; i++) expect(await page.locator(`[data-testid=thumb-${i}]`).getAttribute('title')).toContain(TRAIN[i]);
    const centres = (await page.evaluate(() => [0, 1, 2, 3].map((i) => (window as any).__studioCameraCentre(i) ?? null))) as (number[] | null)[];
    expect(centres.slice(0, 3).every((c) => c && c.every(Number.isFinite))).toBe(true);
    expect(centres[3]).toBeNull();
    await page.waitForTimeout(500);
    await shot(page, 'poses-01-fern-estimated');
  });

  it.skipIf(!hasFlower)('names a photo of another scene that could not be posed, and goes on with the rest', async () => {
    await recordLoadProgress();
    await page.locator('[data-testid=file-input]').setInputFiles([...TRAIN.map((n) => resolve(IMAGES, n)), FLOWER_PHOTO]);
    const text = await lastNotice('info', 'Estimated the poses of 3 of 4 photos', 150_000);
    console.log(`with a photo of another scene: ${text}`);
    const left = await lastNotice('info', 'Left out', 10_000);
    console.log(`unrelated photo: ${left}`);
    expect(left).toMatch(/Left out 1 of 4 photos/);
    expect(left).toContain('image000.png');
    expect(await page.locator('[data-testid^=thumb-]').count()).toBe(3);
    for (let i = 0; i < 3; i++) expect(await page.locator(`[data-testid=thumb-${i}]`).getAttribute('title')).toContain(TRAIN[i]);
  });

  it('names a photo when two identical photos are dropped, and keeps the previous scene', async () => {
    const bytes = readFileSync(resolve(IMAGES, TRAIN[0]));
    await page.locator('[data-testid=file-input]').setInputFiles([
      { name: 'IMG_0412.png', mimeType: 'image/png', buffer: bytes },
      { name: 'IMG_0413.png', mimeType: 'image/png', buffer: bytes },
    ]);
    const text = await lastNotice('error', 'IMG_041', 120_000);
    console.log(`identical photos: ${text}`);
    expect(text).toMatch(/Could not open/);
    expect(text).toMatch(/IMG_041[23]\.png/);
    await page.locator('[data-testid=load-progress]').waitFor({ state: 'detached', timeout: 10_000 });
    // No half-state: fern's 3 posed photos are still the scene.
    expect(await page.locator('[data-testid^=thumb-]').count()).toBe(3);
    expect(await page.locator('[data-testid=thumb-0]').getAttribute('title')).toContain(TRAIN[0]);
    expect(await page.locator('[data-testid=start]').isDisabled()).toBe(false);
    await shot(page, 'poses-02-identical-error');
  });

  it('names a HEIC photo this browser cannot decode (Chromium has no HEIC decoder)', async () => {
    const junk = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(64)]);
    await page.locator('[data-testid=file-input]').setInputFiles([
      { name: 'IMG_0500.HEIC', mimeType: 'image/heic', buffer: junk },
      { name: 'IMG_0501.HEIC', mimeType: 'image/heic', buffer: junk },
    ]);
    const text = await lastNotice('error', 'IMG_0500.HEIC', 60_000);
    expect(text).toMatch(/could not be decoded.*HEIC/);
    expect(await page.locator('[data-testid^=thumb-]').count()).toBe(3);
  });

  it.skipIf(!hasTrainer)('trains on the estimated poses (training starts)', async () => {
    await page.locator('[data-testid=recipe]').selectOption('vanilla');
    await page.locator('[data-testid=iterations]').fill('8');
    await page.locator('[data-testid=train-size]').fill('64');
    // Few Gaussians and tiny images: SwiftShader runs at about 1 GFLOP/s.
    await page.locator('[data-testid=overrides]').fill('randomCount=2000');
    await page.locator('[data-testid=start]').click();
    await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid=train-stats]');
        return Number(el?.getAttribute('data-step') ?? 0) > 0 || el?.getAttribute('data-state') === 'error';
      },
      undefined,
      { timeout: 150_000, polling: 250 },
    );
    const stats = page.locator('[data-testid=train-stats]');
    const message = await page.locator('[data-testid=train-message]').textContent().catch(() => '');
    expect(await stats.getAttribute('data-state'), message ?? '').not.toBe('error');
    expect(Number(await stats.getAttribute('data-step'))).toBeGreaterThan(0);
    const history = (await page.evaluate(() => (window as any).__studioHistory?.())) as { step: number; psnr: number }[];
    expect(history.length).toBeGreaterThan(0);
    expect(Number.isFinite(history[history.length - 1].psnr)).toBe(true);
    await shot(page, 'poses-03-training');
    await page.locator('[data-testid=stop]').click();
    expect(errors.filter((e) => e.startsWith('pageerror')), errors.join('\n')).toEqual([]);
  });
});
