/**
 * The studio's actions (no React here): GPU start-up and device loss, opening files, the training
 * loop, persistence, exports. State goes to the zustand store; GPU objects stay in `bus`.
 */
import type { GaussianCloud } from '../core/GaussianCloud';
import type { ImageRGB } from '../core/Image';
import type { Scene } from '../core/Scene';
import { acquireGpu, releaseGpu, type GpuContext } from '../gpu/device';
import { loadParts } from './parts';
import { clearWork, loadWork, packScene, saveWork, unpackScene } from './persist';
import { sceneAtSize, withCameras } from './sceneUtils';
import { useStudio, type TrainPoint } from './store';
import { createTrainingSession, type TrainingSession } from './TrainingSession';
import type { ViewerEngine } from './ViewerEngine';

/** Live objects shared by the controller and the viewer (not React state). */
export const bus = {
  gpu: null as GpuContext | null,
  /** Bumped when the device is replaced after a loss (the viewer rebuilds its engine). */
  gpuEpoch: 0,
  engine: null as ViewerEngine | null,
  session: null as TrainingSession | null,
  /** The model as last copied to the CPU (training snapshot or loaded file): survives device loss. */
  lastCloud: null as GaussianCloud | null,
  lastCloudStep: 0,
  /** Scene at training size (what the session trains on). */
  trainScene: null as Scene | null,
  /** The current training view's latest render (drawn beside its photo). */
  viewRender: null as ImageRGB | null,
  requestRender: () => {},
  frame: (_target: 'scene' | 'cloud') => {},
  flyTo: (_view: number) => {},
  turntable: async (_format: 'webm' | 'png', _frames: number) => {},
};

const st = () => useStudio.getState();
const SPLAT_EXT = /\.(ply|splat|spz|ksplat|sog|glb)$/i;
/** An unbundled SOG: its meta.json (the WebP textures come beside it). */
const SOG_META = /(^|[._-])meta\.json$/i;
const IMAGE_EXT = /\.(png|jpe?g)$/i;
/** Photos the pose estimator takes (photoPoses.PHOTO_EXT; HEIC/HEIF where the browser decodes it). */
const PHOTO_EXT = /\.(png|jpe?g|heic|heif)$/i;

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Starts the studio: WebGPU (or the WebGL2 fallback), then the saved work or the sample scene. */
export async function initStudio(): Promise<void> {
  if (typeof navigator === 'undefined' || !('gpu' in navigator)) {
    st().set({
      gpuStatus: 'none',
      gpuMessage:
        'WebGPU is not available in this browser, so training is disabled. You can still view splat files (.ply, .splat, .spz): drop one here.',
    });
    return;
  }
  try {
    await startGpu();
  } catch (e) {
    st().set({ gpuStatus: 'none', gpuMessage: `WebGPU could not start (${errText(e)}). Training is disabled; splat files can still be viewed.` });
    return;
  }
  const params = new URLSearchParams(location.search);
  if (params.has('fresh')) await clearWork();
  const saved = await loadWork();
  if (saved && (saved.scene || saved.cloud)) {
    restoreWork(saved);
    return;
  }
  if (params.get('sample') !== '0') await loadSampleScene();
}

// Read-only probes for the e2e tests (and the console): the chart's history and the export name.
if (typeof window !== 'undefined') {
  Object.assign(window, {
    __studioHistory: () => useStudio.getState().history,
    __studioName: () => useStudio.getState().name,
    __studioLoseDevice: () => bus.gpu?.device.destroy(),
    __studioCameraCentre: (i: number) => useStudio.getState().scene?.cameras[i]?.center,
  });
}

async function startGpu(): Promise<void> {
  const gpu = await acquireGpu();
  bus.gpu = gpu;
  st().set({ gpuStatus: 'ok', gpuMessage: gpu.adapterName });
  gpu.device.lost.then((info) => onDeviceLost(gpu, info));
}

/**
 * GPUDevice.lost: the live model is gone with the device, so fall back to the last CPU copy, get a
 * new device, and leave training paused at the copy's step (Resume continues from there).
 */
