import { describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import { depthBoundsFromPoints } from '../../src/depth/depthRange';
import { reconstructFromMatches } from '../../src/poses/reconstructFromMatches';
import { guesses, makeMatches, makeScene } from './posesSynthetic';

describe('depthBoundsFromPoints (LLFF poses_bounds rule)', () => {
  it('gives the 0.1 / 99.9 percentiles of the depths of the points in view, and null for a camera that sees too few', () => {
    const cam = new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0], 100, 100, 50, 50, 100, 100);
    const away = new Camera([-1, 0, 0, 0, 1, 0, 0, 0, -1], [0, 0, 0], 100, 100, 50, 50, 100, 100);
    // 1001 points on the optical axis at depths 1..11 (step 0.01), plus points behind and outside the image
    const xyz: number[] = [];
    for (let k = 0; k <= 1000; k++) xyz.push(0, 0, 1 + k * 0.01);
    xyz.push(0, 0, -5, 100, 0, 2, 0, -100, 3);
    const [b, none] = depthBoundsFromPoints([cam, away], xyz);
    // numpy: percentile(linspace(1, 11, 1001), [0.1, 99.9]) = [1.01, 10.99]
    expect(b![0]).toBeCloseTo(1.01, 9);
    expect(b![1]).toBeCloseTo(10.99, 9);
    // the camera looking the other way sees only the point at z = -5
    expect(none).toBeNull();
  });
});

describe('focal prior in reconstructFromMatches', () => {
  it('sigma 0 holds an EXIF focal fixed; the default lets a 55-degree fallback move to the truth', () => {
    const scene = makeScene('orbit', 4, 8, 500, 150);
    const { views, matches } = makeMatches(scene, { noisePx: 0.5, outlierFraction: 0.1, seed: 9 });
    const exif = guesses(scene, 1.05).map((g) => ({ ...g, source: 'exif-35mm' as const }));
    const fixed = reconstructFromMatches(views, exif, matches, { focalPriorSigma: { known: 0 } });
    expect(fixed.cameras.every((c) => c && c.fx === 525)).toBe(true);
    const fallback = guesses(scene, 1.05).map((g) => ({ ...g, source: 'default-55deg' as const }));
    const free = reconstructFromMatches(views, fallback, matches);
    expect(Math.abs(free.cameras[0]!.fx - 500)).toBeLessThan(5);
  });
});
