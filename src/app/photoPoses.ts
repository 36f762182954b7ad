/**
 * The studio's path for plain photos (no poses file): decode them on the page (the image workers),
 * estimate their poses in a Web Worker (poseWorker.ts: OpenCV.js features + our structure from
 * motion), and build the Scene of the photos that could be posed. The controller imports this module
 * lazily, so neither it nor OpenCV.js weighs on the studio's first load.
 */
import { Camera } from '../core/Camera';
import type { Scene } from '../core/Scene';
import { decodeImage, readImageHeader, type RGBA8Image } from '../io/imageDecode';
import type { EstimatedPoses, EstimatePosesOptions, PosesForScene } from '../poses/estimatePoses';
import { sceneFromPoses } from '../poses/estimatePoses';
export { tooManyPhotosNote } from '../poses/estimatePoses';

/** Most photos the studio estimates poses for at once (the issue's scope is 3-10; SfM time grows with pairs). */
export const MAX_POSE_PHOTOS = 20;
/** Long side (pixels) the photos are decoded to; the scene's images and cameras are at this size. */
export const POSE_LONG_SIDE = 1024;
/** Extensions taken as photos here: PNG and JPEG (our decoders), HEIC/HEIF where the browser decodes it. */
export const PHOTO_EXT = /\.(png|jpe?g|heic|heif)$/i;

/** A camera as plain numbers (what crosses the worker boundary). */
export interface PlainCamera { R: number[]; t: number[]; fx: number; fy: number; cx: number; cy: number; width: number; height: number; name: string }
/** EstimatedPoses with plain cameras (structured-clone safe). */
// Without the features and keypoint-to-point maps (about 250 KB a photo): the studio does not register extra photos.
export type PlainPoses = Omit<EstimatedPoses, 'cameras' | 'features' | 'pointOfKeypoint' | 'sourceSizes'> & { cameras: (PlainCamera | null)[] };
/** Page -> worker: decoded photos (8-bit RGBA, EXIF orientation applied) with their file bytes for EXIF. */
export interface PoseJob {
  photos: { name: string; image: RGBA8Image; bytes?: Uint8Array }[];
  opts: Omit<EstimatePosesOptions, 'onProgress'>;
}
/** Worker -> page. */
export type PoseWorkerReply =
  | { type: 'progress'; stage: string; fraction: number }
  | { type: 'done'; result: PlainPoses }
  | { type: 'error'; message: string };

/** A photo to read: its display name (file name) and how to get its bytes. */
export interface PhotoFile { name: string; read: () => Promise<Uint8Array> }

/** Progress of the whole job: a line for the panel ("Finding features 2/5") and the overall fraction in [0,1]. */
export interface PoseProgress { text: string; fraction: number }

// Share of the bar each stage takes (decode on the page, then the worker's stages).
const SPAN: Record<string, [number, number]> = {
  read: [0, 0.12],
  opencv: [0.12, 0.25],
  decode: [0.25, 0.27],
  intrinsics: [0.27, 0.28],
  features: [0.28, 0.55],
  matching: [0.55, 0.7],
  sfm: [0.7, 1],
  'sfm:verify': [0.7, 0.8],
  'sfm:register': [0.8, 0.9],
  'sfm:bundle': [0.9, 1],
};

/**
 * The panel's text and overall fraction for one progress report.
 * @param stage 'read' (page-side decoding) or a stage of estimatePoses ('decode', 'intrinsics',
 *   'features', 'matching', 'sfm:<stage>') or 'opencv' (loading OpenCV.js)
 * @param fraction fraction of that stage done, in [0,1]
 * @param n number of photos
 */
