import { Camera } from '../core/Camera';
import type { PointCloud, Scene } from '../core/Scene';
import { basename, dirname, joinPath, type FileSource } from './FileSource';
import { fail } from './FormatError';
import { IMAGE_EXTENSIONS, isImagePath } from './imageDecode';
import { createPathResolver } from './pathResolver';
import { readColmapModel } from './colmapLoader';
import { readPly } from './plyFormat';
import { assembleScene, sceneName, requireFinite, type FrameSpec, type LoadOptions } from './sceneAssembly';
import type { Distortion } from './undistort';

/**
 * NeRF-synthetic "Blender" and nerfstudio `transforms.json` scenes (Mildenhall et al. 2020 data
 * release; nerfstudio `nerfstudio_dataparser.py`): per frame `file_path` (extension optional) and a
 * 4x4 camera-to-world `transform_matrix` in OpenGL axes (x right, y up, looking down -z). Intrinsics:
 * `camera_angle_x` (horizontal FoV, radians; `camera_angle_y` optional) or `fl_x, fl_y, cx, cy, w, h`,
 * at the top level or per frame; OPENCV distortion `k1, k2, (k3,) p1, p2` is undistorted.
 * `transforms_train.json` + `transforms_test.json` load as one scene (train frames first) with
 * Scene.imageSplits recording each frame's file (`transforms_val.json` is not loaded). Protocol 'blender', background white unless given.
 * `applied_transform` (nerfstudio: original COLMAP world -> this file's world) is applied to the
 * points3D of a COLMAP model next to the file (`colmap/sparse/0`, `sparse/0` or `sparse`); points from
 * `ply_file_path` are taken as already in this file's frame (nerfstudio writes them transformed).
 *
 * @param jsonPaths the transforms files, in the order their frames are concatenated
 * Image paths are found as createPathResolver describes: exactly, else by path tail, file name or
 * stem, so loose files (a browser pick without folders) and zips of another layout load too.
 *
 * @throws FormatError naming the file and field for invalid JSON, missing or non-finite matrices,
 *   missing or invalid intrinsics (e.g. `camera_angle_x` outside (0, pi)), unsupported camera
 *   models, missing images, and image names that match several files.
 */
