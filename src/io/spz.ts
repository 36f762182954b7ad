import { Gunzip, gzipSync } from 'fflate';
import { decompress as zstdDecompress } from 'fzstd';
import { createGaussianCloud, logit, shCoeffCount, sigmoid, type GaussianCloud } from '../core/GaussianCloud';
import { fail, guardDecode } from './FormatError';

/**
 * Niantic SPZ (github.com/nianticlabs/spz, README "File Format" and `load-spz.cc`).
 * v2/v3: a gzip stream of a 16-byte header (magic "NGSP" = 0x5053474e, version, numPoints, shDegree,
 * fractionalBits, flags, reserved) then, attribute by attribute: positions (24-bit signed fixed point,
 * 2^-fractionalBits units), alphas (uint8 sigmoid(opacity)*255), colours (uint8, f_dc * 0.15 * 255 +
 * 127.5), scales (uint8, (log-scale + 10) * 16), rotations (v2: 3 x uint8 xyz of the w>=0 quaternion;
 * v3: 4 bytes "smallest three", 2-bit index of the largest xyzw component + three 10-bit sign-magnitude
 * components scaled by 1/sqrt2), SH rest (uint8, (v - 128) / 128, [coef][rgb]).
 * v4: an uncompressed 32-byte header (the same fields, then numStreams u8 at byte 15, tocByteOffset
 * u32 at 16, 12 reserved), a table of contents of (compressedSize u64, uncompressedSize u64) per
 * stream at tocByteOffset, then one zstd frame per attribute stream in the order above.
 * Axes (`SpzAxes`): the spec stores RUB (x right, y up, z back; README "Coordinate System"); our clouds
 * use the INRIA PLY axes RDF (x right, y down, z forward), so by default reading and writing flip y
 * and z: positions (x,-y,-z), quaternions (w,x,-y,-z) and the SH coefficients odd in y*z parity (see
 * SH_FLIP). Niantic's own files (and PlayCanvas's biker.spz) follow the spec. PlayCanvas's
 * splat-transform instead stores PLY (RDF) axes raw: read or write its files with axes 'rdf'.
 */

/**
 * Axis convention of an SPZ file: 'rub' (the spec's; the default) or 'rdf' (PLY axes stored raw, as
 * @playcanvas/splat-transform writes and expects).
 */
export type SpzAxes = 'rub' | 'rdf';

/** Options of readSpz / writeSpz. */
export interface SpzOptions {
  /** Axis convention of the file (default 'rub', the spec's). */
  axes?: SpzAxes;
}

/** -1 when the file's y and z axes are flipped against ours (RUB), 1 when they are stored raw (RDF). */
function axisSign(options: SpzOptions | undefined): number {
  const axes = options?.axes ?? 'rub';
  if (axes !== 'rub' && axes !== 'rdf') throw new Error(`SPZ axes must be 'rub' or 'rdf', got ${JSON.stringify(axes)}`);
  return axes === 'rub' ? -1 : 1;
}

const MAGIC = 0x5053474e;
const COLOR_SCALE = 0.15;
const MAX_POINTS = 10_000_000;
/** deflate cannot expand more than ~1032x: bounds the output we accept from a gzip of n bytes. */
const GZIP_MAX_RATIO = 1100;
/** zstd output we accept per input byte (bounds allocations by the file size). */
const ZSTD_MAX_RATIO = 4096;

/**
 * Sign of each SH coefficient (1..15, real SH in the 3DGS order) under (x,y,z) -> (x,-y,-z): the
 * parity of the y and z powers of its monomial (band 1: y z x; band 2: xy yz 3z2-1 xz x2-y2; ...).
 */
export const SH_FLIP = [-1, -1, 1, -1, 1, 1, -1, 1, -1, 1, -1, -1, 1, -1, 1];

/** SH rest coefficients per channel for a degree (0, 3, 8, 15, 24). */
function shDim(degree: number): number {
  return (degree + 1) * (degree + 1) - 1;
}

function bytesPerPoint(version: number, degree: number): number {
  return 9 + 1 + 3 + 3 + (version >= 3 ? 4 : 3) + shDim(degree) * 3;
}

interface SpzLayout {
  version: number;
  n: number;
  degree: number;
  fractionalBits: number;
  positions: Uint8Array;
  alphas: Uint8Array;
  colors: Uint8Array;
  scales: Uint8Array;
  rotations: Uint8Array;
  sh: Uint8Array;
}

