/** Small scene helpers for the studio: thumbnails, training-size downsampling, a framing view. */
import { Camera } from '../core/Camera';
import type { GaussianCloud } from '../core/GaussianCloud';
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
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * img.height) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * img.height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * img.width) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * img.width) / w));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const p = (yy * img.width + xx) * 3;
          r += img.data[p];
          g += img.data[p + 1];
          b += img.data[p + 2];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const q = (y * w + x) * 3;
      out[q] = r / n;
      out[q + 1] = g / n;
      out[q + 2] = b / n;
    }
  }
  return { width: w, height: h, data: out };
}

/** The scene with every image downsampled to at most `maxSide` pixels and intrinsics scaled to match. */
export function sceneAtSize(scene: Scene, maxSide: number): Scene {
  const images = scene.images.map((im) => downsample(im, maxSide));
  const cameras = scene.cameras.map((c, i) => c.resized(images[i].width, images[i].height));
  // Ground-truth depth maps are dropped rather than resampled: they would no longer match the pixels.
  return { ...scene, images, cameras, depths: undefined };
}

/** A starting view: where to put the orbit camera, what to orbit around, which way is up. */
export interface Framing {
  position: [number, number, number];
  target: [number, number, number];
  up: [number, number, number];
  /** Vertical field of view, degrees. */
  fovY: number;
  /** Typical viewing distance (world units), for frustum size and depth colormap range. */
  distance: number;
}

const add = (a: number[], b: number[], s = 1): [number, number, number] => [a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2]];

/** Framing at the first camera of a scene, looking at the scene's typical depth; up = cameras' mean -y. */
export function frameScene(scene: Scene, view = 0): Framing {
  const cam = scene.cameras[view];
  const up = [0, 0, 0];
  for (const c of scene.cameras) for (let k = 0; k < 3; k++) up[k] -= c.R[3 + k] / scene.cameras.length;
  const n = Math.hypot(up[0], up[1], up[2]) || 1;
  let distance: number;
  if (scene.depthBounds?.[view]) {
    const [near, far] = scene.depthBounds[view];
    distance = Math.sqrt(near * far);
  } else {
    // Where the viewing rays pass closest to each other; else the camera spread.
    const c0 = scene.cameras.map((c) => c.center);
    let spread = 0;
    for (const c of c0) spread = Math.max(spread, Math.hypot(c[0] - c0[0][0], c[1] - c0[0][1], c[2] - c0[0][2]));
    const centroid = [0, 1, 2].map((k) => c0.reduce((s, c) => s + c[k], 0) / c0.length);
    const f = cam.forward;
    const d = (centroid[0] - cam.center[0]) * f[0] + (centroid[1] - cam.center[1]) * f[1] + (centroid[2] - cam.center[2]) * f[2];
    distance = d > spread * 0.2 ? d : Math.max(spread, 1e-3) * 1.5;
    if (scene.points && scene.points.xyz.length >= 3) distance = Math.max(distance, medianDepth(cam, scene.points.xyz));
  }
  // Start a little behind the first camera so its frustum and its neighbours are in view.
  return {
    position: add(cam.center, cam.forward, -0.5 * distance),
    target: add(cam.center, cam.forward, distance),
    up: [up[0] / n, up[1] / n, up[2] / n],
    fovY: (2 * Math.atan(cam.height / 2 / cam.fy) * 180) / Math.PI,
    distance,
  };
}

function medianDepth(cam: Camera, xyz: Float32Array): number {
  const zs: number[] = [];
  for (let i = 0; i < xyz.length; i += 3) {
    const z = cam.R[6] * xyz[i] + cam.R[7] * xyz[i + 1] + cam.R[8] * xyz[i + 2] + cam.t[2];
    if (z > 0) zs.push(z);
  }
  zs.sort((a, b) => a - b);
  return zs.length ? zs[zs.length >> 1] : 1;
}

/** Framing of a bare splat model: orbit its robust centre from -z, with -y up (INRIA/COLMAP worlds). */
export function frameCloud(cloud: GaussianCloud): Framing {
  const n = cloud.count;
  const stride = Math.max(1, Math.floor(n / 20000));
  const axes: number[][] = [[], [], []];
  for (let i = 0; i < n; i += stride) for (let k = 0; k < 3; k++) axes[k].push(cloud.means[i * 3 + k]);
  const q = (a: number[], p: number) => (a.length ? a.sort((x, y) => x - y)[Math.floor(p * (a.length - 1))] : 0);
  const lo = axes.map((a) => q(a, 0.05));
  const hi = axes.map((a) => q(a, 0.95));
  const centre: [number, number, number] = [0, 1, 2].map((k) => (lo[k] + hi[k]) / 2) as [number, number, number];
  const radius = Math.max(1e-3, Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) / 2);
  const distance = radius * 2.2;
  return { position: add(centre, [0, 0, -1], distance), target: centre, up: [0, -1, 0], fovY: 50, distance };
}

/** The camera with its pose unchanged, resized to `w` x `h` keeping its vertical field of view. */
export function fitCamera(cam: Camera, w: number, h: number): Camera {
  const fy = (cam.fy * h) / cam.height;
  return new Camera(cam.R, cam.t, fy, fy, w / 2, h / 2, w, h, cam.name);
}
