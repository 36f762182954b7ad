/**
 * The studio's state (zustand): what is loaded, how it is viewed, and the training run's progress.
 * GPU objects live outside React state (see ViewerEngine); only plain values and CPU data sit here.
 */
import { create } from 'zustand';
import type { GaussianCloud } from '../core/GaussianCloud';
import type { Scene } from '../core/Scene';

export type RenderMode = 'rgb' | 'depth' | 'alpha';
export type Recipe = 'sparse' | 'vanilla';
export type TrainState = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'error';

/** One point of the live chart: step, loss, PSNR (dB), Gaussian count, wall time (ms). */
export interface TrainPoint {
  step: number;
  loss: number;
  psnr: number;
  count: number;
  time: number;
}

/** A page-level message; `kind: 'error'` ones name the file at fault. */
export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export interface StudioState {
  /** Name used for exports ("fern", "sample", or the splat file's stem). */
  name: string;
  /** Posed photos, when a scene (not a bare splat file) is loaded. */
  scene: Scene | null;
  /** The model shown when not training: a loaded splat file or the last exported training result. */
  cloud: GaussianCloud | null;
  /** Bytes of the loaded splat file (for the WebGL2 fallback viewer, which parses them itself). */
  splatFile: { name: string; bytes: Uint8Array } | null;
  /** Bumped whenever the displayed model changes (new file, training progress, restore). */
  modelVersion: number;
  trainViews: number[];
  recipe: Recipe;
  iterations: number;
  /** Recipe overrides, `key=value` separated by spaces or newlines (e.g. "randomCount=2000"). */
  overrides: string;
  /** Longest image side used for training, in pixels (photos are box-downsampled to it). */
  trainSize: number;
  train: TrainState;
  trainMessage: string;
  /** Fraction done of the preparation phase named by trainMessage (depth prior, init), null when not measured. */
  phaseFraction: number | null;
  history: TrainPoint[];
  /** Steps per second over the last few batches. */
  itPerSec: number;
  /** Training view currently shown beside its render. */
  currentView: number;
  mode: RenderMode;
  notices: Notice[];
  /** A long action in progress (export), named with its stage ("Encoding fern.sog"); '' when none. */
  busy: string;
  /**
   * A scene being loaded (files read, unzipped, decoded, undistorted): what, the stage line
   * ("Decoding 23/67") and the fraction done. The panel shows this instead of the previous scene.
   * `verb` replaces "Loading" in the heading ("Estimating the poses of" for plain photos).
   */
  loading: { label: string; text: string; fraction: number; verb?: string } | null;
  gpuStatus: 'pending' | 'ok' | 'none' | 'lost';
  gpuMessage: string;
  page: 'studio' | 'avatar';
  set: (patch: Partial<StudioState>) => void;
  notify: (kind: Notice['kind'], text: string) => void;
  dismiss: (id: number) => void;
}

let nextNotice = 1;

/** The single studio store; components subscribe with selectors, engines call getState()/setState(). */
export const useStudio = create<StudioState>((set) => ({
  name: 'scene',
  scene: null,
  cloud: null,
  splatFile: null,
  modelVersion: 0,
  trainViews: [],
  recipe: 'sparse',
  iterations: 3000,
  overrides: '',
  trainSize: 256,
  train: 'idle',
  trainMessage: '',
  phaseFraction: null,
  history: [],
  itPerSec: 0,
  currentView: 0,
  mode: 'rgb',
  notices: [],
  busy: '',
  loading: null,
  gpuStatus: 'pending',
  gpuMessage: '',
  page: 'studio',
  set: (patch) => set(patch),
  notify: (kind, text) => set((s) => ({ notices: [...s.notices.slice(-4), { id: nextNotice++, kind, text }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));