/** Bounded streaming gunzip: stops as soon as the output passes `limit(headerBytes)`. */
function gunzipBounded(file: string, bytes: Uint8Array, limitFor: (head: Uint8Array) => number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let limit = 16 + 1024 * 1024;
  let head: Uint8Array | undefined;
  let done = false;
  const g = new Gunzip((chunk, final) => {
    parts.push(chunk);
    total += chunk.length;
    if (!head && total >= 16) {
      head = concat(parts, 16);
      limit = limitFor(head);
    }
    if (total > limit) fail(file, 'gzip stream', `decompresses to more than the ${limit} bytes the header allows`);
    if (final) done = true;
  });
  guardDecode(file, 'gzip stream', () => {
    const step = 1 << 16;
    for (let o = 0; o < bytes.length; o += step) g.push(bytes.subarray(o, Math.min(bytes.length, o + step)), o + step >= bytes.length);
  });
  if (!done) fail(file, 'gzip stream', 'truncated (no end of stream)');
  return concat(parts, total);
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    if (o >= n) break;
    const take = Math.min(p.length, n - o);
    out.set(p.subarray(0, take), o);
    o += take;
  }
  return out;
}

function checkHeader(file: string, version: number, n: number, degree: number, versions: number[]): void {
  if (!versions.includes(version)) fail(file, 'header version', `unsupported SPZ version ${version} (supported: 2, 3, 4)`);
  if (n > MAX_POINTS) fail(file, 'header numPoints', `${n} splats exceeds the ${MAX_POINTS} limit`);
  if (degree > 4) fail(file, 'header shDegree', `SH degree ${degree} > 4`);
}

