import type { RGBA8Image } from '../io/imageDecode';
import { fitLongSide } from '../io/imageDecode';
import { loadOpenCv, withCvObjects, type OpenCv, type OpenCvFeature2D } from './opencv';
import type { ViewFeatures } from './types';

/** Which opencv.js detector to run (the build has no SIFT; see opencv.ts). */
export type DetectorName = 'AKAZE' | 'ORB';

/** Options of detectFeatures. */
export interface FeatureOptions {
  /** Long side (pixels) of the working image the detector runs on; smaller photos are not enlarged. Default 1280. */
  workingLongSide?: number;
  /** At most this many keypoints, the strongest by detector response. Default 4000. */
  maxKeypoints?: number;
  /** Detector; default AKAZE (Alcantarilla et al., BMVC 2013: nonlinear scale space + binary MLDB descriptor). */
  detector?: DetectorName;
  /** AKAZE detector response threshold (OpenCV's default is 0.001; lower finds more). Default 0.0001 (fern's 3 training views at 504x378: relative rotation error 0.5 deg, against 1.2 deg at 0.0003). */
  akazeThreshold?: number;
}

/**
 * One photo's features: ViewFeatures (keypoints in ORIGINAL image pixels, centre +0.5) plus
 * descriptors, row-major N x descriptorBytes. Binary descriptors (AKAZE MLDB 61 bytes, ORB 32 bytes)
 * are compared by Hamming distance.
 */
export interface DetectedFeatures extends ViewFeatures {
  /** N * descriptorBytes descriptor bytes (binary descriptors). */
  descriptors: Uint8Array;
  descriptorBytes: number;
  /** Detector response per keypoint (N). */
  response: Float32Array;
  /** Size of the image the detector ran on. */
  workingSize: [number, number];
  detector: DetectorName;
  /** Detection time, ms (greyscale + detect + descriptors). */
  ms: number;
}

/**
 * Greyscale (Rec. 601 luma of the sRGB-encoded bytes, 0-255) of an RGBA8 image shrunk to
 * `w` x `h` by area averaging (box filter over the covered source area).
 * @returns w*h bytes, row-major
 */
export function greyscaleShrink(img: RGBA8Image, w: number, h: number): Uint8Array {
  const { width: W, height: H, rgba } = img;
  const luma = new Float32Array(W * H);
  for (let i = 0; i < W * H; i++) luma[i] = 0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2];
  const out = new Uint8Array(w * h);
  if (w === W && h === H) {
    for (let i = 0; i < w * h; i++) out[i] = Math.round(luma[i]);
    return out;
  }
  const sx = W / w;
  const sy = H / h;
  for (let y = 0; y < h; y++) {
    const y0 = y * sy, y1 = y0 + sy;
    for (let x = 0; x < w; x++) {
      const x0 = x * sx, x1 = x0 + sx;
      let s = 0, ws = 0;
      for (let yy = Math.floor(y0); yy < Math.min(H, Math.ceil(y1)); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
        for (let xx = Math.floor(x0); xx < Math.min(W, Math.ceil(x1)); xx++) {
          const wgt = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx));
          s += luma[yy * W + xx] * wgt;
          ws += wgt;
        }
      }
      out[y * w + x] = Math.round(s / ws);
    }
  }
  return out;
}

function makeDetector(cv: OpenCv, o: Required<FeatureOptions>): OpenCvFeature2D {
  if (o.detector === 'ORB') return new cv.ORB(o.maxKeypoints);
  const akaze = new cv.AKAZE();
  akaze.setThreshold(o.akazeThreshold);
  return akaze;
}

/**
 * Detects keypoints and binary descriptors on a photo (opencv.js AKAZE or ORB) at a working size
 * (long side `workingLongSide`, area-averaged greyscale), keeps the `maxKeypoints` strongest, and
 * reports their positions in the ORIGINAL image's pixels (x right, y down, pixel centre at +0.5:
 * x_orig = (x_cv + 0.5) * W / w, OpenCV's pixel centres being integers) with the sRGB [0,1] colour of
 * the original pixel under each.
 * Every cv.Mat / vector is freed before returning, also on errors.
 * @param name photo name (for ViewFeatures and error messages)
 * @param img decoded photo, 8-bit RGBA, EXIF orientation applied
 */
export async function detectFeatures(name: string, img: RGBA8Image, opts: FeatureOptions = {}): Promise<DetectedFeatures> {
  const o: Required<FeatureOptions> = { workingLongSide: 1280, maxKeypoints: 4000, detector: 'AKAZE', akazeThreshold: 0.0001, ...opts };
  const cv = await loadOpenCv();
  const t0 = performance.now();
  const [w, h] = fitLongSide(img.width, img.height, o.workingLongSide);
  const grey = greyscaleShrink(img, w, h);
  return withCvObjects((track) => {
    const mat = track(new cv.Mat(h, w, cv.CV_8UC1));
    mat.data.set(grey);
    const kps = track(new cv.KeyPointVector());
    const desc = track(new cv.Mat());
    const mask = track(new cv.Mat());
    const det = track(makeDetector(cv, o));
    det.detectAndCompute(mat, mask, kps, desc, false);
    const n = kps.size();
    const bytes = desc.cols;
    const all = Array.from({ length: n }, (_, i) => { const k = kps.get(i); return { i, x: k.pt.x, y: k.pt.y, r: k.response }; });
    all.sort((a, b) => b.r - a.r);
    const kept = all.slice(0, o.maxKeypoints);
    const m = kept.length;
    const xy = new Float32Array(m * 2);
    const rgb = new Float32Array(m * 3);
    const response = new Float32Array(m);
    const descriptors = new Uint8Array(m * bytes);
    const sx = img.width / w;
    const sy = img.height / h;
    const src = desc.data;
    kept.forEach((k, j) => {
      const X = (k.x + 0.5) * sx;
      const Y = (k.y + 0.5) * sy;
      xy[j * 2] = X;
      xy[j * 2 + 1] = Y;
      const px = Math.min(img.width - 1, Math.max(0, Math.floor(X)));
      const py = Math.min(img.height - 1, Math.max(0, Math.floor(Y)));
      const p = (py * img.width + px) * 4;
      for (let c = 0; c < 3; c++) rgb[j * 3 + c] = img.rgba[p + c] / 255;
      response[j] = k.r;
      descriptors.set(src.subarray(k.i * bytes, (k.i + 1) * bytes), j * bytes);
    });
    return { name, width: img.width, height: img.height, xy, rgb, descriptors, descriptorBytes: bytes, response, workingSize: [w, h] as [number, number], detector: o.detector, ms: performance.now() - t0 };
  });
}