async function onDeviceLost(gpu: GpuContext, info: GPUDeviceLostInfo): Promise<void> {
  if (bus.gpu !== gpu) return;
  loopToken++; // the running loop's next step fails with the device: it must not report that
  const wasTraining = !!bus.session || st().train === 'running' || st().train === 'paused';
  bus.session = null;
  st().set({ gpuStatus: 'lost', gpuMessage: `The GPU device was lost (${info.message || info.reason}); restarting it.` });
  try {
    releaseGpu();
    await startGpu();
    bus.gpuEpoch++;
    if (wasTraining) {
      st().set({
        train: bus.lastCloud ? 'paused' : 'idle',
        trainMessage: bus.lastCloud
          ? `GPU restarted: the model was restored from step ${bus.lastCloudStep}. Press Resume to continue.`
          : 'GPU restarted before any snapshot: start training again.',
      });
    }
    if (bus.lastCloud) st().set({ cloud: bus.lastCloud, modelVersion: st().modelVersion + 1 });
    st().notify('info', 'The GPU device was lost and has been restarted; your model was kept.');
  } catch (e) {
    st().set({ gpuStatus: 'none', gpuMessage: `The GPU device was lost and could not be restarted: ${errText(e)}` });
  }
}

/** Renders and loads the bundled sample scene (the studio's default). */
export async function loadSampleScene(): Promise<void> {
  const parts = await loadParts();
  if (!bus.gpu) return;
  if (!parts.renderSampleScene) {
    st().notify('info', 'The sample scene is not available in this build: drop photos or a splat file to begin.');
    return;
  }
  st().set({ busy: 'Rendering the sample scene' });
  try {
    const scene = await parts.renderSampleScene(bus.gpu, {});
    await setScene(scene);
  } catch (e) {
    st().notify('error', `The sample scene could not be rendered: ${errText(e)}`);
  } finally {
    st().set({ busy: '' });
  }
}

/**
 * Default training views: the protocol helper when present, else the standard splits
 * (LLFF: every 8th image is a test view, k views spread over the rest; otherwise k spread evenly).
 */
export async function defaultTrainViews(scene: Scene, k = 3): Promise<number[]> {
  const parts = await loadParts();
  if (parts.splitForScene) {
    try {
      return parts.splitForScene(scene, k).train;
    } catch {
      /* fall through */
    }
  }
  const n = scene.cameras.length;
  const pool = scene.protocol === 'llff' && n > 8 ? [...Array(n).keys()].filter((i) => i % 8 !== 0) : [...Array(n).keys()];
  const m = Math.min(k, pool.length);
  if (m <= 1) return pool.slice(0, 1);
  return [...new Set(Array.from({ length: m }, (_, i) => pool[Math.round((i * (pool.length - 1)) / (m - 1))]))];
}

/** Makes `scene` the current input: resets training, picks default training views, frames the view. */
export async function setScene(scene: Scene): Promise<void> {
  stopSession();
  bus.lastCloud = null;
  bus.viewRender = null;
  const trainViews = await defaultTrainViews(scene);
  st().set({
    scene,
    name: scene.name || 'scene',
    cloud: null,
    splatFile: null,
    trainViews,
    currentView: trainViews[0] ?? 0,
    history: [],
    train: 'idle',
    trainMessage: '',
    modelVersion: st().modelVersion + 1,
  });
  bus.engine?.showBuffers(null);
  bus.frame('scene');
}

/** Shows a splat model (from a file) with no photos. */
function setCloud(cloud: GaussianCloud, name: string, file: { name: string; bytes: Uint8Array } | null): void {
  stopSession();
  bus.lastCloud = cloud;
  bus.lastCloudStep = 0;
  st().set({ scene: null, cloud, splatFile: file, name, history: [], train: 'idle', trainMessage: '', trainViews: [], modelVersion: st().modelVersion + 1 });
  bus.engine?.showCloud(cloud);
  bus.frame('cloud');
}

function stem(fileName: string): string {
  const base = fileName.split('/').pop() || fileName;
  return base.replace(/\.compressed\.ply$/i, '').replace(/\.[^.]+$/, '') || 'scene';
}

/**
 * Opens what the user dropped or picked: one splat file (view it), one .zip (photos + poses), or
 * several files / a folder (photos + poses). Errors are shown in the page, naming the file.
 */
