/**
 * Late-bound access to the parts of sparsesplat the studio calls (rasterizer, loaders, splat files,
 * protocol split, sample scene, trainer, avatar page). Each is found by its exported name in its
 * folder through Vite's lazy `import.meta.glob`, so the studio builds and runs while a part is still
 * missing or broken, and lights up the moment it lands. Only this file knows where the parts live.
 */
import type { ComponentType } from 'react';
import type { Camera } from '../core/Camera';
import type { GaussianCloud } from '../core/GaussianCloud';
import type { ImageRGB } from '../core/Image';
import type { Scene } from '../core/Scene';
import type { GpuContext } from '../gpu/device';
import type { GaussianBuffers } from '../splat/GaussianBuffers';

type Loader = () => Promise<unknown>;

const FOLDERS: Record<string, Record<string, Loader>> = {
  splat: import.meta.glob(['../splat/*.ts', '!../splat/*.test.ts']),
  io: import.meta.glob(['../io/**/*.ts', '!../io/**/*.test.ts', '!../io/nodeSource.ts']),
  eval: import.meta.glob(['../eval/*.ts']),
  train: import.meta.glob(['../train/*.ts', '../train/recipes/index.ts']),
  scenes: import.meta.glob(['../../scenes/*.ts']),
  avatar: import.meta.glob(['./avatar/*.tsx', './avatar/*.ts']),
};

/** Output of one rasterizer forward pass: planar GPU buffers, row-major, H*W pixels. */
export interface RasterOutput {
  width: number;
  height: number;
  /** H*W*3 f32, RGB in [0,1] (sRGB-encoded, as trained). */
  rgb: GPUBuffer;
  /** H*W f32 accumulated opacity (1 - final transmittance). */
  alpha: GPUBuffer;
  /** H*W f32 expected camera-z depth (world units). */
  depth: GPUBuffer;
}

/** What the studio needs of src/splat/GaussianRasterizer. */
export interface Rasterizer {
  forward(
    encoder: GPUCommandEncoder,
    gaussians: GaussianBuffers,
    camera: Camera,
    opts: { background: [number, number, number]; antialiased?: boolean },
  ): RasterOutput;
  /** Reads the intersection counter and grows capacity when a frame overflowed (call at intervals). */
  syncCapacity?(): Promise<{ overflowed: boolean }>;
  destroy?(): void;
}

/** Progress after a batch of steps (src/train/Trainer StepStats). */
export interface StepStatsLike {
  step: number;
  loss: number;
  psnr: number;
  count: number;
  itPerSec?: number;
  /** Scene view index of the last step. */
  view?: number;
}

/** What the studio needs of src/train/Trainer. */
export interface TrainerLike {
  step: number;
  readonly gaussians: GaussianBuffers;
  train(n: number): Promise<StepStatsLike>;
  render(camera: Camera, background?: [number, number, number]): Promise<{ image: ImageRGB; alpha: Float32Array; depth: Float32Array }>;
  exportCloud(): Promise<GaussianCloud>;
  /** The training views' cameras (trainViews order): refined poses when the recipe refines them. */
  readonly trainCameras: Camera[];
  destroy(): void;
}

/** A training recipe (src/train/recipes); only `iterations` and `name` are read here. */
export type RecipeLike = { name: string; iterations: number } & Record<string, unknown>;

/** The subset of the parts the studio calls, each undefined until its module exists. */
export interface Parts {
  GaussianRasterizer?: { create(gpu: GpuContext): Promise<Rasterizer> };
  loadScene?: (src: unknown, opts?: Record<string, unknown>) => Promise<Scene>;
  fileListSource?: (files: File[], name?: string) => unknown;
  zipSource?: (name: string, bytes: Uint8Array) => unknown;
  /** Finds a poses file (LLFF, Blender / nerfstudio, COLMAP) among relative paths; undefined when none (src/io/loadScene). */
  detectScene?: (paths: string[]) => unknown;
  /** Starts the image-decoding workers ahead of a load (src/io/browserImageDecode). */
  warmImageDecoders?: () => void;
  readSplatFile?: (name: string, bytes: Uint8Array) => GaussianCloud | Promise<GaussianCloud>;
  writeSplatFile?: (
    name: string,
    cloud: GaussianCloud,
  ) => { bytes: Uint8Array; dropped?: unknown } | Promise<{ bytes: Uint8Array; dropped?: unknown }>;
  /** All formats incl. SOG / .ksplat (splat-transform); `siblings`: an unbundled SOG's textures. */
  readSplatFileAsync?: (name: string, bytes: Uint8Array, options?: { siblings?: Map<string, Uint8Array> }) => Promise<GaussianCloud>;
  /** All writable formats incl. .sog and .glb (splat-transform). */
  writeSplatFileAsync?: (name: string, cloud: GaussianCloud) => Promise<{ bytes: Uint8Array; dropped?: unknown }>;
  splitForScene?: (scene: Scene, k: number) => { train: number[]; test: number[] };
  renderSampleScene?: (gpu: GpuContext, opts: { width?: number; height?: number; views?: number }) => Promise<Scene>;
  Trainer?: {
    create(gpu: GpuContext, scene: Scene, trainViews: number[], recipe: RecipeLike, init: { cloud: GaussianCloud }): Promise<TrainerLike>;
  };
  prepareInit?: (
    gpu: GpuContext,
    scene: Scene,
    trainViews: number[],
    recipe: RecipeLike,
    opts?: { onProgress?: (stage: 'depth' | 'init', fraction: number) => void },
  ) => Promise<{ cloud: GaussianCloud }>;
  getRecipe?: (name: string) => RecipeLike;
  applyOverrides?: (recipe: RecipeLike, overrides: string[]) => RecipeLike;
  AvatarPage?: ComponentType;
}

const WANTED: Record<keyof Parts, string> = {
  GaussianRasterizer: 'splat',
  loadScene: 'io',
  fileListSource: 'io',
  zipSource: 'io',
  detectScene: 'io',
  warmImageDecoders: 'io',
  readSplatFile: 'io',
  writeSplatFile: 'io',
  readSplatFileAsync: 'io',
  writeSplatFileAsync: 'io',
  splitForScene: 'eval',
  renderSampleScene: 'scenes',
  Trainer: 'train',
  prepareInit: 'train',
  getRecipe: 'train',
  applyOverrides: 'train',
  AvatarPage: 'avatar',
};

let cached: Promise<Parts> | undefined;
/** Per-module import failures, shown in the page's "about" line (a broken part never breaks the studio). */
export const partErrors: string[] = [];

/**
 * Imports every module of the folders above (lazily, once) and picks the wanted exports by name.
 * Never throws: a module that fails to import is logged in `partErrors` and skipped.
 */
export function loadParts(): Promise<Parts> {
  if (!cached) cached = findParts();
  return cached;
}

async function findParts(): Promise<Parts> {
  const parts: Record<string, unknown> = {};
  const needed = new Set(Object.values(WANTED));
  for (const folder of needed) {
    const mods = FOLDERS[folder];
    await Promise.all(
      Object.entries(mods).map(async ([path, load]) => {
        try {
          const mod = (await load()) as Record<string, unknown>;
          for (const [name, where] of Object.entries(WANTED)) {
            if (where === folder && mod[name] !== undefined && parts[name] === undefined) parts[name] = mod[name];
          }
        } catch (e) {
          partErrors.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
    );
  }
  return parts as Parts;
}
