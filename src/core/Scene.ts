import type { Camera } from './Camera';
import type { ImageRGB } from './Image';

/** A sparse point cloud (e.g. COLMAP points3D): xyz in world units, rgb in [0,1] (sRGB-encoded). */
export interface PointCloud {
  /** N*3 positions. */
  xyz: Float32Array;
  /** N*3 colours. */
  rgb: Float32Array;
}

/**
 * A posed image set: cameras[i] took images[i]. Cameras follow the OpenCV convention (see Camera).
 * Produced by every loader in src/io and by the bundled sample scene.
 */
export interface Scene {
  name: string;
  cameras: Camera[];
  images: ImageRGB[];
  /** Per-image file names (for reports and error messages). */
  imageNames: string[];
  /** Sparse points for initialization, when the format has them. */
  points?: PointCloud;
  /** Per-view near/far depth bounds in world units, when known (LLFF has them). */
  depthBounds?: [number, number][];
  /** True when the cameras were estimated from the photos (src/poses), not given: training may refine them (Recipe.poseRefine). */
  posesEstimated?: boolean;
  /** Per-view ground-truth depth (camera z, world units; 0 = unknown), H*W each, when known. */
  depths?: Float32Array[];
  /**
   * Per-image coverage alpha in [0,1] (H*W each), present when some image had transparency; the
   * images are already composited over `background` (used for random-background training).
   */
  alphas?: Float32Array[];
  /** Background colour the images were composited on, RGB in [0,1]. */
  background: [number, number, number];
  /** Per-image split named by the source files (Blender transforms_train/_val/_test.json), when known. */
  imageSplits?: ('train' | 'val' | 'test')[];
  /** Which sparse-view protocol applies: 'llff', 'blender' or 'even' (user scenes). */
  protocol: 'llff' | 'blender' | 'even';
}
