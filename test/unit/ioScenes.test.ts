import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import type { Camera } from '../../src/core/Camera';
import { blenderSplit, llffSplit, splitForScene } from '../../src/eval/protocol';
import { fileListSource, memorySource, zipSource } from '../../src/io/FileSource';
import { rotationToQuat } from '../../src/io/colmapModel';
import { colmapTextModel } from '../../src/io/colmapText';
import { decodeImage } from '../../src/io/imageDecode';
import { loadScene } from '../../src/io/loadScene';
import { loadScenePath, nodeDirSource } from '../../src/io/nodeSource';
import { undistortImage } from '../../src/io/undistort';
import { createImage } from '../../src/core/Image';
import { llffScene, lookAt, makePng } from './ioFixtures';

const DATA = resolve(__dirname, '../../../shared/data/scenes');
const FERN = join(DATA, 'llff-fern');
const LEGO = join(DATA, 'blender-lego');
if (!existsSync(FERN)) console.warn(`skipping fern: ${FERN} is absent`);
if (!existsSync(LEGO)) console.warn(`skipping lego: ${LEGO} is absent`);

const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Distance from point p to the principal ray of camera c (the half-line ahead of it). */
function rayDistance(c: Camera, p: number[]): number {
  const o = c.center;
  const f = c.forward;
  const v = [p[0] - o[0], p[1] - o[1], p[2] - o[2]];
  const t = Math.max(0, dot(v, f));
  return Math.hypot(v[0] - t * f[0], v[1] - t * f[1], v[2] - t * f[2]);
}

function expectSameCamera(a: Camera, b: Camera, tol = 1e-9): void {
  for (let i = 0; i < 9; i++) expect(Math.abs(a.R[i] - b.R[i])).toBeLessThan(tol);
  for (let i = 0; i < 3; i++) expect(Math.abs(a.t[i] - b.t[i])).toBeLessThan(tol);
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  for (const k of ['fx', 'fy', 'cx', 'cy'] as const) expect(Math.abs(a[k] - b[k])).toBeLessThan(tol);
}

describe.skipIf(!existsSync(FERN))('LLFF fern (../shared/data/scenes/llff-fern)', () => {
  it('loads 20 views at 504x378 that all look the same way', async () => {
    const s = await loadScenePath(FERN);
    expect(s.protocol).toBe('llff');
    expect(s.cameras).toHaveLength(20);
    expect(s.images[0].width).toBe(504);
    expect(s.images[0].height).toBe(378);
    expect(s.imageNames[0]).toBe('IMG_4026.png');
    // f of the full 4032-wide images scaled by 1/8.
    expect(s.cameras[0].fx).toBeGreaterThan(400);
    expect(s.cameras[0].fx).toBeLessThan(420);
    let maxAngle = 0;
    for (const a of s.cameras) for (const b of s.cameras) maxAngle = Math.max(maxAngle, Math.acos(Math.min(1, dot(a.forward, b.forward))));
    expect((maxAngle * 180) / Math.PI).toBeLessThan(30);
    // Forward-facing capture: the cameras' mean forward is roughly perpendicular to their spread.
    expect(s.depthBounds).toHaveLength(20);
    for (const [near, far] of s.depthBounds!) expect(0 < near && near < far).toBe(true);
    // The scene lies ahead: the point at mid depth on camera 0's ray projects inside every view.
    const [near, far] = s.depthBounds![0];
    const c0 = s.cameras[0];
    const d = (near + far) / 2;
    const p = c0.center.map((v, k) => v + d * c0.forward[k]);
    for (const c of s.cameras) {
      const z = dot([c.R[6], c.R[7], c.R[8]], p) + c.t[2];
      expect(z).toBeGreaterThan(0);
    }
    if (s.points) {
      for (const c of s.cameras) for (let i = 0; i < s.points.xyz.length; i += 3) {
        expect(c.R[6] * s.points.xyz[i] + c.R[7] * s.points.xyz[i + 1] + c.R[8] * s.points.xyz[i + 2] + c.t[2]).toBeGreaterThan(0);
      }
    }
    const split = splitForScene(s, 3);
    expect(split).toEqual(llffSplit(20, 3));
    expect(split.test).toEqual([0, 8, 16]);
  });
});

