/**
 * Error for bad input files: the message always names the file and the field (or section) at fault,
 * e.g. `scene.zip/poses_bounds.npy: row 3: non-finite value in the pose`.
 */
export class FormatError extends Error {
  /**
   * @param file path or name of the offending file
   * @param field the field, property or section that is wrong
   * @param detail what is wrong with it
   */
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: ${field}: ${detail}`);
    this.name = 'FormatError';
  }
}

/** Throws a FormatError (`file: field: detail`). */
export function fail(file: string, field: string, detail: string): never {
  throw new FormatError(file, field, detail);
}

/**
 * Runs a third-party decoder (fflate, fzstd, jpeg-js, fast-png) and turns whatever it throws into a
 * FormatError naming the file and the stream, so corrupt input never surfaces as a bare RangeError.
 */
export function guardDecode<T>(file: string, field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new FormatError(file, field, `corrupt or unsupported data (${msg})`);
  }
}
