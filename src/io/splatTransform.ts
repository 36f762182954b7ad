import { shCoeffCount, type GaussianCloud } from '../core/GaussianCloud';
import { fail, FormatError } from './FormatError';
import { cloudFromPlyColumns, type PlyColumns } from './inriaPly';

/**
 * Bridge to @playcanvas/splat-transform (github.com/playcanvas/splat-transform), the codec library for
 * the formats we do not encode ourselves: SOG (PlayCanvas "super-compressed": a `.sog` zip bundle or an
 * unbundled `meta.json` + WebP textures; spec developer.playcanvas.com/user-manual/gaussian-splatting/
 * formats/sog/), mkkellogg's `.ksplat` (read only) and glTF KHR_gaussian_splatting `.glb` (write only;
 * splat-transform has no glb reader, see gltfSplat.ts for ours).
 *
 * splat-transform's DataTable holds PLY-style columns (verified against its dist/index.mjs 3.7.0):
 * x y z, scale_0..2 (natural-log standard deviations), rot_0..3 (quaternion w x y z), opacity (logit),
 * f_dc_0..2, f_rest_0..(3*(K-1)-1) channel-major (f_rest[c*(K-1)+j] = coefficient j+1 of channel c).
 * Each table carries a `transform` from its raw columns to PlayCanvas engine space; `Transform.PLY`
 * (a 180 degree rotation about z) labels raw INRIA PLY axes, which is what our GaussianCloud holds.
 * Readers of ply/splat/ksplat/spz/sog all return Transform.PLY data (SPZ raw, no RUB flip); the glb
 * writer bakes into engine space (identity): x and y negated, quaternions and SH rotated to match.
 *
 * The library is imported lazily (it is large: the studio loads it only when one of these formats is
 * opened or exported). In the browser its worker pool is disabled (tasks run inline) and its WebP
 * wasm is located through Vite's `?url` import.
 */

type St = typeof import('@playcanvas/splat-transform');
type DataTable = import('@playcanvas/splat-transform').DataTable;

/** Formats handled through splat-transform. */
export type SplatTransformFormat = 'sog' | 'sog-meta' | 'ksplat' | 'glb';

/** Largest splat count accepted from a file header (the same bound as our SPZ reader). */
export const MAX_SPLATS = 10_000_000;

let stPromise: Promise<St> | undefined;

/** Loads splat-transform once (lazily) and configures it for this runtime. */
export function loadSplatTransform(): Promise<St> {
  if (!stPromise) {
    stPromise = (async () => {
      const st = await import('@playcanvas/splat-transform');
      const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
      if (isBrowser) {
        // Bundled, the library's relative worker.mjs / webp.wasm URLs do not resolve: run its tasks
        // inline and hand it the wasm asset Vite emits.
        st.WorkerQueue.maxWorkers = 0;
        const wasm = (await import('@playcanvas/splat-transform/lib/webp.wasm?url')) as { default: string };
        st.WebPCodec.wasmUrl = wasm.default;
      }
      return st;
    })();
    stPromise.catch(() => {
      stPromise = undefined;
    });
  }
  return stPromise;
}

/**
 * Builds a splat-transform DataTable (PLY columns, labelled Transform.PLY) from a raw cloud. The
 * columns are fresh Float32Arrays; the cloud is not modified.
 */
