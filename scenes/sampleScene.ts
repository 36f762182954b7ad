import code from '../shaders/scene_raymarch.wgsl?raw';
import { Camera } from '../src/core/Camera';
import type { ImageRGB } from '../src/core/Image';
import type { Scene } from '../src/core/Scene';
import type { GpuContext } from '../src/gpu/device';
import { createStorageBuffer, createUniformBuffer, readF32, writeBuffer } from '../src/gpu/buffers';
import { bindEntries, cachedPipeline, recordPass } from '../src/gpu/passes';

/** Options of the bundled sample scene. */
export interface SampleSceneOptions {
  /** Image width in pixels (default 252). */
  width?: number;
  /** Image height in pixels (default 189). */
  height?: number;
  /** Total cameras including held-out ones (default 12); with protocol 'llff' views i % 8 == 0 are test views. */
  views?: number;
  /** Sphere-tracing step budget per ray (default 64; shadow rays use half). */
  maxSteps?: number;
}

/** Look-at target of the camera arc (world, y up). */
export const SAMPLE_TARGET: [number, number, number] = [0, 0.35, -0.35];
/** Half-angle of the camera arc, degrees (azimuth spans -ARC_DEG..+ARC_DEG). */
export const ARC_DEG = 12;
/** Horizontal field of view of the sample cameras, radians (55 degrees). */
export const SAMPLE_FOV_X = (55 * Math.PI) / 180;

/**
 * Camera path of the sample scene: `views` cameras on a forward-facing arc (azimuth -12..+12 deg,
 * elevation 15..20 deg, radius 3.1 around SAMPLE_TARGET), all looking at the target, OpenCV axes.
 * Camera i is at azimuth lerp(-12, 12, i/(views-1)).
 * @throws Error when views < 1 or the size is not a positive integer
 */
export function sampleCameras(width: number, height: number, views: number): Camera[] {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`sampleScene: width and height must be positive integers (got ${width}x${height})`);
  }
  if (!(Number.isInteger(views) && views >= 1)) throw new Error(`sampleScene: views must be an integer >= 1 (got ${views})`);
  const f = (0.5 * width) / Math.tan(SAMPLE_FOV_X / 2);
  const cams: Camera[] = [];
  for (let i = 0; i < views; i++) {
    const s = views === 1 ? 0.5 : i / (views - 1);
    const az = ((-ARC_DEG + 2 * ARC_DEG * s) * Math.PI) / 180;
    const el = ((15 + 5 * Math.sin(Math.PI * s)) * Math.PI) / 180;
    const r = 3.1;
    const eye = [
      SAMPLE_TARGET[0] + r * Math.cos(el) * Math.sin(az),
      SAMPLE_TARGET[1] + r * Math.sin(el),
      SAMPLE_TARGET[2] + r * Math.cos(el) * Math.cos(az),
    ];
    cams.push(lookAt(eye, SAMPLE_TARGET, f, width, height, `sample_${String(i).padStart(2, '0')}`));
  }
  return cams;
}

/** OpenCV camera at `eye` looking at `target` with world up +y (rows of R: right, down, forward). */
function lookAt(eye: number[], target: number[], f: number, width: number, height: number, name: string): Camera {
  const fw = norm([target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]]);
  const right = norm(cross(fw, [0, 1, 0]));
  const down = cross(fw, right);
  const R = [...right, ...down, ...fw];
  const t = [0, 1, 2].map((k) => -(R[k * 3] * eye[0] + R[k * 3 + 1] * eye[1] + R[k * 3 + 2] * eye[2]));
  return new Camera(R, t, f, f, width / 2, height / 2, width, height, name);
}

function cross(a: number[], b: number[]): number[] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
function norm(a: number[]): number[] {
  const l = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / l, a[1] / l, a[2] / l];
}

