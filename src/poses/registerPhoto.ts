/**
 * Registers one extra photo to an existing reconstruction (estimatePoses' result), without changing
 * it: features (features.ts), matches against every registered photo (matching.ts), the matched
 * keypoints that observe a triangulated point (SfmResult.pointOfKeypoint) as 2D-3D correspondences,
 * then PnP RANSAC as the SfM registers its own photos (placeByPnp, reconstructFromMatches.ts).
 * This is how pose-free methods place their test views before scoring (bench:poses --psnr).
 */
import { Camera } from '../core/Camera';
import type { RGBA8Image } from '../io/imageDecode';
import type { EstimatedPoses } from './estimatePoses';
import { detectFeatures, type DetectedFeatures, type FeatureOptions } from './features';
import { matchFeatures, type MatchOptions } from './matching';
import { placeByPnp } from './reconstructFromMatches';
import type { SfmResult, ViewFeatures } from './types';

/** The part of a reconstruction a photo is registered against (SfmResult / EstimatedPoses). */
export type Reconstruction = Pick<SfmResult, 'cameras' | 'points' | 'pointOfKeypoint'>;

/** Matches of the new photo with reconstruction view `view`: idx M*2 = (feature in the new photo, feature in that view). */
export interface ViewMatches {
  view: number;
  idx: Uint32Array;
}

/** Options of registerFromMatches and registerPhoto. */
export interface RegisterPhotoOptions {
  /** Focal in pixels. Default: the registered cameras' median fx, times the photo's width over theirs (same camera). */
  focalPx?: number;
  /** Most PnP RANSAC hypotheses (default 500, as the SfM). */
  ransacIters?: number;
  /** RANSAC seed (default 1). */
  seed?: number;
}

/** A registered photo: its camera and what PnP saw. */
export interface RegisteredPhoto {
  /** OpenCV world-to-camera in the reconstruction's frame, at the photo's size, fx = fy = the focal used. */
  camera: Camera;
  /** 2D-3D correspondences given to PnP (one per matched keypoint of the new photo). */
  correspondences: number;
  /** Of those, how many reproject within the SfM's 4-pixel threshold. */
  inliers: number;
  /** RMS reprojection error of the inliers, pixels. */
  rmsPx: number;
}

/**
 * Places a photo from its feature matches with the reconstruction's registered views. A keypoint of
 * the photo matched to keypoints of several views that observe different points takes the point most
 * of them observe (ties: the first view's).
 * @param rec cameras (null = unregistered), points (xyz N*3) and per view per keypoint its point index
 * @param photo the new photo's keypoints (xy pixels, centre +0.5), size and name
 * @param matches per registered view the matches (new photo feature, view feature)
 * @returns the camera and the correspondence / inlier counts
 * @throws Error when the reconstruction has no registered camera, or naming the photo when it shares
 *   fewer than 12 matches with the reconstructed points or no pose fits 12 of them (placeByPnp's reasons)
 */
export function registerFromMatches(rec: Reconstruction, photo: ViewFeatures, matches: ViewMatches[], opts: RegisterPhotoOptions = {}): RegisteredPhoto {
  const registered = rec.cameras.filter((c): c is Camera => c !== null);
  if (!registered.length) throw new Error(`cannot register ${photo.name}: the reconstruction has no registered photo`);
  const sx = photo.width / registered[0].width;
  const sy = photo.height / registered[0].height;
  const fxs = registered.map((c) => c.fx).sort((a, b) => a - b);
  const focal = opts.focalPx ?? fxs[fxs.length >> 1] * sx;
  const cx = registered[0].cx * sx;
  const cy = registered[0].cy * sy;
  // per keypoint of the photo, votes for the points its matches observe
  const votes = new Map<number, Map<number, number>>();
  for (const m of matches) {
    const pointOf = rec.pointOfKeypoint[m.view];
    if (!rec.cameras[m.view] || !pointOf) continue;
    for (let q = 0; q < m.idx.length; q += 2) {
      const p = pointOf[m.idx[q + 1]];
      if (p < 0) continue;
      let mine = votes.get(m.idx[q]);
      if (!mine) votes.set(m.idx[q], (mine = new Map()));
      mine.set(p, (mine.get(p) ?? 0) + 1);
    }
  }
  const pts = new Float64Array(votes.size * 3);
  const xy = new Float64Array(votes.size * 2);
  let k = 0;
  for (const [feature, mine] of votes) {
    let best = -1;
    let bestCount = 0;
    for (const [p, c] of mine) if (c > bestCount) [best, bestCount] = [p, c];
    pts.set(rec.points.xyz.subarray(3 * best, 3 * best + 3), 3 * k);
    xy[2 * k] = photo.xy[2 * feature];
    xy[2 * k + 1] = photo.xy[2 * feature + 1];
    k++;
  }
  const pnp = placeByPnp(photo.name, pts, xy, focal, cx, cy, { maxIterations: opts.ransacIters ?? 500, seed: opts.seed ?? 1 });
  if ('reason' in pnp) throw new Error(pnp.reason);
  return {
    camera: new Camera(pnp.R, pnp.t, focal, focal, cx, cy, photo.width, photo.height, photo.name),
    correspondences: votes.size,
    inliers: pnp.inlierCount,
    rmsPx: pnp.rmsPx,
  };
}

/**
 * Registers a photo to estimatePoses' reconstruction: detectFeatures on it, matchFeatures (mutual
 * nearest neighbours + ratio test) with each registered photo's features, then registerFromMatches.
 * The reconstruction is not changed. Pass the feature and match options estimatePoses ran with.
 * @param est estimatePoses' result (its features, cameras, points, pointOfKeypoint)
 * @param photo the photo's name and decoded pixels (8-bit RGBA; the camera refers to this size)
 * @returns the camera in the reconstruction's frame, the correspondence / inlier counts and the photo's features
 * @throws Error naming the photo when it shares too few matches with the reconstructed points or no
 *   pose fits them ("IMG_0412.jpg shares too few matches with the reconstructed points (5, need 12)"),
 *   or matchFeatures' error when its descriptors differ from the reconstruction's (another detector)
 */
export async function registerPhoto(
  est: Pick<EstimatedPoses, 'cameras' | 'points' | 'pointOfKeypoint' | 'features'>,
  photo: { name: string; image: RGBA8Image },
  opts: RegisterPhotoOptions & FeatureOptions & MatchOptions = {},
): Promise<RegisteredPhoto & { features: DetectedFeatures }> {
  const features = await detectFeatures(photo.name, photo.image, opts);
  const matches: ViewMatches[] = [];
  for (const [v, cam] of est.cameras.entries()) {
    if (!cam) continue;
    const m = await matchFeatures(features, est.features[v], 0, v, opts);
    matches.push({ view: v, idx: m.idx });
  }
  return { ...registerFromMatches(est, features, matches, opts), features };
}