export function cloudToDataTable(st: St, cloud: GaussianCloud): DataTable {
  const n = cloud.count;
  const K = shCoeffCount(cloud.shDegree);
  const col = (name: string, f: (i: number) => number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = f(i);
    return new st.Column(name, a);
  };
  const cols = [
    col('x', (i) => cloud.means[i * 3]),
    col('y', (i) => cloud.means[i * 3 + 1]),
    col('z', (i) => cloud.means[i * 3 + 2]),
    col('scale_0', (i) => cloud.logScales[i * 3]),
    col('scale_1', (i) => cloud.logScales[i * 3 + 1]),
    col('scale_2', (i) => cloud.logScales[i * 3 + 2]),
    col('rot_0', (i) => cloud.quats[i * 4]),
    col('rot_1', (i) => cloud.quats[i * 4 + 1]),
    col('rot_2', (i) => cloud.quats[i * 4 + 2]),
    col('rot_3', (i) => cloud.quats[i * 4 + 3]),
    col('opacity', (i) => cloud.logitOpacities[i]),
    col('f_dc_0', (i) => cloud.sh[i * K * 3]),
    col('f_dc_1', (i) => cloud.sh[i * K * 3 + 1]),
    col('f_dc_2', (i) => cloud.sh[i * K * 3 + 2]),
  ];
  for (let c = 0; c < 3; c++) {
    for (let j = 0; j < K - 1; j++) cols.push(col(`f_rest_${c * (K - 1) + j}`, (i) => cloud.sh[i * K * 3 + (j + 1) * 3 + c]));
  }
  return new st.DataTable(cols, st.Transform.PLY.clone());
}

/**
 * Converts a splat-transform DataTable whose raw columns are in PLY axes (Transform.PLY) into a raw
 * cloud. The SH degree follows the f_rest columns present (0, 9, 24 or 45).
 * @throws FormatError naming the file and the column when a required column is missing or the
 *   table is not in PLY axes.
 */
export function dataTableToCloud(st: St, file: string, table: DataTable): GaussianCloud {
  if (!table.transform.equals(st.Transform.PLY)) fail(file, 'transform', 'decoded data is not in PLY axes');
  const get = (name: string) => {
    const c = table.getColumnByName(name);
    if (!c) fail(file, `column ${name}`, 'missing in the decoded data');
    return c.data;
  };
  let rest = 0;
  while (table.hasColumn(`f_rest_${rest}`)) rest++;
  const degree = [0, 9, 24, 45].indexOf(rest);
  if (degree < 0) fail(file, `column f_rest_${rest - 1}`, `${rest} SH rest columns; expected 0, 9, 24 or 45`);
  const names = ['x', 'y', 'z', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3', 'opacity', 'f_dc_0', 'f_dc_1', 'f_dc_2'] as const;
  const columns = Object.fromEntries(names.map((k) => [k, get(k)])) as unknown as PlyColumns;
  const restCols = Array.from({ length: rest }, (_, i) => get(`f_rest_${i}`));
  return cloudFromPlyColumns(columns, restCols, degree);
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs a splat-transform call, turning anything it throws into a FormatError naming the file and field. */
async function guardAsync<T>(file: string, field: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(file, field, `corrupt or unsupported data (${errMessage(e)})`);
  }
}

// ------------------------------------------------------------------ input validation

const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o, true);

/**
 * Checks a .ksplat header before decoding (mkkellogg/GaussianSplats3D `SplatBuffer`: a 4096-byte main
 * header [u8 major 0, u8 minor >= 1, u32 maxSectionCount @4, u32 sectionCount @8, u32 maxSplatCount @12,
 * u32 splatCount @16, u16 compressionLevel @20 (0 float32, 1 float16, 2 float16 + uint8 SH), f32 scene
 * centre @24, f32 SH min/max @36/@40], then maxSectionCount 1024-byte section headers [u32 splatCount,
 * u32 maxSplatCount, u32 bucketSize, u32 bucketCount, f32 bucketBlockSize, u16 bucketStorageSize @20,
 * u32 compressionScaleRange @24, u32 fullBucketCount @32, u32 partialBucketCount @36, u16 shDegree @40],
 * then per section: partial bucket lengths (u32 each), bucket centres, maxSplatCount records).
 * Bounds every count by the file size so that no header can make the decoder allocate or read past it.
 * @throws FormatError naming the file and the header field.
 */