describe.skipIf(!existsSync(LEGO))('Blender lego (../shared/data/scenes/blender-lego)', () => {
  it('loads train + test with every principal ray passing within 0.5 of the origin', async () => {
    const s = await loadScenePath(LEGO);
    expect(s.protocol).toBe('blender');
    expect(s.background).toEqual([1, 1, 1]);
    expect(s.cameras).toHaveLength(125);
    expect(s.imageSplits!.filter((x) => x === 'train')).toHaveLength(100);
    expect(s.imageSplits!.filter((x) => x === 'test')).toHaveLength(25);
    for (const c of s.cameras) {
      expect(rayDistance(c, [0, 0, 0])).toBeLessThan(0.5);
      expect(dot(c.forward, c.center)).toBeLessThan(0); // looking towards the origin, not away
    }
    expect(s.cameras[0].fx).toBeCloseTo(400 / (2 * Math.tan(0.6911112070083618 / 2)), 6);
    // RGBA composited over white: the top-left corner is empty background.
    expect(Array.from(s.images[0].data.subarray(0, 3))).toEqual([1, 1, 1]);
    const split = blenderSplit(s.imageSplits!, undefined, s.imageNames);
    expect(split.train.map((i) => s.imageNames[i])).toEqual([2, 16, 26, 55, 73, 76, 86, 93].map((i) => `r_${i}.png`));
    // The shared transforms_test.json already holds every 8th of the 200 test frames: all 25 stay.
    expect(split.test.map((i) => s.imageNames[i])).toEqual(Array.from({ length: 25 }, (_, i) => `r_${8 * i}.png`));
    expect(splitForScene(s, 8)).toEqual(split);
  });
});

describe('LLFF loader on generated scenes', () => {
  it('reads poses in LLFF axis order into the same OpenCV cameras, scaled to images_N', async () => {
    const { files, cams } = llffScene(5, 4);
    const s = await loadScene(memorySource('gen', files));
    expect(s.cameras).toHaveLength(5);
    cams.forEach((c, i) => expectSameCamera(s.cameras[i], c.resized(64, 48), 1e-6));
    expect(s.depthBounds![0]).toEqual([0.5, 20]);
  });

  it('downscale picks images_N and maxLongSide shrinks images with the intrinsics', async () => {
    const { files, cams } = llffScene(3, 2);
    for (let i = 0; i < 3; i++) files[`images_4/IMG_${1000 + i}.png`] = makePng(32, 24);
    const s4 = await loadScene(memorySource('gen', files), { downscale: 4 });
    expect(s4.images[0].width).toBe(32);
    expectSameCamera(s4.cameras[1], cams[1].resized(32, 24), 1e-6);
    const small = await loadScene(memorySource('gen', files), { downscale: 2, maxLongSide: 16 });
    expect([small.images[0].width, small.images[0].height]).toEqual([16, 12]);
    expectSameCamera(small.cameras[2], cams[2].resized(16, 12), 1e-6);
  });

  it('downscale without its images_N folder shrinks a sharper folder whose factor divides it', async () => {
    const { files, cams } = llffScene(3, 2); // images_2 at 64x48
    const s = await loadScene(memorySource('gen', files), { downscale: 4 });
    expect([s.images[0].width, s.images[0].height]).toEqual([32, 24]);
    expectSameCamera(s.cameras[0], cams[0].resized(32, 24), 1e-6);
    await expect(loadScene(memorySource('gen', files), { downscale: 3 })).rejects.toThrow(/images_3.*no folder for downscale 3/);
  });

  it('finds the scene inside a .zip (in a subfolder) and inside a dropped file list', async () => {
    const { files, cams } = llffScene(3, 4, 'myscene/');
    const zipped = zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v])));
    const s = await loadScene(zipSource('scene.zip', zipped));
    expectSameCamera(s.cameras[2], cams[2].resized(64, 48), 1e-6);
    const list = Object.entries(files).map(([k, v]) => {
      const f = new File([v as BlobPart], k.split('/').pop()!);
      Object.defineProperty(f, 'webkitRelativePath', { value: k });
      return f;
    });
    const s2 = await loadScene(fileListSource(list));
    expect(s2.cameras).toHaveLength(3);
    // A folder that holds just the zip.
    const s3 = await loadScene(memorySource('folder', { 'upload/scene.zip': zipped }));
    expect(s3.cameras).toHaveLength(3);
  });

  it('loads from a folder on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llff-'));
    const { files } = llffScene(3, 4);
    for (const [k, v] of Object.entries(files)) {
      mkdirSync(join(dir, k, '..'), { recursive: true });
      writeFileSync(join(dir, k), v);
    }
    const src = await nodeDirSource(dir);
    expect(src.list().sort()).toEqual(Object.keys(files).sort());
    expect((await loadScenePath(dir)).cameras).toHaveLength(3);
  });
});

