import { describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import type { ImageRGB } from '../../src/core/Image';
import { EnvironmentBackground } from '../../src/train/EnvironmentBackground';
import { depthRangeOf } from '../../src/train/Trainer';

const W = 20;
const H = 10;
/** Identity-rotation camera centred at (cx0, 0, 0), looking down +z, f = 10 px. */
const cameraAt = (cx0: number, name = ''): Camera => new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [-cx0, 0, 0], 10, 10, W / 2, H / 2, W, H, name);

/** Left half red, right half green. */
function halves(): ImageRGB {
  const data = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[(y * W + x) * 3 + (x < W / 2 ? 0 : 1)] = 1;
  return { width: W, height: H, data };
}

describe('EnvironmentBackground', () => {
  const train = cameraAt(0, 'train');
  const env = EnvironmentBackground.fromViews([train], [halves()], [1, 10], 0);

  it('leaves what a training view saw alone: a render from the training camera keeps its background', () => {
    const { share, colour } = env.sample(train);
    expect(Math.max(...share)).toBe(0);
    expect(Math.max(...colour)).toBe(0);
    const rgb = new Float32Array(W * H * 3).fill(0.25);
    env.composite(rgb, new Float32Array(W * H), train, [0.25, 0.25, 0.25]);
    expect(Math.min(...rgb)).toBe(0.25);
    expect(Math.max(...rgb)).toBe(0.25);
  });

  it('fills a view beside every training frustum with the photo border extended (clamp-to-edge), weighted by T', () => {
    // 100 units to the right: at depths 1..10 every ray point projects past the photo's right edge
    const side = cameraAt(100, 'side');
    const { share } = env.sample(side);
    expect(Math.min(...share)).toBe(1);
    const rgb = new Float32Array(W * H * 3);
    const alpha = new Float32Array(W * H).fill(0.5);
    alpha[0] = 1; // a covered pixel keeps its colour
    env.composite(rgb, alpha, side, [0, 0, 0]);
    expect(rgb.subarray(0, 3)).toEqual(new Float32Array([0, 0, 0]));
    for (let p = 1; p < W * H; p++) {
      // the right border of the photo is green; T = 0.5
      expect(rgb[p * 3]).toBeCloseTo(0, 6);
      expect(rgb[p * 3 + 1]).toBeCloseTo(0.5, 6);
      expect(rgb[p * 3 + 2]).toBeCloseTo(0, 6);
    }
  });

  it('grades the share along the ray: near depths beside the frustum are unseen, far ones seen', () => {
    // 1 unit to the right; column x's ray point at depth z projects to u = 10 / z + x + 0.5 in the photo
    const s = env.sample(cameraAt(1)).share;
    const row = H / 2;
    expect(s[row * W]).toBe(0); // u = 10 / z + 0.5 <= 10.5: always inside
    expect(s[row * W + W - 1]).toBe(1); // u = 10 / z + 19.5 > 20: never inside
    const mid = s[row * W + 15]; // u = 10 / z + 15.5 > 20 for z < 2.2: disparities 1 .. 0.45 of 1 .. 0.1, share^2
    expect(mid).toBeGreaterThan(0.5 ** 2);
    expect(mid).toBeLessThan(0.7 ** 2);
  });

  it('fills a view looking away from every training camera with the photos\' mean colour', () => {
    // turned 180 degrees about y: every ray point is behind the training camera
    const away = new Camera([-1, 0, 0, 0, 1, 0, 0, 0, -1], [0, 0, 0], 10, 10, W / 2, H / 2, W, H, 'away');
    const { share, colour } = env.sample(away);
    expect(Math.min(...share)).toBe(1);
    for (let p = 0; p < W * H; p++) {
      expect(colour[p * 3]).toBeCloseTo(0.5, 6);
      expect(colour[p * 3 + 1]).toBeCloseTo(0.5, 6);
      expect(colour[p * 3 + 2]).toBe(0);
    }
  });

  it('rejects bad input, naming it', () => {
    expect(() => EnvironmentBackground.fromViews([train], [{ width: W, height: H, data: new Float32Array(30) }], [1, 2])).toThrow(/photo 0 has 30 values, 20x10x3 expected/);
    const nan = halves();
    nan.data[5] = NaN;
    expect(() => EnvironmentBackground.fromViews([train], [nan], [1, 2])).toThrow(/non-finite/);
    expect(() => EnvironmentBackground.fromViews([train], [halves()], [5e-324, 10])).toThrow(/0 < near < far/);
    expect(() => EnvironmentBackground.fromViews([], [], [1, 2])).toThrow(/one photo per camera/);
    expect(() => EnvironmentBackground.fromViews([train], [halves()], [2, 1])).toThrow(/0 < near < far/);
    expect(() => EnvironmentBackground.fromViews([train], [halves()], [1, 2], 1)).toThrow(/blur must be in \[0, 1\)/);
    expect(() => EnvironmentBackground.fromViews([train], [{ width: 4, height: 4, data: new Float32Array(48) }], [1, 2])).toThrow(/photo 0 is 4x4, its camera 20x10/);
    expect(() => env.composite(new Float32Array(3), new Float32Array(1), train, [0, 0, 0])).toThrow(/camera 20x10/);
  });

  it('depthRangeOf takes the 2nd and 98th percentile of the points in front of the cameras', () => {
    const means = new Float32Array(101 * 3);
    for (let i = 0; i <= 100; i++) means[3 * i + 2] = 1 + i; // z = 1 .. 101
    expect(depthRangeOf(means, [train])).toEqual([3, 99]);
    expect(depthRangeOf(new Float32Array([0, 0, -5]), [train])).toEqual([1, 100]);
  });
});
