import type { Camera } from '../core/Camera';
import { imageFromRGBA8, type ImageRGB } from '../core/Image';
import type { PointCloud, Scene } from '../core/Scene';
import type { FileSource } from './FileSource';
import { fail, FormatError } from './FormatError';
import type { PathReference } from './pathResolver';
import { browserDecodeAvailable, decodePoolSize, warmImageDecoders } from './browserImageDecode';
import { decodeImage, fitSize, MAX_IMAGE_PIXELS, resizeImage, type RGBA8Image } from './imageDecode';
import { createProgressTracker, type LoadProgressFn, type LoadStage } from './loadProgress';
import { isZeroDistortion, undistortImage, type Distortion } from './undistort';

/** Options shared by every scene loader. */
export interface LoadOptions {
  /**
   * LLFF / COLMAP / nerfstudio: read `images_N` (N = downscale) instead of `images`, or shrink the
   * images of a sharper folder by the missing factor when `images_N` is absent; intrinsics follow.
   */
  downscale?: number;
  /** Shrink images (area average) so the long side is at most this many pixels; intrinsics follow. */
  maxLongSide?: number;
  /** RGB in [0,1] (sRGB-encoded) that RGBA images are composited over; default black, white for Blender. */
  background?: [number, number, number];
  /**
   * Called as each image passes a stage (reading or unzipping, decoding, undistorting when the
   * scene has distortion); see loadProgress.ts for the counts and the text the studio shows.
   */
  onProgress?: LoadProgressFn;
}

/** One posed image before decoding: the loader-specific part of a scene. */
export interface FrameSpec {
  /** Path inside the FileSource. */
  path: string;
  /** Name reported in Scene.imageNames. */
  name: string;
  /** Builds the (OpenCV, w2c) camera for the decoded image size; throws when the size disagrees. */
  makeCamera(width: number, height: number): Camera;
  /** Scene file and field that define this frame's camera, named by errors the Camera constructor throws. */
  sceneRef: PathReference;
  distortion?: Distortion;
  split?: 'train' | 'val' | 'test';
  /** Shrink the decoded image by this factor (downscale asked for a folder that is absent). */
  shrink?: number;
}

/** What a loader knows about a scene besides its frames. */
export interface SceneMeta {
  name: string;
  protocol: Scene['protocol'];
  background: [number, number, number];
  points?: PointCloud;
  depthBounds?: [number, number][];
}

/**
 * Decodes every frame's image (PNG/JPEG, EXIF orientation), composites RGBA over the background,
 * undistorts when the frame has distortion, then shrinks to `maxLongSide` (camera resized with it).
 * In a browser, images are decoded by a pool of workers a few frames ahead of the one being
 * processed, and shrunk there (so undistortion runs at the final size, with the camera resized
 * first: the same mapping, sampled at the output resolution); in Node, one at a time at full size.
 * Reports each stage per image to `opts.onProgress`.
 * @throws FormatError naming the image for a missing or undecodable file or a size that disagrees
 *   with the intrinsics, and naming the scene file and field (FrameSpec.sceneRef) for a camera that
 *   cannot be built (e.g. a negative focal length). Errors come in frame order.
 */
