import type { Camera } from '../core/Camera';
import type { ImageRGB } from '../core/Image';

/** Depth samples per ray for the unseen share (uniform in disparity between near and far). */
const UNSEEN_SAMPLES = 16;

/**
 * A background for what no training view saw, built from the training photos, for photos without
 * transparency (LLFF, phone photos): a novel view's pixel that no Gaussian covers (transmittance T)
 * shows T * s * colour instead of the black nothing was composited over, where
 * - s is the square of the share of depths along its ray, uniform in disparity between `near` and `far`, at
 *   which the ray point projects outside every training image: 0 where a training view saw the ray (there an
 *   uncovered pixel is dark on purpose: the Gaussians learned the photos' shadows as black), up to 1
 *   in the part of the frustum no view saw (on llff-flower the right fifth of test views 8 and 24,
 *   8.5 units beside every training camera);
 * - colour is the ray's point at the middle disparity, 2 / (1/near + 1/far), projected into each training
 *   view and read with clamp-to-edge (so the photos' borders extend outward), blended with weights that
 *   fall with the distance outside each image beyond the nearest view's (e-fold over a tenth of its long side), from the photos
 *   blurred by `blur`.
 * Training renders keep the scene background (the photos would otherwise explain themselves without
 * Gaussians); this completes novel views only. Full protocol, one trained model scored both ways: flower
 * 20.64 -> 21.22 dB, fern 21.83 -> 21.82 (the share itself, not squared: 21.05 and 21.73; README).
 * Units: pixels, world units for depths; colours as the photos (sRGB-encoded, [0,1]).
 */
export class EnvironmentBackground {
  private constructor(
    private readonly cameras: Camera[],
    private readonly blurred: ImageRGB[],
    private readonly near: number,
    private readonly far: number,
    /** Mean colour of the photos: for rays whose middle point is behind every training view. */
    private readonly meanColour: [number, number, number],
  ) {}

  /**
   * @param cameras the training cameras, one per photo
   * @param images the training photos, each the size of its camera, [H][W][3] (W*H*3 finite values)
   * @param depthRange [near, far] camera depths of the scene, world units, 0 < near < far
   * @param blur box-blur radius as a fraction of each photo's long side (three passes, about a
   *   Gaussian of that sigma), in [0, 1); 0 = none
   * @throws Error when the lists differ in length or are empty, a photo is not its camera's size, or
   *   the depth range or blur is out of range
   */
  static fromViews(cameras: Camera[], images: ImageRGB[], depthRange: [number, number], blur = 1 / 64): EnvironmentBackground {
    if (cameras.length === 0 || cameras.length !== images.length) {
      throw new Error(`EnvironmentBackground: need one photo per camera (got ${cameras.length} cameras, ${images.length} photos)`);
    }
    const [near, far] = depthRange;
    if (!(near > 0 && far > near && Number.isFinite(far) && Number.isFinite(1 / near))) throw new Error(`EnvironmentBackground: depthRange must be 0 < near < far, got [${near}, ${far}]`);
    if (!(blur >= 0 && blur < 1)) throw new Error(`EnvironmentBackground: blur must be in [0, 1), got ${blur}`);
    const mean = [0, 0, 0];
    let count = 0;
    const blurred = images.map((img, i) => {
      const c = cameras[i];
      if (img.width !== c.width || img.height !== c.height) {
        throw new Error(`EnvironmentBackground: photo ${i} is ${img.width}x${img.height}, its camera ${c.width}x${c.height}`);
      }
      if (img.data.length !== img.width * img.height * 3) {
        throw new Error(`EnvironmentBackground: photo ${i} has ${img.data.length} values, ${img.width}x${img.height}x3 expected`);
      }
      for (let p = 0; p < img.data.length; p++) mean[p % 3] += img.data[p];
      count += img.width * img.height;
      return boxBlur3(img, Math.round(blur * Math.max(img.width, img.height)));
    });
    if (!mean.every(Number.isFinite)) throw new Error('EnvironmentBackground: the photos have non-finite values');
    return new EnvironmentBackground(cameras, blurred, near, far, [mean[0] / count, mean[1] / count, mean[2] / count]);
  }

