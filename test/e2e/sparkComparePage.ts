/**
 * Page of test/e2e/sparkCompare.e2e.test.ts: renders one splat file with our compute rasterizer
 * (WebGPU, src/splat/GaussianRasterizer, read back as float) and with Spark (WebGL2, its own file
 * reader, read back from an RGBA8 canvas) from the same OpenCV camera, both over a transparent
 * black background. The test calls `window.__sparkCompare(request)` and gets both images back as
 * base64 RGBA8 (rows top to bottom) plus straight alpha coverage.
 */
import { SparkRenderer, SplatMesh } from '@sparkjsdev/spark';
import * as THREE from 'three';
import { Camera } from '../../src/core/Camera';
import { acquireGpu, type GpuContext } from '../../src/gpu/device';
import { frameCloud } from '../../src/app/framing';
import { readSplatFile } from '../../src/io/splatFile';
import { writeSpz } from '../../src/io/spz';
import { GaussianBuffers } from '../../src/splat/GaussianBuffers';
import { GaussianRasterizer } from '../../src/splat/GaussianRasterizer';

/** An OpenCV pinhole camera as plain numbers: w2c R (row-major 3x3), t, intrinsics in pixels. */
export interface PlainCamera {
  R: number[];
  t: number[];
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

/** What the test asks for: a file (served by Vite), an image size, optionally a camera and Spark settings. */
export interface CompareRequest {
  url: string;
  name: string;
  width: number;
  height: number;
  /** OpenCV camera; default: frameCloud of our reading of the file (the studio's framing). */
  camera?: PlainCamera;
  /** Our rasterizer's Mip-Splatting mode (false: 3DGS's plain 0.3 px^2 dilation). */
  antialiased: boolean;
  /** SparkRenderer options (see sparkOptions in the test). */
  spark: Record<string, number | boolean>;
  /**
   * Deliberate slips in OUR render only, to show the comparison catches them: a principal-point
   * shift in pixels, a sign on the SH bands above DC.
   */
  oursSlip?: { shift?: [number, number]; shRestSign?: number };
  /** Extra SplatMesh transform applied to Spark only, as a column-major 4x4 (axis convention of its reader). */
  sparkObjectMatrix?: number[];
}

/** One comparison's result (images base64 RGBA8, top row first). */
export interface CompareResult {
  camera: PlainCamera;
  splats: number;
  shDegree: number;
  sparkSplats: number;
  sparkActive: number;
  sparkFrames: number;
  /** What Spark read: 'original', or a re-encoding by our writer and why (Spark's error on the original). */
  sparkInput: string;
  ours: string;
  spark: string;
  oursMs: number;
  sparkMs: number;
}

/**
 * three.js camera (OpenGL axes: x right, y up, looking down -z) equal to an OpenCV camera (x right,
 * y down, z forward; pixel (x, y) covers [x, x+1) x [y, y+1), u = fx X/Z + cx): matrixWorld = c2w *
 * diag(1, -1, -1, 1), projection from the intrinsics so that NDC -1..1 spans the pixel edges 0..W
 * (and top row = NDC y +1). near/far are the clip range in world units.
 */
export function threeCameraFromOpenCV(cam: Camera, near: number, far: number): THREE.PerspectiveCamera {
  const { R, t, fx, fy, cx, cy, width: W, height: H } = cam;
  const c = cam.center;
  // c2w rotation = R^T; columns are the camera axes in world; flip the y and z columns.
  const m = new THREE.Matrix4().set(
    R[0], -R[3], -R[6], c[0],
    R[1], -R[4], -R[7], c[1],
    R[2], -R[5], -R[8], c[2],
    0, 0, 0, 1,
  );
  void t;
  const three = new THREE.PerspectiveCamera((2 * Math.atan(H / 2 / fy) * 180) / Math.PI, W / H, near, far);
  three.matrixAutoUpdate = false;
  three.matrix.copy(m);
  m.decompose(three.position, three.quaternion, three.scale);
  three.updateMatrixWorld(true);
  // Clip-space x = (2fx/W) X + (1 - 2cx/W) Zgl... in GL view coordinates (Zgl = -Z, Ygl = -Y).
  const p = new THREE.Matrix4().set(
    (2 * fx) / W, 0, 1 - (2 * cx) / W, 0,
    0, (2 * fy) / H, (2 * cy) / H - 1, 0,
    0, 0, -(far + near) / (far - near), (-2 * far * near) / (far - near),
    0, 0, -1, 0,
  );
  three.projectionMatrix.copy(p);
  three.projectionMatrixInverse.copy(p).invert();
  return three;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function plain(cam: Camera): PlainCamera {
  return { R: Array.from(cam.R), t: Array.from(cam.t), fx: cam.fx, fy: cam.fy, cx: cam.cx, cy: cam.cy, width: cam.width, height: cam.height };
}

function framedCamera(cloud: ReturnType<typeof readSplatFile>, W: number, H: number): Camera {
  const f = frameCloud(cloud);
  const three = new THREE.PerspectiveCamera(f.fovY, W / H, 0.01, 1000);
  three.up.set(...f.up);
  three.position.set(...f.position);
  three.lookAt(new THREE.Vector3(...f.target));
  three.updateMatrixWorld();
  const e = three.matrixWorld.elements;
  // three.js column-major c2w in GL axes -> OpenCV c2w (flip the y and z axes), row-major.
  const c2w = [e[0], -e[4], -e[8], e[12], e[1], -e[5], -e[9], e[13], e[2], -e[6], -e[10], e[14], 0, 0, 0, 1];
  const fy = H / 2 / Math.tan((f.fovY * Math.PI) / 360);
  return Camera.fromC2W(c2w, fy, fy, W / 2, H / 2, W, H, 'framed');
}

let gpuP: Promise<{ gpu: GpuContext; raster: GaussianRasterizer }> | null = null;
let sparkState: { gl: THREE.WebGLRenderer; spark: SparkRenderer; key: string } | null = null;

async function ours(req: CompareRequest, cloud: ReturnType<typeof readSplatFile>, cam: Camera): Promise<Uint8Array> {
  gpuP ??= (async () => {
    const gpu = await acquireGpu();
    return { gpu, raster: await GaussianRasterizer.create(gpu) };
  })();
  const { gpu, raster } = await gpuP;
  const buf = new GaussianBuffers(gpu.device, Math.max(1, cloud.count), 'compare');
  buf.upload(cloud);
  try {
    const out = await raster.render(buf, cam, { background: [0, 0, 0], antialiased: req.antialiased });
    const n = cam.width * cam.height;
    const px = new Uint8Array(n * 4);
    const q = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
    for (let i = 0; i < n; i++) {
      px[i * 4] = q(out.rgb[i * 3]);
      px[i * 4 + 1] = q(out.rgb[i * 3 + 1]);
      px[i * 4 + 2] = q(out.rgb[i * 3 + 2]);
      px[i * 4 + 3] = q(out.alpha[i]);
    }
    return px;
  } finally {
    buf.destroy();
  }
}

async function spark(
  req: CompareRequest,
  bytes: Uint8Array,
  name: string,
  cam: Camera,
  near: number,
  far: number,
): Promise<{ px: Uint8Array; n: number; active: number; frames: number }> {
  const canvas = document.getElementById('spark') as HTMLCanvasElement;
  const key = JSON.stringify(req.spark);
  if (!sparkState || sparkState.key !== key || canvas.width !== cam.width || canvas.height !== cam.height) {
    canvas.width = cam.width;
    canvas.height = cam.height;
    sparkState?.gl.dispose();
    const gl = new THREE.WebGLRenderer({ canvas, antialias: false, alpha: true, premultipliedAlpha: true, preserveDrawingBuffer: true });
    gl.setPixelRatio(1);
    gl.setSize(cam.width, cam.height, false);
    gl.setClearColor(0x000000, 0);
    sparkState = { gl, spark: new SparkRenderer({ renderer: gl, ...req.spark }), key };
  }
  const { gl, spark: sr } = sparkState;
  const scene = new THREE.Scene();
  scene.add(sr);
  const mesh = new SplatMesh({ fileBytes: bytes.slice().buffer, fileName: name, extSplats: true });
  if (req.sparkObjectMatrix) {
    mesh.matrixAutoUpdate = false;
    mesh.matrix.fromArray(req.sparkObjectMatrix);
  }
  scene.add(mesh);
  try {
    await mesh.initialized;
  } catch (e) {
    scene.remove(mesh);
    scene.remove(sr);
    throw e;
  }
  const three = threeCameraFromOpenCV(cam, near, far);
  const ctx = gl.getContext();
  const W = cam.width;
  const H = cam.height;
  const raw = new Uint8Array(W * H * 4);
  let prev: Uint8Array | null = null;
  let frames = 0;
  const t0 = performance.now();
  // Spark sorts in a worker: render until it draws and two frames in a row agree (or 60 s).
  for (;;) {
    gl.render(scene, three);
    ctx.readPixels(0, 0, W, H, ctx.RGBA, ctx.UNSIGNED_BYTE, raw);
    frames++;
    const same = prev !== null && prev.every((v, i) => v === raw[i]);
    if ((sr.activeSplats > 0 && same && frames >= 4) || performance.now() - t0 > 60_000) break;
    prev = raw.slice();
    await new Promise((res) => setTimeout(res, 150));
  }
  // WebGL rows are bottom-up; the canvas holds premultiplied RGB (Spark's default), as ours over black.
  const px = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) px.set(raw.subarray((H - 1 - y) * W * 4, (H - y) * W * 4), y * W * 4);
  const result = { px, n: mesh.extSplats?.numSplats ?? mesh.packedSplats?.numSplats ?? NaN, active: sr.activeSplats, frames };
  scene.remove(mesh);
  scene.remove(sr);
  mesh.dispose();
  return result;
}

async function compare(req: CompareRequest): Promise<CompareResult> {
  const res = await fetch(req.url);
  if (!res.ok) throw new Error(`${req.url}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const cloud = readSplatFile(req.name, bytes);
  const cam = req.camera
    ? new Camera(req.camera.R, req.camera.t, req.camera.fx, req.camera.fy, req.camera.cx, req.camera.cy, req.camera.width, req.camera.height, 'given')
    : framedCamera(cloud, req.width, req.height);
  // Clip range: around every mean's camera depth (Spark clips at near/far, ours at z < 0.01 only).
  let zMax = 1;
  for (let i = 0; i < cloud.count; i++) {
    const x = cloud.means[i * 3], y = cloud.means[i * 3 + 1], z = cloud.means[i * 3 + 2];
    zMax = Math.max(zMax, cam.R[6] * x + cam.R[7] * y + cam.R[8] * z + cam.t[2]);
  }
  const t0 = performance.now();
  let oursCam = cam;
  let oursCloud = cloud;
  if (req.oursSlip?.shift) {
    const [dx, dy] = req.oursSlip.shift;
    oursCam = new Camera(cam.R, cam.t, cam.fx, cam.fy, cam.cx + dx, cam.cy + dy, cam.width, cam.height, 'shifted');
  }
  if (req.oursSlip?.shRestSign !== undefined && cloud.shDegree > 0) {
    const K = (cloud.shDegree + 1) ** 2;
    const sh = cloud.sh.slice();
    for (let i = 0; i < cloud.count; i++) for (let k = 3; k < K * 3; k++) sh[i * K * 3 + k] *= req.oursSlip.shRestSign;
    oursCloud = { ...cloud, sh };
  }
  const a = await ours(req, oursCloud, oursCam);
  const t1 = performance.now();
  let b: Awaited<ReturnType<typeof spark>>;
  let sparkInput = 'original';
  try {
    b = await spark(req, bytes, req.name, cam, 0.01, zMax * 2);
  } catch (e) {
    // Spark cannot read every file we read (SPZ v4's ZSTD streams, say): give it our own SPZ v3
    // (gzip, the spec's RUB axes) of the same cloud, and say so.
    if (!/\.spz$/i.test(req.name)) throw e;
    sparkInput = `our SPZ v3 re-encoding (Spark on the original: ${e instanceof Error ? e.message : String(e)})`;
    b = await spark(req, writeSpz(cloud).bytes, req.name.replace(/\.spz$/i, '.v3.spz'), cam, 0.01, zMax * 2);
  }
  const t2 = performance.now();
  return {
    camera: plain(cam),
    splats: cloud.count,
    shDegree: cloud.shDegree,
    sparkSplats: b.n,
    sparkActive: b.active,
    sparkFrames: b.frames,
    sparkInput,
    ours: toBase64(a),
    spark: toBase64(b.px),
    oursMs: t1 - t0,
    sparkMs: t2 - t1,
  };
}

(window as any).__sparkCompare = compare;
(window as any).__sparkCompareReady = true;
