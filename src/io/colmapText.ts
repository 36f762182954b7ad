import type { Camera } from '../core/Camera';
import type { PointCloud, Scene } from '../core/Scene';
import { rotationToQuat } from './colmapModel';

/**
 * Header comment of images.txt marking poses that were estimated from the photos (`npm run poses`),
 * not given: COLMAP ignores comment lines, and our loader turns it into Scene.posesEstimated, so
 * training refines such poses as it does right after estimatePoses (Recipe.poseRefine 'auto').
 */
export const ESTIMATED_POSES_MARKER = '# sparsesplat: poses estimated from the photos';

/** The three files of a COLMAP text model. */
export interface ColmapTextFiles { 'cameras.txt': string; 'images.txt': string; 'points3D.txt': string }

/** Per image, the keypoints that observe a 3D point: xy is K*2 pixels (pixel centres at +0.5, as COLMAP's), pointOfKeypoint K indices into the points or -1. */
export interface ColmapObservations { xy: ArrayLike<number>; pointOfKeypoint: ArrayLike<number> }

/** Options of colmapTextModel. */
export interface ColmapTextOptions {
  /** Sparse points (xyz world units, rgb sRGB [0,1]) for points3D.txt. */
  points?: PointCloud;
  /** Per image (index-aligned with the cameras), its observations: they fill the POINTS2D lines, the TRACK lists and each point's ERROR (mean reprojection error, pixels). */
  observations?: ColmapObservations[];
  /** Write ESTIMATED_POSES_MARKER into images.txt. */
  posesEstimated?: boolean;
}

const num = (v: number) => String(Number(v.toPrecision(17)));

/**
 * COLMAP text model writer (format: https://colmap.github.io/format.html#text-format).
 * cameras.txt: one camera per image, SIMPLE_PINHOLE (f, cx, cy) when fx == fy, else PINHOLE
 * (fx, fy, cx, cy), in pixels of the image's size. images.txt: IMAGE_ID QW QX QY QZ TX TY TZ
 * CAMERA_ID NAME, the world-to-camera rotation as a unit quaternion (w >= 0) and translation
 * (COLMAP's convention and the OpenCV one of src/core/Camera), then the POINTS2D line: X Y POINT3D_ID
 * of each observing keypoint (empty without observations). points3D.txt: POINT3D_ID X Y Z R G B ERROR
 * TRACK[] with 8-bit colours; TRACK pairs are (IMAGE_ID, index in that image's POINTS2D). Numbers are
 * printed with 17 significant digits (lossless float64). Ids start at 1.
 * @param cameras OpenCV world-to-camera cameras, one per image
 * @param names image file names, relative to the scene's `images/` folder
 * @throws Error when names, cameras or observations differ in count, a name is empty or spans lines,
 *   or an observation names a point that does not exist
 */