export async function openFiles(files: File[]): Promise<void> {
  if (!files.length) return;
  const token = ++openToken;
  poseAbort?.abort(); // a newer drop replaces a pose estimation still running
  poseAbort = null;
  const parts = await loadParts();
  const label = files.length === 1 ? files[0].name : `${files.length} files`;
  st().set({ busy: `Opening ${label}` });
  try {
    const sogMeta = files.find((f) => SOG_META.test(f.name));
    const isSog = !!sogMeta && files.every((f) => f === sogMeta || /\.webp$/i.test(f.name));
    if ((files.length === 1 && SPLAT_EXT.test(files[0].name)) || isSog) {
      const f = sogMeta && isSog ? sogMeta : files[0];
      const bytes = new Uint8Array(await f.arrayBuffer());
      const read = parts.readSplatFileAsync ?? parts.readSplatFile;
      if (!read) {
        // No reader in this build: Spark parses and draws the file (no export then).
        setCloudless(f.name, bytes);
        return;
      }
      // An unbundled SOG: meta.json plus the .webp textures it names, picked or dropped together.
      const siblings = isSog ? new Map(await Promise.all(files.filter((x) => x !== f).map(async (x) => [x.name, new Uint8Array(await x.arrayBuffer())] as const))) : undefined;
      const cloud = await read(f.name, bytes, siblings ? { siblings } : undefined);
      if (!cloud.count) throw new Error(`${f.name}: the file holds no splats`);
      setCloud(cloud, stem(f.name), { name: f.name, bytes });
      st().notify('info', `Opened ${f.name}: ${cloud.count.toLocaleString()} splats, SH degree ${cloud.shDegree}.`);
      return;
    }
    if (st().gpuStatus !== 'ok') throw new Error(`${label}: reconstructing from photos needs WebGPU; only splat files can be viewed here`);
    if (!parts.loadScene || !parts.fileListSource || !parts.zipSource) throw new Error(`${label}: scene loading is not available in this build`);
    let source: unknown;
    let name: string;
    // The panel shows this load (stage and count) instead of the previous scene until it ends.
    const loading = (text: string, fraction = 0) => st().set({ loading: { label, text, fraction } });
    loading('Reading');
    parts.warmImageDecoders?.(); // worker start-up overlaps reading the files
    if (files.length === 1 && /\.zip$/i.test(files[0].name)) {
      const bytes = new Uint8Array(await files[0].arrayBuffer());
      loading('Unzipping');
      source = parts.zipSource(files[0].name, bytes);
      name = stem(files[0].name);
    } else {
      if (!files.some((f) => IMAGE_EXT.test(f.name) || PHOTO_EXT.test(f.name))) {
        throw new Error(`${label}: no photos (.png, .jpg) or splat file (.ply, .splat, .spz, .sog, .glb, .ksplat) among the dropped files`);
      }
      const top = topFolder(files);
      source = parts.fileListSource(files, top || label);
      name = top || 'scene';
    }
    // Plain photos (no poses file anywhere, no inner zip): estimate their poses.
    const src = source as PhotoSource;
    const paths = src.list();
    if (parts.detectScene && !parts.detectScene(paths) && !paths.some((p) => /\.zip$/i.test(p)) && paths.some((p) => PHOTO_EXT.test(p))) {
      await openPhotos(src, paths.filter((p) => PHOTO_EXT.test(p)), name, token);
      return;
    }
    let shown = 0;
    const onProgress = (p: { text: string; fraction: number; done: number; total: number }) => {
      const now = performance.now();
      if (now - shown < 50 && p.done < p.total) return; // at most ~20 store updates a second
      shown = now;
      loading(p.text, p.fraction);
    };
    const scene = await parts.loadScene(source, { maxLongSide: 1024, onProgress });
    if (!scene.name || scene.name === 'scene') scene.name = name;
    await setScene(scene);
    st().notify('info', `Loaded ${scene.name}: ${scene.cameras.length} posed photos (${scene.images[0]?.width}x${scene.images[0]?.height}).`);
  } catch (e) {
    if (token !== openToken) return; // replaced by a newer drop: say nothing about this one
    const msg = errText(e);
    st().notify('error', msg.includes(label) || files.some((f) => msg.includes(f.name)) ? `Could not open: ${msg}` : `Could not open ${label}: ${msg}`);
  } finally {
    if (token === openToken) st().set({ busy: '', loading: null });
  }
}

/** The FileSource shape (src/io/FileSource) the photo path reads. */
interface PhotoSource { name: string; list(): string[]; read(path: string): Promise<Uint8Array> }

/** Bumped by each openFiles; an older one that ends late leaves the state alone. */
let openToken = 0;
/** Aborts the pose estimation in flight (a newer drop replaces it). */
let poseAbort: AbortController | null = null;

/**
 * Plain photos without a poses file: estimates their poses (photoPoses.ts, OpenCV.js and the
 * structure-from-motion worker, imported on first use), then shows the posed photos, their
 * cameras and sparse points, ready to train. The previous scene stays until the new one is
 * complete: a failure changes nothing but the notice (thrown, shown by openFiles).
 * @throws Error naming the photo at fault (see photoPoses.estimateScene)
 */
