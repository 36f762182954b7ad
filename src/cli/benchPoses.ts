/**
 * `npm run bench:poses [-- --scenes fern,flower,lego] [--scene PATH] [--views LIST] [--max-long-side N]`
 *
 * Pose estimation from unposed photos, against ground truth, as JSON on stdout (progress on stderr).
 * Each scene is loaded with its poses (LLFF images_8 at 504x378; Blender at 400x400 over white), the
 * poses are hidden, and estimatePoses (src/poses) runs on the decoded photos of each case:
 *   - `train`: the protocol's training views (LLFF 3 views, Blender 8 views; src/eval/protocol.ts),
 *   - `all`: every view (LLFF scenes only; Blender's 100+ train frames are beyond the 3-10 photo scope),
 *   - or the views of `--views` (comma-separated indices into the loaded scene) instead of both.
 * LLFF photos at their images_8 size carry their files' EXIF (the focal from FocalLengthIn35mmFormat);
 * the others (decoded pixels, or resized) start from the 55-degree default; bundle adjustment refines it
 * with a soft prior towards the initial focal (--focal-sigma). Reported per case: registered / failed photos with their reasons,
 * rotation error after a Sim(3) alignment of the full poses (sim3.ts alignPoses: rotation = chordal
 * mean of the cameras' alignment rotations, scale and offset from the centres), and again after the
 * centre-only Umeyama alignment (`centreAligned`), relative rotation error,
 * translation-direction error (degrees), focal error (%), reprojection RMS (pixels), point count,
 * per-stage times (ms) and the total. Not yet reported: the held-out PSNR of training on estimated
 * poses against ground-truth poses (issue 12 point 6's second half).
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { loadScenePath } from '../io/nodeSource';
import { splitForScene } from '../eval/protocol';
import type { Scene } from '../core/Scene';
import { imageToRGBA8 } from '../core/Image';
import { estimatePoses, type PhotoInput } from '../poses/estimatePoses';
import { poseErrors } from '../poses/sim3';
import { FOCAL_PRIOR_SIGMA } from '../poses/reconstructFromMatches';
import type { SfmOptions } from '../poses/types';

const SCENES: Record<string, string> = { fern: 'llff-fern', flower: 'llff-flower', lego: 'blender-lego' };
const ROOT = path.resolve('..', 'shared', 'data', 'scenes');

const HELP = `npm run bench:poses -- [options]    (prints JSON: pose errors and times of estimatePoses vs ground truth)
  --scenes LIST        fern, flower, lego (default all three; absent folders are reported as skipped)
  --scene PATH         any LLFF / Blender / COLMAP folder with ground-truth poses (repeatable)
  --views LIST         comma-separated view indices (into the loaded scene) instead of the train / all cases
  --max-long-side N    long side of the loaded photos in pixels (default: LLFF 504, Blender 400, others 504)
  --focal-sigma K,F    bundle adjustment's focal prior, relative sigma of log f for an EXIF focal (K) and the
                       55-degree fallback (F); "inf" leaves it free, 0 holds it fixed (default ${FOCAL_PRIOR_SIGMA.known},${FOCAL_PRIOR_SIGMA.fallback})
  -h, --help           this text`;

/**
 * Loaded photos as estimatePoses inputs: float sRGB-encoded RGB -> 8-bit RGBA, with the file's bytes
 * (for its EXIF focal) when `exifDir` holds a file of that name and size (LLFF's images_8).
 */
function photosOf(scene: Scene, views: number[], exifDir?: string): PhotoInput[] {
  return views.map((v) => {
    const im = scene.images[v];
    const rgba = imageToRGBA8(im);
    const name = scene.imageNames[v] ?? `view ${v}`;
    const file = exifDir ? path.join(exifDir, name) : '';
    const bytes = file && fs.existsSync(file) ? new Uint8Array(fs.readFileSync(file)) : undefined;
    return { name, image: { width: im.width, height: im.height, rgba }, bytes };
  });
}

const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
const max = (a: number[]) => (a.length ? Math.max(...a) : NaN);
const r3 = (x: number) => Number(x.toFixed(3));

