/**
 * Load progress (loadScene's onProgress) and the image-worker protocol (issue 13 points 1 and 6):
 * the stage accounting and its text, the worker reply checks, the shared size rules, the RGBA8
 * shrink and orientation the worker applies, and the stages a real load reports (Node path).
 */
import { encode as encodePng } from 'fast-png';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { imageFromRGBA8 } from '../../src/core/Image';
import { browserDecodeAvailable, decodePoolSize } from '../../src/io/browserImageDecode';
import { memorySource, zipSource } from '../../src/io/FileSource';
import { applyOrientation, decodeImage, resizeImage } from '../../src/io/imageDecode';
import { fitSize, orientRGBA8, parseDecodeResponse, resizeRGBA8, scaledDecodeSize } from '../../src/io/imageWorkerProtocol';
import { createProgressTracker, progressFraction, progressText, type LoadProgress } from '../../src/io/loadProgress';
import { loadScene } from '../../src/io/loadScene';
import { undistortImage } from '../../src/io/undistort';

describe('progress accounting', () => {
  it('counts each stage, reports text and fraction, and never passes the total', () => {
    const seen: LoadProgress[] = [];
    const t = createProgressTracker(['unzip', 'decode', 'undistort'], 3, (p) => seen.push(p));
    t.tick('unzip', 'a.jpg');
    t.tick('unzip');
    t.tick('decode');
    expect(seen.map((p) => p.text)).toEqual(['Unzipping 1/3', 'Unzipping 2/3', 'Unzipping 2/3 · Decoding 1/3']);
    expect(seen[0].file).toBe('a.jpg');
    expect(seen[2]).toMatchObject({ stage: 'decode', done: 1, total: 3 });
    t.tick('read'); // not a stage of this load: ignored
    for (let i = 0; i < 5; i++) t.tick('unzip');
    expect(t.count('unzip')).toBe(3);
    expect(seen[seen.length - 1].text).toBe('Decoding 1/3');
    for (let i = 0; i < 3; i++) t.tick('undistort');
    t.tick('decode');
    t.tick('decode');
    const last = seen[seen.length - 1];
    expect(last.text).toBe('Undistorting 3/3');
    expect(last.fraction).toBeCloseTo(1, 12);
    const fr = seen.map((p) => p.fraction);
    for (let i = 1; i < fr.length; i++) expect(fr[i]).toBeGreaterThanOrEqual(fr[i - 1]);
  });

  it('text and fraction before anything started', () => {
    const stages = [{ stage: 'read' as const, done: 0, total: 4 }, { stage: 'decode' as const, done: 0, total: 4 }];
    expect(progressText({ stages })).toBe('Reading 0/4');
    expect(progressFraction({ stages })).toBe(0);
    expect(progressFraction({ stages: [] })).toBe(0);
  });
});

