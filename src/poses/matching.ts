import { loadOpenCv, withCvObjects, type OpenCv } from './opencv';
import type { DetectedFeatures } from './features';
import type { PairMatches } from './types';

/** Options of matchFeatures / matchAllPairs. */
export interface MatchOptions {
  /** Lowe's ratio test: keep a match when best < ratio * second best distance (Lowe, IJCV 2004). Default 0.8. */
  ratio?: number;
  /** Keep only mutual nearest neighbours (best of i in j is best of j in i). Default true. */
  mutual?: boolean;
}

/** For each query row, its best train index (-1 when it fails the ratio test) via BFMatcher.knnMatch (Hamming, k = 2). */
function bestMatches(cv: OpenCv, query: DetectedFeatures, train: DetectedFeatures, ratio: number): Int32Array {
  return withCvObjects((track) => {
    const toMat = (f: DetectedFeatures) => {
      const m = track(new cv.Mat(f.descriptors.length / f.descriptorBytes, f.descriptorBytes, cv.CV_8UC1));
      m.data.set(f.descriptors);
      return m;
    };
    const q = toMat(query);
    const t = toMat(train);
    const matcher = track(new cv.BFMatcher(cv.NORM_HAMMING, false));
    const knn = track(new cv.DMatchVectorVector());
    matcher.knnMatch(q, t, knn, 2);
    const best = new Int32Array(q.rows).fill(-1);
    for (let r = 0; r < knn.size(); r++) {
      const v = knn.get(r);
      try {
        if (v.size() === 0) continue;
        const a = v.get(0);
        if (v.size() === 1 || a.distance < ratio * v.get(1).distance) best[a.queryIdx] = a.trainIdx;
      } finally {
        v.delete();
      }
    }
    return best;
  });
}

/**
 * Putative matches between two photos' binary descriptors: brute-force Hamming k=2 nearest neighbours
 * (opencv.js BFMatcher.knnMatch) both ways, Lowe's ratio test both ways, then mutual nearest
 * neighbours. No geometric verification (reconstructFromMatches does that).
 * @returns PairMatches with idx M*2 = (feature index in a, feature index in b)
 * @throws Error when the two descriptor sizes differ
 */
export async function matchFeatures(a: DetectedFeatures, b: DetectedFeatures, i: number, j: number, opts: MatchOptions = {}): Promise<PairMatches> {
  if (a.descriptorBytes !== b.descriptorBytes) throw new Error(`matchFeatures: ${a.name} and ${b.name} have different descriptor sizes (${a.descriptorBytes} vs ${b.descriptorBytes} bytes)`);
  const ratio = opts.ratio ?? 0.8;
  const mutual = opts.mutual ?? true;
  const na = a.descriptors.length / a.descriptorBytes;
  const nb = b.descriptors.length / b.descriptorBytes;
  if (na < 2 || nb < 2) return { i, j, idx: new Uint32Array(0) };
  const cv = await loadOpenCv();
  const ab = bestMatches(cv, a, b, ratio);
  const ba = mutual ? bestMatches(cv, b, a, ratio) : undefined;
  const out: number[] = [];
  for (let q = 0; q < ab.length; q++) {
    const t = ab[q];
    if (t < 0) continue;
    if (ba && ba[t] !== q) continue;
    out.push(q, t);
  }
  return { i, j, idx: Uint32Array.from(out) };
}

/**
 * Matches every pair i < j of photos (matchFeatures), in order (0,1), (0,2), ..., (n-2,n-1).
 * @param onPair called after each pair with (done, total)
 */
export async function matchAllPairs(features: DetectedFeatures[], opts: MatchOptions = {}, onPair?: (done: number, total: number) => void): Promise<PairMatches[]> {
  const out: PairMatches[] = [];
  const total = (features.length * (features.length - 1)) / 2;
  for (let i = 0; i < features.length; i++) {
    for (let j = i + 1; j < features.length; j++) {
      out.push(await matchFeatures(features[i], features[j], i, j, opts));
      onPair?.(out.length, total);
    }
  }
  return out;
}