export function poseProgress(stage: string, fraction: number, n: number): PoseProgress {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const base = stage.startsWith('sfm:') ? 'sfm' : stage;
  const [a, b] = SPAN[stage] ?? SPAN[base] ?? SPAN.sfm;
  const count = (total: number) => `${Math.min(total, f >= 1 ? total : Math.floor(f * total) + 1)}/${total}`;
  const pairs = (n * (n - 1)) / 2;
  const sfm: Record<string, string> = { verify: 'checking photo pairs', register: 'adding photos', bundle: 'bundle adjustment' };
  const text =
    base === 'read' ? `Decoding ${count(n)}`
    : base === 'opencv' ? 'Loading OpenCV (first use)'
    : base === 'decode' ? 'Preparing photos'
    : base === 'intrinsics' ? 'Reading focal lengths (EXIF)'
    : base === 'features' ? `Finding features ${count(n)}`
    : base === 'matching' ? `Matching ${Math.round(f * pairs)}/${pairs} pairs`
    : `Solving poses${sfm[stage.slice(4)] ? `: ${sfm[stage.slice(4)]}` : ''}`;
  return { text, fraction: a + (b - a) * f };
}

/**
 * Decodes a HEIC/HEIF photo with the browser's own decoder (Safari has one; Chromium and Firefox
 * do not). @throws Error naming the photo when the browser cannot decode it.
 */
async function decodeWithBrowser(name: string, bytes: Uint8Array, maxLongSide: number): Promise<RGBA8Image> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: /\.heif$/i.test(name) ? 'image/heif' : 'image/heic' }));
  } catch {
    throw new Error(`${name} could not be decoded: this browser has no HEIC/HEIF decoder (Safari has one) or the file is damaged; convert it to JPEG`);
  }
  const s = Math.min(1, maxLongSide / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * s));
  const h = Math.max(1, Math.round(bitmap.height * s));
  const canvas = new OffscreenCanvas(w, h);
  const g = canvas.getContext('2d');
  if (!g) throw new Error(`${name}: no 2D canvas to decode the photo`);
  g.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const data = g.getImageData(0, 0, w, h).data;
  return { width: w, height: h, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Runs the job in a Web Worker; rejects with the worker's message (which names the photo). */
function runInWorker(job: PoseJob, onStage: (stage: string, fraction: number) => void, signal?: AbortSignal): Promise<PlainPoses> {
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./poseWorker.ts', import.meta.url), { type: 'module', name: 'sparsesplat-poses' });
    } catch (e) {
      reject(new WorkerUnavailable(e instanceof Error ? e.message : String(e)));
      return;
    }
    let heard = false;
    const end = () => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      end();
      reject(new DOMException('pose estimation cancelled', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort);
    worker.onmessage = (e: MessageEvent<PoseWorkerReply>) => {
      heard = true;
      const m = e.data;
      if (m.type === 'progress') onStage(m.stage, m.fraction);
      else if (m.type === 'done') { end(); resolve(m.result); }
      else { end(); reject(new Error(m.message)); }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      end();
      // Failing before its first message: the worker script itself did not load (run on the page instead).
      reject(heard ? new Error(`pose estimation failed: ${e.message || 'worker error'}`) : new WorkerUnavailable(e.message || 'worker did not start'));
    };
    worker.postMessage(job);
  });
}

class WorkerUnavailable extends Error {}

/** Runs the job on the page (no Worker): same result, the page is busy meanwhile. */
async function runOnPage(job: PoseJob, onStage: (stage: string, fraction: number) => void): Promise<PlainPoses> {
  const { estimatePoses } = await import('../poses/estimatePoses');
  const { loadOpenCv } = await import('../poses/opencv');
  onStage('opencv', 0);
  await loadOpenCv();
  const est = await estimatePoses(job.photos, { ...job.opts, onProgress: onStage });
  return { ...est, cameras: est.cameras.map((c) => (c ? { R: [...c.R], t: [...c.t], fx: c.fx, fy: c.fy, cx: c.cx, cy: c.cy, width: c.width, height: c.height, name: c.name } : null)) };
}

/** What estimateScene returns: the scene of the posed photos and what to tell the user. */
export interface PhotoSceneResult {
  scene: Scene;
  /** Photos left out, each with a reason naming it. */
  dropped: { name: string; reason: string }[];
  /** One line for the info notice ("Estimated the poses of 3 photos: ..."). */
  summary: string;
}

