/**
 * Viewer benchmark page (driven by src/cli/benchViewer.ts): loads a splat file and renders `frames`
 * frames at the canvas size while orbiting, with our WebGPU viewer ('raster': the compute
 * rasterizer + display pass; 'preview': quad splatting) or Spark (WebGL2). Frame time = submit to
 * GPU completion (WebGPU: onSubmittedWorkDone; WebGL: a 1-pixel readPixels forces completion).
 * Query: ?renderer=raster|preview|spark&file=<url>&frames=N&warmup=W. Result in window.__benchResult.
 */
import { SparkRenderer, SplatMesh } from '@sparkjsdev/spark';
import * as THREE from 'three';
import { acquireGpu } from '../gpu/device';
import { loadParts } from './parts';
import { frameCloud } from './framing';
import { ViewerEngine, cameraFromGL } from './ViewerEngine';

interface BenchResult {
  renderer: string;
  splats: number;
  width: number;
  height: number;
  frames: number;
  frameMs: number[];
  medianMs: number;
  meanMs: number;
  loadMs: number;
  adapter?: string;
  activeSplats?: number;
  litPixelFraction?: number;
  error?: string;
}

const q = new URLSearchParams(location.search);
const renderer = q.get('renderer') ?? 'raster';
const fileUrl = q.get('file') ?? '';
const frames = Number(q.get('frames') ?? 20);
const warmup = Number(q.get('warmup') ?? 3);
const canvas = document.getElementById('view') as HTMLCanvasElement;
const W = canvas.width;
const H = canvas.height;

function summary(times: number[]): { medianMs: number; meanMs: number } {
  const s = [...times].sort((a, b) => a - b);
  return { medianMs: s[Math.floor(s.length / 2)] ?? NaN, meanMs: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length) };
}

/** Orbit camera `i` of the run: a 30-degree arc around the model's framing. */
function orbitCamera(cam: THREE.PerspectiveCamera, f: ReturnType<typeof frameCloud>, i: number): void {
  const target = new THREE.Vector3(...f.target);
  const offset = new THREE.Vector3(...f.position).sub(target);
  offset.applyAxisAngle(new THREE.Vector3(...f.up), ((i % 60) / 60) * (Math.PI / 6));
  cam.up.set(...f.up);
  cam.position.copy(target).add(offset);
  cam.lookAt(target);
  cam.updateMatrixWorld();
}

async function runOurs(bytes: Uint8Array, name: string, kind: 'raster' | 'preview'): Promise<BenchResult> {
  const t0 = performance.now();
  const gpu = await acquireGpu();
  const parts = await loadParts();
  if (!parts.readSplatFile) throw new Error('src/io readSplatFile is not available');
  const cloud = await parts.readSplatFile(name, bytes);
  const engine = new ViewerEngine(gpu, canvas);
  engine.showCloud(cloud);
  if (kind === 'raster') {
    if (!parts.GaussianRasterizer) throw new Error('src/splat GaussianRasterizer is not available');
    engine.rasterizer = await parts.GaussianRasterizer.create(gpu);
    engine.kind = 'raster';
  }
  const loadMs = performance.now() - t0;
  const f = frameCloud(cloud);
  const cam = new THREE.PerspectiveCamera(f.fovY, W / H, 0.01, 1000);
  const times: number[] = [];
  for (let i = 0; i < warmup + frames; i++) {
    orbitCamera(cam, f, i);
    const s = performance.now();
    engine.render({
      camera: cameraFromGL(cam.matrixWorld.elements, cam.fov, W, H),
      mode: 'rgb',
      background: [0, 0, 0],
      near: f.distance * 0.2,
      far: f.distance * 4,
      renderScale: 1,
    });
    await engine.settle();
    if (kind === 'raster' && engine.rasterizer?.syncCapacity) await engine.rasterizer.syncCapacity(); // grow once, outside the timing
    if (i >= warmup) times.push(performance.now() - s);
    if (engine.kind !== kind) throw new Error(`the ${kind} path failed: ${engine.rasterError}`);
  }
  // Evidence the frames drew something: lit pixel fraction of a last frame, copied in the same task.
  await engine.settle();
  engine.render({
    camera: cameraFromGL(cam.matrixWorld.elements, cam.fov, W, H),
    mode: 'rgb',
    background: [0, 0, 0],
    near: f.distance * 0.2,
    far: f.distance * 4,
    renderScale: 1,
  });
  const copy = document.createElement('canvas');
  copy.width = W;
  copy.height = H;
  const c2d = copy.getContext('2d')!;
  c2d.drawImage(canvas, 0, 0);
  const px = c2d.getImageData(0, 0, W, H).data;
  let lit = 0;
  for (let i = 0; i < W * H; i++) if (px[i * 4] + px[i * 4 + 1] + px[i * 4 + 2] > 30) lit++;
  await engine.settle();
  return {
    renderer: kind,
    splats: cloud.count,
    litPixelFraction: lit / (W * H),
    width: W,
    height: H,
    frames,
    frameMs: times,
    ...summary(times),
    loadMs,
    adapter: gpu.adapterName,
  };
}