  /**
   * The background of every pixel of `camera` (pixel centres at integer + 0.5): `share` s, [H][W], and
   * `colour` s * colour, [H][W][3] (0 where every sampled depth was seen; the photos' mean colour where
   * the ray's middle point is behind every training view).
   * @param camera any camera (its own size)
   */
  sample(camera: Camera): { share: Float32Array; colour: Float32Array } {
    const { width: W, height: H, fx, fy, cx, cy, R } = camera;
    const share = new Float32Array(W * H);
    const colour = new Float32Array(W * H * 3);
    const C = camera.center;
    const invNear = 1 / this.near;
    const invFar = 1 / this.far;
    const zMid = 2 / (invNear + invFar);
    // sample depths, uniform in disparity, the same for every ray
    const depths = Array.from({ length: UNSEEN_SAMPLES }, (_, s) => 1 / (invNear + ((s + 0.5) / UNSEEN_SAMPLES) * (invFar - invNear)));
    const z0 = depths[0];
    const z1 = depths[UNSEEN_SAMPLES - 1];
    const c: [number, number, number] = [0, 0, 0];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        // world ray direction R^T K^-1 [u v 1] (camera z = 1 per unit)
        const a = (x + 0.5 - cx) / fx;
        const b = (y + 0.5 - cy) / fy;
        const dx = R[0] * a + R[3] * b + R[6];
        const dy = R[1] * a + R[4] * b + R[7];
        const dz = R[2] * a + R[5] * b + R[8];
        // a frustum is convex: a view holding the ray's nearest and farthest samples holds all between
        if (this.cameras.some((cam) => insideImage(cam, C[0] + z0 * dx, C[1] + z0 * dy, C[2] + z0 * dz) && insideImage(cam, C[0] + z1 * dx, C[1] + z1 * dy, C[2] + z1 * dz))) continue;
        let outside = 0;
        for (const z of depths) {
          if (!this.cameras.some((cam) => insideImage(cam, C[0] + z * dx, C[1] + z * dy, C[2] + z * dz))) outside++;
        }
        if (outside === 0) continue;
        if (!this.colourAt(C[0] + zMid * dx, C[1] + zMid * dy, C[2] + zMid * dz, c)) [c[0], c[1], c[2]] = this.meanColour;
        const p = y * W + x;
        // squared: rays seen at most depths keep nearly all of the background (paired on flower 21.05 -> 21.22 dB, README)
        share[p] = (outside / UNSEEN_SAMPLES) ** 2;
        for (let k = 0; k < 3; k++) colour[p * 3 + k] = share[p] * c[k];
      }
    }
    return { share, colour };
  }

  /**
   * Adds the background to a render, in place: rgb += T * (s colour - s background), T = 1 - alpha
   * (the rasterizer composites rgb = C + T * background; where s < 1 the rest keeps the background).
   * @param rgb the render, [H][W][3], composited over `background`
   * @param alpha its coverage 1 - T, [H][W]
   * @param camera the camera it was rendered from
   * @param background the constant RGB it was composited over, [0,1]
   * @throws Error when the buffers are not the camera's size
   */
  composite(rgb: Float32Array, alpha: Float32Array, camera: Camera, background: readonly [number, number, number]): void {
    const np = camera.width * camera.height;
    if (rgb.length !== np * 3 || alpha.length !== np) {
      throw new Error(`EnvironmentBackground.composite: render of ${rgb.length / 3} pixels and alpha of ${alpha.length}, camera ${camera.width}x${camera.height}`);
    }
    const { share, colour } = this.sample(camera);
    for (let p = 0; p < np; p++) {
      const T = Math.min(1, Math.max(0, 1 - alpha[p]));
      if (T <= 0 || share[p] === 0) continue;
      for (let k = 0; k < 3; k++) rgb[p * 3 + k] += T * (colour[p * 3 + k] - share[p] * background[k]);
    }
  }

  /**
   * Blended clamp-to-edge colour of world point (px, py, pz) over the training views in front of it,
   * weights exp(-(d_i - min d) / fade_i) for its distance d_i outside each image (so the nearest view
   * always counts fully); false when it is behind all of them.
   */
  private colourAt(px: number, py: number, pz: number, out: [number, number, number]): boolean {
    const uvs = this.cameras.map((c) => project(c, px, py, pz));
    const dist = uvs.map((uv, i) => (uv ? Math.max(0, -uv[0], uv[0] - this.cameras[i].width) + Math.max(0, -uv[1], uv[1] - this.cameras[i].height) : Infinity));
    const dMin = Math.min(...dist);
    if (dMin === Infinity) return false;
    out[0] = out[1] = out[2] = 0;
    let wsum = 0;
    const p: [number, number, number] = [0, 0, 0];
    for (let i = 0; i < this.cameras.length; i++) {
      const uv = uvs[i];
      if (!uv) continue;
      const c = this.cameras[i];
      const w = Math.exp(-(dist[i] - dMin) / (0.1 * Math.max(c.width, c.height)));
      if (w < 1e-6) continue;
      bilinearClamped(this.blurred[i], uv[0] - 0.5, uv[1] - 0.5, p);
      for (let k = 0; k < 3; k++) out[k] += w * p[k];
      wsum += w;
    }
    for (let k = 0; k < 3; k++) out[k] /= wsum;
    return true;
  }
}