export function checkKsplatHeader(file: string, bytes: Uint8Array): void {
  if (bytes.length < 4096) fail(file, 'header', `${bytes.length} bytes; a .ksplat needs at least the 4096-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[0];
  const minor = bytes[1];
  if (major !== 0 || minor < 1) fail(file, 'header version', `unsupported .ksplat version ${major}.${minor} (expected 0.1 or later)`);
  const maxSections = dv.getUint32(4, true);
  const splatCount = dv.getUint32(16, true);
  const mode = dv.getUint16(20, true);
  if (mode > 2) fail(file, 'header compressionLevel', `${mode} (expected 0, 1 or 2)`);
  if (splatCount === 0) fail(file, 'header splatCount', 'the file holds no splats');
  if (splatCount > MAX_SPLATS) fail(file, 'header splatCount', `${splatCount} splats exceeds the ${MAX_SPLATS} limit`);
  if (maxSections === 0 || 4096 + maxSections * 1024 > bytes.length) {
    fail(file, 'header maxSectionCount', `${maxSections} section headers do not fit in ${bytes.length} bytes`);
  }
  const base = [44, 24, 24][mode];
  const shBytes = [4, 2, 1][mode];
  let offset = 4096 + maxSections * 1024;
  let total = 0;
  for (let s = 0; s < maxSections; s++) {
    const h = 4096 + s * 1024;
    const count = dv.getUint32(h, true);
    const maxCount = dv.getUint32(h + 4, true);
    const bucketCount = dv.getUint32(h + 12, true);
    const bucketStorage = dv.getUint16(h + 20, true);
    const fullBuckets = dv.getUint32(h + 32, true);
    const partialBuckets = dv.getUint32(h + 36, true);
    const degree = dv.getUint16(h + 40, true);
    const field = `section ${s}`;
    if (degree > 3) fail(file, `${field} shDegree`, `${degree} (expected 0-3)`);
    if (count > maxCount) fail(file, `${field} splatCount`, `${count} exceeds the section's maxSplatCount ${maxCount}`);
    if (mode > 0 && count > 0 && (bucketCount === 0 || fullBuckets + partialBuckets > bucketCount)) {
      fail(file, `${field} bucketCount`, `${bucketCount} buckets cannot hold ${fullBuckets} full and ${partialBuckets} partial buckets`);
    }
    const perSplat = base + [0, 9, 24, 45][degree] * shBytes;
    const size = partialBuckets * 4 + bucketStorage * bucketCount + perSplat * maxCount;
    if (offset + size > bytes.length) fail(file, `${field} maxSplatCount`, `section data (${size} bytes at ${offset}) runs past the end of the ${bytes.length}-byte file`);
    offset += size;
    total += count;
  }
  if (total !== splatCount) fail(file, 'header splatCount', `${splatCount}, but the sections hold ${total}`);
}

