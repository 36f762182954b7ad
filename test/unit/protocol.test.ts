import { describe, expect, it } from 'vitest';
import { BLENDER_8_VIEW_IDS, blenderSplit, blenderTestFrames, evenSplit, frameNumber, linspaceIndices, llffSplit, splitForScene, widestViewIds } from '../../src/eval/protocol';
import type { Scene } from '../../src/core/Scene';

describe('sparse-view protocol splits', () => {
  it('linspaceIndices matches numpy round(linspace(0, m-1, k)) (half to even)', () => {
    // numpy: np.round(np.linspace(0, 16, 3)) = [0, 8, 16]; np.round(np.linspace(0, 5, 3)) = [0, 2, 5] (2.5 -> 2)
    expect(linspaceIndices(17, 3)).toEqual([0, 8, 16]);
    expect(linspaceIndices(6, 3)).toEqual([0, 2, 5]);
    // np.round(np.linspace(0, 7, 3)) = [0, 4, 7] (3.5 -> 4)
    expect(linspaceIndices(8, 3)).toEqual([0, 4, 7]);
    expect(linspaceIndices(5, 1)).toEqual([0]);
  });

  it('LLFF: test every 8th image, train evenly over the rest', () => {
    const s = llffSplit(20, 3);
    expect(s.test).toEqual([0, 8, 16]);
    // rest = [1..7, 9..15, 17..19] (17 images); linspace picks rest[0], rest[8], rest[16].
    expect(s.train).toEqual([1, 10, 19]);
    for (const i of s.train) expect(s.test).not.toContain(i);
    expect(() => llffSplit(20, 18)).toThrow(/k=18/);
  });

  it('Blender: protocol ids within the train frames, every 8th test frame', () => {
    // The full NeRF-synthetic layout: 100 train frames, 200 test frames r_0 .. r_199.
    const splits = [...Array(100).fill('train'), ...Array(200).fill('test')] as ('train' | 'test')[];
    const names = [...Array.from({ length: 100 }, (_, i) => `r_${i}.png`), ...Array.from({ length: 200 }, (_, i) => `r_${i}.png`)];
    const every8th = Array.from({ length: 25 }, (_, i) => 100 + 8 * i);
    const s = blenderSplit(splits, undefined, names);
    expect(s.train).toEqual(BLENDER_8_VIEW_IDS);
    expect(s.test).toEqual(every8th);
    expect(s.test.map((i) => names[i])).toEqual(Array.from({ length: 25 }, (_, i) => `r_${8 * i}.png`));
    // Without names: every 8th test frame in file order, the same 25 here.
    expect(blenderSplit(splits).test).toEqual(every8th);
    // A test file already thinned to r_0, r_8, ..., r_192 (../shared/data): all 25 kept, not every 8th again.
    const thin = [...Array(100).fill('train'), ...Array(25).fill('test')] as ('train' | 'test')[];
    const thinNames = [...names.slice(0, 100), ...Array.from({ length: 25 }, (_, i) => `r_${8 * i}.png`)];
    expect(blenderSplit(thin, undefined, thinNames).test).toEqual(Array.from({ length: 25 }, (_, i) => 100 + i));
    // Names without frame numbers fall back to file order.
    const plain = [...names.slice(0, 100), ...Array.from({ length: 25 }, (_, i) => `view${String.fromCharCode(97 + i)}.png`)];
    expect(blenderSplit(thin, undefined, plain).test).toEqual([100, 108, 116, 124]);
    // Test frames first in the scene: ids still count within the train frames.
    const s2 = blenderSplit([...Array(200).fill('test'), ...Array(100).fill('train')] as ('train' | 'test')[]);
    expect(s2.train).toEqual(BLENDER_8_VIEW_IDS.map((i) => i + 200));
    expect(s2.test).toEqual(Array.from({ length: 25 }, (_, i) => 8 * i));
    expect(() => blenderSplit(Array(50).fill('train'))).toThrow(/55/);
    expect(() => blenderSplit(thin, undefined, [...names.slice(0, 100), ...Array.from({ length: 25 }, (_, i) => `r_${8 * i + 1}.png`)])).toThrow(/multiple of 8/);
  });

  it('frameNumber reads the trailing frame number of an image name', () => {
    expect(frameNumber('r_8.png')).toBe(8);
    expect(frameNumber('r_192')).toBe(192);
    expect(frameNumber('frame_00012.jpg')).toBe(12);
    expect(frameNumber('r_8_depth_0001.png')).toBe(1);
    expect(frameNumber('view.png')).toBeUndefined();
    expect(blenderTestFrames([5, 6, 7], ['', '', '', '', '', 'r_0.png', 'r_4.png', 'r_16.png'])).toEqual([5, 7]);
  });

  it('even split and splitForScene dispatch by protocol', () => {
    expect(evenSplit(10, 3)).toEqual({ train: [0, 4, 9], test: [1, 2, 3, 5, 6, 7, 8] });
    const scene = (protocol: Scene['protocol'], n: number, imageSplits?: Scene['imageSplits']) =>
      ({ protocol, cameras: Array(n), imageSplits, imageNames: Array.from({ length: n }, (_, i) => `r_${i}.png`) }) as unknown as Scene;
    expect(splitForScene(scene('llff', 20), 3)).toEqual(llffSplit(20, 3));
    expect(splitForScene(scene('even', 10), 3)).toEqual(evenSplit(10, 3));
    const sp = [...Array(100).fill('train'), ...Array(25).fill('test')] as ('train' | 'test')[];
    expect(splitForScene(scene('blender', 125, sp), 8).train).toEqual(BLENDER_8_VIEW_IDS);
    expect(splitForScene(scene('blender', 125, sp), 4).train).toEqual([0, 33, 66, 99]);
    // Names r_100 .. r_124 for the test frames: the multiples of 8 among them.
    expect(splitForScene(scene('blender', 125, sp), 8).test).toEqual([104, 112, 120]);
    // Fewer train frames than asked: each of them once (linspace would repeat frame 0).
    const two = ['train', 'train', ...Array(7).fill('test')] as ('train' | 'test')[];
    expect(splitForScene(scene('blender', 9, two), 3)).toEqual({ train: [0, 1], test: [8] });
  });

  it('widestViewIds: 120 degrees apart on a ring, the max-min angle of a brute-force search elsewhere', () => {
    const ring = Array.from({ length: 12 }, (_, i) => [Math.cos((i * Math.PI) / 6) * 4, Math.sin((i * Math.PI) / 6) * 4, 1]);
    expect(widestViewIds(ring, 3)).toEqual([0, 4, 8]);
    expect(widestViewIds(ring, 2)).toEqual([0, 6]);
    expect(widestViewIds(ring, 1)).toEqual([0]);
    // Random centres: the triple's smallest pairwise angle equals the best over all triples.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const pts = Array.from({ length: 15 }, () => [rnd(), rnd(), Math.abs(rnd()) + 0.1]);
    const ang = (a: number[], b: number[]) => Math.acos((a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (Math.hypot(...a) * Math.hypot(...b)));
    const minAngle = (t: number[]) => Math.min(ang(pts[t[0]], pts[t[1]]), ang(pts[t[0]], pts[t[2]]), ang(pts[t[1]], pts[t[2]]));
    let best = 0;
    for (let a = 0; a < 15; a++) for (let b = a + 1; b < 15; b++) for (let c = b + 1; c < 15; c++) best = Math.max(best, minAngle([a, b, c]));
    expect(minAngle(widestViewIds(pts, 3))).toBeCloseTo(best, 12);
    // k = 4 keeps the best triple and adds the view farthest from it.
    const four = widestViewIds(pts, 4);
    expect(four).toEqual(expect.arrayContaining(widestViewIds(pts, 3)));
    expect(() => widestViewIds(pts, 0)).toThrow(/k=0/);
    expect(() => widestViewIds([[0, 0, 0], [1, 0, 0]], 2)).toThrow(/camera 0 sits on the target/);
  });
});
