import { describe, expect, it } from 'vitest';
import { BLENDER_8_VIEW_IDS, blenderSplit, evenSplit, linspaceIndices, llffSplit, splitForScene } from '../../src/eval/protocol';
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

  it('Blender: protocol ids within the train frames, every test frame', () => {
    const splits = [...Array(100).fill('train'), ...Array(25).fill('test')] as ('train' | 'test')[];
    const s = blenderSplit(splits);
    expect(s.train).toEqual(BLENDER_8_VIEW_IDS);
    expect(s.test).toEqual(Array.from({ length: 25 }, (_, i) => 100 + i));
    // Test frames first in the scene: ids still count within the train frames.
    const s2 = blenderSplit([...Array(25).fill('test'), ...Array(100).fill('train')] as ('train' | 'test')[]);
    expect(s2.train).toEqual(BLENDER_8_VIEW_IDS.map((i) => i + 25));
    expect(() => blenderSplit(Array(50).fill('train'))).toThrow(/55/);
  });

  it('even split and splitForScene dispatch by protocol', () => {
    expect(evenSplit(10, 3)).toEqual({ train: [0, 4, 9], test: [1, 2, 3, 5, 6, 7, 8] });
    const scene = (protocol: Scene['protocol'], n: number, imageSplits?: Scene['imageSplits']) =>
      ({ protocol, cameras: Array(n), imageSplits }) as unknown as Scene;
    expect(splitForScene(scene('llff', 20), 3)).toEqual(llffSplit(20, 3));
    expect(splitForScene(scene('even', 10), 3)).toEqual(evenSplit(10, 3));
    const sp = [...Array(100).fill('train'), ...Array(25).fill('test')] as ('train' | 'test')[];
    expect(splitForScene(scene('blender', 125, sp), 8).train).toEqual(BLENDER_8_VIEW_IDS);
    expect(splitForScene(scene('blender', 125, sp), 4).train).toEqual([0, 33, 66, 99]);
  });
});
