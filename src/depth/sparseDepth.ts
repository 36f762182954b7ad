import type { Scene } from '../core/Scene';
import { project } from './depthRange';

/**
 * Sparse metric depth of one view from the scene's 3D points (e.g. COLMAP points3D): each point
 * that projects inside the image in front of the camera writes its camera z to the pixel it falls in;
 * the nearest point wins. Use it as the `metric` of alignScaleShift when no MVS depth exists.
 * @param view index into scene.cameras
 * @returns H*W camera-z depth (world units), 0 where no point projects
 * @throws Error when the view is not in the scene or the scene has no points
 */
export function sparseDepthFromPoints(scene: Scene, view: number): Float32Array {
  const cam = scene.cameras[view];
  if (!cam) throw new Error(`sparseDepthFromPoints: view ${view} is not in scene "${scene.name}"`);
  const pts = scene.points?.xyz;
  if (!pts || pts.length === 0) throw new Error(`sparseDepthFromPoints: scene "${scene.name}" has no 3D points`);
  const { width: W, height: H } = cam;
  const out = new Float32Array(W * H);
  for (let i = 0; i + 2 < pts.length; i += 3) {
    const [u, v, z] = project(cam, pts.subarray(i, i + 3));
    if (!(z > 0) || !(u >= 0 && v >= 0 && u < W && v < H)) continue;
    const p = Math.floor(v) * W + Math.floor(u);
    if (out[p] === 0 || z < out[p]) out[p] = z;
  }
  return out;
}