async function openPhotos(source: PhotoSource, paths: string[], name: string, token: number): Promise<void> {
  const photoLabel = `${paths.length} photo${paths.length === 1 ? '' : 's'}`;
  const show = (text: string, fraction: number) => st().set({ loading: { label: photoLabel, text, fraction, verb: 'Estimating the poses of' } });
  show('Starting', 0);
  const { estimateScene, tooManyPhotosNote } = await import('./photoPoses');
  const manyNote = tooManyPhotosNote(paths.length);
  if (manyNote) st().notify('info', manyNote);
  const abort = new AbortController();
  poseAbort = abort;
  let shown = 0;
  let lastText = '';
  let lastFraction = 0;
  try {
    const photos = [...paths].sort().map((p) => ({ name: p.split('/').pop() || p, read: () => source.read(p) }));
    const { scene, dropped, summary } = await estimateScene(photos, name === 'scene' ? 'photos' : name, (p) => {
      const now = performance.now();
      if (p.text === lastText && now - shown < 50) return; // a new stage at once, else at most ~20 updates a second
      shown = now;
      lastText = p.text;
      lastFraction = Math.max(lastFraction, p.fraction); // the bar never moves back
      if (token === openToken) show(p.text, lastFraction);
    }, abort.signal);
    if (token !== openToken) return;
    await setScene(scene);
    st().notify('info', summary);
    if (dropped.length) {
      st().notify('info', `Left out ${dropped.length} of ${paths.length} photos that could not be posed: ${dropped.map((d) => d.reason).join('; ')}`);
    }
  } finally {
    if (poseAbort === abort) poseAbort = null;
  }
}

function setCloudless(name: string, bytes: Uint8Array): void {
  stopSession();
  st().set({ scene: null, cloud: null, splatFile: { name, bytes }, name: stem(name), history: [], train: 'idle', trainViews: [], modelVersion: st().modelVersion + 1 });
  bus.engine?.showBuffers(null);
}

function topFolder(files: File[]): string {
  const rel = files.map((f) => (f as File & { webkitRelativePath?: string }).webkitRelativePath || '');
  const firsts = new Set(rel.map((r) => (r.includes('/') ? r.split('/')[0] : '')));
  return firsts.size === 1 ? [...firsts][0] : '';
}

// ---------------------------------------------------------------- training

let loopToken = 0;
let lastSnapshot = 0;
let lastSave = 0;
let lastViewRender = 0;

function stopSession(): void {
  loopToken++;
  const session = bus.session;
  bus.session = null;
  if (!session) return;
  // Never leave the viewer drawing freed buffers: fall back to the last CPU copy.
  if (bus.engine && bus.engine.model === session.gaussians) {
    if (bus.lastCloud) bus.engine.showCloud(bus.lastCloud);
    else bus.engine.showBuffers(null);
  }
  session.destroy();
}

/** Creates the training session for the current scene and panel settings (warm-started from `resume`). */
async function openSession(resume?: { cloud: GaussianCloud; step: number }): Promise<void> {
  const s = st();
  if (!bus.gpu || !s.scene) throw new Error('no GPU or no scene');
  bus.trainScene = sceneAtSize(s.scene, s.trainSize);
  bus.session = await createTrainingSession(bus.gpu, bus.trainScene, {
    trainViews: s.trainViews,
    recipe: s.recipe,
    iterations: s.iterations,
    overrides: s.overrides.split(/\s+/),
    resume,
    // A warm start keeps its "Resuming from step N" message.
    onPhase: resume ? undefined : (t, fraction) => st().set({ trainMessage: t, phaseFraction: fraction }),
  });
}

/** Starts training from scratch on the current scene with the panel's settings. */
export async function startTraining(): Promise<void> {
  const s = st();
  if (!bus.gpu || !s.scene) return;
  if (!s.trainViews.length) {
    s.notify('error', 'Pick at least one training view (click the thumbnails).');
    return;
  }
  stopSession();
  s.set({ train: 'starting', trainMessage: 'Preparing', phaseFraction: null, history: [], itPerSec: 0 });
  try {
    await openSession();
    bus.lastCloudStep = 0;
    runLoop();
  } catch (e) {
    bus.session = null;
    st().set({ train: 'error', trainMessage: `Training could not start: ${errText(e)}` });
  }
}

