import { Camera } from '../core/Camera';
import type { PointCloud, Scene } from '../core/Scene';
import { depthBoundsFromPoints } from '../depth/depthRange';
import { basename, dirname, joinPath, type FileSource } from './FileSource';
import { fail } from './FormatError';
import { IMAGE_EXTENSIONS, isImagePath } from './imageDecode';
import { createPathResolver } from './pathResolver';
import {
  parseCamerasBinary, parseCamerasText, parseImagesBinary, parseImagesText, parsePointsBinary, parsePointsText,
  quatToRotation, type ColmapCamera, type ColmapModel,
} from './colmapModel';
import { ESTIMATED_POSES_MARKER } from './colmapText';
import { assembleScene, sceneName, type FrameSpec, type LoadOptions } from './sceneAssembly';
import type { Distortion } from './undistort';

/** Pinhole intrinsics and distortion of the supported COLMAP models (radial ones are undistorted). */
function intrinsics(file: string, c: ColmapCamera): { fx: number; fy: number; cx: number; cy: number; dist?: Distortion } {
  const p = c.params;
  switch (c.model) {
    case 'SIMPLE_PINHOLE': return { fx: p[0], fy: p[0], cx: p[1], cy: p[2] };
    case 'PINHOLE': return { fx: p[0], fy: p[1], cx: p[2], cy: p[3] };
    case 'SIMPLE_RADIAL': return { fx: p[0], fy: p[0], cx: p[1], cy: p[2], dist: { k1: p[3], k2: 0, p1: 0, p2: 0 } };
    case 'RADIAL': return { fx: p[0], fy: p[0], cx: p[1], cy: p[2], dist: { k1: p[3], k2: p[4], p1: 0, p2: 0 } };
    case 'OPENCV': return { fx: p[0], fy: p[1], cx: p[2], cy: p[3], dist: { k1: p[4], k2: p[5], p1: p[6], p2: p[7] } };
    default:
      fail(file, `camera ${c.id} model`, `unsupported camera model ${c.model} (supported: SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV)`);
  }
}

/**
 * Reads the COLMAP model files in `dir` (binary preferred over text when both exist).
 * @throws FormatError naming the file and field for malformed content.
 */
export async function readColmapModel(src: FileSource, dir: string): Promise<ColmapModel & { camerasFile: string; imagesFile: string }> {
  const listed = new Set(src.list());
  const pick = (stem: string) => {
    const bin = joinPath(dir, `${stem}.bin`);
    const txt = joinPath(dir, `${stem}.txt`);
    return listed.has(bin) ? { path: bin, binary: true } : listed.has(txt) ? { path: txt, binary: false } : undefined;
  };
  const cf = pick('cameras');
  const imf = pick('images');
  if (!cf || !imf) fail(`${src.name}/${dir || '.'}`, 'COLMAP model', 'needs cameras.{bin,txt} and images.{bin,txt}');
  const label = (p: string) => `${src.name}/${p}`;
  const text = async (p: string) => new TextDecoder().decode(await src.read(p));
  const cameras = cf.binary ? parseCamerasBinary(label(cf.path), await src.read(cf.path)) : parseCamerasText(label(cf.path), await text(cf.path));
  const imagesText = imf.binary ? undefined : await text(imf.path);
  const images = imagesText === undefined ? parseImagesBinary(label(imf.path), await src.read(imf.path)) : parseImagesText(label(imf.path), imagesText);
  const posesEstimated = !!imagesText?.split(/\r?\n/).some((l) => l.trim() === ESTIMATED_POSES_MARKER);
  const pf = pick('points3D');
  let points: PointCloud | undefined;
  if (pf) points = pf.binary ? parsePointsBinary(label(pf.path), await src.read(pf.path)) : parsePointsText(label(pf.path), await text(pf.path));
  return { cameras, images, points, posesEstimated, camerasFile: label(cf.path), imagesFile: label(imf.path) };
}

