import { createGaussianCloud, logit, shCoeffCount, type GaussianCloud } from '../core/GaussianCloud';
import { fail } from './FormatError';
import { MAX_SPLATS } from './splatTransform';

/**
 * Reader of glTF 2.0 binary (.glb) files with KHR_gaussian_splatting (Khronos, github.com/KhronosGroup/
 * glTF/tree/main/extensions/2.0/Khronos/KHR_gaussian_splatting). @playcanvas/splat-transform writes these
 * but has no reader, so this small one is ours.
 *
 * GLB container (glTF 2.0 spec, "Binary glTF Layout"): 12-byte header (magic "glTF" 0x46546c67, version 2,
 * total length), a JSON chunk (type 0x4e4f534a), then a BIN chunk (type 0x004e4942). The first mesh
 * primitive (mode 0, POINTS) that carries the extension (or KHR_gaussian_splatting:* attributes) holds
 * the splats: POSITION (VEC3), KHR_gaussian_splatting:ROTATION (VEC4 x y z w), :SCALE (VEC3, linear),
 * :OPACITY (SCALAR, linear 0-1), :SH_DEGREE_0_COEF_0 (VEC3 DC) and :SH_DEGREE_l_COEF_c for l = 1..3
 * (VEC3 per coefficient, rgb). Without SH_DEGREE_0 the COLOR_0 attribute gives the base colour.
 * Accessors may be float, or normalized (u)int8/(u)int16 as KHR_mesh_quantization allows; byteStride
 * is honoured; sparse accessors and node transforms are not supported (node transforms are ignored).
 *
 * Axes: glTF is y-up. Like splat-transform (whose writer bakes the PLY-to-engine transform, a 180 degree
 * rotation about z), we map glTF to our INRIA PLY axes by that rotation: (x, y, z) -> (-x, -y, z), the
 * quaternion is pre-multiplied by (w 0, x 0, y 0, z 1) and each SH coefficient takes the sign of its
 * monomial's parity in x and y (GLTF_SH_SIGN).
 */

const GLB_MAGIC = 0x46546c67;
const CHUNK_JSON = 0x4e4f534a;
const CHUNK_BIN = 0x004e4942;
const PREFIX = 'KHR_gaussian_splatting:';

/** Sign of SH coefficients 1..15 (3DGS order) under (x, y, z) -> (-x, -y, z). */
export const GLTF_SH_SIGN = [-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1];

/** True when the bytes start with the GLB magic "glTF". */
export function hasGlbMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x67 && bytes[1] === 0x6c && bytes[2] === 0x54 && bytes[3] === 0x46;
}

interface Accessor {
  bufferView?: number;
  byteOffset?: number;
  componentType: number;
  normalized?: boolean;
  count: number;
  type: string;
  sparse?: unknown;
}
interface BufferView {
  buffer: number;
  byteOffset?: number;
  byteLength: number;
  byteStride?: number;
}
interface Gltf {
  asset?: { version?: string };
  buffers?: { byteLength: number; uri?: string }[];
  bufferViews?: BufferView[];
  accessors?: Accessor[];
  meshes?: { primitives?: { attributes?: Record<string, number>; extensions?: Record<string, unknown> }[] }[];
}

const COMPONENTS: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4 };
const COMPONENT_BYTES: Record<number, number> = { 5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4 };

