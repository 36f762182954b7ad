import type { Scene } from '../core/Scene';

/**
 * Sparse-view train/test splits used in the literature (see ../shared/data/README.md):
 * - LLFF (RegNeRF / FreeNeRF / DNGaussian / FSGS protocol): test = images with index % 8 == 0;
 *   train = round(linspace(0, n_rest - 1, k)) over the remaining images, in sorted order.
 * - Blender 8 views (DietNeRF / FreeNeRF protocol): train ids [2, 16, 26, 55, 73, 76, 86, 93] of
 *   transforms_train.json, evaluated on every 8th frame of transforms_test.json (25 of the 200:
 *   r_0, r_8, ..., r_192). A test file that already holds only those frames (as
 *   ../shared/data/scenes/blender-lego does) keeps all of them: see blenderTestFrames.
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

/** Frame number written at the end of an image name (`r_8.png` -> 8, `frame_00012` -> 12), else undefined. */
export function frameNumber(name: string): number | undefined {
  const m = /(\d+)(?:\.[A-Za-z0-9]+)?$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Every 8th frame of transforms_test.json, the Blender protocol's test set. When every test frame's
 * name ends in a frame number (`r_N`), the frames with N % 8 == 0 are kept, so the full 200-frame file
 * and a file already thinned to r_0, r_8, ..., r_192 give the same 25 views; otherwise every 8th
 * test frame in file order.
 * @param test scene indices of the test frames, in file order
 * @param names Scene.imageNames (indexed by scene index), when known
 */
export function blenderTestFrames(test: number[], names?: ArrayLike<string>): number[] {
  const numbers = names ? test.map((i) => frameNumber(names[i] ?? '')) : [];
  if (names && numbers.every((n) => n !== undefined)) return test.filter((_, j) => numbers[j]! % 8 === 0);
  return test.filter((_, j) => j % 8 === 0);
}

/**
 * Blender split from per-image source splits (Scene.imageSplits): train = the protocol ids taken
 * within the 'train' frames (in order), test = every 8th 'test' frame (blenderTestFrames).
 * @param ids indices into the train file's frames (default the 8-view ids)
 * @param names Scene.imageNames, to pick the test frames by their frame number (see blenderTestFrames)
 * @throws Error when an id is beyond the number of train frames or there are no test frames.
 */
export function blenderSplit(imageSplits: ArrayLike<'train' | 'val' | 'test'>, ids: number[] = BLENDER_8_VIEW_IDS, names?: ArrayLike<string>): Split {
  const trainFrames: number[] = [];
  const testFrames: number[] = [];
  for (let i = 0; i < imageSplits.length; i++) {
    if (imageSplits[i] === 'train') trainFrames.push(i);
    else if (imageSplits[i] === 'test') testFrames.push(i);
  }
  const bad = ids.find((id) => !(id >= 0 && id < trainFrames.length));
  if (bad !== undefined) throw new Error(`blenderSplit: train id ${bad} out of range (${trainFrames.length} train frames)`);
  if (testFrames.length === 0) throw new Error('blenderSplit: no test frames (transforms_test.json not loaded?)');
  const test = blenderTestFrames(testFrames, names);
  if (test.length === 0) throw new Error(`blenderSplit: none of the ${testFrames.length} test frames is a multiple of 8 (frame numbers from the image names)`);
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
 * scene has source splits (an error when a protocol id exceeds the train frames); with another k,
 * min(k, train frames) evenly spaced train frames; either way the test views are every 8th test frame.
 */
export function splitForScene(scene: Scene, k: number): Split {
  const n = scene.cameras.length;
  if (scene.protocol === 'llff') return llffSplit(n, k);
  if (scene.protocol === 'blender' && scene.imageSplits) {
    const trainCount = scene.imageSplits.filter((s) => s === 'train').length;
    // Fewer train frames than k: all of them (linspace would repeat frames).
    const kk = Math.min(k, trainCount);
    const ids = kk === BLENDER_8_VIEW_IDS.length ? BLENDER_8_VIEW_IDS : linspaceIndices(trainCount, kk);
    return blenderSplit(scene.imageSplits, ids, scene.imageNames);
  }
  return evenSplit(n, k);
}

/**
 * The k directions (from `target`) that are most spread out: exhaustively for k <= 3 (the triple whose
 * smallest pairwise angle is largest; lego's 100 training frames give 161,700 triples), then greedy
 * farthest-point for each further view. Ties keep the first in index order, so the choice is
 * deterministic.
 * @param centres camera centres, world units, one [x, y, z] per candidate
 * @param target point the cameras look at (Blender scenes: the origin)
 * @returns indices into `centres`, ascending
 * @throws Error when k is not in [1, centres.length] or a centre coincides with the target.
 */
export function widestViewIds(centres: ArrayLike<readonly number[]>, k: number, target: readonly number[] = [0, 0, 0]): number[] {
  const n = centres.length;
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new Error(`widestViewIds: k=${k} must be in [1, ${n}]`);
  const dirs = Array.from({ length: n }, (_, i) => {
    const d = [0, 1, 2].map((a) => centres[i][a] - target[a]);
    const l = Math.hypot(d[0], d[1], d[2]);
    if (!(l > 0)) throw new Error(`widestViewIds: camera ${i} sits on the target point`);
    return d.map((x) => x / l);
  });
  // Cosine of the angle: smaller cosine = wider. TIE: rounding must not break ties out of index order.
  const TIE = 1e-12;
  const cos = (a: number, b: number) => dirs[a][0] * dirs[b][0] + dirs[a][1] * dirs[b][1] + dirs[a][2] * dirs[b][2];
  let chosen: number[] = [0];
  if (k >= 2) {
    let best = Infinity;
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const ab = cos(a, b);
        if (k === 2) {
          if (ab < best - TIE) [best, chosen] = [ab, [a, b]];
          continue;
        }
        for (let c = b + 1; c < n; c++) {
          const worst = Math.max(ab, cos(a, c), cos(b, c));
          if (worst < best - TIE) [best, chosen] = [worst, [a, b, c]];
        }
      }
    }
  }
  while (chosen.length < k) {
    let pick = -1;
    let pickCos = Infinity;
    for (let i = 0; i < n; i++) {
      if (chosen.includes(i)) continue;
      const nearest = Math.max(...chosen.map((j) => cos(i, j)));
      if (nearest < pickCos - TIE) [pick, pickCos] = [i, nearest];
    }
    chosen.push(pick);
  }
  return chosen.sort((a, b) => a - b);
}

/**
 * Wide-baseline Blender split (issue 11: an object seen from k sides): train = the k training frames
 * whose viewing directions from the origin are most spread out (widestViewIds; lego, k = 3: frames 0,
 * 10 and 95, azimuths 91, -149 and -27 degrees, 114-122 degrees apart), test = every 8th test frame as
 * in the 8-view protocol.
 * @throws Error when the scene has no Blender source splits, or as blenderSplit.
 */
export function blenderWideSplit(scene: Scene, k: number): Split {
  if (!scene.imageSplits) throw new Error(`blenderWideSplit: scene "${scene.name}" has no train/test source splits (not a Blender scene?)`);
  const trainFrames = scene.imageSplits.flatMap((s, i) => (s === 'train' ? [i] : []));
  const ids = widestViewIds(trainFrames.map((i) => scene.cameras[i].center), k);
  return blenderSplit(scene.imageSplits, ids, scene.imageNames);
}
