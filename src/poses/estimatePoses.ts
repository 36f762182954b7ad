import type { Scene } from '../core/Scene';
import { depthBoundsFromPoints } from '../depth/depthRange';
import { imageFromRGBA8 } from '../core/Image';
import { decodeImage, fitLongSide, type RGBA8Image } from '../io/imageDecode';
import { resizeRGBA8 } from '../io/imageWorkerProtocol';
import { detectFeatures, type DetectedFeatures, type FeatureOptions } from './features';
import { intrinsicsFromExif, type IntrinsicsWithNote } from './intrinsics';
import { matchAllPairs, type MatchOptions } from './matching';
import { reconstructFromMatches } from './reconstructFromMatches';
import type { SfmOptions, SfmResult } from './types';

/** A photo to pose: its file bytes (PNG/JPEG; EXIF read from them), or already decoded pixels. */
export type PhotoInput = { name: string; bytes: Uint8Array } | { name: string; image: RGBA8Image; bytes?: Uint8Array };

/** More photos than this still work, but pose estimation is built for 3-10: matching every pair grows as n^2 (about 1 s per pair at 504 px). */
export const RECOMMENDED_MAX_PHOTOS = 10;

/** The note to show when `count` photos exceed RECOMMENDED_MAX_PHOTOS (they still work, slowly), else null. */
export function tooManyPhotosNote(count: number): string | null {
  return count > RECOMMENDED_MAX_PHOTOS
    ? `${count} photos: pose estimation is built for 3-${RECOMMENDED_MAX_PHOTOS}, and matching every pair grows with the square of the count, so this will be slow`
    : null;
}

/** Options of estimatePoses. */
export interface EstimatePosesOptions extends FeatureOptions, MatchOptions, Omit<SfmOptions, 'onProgress'> {
  /** A photo with fewer keypoints than this is left out and named in failures ("has no texture"). Default 30. */
  minKeypoints?: number;
  /** Shrink decoded photos so the long side is at most this many pixels before anything else (the poses then refer to that size). Default: full size. */
  maxLongSide?: number;
  /** Progress: stage 'decode' | 'intrinsics' | 'features' | 'matching' | 'sfm:<stage>' and a fraction in [0,1] of that stage. */
  onProgress?: (stage: string, fraction: number) => void;
}

/** What estimatePoses returns: the SfM result, the initial intrinsics, the decoded photos and per-stage times. */
export type EstimatedPoses = SfmResult & {
  intrinsics: IntrinsicsWithNote[];
  /** The decoded photos (8-bit RGBA, EXIF orientation applied, maxLongSide applied), index-aligned with cameras. */
  images: RGBA8Image[];
  /** Each photo's full size (pixels, EXIF orientation applied) before maxLongSide: the size a model written for the original files refers to. */
  sourceSizes: { width: number; height: number }[];
  names: string[];
  /** Per photo its keypoints and descriptors (features.ts), index-aligned with cameras and pointOfKeypoint: registerPhoto matches extra photos against them. */
  features: DetectedFeatures[];
  /** Per-photo keypoint counts and per-pair putative match counts. */
  stats: { keypoints: number[]; matches: { i: number; j: number; count: number }[]; timingsMs: Record<string, number> };
};

/**
 * Estimates the poses of 2-10 unposed photos: decode (src/io/imageDecode: browser workers or
 * jpeg-js/fast-png, EXIF orientation applied), initial intrinsics from EXIF (intrinsics.ts), AKAZE
 * features (features.ts), mutual-NN + ratio matching of all pairs (matching.ts), then incremental
 * structure from motion (reconstructFromMatches: essential-matrix RANSAC, triangulation, PnP, bundle
 * adjustment). Cameras are OpenCV world-to-camera at the decoded (maxLongSide) size.
 * Photos that cannot be registered are listed in `failures` with a reason naming them; so are photos
 * with fewer than minKeypoints keypoints ("IMG_0412.jpg has no texture: 3 keypoints found (need 30)"),
 * which are left out before matching.
 * @throws Error for fewer than 2 photos ("needs at least 2 photos, got 1: IMG_0412.jpg"), an
 *   undecodable photo (the decoder's FormatError, naming it), fewer than 2 photos with texture (the
 *   textureless ones named), or whatever reconstructFromMatches throws (no pair can start the
 *   reconstruction).
 */