export async function assembleScene(src: FileSource, frames: FrameSpec[], meta: SceneMeta, opts: LoadOptions): Promise<Scene> {
  if (frames.length === 0) fail(src.name, 'frames', 'the scene lists no images');
  const listed = new Set(src.list());
  const distorted = (f: FrameSpec) => !!f.distortion && !isZeroDistortion(f.distortion);
  const readStage: LoadStage = src.kind === 'zip' ? 'unzip' : 'read';
  const stages: LoadStage[] = [readStage, 'decode', ...(frames.some(distorted) ? (['undistort'] as const) : [])];
  const progress = createProgressTracker(stages, frames.length, opts.onProgress);
  const fitOf = (f: FrameSpec) => ({ ...(f.shrink && f.shrink > 1 ? { shrink: f.shrink } : {}), ...(opts.maxLongSide ? { maxLongSide: opts.maxLongSide } : {}) });

  const fetchFrame = async (f: FrameSpec): Promise<RGBA8Image> => {
    const label = `${src.name}/${f.path}`;
    if (!listed.has(f.path)) fail(label, 'image', 'missing image file');
    const bytes = await src.read(f.path);
    progress.tick(readStage, f.path);
    const dec = await decodeImage(label, bytes, MAX_IMAGE_PIXELS, { fit: fitOf(f) });
    progress.tick('decode', f.path);
    return dec;
  };
  // Browser: keep the decoding workers busy while this thread composites and undistorts.
  const browser = browserDecodeAvailable();
  if (browser) warmImageDecoders();
  const ahead = browser ? 2 * decodePoolSize() + 1 : 1;
  const pending: (Promise<RGBA8Image> | undefined)[] = [];
  const start = (i: number) => {
    if (i >= frames.length) return;
    const p = fetchFrame(frames[i]);
    p.catch(() => {}); // awaited in frame order below; an earlier failure may abandon it
    pending[i] = p;
  };
  for (let i = 0; i < ahead; i++) start(i);

  const cameras: Camera[] = [];
  const images: ImageRGB[] = [];
  const alphas: (Float32Array | null)[] = [];
  let transparent = false;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const dec = await pending[i]!;
    pending[i] = undefined;
    start(i + ahead);
    const full = dec.source ?? dec;
    let cam = cameraOf(f, full.width, full.height);
    if (dec.width !== full.width || dec.height !== full.height) cam = cam.resized(dec.width, dec.height);
    let img = imageFromRGBA8(dec.rgba, dec.width, dec.height, meta.background);
    // Alpha rides along as a grey image so that undistortion and resizing treat it like the colours
    // (only for images that have any transparency).
    let alpha: ImageRGB | null = null;
    const n = dec.width * dec.height;
    let opaque = true;
    for (let k = 0; k < n; k++) if (dec.rgba[k * 4 + 3] !== 255) { opaque = false; break; }
    if (!opaque) {
      transparent = true;
      alpha = { width: dec.width, height: dec.height, data: new Float32Array(n * 3) };
      for (let k = 0; k < n; k++) {
        const a = dec.rgba[k * 4 + 3] / 255;
        alpha.data[k * 3] = alpha.data[k * 3 + 1] = alpha.data[k * 3 + 2] = a;
      }
    }
    if (distorted(f)) {
      img = undistortImage(img, cam.fx, cam.fy, cam.cx, cam.cy, f.distortion!);
      if (alpha) alpha = undistortImage(alpha, cam.fx, cam.fy, cam.cx, cam.cy, f.distortion!);
    }
    if (stages.includes('undistort')) progress.tick('undistort', f.path);
    // The browser decoder already shrank (dec.source set); otherwise shrink here.
    const [w, h] = dec.source ? [img.width, img.height] : fitSize(img.width, img.height, fitOf(f));
    if (w !== img.width || h !== img.height) {
      img = resizeImage(img, w, h);
      if (alpha) alpha = resizeImage(alpha, w, h);
      cam = cam.resized(w, h);
    }
    cameras.push(cam);
    images.push(img);
    if (alpha) {
      const a1 = new Float32Array(w * h);
      for (let k = 0; k < w * h; k++) a1[k] = alpha.data[k * 3];
      alphas.push(a1);
    } else {
      alphas.push(null);
    }
    // Let the page paint its progress between frames.
    if (browser) await new Promise((r) => setTimeout(r, 0));
  }
  const scene: Scene = {
    name: meta.name,
    cameras,
    images,
    imageNames: frames.map((f) => f.name),
    background: meta.background,
    protocol: meta.protocol,
  };
  if (transparent) scene.alphas = alphas.map((a, k) => a ?? new Float32Array(images[k].width * images[k].height).fill(1));
  if (meta.points) scene.points = meta.points;
  if (meta.depthBounds) scene.depthBounds = meta.depthBounds;
  if (frames.some((f) => f.split)) scene.imageSplits = frames.map((f) => f.split ?? 'train');
  return scene;
}

/** The frame's camera; a plain Error from the Camera constructor becomes a FormatError naming the scene file. */
function cameraOf(f: FrameSpec, width: number, height: number): Camera {
  try {
    return f.makeCamera(width, height);
  } catch (e) {
    if (e instanceof FormatError || !(e instanceof Error)) throw e;
    throw new FormatError(f.sceneRef.file, f.sceneRef.field, e.message);
  }
}

/** A scene's display name: its folder inside the source, else the source's last path component. */
export function sceneName(src: FileSource, root: string): string {
  const b = (p: string) => p.replace(/\/+$/, '').split('/').pop() ?? p;
  return (root && b(root)) || b(src.name).replace(/\.zip$/i, '') || src.name;
}

/** Throws unless every value is finite, naming the file and field. */
export function requireFinite(file: string, field: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) fail(file, field, `non-finite or missing value at index ${i} (${values[i]})`);
  }
}
