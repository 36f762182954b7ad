import { describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import type { Scene } from '../../src/core/Scene';
import { packScene, unpackScene } from '../../src/app/persist';

/** A 2-view 4x3 RGBA-derived scene with sparse points and named splits. */
function rgbaScene(): Scene {
  const W = 4;
  const H = 3;
  const cam = (x: number, name: string) => new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [-x, 0, 0], 5, 5, W / 2, H / 2, W, H, name);
  const image = (seed: number) => ({ width: W, height: H, data: Float32Array.from({ length: W * H * 3 }, (_, i) => ((i * 7 + seed) % 11) / 10) });
  const alpha = (seed: number) => Float32Array.from({ length: W * H }, (_, i) => ((i + seed) % 4) / 3);
  return {
    name: 'rgba',
    cameras: [cam(0, 'a.png'), cam(1, 'b.png')],
    images: [image(1), image(2)],
    imageNames: ['a.png', 'b.png'],
    alphas: [alpha(0), alpha(1)],
    points: { xyz: new Float32Array([0, 0, 2, 1, 0, 3]), rgb: new Float32Array([1, 0, 0, 0, 1, 0]) },
    imageSplits: ['train', 'test'],
    background: [1, 1, 1],
    protocol: 'blender',
  };
}

describe('studio persistence (packScene / unpackScene)', () => {
  it('keeps the coverage alphas, so a restored RGBA scene still trains with its transparency', () => {
    const scene = rgbaScene();
    const back = unpackScene(packScene(scene));
    expect(back.alphas).toBeDefined();
    expect(back.alphas!.length).toBe(2);
    for (let k = 0; k < 2; k++) {
      expect(back.alphas![k].length).toBe(scene.alphas![k].length);
      for (let i = 0; i < back.alphas![k].length; i++) expect(Math.abs(back.alphas![k][i] - scene.alphas![k][i])).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
    }
    for (let k = 0; k < 2; k++) for (let i = 0; i < scene.images[k].data.length; i++) expect(Math.abs(back.images[k].data[i] - scene.images[k].data[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
  });

  it('keeps sparse points, splits and cameras; an opaque scene stays without alphas', () => {
    const scene = rgbaScene();
    const back = unpackScene(packScene(scene));
    expect(Array.from(back.points!.xyz)).toEqual(Array.from(scene.points!.xyz));
    expect(Array.from(back.points!.rgb)).toEqual(Array.from(scene.points!.rgb));
    expect(back.imageSplits).toEqual(['train', 'test']);
    expect(back.cameras[1].name).toBe('b.png');
    expect(Array.from(back.cameras[1].t)).toEqual([-1, 0, 0]);
    const opaque = { ...scene, alphas: undefined };
    expect(unpackScene(packScene(opaque)).alphas).toBeUndefined();
  });
});