function parseGzipped(file: string, bytes: Uint8Array): SpzLayout {
  const maxOut = bytes.length * GZIP_MAX_RATIO + 1024;
  const raw = gunzipBounded(file, bytes, (h) => {
    const dv = new DataView(h.buffer, h.byteOffset, 16);
    if (dv.getUint32(0, true) !== MAGIC) fail(file, 'header magic', 'not an SPZ stream (magic is not "NGSP")');
    const version = dv.getUint32(4, true);
    const n = dv.getUint32(8, true);
    const degree = h[12];
    checkHeader(file, version, n, degree, [2, 3]);
    const need = 16 + n * bytesPerPoint(version, degree);
    if (need > maxOut) fail(file, 'header numPoints', `${n} splats cannot come from a ${bytes.length}-byte file`);
    return need + (h[14] & 2 ? 1024 * 1024 : 0);
  });
  if (raw.length < 16) fail(file, 'header', `stream has ${raw.length} bytes, the header needs 16`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const version = dv.getUint32(4, true);
  const n = dv.getUint32(8, true);
  const degree = raw[12];
  const fractionalBits = raw[13];
  const dataBytes = n * bytesPerPoint(version, degree);
  if (raw.length < 16 + dataBytes) fail(file, 'data', `truncated: ${n} splats need ${dataBytes} bytes after the header, stream has ${raw.length - 16}`);
  // Optional extension records (flag 0x2) sit between the header and the data; the data ends the stream.
  if (!(raw[14] & 2) && raw.length !== 16 + dataBytes) fail(file, 'data', `${raw.length - 16 - dataBytes} unexpected trailing bytes`);
  let o = raw.length - dataBytes;
  const take = (len: number) => raw.subarray(o, (o += len));
  const rb = version >= 3 ? 4 : 3;
  return {
    version, n, degree, fractionalBits,
    positions: take(n * 9), alphas: take(n), colors: take(n * 3), scales: take(n * 3), rotations: take(n * rb), sh: take(n * shDim(degree) * 3),
  };
}

function parseV4(file: string, bytes: Uint8Array): SpzLayout {
  if (bytes.length < 32) fail(file, 'header', `${bytes.length} bytes; the v4 header needs 32`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  const n = dv.getUint32(8, true);
  const degree = bytes[12];
  const fractionalBits = bytes[13];
  const numStreams = bytes[15];
  const toc = dv.getUint32(16, true);
  checkHeader(file, version, n, degree, [4]);
  const sizes = [n * 9, n, n * 3, n * 3, n * 4];
  if (degree > 0) sizes.push(n * shDim(degree) * 3);
  const expected = n === 0 ? [] : sizes;
  if (numStreams !== expected.length) fail(file, 'header numStreams', `${numStreams} streams; SH degree ${degree} needs ${expected.length}`);
  if (toc < 32 || toc + numStreams * 16 > bytes.length) fail(file, 'header tocByteOffset', `table of contents at ${toc} does not fit in ${bytes.length} bytes`);
  const total = expected.reduce((a, b) => a + b, 0);
  if (total > bytes.length * ZSTD_MAX_RATIO) fail(file, 'header numPoints', `${n} splats cannot come from a ${bytes.length}-byte file`);
  let off = toc + numStreams * 16;
  const streams: Uint8Array[] = [];
  const names = ['positions', 'alphas', 'colors', 'scales', 'rotations', 'sh'];
  for (let s = 0; s < numStreams; s++) {
    const e = toc + s * 16;
    const field = `stream ${names[s]}`;
    if (dv.getUint32(e + 4, true) !== 0 || dv.getUint32(e + 12, true) !== 0) fail(file, field, 'size does not fit in 32 bits');
    const csize = dv.getUint32(e, true);
    const usize = dv.getUint32(e + 8, true);
    if (usize !== expected[s]) fail(file, field, `uncompressed size ${usize}, expected ${expected[s]} for ${n} splats`);
    if (off + csize > bytes.length) fail(file, field, `compressed size ${csize} runs past the end of the file (truncated?)`);
    const out = new Uint8Array(usize);
    const got = guardDecode(file, field, () => zstdDecompress(bytes.subarray(off, off + csize), out));
    if (got.length !== usize) fail(file, field, `decompressed to ${got.length} bytes, expected ${usize}`);
    if (got !== out && got.buffer !== out.buffer) out.set(got);
    streams.push(out);
    off += csize;
  }
  const empty = new Uint8Array(0);
  return {
    version, n, degree, fractionalBits,
    positions: streams[0] ?? empty, alphas: streams[1] ?? empty, colors: streams[2] ?? empty,
    scales: streams[3] ?? empty, rotations: streams[4] ?? empty, sh: streams[5] ?? empty,
  };
}

/**
 * Reads an SPZ file (v2/v3 gzip, v4 zstd) into a raw cloud. SH degree 4 is truncated to 3.
 * @param options.axes the file's axis convention (default 'rub', the spec's)
 * @throws FormatError naming the file and field for a bad magic/version/count, a corrupt or
 *   truncated stream, or sizes that disagree with the header. Allocations are bounded by the
 *   file size (at most ~1100x for gzip, 4096x for zstd).
 */
export function readSpz(file: string, bytes: Uint8Array, options?: SpzOptions): GaussianCloud {
  const flip = axisSign(options);
  const shSign = (j: number) => (flip < 0 ? SH_FLIP[j] : 1);
  let L: SpzLayout;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) L = parseGzipped(file, bytes);
  else if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === MAGIC) L = parseV4(file, bytes);
  else fail(file, 'magic', 'not an SPZ file (neither gzip nor "NGSP")');
  const { n } = L;
  const outDeg = Math.min(3, L.degree);
  const K = shCoeffCount(outDeg);
  const dimIn = shDim(L.degree);
  const cloud = createGaussianCloud(n, outDeg);
  const pscale = 2 ** -L.fractionalBits;
  const P = L.positions;
  for (let i = 0; i < n * 3; i++) {
    let v = P[i * 3] | (P[i * 3 + 1] << 8) | (P[i * 3 + 2] << 16);
    if (v & 0x800000) v |= ~0xffffff;
    cloud.means[i] = i % 3 === 0 ? v * pscale : flip * v * pscale;
    cloud.logScales[i] = L.scales[i] / 16 - 10;
  }
  const R = L.rotations;
  const q = [0, 0, 0, 0]; // xyzw
  for (let i = 0; i < n; i++) {
    if (L.version >= 3) {
      let comp = (R[i * 4] | (R[i * 4 + 1] << 8) | (R[i * 4 + 2] << 16) | (R[i * 4 + 3] << 24)) >>> 0;
      const largest = comp >>> 30;
      let ss = 0;
      for (let k = 3; k >= 0; k--) {
        if (k === largest) continue;
        const mag = comp & 511;
        const neg = (comp >>> 9) & 1;
        comp >>>= 10;
        q[k] = (Math.SQRT1_2 * mag) / 511 * (neg ? -1 : 1);
        ss += q[k] * q[k];
      }
      q[largest] = Math.sqrt(Math.max(0, 1 - ss));
    } else {
      for (let k = 0; k < 3; k++) q[k] = R[i * 3 + k] / 127.5 - 1;
      q[3] = Math.sqrt(Math.max(0, 1 - (q[0] * q[0] + q[1] * q[1] + q[2] * q[2])));
    }
    cloud.quats[i * 4] = q[3];
    cloud.quats[i * 4 + 1] = q[0];
    cloud.quats[i * 4 + 2] = flip * q[1];
    cloud.quats[i * 4 + 3] = flip * q[2];
    cloud.logitOpacities[i] = logit(L.alphas[i] / 255);
    for (let c = 0; c < 3; c++) {
      cloud.sh[i * K * 3 + c] = (L.colors[i * 3 + c] / 255 - 0.5) / COLOR_SCALE;
      for (let j = 0; j < K - 1; j++) cloud.sh[i * K * 3 + (j + 1) * 3 + c] = (shSign(j) * (L.sh[(i * dimIn + j) * 3 + c] - 128)) / 128;
    }
  }
  return cloud;
}