export async function loadBlender(src: FileSource, jsonPaths: { path: string; split?: 'train' | 'val' | 'test' }[], opts: LoadOptions = {}): Promise<Scene> {
  const listed = new Set(src.list());
  const resolver = createPathResolver([...listed]);
  const frames: FrameSpec[] = [];
  let points: PointCloud | undefined;
  const background = opts.background ?? [1, 1, 1];
  for (const { path: jsonPath, split } of jsonPaths) {
    const file = `${src.name}/${jsonPath}`;
    let meta: any;
    try {
      meta = JSON.parse(new TextDecoder().decode(await src.read(jsonPath)));
    } catch (e) {
      fail(file, 'JSON', `cannot parse (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!meta || !Array.isArray(meta.frames)) fail(file, 'frames', 'missing "frames" array');
    const base = dirname(jsonPath);
    meta.frames.forEach((fr: any, i: number) => {
      const field = `frames[${i}]`;
      if (typeof fr?.file_path !== 'string') fail(file, `${field}.file_path`, 'missing');
      const m = fr.transform_matrix;
      if (!Array.isArray(m) || m.length < 3 || !m.slice(0, 3).every((row: any) => Array.isArray(row) && row.length === 4)) {
        fail(file, `${field}.transform_matrix`, 'expected a 4x4 (or 3x4) matrix');
      }
      const M = m.slice(0, 3).flat() as number[];
      requireFinite(file, `${field}.transform_matrix`, M);
      const get = (k: string): number | undefined => (fr[k] ?? meta[k]) as number | undefined;
      // Errors name the key where it was found: per frame, else at the top level.
      const key = (k: string): string => (fr[k] !== undefined && fr[k] !== null ? `${field}.${k}` : k);
      const model = (fr.camera_model ?? meta.camera_model ?? 'OPENCV') as string;
      if (model !== 'OPENCV' && model !== 'PINHOLE' && model !== 'SIMPLE_PINHOLE') {
        fail(file, `${field}.camera_model`, `unsupported camera model "${model}" (supported: OPENCV, PINHOLE)`);
      }
      const dist: Distortion = { k1: get('k1') ?? 0, k2: get('k2') ?? 0, k3: get('k3') ?? 0, p1: get('p1') ?? 0, p2: get('p2') ?? 0 };
      requireFinite(file, `${field} distortion k1 k2 k3 p1 p2`, [dist.k1, dist.k2, dist.k3!, dist.p1, dist.p2]);
      if (get('k4')) fail(file, `${field}.k4`, 'k4 (fisheye) distortion is not supported');
      const image = { written: fr.file_path as string, base, extensions: IMAGE_EXTENSIONS, accept: isImagePath, what: 'image' };
      // nerfstudio's images_N copies sit next to images/: use them when present.
      const downscaled = opts.downscale && opts.downscale > 1
        ? resolver.exact({ ...image, base: '', written: joinPath(base, fr.file_path).replace(/(^|\/)images\//, `$1images_${opts.downscale}/`) })
        : undefined;
      const path = downscaled ?? resolver.resolve({ file, field: `${field}.file_path` }, image);
      frames.push({
        path,
        name: basename(path),
        split,
        distortion: dist,
        // Intrinsics are checked below; what the Camera constructor can still refuse comes from the pose.
        sceneRef: { file, field: `${field}.transform_matrix` },
        makeCamera(width: number, height: number): Camera {
          const w = get('w');
          const h = get('h');
          let s = 1;
          if (w !== undefined || h !== undefined) {
            requireFinite(file, `${key('w')} ${key('h')}`, [w ?? NaN, h ?? NaN]);
            if (!(w! > 0 && h! > 0)) fail(file, `${key('w')} ${key('h')}`, `image size must be positive, got ${w}x${h}`);
            s = width / w!;
            if (Math.abs(height - h! * s) > 1 || (s !== 1 && !(opts.downscale && Math.abs(s * opts.downscale - 1) < 0.01))) {
              fail(`${src.name}/${path}`, 'image size', `${width}x${height} disagrees with the intrinsics w=${w}, h=${h} of ${jsonPath}`);
            }
          }
          // Focal lengths in pixels of the size the intrinsics were written for (w x h, else the image's).
          const focal = (lengthKey: string, angleKey: string, pixels: number): number | undefined => {
            const f = get(lengthKey);
            if (f !== undefined) {
              requireFinite(file, key(lengthKey), [f]);
              if (!(f > 0)) fail(file, key(lengthKey), `focal length must be positive (pixels), got ${f}`);
              return f;
            }
            const angle = get(angleKey);
            if (angle === undefined) return undefined;
            requireFinite(file, key(angleKey), [angle]);
            // tan(angle / 2) is positive and finite only for a field of view in (0, pi).
            if (!(angle > 0 && angle < Math.PI)) fail(file, key(angleKey), `field of view must be in (0, pi) radians, got ${angle}`);
            return pixels / s / (2 * Math.tan(angle / 2));
          };
          const fx = focal('fl_x', 'camera_angle_x', width);
          if (fx === undefined) fail(file, `${field} intrinsics`, 'needs fl_x or camera_angle_x');
          const fy = focal('fl_y', 'camera_angle_y', height) ?? fx;
          const cx = get('cx') ?? width / 2 / s;
          const cy = get('cy') ?? height / 2 / s;
          requireFinite(file, `${key('cx')} ${key('cy')}`, [cx, cy]);
          // OpenGL c2w (x right, y up, z back) -> OpenCV c2w: negate the y and z axis columns.
          const c2w = [M[0], -M[1], -M[2], M[3], M[4], -M[5], -M[6], M[7], M[8], -M[9], -M[10], M[11], 0, 0, 0, 1];
          return Camera.fromC2W(c2w, fx * s, fy * s, cx * s, cy * s, width, height, basename(path));
        },
      });
    });
    if (!points && typeof meta.ply_file_path === 'string') {
      const plyPath = resolver.resolve({ file, field: 'ply_file_path' }, { written: meta.ply_file_path, base, accept: (p) => p.toLowerCase().endsWith('.ply'), what: 'point cloud' });
      points = readPointPly(`${src.name}/${plyPath}`, await src.read(plyPath));
    }
    if (meta.applied_transform !== undefined) {
      const A = meta.applied_transform;
      if (!Array.isArray(A) || A.length < 3 || !A.slice(0, 3).every((r: any) => Array.isArray(r) && r.length === 4)) fail(file, 'applied_transform', 'expected a 3x4 matrix');
      requireFinite(file, 'applied_transform', A.slice(0, 3).flat());
      const modelDir = ['colmap/sparse/0', 'sparse/0', 'sparse'].map((d) => joinPath(base, d)).find((d) => listed.has(`${d}/points3D.bin`) || listed.has(`${d}/points3D.txt`));
      if (!points && modelDir) {
        points = (await readColmapModel(src, modelDir)).points;
        if (points) transformPoints(points.xyz, A);
      }
    }
  }
  if (frames.length === 0) fail(`${src.name}/${jsonPaths[0].path}`, 'frames', 'the scene lists no frames');
  return assembleScene(src, frames, { name: sceneName(src, dirname(jsonPaths[0].path)), protocol: 'blender', background, points }, opts);
}

/** Applies a row-major 3x4 transform to N*3 points in place. */
export function transformPoints(xyz: Float32Array, A: number[][]): void {
  for (let i = 0; i < xyz.length; i += 3) {
    const [x, y, z] = [xyz[i], xyz[i + 1], xyz[i + 2]];
    for (let r = 0; r < 3; r++) xyz[i + r] = A[r][0] * x + A[r][1] * y + A[r][2] * z + A[r][3];
  }
}

/**
 * Reads a point cloud PLY (vertex x y z, optional red green blue as uchar 0-255 or float 0-1).
 * @throws FormatError when x, y or z is missing or a value is not finite.
 */
export function readPointPly(file: string, bytes: Uint8Array): PointCloud {
  const { data } = readPly(file, bytes, ['vertex']);
  const v = data.get('vertex');
  if (!v) fail(file, 'element vertex', 'missing');
  const cols = ['x', 'y', 'z'].map((k) => v.get(k) ?? fail(file, `property ${k}`, 'missing required property in element vertex'));
  const n = cols[0].length;
  const xyz = new Float32Array(n * 3);
  const rgb = new Float32Array(n * 3).fill(0.5);
  const colours = ['red', 'green', 'blue'].map((k) => v.get(k));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      xyz[i * 3 + k] = cols[k][i];
      const c = colours[k];
      if (c) rgb[i * 3 + k] = c instanceof Uint8Array ? c[i] / 255 : c[i];
    }
  }
  requireFinite(file, 'vertex x y z', xyz);
  return { xyz, rgb };
}
