import { Camera } from '../core/Camera';
import type { Scene } from '../core/Scene';
import { basename, dirname, joinPath, type FileSource } from './FileSource';
import { fail } from './FormatError';
import { isImagePath, readImageHeader } from './imageDecode';
import { readNpy } from './npy';
import { assembleScene, sceneName, requireFinite, type FrameSpec, type LoadOptions } from './sceneAssembly';

/**
 * LLFF scenes (Mildenhall et al. 2019, "Local Light Field Fusion"; `load_llff.py` of the NeRF code):
 * `poses_bounds.npy` is N x 17 float64: a row-major 3x5 matrix [R | t | (H, W, f)] whose rotation
 * columns are the camera's [down, right, back] axes in world coordinates (camera-to-world), with H, W,
 * f for the full-resolution images, then near and far depth bounds. Images live in `images/` or
 * `images_N/` (N times smaller; f scales by 1/N) and are matched to poses by sorted file name.
 * Cameras become OpenCV (x right = column 1, y down = column 0, z forward = -column 2).
 *
 * Without an `images*` folder, the images next to poses_bounds.npy (loose files) or else in the one
 * folder under it that holds images are used, their reduction factor read from the first one's width.
 *
 * @param root folder of poses_bounds.npy inside the source ('' for the top level)
 * @throws FormatError naming the file and field: bad .npy, non-finite poses, pose/image count
 *   mismatch, no images (or images in several folders), image size that disagrees with H, W.
 */
export async function loadLlff(src: FileSource, root: string, opts: LoadOptions = {}): Promise<Scene> {
  const posesPath = joinPath(root, 'poses_bounds.npy');
  const posesFile = `${src.name}/${posesPath}`;
  const { shape, data } = readNpy(posesFile, await src.read(posesPath));
  if (shape.length !== 2 || shape[1] !== 17) fail(posesFile, 'shape', `expected (N, 17), got (${shape.join(', ')})`);
  const n = shape[0];
  for (let i = 0; i < n; i++) requireFinite(posesFile, `row ${i}`, data.subarray(i * 17, i * 17 + 17));

  const all = src.list();
  const folders = new Map<number, string[]>();
  for (const p of all) {
    if (!isImagePath(p)) continue;
    const d = dirname(p);
    if (dirname(d) !== root) continue;
    const m = /^images(?:_(\d+))?$/.exec(basename(d));
    if (!m) continue;
    const factor = m[1] ? Number(m[1]) : 1;
    if (!folders.has(factor)) folders.set(factor, []);
    folders.get(factor)!.push(p);
  }
  if (folders.size === 0) {
    // Loose files (a browser pick has no folders) or another layout: the one folder holding images.
    const loose = await looseImages(src, root, posesFile, data[1 * 5 + 4]);
    folders.set(loose.factor, loose.paths);
  }
  let factor: number;
  let shrink = 1;
  if (opts.downscale !== undefined) {
    const want = opts.downscale;
    // images_N itself, else the sharpest folder whose factor divides N, shrunk by the rest.
    const usable = [...folders.keys()].filter((f) => want % f === 0).sort((a, b) => b - a);
    if (usable.length === 0) fail(`${src.name}/${root || '.'}`, `images_${want}`, `no folder for downscale ${want} (have: ${[...folders.keys()].map((f) => (f === 1 ? 'images' : `images_${f}`)).join(', ')})`);
    factor = usable[0];
    shrink = want / factor;
  } else {
    const W0 = data[1 * 5 + 4];
    const H0 = data[0 * 5 + 4];
    const factors = [...folders.keys()].sort((a, b) => a - b);
    // Largest reduction that still covers maxLongSide; otherwise the sharpest folder available.
    const fits = opts.maxLongSide ? factors.filter((f) => Math.max(W0, H0) / f >= opts.maxLongSide!) : [];
    factor = fits.length ? fits[fits.length - 1] : factors[0];
  }
  const images = folders.get(factor)!.sort();
  if (images.length !== n) {
    fail(posesFile, 'rows', `${n} poses but ${images.length} images in ${dirname(images[0])}/`);
  }
  const frames: FrameSpec[] = images.map((path, i) => {
    const r = (row: number, col: number) => data[i * 17 + row * 5 + col];
    const H = r(0, 4);
    const W = r(1, 4);
    const f = r(2, 4);
    return {
      path,
      name: basename(path),
      shrink,
      sceneRef: { file: posesFile, field: `row ${i}` },
      makeCamera(width: number, height: number): Camera {
        const s = W / width;
        if (!(H > 0 && W > 0 && f > 0)) fail(posesFile, `row ${i} hwf`, `invalid H, W, f = ${H}, ${W}, ${f}`);
        if (Math.abs(height * s - H) > Math.max(1, s)) {
          fail(`${src.name}/${path}`, 'image size', `${width}x${height} disagrees with the intrinsics H=${H}, W=${W} of poses_bounds.npy row ${i} (aspect differs)`);
        }
        if (Math.abs(W / factor - width) > 1) {
          fail(`${src.name}/${path}`, 'image size', `${width} pixels wide, expected W/${factor} = ${(W / factor).toFixed(1)} from poses_bounds.npy row ${i}`);
        }
        // c2w in OpenCV axes: x = right (col 1), y = down (col 0), z = forward (-col 2).
        const c2w = [
          r(0, 1), r(0, 0), -r(0, 2), r(0, 3),
          r(1, 1), r(1, 0), -r(1, 2), r(1, 3),
          r(2, 1), r(2, 0), -r(2, 2), r(2, 3),
          0, 0, 0, 1,
        ];
        return Camera.fromC2W(c2w, f / s, f / s, width / 2, height / 2, width, height, basename(path));
      },
    };
  });
  const depthBounds: [number, number][] = Array.from({ length: n }, (_, i) => [data[i * 17 + 15], data[i * 17 + 16]]);
  return assembleScene(src, frames, { name: sceneName(src, root), protocol: 'llff', background: opts.background ?? [0, 0, 0], depthBounds }, opts);
}