async function runCase(scene: Scene, label: string, views: number[], exifDir: string | undefined, sfm: SfmOptions) {
  const t0 = performance.now();
  let lastStage = '';
  const est = await estimatePoses(photosOf(scene, views, exifDir), {
    ...sfm,
    onProgress: (stage) => {
      if (stage !== lastStage) console.error(`[${scene.name}/${label}] ${stage}`);
      lastStage = stage;
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const reg = views.map((_, k) => k).filter((k) => est.cameras[k]);
  const out: Record<string, unknown> = {
    case: label,
    views,
    names: views.map((v) => scene.imageNames[v]),
    registered: reg.length,
    failures: est.failures,
    intrinsicsSource: est.intrinsics.map((i) => i.source),
    initialFocalPx: r3(est.intrinsics[0].focalPx),
    keypoints: est.stats.keypoints,
    rmsPx: r3(est.report.rmsPx),
    points: est.report.points,
    timingsMs: Object.fromEntries(Object.entries({ ...est.stats.timingsMs, ...est.report.timingsMs }).map(([k, v]) => [k, Math.round(v)])),
    seconds: r3(seconds),
  };
  if (reg.length >= 2) {
    const e = poseErrors(
      reg.map((k) => ({ R: est.cameras[k]!.R, t: est.cameras[k]!.t, focal: est.cameras[k]!.fx })),
      reg.map((k) => ({ R: scene.cameras[views[k]].R, t: scene.cameras[views[k]].t, focal: scene.cameras[views[k]].fx })),
    );
    Object.assign(out, {
      alignment: 'pose (sim3.ts alignPoses: chordal mean of the camera rotations, scale and offset from the centres)',
      rotationErrorDeg: { mean: r3(mean(e.rotationDeg)), max: r3(max(e.rotationDeg)) },
      relativeRotationErrorDeg: { mean: r3(mean(e.relativeRotationDeg)), max: r3(max(e.relativeRotationDeg)) },
      translationDirectionErrorDeg: { mean: r3(mean(e.translationDirectionDeg)), max: r3(max(e.translationDirectionDeg)) },
      centreErrorRelative: { mean: r3(mean(e.centerErrorRelative)), max: r3(max(e.centerErrorRelative)) },
      centreAligned: e.centreAligned
        ? {
            alignment: 'camera centres only (sim3.ts umeyama)',
            rotationErrorDeg: { mean: r3(mean(e.centreAligned.rotationDeg)), max: r3(max(e.centreAligned.rotationDeg)) },
            translationDirectionErrorDeg: { mean: r3(mean(e.centreAligned.translationDirectionDeg)), max: r3(max(e.centreAligned.translationDirectionDeg)) },
            centreErrorRelative: { mean: r3(mean(e.centreAligned.centerErrorRelative)), max: r3(max(e.centreAligned.centerErrorRelative)) },
          }
        : null,
      focalErrorPercent: { mean: r3(mean(e.focalErrorPercent)), max: r3(max(e.focalErrorPercent)) },
      focalPx: { estimated: r3(est.cameras[reg[0]]!.fx), truth: r3(scene.cameras[views[reg[0]]].fx) },
    });
  }
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenes: { type: 'string' },
      scene: { type: 'string', multiple: true, default: [] },
      views: { type: 'string' },
      'max-long-side': { type: 'string' },
      'focal-sigma': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const named = (values.scenes ?? (values.scene.length ? '' : 'fern,flower,lego')).split(',').filter(Boolean);
  for (const n of named) if (!SCENES[n]) throw new Error(`bench:poses: --scenes: unknown scene "${n}" (known: ${Object.keys(SCENES).join(', ')})`);
  const views = values.views?.split(',').map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`bench:poses: --views: "${v}" is not a view index`);
    return n;
  });
  const longSide = values['max-long-side'] !== undefined ? Number(values['max-long-side']) : undefined;
  if (longSide !== undefined && !(Number.isInteger(longSide) && longSide >= 16)) throw new Error(`bench:poses: --max-long-side must be an integer >= 16, got ${values['max-long-side']}`);
  let focalPriorSigma = { ...FOCAL_PRIOR_SIGMA };
  if (values['focal-sigma'] !== undefined) {
    const parts = values['focal-sigma'].split(',').map((x) => (x.trim().toLowerCase() === 'inf' ? Infinity : Number(x)));
    if (parts.length !== 2 || !parts.every((x) => x >= 0)) throw new Error(`bench:poses: --focal-sigma needs two numbers >= 0 or "inf" (EXIF,fallback), got ${values['focal-sigma']}`);
    focalPriorSigma = { known: parts[0], fallback: parts[1] };
  }
  const targets = [...named.map((n) => ({ key: n, dir: path.join(ROOT, SCENES[n]) })), ...values.scene.map((p) => ({ key: path.basename(p), dir: path.resolve(p) }))];
  const results: Record<string, unknown> = {};
  let failed = false;
  for (const { key, dir } of targets) {
    if (!fs.existsSync(dir)) {
      results[key] = { skipped: `scene folder ${dir} is absent (see ../shared/data/README.md)` };
      continue;
    }
    try {
      const blender = fs.existsSync(path.join(dir, 'transforms_train.json'));
      const llff = fs.existsSync(path.join(dir, 'poses_bounds.npy'));
      const scene = await loadScenePath(dir, llff ? { downscale: 8, maxLongSide: longSide ?? 504 } : { maxLongSide: longSide ?? (blender ? 400 : 504) });
      const cases: [string, number[]][] = views
        ? [['views', views]]
        : [['train', splitForScene(scene, scene.protocol === 'blender' ? 8 : 3).train], ...(scene.protocol === 'llff' ? [['all', scene.cameras.map((_, i) => i)] as [string, number[]]] : [])];
      for (const v of cases[0][1]) if (v >= scene.cameras.length) throw new Error(`bench:poses: --views: view ${v} is out of range (${scene.cameras.length} views in ${dir})`);
      const out = [];
      for (const [label, vs] of cases) {
        try {
          out.push(await runCase(scene, label, vs, llff && !longSide ? path.join(dir, 'images_8') : undefined, { focalPriorSigma }));
        } catch (e) {
          failed = true;
          out.push({ case: label, views: vs, error: (e as Error).message });
          console.error(`[${key}/${label}] failed: ${(e as Error).message}`);
        }
      }
      results[key] = { path: dir, protocol: scene.protocol, resolution: [scene.images[0].width, scene.images[0].height], cases: out };
    } catch (e) {
      failed = true;
      results[key] = { path: dir, error: (e as Error).message };
      console.error(`[${key}] failed: ${(e as Error).message}`);
    }
  }
  const settings = { focalPriorSigma: { known: String(focalPriorSigma.known), fallback: String(focalPriorSigma.fallback) } };
  console.log(JSON.stringify({ benchmark: 'poses', settings, scenes: results }, null, 2));
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).message);
    process.exit(2);
  },
);