/** Reads accessor `index` as floats (normalized integers mapped to [0,1] / [-1,1]). */
function readAccessor(file: string, gltf: Gltf, bin: Uint8Array, index: number, attr: string, count: number, width: number): Float32Array {
  const field = `attribute ${attr}`;
  const acc = gltf.accessors?.[index];
  if (!acc || typeof acc !== 'object') fail(file, field, `accessor ${index} does not exist`);
  if (acc.sparse) fail(file, field, 'sparse accessors are not supported');
  if (COMPONENTS[acc.type] !== width) fail(file, field, `type ${acc.type}; expected ${width === 1 ? 'SCALAR' : `VEC${width}`}`);
  if (acc.count !== count) fail(file, field, `count ${acc.count} differs from POSITION's ${count}`);
  const cb = COMPONENT_BYTES[acc.componentType];
  if (!cb || acc.componentType === 5125) fail(file, field, `unsupported componentType ${acc.componentType}`);
  if (acc.componentType !== 5126 && !acc.normalized) fail(file, field, 'integer components must be normalized');
  const view = gltf.bufferViews?.[acc.bufferView ?? -1];
  if (!view) fail(file, field, `bufferView ${acc.bufferView} does not exist`);
  if (view.buffer !== 0) fail(file, field, 'only the GLB binary chunk (buffer 0) is supported');
  const elem = cb * width;
  const stride = view.byteStride || elem;
  if (stride < elem) fail(file, field, `byteStride ${stride} is smaller than an element (${elem} bytes)`);
  const start = (view.byteOffset ?? 0) + (acc.byteOffset ?? 0);
  const need = count > 0 ? start + stride * (count - 1) + elem : start;
  const viewEnd = (view.byteOffset ?? 0) + view.byteLength;
  if (!Number.isInteger(start) || start < 0 || need > viewEnd || viewEnd > bin.length) {
    fail(file, field, `${count} elements need ${need} bytes, the buffer has ${Math.min(viewEnd, bin.length)}`);
  }
  const dv = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const out = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    const o = start + i * stride;
    for (let k = 0; k < width; k++) {
      const p = o + k * cb;
      let v: number;
      switch (acc.componentType) {
        case 5126: v = dv.getFloat32(p, true); break;
        case 5121: v = dv.getUint8(p) / 255; break;
        case 5123: v = dv.getUint16(p, true) / 65535; break;
        case 5120: v = Math.max(dv.getInt8(p) / 127, -1); break;
        default: v = Math.max(dv.getInt16(p, true) / 32767, -1);
      }
      if (!Number.isFinite(v)) fail(file, field, `non-finite value ${v} at splat ${i}`);
      out[i * width + k] = v;
    }
  }
  return out;
}

/**
 * Decodes a .glb with KHR_gaussian_splatting into a raw cloud in INRIA PLY axes (log-scales, logit
 * opacities, wxyz quaternions, SH [coef][rgb]).
 * @throws FormatError naming the file and the field (header, chunk, JSON path or attribute) on
 *   malformed, truncated or unsupported input.
 */
