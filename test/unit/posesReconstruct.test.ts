import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random';
import { reconstructFromMatches } from '../../src/poses/reconstructFromMatches';
import { poseErrors } from '../../src/poses/sim3';
import type { PairMatches } from '../../src/poses/types';
import { guesses, makeMatches, makeScene } from './posesSynthetic';

describe('reconstructFromMatches on synthetic scenes (0.5 px noise, 25% outlier matches)', () => {
  for (const [kind, nViews] of [['forward', 5], ['orbit', 6]] as const) {
    it(`${kind} rig with ${nViews} views and a 20%-off focal guess recovers poses and focal`, () => {
      const scene = makeScene(kind, nViews, 21, 500, 300);
      const { views, matches } = makeMatches(scene, { noisePx: 0.5, outlierFraction: 0.25, seed: 5 });
      const stages: string[] = [];
      // a 20%-off focal is what the 55-degree fallback gives: its weak prior (FOCAL_PRIOR_SIGMA.fallback) applies
      const guess = guesses(scene, 1.2).map((g) => ({ ...g, source: 'default-55deg' as const }));
      const result = reconstructFromMatches(views, guess, matches, { onProgress: (s) => stages.push(s) });
      expect(result.failures).toEqual([]);
      expect(result.cameras.every((c) => c !== null)).toBe(true);
      const est = result.cameras.map((c) => ({ R: c!.R, t: c!.t, focal: c!.fx }));
      const errors = poseErrors(est, scene.cameras);
      console.log(kind, 'rot', Math.max(...errors.rotationDeg).toFixed(3), 'dir', Math.max(...errors.translationDirectionDeg).toFixed(3), 'focal%', Math.max(...errors.focalErrorPercent).toFixed(3), 'rms', result.report.rmsPx.toFixed(3), 'points', result.report.points, result.report.timingsMs.totalMs.toFixed(0), 'ms');
      expect(Math.max(...errors.rotationDeg)).toBeLessThan(0.5);
      expect(Math.max(...errors.relativeRotationDeg)).toBeLessThan(0.5);
      expect(Math.max(...errors.translationDirectionDeg)).toBeLessThan(2);
      expect(Math.max(...errors.focalErrorPercent)).toBeLessThan(2);
      expect(result.report.rmsPx).toBeLessThan(1);
      expect(result.report.points).toBeGreaterThan(150);
      expect(stages).toContain('verify');
      // scale normalization: median camera-centre distance to the points' median is 1
      const xyz = result.points.xyz;
      const med = [0, 1, 2].map((d) => {
        const v = Array.from({ length: xyz.length / 3 }, (_, k) => xyz[3 * k + d]).sort((a, b) => a - b);
        return v[v.length >> 1];
      });
      const dists = result.cameras.map((c) => Math.hypot(...c!.center.map((x, d) => x - med[d]))).sort((a, b) => a - b);
      expect(dists[dists.length >> 1]).toBeGreaterThan(0.9);
      expect(dists[dists.length >> 1]).toBeLessThan(1.1);
    });
  }
});

describe('reconstructFromMatches bad inputs', () => {
  const scene = makeScene('forward', 4, 3, 500, 300);
  const { views, matches } = makeMatches(scene, { seed: 2, names: ['IMG_1.jpg', 'IMG_2.jpg', 'IMG_3.jpg', 'IMG_4.jpg'] });

  it('one photo, NaN coordinates, non-positive focal and wrong sizes throw naming the photo and field', () => {
    expect(() => reconstructFromMatches(views.slice(0, 1), guesses(scene).slice(0, 1), [])).toThrow(/at least 2 photos/);
    const nanViews = views.map((v) => ({ ...v, xy: Float32Array.from(v.xy) }));
    nanViews[2].xy[5] = NaN;
    expect(() => reconstructFromMatches(nanViews, guesses(scene), matches)).toThrow(/IMG_3\.jpg.*xy/);
    const badFocal = guesses(scene);
    badFocal[1] = { ...badFocal[1], focalPx: 0 };
    expect(() => reconstructFromMatches(views, badFocal, matches)).toThrow(/IMG_2\.jpg.*focalPx/);
    const badRgb = views.map((v) => ({ ...v }));
    badRgb[0].rgb = new Float32Array(3);
    expect(() => reconstructFromMatches(badRgb, guesses(scene), matches)).toThrow(/IMG_1\.jpg.*rgb/);
    const badIdx: PairMatches[] = [{ i: 0, j: 1, idx: Uint32Array.from([0, 1e6]) }];
    expect(() => reconstructFromMatches(views, guesses(scene), badIdx)).toThrow(/IMG_1\.jpg - IMG_2\.jpg/);
  });

  it('two identical photos: a clear error naming them, quickly', () => {
    const same = [views[0], { ...views[0], name: 'IMG_copy.jpg' }];
    const n = views[0].xy.length / 2;
    const idx = Uint32Array.from({ length: 2 * n }, (_, q) => q >> 1);
    const t0 = Date.now();
    expect(() => reconstructFromMatches(same, guesses(scene).slice(0, 2), [{ i: 0, j: 1, idx }])).toThrow(/IMG_1\.jpg and IMG_copy\.jpg were taken from the same spot/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a photo of an unrelated scene (random matches) is named in failures and the rest go on', () => {
    const random = new Random(4);
    const unrelated = matches.map((m) => {
      if (m.j !== 3) return m;
      const idx = new Uint32Array(m.idx.length);
      const nj = views[3].xy.length / 2;
      for (let q = 0; q < idx.length; q += 2) {
        idx[q] = m.idx[q];
        idx[q + 1] = random.int(nj);
      }
      return { ...m, idx };
    });
    const result = reconstructFromMatches(views, guesses(scene), unrelated);
    expect(result.failures.map((f) => f.name)).toEqual(['IMG_4.jpg']);
    expect(result.failures[0].reason).toMatch(/IMG_4\.jpg shares too few matches with the other photos \(\d+ inlier matches, need 30\)/);
    expect(result.cameras[3]).toBeNull();
    expect(result.cameras.slice(0, 3).every((c) => c !== null)).toBe(true);
    const errors = poseErrors(result.cameras.slice(0, 3).map((c) => ({ R: c!.R, t: c!.t })), scene.cameras.slice(0, 3));
    expect(Math.max(...errors.relativeRotationDeg)).toBeLessThan(0.5);
  });

  it('all photos unrelated: an error naming a photo', () => {
    const random = new Random(8);
    const noise = matches.map((m) => ({ ...m, idx: Uint32Array.from(m.idx, (x, q) => (q % 2 ? random.int(views[m.j].xy.length / 2) : x)) }));
    expect(() => reconstructFromMatches(views, guesses(scene), noise, { ransacIters: 300 })).toThrow(/IMG_\d\.jpg shares at most \d+ inlier matches/);
  });
});
