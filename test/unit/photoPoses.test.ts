import { describe, expect, it } from 'vitest';
import { estimateScene, poseProgress } from '../../src/app/photoPoses';

describe('studio pose-estimation progress (photoPoses.poseProgress)', () => {
  it('names each stage with counts and moves the bar forward through the stages', () => {
    const n = 5;
    const seq: [string, number][] = [
      ['read', 0], ['read', 0.4], ['read', 1], ['opencv', 0], ['opencv', 1], ['decode', 1], ['intrinsics', 1],
      ['features', 0], ['features', 0.2], ['features', 0.8], ['features', 1], ['matching', 0.5], ['matching', 1],
      ['sfm:verify', 0], ['sfm:verify', 0.9], ['sfm:register', 0.5], ['sfm:bundle', 0], ['sfm:bundle', 1],
    ];
    const out = seq.map(([s, f]) => poseProgress(s, f, n));
    for (let i = 1; i < out.length; i++) expect(out[i].fraction, `${seq[i]}`).toBeGreaterThanOrEqual(out[i - 1].fraction);
    expect(out[0]).toEqual({ text: 'Decoding 1/5', fraction: 0 });
    expect(out[1].text).toBe('Decoding 3/5');
    expect(out[7].text).toBe('Finding features 1/5');
    expect(out[9].text).toBe('Finding features 5/5');
    expect(out[10].text).toBe('Finding features 5/5');
    expect(out[11].text).toBe('Matching 5/10 pairs');
    expect(out[13].text).toBe('Solving poses: checking photo pairs');
    expect(out[16].text).toBe('Solving poses: bundle adjustment');
    expect(out[out.length - 1].fraction).toBe(1);
    expect(poseProgress('sfm:other', 0.5, n).text).toBe('Solving poses');
    expect(poseProgress('features', NaN, n).fraction).toBeGreaterThanOrEqual(0);
  });

  it('refuses one photo and too many photos with a message naming them', async () => {
    const png = new Uint8Array(24);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 8, 0, 0, 0, 8]);
    const one = [{ name: 'IMG_0412.png', read: async () => png }];
    await expect(estimateScene(one, 'x', () => {})).rejects.toThrow(/IMG_0412\.png: no poses file, and poses cannot be estimated from one photo/);
    const notImage = [{ name: 'a.png', read: async () => new TextEncoder().encode('not a png') }];
    await expect(estimateScene(notImage, 'x', () => {})).rejects.toThrow(/a\.png.*not a PNG or JPEG/);
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `p${i}.jpg`, read: async () => new Uint8Array(0) }));
    await expect(estimateScene(many, 'x', () => {})).rejects.toThrow(/21 photos and no poses file/);
  });

  it('names an undecodable photo', async () => {
    const photos = [
      { name: 'good.png', read: async () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
      { name: 'bad.jpg', read: async () => new TextEncoder().encode('not a photo') },
    ];
    await expect(estimateScene(photos, 'x', () => {})).rejects.toThrow(/good\.png|bad\.jpg/);
  });
});