/** Width and height of a WebP image from its RIFF header (VP8L lossless, VP8 or VP8X), or undefined. */
function webpSize(b: Uint8Array): [number, number] | undefined {
  if (b.length < 30) return undefined;
  const tag = String.fromCharCode(b[0], b[1], b[2], b[3], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  if (tag === 'RIFFWEBPVP8L' && b[20] === 0x2f) {
    const v = u32(b, 21);
    return [(v & 0x3fff) + 1, ((v >>> 14) & 0x3fff) + 1];
  }
  if (tag === 'RIFFWEBPVP8X') return [(b[24] | (b[25] << 8) | (b[26] << 16)) + 1, (b[27] | (b[28] << 8) | (b[29] << 16)) + 1];
  if (tag === 'RIFFWEBPVP8 ') return [(b[26] | (b[27] << 8)) & 0x3fff, (b[28] | (b[29] << 8)) & 0x3fff];
  return undefined;
}

/**
 * Checks a SOG meta.json (version 2: count, means {mins, maxs, files}, scales {codebook, files}, quats
 * {files}, sh0 {codebook, files}, optional shN; version 1: per-property mins/maxs) and the textures it
 * names, before decoding: the count must be positive, within MAX_SPLATS and within the pixels of
 * every per-splat texture; every named file must be present.
 * @param getFile the bundle's or folder's files by name
 * @throws FormatError naming the file and the meta.json field.
 */
export function checkSogMeta(file: string, metaBytes: Uint8Array, getFile: (name: string) => Uint8Array | undefined): void {
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder().decode(metaBytes)) as Record<string, unknown>;
  } catch (e) {
    fail(file, 'meta.json', `not valid JSON (${errMessage(e)})`);
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) fail(file, 'meta.json', 'is not a JSON object');
  const v2 = meta.version !== undefined;
  if (v2 && meta.version !== 2) fail(file, 'meta.json version', `${JSON.stringify(meta.version)} (supported: 2, or none for version 1)`);
  const props = ['means', 'scales', 'quats', 'sh0'];
  let count: number | undefined = v2 ? (meta.count as number) : undefined;
  for (const p of props) {
    const entry = meta[p] as { files?: unknown; shape?: unknown } | undefined;
    if (!entry || typeof entry !== 'object') fail(file, `meta.json ${p}`, 'missing');
    if (!Array.isArray(entry.files) || !entry.files.length) fail(file, `meta.json ${p}.files`, 'missing or empty');
    if (!v2 && count === undefined && Array.isArray(entry.shape)) count = entry.shape[0] as number;
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0) fail(file, 'meta.json count', `${JSON.stringify(count)} (expected a positive integer)`);
  if (count > MAX_SPLATS) fail(file, 'meta.json count', `${count} splats exceeds the ${MAX_SPLATS} limit`);
  const shN = meta.shN as { files?: unknown } | undefined;
  const lists: [string, unknown][] = props.map((p) => [p, (meta[p] as { files: unknown }).files]);
  if (shN !== undefined) lists.push(['shN', shN?.files]);
  for (const [p, files] of lists) {
    if (!Array.isArray(files)) fail(file, `meta.json ${p}.files`, 'missing');
    for (const [k, f] of files.entries()) {
      if (typeof f !== 'string') fail(file, `meta.json ${p}.files[${k}]`, 'is not a file name');
      const img = getFile(f);
      if (!img) fail(file, `meta.json ${p}.files[${k}]`, `"${f}" is not in the bundle`);
      const size = webpSize(img);
      if (!size) fail(file, f, 'is not a WebP image');
      const perSplat = p !== 'shN' || k === 1; // shN: [centroids, labels]
      if (perSplat && size[0] * size[1] < count) fail(file, 'meta.json count', `${count} splats, but ${f} holds only ${size[0]}x${size[1]} pixels`);
    }
  }
}

// ------------------------------------------------------------------ zip (SOG bundle)

/** Entries of a stored or deflated zip read with fflate (names to bytes). @throws FormatError. */
async function unzipBundle(file: string, bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b || bytes[2] !== 0x03 || bytes[3] !== 0x04) {
    fail(file, 'zip header', 'not a .sog bundle (no zip "PK\\3\\4" signature)');
  }
  const { unzipSync } = await import('fflate');
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    fail(file, 'zip', `corrupt or truncated bundle (${errMessage(e)})`);
  }
  return new Map(Object.entries(entries));
}

// ------------------------------------------------------------------ read / write

/** Options of readWithSplatTransform. */
export interface SplatTransformReadOptions {
  /** For an unbundled SOG `meta.json`: the files beside it (the WebP textures), by name. */
  siblings?: Map<string, Uint8Array>;
}

/**
 * Decodes a SOG (`.sog` bundle or `meta.json` with its textures in `options.siblings`) or `.ksplat` file
 * with splat-transform into a raw cloud (PLY axes). Inputs are validated first (checkSogMeta,
 * checkKsplatHeader), so truncated files, wrong magic and huge counts fail fast.
 * @throws FormatError naming the file and the field on malformed input.
 */
