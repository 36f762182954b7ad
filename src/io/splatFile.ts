import type { GaussianCloud } from '../core/GaussianCloud';
import { readAntimatterSplat, writeAntimatterSplat } from './antimatterSplat';
import { isCompressedPly, readCompressedPly } from './compressedPly';
import { fail } from './FormatError';
import { inriaCloudFromPly, writeInriaPly } from './inriaPly';
import { hasPlyMagic, readPly } from './plyFormat';
import { readSpz, writeSpz, type SpzOptions } from './spz';
import { hasGlbMagic, readGltfSplat } from './gltfSplat';
import { readWithSplatTransform, writeWithSplatTransform, type SplatTransformReadOptions } from './splatTransform';

/** Per-format options of readSplatFile / writeSplatFile. */
export interface SplatFileOptions {
  spz?: SpzOptions;
}

/** Options of readSplatFileAsync: those of readSplatFile, plus the files beside an unbundled SOG. */
export interface SplatFileAsyncOptions extends SplatFileOptions, SplatTransformReadOptions {}

/**
 * Splat file formats detectSplatFormat knows. ply/compressed-ply/splat/spz/glb are decoded by our
 * own readers (sync); sog (.sog bundle), sog-meta (unbundled meta.json + WebP) and ksplat through
 * @playcanvas/splat-transform (async: readSplatFileAsync).
 */
export type SplatFormat = 'ply' | 'compressed-ply' | 'splat' | 'spz' | 'glb' | 'sog' | 'sog-meta' | 'ksplat';

/** Formats that need readSplatFileAsync (decoded by splat-transform). */
const ASYNC_FORMATS: SplatFormat[] = ['sog', 'sog-meta', 'ksplat'];

/** Extensions every reader accepts, for file pickers and messages. */
export const READABLE_SPLAT_EXTENSIONS = ['ply', 'compressed.ply', 'splat', 'spz', 'sog', 'meta.json', 'ksplat', 'glb'] as const;