/** Pauses after the current batch (the model stays on the GPU). */
export function pauseTraining(): void {
  if (st().train === 'running') {
    loopToken++;
    st().set({ train: 'paused', trainMessage: 'Paused' });
    void snapshot(true);
  }
}

/** Resumes: the live session, or a new one warm-started from the last saved model (reload / device loss). */
export async function resumeTraining(): Promise<void> {
  const s = st();
  if (bus.session) {
    runLoop();
    return;
  }
  if (!bus.gpu || !s.scene || !bus.lastCloud) return;
  s.set({ train: 'starting', trainMessage: `Resuming from step ${bus.lastCloudStep}` });
  try {
    await openSession({ cloud: bus.lastCloud, step: bus.lastCloudStep });
    runLoop();
  } catch (e) {
    st().set({ train: 'error', trainMessage: `Training could not resume: ${errText(e)}` });
  }
}

/** Stops: keeps the model (copied to the CPU and saved) and frees the trainer. */
export async function stopTraining(): Promise<void> {
  loopToken++;
  if (bus.session) await snapshot(true);
  stopSession();
  st().set({ train: 'done', trainMessage: `Stopped at step ${bus.lastCloudStep}` });
  if (bus.lastCloud) bus.engine?.showCloud(bus.lastCloud);
  bus.requestRender();
}

/** Copies the live model to the CPU (viewer sort order, device-loss insurance) and, when `save`, to IndexedDB. */
async function snapshot(save: boolean): Promise<void> {
  const session = bus.session;
  if (!session) return;
  const cloud = await session.exportCloud();
  bus.lastCloud = cloud;
  bus.lastCloudStep = session.step;
  st().set({ cloud });
  adoptTrainCameras(session);
  if (bus.engine && bus.engine.model === session.gaussians) bus.engine.sortMeans = cloud.means;
  if (save) await persistNow();
}

/**
 * Puts the session's training cameras (their refined poses, for photos whose poses were estimated)
 * into the training scene and the studio's scene: the frusta show them, the saved work keeps them,
 * and a new run starts from them. Nothing changes for poses that are not refined.
 */
function adoptTrainCameras(session: TrainingSession): void {
  const cameras = session.trainCameras();
  if (bus.trainScene) bus.trainScene = withCameras(bus.trainScene, session.trainViews, cameras);
  const scene = st().scene;
  const next = scene && withCameras(scene, session.trainViews, cameras);
  if (next && next !== scene) st().set({ scene: next });
}

/** Writes the current work to IndexedDB now. */
export async function persistNow(): Promise<void> {
  const s = st();
  const err = await saveWork({
    name: s.name,
    scene: s.scene ? packScene(bus.trainScene && st().train !== 'idle' ? bus.trainScene : s.scene) : null,
    cloud: bus.lastCloud,
    step: bus.lastCloudStep,
    trainViews: s.trainViews,
    recipe: s.recipe,
    iterations: s.iterations,
    trainSize: s.trainSize,
    history: s.history,
    overrides: s.overrides,
  });
  lastSave = performance.now();
  if (err) st().notify('error', `Could not save your work in the browser (IndexedDB): ${err}`);
}

function runLoop(): void {
  const token = ++loopToken;
  st().set({ train: 'running', trainMessage: 'Training', phaseFraction: null });
  void (async () => {
    let batch = 1;
    const started = performance.now();
    lastSnapshot = lastSave = performance.now();
    while (token === loopToken && bus.session) {
      const session = bus.session;
      if (session.step >= session.iterations) break;
      const t0 = performance.now();
      let stats;
      try {
        stats = await session.run(batch);
      } catch (e) {
        if (token !== loopToken) return;
        st().set({ train: 'error', trainMessage: `Training failed at step ${session.step}: ${errText(e)}` });
        return;
      }
      if (token !== loopToken) return;
      const dt = performance.now() - t0;
      const point: TrainPoint = { step: stats.step, loss: stats.loss, psnr: stats.psnr, count: stats.count, time: performance.now() - started };
      const prev = st().history;
      const done = prev.length ? prev[prev.length - 1].step : 0;
      const itPerSec = ((stats.step - done) / dt) * 1000;
      st().set({ history: [...prev, point], itPerSec, currentView: stats.view });
      // Aim for ~300 ms batches: responsive controls and a smooth chart without a readback per step.
      batch = Math.max(1, Math.min(100, Math.round((batch * 300) / Math.max(dt, 1))));
      if (bus.engine && bus.engine.model !== session.gaussians) bus.engine.showBuffers(session.gaussians, bus.lastCloud?.means ?? null);
      bus.requestRender();
      const now = performance.now();
      if (now - lastViewRender > 3000 && bus.trainScene) {
        lastViewRender = now;
        try {
          // the refined pose where poses are refined, so the render lines up with its photo
          const k = session.trainViews.indexOf(stats.view);
          bus.viewRender = await session.render(k >= 0 ? session.trainCameras()[k] : bus.trainScene.cameras[stats.view]);
          st().set({ modelVersion: st().modelVersion + 1 });
        } catch {
          /* the side render is best effort */
        }
      }
      if (now - lastSnapshot > 5000) {
        lastSnapshot = now;
        await snapshot(now - lastSave > 20000);
      }
      if (!Number.isFinite(stats.loss)) {
        st().set({ train: 'error', trainMessage: `The loss became ${stats.loss} at step ${stats.step}; training stopped.` });
        return;
      }
    }
    if (token !== loopToken || !bus.session) return;
    await snapshot(true);
    st().set({ train: 'done', trainMessage: `Done: ${bus.lastCloudStep} steps` });
  })();
}

