import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import { memorySource } from '../../src/io/FileSource';
import { loadScene } from '../../src/io/loadScene';
import { colmapTextModel, estimatedPosesModel, ESTIMATED_POSES_MARKER, type ColmapTextFiles } from '../../src/io/colmapText';
import type { Scene } from '../../src/core/Scene';

/** A COLMAP text model (sparse/0) beside black `width` x `height` PNG photos, as an in-memory source. */
function modelSource(name: string, files: ColmapTextFiles, photos: string[], width: number, height: number, imagesTxt = files['images.txt']) {
  const png = encodePng({ width, height, data: new Uint8Array(width * height * 3), channels: 3, depth: 8 });
  const enc = new TextEncoder();
  return memorySource(name, {
    'sparse/0/cameras.txt': enc.encode(files['cameras.txt']),
    'sparse/0/images.txt': enc.encode(imagesTxt),
    'sparse/0/points3D.txt': enc.encode(files['points3D.txt']),
    ...Object.fromEntries(photos.map((n) => [`images/${n}`, png])),
  });
}

describe('COLMAP text model', () => {
  it('round trip: write -> our loader -> the same cameras (1e-9) and points', async () => {
    const rot = (ax: number, ay: number) => {
      const [ca, sa, cb, sb] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay)];
      return [cb, 0, sb, sa * sb, ca, -sa * cb, -ca * sb, sa, ca * cb];
    };
    const cams = [
      new Camera(rot(0.1, -0.2), [0.3, -0.1, 2.5], 400.123456789, 400.123456789, 80.5, 60.25, 160, 120, 'a.png'),
      new Camera(rot(-0.3, 0.7), [-1.2, 0.4, 3.1], 410.5, 398.25, 79.75, 61, 160, 120, 'b.png'),
      new Camera(rot(2.9, 3.0), [0, 0, 1], 300, 300, 80, 60, 160, 120, 'c.png'),
    ];
    const points = { xyz: Float32Array.from([0.1, 0.2, 0.3, -1, 2, 5.5]), rgb: Float32Array.from([1, 0, 0.5, 0.2, 0.4, 0.6]) };
    const files = colmapTextModel(cams, cams.map((c) => c.name), { points });
    expect(files['cameras.txt']).toMatch(/^1 SIMPLE_PINHOLE 160 120 /m);
    expect(files['cameras.txt']).toMatch(/^2 PINHOLE 160 120 /m);
    const src = modelSource('rt', files, ['a.png', 'b.png', 'c.png'], 160, 120);
    const scene = await loadScene(src);
    expect(scene.imageNames).toEqual(['a.png', 'b.png', 'c.png']);
    scene.cameras.forEach((c, k) => {
      const e = cams[k];
      for (let i = 0; i < 9; i++) expect(Math.abs(c.R[i] - e.R[i])).toBeLessThan(1e-9);
      for (let i = 0; i < 3; i++) expect(Math.abs(c.t[i] - e.t[i])).toBeLessThan(1e-9);
      for (const f of ['fx', 'fy', 'cx', 'cy', 'width', 'height'] as const) expect(Math.abs(c[f] - e[f])).toBeLessThan(1e-9);
    });
    expect(Array.from(scene.points!.xyz)).toEqual(Array.from(points.xyz));
    for (let i = 0; i < 6; i++) expect(Math.abs(scene.points!.rgb[i] - points.rgb[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });
  it('estimatedPosesModel: refined training cameras, estimated test cameras, rescaled to the photos on disk; reloads as estimated poses', async () => {
    const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const cams = [0, 1, 2].map((k) => new Camera(I, [-0.1 * k, 0, 2], 100, 100, 80, 60, 160, 120, `p${k}.jpg`));
    const scene = { name: 'phone', cameras: cams, imageNames: ['p0.jpg', 'p1.jpg', 'p2.jpg'], points: { xyz: Float32Array.from([0, 0, 0, 0.1, 0.1, 0.5]), rgb: new Float32Array(6).fill(0.5) } } as unknown as Scene;
    const refined = [new Camera(I, [0.01, 0.02, 2.03], 104, 104, 80, 60, 160, 120, 'p0.jpg'), new Camera(I, [-0.21, 0, 1.98], 98, 98, 80, 60, 160, 120, 'p2.jpg')];
    const sizes = new Map(['p0.jpg', 'p1.jpg', 'p2.jpg'].map((n) => [n, { width: 320, height: 240 }]));
    const files = estimatedPosesModel(scene, [0, 2], refined, sizes);
    const back = await loadScene(modelSource('m', files, ['p0.jpg', 'p1.jpg', 'p2.jpg'], 320, 240));
    expect(back.posesEstimated).toBe(true);
    expect(back.imageNames).toEqual(['p0.jpg', 'p1.jpg', 'p2.jpg']);
    const want = [refined[0], cams[1], refined[1]].map((c) => c.resized(320, 240));
    back.cameras.forEach((c, k) => {
      for (let i = 0; i < 3; i++) expect(c.t[i]).toBeCloseTo(want[k].t[i], 9);
      for (const f of ['fx', 'fy', 'cx', 'cy', 'width', 'height'] as const) expect(c[f]).toBeCloseTo(want[k][f], 9);
    });
    expect(back.cameras[0].fx).toBeCloseTo(208, 9);
    expect(Array.from(back.points!.xyz)).toEqual(Array.from(scene.points!.xyz));
    expect(() => estimatedPosesModel(scene, [0, 2], [refined[0]], sizes)).toThrow(/2 training views but 1 cameras/);
    expect(() => estimatedPosesModel(scene, [0, 7], refined, sizes)).toThrow(/training view 7 is not in scene "phone"/);
  });
  it('per-view depth bounds from points3D (LLFF rule), so the MVS sweeps the points, not the frusta overlap', async () => {
    const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const cams = [new Camera(I, [0, 0, 0], 100, 100, 80, 60, 160, 120, 'a.png'), new Camera(I, [-0.2, 0, 0], 100, 100, 80, 60, 160, 120, 'b.png')];
    const xyz: number[] = [];
    for (let k = 0; k < 40; k++) xyz.push(((k % 5) - 2) * 0.2, ((k % 3) - 1) * 0.2, 2 + (k / 39) * 2); // depths 2..4
    const files = colmapTextModel(cams, ['a.png', 'b.png'], { points: { xyz: Float32Array.from(xyz), rgb: new Float32Array(xyz.length).fill(0.5) } });
    const scene = await loadScene(modelSource('b', files, ['a.png', 'b.png'], 160, 120));
    expect(scene.depthBounds).toHaveLength(2);
    for (const [near, far] of scene.depthBounds!) {
      expect(near).toBeGreaterThan(1.99);
      expect(near).toBeLessThan(2.01);
      expect(far).toBeGreaterThan(3.99);
      expect(far).toBeLessThan(4.01);
    }
  });
  it('observations fill POINTS2D and TRACK consistently, ERROR is the mean reprojection error; the estimated-poses marker becomes Scene.posesEstimated', async () => {
    const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const cams = [new Camera(I, [0, 0, 0], 100, 100, 80, 60, 160, 120, 'a.png'), new Camera(I, [-0.5, 0, 0], 100, 100, 80, 60, 160, 120, 'b.png')];
    const xyz = [0, 0, 2, 0.4, -0.2, 4, -0.3, 0.1, 3];
    const proj = (c: Camera, p: number) => [0, 1].map((a) => (100 * (xyz[3 * p + a] + c.t[a])) / xyz[3 * p + 2] + (a ? 60 : 80));
    // a: keypoints 0..3 see points 1, -, 0, 2; b: keypoints see 2, 0 (the second 3-4-5 px off), and not 1
    const obsA = { pointOfKeypoint: [1, -1, 0, 2], xy: [...proj(cams[0], 1), 5, 5, ...proj(cams[0], 0), ...proj(cams[0], 2)] };
    const b0 = proj(cams[1], 0);
    const obsB = { pointOfKeypoint: [2, 0], xy: [...proj(cams[1], 2), b0[0] + 3, b0[1] + 4] };
    const files = colmapTextModel(cams, ['a.png', 'b.png'], { points: { xyz: Float32Array.from(xyz), rgb: new Float32Array(9).fill(0.5) }, observations: [obsA, obsB], posesEstimated: true });
    const data = (t: string) => t.split('\n').filter((l) => !l.startsWith('#'));
    const imgLines = data(files['images.txt']);
    const points2d = [imgLines[1], imgLines[3]].map((l) => { const v = l.split(' ').map(Number); return Array.from({ length: v.length / 3 }, (_, i) => v.slice(3 * i, 3 * i + 3)); });
    expect(points2d.map((p) => p.length)).toEqual([3, 2]);
    const tracks = data(files['points3D.txt']).filter(Boolean).map((l) => l.split(' ').map(Number));
    expect(tracks.map((t) => (t.length - 8) / 2)).toEqual([2, 1, 2]);
    for (const t of tracks) {
      for (let q = 8; q < t.length; q += 2) expect(points2d[t[q] - 1][t[q + 1]][2], `point ${t[0]} track`).toBe(t[0]);
    }
    expect(tracks[0][7]).toBeCloseTo(2.5, 5); // (0 + 5) / 2 px
    expect(tracks[1][7]).toBeCloseTo(0, 5);
    const load = (imagesTxt: string) => loadScene(modelSource('obs', files, ['a.png', 'b.png'], 160, 120, imagesTxt));
    const scene = await load(files['images.txt']);
    expect(scene.posesEstimated).toBe(true);
    expect(scene.cameras[1].t[0]).toBe(-0.5);
    expect(scene.points!.xyz.length).toBe(9);
    expect(files['images.txt']).toContain(ESTIMATED_POSES_MARKER);
    expect((await load(files['images.txt'].replace(`${ESTIMATED_POSES_MARKER}\n`, ''))).posesEstimated).toBeUndefined();
    expect(() => colmapTextModel(cams, ['a.png', 'b.png'], { points: { xyz: Float32Array.from(xyz), rgb: new Float32Array(9) }, observations: [{ xy: [1, 1], pointOfKeypoint: [3] }, obsB] }))
      .toThrow(/a\.png keypoint 0 observes point 3, but there are 3 points/);
  });
  it('refuses mismatched names', () => {
    expect(() => colmapTextModel([], ['x.png'])).toThrow(/0 cameras but 1 names/);
  });
});