export async function readWithSplatTransform(
  file: string,
  format: 'sog' | 'sog-meta' | 'ksplat',
  bytes: Uint8Array,
  options?: SplatTransformReadOptions,
): Promise<GaussianCloud> {
  const st = await loadSplatTransform();
  const fs = new st.MemoryReadFileSystem();
  let name: string;
  if (format === 'ksplat') {
    checkKsplatHeader(file, bytes);
    name = 'input.ksplat';
    fs.set(name, bytes);
  } else {
    const files = format === 'sog' ? await unzipBundle(file, bytes) : new Map(options?.siblings ?? []);
    if (format === 'sog-meta') files.set('meta.json', bytes);
    const meta = files.get('meta.json');
    if (!meta) fail(file, 'meta.json', 'missing from the bundle');
    checkSogMeta(file, meta, (n) => files.get(n));
    for (const [k, v] of files) fs.set(k, v);
    name = 'meta.json';
  }
  return guardAsync(file, format === 'ksplat' ? 'splat data' : 'textures', async () => {
    const sources = await st.readFile({ filename: name, inputFormat: format === 'ksplat' ? 'ksplat' : 'sog', fileSystem: fs });
    const src = sources[0];
    try {
      const pool = st.createChunkDataPool();
      const table = await st.materializeToDataTable(st.bakeTransform(src, st.Transform.PLY), pool);
      if (table.numRows !== src.meta.numGaussians) fail(file, 'count', `decoded ${table.numRows} splats, header says ${src.meta.numGaussians}`);
      return dataTableToCloud(st, file, table);
    } finally {
      for (const s of sources) await s.close();
    }
  });
}

/** Options of writeWithSplatTransform. */
export interface SplatTransformWriteOptions {
  /** SOG: SH k-means iterations (splat-transform's default 10). */
  sogIterations?: number;
}

/** Result of writeWithSplatTransform: the main file, and for an unbundled SOG the textures beside it. */
export interface SplatTransformWriteResult {
  bytes: Uint8Array;
  /** Files to write beside the main one (unbundled SOG: the WebP textures), by name. */
  extraFiles: Map<string, Uint8Array>;
  dropped: string[];
}

/**
 * Encodes a cloud with splat-transform: 'sog' a `.sog` zip bundle, 'sog-meta' an unbundled `meta.json`
 * (with its WebP textures in `extraFiles`), 'glb' glTF 2.0 binary with KHR_gaussian_splatting (engine /
 * glTF axes: x and y negated against PLY; linear scales, sigmoid opacities, xyzw quaternions, SH per
 * coefficient). SOG reorders splats (Morton order) and quantizes: positions to 16 bits (log-encoded),
 * scales and colour to 256-entry codebooks, rotations to 8 bits per component, opacity to 8 bits, SH
 * bands to a k-means palette.
 * @throws Error when splat-transform fails (e.g. an empty cloud).
 */
export async function writeWithSplatTransform(
  format: 'sog' | 'sog-meta' | 'glb',
  cloud: GaussianCloud,
  options?: SplatTransformWriteOptions,
): Promise<SplatTransformWriteResult> {
  const st = await loadSplatTransform();
  if (!cloud.count) throw new Error(`cannot write an empty cloud as ${format === 'glb' ? '.glb' : 'SOG'}`);
  const table = cloudToDataTable(st, cloud);
  const fs = new st.MemoryFileSystem();
  const pool = st.createChunkDataPool();
  const filename = format === 'sog' ? 'out.sog' : format === 'sog-meta' ? 'meta.json' : 'out.glb';
  const outputFormat = format === 'sog' ? 'sog-bundle' : format === 'sog-meta' ? 'sog' : 'glb';
  const source = st.dataTableToChunkSource(table);
  try {
    await st.writeSource({ filename, outputFormat, source, pool, options: { iterations: options?.sogIterations ?? 10 } as never }, fs);
  } finally {
    await source.close();
  }
  const bytes = fs.results.get(filename);
  if (!bytes) throw new Error(`splat-transform wrote no ${filename}`);
  const extraFiles = new Map<string, Uint8Array>();
  for (const [k, v] of fs.results) if (k !== filename) extraFiles.set(k.split('/').pop() ?? k, v);
  const dropped: string[] = [];
  if (format !== 'glb') {
    dropped.push('SOG quantizes positions (16-bit), scales and colours (256-entry codebooks), rotations and opacity (8-bit) and reorders splats');
    if (cloud.shDegree > 0) dropped.push(`SH bands 1-${cloud.shDegree} are clustered into a palette`);
  }
  return { bytes, extraFiles, dropped };
}
