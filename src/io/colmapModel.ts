import type { PointCloud } from '../core/Scene';
import { fail } from './FormatError';

/**
 * COLMAP sparse models, text and binary (COLMAP docs "Output format"; `read_write_model.py`):
 * cameras (id, model, width, height, params), images (id, qw qx qy qz, tx ty tz world-to-camera in
 * OpenCV axes, camera id, name, 2D points) and points3D (id, xyz, rgb, error, track).
 */

/** COLMAP camera model ids and parameter counts. */
export const COLMAP_MODELS: Record<number, { name: string; params: number }> = {
  0: { name: 'SIMPLE_PINHOLE', params: 3 },
  1: { name: 'PINHOLE', params: 4 },
  2: { name: 'SIMPLE_RADIAL', params: 4 },
  3: { name: 'RADIAL', params: 5 },
  4: { name: 'OPENCV', params: 8 },
  5: { name: 'OPENCV_FISHEYE', params: 8 },
  6: { name: 'FULL_OPENCV', params: 12 },
  7: { name: 'FOV', params: 5 },
  8: { name: 'SIMPLE_RADIAL_FISHEYE', params: 4 },
  9: { name: 'RADIAL_FISHEYE', params: 5 },
  10: { name: 'THIN_PRISM_FISHEYE', params: 12 },
};

export interface ColmapCamera {
  id: number;
  model: string;
  width: number;
  height: number;
  params: number[];
}

export interface ColmapImage {
  id: number;
  /** World-to-camera rotation quaternion (w, x, y, z). */
  q: [number, number, number, number];
  /** World-to-camera translation. */
  t: [number, number, number];
  cameraId: number;
  name: string;
}

export interface ColmapModel {
  cameras: Map<number, ColmapCamera>;
  images: ColmapImage[];
  points?: PointCloud;
  /** images.txt carries ESTIMATED_POSES_MARKER (colmapText.ts): the poses were estimated by `npm run poses`. */
  posesEstimated?: boolean;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
}

function nums(file: string, field: string, toks: string[]): number[] {
  return toks.map((t) => {
    const v = Number(t);
    if (!Number.isFinite(v)) fail(file, field, `"${t}" is not a finite number`);
    return v;
  });
}

/** Parses cameras.txt. @throws FormatError for unknown models or wrong parameter counts. */
export function parseCamerasText(file: string, text: string): Map<number, ColmapCamera> {
  const out = new Map<number, ColmapCamera>();
  for (const l of lines(text)) {
    const t = l.split(/\s+/);
    const [id, w, h] = nums(file, `camera ${t[0]}`, [t[0], t[2], t[3]]);
    const known = Object.values(COLMAP_MODELS).find((m) => m.name === t[1]);
    if (!known) fail(file, `camera ${id} model`, `unknown camera model "${t[1]}"`);
    const params = nums(file, `camera ${id} params`, t.slice(4));
    if (params.length !== known.params) fail(file, `camera ${id} params`, `${t[1]} needs ${known.params} parameters, got ${params.length}`);
    out.set(id, { id, model: t[1], width: w, height: h, params });
  }
  return out;
}

/** Parses images.txt (every image's first line; the 2D-point lines are skipped). */
export function parseImagesText(file: string, text: string): ColmapImage[] {
  const raw = text.split(/\r?\n/).filter((l) => !l.trim().startsWith('#'));
  const out: ColmapImage[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i].trim().split(/\s+/);
    if (t.length < 10 || t[0] === '') continue;
    const v = nums(file, `image ${t[0]}`, t.slice(0, 9));
    out.push({ id: v[0], q: [v[1], v[2], v[3], v[4]], t: [v[5], v[6], v[7]], cameraId: v[8], name: t.slice(9).join(' ') });
    // Skip the POINTS2D line (possibly empty; some writers omit it): all-numeric triples.
    const next = (raw[i + 1] ?? '').trim();
    const toks = next === '' ? [] : next.split(/\s+/);
    if (i + 1 < raw.length && toks.length % 3 === 0 && toks.every((x) => Number.isFinite(Number(x)))) i++;
  }
  return out;
}

