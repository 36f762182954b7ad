/**
 * Loading a phone capture in the studio (issue 13, points 1 and 6): a .zip of 67 JPEGs of
 * 1080x1920 with transforms.json and OPENCV distortion (see photoZipFixture.ts) opens through the
 * file input, while the panel shows a progress bar with the stage and count ("Decoding 23/67")
 * instead of the previous scene. The browser's decoders run in workers. The load time (issue 13's
 * target: < 10 s on the 2-core machine) is printed, not asserted: CPU timings depend on the
 * machine's load, and a timed assertion would fail CI for the wrong reason. The assertion is only a
 * hang guard (SPARSESPLAT_LOAD_LIMIT_MS to tighten it, e.g. 10000 on a quiet machine).
 */
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shot, startStudio, watchConsole, type Studio } from './harness';
import { hasPhotoSources, photoZip, type PhotoZip } from './photoZipFixture';

const COUNT = 67;
/** Hang guard (the 10 s target is measured and printed); SPARSESPLAT_LOAD_LIMIT_MS sets it. */
const LIMIT_MS = Number(process.env.SPARSESPLAT_LOAD_LIMIT_MS) || 90_000;

describe.skipIf(!hasPhotoSources)('loading a 67-photo phone capture (e2e)', () => {
  let studio: Studio;
  let page: Page;
  let errors: string[];
  let zip: PhotoZip;
  const workers: string[] = [];

  beforeAll(async () => {
    zip = photoZip(COUNT, 1080, 1920);
    studio = await startStudio();
    page = await studio.browser.newPage({ viewport: { width: 1100, height: 700 } });
    errors = watchConsole(page);
    page.on('worker', (w) => workers.push(w.url()));
    // No sample scene: the page is idle when the load starts.
    await page.goto(`${studio.url}?fresh&sample=0`);
    await page.locator('[data-testid=gpu-status][data-status=ok]').waitFor({ timeout: 60_000 });
    // The dev server has served every module the studio imports up front (the built studio has them
    // bundled): the timing below is the load's, not Vite's first transforms.
    await page.waitForLoadState('networkidle');
  });
  afterAll(async () => {
    if (errors?.length) console.log('browser errors:\n' + errors.join('\n'));
    await studio?.close();
  });

  it('loads a zip of 67 1080x1920 JPGs (OPENCV distortion), showing progress; prints the time (target < 10 s)', async () => {
    // Record every text the progress bar shows, and when, from inside the page.
    await page.evaluate(() => {
      const seen: { t: number; text: string }[] = [];
      (window as any).__loadSeen = seen;
      let last = '';
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid=load-progress-text]');
        const text = el?.textContent ?? '';
        if (text && text !== last) seen.push({ t: performance.now(), text });
        last = text;
        const loaded = [...document.querySelectorAll('[data-testid=notice-info]')].find((n) => n.textContent?.includes('Loaded'));
        if (loaded && !(window as any).__loadedAt) (window as any).__loadedAt = performance.now();
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
      document.querySelector('[data-testid=file-input]')?.addEventListener('change', () => ((window as any).__changeAt = performance.now()), { capture: true });
    });
    const pageT0 = (await page.evaluate(() => performance.now())) as number;
    const t0 = Date.now();
    await page.locator('[data-testid=file-input]').setInputFiles(zip.path);
    const notice = page.locator('[data-testid=notice-info]', { hasText: 'Loaded' }).last();
    await notice.waitFor({ timeout: 120_000 });
    const wallMs = Date.now() - t0;
    const text = (await notice.textContent()) ?? '';
    const { seen, loadedAt, changeAt } = (await page.evaluate(() => ({
      seen: (window as any).__loadSeen,
      loadedAt: (window as any).__loadedAt,
      changeAt: (window as any).__changeAt,
    }))) as { seen: { t: number; text: string }[]; loadedAt: number; changeAt: number };
    const pageMs = loadedAt - pageT0;
    const firstAt = (re: RegExp) => {
      const s = seen.find((x) => re.test(x.text));
      return s ? `${((s.t - pageT0) / 1000).toFixed(2)} s` : 'never';
    };
    console.log(
      `load of ${zip.count} JPEGs ${zip.width}x${zip.height} (zip ${(zip.bytes / 1e6).toFixed(1)} MB, mean JPEG ${Math.round(zip.meanJpeg / 1000)} KB): ` +
        `${(wallMs / 1000).toFixed(2)} s from setInputFiles to the Loaded notice (in page: ${(pageMs / 1000).toFixed(2)} s, ` +
        `of which ${((changeAt - pageT0) / 1000).toFixed(2)} s until the input's change event); load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores; ` +
        `${seen.length} progress texts; first "Decoding" at ${firstAt(/Decoding/)}, first "Undistorting" at ${firstAt(/Undistorting/)}, ` +
        `all decoded by ${firstAt(/^Undistorting/)}; ` +
        `last text "${seen[seen.length - 1]?.text}"; workers: ${workers.filter((w) => w.includes('imageWorker')).length}`,
    );
    const timeline = seen.filter((_, i) => i < 4 || i % 10 === 0 || i === seen.length - 1);
    console.log('progress timeline (s since setInputFiles):\n' + timeline.map((x) => `  ${((x.t - pageT0) / 1000).toFixed(2)}  ${x.text}`).join('\n'));
    expect(text).toMatch(new RegExp(`Loaded .*${COUNT} posed photos \\(576x1024\\)`));
    expect(await page.locator('[data-testid^=thumb-]').count()).toBe(COUNT);
    // The progress bar was shown with a decode count, and went away when the scene came.
    expect(seen.some((s) => new RegExp(`Decoding \\d+/${COUNT}`).test(s.text)), JSON.stringify(seen.slice(0, 10))).toBe(true);
    expect(seen.some((s) => new RegExp(`Undistorting \\d+/${COUNT}`).test(s.text))).toBe(true);
    expect(await page.locator('[data-testid=load-progress]').count()).toBe(0);
    // Decoded by the browser in workers, not by jpeg-js on the page.
    expect(workers.some((w) => w.includes('imageWorker'))).toBe(true);
    await shot(page, '10-capture67-loaded');
    expect(wallMs).toBeLessThan(LIMIT_MS);
  });
});
