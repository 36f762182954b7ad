import type { Scene } from '../core/Scene';
import { loadBlender } from './blenderLoader';
import { loadColmap } from './colmapLoader';
import { basename, dirname, zipSource, type FileSource } from './FileSource';
import { fail } from './FormatError';
import { loadLlff } from './llffLoader';
import type { LoadOptions } from './sceneAssembly';

export type { LoadOptions } from './sceneAssembly';

/** Scene formats loadScene recognizes. */
export type SceneFormat = 'llff' | 'blender' | 'colmap';

/** Where a scene was found inside a source. */
export interface DetectedScene {
  format: SceneFormat;
  /** Folder of the marker file ('' for the top level). */
  root: string;
  /** Blender: the transforms files in load order with their split. */
  transforms?: { path: string; split?: 'train' | 'val' | 'test' }[];
}

const depth = (p: string) => (p === '' ? 0 : p.split('/').length);

/**
 * Finds the scene in a list of paths, shallowest first; at equal depth transforms*.json beats
 * poses_bounds.npy beats a COLMAP model (nerfstudio and LLFF folders often carry a COLMAP model too).
 * Returns undefined when nothing matches.
 */
export function detectScene(paths: string[]): DetectedScene | undefined {
  const cands: (DetectedScene & { rank: number; sceneDepth: number })[] = [];
  const byDir = new Map<string, Set<string>>();
  for (const p of paths) {
    const d = dirname(p);
    if (!byDir.has(d)) byDir.set(d, new Set());
    byDir.get(d)!.add(basename(p));
  }
  for (const [dir, names] of byDir) {
    if (names.has('transforms_train.json') || names.has('transforms_test.json')) {
      const transforms = (['train', 'test'] as const)
        .filter((s) => names.has(`transforms_${s}.json`))
        .map((s) => ({ path: dir ? `${dir}/transforms_${s}.json` : `transforms_${s}.json`, split: s }));
      cands.push({ format: 'blender', root: dir, transforms, rank: 0, sceneDepth: depth(dir) });
    } else if (names.has('transforms.json')) {
      cands.push({ format: 'blender', root: dir, transforms: [{ path: dir ? `${dir}/transforms.json` : 'transforms.json' }], rank: 0, sceneDepth: depth(dir) });
    }
    if (names.has('poses_bounds.npy')) cands.push({ format: 'llff', root: dir, rank: 1, sceneDepth: depth(dir) });
    if ((names.has('cameras.bin') || names.has('cameras.txt')) && (names.has('images.bin') || names.has('images.txt'))) {
      // Rank the model by its scene root (the folder above sparse/0), so it competes fairly.
      let root = dir;
      while (root && /^(sparse|\d+)$/.test(basename(root))) root = dirname(root);
      cands.push({ format: 'colmap', root: dir, rank: 2, sceneDepth: depth(root) });
    }
  }
  if (cands.length === 0) return undefined;
  cands.sort((a, b) => a.sceneDepth - b.sceneDepth || a.rank - b.rank);
  const { format, root, transforms } = cands[0];
  return transforms ? { format, root, transforms } : { format, root };
}

/**
 * Loads the scene held by a FileSource (folder, zip, dropped files): LLFF (poses_bounds.npy),
 * Blender / nerfstudio (transforms*.json) or COLMAP (cameras/images[/points3D] .bin or .txt).
 * A single .zip inside the source is opened and searched. Cameras come out in the OpenCV
 * world-to-camera convention (see core/Camera), images as float RGB in [0,1] (sRGB-encoded) composited
 * over `opts.background` (white for Blender, black otherwise, by default).
 * @throws FormatError naming the source and what is missing when no scene is found (e.g. an empty
 *   folder), or naming the file and field of any malformed input (see each loader).
 */
export async function loadScene(src: FileSource, opts: LoadOptions = {}): Promise<Scene> {
  if (opts.downscale !== undefined && !(Number.isInteger(opts.downscale) && opts.downscale >= 1)) {
    throw new Error(`loadScene: downscale must be a positive integer, got ${opts.downscale}`);
  }
  if (opts.maxLongSide !== undefined && !(opts.maxLongSide >= 1)) throw new Error(`loadScene: maxLongSide must be >= 1, got ${opts.maxLongSide}`);
  const paths = src.list();
  let found = detectScene(paths);
  if (!found) {
    const zips = paths.filter((p) => p.toLowerCase().endsWith('.zip'));
    if (zips.length === 1) return loadScene(zipSource(`${src.name}/${zips[0]}`, await src.read(zips[0])), opts);
    fail(src.name, 'scene', paths.length === 0
      ? 'empty: no files found (expected a scene, or plain photos whose poses the studio and `npm run reconstruct` estimate)'
      : 'no scene found: expected poses_bounds.npy (LLFF), transforms*.json (Blender / nerfstudio) or a COLMAP model (cameras + images .bin/.txt)');
  }
  found = found!;
  if (found.format === 'llff') return loadLlff(src, found.root, opts);
  if (found.format === 'blender') return loadBlender(src, found.transforms!, opts);
  return loadColmap(src, found.root, opts);
}
