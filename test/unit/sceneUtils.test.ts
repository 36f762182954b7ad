import { describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import type { Scene } from '../../src/core/Scene';
import { sceneAtSize, withCameras } from '../../src/app/sceneUtils';

const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
function scene(): Scene {
  const cameras = [0, 1, 2].map((k) => new Camera(I, [k * 0.1, 0, 2], 200, 200, 80, 60, 160, 120, `v${k}.png`));
  const images = cameras.map(() => ({ width: 160, height: 120, data: new Float32Array(160 * 120 * 3) }));
  return { name: 'rig', cameras, images, imageNames: cameras.map((c) => c.name) } as unknown as Scene;
}

describe('withCameras (refined training poses into the studio scene)', () => {
  it('replaces the given views, resized to each view\'s image, and shares the images', () => {
    const s = scene();
    const small = sceneAtSize(s, 80); // the training size: 80x60
    const refined = new Camera(I, [0.15, 0.01, 2.02], 101, 101, 40, 30, 80, 60, 'v2.png');
    const out = withCameras(s, [0, 2], [small.cameras[0], refined]);
    expect(out).not.toBe(s);
    expect(out.images).toBe(s.images);
    expect(out.cameras[1]).toBe(s.cameras[1]);
    expect(out.cameras[0].t).toEqual(s.cameras[0].t); // unrefined view: same pose at the full size
    expect(out.cameras[0].fx).toBeCloseTo(200, 12);
    expect(Array.from(out.cameras[2].t)).toEqual([0.15, 0.01, 2.02]);
    expect([out.cameras[2].width, out.cameras[2].height, out.cameras[2].fx, out.cameras[2].cx]).toEqual([160, 120, 202, 80]);
    expect(Array.from(s.cameras[2].t)).toEqual([0.2, 0, 2]); // the input scene is not edited
  });
  it('returns the same scene when no pose or focal changed (no redraw), at any size', () => {
    const s = scene();
    expect(withCameras(s, [0, 1], [s.cameras[0], s.cameras[1]])).toBe(s);
    expect(withCameras(s, [0, 1], sceneAtSize(s, 80).cameras.slice(0, 2))).toBe(s);
  });
  it('names the mismatch', () => {
    const s = scene();
    expect(() => withCameras(s, [0, 1], [s.cameras[0]])).toThrow(/2 views but 1 cameras/);
    expect(() => withCameras(s, [5], [s.cameras[0]])).toThrow(/view 5 is not in scene "rig" \(3 cameras\)/);
  });
});

describe('sceneAtSize (training-size scene)', () => {
  it('box-filters the coverage alphas with the photos, so alpha pixel p still belongs to image pixel p', () => {
    const s = scene();
    // Left half of each view opaque, right half transparent.
    s.alphas = s.images.map(() => Float32Array.from({ length: 160 * 120 }, (_, p) => (p % 160 < 80 ? 1 : 0)));
    const small = sceneAtSize(s, 80);
    expect(small.images[0].width * small.images[0].height).toBe(80 * 60);
    for (const a of small.alphas!) {
      expect(a.length).toBe(80 * 60);
      for (let y = 0; y < 60; y += 7) for (let x = 0; x < 80; x++) expect(a[y * 80 + x]).toBe(x < 40 ? 1 : 0);
    }
    expect(s.alphas[0].length).toBe(160 * 120); // the input scene is not edited
    expect(sceneAtSize(s, 400).alphas![0]).toBe(s.alphas[0]); // no shrink: shared
    expect(sceneAtSize(scene(), 80).alphas).toBeUndefined();
  });
});