export function colmapTextModel(cameras: Camera[], names: string[], opts: ColmapTextOptions = {}): ColmapTextFiles {
  const { points, observations } = opts;
  if (names.length !== cameras.length) throw new Error(`colmapTextModel: ${cameras.length} cameras but ${names.length} names`);
  if (observations && observations.length !== cameras.length) throw new Error(`colmapTextModel: ${cameras.length} cameras but ${observations.length} observation lists`);
  const n = points ? points.xyz.length / 3 : 0;
  const tracks: number[][] = Array.from({ length: n }, () => []); // flat (image id, point2D idx) pairs
  const errorSum = new Float64Array(n);
  let observationCount = 0;
  let cams = '# Camera list with one line of data per camera:\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n';
  cams += `# Number of cameras: ${cameras.length}\n`;
  let body = '';
  cameras.forEach((c, k) => {
    const name = names[k];
    if (!name || /[\r\n]/.test(name)) throw new Error(`colmapTextModel: image ${k} has an empty or multi-line name`);
    const id = k + 1;
    cams += c.fx === c.fy
      ? `${id} SIMPLE_PINHOLE ${c.width} ${c.height} ${[c.fx, c.cx, c.cy].map(num).join(' ')}\n`
      : `${id} PINHOLE ${c.width} ${c.height} ${[c.fx, c.fy, c.cx, c.cy].map(num).join(' ')}\n`;
    const q = rotationToQuat(c.R);
    const points2d: string[] = [];
    const obs = observations?.[k];
    if (obs) {
      for (let f = 0; f < obs.pointOfKeypoint.length; f++) {
        const p = obs.pointOfKeypoint[f];
        if (p < 0) continue;
        if (!(Number.isInteger(p) && p < n)) throw new Error(`colmapTextModel: image ${name} keypoint ${f} observes point ${p}, but there are ${n} points`);
        const [x, y] = [obs.xy[2 * f], obs.xy[2 * f + 1]];
        tracks[p].push(id, points2d.length);
        points2d.push(`${num(x)} ${num(y)} ${p + 1}`);
        const X = [0, 1, 2].map((a) => points!.xyz[3 * p + a]);
        const cam = [0, 1, 2].map((r) => c.R[3 * r] * X[0] + c.R[3 * r + 1] * X[1] + c.R[3 * r + 2] * X[2] + c.t[r]);
        errorSum[p] += Math.hypot((c.fx * cam[0]) / cam[2] + c.cx - x, (c.fy * cam[1]) / cam[2] + c.cy - y);
      }
    }
    observationCount += points2d.length;
    body += `${id} ${[...q, ...c.t].map(num).join(' ')} ${id} ${name}\n${points2d.join(' ')}\n`;
  });
  let imgs = '# Image list with two lines of data per image:\n#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n#   POINTS2D[] as (X, Y, POINT3D_ID)\n';
  if (opts.posesEstimated) imgs += `${ESTIMATED_POSES_MARKER}\n`;
  imgs += `# Number of images: ${cameras.length}, mean observations per image: ${cameras.length ? num(observationCount / cameras.length) : 0}\n${body}`;
  let pts = '# 3D point list with one line of data per point:\n#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n';
  pts += `# Number of points: ${n}, mean track length: ${n ? num(observationCount / n) : 0}\n`;
  for (let i = 0; i < n; i++) {
    const p = points!;
    const rgb = [0, 1, 2].map((c) => Math.round(Math.min(1, Math.max(0, p.rgb[i * 3 + c])) * 255));
    const track = tracks[i];
    const err = track.length ? errorSum[i] / (track.length / 2) : 0;
    pts += `${i + 1} ${num(p.xyz[i * 3])} ${num(p.xyz[i * 3 + 1])} ${num(p.xyz[i * 3 + 2])} ${rgb.join(' ')} ${num(err)}${track.length ? ` ${track.join(' ')}` : ''}\n`;
  }
  return { 'cameras.txt': cams, 'images.txt': imgs, 'points3D.txt': pts };
}

/**
 * The COLMAP text model of a scene whose poses were estimated, after training: the training views'
 * cameras as training refined them (Trainer.trainCameras), the other views' as estimated, the
 * scene's sparse points, and ESTIMATED_POSES_MARKER, so that `npm run reconstruct` on the model
 * refines them again. Intrinsics are rescaled to each photo's size on disk (`photoSizes`, pixels,
 * by image name; views not in it keep the training size), since the loader reads photos at that size.
 * @param trainViews scene view indices of trainCameras, in the same order
 * @throws Error when trainViews and trainCameras differ in length or name a view not in the scene, or colmapTextModel's errors
 */
export function estimatedPosesModel(scene: Scene, trainViews: number[], trainCameras: Camera[], photoSizes: ReadonlyMap<string, { width: number; height: number }>): ColmapTextFiles {
  if (trainViews.length !== trainCameras.length) throw new Error(`estimatedPosesModel: ${trainViews.length} training views but ${trainCameras.length} cameras`);
  const cameras = scene.cameras.slice();
  trainViews.forEach((v, k) => {
    if (!cameras[v]) throw new Error(`estimatedPosesModel: training view ${v} is not in scene "${scene.name}"`);
    cameras[v] = trainCameras[k];
  });
  const names = scene.imageNames ?? cameras.map((_, k) => `view${k}.png`);
  const onDisk = cameras.map((c, k) => {
    const size = photoSizes.get(names[k]);
    return size ? c.resized(size.width, size.height) : c;
  });
  return colmapTextModel(onDisk, names, { points: scene.points, posesEstimated: true });
}
