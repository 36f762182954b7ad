import { clampImage, type ImageRGB } from '../core/Image';
import type { Scene } from '../core/Scene';
import { psnr, ssim } from './metrics';

/** Per-view quality of a held-out view. */
export interface ViewScore {
  view: number;
  name: string;
  psnr: number;
  ssim: number;
  /** LPIPS distance, when an LPIPS model was given. */
  lpips?: number;
}

/** Anything that scores two images with LPIPS (src/eval/lpips.ts Lpips). */
export interface LpipsScorer {
  distance(a: ImageRGB, b: ImageRGB): Promise<number>;
}

/** Anything that renders a scene camera to an RGB image (a Trainer, say). */
export interface ViewRenderer {
  render(camera: Scene['cameras'][number]): Promise<{ image: ImageRGB }>;
}

/**
 * Renders each held-out view and scores it against its photo with PSNR (dB) and SSIM
 * (11-tap Gaussian window, sigma 1.5), both on sRGB-encoded values in [0,1], and LPIPS when a
 * scorer is given.
 * Returns the scores, their means and the renders (same order as `views`).
 */
export async function evaluateViews(
  renderer: ViewRenderer,
  scene: Scene,
  views: number[],
  lpips?: LpipsScorer,
): Promise<{ scores: ViewScore[]; meanPsnr: number; meanSsim: number; meanLpips?: number; renders: ImageRGB[] }> {
  const scores: ViewScore[] = [];
  const renders: ImageRGB[] = [];
  for (const v of views) {
    const image = clampImage((await renderer.render(scene.cameras[v])).image);
    renders.push(image);
    const score: ViewScore = { view: v, name: scene.imageNames[v] ?? `view ${v}`, psnr: psnr(image, scene.images[v]), ssim: ssim(image, scene.images[v]) };
    if (lpips) score.lpips = await lpips.distance(image, scene.images[v]);
    scores.push(score);
  }
  const mean = (f: (s: ViewScore) => number) => (scores.length ? scores.reduce((a, s) => a + f(s), 0) / scores.length : NaN);
  const out = { scores, meanPsnr: mean((s) => s.psnr), meanSsim: mean((s) => s.ssim), renders };
  return lpips ? { ...out, meanLpips: mean((s) => s.lpips!) } : out;
}

/** Places images side by side (same height) into one RGB image, e.g. render | ground truth. */
export function sideBySide(...images: ImageRGB[]): ImageRGB {
  const height = Math.max(...images.map((i) => i.height));
  const width = images.reduce((s, i) => s + i.width, 0);
  const data = new Float32Array(width * height * 3);
  let x0 = 0;
  for (const img of images) {
    for (let y = 0; y < img.height; y++) {
      data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), (y * width + x0) * 3);
    }
    x0 += img.width;
  }
  return { width, height, data };
}