/** Pixel (u, v) of world point (x, y, z) in camera c, or null behind it. */
function project(c: Camera, x: number, y: number, z: number): [number, number] | null {
  const R = c.R;
  const t = c.t;
  const zc = R[6] * x + R[7] * y + R[8] * z + t[2];
  if (zc <= 1e-9) return null;
  return [(c.fx * (R[0] * x + R[1] * y + R[2] * z + t[0])) / zc + c.cx, (c.fy * (R[3] * x + R[4] * y + R[5] * z + t[1])) / zc + c.cy];
}

function insideImage(c: Camera, x: number, y: number, z: number): boolean {
  const uv = project(c, x, y, z);
  return uv !== null && uv[0] >= 0 && uv[0] <= c.width && uv[1] >= 0 && uv[1] <= c.height;
}

/** Bilinear sample at continuous pixel coordinates (x, y) (pixel centres at integers), clamped to the border, into out. */
function bilinearClamped(img: ImageRGB, x: number, y: number, out: [number, number, number]): void {
  const W = img.width;
  const H = img.height;
  const xc = Math.min(W - 1, Math.max(0, x));
  const yc = Math.min(H - 1, Math.max(0, y));
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(W - 1, x0 + 1);
  const y1 = Math.min(H - 1, y0 + 1);
  const fx = xc - x0;
  const fy = yc - y0;
  const d = img.data;
  for (let k = 0; k < 3; k++) {
    const top = d[(y0 * W + x0) * 3 + k] * (1 - fx) + d[(y0 * W + x1) * 3 + k] * fx;
    const bottom = d[(y1 * W + x0) * 3 + k] * (1 - fx) + d[(y1 * W + x1) * 3 + k] * fx;
    out[k] = top * (1 - fy) + bottom * fy;
  }
}

/** Three passes of a separable box blur of radius r (clamp-to-edge), about a Gaussian of sigma r. */
function boxBlur3(img: ImageRGB, r: number): ImageRGB {
  const { width: W, height: H } = img;
  const cur = Float32Array.from(img.data);
  if (r < 1) return { width: W, height: H, data: cur };
  const tmp = new Float32Array(cur.length);
  // one line-wise pass: n samples per line, `lines` lines, element and line strides in floats
  const pass = (src: Float32Array, dst: Float32Array, n: number, lines: number, stride: number, lineStride: number): void => {
    const acc = [0, 0, 0];
    for (let l = 0; l < lines; l++) {
      const base = l * lineStride;
      const at = (i: number, k: number): number => src[base + Math.min(n - 1, Math.max(0, i)) * stride + k];
      for (let k = 0; k < 3; k++) {
        acc[k] = 0;
        for (let i = -r; i <= r; i++) acc[k] += at(i, k);
      }
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < 3; k++) {
          dst[base + i * stride + k] = acc[k] / (2 * r + 1);
          acc[k] += at(i + r + 1, k) - at(i - r, k);
        }
      }
    }
  };
  for (let it = 0; it < 3; it++) {
    pass(cur, tmp, W, H, 3, W * 3);
    pass(tmp, cur, H, W, W * 3, 3);
  }
  return { width: W, height: H, data: cur };
}