export async function estimatePoses(photos: PhotoInput[], opts: EstimatePosesOptions = {}): Promise<EstimatedPoses> {
  if (photos.length < 2) {
    throw new Error(`pose estimation needs at least 2 photos, got ${photos.length}${photos.length ? `: ${photos[0].name}` : ''}`);
  }
  const progress = opts.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  const time = async <T>(stage: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try { return await f(); } finally { timings[stage] = (timings[stage] ?? 0) + performance.now() - t; }
  };
  const names = photos.map((p) => p.name);
  const sourceSizes: { width: number; height: number }[] = [];
  const images = await time('decode', async () => {
    const out: RGBA8Image[] = [];
    for (const [k, p] of photos.entries()) {
      progress('decode', k / photos.length);
      let img = 'image' in p ? p.image : await decodeImage(p.name, p.bytes, undefined, opts.maxLongSide ? { fit: { maxLongSide: opts.maxLongSide } } : {});
      sourceSizes.push(img.source ?? { width: img.width, height: img.height });
      const [w, h] = fitLongSide(img.width, img.height, opts.maxLongSide);
      // The decoders shrink where they can; the rest is the loader's area-average resize.
      img = { width: w, height: h, rgba: resizeRGBA8(img.rgba, img.width, img.height, w, h) };
      out.push(img);
    }
    progress('decode', 1);
    return out;
  });
  const intrinsics = await time('intrinsics', () => Promise.all(photos.map((p, k) => intrinsicsFromExif(p.bytes, images[k].width, images[k].height))));
  progress('intrinsics', 1);
  const minKeypoints = opts.minKeypoints ?? 30;
  const features = await time('features', async () => {
    const out: DetectedFeatures[] = [];
    for (const [k, img] of images.entries()) {
      progress('features', k / images.length);
      out.push(await detectFeatures(names[k], img, opts));
    }
    progress('features', 1);
    return out;
  });
  // A textureless photo is left out and named, as an unmatchable one is; the rest go on.
  const keypointCount = features.map((f) => f.xy.length / 2);
  const textured = features.map((_, k) => k).filter((k) => keypointCount[k] >= minKeypoints);
  const textureFailures = features
    .map((_, k) => k)
    .filter((k) => keypointCount[k] < minKeypoints)
    .map((k) => ({ view: k, name: names[k], reason: `${names[k]} has no texture: ${keypointCount[k]} keypoints found (need ${minKeypoints})` }));
  if (textured.length < 2) {
    throw new Error(`${textureFailures.map((f) => f.reason).join('; ')}; pose estimation needs at least 2 photos with texture`);
  }
  const sub = textured.map((k) => features[k]);
  const subMatches = await time('matching', () => matchAllPairs(sub, opts, (d, t) => progress('matching', d / t)));
  const t0 = performance.now();
  const sfmOpts: SfmOptions = { ...opts, onProgress: (stage, f) => progress(`sfm:${stage}`, f) };
  const result = reconstructFromMatches(sub, textured.map((k) => intrinsics[k]), subMatches, sfmOpts);
  timings.sfm = performance.now() - t0;
  // Back from the textured subset's indices to the input's.
  const cameras: SfmResult['cameras'] = names.map(() => null);
  const pointOfKeypoint: Int32Array[] = features.map((f) => new Int32Array(f.xy.length / 2).fill(-1));
  textured.forEach((k, s) => { cameras[k] = result.cameras[s]; pointOfKeypoint[k] = result.pointOfKeypoint[s]; });
  const failures = [...textureFailures, ...result.failures.map((f) => ({ ...f, view: textured[f.view] }))].sort((a, b) => a.view - b.view);
  return {
    ...result,
    cameras,
    pointOfKeypoint,
    failures,
    intrinsics,
    images,
    sourceSizes,
    names,
    features,
    stats: {
      keypoints: keypointCount,
      matches: subMatches.map((m) => ({ i: textured[m.i], j: textured[m.j], count: m.idx.length / 2 })),
      timingsMs: timings,
    },
  };
}

/** What sceneFromPoses reads of estimatePoses' result (the features and keypoint maps are for registerPhoto). */
export type PosesForScene = Omit<EstimatedPoses, 'features' | 'pointOfKeypoint' | 'sourceSizes'>;

/**
 * Builds a Scene (src/core/Scene) from estimated poses: the registered photos only, in input order,
 * with their cameras, images (float RGB in [0,1], sRGB-encoded), names, the sparse points and, when
 * every camera sees >= 10 of them, per-view depth bounds (depthBoundsFromPoints, LLFF's rule);
 * protocol 'even', background black, posesEstimated.
 * @returns the scene and the photos left out (name + reason from SfmResult.failures)
 * @throws Error when fewer than 2 photos were registered (the reasons are in the message)
 */
export function sceneFromPoses(est: PosesForScene, name = 'photos'): { scene: Scene; dropped: { name: string; reason: string }[] } {
  const keep = est.cameras.map((c, k) => (c ? k : -1)).filter((k) => k >= 0);
  const dropped = est.names
    .map((n, k) => ({ k, name: n }))
    .filter(({ k }) => !est.cameras[k])
    .map(({ k, name: n }) => ({ name: n, reason: est.failures.find((f) => f.view === k)?.reason ?? `${n} could not be registered` }));
  if (keep.length < 2) {
    throw new Error(`only ${keep.length} of ${est.names.length} photos could be posed: ${dropped.map((d) => d.reason).join('; ')}`);
  }
  const cameras = keep.map((k) => est.cameras[k]!);
  const bounds = depthBoundsFromPoints(cameras, est.points.xyz);
  const scene: Scene = {
    name,
    cameras,
    images: keep.map((k) => imageFromRGBA8(est.images[k].rgba, est.images[k].width, est.images[k].height)),
    imageNames: keep.map((k) => est.names[k]),
    points: est.points,
    ...(bounds.every((b) => b !== null) ? { depthBounds: bounds as [number, number][] } : {}),
    background: [0, 0, 0],
    protocol: 'even',
    posesEstimated: true,
  };
  return { scene, dropped };
}
