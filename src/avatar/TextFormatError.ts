/** A malformed line-oriented text file (BVH, CSV); the message names the file, the line and the field. */
export class TextFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}:${line}: ${field}: ${detail}`);
    this.name = 'TextFormatError';
  }
}