export function readGltfSplat(file: string, bytes: Uint8Array): GaussianCloud {
  if (bytes.length < 12) fail(file, 'header', `${bytes.length} bytes; a GLB needs a 12-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== GLB_MAGIC) fail(file, 'header magic', 'not a binary glTF (magic is not "glTF")');
  const version = dv.getUint32(4, true);
  if (version !== 2) fail(file, 'header version', `glTF ${version}; expected 2`);
  const length = dv.getUint32(8, true);
  if (length > bytes.length) fail(file, 'header length', `${length} bytes declared, the file has ${bytes.length} (truncated?)`);
  let json: Uint8Array | undefined;
  let bin: Uint8Array | undefined;
  for (let o = 12; o < length; ) {
    if (o + 8 > length) fail(file, `chunk at ${o}`, 'truncated chunk header');
    const len = dv.getUint32(o, true);
    const type = dv.getUint32(o + 4, true);
    if (o + 8 + len > length) fail(file, `chunk at ${o}`, `${len} bytes run past the end of the file`);
    const data = bytes.subarray(o + 8, o + 8 + len);
    if (type === CHUNK_JSON && !json) json = data;
    else if (type === CHUNK_BIN && !bin) bin = data;
    o += 8 + ((len + 3) & ~3);
  }
  if (!json) fail(file, 'JSON chunk', 'missing');
  let gltf: Gltf;
  try {
    gltf = JSON.parse(new TextDecoder().decode(json)) as Gltf;
  } catch (e) {
    fail(file, 'JSON chunk', `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!gltf || typeof gltf !== 'object') fail(file, 'JSON chunk', 'is not a JSON object');
  let attrs: Record<string, number> | undefined;
  for (const mesh of Array.isArray(gltf.meshes) ? gltf.meshes : []) {
    for (const prim of Array.isArray(mesh?.primitives) ? mesh.primitives : []) {
      const a = prim?.attributes;
      if (a && typeof a === 'object' && (prim.extensions?.KHR_gaussian_splatting || Object.keys(a).some((k) => k.startsWith(PREFIX)))) {
        attrs = a;
        break;
      }
    }
    if (attrs) break;
  }
  if (!attrs) fail(file, 'meshes', 'no primitive with KHR_gaussian_splatting');
  if (!bin) fail(file, 'BIN chunk', 'missing');
  for (const name of ['POSITION', `${PREFIX}ROTATION`, `${PREFIX}SCALE`, `${PREFIX}OPACITY`]) {
    if (typeof attrs[name] !== 'number') fail(file, `attribute ${name}`, 'missing');
  }
  const n = gltf.accessors?.[attrs.POSITION]?.count;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) fail(file, 'attribute POSITION', `count ${JSON.stringify(n)} is not a valid count`);
  if (n > MAX_SPLATS) fail(file, 'attribute POSITION', `count ${n} exceeds the ${MAX_SPLATS} limit`);
  let degree = 0;
  while (degree < 3 && typeof attrs[`${PREFIX}SH_DEGREE_${degree + 1}_COEF_0`] === 'number') degree++;
  const read = (name: string, width: number) => readAccessor(file, gltf, bin, attrs[name], name, n, width);
  const pos = read('POSITION', 3);
  const rot = read(`${PREFIX}ROTATION`, 4);
  const scale = read(`${PREFIX}SCALE`, 3);
  const opacity = read(`${PREFIX}OPACITY`, 1);
  const K = shCoeffCount(degree);
  const cloud = createGaussianCloud(n, degree);
  const dcName = `${PREFIX}SH_DEGREE_0_COEF_0`;
  let dc: Float32Array;
  if (typeof attrs[dcName] === 'number') dc = read(dcName, 3);
  else if (typeof attrs.COLOR_0 === 'number') {
    const w = COMPONENTS[gltf.accessors?.[attrs.COLOR_0]?.type ?? ''] === 4 ? 4 : 3;
    const c = read('COLOR_0', w);
    dc = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) dc[i * 3 + k] = (c[i * w + k] - 0.5) / 0.28209479177387814;
  } else fail(file, `attribute ${dcName}`, 'missing (and no COLOR_0)');
  for (let i = 0; i < n; i++) {
    cloud.means[i * 3] = -pos[i * 3];
    cloud.means[i * 3 + 1] = -pos[i * 3 + 1];
    cloud.means[i * 3 + 2] = pos[i * 3 + 2];
    for (let k = 0; k < 3; k++) {
      const s = scale[i * 3 + k];
      if (s < 0) fail(file, `attribute ${PREFIX}SCALE`, `negative scale ${s} at splat ${i}`);
      cloud.logScales[i * 3 + k] = Math.log(Math.max(s, 1e-12));
      cloud.sh[i * K * 3 + k] = dc[i * 3 + k];
    }
    // glTF (x, y, z, w); rotate by r = 180 degrees about z: r * q = (-z, -y, x, w) as (w, x, y, z).
    const [x, y, z, w] = [rot[i * 4], rot[i * 4 + 1], rot[i * 4 + 2], rot[i * 4 + 3]];
    cloud.quats[i * 4] = -z;
    cloud.quats[i * 4 + 1] = -y;
    cloud.quats[i * 4 + 2] = x;
    cloud.quats[i * 4 + 3] = w;
    cloud.logitOpacities[i] = logit(opacity[i]);
  }
  let coef = 1;
  for (let l = 1; l <= degree; l++) {
    for (let c = 0; c < 2 * l + 1; c++, coef++) {
      const name = `${PREFIX}SH_DEGREE_${l}_COEF_${c}`;
      if (typeof attrs[name] !== 'number') fail(file, `attribute ${name}`, `missing (SH degree ${degree} needs it)`);
      const v = read(name, 3);
      const sign = GLTF_SH_SIGN[coef - 1];
      for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) cloud.sh[i * K * 3 + coef * 3 + k] = sign * v[i * 3 + k];
    }
  }
  return cloud;
}