/**
 * Estimates the poses of plain photos and builds their Scene (protocol 'even', black background,
 * images at most POSE_LONG_SIDE pixels on the long side, the sparse points for framing and init).
 * Photos that could not be registered are left out and listed in `dropped`.
 * @param photos 2..MAX_POSE_PHOTOS photos (PNG, JPEG; HEIC/HEIF where the browser decodes it)
 * @param name the scene's name
 * @param onProgress the panel's line and the overall fraction in [0,1]
 * @throws Error naming the photo: one photo only (or, for one file that is no PNG/JPEG, the
 *   FormatError saying so), too many photos, an undecodable photo, fewer than 2 photos
 *   with texture (a textureless one among others is left out, in `dropped`), photos that share too few matches or were taken from one spot, fewer than 2
 *   photos posed; AbortError when `signal` aborts.
 */
export async function estimateScene(
  photos: PhotoFile[],
  name: string,
  onProgress: (p: PoseProgress) => void,
  signal?: AbortSignal,
): Promise<PhotoSceneResult> {
  const n = photos.length;
  if (n === 1) {
    // A file that is no photo at all says so first (readImageHeader names it).
    if (!/\.(heic|heif)$/i.test(photos[0].name)) readImageHeader(photos[0].name, await photos[0].read());
    throw new Error(
      `${photos[0].name}: no poses file, and poses cannot be estimated from one photo. Add 2-${MAX_POSE_PHOTOS} photos of the same scene taken from different spots, or its poses file (poses_bounds.npy, transforms.json or a COLMAP model)`,
    );
  }
  if (n < 2) throw new Error('no photos to estimate poses from');
  if (n > MAX_POSE_PHOTOS) {
    throw new Error(`${n} photos and no poses file: the studio estimates poses for up to ${MAX_POSE_PHOTOS} photos at a time; pick fewer, or add their poses file (poses_bounds.npy, transforms.json or a COLMAP model)`);
  }
  const inputs: PoseJob['photos'] = [];
  for (const [k, p] of photos.entries()) {
    signal?.throwIfAborted();
    onProgress(poseProgress('read', k / n, n));
    const bytes = await p.read();
    const image = /\.(heic|heif)$/i.test(p.name)
      ? await decodeWithBrowser(p.name, bytes, POSE_LONG_SIDE)
      : await decodeImage(p.name, bytes, undefined, { fit: { maxLongSide: POSE_LONG_SIDE } });
    inputs.push({ name: p.name, image: { width: image.width, height: image.height, rgba: image.rgba }, bytes });
  }
  onProgress(poseProgress('read', 1, n));
  const job: PoseJob = { photos: inputs, opts: { maxLongSide: POSE_LONG_SIDE } };
  const onStage = (stage: string, fraction: number) => onProgress(poseProgress(stage, fraction, n));
  let plain: PlainPoses;
  try {
    plain = await runInWorker(job, onStage, signal);
  } catch (e) {
    if (!(e instanceof WorkerUnavailable)) throw e;
    plain = await runOnPage(job, onStage);
  }
  signal?.throwIfAborted();
  const est: PosesForScene = {
    ...plain,
    cameras: plain.cameras.map((c) => (c ? new Camera(c.R, c.t, c.fx, c.fy, c.cx, c.cy, c.width, c.height, c.name) : null)),
  };
  const { scene, dropped } = sceneFromPoses(est, name);
  const posedIdx = est.cameras.map((c, k) => (c ? k : -1)).filter((k) => k >= 0);
  const sources = [...new Set(posedIdx.map((k) => est.intrinsics[k]?.source))];
  const focalNote = sources.length === 1 && sources[0] === 'default-55deg'
    ? 'focal from a 55-degree field of view (no EXIF focal length), refined'
    : sources.every((s) => s?.startsWith('exif')) ? 'focal from EXIF, refined' : 'focal from EXIF where present, else a 55-degree field of view, refined';
  const summary = `Estimated the poses of ${scene.cameras.length} of ${n} photos (${name}): ${scene.points?.xyz.length ? scene.points.xyz.length / 3 : 0} points, reprojection error ${est.report.rmsPx.toFixed(2)} px; ${focalNote}.`;
  return { scene, dropped, summary };
}
