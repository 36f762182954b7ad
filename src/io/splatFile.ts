import type { GaussianCloud } from '../core/GaussianCloud';
import { readAntimatterSplat, writeAntimatterSplat } from './antimatterSplat';
import { isCompressedPly, readCompressedPly } from './compressedPly';
import { fail } from './FormatError';
import { inriaCloudFromPly, writeInriaPly } from './inriaPly';
import { hasPlyMagic, readPly } from './plyFormat';
import { readSpz, writeSpz, type SpzOptions } from './spz';

/** Per-format options of readSplatFile / writeSplatFile. */
export interface SplatFileOptions {
  spz?: SpzOptions;
}

/** Splat file formats this module reads and writes. */
export type SplatFormat = 'ply' | 'compressed-ply' | 'splat' | 'spz';

function extension(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  if (/\.compressed\.ply$/i.test(base)) return 'compressed.ply';
  const dot = base.lastIndexOf('.');
  return dot >= 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/**
 * Detects the format from the magic bytes (PLY, gzip/NGSP SPZ), else from the extension (.splat).
 * @throws FormatError when neither identifies a supported format.
 */
export function detectSplatFormat(name: string, bytes: Uint8Array): SplatFormat {
  if (hasPlyMagic(bytes)) return 'ply';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'spz';
  if (bytes.length >= 4 && bytes[0] === 0x4e && bytes[1] === 0x47 && bytes[2] === 0x53 && bytes[3] === 0x50) return 'spz';
  const ext = extension(name);
  if (ext === 'splat') return 'splat';
  if (ext === 'spz') return 'spz';
  if (ext === 'ply' || ext === 'compressed.ply') return 'ply';
  fail(name, 'format', `unknown splat format (extension ".${ext}"; supported: .ply, .compressed.ply, .splat, .spz)`);
}

/** Throws when any value of the cloud is NaN or infinite, naming the array and splat index. */
export function checkFinite(name: string, cloud: GaussianCloud): void {
  const groups: [string, Float32Array, number][] = [
    ['means', cloud.means, 3],
    ['logScales', cloud.logScales, 3],
    ['quats', cloud.quats, 4],
    ['logitOpacities', cloud.logitOpacities, 1],
    ['sh', cloud.sh, cloud.sh.length / Math.max(1, cloud.count)],
  ];
  for (const [field, arr, w] of groups) {
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i])) fail(name, field, `non-finite value ${arr[i]} at splat ${Math.floor(i / w)}`);
    }
  }
}

/**
 * Reads a splat file into a raw GaussianCloud (see core/GaussianCloud for units):
 * INRIA 3DGS PLY (binary LE/BE or ASCII, SH 0-3, any property order, normals optional), PlayCanvas
 * compressed PLY, antimatter15 .splat, SPZ v2/v3/v4. Formats: see inriaPly.ts, compressedPly.ts,
 * antimatterSplat.ts, spz.ts.
 * @param name file name (used for the extension and in error messages)
 * @param options.spz SPZ options (axis convention; default the spec's RUB)
 * @throws FormatError naming the file and field on any malformed, truncated or non-finite input.
 */
export function readSplatFile(name: string, bytes: Uint8Array, options?: SplatFileOptions): GaussianCloud {
  const fmt = detectSplatFormat(name, bytes);
  let cloud: GaussianCloud;
  if (fmt === 'ply') {
    const { data } = readPly(name, bytes, ['vertex', 'chunk', 'sh']);
    cloud = isCompressedPly(data) ? readCompressedPly(name, data) : inriaCloudFromPly(name, data);
  } else if (fmt === 'splat') {
    cloud = readAntimatterSplat(name, bytes);
  } else {
    cloud = readSpz(name, bytes, options?.spz);
  }
  checkFinite(name, cloud);
  return cloud;
}

/** Splat file extensions writeSplatFile can write. */
export const WRITABLE_SPLAT_EXTENSIONS = ['ply', 'splat', 'spz'] as const;

/**
 * Checks that `name` has a writable splat extension, before any work is done for it.
 * @throws Error naming the file and the supported extensions (.compressed.ply is read-only).
 */
export function checkWritableSplatName(name: string): void {
  const ext = extension(name);
  if (/\.compressed\.ply$/i.test(name)) throw new Error(`${name}: cannot write PlayCanvas compressed .ply (read-only; write .ply, .splat or .spz)`);
  if (!(WRITABLE_SPLAT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new Error(`${name}: cannot write ".${ext}" (supported: .ply, .splat, .spz)`);
  }
}

/**
 * Encodes a cloud in the format named by the extension of `name`: .ply (INRIA binary LE, lossless),
 * .splat (antimatter15), .spz (v3). `.compressed.ply` is not written.
 * @param options.spz SPZ options (axis convention; default the spec's RUB)
 * @returns the bytes and `dropped`: human-readable notes on what the target cannot hold or quantizes.
 * @throws Error for an unsupported extension.
 */
export function writeSplatFile(name: string, cloud: GaussianCloud, options?: SplatFileOptions): { bytes: Uint8Array; dropped: string[] } {
  const ext = extension(name);
  if (ext === 'ply') return { bytes: writeInriaPly(cloud), dropped: [] };
  if (ext === 'splat') return writeAntimatterSplat(cloud);
  if (ext === 'spz') return writeSpz(cloud, options?.spz);
  throw new Error(`${name}: cannot write ".${ext}" (supported: .ply, .splat, .spz)`);
}