describe('COLMAP', () => {
  function colmapFiles(cams: Camera[], names: string[]): Record<string, Uint8Array> {
    const enc = new TextEncoder();
    const txt = colmapTextModel(cams, names, { points: { xyz: Float32Array.from([0, 0, 0, 0.5, -0.25, 1]), rgb: Float32Array.from([1, 0, 0, 0, 1, 0.5]) } });
    const files: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(txt)) files[`sparse/0/${k}`] = enc.encode(v);
    names.forEach((n, i) => (files[`images/${n}`] = makePng(cams[i].width, cams[i].height)));
    return files;
  }

  it('a scene written by our COLMAP text writer reads back to the same cameras and points', async () => {
    const cams = [0, 1, 2, 3].map((i) => lookAt([Math.cos(i) * 4, 1 - i * 0.3, Math.sin(i) * 4], [0.1, 0, -0.2], 40, 30, 35 + i, `v${i}.png`));
    const names = cams.map((_, i) => `v${i}.png`);
    const s = await loadScene(memorySource('colmap', colmapFiles(cams, names)));
    expect(s.protocol).toBe('even');
    expect(s.imageNames).toEqual(names);
    cams.forEach((c, i) => expectSameCamera(s.cameras[i], c, 1e-9));
    expect(Array.from(s.points!.xyz)).toEqual([0, 0, 0, 0.5, -0.25, 1]);
    expect(s.points!.rgb[0]).toBe(1);
    // downscale 2 without images_2: the full images are shrunk, intrinsics halved.
    const half = await loadScene(memorySource('colmap', colmapFiles(cams, names)), { downscale: 2 });
    expect([half.images[0].width, half.images[0].height]).toEqual([20, 15]);
    expectSameCamera(half.cameras[1], cams[1].resized(20, 15), 1e-9);
  });

  it('reads images.txt with 2D points, without the POINTS2D line, and SIMPLE_PINHOLE / RADIAL cameras', async () => {
    const enc = new TextEncoder();
    const files = {
      'sparse/cameras.txt': enc.encode('1 SIMPLE_PINHOLE 8 6 7 4 3\n2 RADIAL 8 6 9 4 3 0.01 0.001\n'),
      'sparse/images.txt': enc.encode('# header\n1 1 0 0 0 0 0 1 1 a.png\n1.5 2.5 -1 3 4 7\n2 1 0 0 0 0 0 2 2 b.png\n3 1 0 0 0 1 0 0 1 c.png\n\n'),
      'images/a.png': makePng(8, 6), 'images/b.png': makePng(8, 6), 'images/c.png': makePng(8, 6),
    };
    const s = await loadScene(memorySource('m', files));
    expect(s.imageNames).toEqual(['a.png', 'b.png', 'c.png']);
    expect(s.cameras.map((c) => c.t[2])).toEqual([1, 2, 0]);
    expect(s.cameras.map((c) => c.fx)).toEqual([7, 9, 7]);
    expect(s.points).toBeUndefined();
  });

  it('reads binary models with SIMPLE_RADIAL and OPENCV cameras, undistorting the images', async () => {
    const cams = [lookAt([0, 0, -3], [0, 0, 0], 40, 30, 30), lookAt([1, 0, -3], [0, 0, 0], 40, 30, 30)];
    const camBin = (models: [number, number[]][]) => {
      const parts: number[][] = [];
      const u64 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24, 0, 0, 0, 0];
      const i32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
      const f64 = (v: number) => Array.from(new Uint8Array(Float64Array.of(v).buffer));
      parts.push(u64(models.length));
      models.forEach(([m, p], i) => parts.push(i32(i + 1), i32(m), u64(40), u64(30), ...p.map(f64)));
      const img: number[][] = [u64(cams.length)];
      cams.forEach((c, i) => {
        img.push(i32(i + 1), ...rotationToQuat(c.R).map(f64), ...Array.from(c.t).map(f64), i32(i + 1), Array.from(new TextEncoder().encode(`c${i}.png`)), [0], u64(0));
      });
      const pts: number[][] = [u64(1), u64(1), f64(0.25), f64(0.5), f64(0.75), [10, 20, 30], f64(0.1), u64(0)];
      return { cameras: Uint8Array.from(parts.flat()), images: Uint8Array.from(img.flat()), points: Uint8Array.from(pts.flat()) };
    };
    const b = camBin([[2, [30, 20, 15, 0.1]], [4, [30, 31, 20, 15, -0.1, 0.02, 0.001, -0.002]]]);
    const files = {
      'sparse/0/cameras.bin': b.cameras, 'sparse/0/images.bin': b.images, 'sparse/0/points3D.bin': b.points,
      'images/c0.png': makePng(40, 30), 'images/c1.png': makePng(40, 30),
    };
    const s = await loadScene(zipSource('bin.zip', zipSync(files)));
    expect(s.cameras[0].fx).toBe(30);
    expect([s.cameras[1].fx, s.cameras[1].fy, s.cameras[1].cx, s.cameras[1].cy]).toEqual([30, 31, 20, 15]);
    for (let i = 0; i < 9; i++) expect(s.cameras[1].R[i]).toBeCloseTo(cams[1].R[i], 12);
    expect(Array.from(s.points!.xyz)).toEqual([0.25, 0.5, 0.75]);
    // Undistortion moved pixels: the loaded image differs from the raw one away from the centre.
    const raw = await loadScene(memorySource('m', { ...files, 'sparse/0/cameras.bin': camBin([[1, [30, 30, 20, 15]], [1, [30, 31, 20, 15]]]).cameras }));
    let diff = 0;
    for (let i = 0; i < raw.images[0].data.length; i++) diff += Math.abs(raw.images[0].data[i] - s.images[0].data[i]);
    expect(diff).toBeGreaterThan(1);
  });
});

