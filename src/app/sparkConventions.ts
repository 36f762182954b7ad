/**
 * Settings that make Spark (WebGL2, @sparkjsdev/spark) draw a splat file as our rasterizer does, so
 * the studio's Spark fallback shows the same picture as the WebGPU viewer. Checked by
 * test/e2e/sparkCompare.e2e.test.ts (PSNR >= 30 dB on every shared splat file; 43-49 dB measured).
 */
import * as THREE from 'three';

/**
 * SparkRenderer options matching our rasterizer with `antialiased: false` (the viewer's and the
 * trainer's mode, 3DGS's convention):
 * - `preBlurAmount: 0.3, blurAmount: 0`: 0.3 px^2 added to the 2D covariance without opacity
 *   compensation. Spark's default (blurAmount 0.3) compensates opacity as Mip-Splatting does, i.e.
 *   our `antialiased: true`; against our default it costs ~27 dB on airplane.splat (48.8 -> 21.5).
 * - `maxStdDev: sqrt(2 ln 255)` (3.33 sigma) and `minAlpha: 1/255`: our cut-off, alpha >= 1/255
 *   (Spark's defaults: sqrt(8) sigma and 0.5/255).
 * - `sortRadial: false`: back to front by camera z, as ours (Spark's default sorts by distance).
 * - `clipXY: 3`: keep splats whose centre is up to 3x the half-frustum off-screen (ours keeps any
 *   splat whose footprint touches the image; Spark's default culls centres beyond 1.4x).
 */
export const SPARK_MATCH_OPTIONS = {
  preBlurAmount: 0.3,
  blurAmount: 0,
  maxStdDev: Math.sqrt(2 * Math.log(255)),
  minAlpha: 1 / 255,
  sortRadial: false,
  clipXY: 3,
} as const;

/** diag(1, -1, -1, 1), column-major: SPZ's RUB axes to our RDF world (its own inverse). */
export const SPZ_RUB_TO_RDF = [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1] as const;

/**
 * Object matrix (column-major 4x4) to give a Spark SplatMesh of file `name` so it lands in our world
 * (the INRIA PLY axes, RDF: x right, y down, z forward), or null when Spark's reading already does.
 * Spark keeps each format's stored axes: for .spz that is the spec's RUB (x right, y up, z back),
 * which our SPZ reader turns into RDF (src/io/spz.ts), so an .spz needs y and z flipped; PLY,
 * compressed PLY and .splat store RDF and need nothing.
 */
export function sparkObjectMatrix(name: string): THREE.Matrix4 | null {
  return /\.spz$/i.test(name) ? new THREE.Matrix4().fromArray(SPZ_RUB_TO_RDF as unknown as number[]) : null;
}