/**
 * COLMAP sparse reconstruction (`sparse/0/` or any folder with cameras + images [+ points3D], text
 * or binary) with images in `images/` next to `sparse/` (opts.downscale N: `images_N/` when present,
 * else `images/` shrunk by N).
 * Poses are already OpenCV world-to-camera. Radial models are undistorted; points3D become
 * Scene.points. Frames are sorted by image name. Protocol 'even'. A text model written by `npm run
 * poses` (ESTIMATED_POSES_MARKER in images.txt) gives Scene.posesEstimated.
 * Image files are found as createPathResolver describes (`images/<name>` exactly, else by path tail,
 * file name or stem), so loose files and zips of another layout load too.
 * @param dir folder of the model files inside the source
 * @throws FormatError naming the file and field: unsupported camera model, unknown camera id,
 *   non-positive focal length, missing image or an image name matching several files, image size
 *   different from the camera's width/height.
 */
export async function loadColmap(src: FileSource, dir: string, opts: LoadOptions = {}): Promise<Scene> {
  const model = await readColmapModel(src, dir);
  const listed = src.list();
  const resolver = createPathResolver(listed);
  let root = dir;
  while (root && /^(sparse|\d+)$/.test(basename(root))) root = dirname(root);
  if (/(^|\/)sparse$/.test(dir)) root = dirname(dir);
  const N = opts.downscale && opts.downscale > 1 ? opts.downscale : 1;
  // images_N when present, else the full images shrunk by N.
  const hasFolder = (name: string) => listed.some((p) => p.startsWith(joinPath(root, name) + '/'));
  const folder = N > 1 && hasFolder(`images_${N}`) ? `images_${N}` : 'images';
  const scale = folder === 'images' ? 1 : 1 / N;
  const shrink = folder === 'images' ? N : 1;
  const imgs = [...model.images].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const frames: FrameSpec[] = imgs.map((im) => {
    const cam = model.cameras.get(im.cameraId);
    if (!cam) fail(model.camerasFile, `camera ${im.cameraId}`, `not found (used by image ${im.name})`);
    const K = intrinsics(model.camerasFile, cam);
    if (!(K.fx > 0 && K.fy > 0)) fail(model.camerasFile, `camera ${cam.id} params`, `focal lengths must be positive (pixels), got fx=${K.fx}, fy=${K.fy}`);
    // The folder is part of the written path so that a path tail such as images/a.png can match.
    const path = resolver.resolve(
      { file: model.imagesFile, field: `image ${im.id} name` },
      { written: `${folder}/${im.name}`, base: root, extensions: IMAGE_EXTENSIONS, accept: isImagePath, what: 'image' },
    );
    return {
      path,
      name: im.name,
      distortion: K.dist,
      shrink,
      sceneRef: { file: model.imagesFile, field: `image ${im.id}` },
      makeCamera(width: number, height: number): Camera {
        const ew = cam.width * scale;
        const eh = cam.height * scale;
        if (Math.abs(width - ew) > (scale === 1 ? 0 : 1) || Math.abs(height - eh) > (scale === 1 ? 0 : 1)) {
          fail(`${src.name}/${path}`, 'image size', `${width}x${height} disagrees with camera ${cam.id} (${cam.width}x${cam.height}${scale !== 1 ? ` / ${opts.downscale}` : ''}) in ${model.camerasFile}`);
        }
        const sx = width / cam.width;
        const sy = height / cam.height;
        return new Camera(quatToRotation(im.q), im.t, K.fx * sx, K.fy * sy, K.cx * sx, K.cy * sy, width, height, im.name);
      },
    };
  });
  const scene = await assembleScene(src, frames, { name: sceneName(src, root), protocol: 'even', background: opts.background ?? [0, 0, 0], points: model.points }, opts);
  if (model.posesEstimated) scene.posesEstimated = true;
  // Per-view sweep bounds from the sparse points (LLFF's rule, as sceneFromPoses does for estimated
  // poses): without them the MVS sweeps the frusta overlap, 0.02-1400 units on a forward-facing rig,
  // and its prior covers a few percent of the pixels.
  if (scene.points && !scene.depthBounds) {
    const bounds = depthBoundsFromPoints(scene.cameras, scene.points.xyz);
    if (bounds.every((b) => b !== null)) scene.depthBounds = bounds as [number, number][];
  }
  return scene;
}
