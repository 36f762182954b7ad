import type { Scene } from '../core/Scene';

/**
 * Sparse-view train/test splits used in the literature (see ../shared/data/README.md):
 * - LLFF (RegNeRF / FreeNeRF / DNGaussian / FSGS protocol): test = images with index % 8 == 0;
 *   train = round(linspace(0, n_rest - 1, k)) over the remaining images, in sorted order.
 * - Blender 8 views (DietNeRF / FreeNeRF protocol): train ids [2, 16, 26, 55, 73, 76, 86, 93] of
 *   transforms_train.json, evaluated on the frames of transforms_test.json.
 * - User scenes: k views evenly spaced, the rest held out for testing.
 * All indices refer to Scene.cameras / Scene.images.
 */
export interface Split {
  train: number[];
  test: number[];
}

/** Training ids of the Blender 8-view protocol, indices into transforms_train.json. */
export const BLENDER_8_VIEW_IDS = [2, 16, 26, 55, 73, 76, 86, 93];

/** round(linspace(0, m - 1, k)) as numpy computes it (round half to even). */
export function linspaceIndices(m: number, k: number): number[] {
  if (k <= 0 || m <= 0) return [];
  if (k === 1) return [0];
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const v = (i * (m - 1)) / (k - 1);
    const f = Math.floor(v);
    const d = v - f;
    out.push(Math.abs(d - 0.5) < 1e-9 ? (f % 2 === 0 ? f : f + 1) : Math.round(v));
  }
  return out;
}

/**
 * LLFF sparse-view split of n sorted images into k training views.
 * @throws Error when k is not in [1, number of non-test images].
 */
export function llffSplit(n: number, k: number): Split {
  const test: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < n; i++) (i % 8 === 0 ? test : rest).push(i);
  if (!(Number.isInteger(k) && k >= 1 && k <= rest.length)) throw new Error(`llffSplit: k=${k} must be in [1, ${rest.length}] for ${n} images`);
  return { train: linspaceIndices(rest.length, k).map((j) => rest[j]), test };
}

/**
 * Blender split from per-image source splits (Scene.imageSplits): train = the protocol ids taken
 * within the 'train' frames (in order), test = every 'test' frame.
 * @param ids indices into the train file's frames (default the 8-view ids)
 * @throws Error when an id is beyond the number of train frames or there are no test frames.
 */
export function blenderSplit(imageSplits: ArrayLike<'train' | 'val' | 'test'>, ids: number[] = BLENDER_8_VIEW_IDS): Split {
  const trainFrames: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < imageSplits.length; i++) {
    if (imageSplits[i] === 'train') trainFrames.push(i);
    else if (imageSplits[i] === 'test') test.push(i);
  }
  const bad = ids.find((id) => !(id >= 0 && id < trainFrames.length));
  if (bad !== undefined) throw new Error(`blenderSplit: train id ${bad} out of range (${trainFrames.length} train frames)`);
  if (test.length === 0) throw new Error('blenderSplit: no test frames (transforms_test.json not loaded?)');
  return { train: ids.map((id) => trainFrames[id]), test };
}

/**
 * k evenly spaced training views (round(linspace(0, n-1, k))), the others for testing.
 * @throws Error when k is not in [1, n].
 */
export function evenSplit(n: number, k: number): Split {
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new Error(`evenSplit: k=${k} must be in [1, ${n}]`);
  const train = linspaceIndices(n, k);
  const set = new Set(train);
  return { train, test: Array.from({ length: n }, (_, i) => i).filter((i) => !set.has(i)) };
}

/**
 * The split the scene's protocol prescribes. Blender uses the 8 protocol ids when k == 8 and the
 * scene has source splits; with another k it takes k evenly spaced train frames.
 */
export function splitForScene(scene: Scene, k: number): Split {
  const n = scene.cameras.length;
  if (scene.protocol === 'llff') return llffSplit(n, k);
  if (scene.protocol === 'blender' && scene.imageSplits) {
    const trainCount = scene.imageSplits.filter((s) => s === 'train').length;
    const ids = k === BLENDER_8_VIEW_IDS.length ? BLENDER_8_VIEW_IDS : linspaceIndices(trainCount, k);
    return blenderSplit(scene.imageSplits, ids);
  }
  return evenSplit(n, k);
}