/**
 * Images of an LLFF scene without `images*` folders: those directly in `root` (loose files), else
 * those of the only folder under `root` that holds images. The reduction factor (full width W / the
 * first image's width) is rounded to an integer when that is within a pixel, like images_N.
 * @throws FormatError when no folder, or several folders, hold images.
 */
async function looseImages(src: FileSource, root: string, posesFile: string, fullWidth: number): Promise<{ factor: number; paths: string[] }> {
  const prefix = root ? `${root}/` : '';
  const byFolder = new Map<string, string[]>();
  for (const p of src.list()) {
    if (!isImagePath(p) || !p.startsWith(prefix)) continue;
    const d = dirname(p);
    if (!byFolder.has(d)) byFolder.set(d, []);
    byFolder.get(d)!.push(p);
  }
  const folders = [...byFolder.keys()].sort();
  const chosen = byFolder.has(root) ? root : folders.length === 1 ? folders[0] : undefined;
  if (chosen === undefined) {
    const detail = folders.length === 0
      ? 'no images/ or images_N/ folder with PNG/JPEG files next to poses_bounds.npy, and no images elsewhere'
      : `no images/ or images_N/ folder next to poses_bounds.npy, and ${folders.length} folders hold images: ${folders.map((f) => `"${f}/"`).join(', ')}; keep one`;
    fail(`${src.name}/${root || '.'}`, 'images', detail);
  }
  const paths = byFolder.get(chosen)!.sort();
  const { width } = readImageHeader(`${src.name}/${paths[0]}`, await src.read(paths[0]));
  const ratio = fullWidth / width;
  const rounded = Math.round(ratio);
  if (!(ratio > 0) || !Number.isFinite(ratio)) fail(posesFile, 'row 0 hwf', `invalid W = ${fullWidth}`);
  return { factor: rounded >= 1 && Math.abs(fullWidth / rounded - width) <= 1 ? rounded : ratio, paths };
}
