/**
 * Shared types of the pose-estimation (structure-from-motion) stage, src/poses.
 * Conventions: pixel coordinates have the pixel centre at +0.5, x right, y down; cameras are OpenCV
 * world-to-camera (x_cam = R X + t, z forward), as src/core/Camera.
 */

/** One photo's keypoints: xy is N*2 pixel coordinates (pixel centre at +0.5, x right, y down), rgb N*3 sRGB [0,1] colours at the keypoints (optional). */
export interface ViewFeatures { name: string; width: number; height: number; xy: Float32Array; rgb?: Float32Array }

/** Putative matches between views i < j: idx is M*2 (feature index in view i, feature index in view j), after mutual nearest neighbour + ratio test, before geometric verification. */
export interface PairMatches { i: number; j: number; idx: Uint32Array }

/** Initial intrinsics of a view: focal in pixels, principal point in pixels, and where the focal came from. */
export interface IntrinsicsGuess { focalPx: number; cx: number; cy: number; source: 'exif-35mm' | 'exif-sensor' | 'default-55deg' | 'given' }

/** Options of reconstructFromMatches. */
export interface SfmOptions {
  /** One focal for all photos (default true). */
  sharedFocal?: boolean;
  /** Refine the focal in bundle adjustment (default true). */
  refineFocal?: boolean;
  /**
   * Focal prior of bundle adjustment by intrinsics source (IntrinsicsGuess.source), as a relative
   * standard deviation of log f (bundleAdjust's focalPrior, in units of a 1-pixel residual):
   * `known` for 'exif-35mm' / 'exif-sensor' / 'given', `fallback` for 'default-55deg'. A shared focal
   * takes the largest sigma among its photos. Infinity leaves the focal free; 0 holds it fixed.
   * Default FOCAL_PRIOR_SIGMA (reconstructFromMatches.ts).
   */
  focalPriorSigma?: { known?: number; fallback?: number };
  ransacIters?: number;
  /** Sampson threshold of essential-matrix RANSAC, pixels (default 1.5). */
  ransacThresholdPx?: number;
  seed?: number;
  onProgress?: (stage: string, fraction: number) => void;
}

/** Output of reconstructFromMatches. */
export interface SfmResult {
  /** Per view: the estimated camera (src/core/Camera, OpenCV world-to-camera R,t, fx=fy=focal), or null when the view could not be registered. */
  cameras: (import('../core/Camera').Camera | null)[];
  /** Triangulated points (src/core/Scene PointCloud: xyz N*3 world, rgb N*3). */
  points: import('../core/Scene').PointCloud;
  /**
   * Per view (index-aligned with cameras), per keypoint of its ViewFeatures: the index into `points`
   * of the 3D point it observes, or -1 (no point, or the view is unregistered). Only observations
   * within 3x the 4-pixel observation threshold of their point's reprojection count (those bundle
   * adjustment used). What registerPhoto (registerPhoto.ts) turns matches into 2D-3D pairs with.
   */
  pointOfKeypoint: Int32Array[];
  /** Per unregistered view, a plain reason naming the photo, e.g. "IMG_0412.jpg shares too few matches with the other photos (12 inlier matches, need 30)". */
  failures: { view: number; name: string; reason: string }[];
  /** Final reprojection RMS error in pixels, inlier counts, per-stage times (ms). */
  report: { rmsPx: number; inlierMatches: number; points: number; timingsMs: Record<string, number>; focalPx: number[] };
}
