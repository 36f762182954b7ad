/**
 * Keeps the studio's work in IndexedDB (idb-keyval) so a reload or a lost GPU device does not lose
 * it: the scene (cameras + 8-bit photos at training size), the model (raw GaussianCloud arrays),
 * the training settings and progress. One record under one key; written at intervals.
 */
import { del, get, set } from 'idb-keyval';
import { Camera } from '../core/Camera';
import type { GaussianCloud } from '../core/GaussianCloud';
import type { Scene } from '../core/Scene';
import type { TrainPoint } from './store';

const KEY = 'sparsesplat.studio.work.v1';

/** What is saved. Images are 8-bit RGB (sRGB-encoded), W*H*3 each. */
export interface SavedWork {
  savedAt: number;
  name: string;
  scene: SavedScene | null;
  cloud: GaussianCloud | null;
  step: number;
  trainViews: number[];
  recipe: 'sparse' | 'vanilla';
  iterations: number;
  trainSize: number;
  history: TrainPoint[];
  /** The panel's recipe overrides (`key=value` text); absent in records saved before they were kept. */
  overrides?: string;
}

interface SavedScene {
  name: string;
  cameras: { R: number[]; t: number[]; fx: number; fy: number; cx: number; cy: number; width: number; height: number; name: string }[];
  images: { width: number; height: number; rgb8: Uint8Array }[];
  imageNames: string[];
  background: [number, number, number];
  protocol: Scene['protocol'];
  depthBounds?: [number, number][];
  posesEstimated?: boolean;
  /** Coverage alphas quantized to 8 bits, W*H each (RGBA scenes: random background, no environment). */
  alphas8?: Uint8Array[];
  points?: { xyz: Float32Array; rgb: Float32Array };
  imageSplits?: Scene['imageSplits'];
}

/** [0,1] floats to 8 bits, rounded (values outside are clamped). */
function quantize8(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, data[i])) * 255);
  return out;
}

/**
 * Converts a scene to its saved form: photos and coverage alphas quantized to 8 bits; cameras,
 * bounds, sparse points and splits kept. Per-view ground-truth depths (evaluation only) are not kept.
 */
export function packScene(scene: Scene): SavedScene {
  return {
    name: scene.name,
    cameras: scene.cameras.map((c) => ({
      R: Array.from(c.R),
      t: Array.from(c.t),
      fx: c.fx,
      fy: c.fy,
      cx: c.cx,
      cy: c.cy,
      width: c.width,
      height: c.height,
      name: c.name,
    })),
    images: scene.images.map((im) => ({ width: im.width, height: im.height, rgb8: quantize8(im.data) })),
    imageNames: scene.imageNames,
    background: scene.background,
    protocol: scene.protocol,
    depthBounds: scene.depthBounds,
    posesEstimated: scene.posesEstimated,
    alphas8: scene.alphas?.map(quantize8),
    points: scene.points && { xyz: scene.points.xyz.slice(), rgb: scene.points.rgb.slice() },
    imageSplits: scene.imageSplits,
  };
}

/** Rebuilds a Scene from its saved form. */
export function unpackScene(s: SavedScene): Scene {
  return {
    name: s.name,
    cameras: s.cameras.map((c) => new Camera(c.R, c.t, c.fx, c.fy, c.cx, c.cy, c.width, c.height, c.name)),
    images: s.images.map((im) => ({ width: im.width, height: im.height, data: Float32Array.from(im.rgb8, (v) => v / 255) })),
    imageNames: s.imageNames,
    background: s.background,
    protocol: s.protocol,
    depthBounds: s.depthBounds,
    posesEstimated: s.posesEstimated,
    alphas: s.alphas8?.map((a) => Float32Array.from(a, (v) => v / 255)),
    points: s.points,
    imageSplits: s.imageSplits,
  };
}

/** Saves the work (replacing the previous record). Errors (quota, private mode) are returned, not thrown. */
export async function saveWork(work: Omit<SavedWork, 'savedAt'>): Promise<string | null> {
  try {
    await set(KEY, { ...work, savedAt: Date.now() });
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Loads the saved work, or null when there is none (or IndexedDB is unavailable). */
export async function loadWork(): Promise<SavedWork | null> {
  try {
    return ((await get(KEY)) as SavedWork | undefined) ?? null;
  } catch {
    return null;
  }
}

/** Forgets the saved work. */
export async function clearWork(): Promise<void> {
  try {
    await del(KEY);
  } catch {
    /* nothing saved */
  }
}