async function runSpark(bytes: Uint8Array, name: string): Promise<BenchResult> {
  const t0 = performance.now();
  const gl = new THREE.WebGLRenderer({ canvas, antialias: false });
  gl.setPixelRatio(1);
  gl.setSize(W, H, false);
  const scene = new THREE.Scene();
  const spark = new SparkRenderer({ renderer: gl });
  scene.add(spark);
  const mesh = new SplatMesh({ fileBytes: bytes.slice().buffer, fileName: name });
  scene.add(mesh);
  await mesh.initialized;
  const loadMs = performance.now() - t0;
  // Same camera path as ours: frame the model parsed by our reader (CPU only).
  const parts = await loadParts();
  if (!parts.readSplatFile) throw new Error('src/io readSplatFile is not available (needed for the shared framing)');
  const f = frameCloud(await parts.readSplatFile(name, bytes));
  const cam = new THREE.PerspectiveCamera(f.fovY, W / H, 0.01, 1000);
  const px = new Uint8Array(4);
  const ctx = gl.getContext();
  const times: number[] = [];
  // Spark sorts in a worker: render until it draws splats (or 60 s), so the timed frames are real.
  const tWait = performance.now();
  orbitCamera(cam, f, 0);
  while (spark.activeSplats === 0 && performance.now() - tWait < 60_000) {
    gl.render(scene, cam);
    await new Promise((res) => setTimeout(res, 100));
  }
  for (let i = 0; i < warmup + frames; i++) {
    orbitCamera(cam, f, i);
    const s = performance.now();
    gl.render(scene, cam);
    ctx.readPixels(0, 0, 1, 1, ctx.RGBA, ctx.UNSIGNED_BYTE, px);
    if (i >= warmup) times.push(performance.now() - s);
    await new Promise((res) => requestAnimationFrame(res)); // let Spark's sort worker deliver
  }
  // Evidence the timed frames drew something: Spark's active splat count and the lit pixel fraction.
  const all = new Uint8Array(W * H * 4);
  gl.render(scene, cam);
  ctx.readPixels(0, 0, W, H, ctx.RGBA, ctx.UNSIGNED_BYTE, all);
  let lit = 0;
  for (let i = 0; i < W * H; i++) if (all[i * 4] + all[i * 4 + 1] + all[i * 4 + 2] > 30) lit++;
  return {
    renderer: 'spark',
    splats: mesh.packedSplats?.numSplats ?? NaN,
    activeSplats: spark.activeSplats,
    litPixelFraction: lit / (W * H),
    width: W,
    height: H,
    frames,
    frameMs: times,
    ...summary(times),
    loadMs,
  };
}

async function main(): Promise<void> {
  const name = fileUrl.split('/').pop() ?? 'file';
  try {
    const res = await fetch(fileUrl);
    if (!res.ok) throw new Error(`${fileUrl}: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const out = renderer === 'spark' ? await runSpark(bytes, name) : await runOurs(bytes, name, renderer === 'preview' ? 'preview' : 'raster');
    (window as any).__benchResult = out;
  } catch (e) {
    (window as any).__benchResult = { renderer, error: e instanceof Error ? e.message : String(e) };
  }
}

void main();