describe('image worker protocol', () => {
  const ok = { id: 7, ok: true, width: 2, height: 3, sourceWidth: 4, sourceHeight: 6, rgba: new ArrayBuffer(24) };
  it('accepts a well-formed reply', () => {
    expect(parseDecodeResponse(ok, 7)).toEqual(ok);
  });
  it('turns malformed replies into failures (wrong id, sizes, buffer)', () => {
    expect(parseDecodeResponse(ok, 8).ok).toBe(false);
    expect(parseDecodeResponse({ ...ok, rgba: new ArrayBuffer(20) }, 7)).toMatchObject({ ok: false, error: expect.stringMatching(/20 bytes for 2x3/) });
    expect(parseDecodeResponse({ ...ok, width: 0 }, 7).ok).toBe(false);
    expect(parseDecodeResponse({ ...ok, rgba: new Uint8Array(24) }, 7).ok).toBe(false);
    expect(parseDecodeResponse(null, 7).ok).toBe(false);
    expect(parseDecodeResponse('x', 7).ok).toBe(false);
  });
  it('passes failures through, keeping "unsupported"', () => {
    expect(parseDecodeResponse({ id: 7, ok: false, error: 'bad', unsupported: true }, 7)).toEqual({ id: 7, ok: false, error: 'bad', unsupported: true });
    expect(parseDecodeResponse({ id: 7, ok: false }, 7)).toEqual({ id: 7, ok: false, error: 'decoding failed' });
  });
  it('size rules: shrink then long side, never upscaling; symmetric under a transpose', () => {
    expect(fitSize(1080, 1920, { maxLongSide: 1024 })).toEqual([576, 1024]);
    expect(fitSize(1920, 1080, { maxLongSide: 1024 })).toEqual([1024, 576]);
    expect(fitSize(4032, 3024, { shrink: 8 })).toEqual([504, 378]);
    expect(fitSize(4032, 3024, { shrink: 8, maxLongSide: 256 })).toEqual([256, 192]);
    expect(fitSize(400, 300, { maxLongSide: 1024 })).toEqual([400, 300]);
    expect(fitSize(400, 300)).toEqual([400, 300]);
    for (const [w, h] of [[1000, 777], [33, 1001], [4032, 3024]]) {
      const [a, b] = fitSize(w, h, { shrink: 3, maxLongSide: 300 });
      expect(fitSize(h, w, { shrink: 3, maxLongSide: 300 })).toEqual([b, a]);
    }
  });
  it('scaled JPEG decode: the smallest M/8 scale that covers the target', () => {
    expect(scaledDecodeSize(1080, 1920, [576, 1024])).toEqual([675, 1200]); // 5/8
    expect(scaledDecodeSize(1080, 1920, [540, 960])).toEqual([540, 960]); // 4/8 exactly
    expect(scaledDecodeSize(4032, 3024, [504, 378])).toEqual([504, 378]); // 1/8
    expect(scaledDecodeSize(1080, 1920, [1000, 1778])).toBeUndefined(); // needs 8/8
    expect(scaledDecodeSize(1080, 1920, [1080, 1920])).toBeUndefined();
  });
  it('pool size: 2 to 4 workers', () => {
    expect(decodePoolSize(1)).toBe(2);
    expect(decodePoolSize(2)).toBe(2);
    expect(decodePoolSize(3)).toBe(3);
    expect(decodePoolSize(64)).toBe(4);
    expect(decodePoolSize(0)).toBe(2);
  });
  it('Node has no browser decoder: the pure-JS one runs', () => {
    expect(browserDecodeAvailable()).toBe(false);
  });
});

function pattern(W: number, H: number, withAlpha: boolean): Uint8Array {
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    rgba[i * 4] = (i * 37) % 256;
    rgba[i * 4 + 1] = (i * 11 + 50) % 256;
    rgba[i * 4 + 2] = (i * 5 + 100) % 256;
    rgba[i * 4 + 3] = withAlpha ? (i * 23) % 256 : 255;
  }
  return rgba;
}

describe('RGBA8 shrink and orientation (worker side)', () => {
  it('alpha-weighted area average composites like resizeImage on the composited image', () => {
    const [W, H, w, h] = [37, 23, 16, 9];
    const bg: [number, number, number] = [0.2, 0.5, 1];
    for (const withAlpha of [false, true]) {
      const rgba = pattern(W, H, withAlpha);
      const expected = resizeImage(imageFromRGBA8(rgba, W, H, bg), w, h);
      const got = imageFromRGBA8(resizeRGBA8(rgba, W, H, w, h), w, h, bg);
      let worst = 0;
      for (let i = 0; i < expected.data.length; i++) worst = Math.max(worst, Math.abs(expected.data[i] - got.data[i]));
      // 8-bit rounding of colour and alpha: about 1/255 each.
      expect(worst).toBeLessThan(2.5 / 255);
    }
  });
  it('same size: the input back', () => {
    const rgba = pattern(5, 4, true);
    expect(resizeRGBA8(rgba, 5, 4, 5, 4)).toBe(rgba);
  });
  it('orientRGBA8 is what applyOrientation does, for all 8 orientations', () => {
    const rgba = pattern(5, 3, true);
    for (let o = 1; o <= 8; o++) {
      const a = orientRGBA8(rgba, 5, 3, o);
      const b = applyOrientation({ width: 5, height: 3, rgba }, o);
      expect([a.width, a.height]).toEqual(o >= 5 ? [3, 5] : [5, 3]);
      expect([b.width, b.height]).toEqual([a.width, a.height]);
      expect(Buffer.from(a.rgba).equals(Buffer.from(b.rgba))).toBe(true);
    }
    // Orientation 6 (rotate 90 degrees clockwise): the stored bottom-left pixel lands top-left.
    const o6 = orientRGBA8(rgba, 5, 3, 6);
    expect([...o6.rgba.subarray(0, 4)]).toEqual([...rgba.subarray(2 * 5 * 4, 2 * 5 * 4 + 4)]);
  });
});

