import type { Scene } from '../core/Scene';
import type { MvsResult } from './planeSweepMvs';

/** Per-view quality numbers of an MVS result (what the depth CLI and benchmark print). */
export interface DepthViewReport {
  view: number;
  name: string;
  /** Fraction of pixels with confidence > 0. */
  coverage: number;
  /** Fraction of pixels with any depth estimate (before the consistency check). */
  estimated: number;
  /** Mean forward-backward reprojection error (pixels, per-view errors clamped at 100) over pixels with an estimate seen by another view. */
  meanReprojErrorPx: number;
  /** Median of the same. */
  medianReprojErrorPx: number;
  /** Fraction of those pixels whose round trip is within 1 pixel. */
  reprojWithin1px: number;
  /** Against ground truth (scene.depths), when the scene has it: median |d - gt| / gt on confident pixels. */
  medianRelErrConfident?: number;
  /** Fraction of confident pixels within 2% of the ground truth. */
  within2pctConfident?: number;
}

/**
 * Summarizes an MVS result per view: coverage, reprojection consistency and, when scene.depths
 * holds ground truth (non-zero), the relative depth error on confident pixels.
 * @param viewIds the views given to planeSweepMvs, in the same order as the result
 */
export function reportDepth(scene: Scene, viewIds: number[], res: MvsResult): DepthViewReport[] {
  return viewIds.map((id, k) => {
    const d = res.depth[k];
    const c = res.confidence[k];
    const e = res.reprojError[k];
    const n = d.length;
    let conf = 0;
    let est = 0;
    const errs: number[] = [];
    for (let p = 0; p < n; p++) {
      if (c[p] > 0) conf++;
      if (d[p] > 0) {
        est++;
        if (e[p] >= 0) errs.push(e[p]);
      }
    }
    errs.sort((a, b) => a - b);
    const r: DepthViewReport = {
      view: id,
      name: scene.imageNames[id] ?? scene.cameras[id].name,
      coverage: conf / n,
      estimated: est / n,
      meanReprojErrorPx: errs.length ? errs.reduce((a, b) => a + b, 0) / errs.length : NaN,
      medianReprojErrorPx: errs.length ? errs[errs.length >> 1] : NaN,
      reprojWithin1px: errs.length ? errs.filter((x) => x < 1).length / errs.length : 0,
    };
    const gt = scene.depths?.[id];
    if (gt && gt.length === n && gt.some((v) => v > 0)) {
      const rel: number[] = [];
      for (let p = 0; p < n; p++) if (c[p] > 0 && gt[p] > 0) rel.push(Math.abs(d[p] - gt[p]) / gt[p]);
      rel.sort((a, b) => a - b);
      r.medianRelErrConfident = rel.length ? rel[rel.length >> 1] : NaN;
      r.within2pctConfident = rel.length ? rel.filter((x) => x <= 0.02).length / rel.length : 0;
    }
    return r;
  });
}