/** Parses points3D.txt. */
export function parsePointsText(file: string, text: string): PointCloud {
  const ls = lines(text);
  const xyz = new Float32Array(ls.length * 3);
  const rgb = new Float32Array(ls.length * 3);
  ls.forEach((l, i) => {
    const t = l.split(/\s+/);
    const v = nums(file, `point ${t[0]}`, t.slice(1, 7));
    if (v.length < 6) fail(file, `point ${t[0]}`, 'needs X Y Z R G B');
    xyz.set(v.slice(0, 3), i * 3);
    rgb.set(v.slice(3, 6).map((c) => c / 255), i * 3);
  });
  return { xyz, rgb };
}

class BinReader {
  o = 0;
  readonly dv: DataView;
  constructor(readonly file: string, readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.o + n > this.bytes.length) fail(this.file, what, `truncated at byte ${this.o} (needs ${n} more)`);
  }
  u64(what: string): number {
    this.need(8, what);
    const lo = this.dv.getUint32(this.o, true);
    const hi = this.dv.getUint32(this.o + 4, true);
    this.o += 8;
    if (hi > 0x1fffff) fail(this.file, what, 'value too large');
    return hi * 2 ** 32 + lo;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.dv.getInt32(this.o, true);
    this.o += 4;
    return v;
  }
  f64(what: string): number {
    this.need(8, what);
    const v = this.dv.getFloat64(this.o, true);
    this.o += 8;
    if (!Number.isFinite(v)) fail(this.file, what, `non-finite value ${v}`);
    return v;
  }
  /** A count whose items need at least `minItem` bytes each (bounds allocations by the file size). */
  count(what: string, minItem: number): number {
    const n = this.u64(what);
    if (n * minItem > this.bytes.length - this.o) fail(this.file, what, `${n} entries cannot fit in the file`);
    return n;
  }
}

/** Parses cameras.bin. */
export function parseCamerasBinary(file: string, bytes: Uint8Array): Map<number, ColmapCamera> {
  const r = new BinReader(file, bytes);
  const out = new Map<number, ColmapCamera>();
  const n = r.count('num_cameras', 24);
  for (let i = 0; i < n; i++) {
    const id = r.i32(`camera ${i} id`);
    const modelId = r.i32(`camera ${id} model_id`);
    const model = COLMAP_MODELS[modelId];
    if (!model) fail(file, `camera ${id} model_id`, `unknown camera model id ${modelId}`);
    const width = r.u64(`camera ${id} width`);
    const height = r.u64(`camera ${id} height`);
    const params = Array.from({ length: model.params }, () => r.f64(`camera ${id} params`));
    out.set(id, { id, model: model.name, width, height, params });
  }
  return out;
}

/** Parses images.bin. */
export function parseImagesBinary(file: string, bytes: Uint8Array): ColmapImage[] {
  const r = new BinReader(file, bytes);
  const n = r.count('num_reg_images', 64);
  const out: ColmapImage[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.i32(`image ${i} id`);
    const f = `image ${id}`;
    const q: [number, number, number, number] = [r.f64(`${f} qvec`), r.f64(`${f} qvec`), r.f64(`${f} qvec`), r.f64(`${f} qvec`)];
    const t: [number, number, number] = [r.f64(`${f} tvec`), r.f64(`${f} tvec`), r.f64(`${f} tvec`)];
    const cameraId = r.i32(`${f} camera_id`);
    const end = bytes.indexOf(0, r.o);
    if (end < 0) fail(file, `${f} name`, 'unterminated name (truncated file?)');
    const name = new TextDecoder().decode(bytes.subarray(r.o, end));
    r.o = end + 1;
    const np = r.count(`${f} num_points2D`, 24);
    r.o += np * 24;
    out.push({ id, q, t, cameraId, name });
  }
  return out;
}

/** Parses points3D.bin. */
export function parsePointsBinary(file: string, bytes: Uint8Array): PointCloud {
  const r = new BinReader(file, bytes);
  const n = r.count('num_points', 43);
  const xyz = new Float32Array(n * 3);
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    r.u64(`point ${i} id`);
    for (let k = 0; k < 3; k++) xyz[i * 3 + k] = r.f64(`point ${i} xyz`);
    r.need(3, `point ${i} rgb`);
    for (let k = 0; k < 3; k++) rgb[i * 3 + k] = bytes[r.o + k] / 255;
    r.o += 3;
    r.f64(`point ${i} error`);
    const tl = r.count(`point ${i} track_length`, 8);
    r.o += tl * 8;
  }
  return { xyz, rgb };
}

export { quatToRotation, rotationToQuat } from '../core/rotation';
