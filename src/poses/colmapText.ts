import type { Camera } from '../core/Camera';
import type { PointCloud } from '../core/Scene';
import { rotationToQuat } from '../io/colmapModel';

/**
 * COLMAP text model writer (format: https://colmap.github.io/format.html#text-format).
 * cameras.txt: one camera per photo, SIMPLE_PINHOLE (f, cx, cy) when fx == fy, else PINHOLE
 * (fx, fy, cx, cy), in pixels of the photo's size. images.txt: IMAGE_ID QW QX QY QZ TX TY TZ
 * CAMERA_ID NAME, the world-to-camera rotation as a unit quaternion (w >= 0) and translation, which is
 * COLMAP's convention and the OpenCV one of src/core/Camera; then the POINTS2D line, left empty (we
 * do not keep the 2D-3D track table). points3D.txt: POINT3D_ID X Y Z R G B ERROR with 8-bit colours,
 * error 0 and an empty track. Numbers are printed with 17 significant digits (lossless float64).
 */
export interface ColmapTextFiles { 'cameras.txt': string; 'images.txt': string; 'points3D.txt': string }

const num = (v: number) => String(Number(v.toPrecision(17)));

/**
 * Writes cameras, their image names and sparse points as the three COLMAP text files.
 * @param cameras OpenCV world-to-camera cameras (Camera), one per image
 * @param names image file names, relative to the scene's `images/` folder
 * @param points optional sparse points (xyz world units, rgb sRGB [0,1])
 * @throws Error when names and cameras differ in count or a name is empty / has whitespace line breaks
 */
export function colmapTextModel(cameras: Camera[], names: string[], points?: PointCloud): ColmapTextFiles {
  if (names.length !== cameras.length) throw new Error(`colmapTextModel: ${cameras.length} cameras but ${names.length} names`);
  let cams = '# Camera list with one line of data per camera:\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n';
  cams += `# Number of cameras: ${cameras.length}\n`;
  let imgs = '# Image list with two lines of data per image:\n#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n#   POINTS2D[] as (X, Y, POINT3D_ID)\n';
  imgs += `# Number of images: ${cameras.length}, mean observations per image: 0\n`;
  cameras.forEach((c, k) => {
    const name = names[k];
    if (!name || /[\r\n]/.test(name)) throw new Error(`colmapTextModel: image ${k} has an empty or multi-line name`);
    const id = k + 1;
    cams += c.fx === c.fy
      ? `${id} SIMPLE_PINHOLE ${c.width} ${c.height} ${[c.fx, c.cx, c.cy].map(num).join(' ')}\n`
      : `${id} PINHOLE ${c.width} ${c.height} ${[c.fx, c.fy, c.cx, c.cy].map(num).join(' ')}\n`;
    const q = rotationToQuat(c.R);
    imgs += `${id} ${[...q, ...c.t].map(num).join(' ')} ${id} ${name}\n\n`;
  });
  let pts = '# 3D point list with one line of data per point:\n#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n';
  const n = points ? points.xyz.length / 3 : 0;
  pts += `# Number of points: ${n}, mean track length: 0\n`;
  for (let i = 0; i < n; i++) {
    const p = points!;
    const rgb = [0, 1, 2].map((c) => Math.round(Math.min(1, Math.max(0, p.rgb[i * 3 + c])) * 255));
    pts += `${i + 1} ${num(p.xyz[i * 3])} ${num(p.xyz[i * 3 + 1])} ${num(p.xyz[i * 3 + 2])} ${rgb.join(' ')} 0\n`;
  }
  return { 'cameras.txt': cams, 'images.txt': imgs, 'points3D.txt': pts };
}
