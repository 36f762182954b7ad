/**
 * Progress of a scene load (loadScene's `onProgress` option): per stage, how many of the scene's
 * images have passed it. Stages run as a pipeline (image i+1 unzips and decodes while image i is
 * undistorted), so several can be active at once. Pure accounting, no DOM: the studio shows
 * `progressText` and `progressFraction` in its loading bar.
 */

/** Stages of a load, in pipeline order. 'read' is reading loose files; 'unzip' inflating zip entries. */
export type LoadStage = 'read' | 'unzip' | 'decode' | 'undistort';

/** What a load reports after each image finishes a stage. */
export interface LoadProgress {
  /** The stage that just advanced. */
  stage: LoadStage;
  /** Images done in that stage so far. */
  done: number;
  /** Images the scene has. */
  total: number;
  /** Every stage of this load with its count, in pipeline order (stages that do not apply are absent). */
  stages: { stage: LoadStage; done: number; total: number }[];
  /** The image (path in the source) that just finished the stage. */
  file?: string;
  /** progressText of this report, e.g. "Decoding 23/67 · Undistorting 20/67". */
  text: string;
  /** progressFraction of this report, in [0, 1]. */
  fraction: number;
}

export type LoadProgressFn = (p: LoadProgress) => void;

const VERB: Record<LoadStage, string> = { read: 'Reading', unzip: 'Unzipping', decode: 'Decoding', undistort: 'Undistorting' };

/** Relative cost of each stage in the overall fraction (decoding dominates). */
const WEIGHT: Record<LoadStage, number> = { read: 0.1, unzip: 0.15, decode: 0.6, undistort: 0.25 };

/**
 * Counts images through the stages and reports each step to `onProgress` (which may be absent).
 * @param stages the stages this load goes through, in pipeline order
 * @param total the number of images
 */
export function createProgressTracker(stages: LoadStage[], total: number, onProgress?: LoadProgressFn) {
  const counts = new Map<LoadStage, number>(stages.map((s) => [s, 0]));
  return {
    /** One more image finished `stage`. Unknown stages are ignored; counts never pass `total`. */
    tick(stage: LoadStage, file?: string): void {
      const c = counts.get(stage);
      if (c === undefined || c >= total) return;
      counts.set(stage, c + 1);
      if (!onProgress) return;
      const list = stages.map((s) => ({ stage: s, done: counts.get(s)!, total }));
      const p: LoadProgress = { stage, done: c + 1, total, stages: list, text: progressText({ stages: list }), fraction: progressFraction({ stages: list }) };
      if (file !== undefined) p.file = file;
      onProgress(p);
    },
    count(stage: LoadStage): number {
      return counts.get(stage) ?? 0;
    },
  };
}

/**
 * One line for the loading bar: every stage that has started and not finished, e.g.
 * "Unzipping 25/67 · Decoding 23/67 · Undistorting 20/67"; when every stage is complete, the last
 * stage's count ("Undistorting 67/67"); before anything started, the first stage at 0.
 */
export function progressText(p: Pick<LoadProgress, 'stages'>): string {
  const active = p.stages.filter((s) => s.done > 0 && s.done < s.total);
  const shown = active.length ? active : p.stages.filter((s) => s.done >= s.total && s.total > 0).slice(-1);
  const list = shown.length ? shown : p.stages.slice(0, 1);
  return list.map((s) => `${VERB[s.stage]} ${s.done}/${s.total}`).join(' · ');
}

/** Overall fraction done in [0, 1], weighting the stages by their typical cost. */
export function progressFraction(p: Pick<LoadProgress, 'stages'>): number {
  let w = 0;
  let d = 0;
  for (const s of p.stages) {
    w += WEIGHT[s.stage];
    d += WEIGHT[s.stage] * (s.total > 0 ? Math.min(1, s.done / s.total) : 1);
  }
  return w > 0 ? d / w : 0;
}