describe('undistortImage', () => {
  it('recovers the ideal pinhole image of a distorted one', () => {
    const [W, H, fx, fy, cx, cy] = [96, 72, 70, 72, 48.5, 35.5];
    const d = { k1: -0.2, k2: 0.05, p1: 0.003, p2: -0.002 };
    const g = (x: number, y: number) => 0.5 + 0.4 * Math.sin(3 * x) * Math.cos(2 * y);
    // Distorted image: pixel (u, v) sees the undistorted normal coords found by inverting the model.
    const distorted = createImage(W, H);
    for (let v = 0; v < H; v++) for (let u = 0; u < W; u++) {
      const xd = (u + 0.5 - cx) / fx;
      const yd = (v + 0.5 - cy) / fy;
      let x = xd;
      let y = yd;
      for (let it = 0; it < 50; it++) {
        const r2 = x * x + y * y;
        const rad = 1 + d.k1 * r2 + d.k2 * r2 * r2;
        x = (xd - (2 * d.p1 * x * y + d.p2 * (r2 + 2 * x * x))) / rad;
        y = (yd - (d.p1 * (r2 + 2 * y * y) + 2 * d.p2 * x * y)) / rad;
      }
      distorted.data.fill(g(x, y), (v * W + u) * 3, (v * W + u) * 3 + 3);
    }
    const fixed = undistortImage(distorted, fx, fy, cx, cy, d);
    let errFixed = 0;
    let errRaw = 0;
    let n = 0;
    for (let v = 10; v < H - 10; v++) for (let u = 10; u < W - 10; u++) {
      const want = g((u + 0.5 - cx) / fx, (v + 0.5 - cy) / fy);
      errFixed += Math.abs(fixed.data[(v * W + u) * 3] - want);
      errRaw += Math.abs(distorted.data[(v * W + u) * 3] - want);
      n++;
    }
    expect(errFixed / n).toBeLessThan(0.01);
    expect(errRaw / n).toBeGreaterThan(5 * (errFixed / n));
  });
});

