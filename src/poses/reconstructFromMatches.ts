import type { IntrinsicsGuess, PairMatches, SfmOptions, SfmResult, ViewFeatures } from './types';

/**
 * Incremental structure from motion for 3-10 photos (stub; the real pipeline follows).
 * @throws Error always, for now
 */
export function reconstructFromMatches(
  views: ViewFeatures[],
  intrinsics: IntrinsicsGuess[],
  matches: PairMatches[],
  opts: SfmOptions = {},
): SfmResult {
  void views; void intrinsics; void matches; void opts;
  throw new Error('reconstructFromMatches: not implemented yet');
}