// ---------------------------------------------------------------- persistence

function restoreWork(saved: NonNullable<Awaited<ReturnType<typeof loadWork>>>): void {
  const scene = saved.scene ? unpackScene(saved.scene) : null;
  bus.lastCloud = saved.cloud;
  bus.lastCloudStep = saved.step;
  st().set({
    scene,
    cloud: saved.cloud,
    name: saved.name,
    trainViews: saved.trainViews,
    recipe: saved.recipe,
    iterations: saved.iterations,
    trainSize: saved.trainSize,
    history: saved.history,
    overrides: saved.overrides ?? '',
    currentView: saved.trainViews[0] ?? 0,
    train: saved.cloud && scene && saved.step < saved.iterations ? 'paused' : saved.cloud ? 'done' : 'idle',
    trainMessage: saved.cloud ? `Restored from ${new Date(saved.savedAt).toLocaleString()} at step ${saved.step}` : '',
    modelVersion: st().modelVersion + 1,
  });
  if (saved.cloud) bus.engine?.showCloud(saved.cloud);
  bus.frame(scene ? 'scene' : 'cloud');
  st().notify('info', `Restored your work on "${saved.name}" (step ${saved.step}).`);
}

/** Forgets the saved work and reloads the sample scene. */
export async function newProject(): Promise<void> {
  stopSession();
  await clearWork();
  bus.lastCloud = null;
  await loadSampleScene();
}

// ---------------------------------------------------------------- export

/** Triggers a browser download of `bytes` as `fileName`. */
export function download(bytes: Uint8Array | Blob, fileName: string): void {
  const blob = bytes instanceof Blob ? bytes : new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Exports the current model (live during training) as `<scene>.ply|.splat|.spz|.sog|.glb` (.sog and .glb
 * are encoded by @playcanvas/splat-transform, loaded on first use).
 */
export async function exportModel(ext: 'ply' | 'splat' | 'spz' | 'sog' | 'glb'): Promise<void> {
  const parts = await loadParts();
  const s = st();
  const fileName = `${s.name}.${ext}`;
  try {
    const write = parts.writeSplatFileAsync ?? parts.writeSplatFile;
    if (!write) throw new Error('splat file writing is not available in this build');
    st().set({ busy: `Exporting ${fileName}: reading the model` });
    const cloud = bus.session ? await bus.session.exportCloud() : (bus.lastCloud ?? s.cloud);
    if (!cloud) throw new Error('there is no model yet: train first or open a splat file');
    st().set({ busy: `Exporting ${fileName}: encoding ${cloud.count.toLocaleString()} splats` });
    // Let the stage paint before a synchronous encoder holds the main thread.
    await new Promise((r) => setTimeout(r, 0));
    const { bytes, dropped } = await Promise.resolve(write(fileName, cloud));
    st().set({ busy: `Exporting ${fileName}: saving` });
    download(bytes, fileName);
    const lost = Array.isArray(dropped) && dropped.length ? ` (not stored by this format: ${dropped.join(', ')})` : '';
    st().notify('info', `Exported ${fileName}: ${cloud.count.toLocaleString()} splats${lost}.`);
  } catch (e) {
    st().notify('error', `Could not export ${fileName}: ${errText(e)}`);
  } finally {
    st().set({ busy: '' });
  }
}