describe('nerfstudio transforms.json', () => {
  it('reads fl_x/fl_y/cx/cy/w/h, file paths with extensions, per-frame overrides and OpenGL poses', async () => {
    const c2wGL = [[1, 0, 0, 0.5], [0, 1, 0, -0.25], [0, 0, 1, 3], [0, 0, 0, 1]]; // looking down -z from z=3
    const meta = {
      camera_model: 'OPENCV', fl_x: 50, fl_y: 52, cx: 31, cy: 23, w: 64, h: 48, k1: 0, k2: 0, p1: 0, p2: 0,
      applied_transform: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]],
      frames: [
        { file_path: 'images/frame_00001.png', transform_matrix: c2wGL },
        { file_path: '/home/someone/capture/images/frame_00002.jpg', transform_matrix: c2wGL, fl_x: 60 },
      ],
    };
    const jpg = jpeg.encode({ width: 64, height: 48, data: Buffer.alloc(64 * 48 * 4, 200) }, 90).data;
    const s = await loadScene(memorySource('ns', {
      'transforms.json': new TextEncoder().encode(JSON.stringify(meta)),
      'images/frame_00001.png': makePng(64, 48),
      'images/frame_00002.jpg': new Uint8Array(jpg),
    }));
    expect(s.cameras).toHaveLength(2);
    const c = s.cameras[0];
    expect([c.fx, c.fy, c.cx, c.cy]).toEqual([50, 52, 31, 23]);
    expect(s.cameras[1].fx).toBe(60);
    expect(c.center.map((v) => Number(v.toFixed(12)))).toEqual([0.5, -0.25, 3]);
    expect(c.forward.map((v) => Number(v.toFixed(12)) + 0)).toEqual([0, 0, -1]);
    expect(s.imageSplits).toBeUndefined();
    expect(s.images[1].data[0]).toBeCloseTo(200 / 255, 1);
    expect(s.name).toBe('ns');
  });

  it('applies applied_transform to the COLMAP points next to transforms.json', async () => {
    const meta = {
      fl_x: 5, w: 8, h: 6,
      applied_transform: [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, -1, 2]],
      frames: [{ file_path: 'images/a.png', transform_matrix: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] }],
    };
    const s = await loadScene(memorySource('ns', {
      'transforms.json': new TextEncoder().encode(JSON.stringify(meta)),
      'images/a.png': makePng(8, 6),
      'colmap/sparse/0/cameras.txt': new TextEncoder().encode('1 PINHOLE 8 6 5 5 4 3\n'),
      'colmap/sparse/0/images.txt': new TextEncoder().encode('1 1 0 0 0 0 0 0 1 a.png\n\n'),
      'colmap/sparse/0/points3D.txt': new TextEncoder().encode('1 1 2 3 255 0 0 0.5\n'),
    }));
    expect(s.protocol).toBe('blender');
    expect(Array.from(s.points!.xyz)).toEqual([2, 1, -1]);
  });
});

describe('image decoding', () => {
  it('honours EXIF orientation 6 (rotate 90 degrees clockwise)', async () => {
    const w = 8;
    const h = 4;
    const data = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(x < 4 && y < 2 ? [255, 0, 0, 255] : [0, 0, 255, 255], (y * w + x) * 4);
    const jpg = new Uint8Array(jpeg.encode({ width: w, height: h, data }, 100).data);
    // APP1 Exif: TIFF little-endian, IFD0 with one SHORT entry Orientation (0x0112) = 6.
    const tiff = [0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const payload = [...new TextEncoder().encode('Exif'), 0, 0, ...tiff];
    const app1 = [0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
    const withExif = Uint8Array.from([...jpg.subarray(0, 2), ...app1, ...jpg.subarray(2)]);
    const plain = await decodeImage('plain.jpg', jpg);
    expect([plain.width, plain.height]).toEqual([8, 4]);
    const img = await decodeImage('rotated.jpg', withExif);
    expect([img.width, img.height]).toEqual([4, 8]);
    // Red was the top-left 4x2 block; after a clockwise turn it is the top-right 2x4 block.
    const px = (x: number, y: number) => Array.from(img.rgba.subarray((y * 4 + x) * 4, (y * 4 + x) * 4 + 3));
    expect(px(3, 0)[0]).toBeGreaterThan(200);
    expect(px(0, 0)[2]).toBeGreaterThan(200);
    expect(px(3, 7)[2]).toBeGreaterThan(200);
  });

  it('composites RGBA over the background', async () => {
    const png = makePng(2, 1, (x) => [255, 0, 0, x === 0 ? 0 : 128]);
    const s = await loadScene(memorySource('bg', {
      'transforms.json': new TextEncoder().encode(JSON.stringify({ camera_angle_x: 1, frames: [{ file_path: './a', transform_matrix: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 2], [0, 0, 0, 1]] }] })),
      'a.png': png,
    }), { background: [0, 1, 0] });
    expect(Array.from(s.images[0].data.subarray(0, 3))).toEqual([0, 1, 0]);
    expect(s.images[0].data[3]).toBeCloseTo(128 / 255, 5);
    expect(s.images[0].data[4]).toBeCloseTo(1 - 128 / 255, 5);
  });
});