/**
 * Renders the bundled procedural sample scene on the GPU with `shaders/scene_raymarch.wgsl`: a
 * textured floor and back wall, a striped sphere, a rotated noise-textured box, a banded torus, a
 * small checkered sphere and a ringed cylinder (analytic SDFs, sphere tracing with a bounded step
 * count), Lambert lighting with hard shadows, textures band-limited to the pixel footprint.
 *
 * Returns a Scene with `views` posed images (ImageRGB, sRGB-encoded [0,1], W*H*3), exact ground-truth
 * depth per pixel (`depths[i]`, camera z in world units, H*W, row-major), per-view `depthBounds`
 * (min/max of the ground truth widened by 10%), protocol 'llff' (test views: index % 8 == 0) and
 * name 'sample'. World units are metres-ish (objects span about 2.5 x 1.3 x 2.2).
 * @param gpu WebGPU context (acquireGpu())
 * @param opts image size (default 252x189) and camera count (default 12)
 * @throws Error on non-integer / non-positive sizes or views
 */
export async function renderSampleScene(gpu: GpuContext, opts: SampleSceneOptions = {}): Promise<Scene> {
  const width = opts.width ?? 252;
  const height = opts.height ?? 189;
  const views = opts.views ?? 12;
  const maxSteps = opts.maxSteps ?? 64;
  const cameras = sampleCameras(width, height, views);
  const { rgb, depth } = await renderViews(gpu, cameras, maxSteps);
  const npx = width * height;
  const images: ImageRGB[] = [];
  const depths: Float32Array[] = [];
  const depthBounds: [number, number][] = [];
  for (let v = 0; v < views; v++) {
    images.push({ width, height, data: rgb.slice(v * npx * 3, (v + 1) * npx * 3) });
    const d = depth.slice(v * npx, (v + 1) * npx);
    depths.push(d);
    let lo = Infinity;
    let hi = 0;
    for (const z of d) {
      if (z > 0) {
        lo = Math.min(lo, z);
        hi = Math.max(hi, z);
      }
    }
    depthBounds.push(hi > 0 ? [lo * 0.9, hi * 1.1] : [0.1, 100]);
  }
  return {
    name: 'sample',
    cameras,
    images,
    imageNames: cameras.map((c) => `${c.name}.png`),
    depthBounds,
    depths,
    background: [0, 0, 0],
    protocol: 'llff',
  };
}

/**
 * Ray-marches the sample scene for arbitrary cameras (any path, any size; all cameras must share
 * one width x height). Returns rgb (views*H*W*3, sRGB-encoded) and depth (views*H*W, camera z; 0 = sky).
 * @throws Error when the cameras differ in size or the list is empty
 */
export async function renderViews(
  gpu: GpuContext,
  cameras: Camera[],
  maxSteps = 64,
): Promise<{ rgb: Float32Array; depth: Float32Array }> {
  if (cameras.length === 0) throw new Error('sampleScene.renderViews: no cameras');
  const { width, height } = cameras[0];
  for (const c of cameras) {
    if (c.width !== width || c.height !== height) {
      throw new Error(`sampleScene.renderViews: camera "${c.name}" is ${c.width}x${c.height}, expected ${width}x${height}`);
    }
  }
  const device = gpu.device;
  const views = cameras.length;
  const camData = new Float32Array(views * 20);
  cameras.forEach((c, i) => {
    const o = i * 20;
    for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) camData[o + r * 4 + k] = c.R[r * 3 + k];
    camData.set(c.center, o + 12);
    camData.set([c.fx, c.fy, c.cx, c.cy], o + 16);
  });
  const pipeline = await cachedPipeline(device, code, 'main', 'shaders/scene_raymarch.wgsl');
  const params = createUniformBuffer(device, 16, 'scene.params');
  writeBuffer(device, params, Uint32Array.from([width, height, views, maxSteps]));
  const camBuf = createStorageBuffer(device, camData, 'scene.cams');
  const npx = width * height * views;
  const rgbBuf = createStorageBuffer(device, npx * 12, 'scene.rgb');
  const depthBuf = createStorageBuffer(device, npx * 4, 'scene.depth');
  const enc = device.createCommandEncoder();
  const bind = bindEntries(device, pipeline, { 0: params, 1: camBuf, 2: rgbBuf, 3: depthBuf });
  recordPass(enc, 'sampleScene', pipeline, bind, [Math.ceil(width / 8), Math.ceil(height / 8), views]);
  device.queue.submit([enc.finish()]);
  const rgb = await readF32(device, rgbBuf, npx * 3);
  const depth = await readF32(device, depthBuf, npx);
  for (const b of [params, camBuf, rgbBuf, depthBuf]) b.destroy();
  return { rgb, depth };
}
