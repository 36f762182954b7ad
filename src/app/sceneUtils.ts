/** Small scene helpers for the studio: thumbnails, training-size downsampling, camera resizing (framing: framing.ts). */
import { Camera } from '../core/Camera';
import type { ImageRGB } from '../core/Image';
import type { Scene } from '../core/Scene';

/** Draws an ImageRGB (float RGB in [0,1], sRGB-encoded) into a new canvas of at most `maxSide` pixels. */
export function imageToCanvas(img: ImageRGB, maxSide = 160): HTMLCanvasElement {
  const small = downsample(img, maxSide);
  const canvas = document.createElement('canvas');
  canvas.width = small.width;
  canvas.height = small.height;
  const ctx = canvas.getContext('2d')!;
  const data = ctx.createImageData(small.width, small.height);
  for (let i = 0; i < small.width * small.height; i++) {
    for (let c = 0; c < 3; c++) data.data[i * 4 + c] = Math.round(Math.min(1, Math.max(0, small.data[i * 3 + c])) * 255);
    data.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(data, 0, 0);
  return canvas;
}

/**
 * Box-filter downsample so the longer side is at most `maxSide` pixels (never upsamples).
 * Values stay sRGB-encoded (averaging in sRGB, as image pyramids of 3DGS datasets do).
 */
export function downsample(img: ImageRGB, maxSide: number): ImageRGB {
  const s = Math.max(img.width, img.height) / maxSide;
  if (s <= 1) return img;
  const w = Math.max(1, Math.round(img.width / s));
  const h = Math.max(1, Math.round(img.height / s));
  return { width: w, height: h, data: boxFilter(img.data, img.width, img.height, 3, w, h) };
}

/** Box filter of a W*H*channels image (row-major, channels interleaved) down to w*h: each output pixel averages the input pixels it covers. */
function boxFilter(data: Float32Array, W: number, H: number, channels: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h * channels);
  const sum = new Float64Array(channels);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * H) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * H) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * W) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * W) / w));
      sum.fill(0);
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const p = (yy * W + xx) * channels;
          for (let c = 0; c < channels; c++) sum[c] += data[p + c];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const q = (y * w + x) * channels;
      for (let c = 0; c < channels; c++) out[q + c] = sum[c] / n;
    }
  }
  return out;
}

/** The scene with every image (and coverage alpha) downsampled to at most `maxSide` pixels and intrinsics scaled to match. */
export function sceneAtSize(scene: Scene, maxSide: number): Scene {
  const images = scene.images.map((im) => downsample(im, maxSide));
  const cameras = scene.cameras.map((c, i) => c.resized(images[i].width, images[i].height));
  // Coverage alphas are box-filtered like the photos (they were composited at the loaded size, so they stay consistent).
  const alphas = scene.alphas?.map((a, i) => {
    const src = scene.images[i];
    return images[i] === src ? a : boxFilter(a, src.width, src.height, 1, images[i].width, images[i].height);
  });
  // Ground-truth depth maps are dropped rather than resampled: they would no longer match the pixels.
  return { ...scene, images, cameras, alphas, depths: undefined };
}

/**
 * The scene with the cameras of `views` replaced by `cameras` (same order; any image size: each is
 * resized to its view's image), sharing everything else. Returns `scene` itself when no pose or
 * focal changed, so the viewer redraws only for refined poses.
 * @throws Error when `views` and `cameras` differ in length or a view is not in the scene
 */
export function withCameras(scene: Scene, views: readonly number[], cameras: readonly Camera[]): Scene {
  if (views.length !== cameras.length) throw new Error(`withCameras: ${views.length} views but ${cameras.length} cameras`);
  let out: Camera[] | null = null;
  views.forEach((v, k) => {
    const old = scene.cameras[v];
    if (!old) throw new Error(`withCameras: view ${v} is not in scene "${scene.name}" (${scene.cameras.length} cameras)`);
    const cam = cameras[k].width === old.width && cameras[k].height === old.height ? cameras[k] : cameras[k].resized(old.width, old.height);
    const same = cam === old || (cam.R.every((r, i) => r === old.R[i]) && cam.t.every((t, i) => t === old.t[i]) && cam.fx === old.fx && cam.fy === old.fy);
    if (same) return;
    out ??= scene.cameras.slice();
    out[v] = cam;
  });
  return out ? { ...scene, cameras: out } : scene;
}

/** The camera with its pose unchanged, resized to `w` x `h` keeping its vertical field of view. */
export function fitCamera(cam: Camera, w: number, h: number): Camera {
  const fy = (cam.fy * h) / cam.height;
  return new Camera(cam.R, cam.t, fy, fy, w / 2, h / 2, w, h, cam.name);
}