describe('undistortion map cache', () => {
  it('a second image with the same intrinsics undistorts exactly as the first did, another set differs', () => {
    const img = imageFromRGBA8(pattern(24, 16, false), 24, 16);
    const d = { k1: 0.08, k2: -0.02, p1: 0.004, p2: -0.003 };
    const a = undistortImage(img, 20, 21, 12.2, 7.9, d);
    undistortImage(img, 20, 21, 12.2, 7.9, { ...d, k1: 0 }); // another map enters the cache
    const b = undistortImage(img, 20, 21, 12.2, 7.9, d);
    expect(b.data).toEqual(a.data);
    const c = undistortImage(img, 20, 21, 12.2, 7.9, { ...d, k1: 0.2 });
    expect(c.data).not.toEqual(a.data);
  });
});

describe('loadScene onProgress', () => {
  const W = 12;
  const H = 8;
  const png = (seed: number) => encodePng({ width: W, height: H, data: pattern(W, H, false).map((v) => (v + seed) % 256), channels: 4 });
  const transforms = (distorted: boolean) => ({
    fl_x: 10,
    fl_y: 10,
    cx: W / 2,
    cy: H / 2,
    w: W,
    h: H,
    ...(distorted ? { k1: 0.05, k2: 0, p1: 0, p2: 0 } : {}),
    frames: [0, 1, 2].map((i) => ({ file_path: `images/${i}.png`, transform_matrix: [[1, 0, 0, i], [0, 1, 0, 0], [0, 0, 1, 3], [0, 0, 0, 1]] })),
  });
  const files = (distorted: boolean): Record<string, Uint8Array> => ({
    'transforms.json': new TextEncoder().encode(JSON.stringify(transforms(distorted))),
    ...Object.fromEntries([0, 1, 2].map((i) => [`images/${i}.png`, png(i * 40)])),
  });

  it('folder: reading and decoding, each image once; no undistort stage without distortion', async () => {
    const seen: LoadProgress[] = [];
    const scene = await loadScene(memorySource('cap', files(false)), { onProgress: (p) => seen.push(p) });
    expect(scene.cameras.length).toBe(3);
    expect(seen.length).toBe(6);
    expect(seen[0].stages.map((s) => s.stage)).toEqual(['read', 'decode']);
    expect(seen.filter((p) => p.stage === 'decode').map((p) => p.file)).toEqual(['images/0.png', 'images/1.png', 'images/2.png']);
    expect(seen[seen.length - 1].text).toBe('Decoding 3/3');
    expect(seen[seen.length - 1].fraction).toBeCloseTo(1, 12);
  });

  it('zip with OPENCV distortion: unzipping, decoding and undistorting', async () => {
    const seen: LoadProgress[] = [];
    const zip = zipSync(Object.fromEntries(Object.entries(files(true)).map(([k, v]) => [`cap/${k}`, v])));
    const scene = await loadScene(zipSource('cap.zip', zip), { onProgress: (p) => seen.push(p), maxLongSide: 6 });
    expect(scene.images.map((im) => [im.width, im.height])).toEqual([[6, 4], [6, 4], [6, 4]]);
    expect(seen[0].stages.map((s) => s.stage)).toEqual(['unzip', 'decode', 'undistort']);
    expect(seen.filter((p) => p.stage === 'undistort').length).toBe(3);
    expect(seen.some((p) => /Unzipping \d\/3/.test(p.text))).toBe(true);
    expect(seen[seen.length - 1].text).toBe('Undistorting 3/3');
  });

  it('the decoded format is unchanged in Node: full size, no `source`', async () => {
    const dec = await decodeImage('a.png', png(0), undefined, { fit: { maxLongSide: 4 } });
    expect([dec.width, dec.height, dec.rgba.length]).toEqual([W, H, W * H * 4]);
    expect(dec.source).toBeUndefined();
  });
});
