/**
 * A phone-capture-like scene for the loading test: a .zip holding `<name>/transforms.json`
 * (nerfstudio / instant-ngp style: fl_x, fl_y, cx, cy, w, h, OPENCV k1 k2 p1 p2) and N portrait
 * JPEGs of 1080x1920 in `<name>/images/`, like instant-ngp's fox (67 photos). The photos are the
 * LLFF fern and flower images_8 PNGs from ../shared/data, cropped to portrait, upscaled (bilinear)
 * and given a little sensor-like noise so the JPEGs weigh what real ones do (a few hundred KB; a
 * smooth upscale alone compresses, and decodes, unrealistically well). Built once with jpeg-js and
 * cached under test-results/ (never in shared/, never committed).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { DATA, REPO } from './harness';

export interface PhotoZip {
  path: string;
  count: number;
  width: number;
  height: number;
  bytes: number;
  /** Mean JPEG size in bytes. */
  meanJpeg: number;
}

const SOURCES = ['scenes/llff-fern/images_8', 'scenes/llff-flower/images_8'].map((d) => resolve(DATA, d));

/** True when the source photos exist. */
export const hasPhotoSources = SOURCES.every((d) => existsSync(d));

/** Bumped when the generated content changes (invalidates the cache). */
const VERSION = 1;

/** Builds (or reuses) the zip: `count` JPEGs of `width` x `height` plus transforms.json. */
export function photoZip(count = 67, width = 1080, height = 1920, name = 'capture67'): PhotoZip {
  const dir = resolve(REPO, 'test-results/fixtures');
  mkdirSync(dir, { recursive: true });
  const path = resolve(dir, `${name}-v${VERSION}-${count}x${width}x${height}.zip`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) return { ...(JSON.parse(readFileSync(meta, 'utf8')) as PhotoZip), path };

  const pngs = SOURCES.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.png')).sort().map((f) => resolve(d, f)));
  if (pngs.length === 0) throw new Error(`no source photos in ${SOURCES.join(', ')}`);
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const files: Record<string, Uint8Array> = {};
  const frames: { file_path: string; transform_matrix: number[][] }[] = [];
  let jpegBytes = 0;
  for (let i = 0; i < count; i++) {
    const png = decodePng(readFileSync(pngs[i % pngs.length]));
    const ch = png.channels;
    // Portrait window of the landscape photo, sliding with the frame index.
    const cropW = (png.height * width) / height;
    const ox = ((i * 37) % Math.max(1, Math.floor(png.width - cropW))) + 0.5;
    const sxs = cropW / width;
    const sys = png.height / height;
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      const fy = Math.min(png.height - 1, Math.max(0, (y + 0.5) * sys - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(png.height - 1, y0 + 1);
      const ay = fy - y0;
      for (let x = 0; x < width; x++) {
        const fx = Math.min(png.width - 1, Math.max(0, ox + (x + 0.5) * sxs - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(png.width - 1, x0 + 1);
        const ax = fx - x0;
        const d = (y * width + x) * 4;
        const noise = (rnd() - 0.5) * 7;
        for (let c = 0; c < 3; c++) {
          const p = (xx: number, yy: number) => png.data[(yy * png.width + xx) * ch + c];
          const v = (p(x0, y0) * (1 - ax) + p(x1, y0) * ax) * (1 - ay) + (p(x0, y1) * (1 - ax) + p(x1, y1) * ax) * ay;
          rgba[d + c] = Math.max(0, Math.min(255, Math.round(v + noise + (rnd() - 0.5) * 3)));
        }
        rgba[d + 3] = 255;
      }
    }
    const jpg = jpeg.encode({ data: rgba, width, height }, 90).data;
    jpegBytes += jpg.length;
    const file = `images/${String(i + 1).padStart(4, '0')}.jpg`;
    files[`${name}/${file}`] = new Uint8Array(jpg);
    // A ring around the origin (a 360-degree capture), looking at it; OpenGL camera-to-world.
    const a = (2 * Math.PI * i) / count;
    const eye = [4 * Math.cos(a), 4 * Math.sin(a), 0.6];
    const back = normalize(eye);
    const right = normalize(cross([0, 0, 1], back));
    const up = cross(back, right);
    frames.push({
      file_path: file,
      transform_matrix: [
        [right[0], up[0], back[0], eye[0]],
        [right[1], up[1], back[1], eye[1]],
        [right[2], up[2], back[2], eye[2]],
        [0, 0, 0, 1],
      ],
    });
  }
  const transforms = {
    camera_model: 'OPENCV',
    fl_x: 1375.5,
    fl_y: 1374.8,
    cx: 540.4,
    cy: 959.6,
    w: width,
    h: height,
    k1: 0.012,
    k2: -0.004,
    p1: 0.0006,
    p2: -0.0004,
    frames,
  };
  files[`${name}/transforms.json`] = new TextEncoder().encode(JSON.stringify(transforms, null, 1));
  const zip = zipSync(files, { level: 6 });
  writeFileSync(`${path}.tmp`, zip);
  renameSync(`${path}.tmp`, path);
  const info: PhotoZip = { path, count, width, height, bytes: zip.length, meanJpeg: Math.round(jpegBytes / count) };
  writeFileSync(meta, JSON.stringify(info));
  return info;
}

function normalize(v: number[]): number[] {
  const n = Math.hypot(v[0], v[1], v[2]);
  return v.map((x) => x / n);
}

function cross(a: number[], b: number[]): number[] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
