/**
 * The motion library of the avatar page, built in the browser from the shared BVH clips
 * (../shared/data/motion/bvh relative to the repository, i.e. beside the checkout: read in place,
 * never copied into the repository). Vite's lazy `import.meta.glob` finds the files at build / dev
 * time; the dev server serves them (vite.config.ts allows `..`). A checkout without the shared
 * folder gets an empty glob: the page then keeps the procedural legs.
 */
import { parseBvh } from '../../avatar/BvhClip';
import { type ClipMotion, MotionLibrary, extractClipMotion } from '../../avatar/MotionLibrary';

const CLIPS = import.meta.glob('../../../../shared/data/motion/bvh/**/*.bvh', { query: '?raw', import: 'default' }) as Record<string, () => Promise<string>>;

/** Number of BVH clips the page can load (0 without the shared data). */
export const libraryClipCount = Object.keys(CLIPS).length;

/**
 * Loads, parses and extracts every clip (yielding to the page between clips), then builds the
 * MotionLibrary. Clips that fail to parse are skipped and reported through onProgress.
 * @returns null when no clip could be loaded.
 */
export async function loadMotionLibrary(onProgress: (done: number, total: number, error?: string) => void): Promise<MotionLibrary | null> {
  const entries = Object.entries(CLIPS).sort(([a], [b]) => a.localeCompare(b));
  const motion: ClipMotion[] = [];
  let done = 0;
  for (const [path, load] of entries) {
    const name = path.replace(/^.*shared\/data\/motion\//, ''); // 'bvh/cmu/...': the folder names declare the units
    try {
      motion.push(extractClipMotion(parseBvh(await load(), name)));
      onProgress(++done, entries.length);
    } catch (e) {
      onProgress(++done, entries.length, `${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    await new Promise((r) => setTimeout(r, 0));
  }
  return motion.length ? new MotionLibrary(motion) : null;
}