/**
 * Writes SPZ v3 (gzip). Positions use the most fractional bits (<= 12) that keep |x| < 2^23 units.
 * @param options.axes the axis convention to write (default 'rub', the spec's)
 * @returns bytes and `dropped`: the quantization this implies, and SH values clipped to [-1, 1].
 */
export function writeSpz(cloud: GaussianCloud, options?: SpzOptions): { bytes: Uint8Array; dropped: string[] } {
  const flip = axisSign(options);
  const shSign = (j: number) => (flip < 0 ? SH_FLIP[j] : 1);
  const n = cloud.count;
  const degree = cloud.shDegree;
  const K = shCoeffCount(degree);
  const dim = shDim(degree);
  let maxAbs = 0;
  for (let i = 0; i < n * 3; i++) maxAbs = Math.max(maxAbs, Math.abs(cloud.means[i]));
  let fb = 12;
  while (fb > 0 && maxAbs * 2 ** fb >= 2 ** 23 - 1) fb--;
  if (maxAbs * 2 ** fb >= 2 ** 23) throw new Error(`writeSpz: positions up to ${maxAbs} do not fit 24-bit fixed point`);
  const raw = new Uint8Array(16 + n * bytesPerPoint(3, degree));
  const dv = new DataView(raw.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, 3, true);
  dv.setUint32(8, n, true);
  raw[12] = degree;
  raw[13] = fb;
  let o = 16;
  const u8 = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  for (let i = 0; i < n * 3; i++, o += 3) {
    const v = Math.round((i % 3 === 0 ? 1 : flip) * cloud.means[i] * 2 ** fb);
    raw[o] = v & 0xff;
    raw[o + 1] = (v >> 8) & 0xff;
    raw[o + 2] = (v >> 16) & 0xff;
  }
  for (let i = 0; i < n; i++) raw[o++] = u8(sigmoid(cloud.logitOpacities[i]) * 255);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) raw[o++] = u8(cloud.sh[i * K * 3 + c] * COLOR_SCALE * 255 + 127.5);
  for (let i = 0; i < n * 3; i++) raw[o++] = u8((cloud.logScales[i] + 10) * 16);
  for (let i = 0; i < n; i++, o += 4) {
    const w = cloud.quats[i * 4];
    const xyzw = [cloud.quats[i * 4 + 1], flip * cloud.quats[i * 4 + 2], flip * cloud.quats[i * 4 + 3], w];
    const len = Math.hypot(...xyzw) || 1;
    let largest = 0;
    for (let k = 1; k < 4; k++) if (Math.abs(xyzw[k]) > Math.abs(xyzw[largest])) largest = k;
    const negate = xyzw[largest] < 0 ? 1 : 0;
    let comp = largest;
    for (let k = 0; k < 4; k++) {
      if (k === largest) continue;
      const v = xyzw[k] / len;
      const neg = (v < 0 ? 1 : 0) ^ negate;
      const mag = Math.min(511, Math.floor((511 * Math.abs(v)) / Math.SQRT1_2 + 0.5));
      comp = ((comp << 10) | (neg << 9) | mag) >>> 0;
    }
    dv.setUint32(o, comp, true);
  }
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      for (let c = 0; c < 3; c++) {
        const v = shSign(j) * cloud.sh[i * K * 3 + (j + 1) * 3 + c];
        if (Math.abs(v) > 1) clipped++;
        // Same buckets as the reference writer: 5 bits for band 1, 4 bits above.
        const bucket = j < 3 ? 8 : 16;
        let qv = Math.round(v * 128) + 128;
        qv = Math.floor((qv + bucket / 2) / bucket) * bucket;
        raw[o++] = Math.min(255, Math.max(0, qv));
      }
    }
  }
  const dropped = [`precision: positions to 2^-${fb} units, log-scales to 1/16, opacity and colour to 8 bits, rotation to 10 bits per component${degree > 0 ? ', SH to 5 (band 1) / 4 bits' : ''}`];
  if (clipped > 0) dropped.push(`${clipped} SH coefficients outside [-1, 1] clipped`);
  return { bytes: gzipSync(raw), dropped };
}
