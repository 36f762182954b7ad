import type { Camera } from '../core/Camera';
import { imageFromRGBA8, type ImageRGB } from '../core/Image';
import type { PointCloud, Scene } from '../core/Scene';
import type { FileSource } from './FileSource';
import { fail, FormatError } from './FormatError';
import type { PathReference } from './pathResolver';
import { decodeImage, fitLongSide, resizeImage } from './imageDecode';
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
 * @throws FormatError naming the image for a missing or undecodable file or a size that disagrees
 *   with the intrinsics, and naming the scene file and field (FrameSpec.sceneRef) for a camera that
 *   cannot be built (e.g. a negative focal length).
 */
export async function assembleScene(src: FileSource, frames: FrameSpec[], meta: SceneMeta, opts: LoadOptions): Promise<Scene> {
  if (frames.length === 0) fail(src.name, 'frames', 'the scene lists no images');
  const listed = new Set(src.list());
  const cameras: Camera[] = [];
  const images: ImageRGB[] = [];
  const alphas: Float32Array[] = [];
  let transparent = false;
  for (const f of frames) {
    if (!listed.has(f.path)) fail(`${src.name}/${f.path}`, 'image', 'missing image file');
    const bytes = await src.read(f.path);
    const label = `${src.name}/${f.path}`;
    const dec = await decodeImage(label, bytes);
    let cam = cameraOf(f, dec.width, dec.height);
    let img = imageFromRGBA8(dec.rgba, dec.width, dec.height, meta.background);
    // Alpha rides along as a grey image so that undistortion and resizing treat it like the colours.
    let alpha: ImageRGB = { width: dec.width, height: dec.height, data: new Float32Array(dec.width * dec.height * 3) };
    for (let i = 0; i < dec.width * dec.height; i++) {
      const a = dec.rgba[i * 4 + 3] / 255;
      if (a < 1) transparent = true;
      alpha.data[i * 3] = alpha.data[i * 3 + 1] = alpha.data[i * 3 + 2] = a;
    }
    if (f.distortion && !isZeroDistortion(f.distortion)) {
      img = undistortImage(img, cam.fx, cam.fy, cam.cx, cam.cy, f.distortion);
      alpha = undistortImage(alpha, cam.fx, cam.fy, cam.cx, cam.cy, f.distortion);
    }
    let [w, h] = [img.width, img.height];
    if (f.shrink && f.shrink > 1) [w, h] = [Math.max(1, Math.round(w / f.shrink)), Math.max(1, Math.round(h / f.shrink))];
    [w, h] = fitLongSide(w, h, opts.maxLongSide);
    if (w !== img.width || h !== img.height) {
      img = resizeImage(img, w, h);
      alpha = resizeImage(alpha, w, h);
      cam = cam.resized(w, h);
    }
    cameras.push(cam);
    images.push(img);
    const a1 = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) a1[i] = alpha.data[i * 3];
    alphas.push(a1);
  }
  const scene: Scene = {
    name: meta.name,
    cameras,
    images,
    imageNames: frames.map((f) => f.name),
    background: meta.background,
    protocol: meta.protocol,
  };
  if (transparent) scene.alphas = alphas;
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