function extension(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  if (/\.compressed\.ply$/i.test(base)) return 'compressed.ply';
  if (/(^|[._-])meta\.json$/i.test(base)) return 'meta.json';
  const dot = base.lastIndexOf('.');
  return dot >= 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/**
 * Detects the format from the magic bytes (PLY, gzip/NGSP SPZ, "glTF", a zip = SOG bundle), else from
 * the extension (.splat, .ksplat, meta.json, and the others' extensions when the magic is damaged, so
 * that their reader names the bad field).
 * @throws FormatError when neither identifies a supported format.
 */
export function detectSplatFormat(name: string, bytes: Uint8Array): SplatFormat {
  if (hasPlyMagic(bytes)) return 'ply';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'spz';
  if (bytes.length >= 4 && bytes[0] === 0x4e && bytes[1] === 0x47 && bytes[2] === 0x53 && bytes[3] === 0x50) return 'spz';
  if (hasGlbMagic(bytes)) return 'glb';
  const ext = extension(name);
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04 && ext !== 'splat' && ext !== 'ksplat') return 'sog';
  if (ext === 'splat') return 'splat';
  if (ext === 'spz') return 'spz';
  if (ext === 'ply' || ext === 'compressed.ply') return 'ply';
  if (ext === 'glb') return 'glb';
  if (ext === 'sog') return 'sog';
  if (ext === 'meta.json') return 'sog-meta';
  if (ext === 'ksplat') return 'ksplat';
  fail(name, 'format', `unknown splat format (extension ".${ext}"; supported: .${READABLE_SPLAT_EXTENSIONS.join(', .')})`);
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
 * Reads a splat file into a raw GaussianCloud (see core/GaussianCloud for units) with our own readers:
 * INRIA 3DGS PLY (binary LE/BE or ASCII, SH 0-3, any property order, normals optional), PlayCanvas
 * compressed PLY, antimatter15 .splat, SPZ v2/v3/v4, glTF .glb with KHR_gaussian_splatting. Formats:
 * see inriaPly.ts, compressedPly.ts, antimatterSplat.ts, spz.ts, gltfSplat.ts. SOG and .ksplat need
 * readSplatFileAsync.
 * @param name file name (used for the extension and in error messages)
 * @param options.spz SPZ options (axis convention; default the spec's RUB)
 * @throws FormatError naming the file and field on any malformed, truncated or non-finite input, or
 *   for a format only readSplatFileAsync reads.
 */
export function readSplatFile(name: string, bytes: Uint8Array, options?: SplatFileOptions): GaussianCloud {
  const fmt = detectSplatFormat(name, bytes);
  if (ASYNC_FORMATS.includes(fmt)) fail(name, 'format', `${fmt} files are decoded by splat-transform: use readSplatFileAsync`);
  let cloud: GaussianCloud;
  if (fmt === 'ply') {
    const { data } = readPly(name, bytes, ['vertex', 'chunk', 'sh']);
    cloud = isCompressedPly(data) ? readCompressedPly(name, data) : inriaCloudFromPly(name, data);
  } else if (fmt === 'splat') {
    cloud = readAntimatterSplat(name, bytes);
  } else if (fmt === 'glb') {
    cloud = readGltfSplat(name, bytes);
  } else {
    cloud = readSpz(name, bytes, options?.spz);
  }
  checkFinite(name, cloud);
  return cloud;
}

/**
 * Reads any supported splat file: the formats of readSplatFile with our readers, plus SOG (a .sog zip
 * bundle, or an unbundled meta.json whose WebP textures come in `options.siblings`) and mkkellogg
 * .ksplat through @playcanvas/splat-transform (see splatTransform.ts; inputs are validated first).
 * @throws FormatError naming the file and field on malformed, truncated, oversized or non-finite input.
 */
export async function readSplatFileAsync(name: string, bytes: Uint8Array, options?: SplatFileAsyncOptions): Promise<GaussianCloud> {
  const fmt = detectSplatFormat(name, bytes);
  if (!ASYNC_FORMATS.includes(fmt)) return readSplatFile(name, bytes, options);
  const cloud = await readWithSplatTransform(name, fmt as 'sog' | 'sog-meta' | 'ksplat', bytes, options);
  checkFinite(name, cloud);
  return cloud;
}

/** Splat file extensions writeSplatFile can write (sync, our writers). */
export const WRITABLE_SPLAT_EXTENSIONS = ['ply', 'splat', 'spz'] as const;

/** Splat file extensions writeSplatFileAsync can write (ours, then SOG and glb via splat-transform). */
export const WRITABLE_SPLAT_EXTENSIONS_ASYNC = ['ply', 'splat', 'spz', 'sog', 'meta.json', 'glb'] as const;

/**
 * Checks that `name` has a writable splat extension, before any work is done for it.
 * @param async also accept the formats only writeSplatFileAsync writes (.sog, meta.json, .glb)
 * @throws Error naming the file and the supported extensions (.compressed.ply and .ksplat are read-only).
 */
export function checkWritableSplatName(name: string, async = false): void {
  const ext = extension(name);
  const list: readonly string[] = async ? WRITABLE_SPLAT_EXTENSIONS_ASYNC : WRITABLE_SPLAT_EXTENSIONS;
  const supported = list.map((e) => (e === 'meta.json' ? 'meta.json' : `.${e}`)).join(', ');
  if (/\.compressed\.ply$/i.test(name)) throw new Error(`${name}: cannot write PlayCanvas compressed .ply (read-only; write ${supported})`);
  if (!list.includes(ext)) throw new Error(`${name}: cannot write ".${ext}" (supported: ${supported})`);
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
  if (ext === 'sog' || ext === 'glb' || ext === 'meta.json') throw new Error(`${name}: ".${ext}" is written by splat-transform: use writeSplatFileAsync`);
  throw new Error(`${name}: cannot write ".${ext}" (supported: .ply, .splat, .spz)`);
}

/** Result of writeSplatFileAsync. */
export interface SplatFileWriteResult {
  bytes: Uint8Array;
  dropped: string[];
  /** Files to write beside `name` (an unbundled SOG meta.json's WebP textures), by file name. */
  extraFiles: Map<string, Uint8Array>;
}

/**
 * Encodes a cloud in the format named by the extension of `name`: .ply/.splat/.spz with our writers
 * (as writeSplatFile), .sog (zip bundle), meta.json (unbundled SOG; textures in `extraFiles`) and .glb
 * (KHR_gaussian_splatting) with @playcanvas/splat-transform (see splatTransform.ts for quantization
 * and axes). Nothing is written to disk here: callers write the bytes (atomically, in the CLI).
 * @throws Error for an unsupported extension or an encoder failure.
 */
export async function writeSplatFileAsync(name: string, cloud: GaussianCloud, options?: SplatFileOptions): Promise<SplatFileWriteResult> {
  const ext = extension(name);
  if (ext === 'sog' || ext === 'glb' || ext === 'meta.json') {
    return writeWithSplatTransform(ext === 'sog' ? 'sog' : ext === 'glb' ? 'glb' : 'sog-meta', cloud);
  }
  return { ...writeSplatFile(name, cloud, options), extraFiles: new Map() };
}
