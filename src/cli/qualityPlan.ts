/**
 * What `npm run bench:quality` runs, worked out from its arguments without touching the GPU or the
 * scenes' images: which scenes (short names or paths), each scene's protocol (views, resolution,
 * background, load options), the recipes and their overrides, and the per-recipe means over scenes.
 * Kept apart from the CLI so that unit tests can check it cheaply.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import type { SceneFormat } from '../io/loadScene';
import type { LoadOptions } from '../io/sceneAssembly';
import type { ViewScore } from '../eval/evaluate';
import { ADAPTER_OPTION, ADAPTER_USAGE, intArg, sizeArg } from './args';

/** Short scene names of `--scenes` -> folder names under the scenes root (../shared/data/scenes). */
export const SCENE_FOLDERS: Record<string, string> = { fern: 'llff-fern', flower: 'llff-flower', lego: 'blender-lego', 'lego-wide': 'blender-lego' };

/** Short names that run their folder under another protocol than its format's. */
export const SCENE_PROTOCOLS: Record<string, QualityProtocol['id']> = { 'lego-wide': 'blenderWide' };

/** Default scenes root, relative to the working directory (the repository root under npm run). */
export const DEFAULT_SCENES_ROOT = path.join('..', 'shared', 'data', 'scenes');

/** A sparse-view protocol as the benchmark runs it. */
export interface QualityProtocol {
  id: 'llff' | 'blender' | 'blenderWide' | 'even';
  /** Training views. */
  views: number;
  /** Resolution (WxH) the protocol scores at, and that of the `--cpu` preset. */
  size: [number, number];
  cpuSize: [number, number];
  /** LLFF: the images_N folder (or the shrink factor of the full-size images). */
  downscale?: number;
  /** RGB the RGBA photos are composited over (training and evaluation alike); undefined = loader's default (black). */
  background?: [number, number, number];
  /** How the split is made, as printed in the JSON. */
  description: string;
}

export const PROTOCOLS: Record<QualityProtocol['id'], QualityProtocol> = {
  llff: {
    id: 'llff',
    views: 3,
    size: [504, 378],
    cpuSize: [252, 189],
    downscale: 8,
    description: 'LLFF 3-view (RegNeRF/DNGaussian/FSGS): images_8 (504x378); test = index % 8 == 0; train = round(linspace(0, n_rest-1, k)) of the rest',
  },
  blender: {
    id: 'blender',
    views: 8,
    size: [400, 400],
    cpuSize: [200, 200],
    background: [1, 1, 1],
    description: 'Blender 8-view (DietNeRF/FreeNeRF): train ids [2, 16, 26, 55, 73, 76, 86, 93] of transforms_train.json; test = every 8th frame of transforms_test.json (r_0, r_8, ..., r_192); 400x400 (800/2); RGBA over white',
  },
  blenderWide: {
    id: 'blenderWide',
    views: 3,
    size: [400, 400],
    cpuSize: [200, 200],
    background: [1, 1, 1],
    description: 'Blender wide baseline (issue 11): the 3 frames of transforms_train.json whose directions from the origin are most spread out (largest smallest pairwise angle; lego: r_0, r_10, r_95, about 120 degrees apart), test = every 8th frame of transforms_test.json; 400x400; RGBA over white',
  },
  even: {
    id: 'even',
    views: 3,
    size: [504, 378],
    cpuSize: [252, 189],
    description: 'user scene: k evenly spaced training views (round(linspace(0, n-1, k))), the others tested; long side 504',
  },
};

/** Published means at these protocols (PSNR / SSIM / LPIPS), for the JSON (../shared/data/README.md, issue 11). */
export const PUBLISHED = {
  llff3View8Scenes: {
    vanilla3dgsRandomInit: { psnr: 15.52 },
    vanilla3dgsMvsInit: { psnr: 19.22, ssim: 0.649, lpips: 0.229 },
    dnGaussian: { psnr: 19.12, ssim: 0.591, lpips: 0.294 },
    fsgs: { psnr: 20.31, ssim: 0.652, lpips: 0.288 },
    corGs: { psnr: 20.45, ssim: 0.712, lpips: 0.196 },
  },
  blender8View: {
    vanilla3dgs: { psnr: [21.56, 23.2] },
    fsgs: { psnr: 24.64, ssim: 0.895, lpips: 0.095 },
    dnGaussian: { psnr: 24.31, ssim: 0.886, lpips: 0.088 },
    corGs: { psnr: 24.43, ssim: 0.896, lpips: 0.084 },
  },
};

/** `--cpu`: 200 steps, schedules shortened alike for every recipe, fewer initial Gaussians; resolution per protocol (cpuSize). */
export const CPU_PRESET = {
  iters: '200',
  set: ['randomCount=5000', 'initBlock=3', 'coherentSteps=70', 'strategy.refineStart=70', 'strategy.refineEvery=40'],
};

export const HELP = `usage: npm run bench:quality -- [options]
Sparse-view quality benchmark: trains each recipe on each scene's protocol training views and scores
the held-out views. Prints one JSON object on stdout; progress goes to stderr.
  --scenes LIST     short names, comma-separated: ${Object.entries(SCENE_FOLDERS).map(([k, v]) => `${k} (${v})`).join(', ')}
                    (default all; folders under --scenes-root; absent ones are reported as skipped)
  --scenes-root DIR where the named scenes live (default ${DEFAULT_SCENES_ROOT})
  --scene PATH      any LLFF or Blender folder (or zip) under its protocol (repeatable); given alone,
                    only these run; with --scenes, both
  --recipes LIST    recipes, comma-separated (default vanilla,sparse)
  --cpu             short preset for machines without a GPU: LLFF 252x189, Blender 200x200, ${CPU_PRESET.iters} steps,
                    ${CPU_PRESET.set.join(' ')}
  --size WxH        override every scene's resolution (images shrunk to this long side)
  --views N         override every scene's training view count (default: LLFF 3, Blender 8)
  --iters N         optimizer steps for every recipe (default: the recipe's, or the preset's)
  --set KEY=VALUE   override a recipe setting for every recipe (repeatable, after the preset's)
  --lpips FILE      also score LPIPS with this ONNX model
  --renders DIR     write each held-out view's render beside its photo, DIR/<scene>-<recipe>/<name>.png
${ADAPTER_USAGE}
  -h, --help        this text
Protocols:
${Object.values(PROTOCOLS).map((p) => `  ${p.id}: ${p.description}`).join('\n')}`;

/** One scene the benchmark is asked to run. */
export interface PlannedScene {
  /** Key in the JSON's `scenes` (the short name, or the folder name of a --scene path). */
  key: string;
  path: string;
  /** Protocol to run under instead of the one the scene's format implies (SCENE_PROTOCOLS). */
  protocol?: QualityProtocol['id'];
}

/** The parsed command line. */
export interface QualityPlan {
  help: boolean;
  scenes: PlannedScene[];
  recipes: string[];
  cpu: boolean;
  /** --size: [W, H] for every scene. */
  size?: [number, number];
  views?: number;
  iters?: number;
  /** Recipe overrides in the order they apply: the preset's, then --set, then iterations. */
  overrides: string[];
  /** --set as given. */
  set: string[];
  lpips?: string;
  /** --renders: folder for the side-by-side renders of the held-out views. */
  renders?: string;
  adapter?: string;
}

/**
 * Parses bench:quality's arguments (process.argv.slice(2); a leading `--` is dropped).
 * @throws Error naming the option for unknown scene names, bad sizes or counts, and unknown options.
 */
export function parseQualityArgs(argv: string[]): QualityPlan {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const { values } = parseArgs({
    args,
    options: {
      scenes: { type: 'string' },
      'scenes-root': { type: 'string', default: DEFAULT_SCENES_ROOT },
      scene: { type: 'string', multiple: true, default: [] },
      size: { type: 'string' },
      views: { type: 'string' },
      iters: { type: 'string' },
      recipes: { type: 'string', default: 'vanilla,sparse' },
      set: { type: 'string', multiple: true, default: [] },
      lpips: { type: 'string' },
      renders: { type: 'string' },
      cpu: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...ADAPTER_OPTION,
    },
  });
  const paths = values.scene as string[];
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  const names = values.scenes !== undefined ? list(values.scenes) : paths.length ? [] : Object.keys(SCENE_FOLDERS);
  if (values.scenes !== undefined && names.length === 0) throw new Error('--scenes: expected a comma-separated list of scene names');
  const scenes: PlannedScene[] = [];
  const used = new Set<string>();
  const add = (key: string, p: string, protocol?: QualityProtocol['id']) => {
    let k = key;
    for (let i = 2; used.has(k); i++) k = `${key}-${i}`;
    used.add(k);
    scenes.push(protocol ? { key: k, path: p, protocol } : { key: k, path: p });
  };
  for (const n of names) {
    // Either the short name or the folder name itself (llff-fern).
    const short = SCENE_FOLDERS[n] ? n : Object.keys(SCENE_FOLDERS).find((k) => SCENE_FOLDERS[k] === n);
    if (!short) throw new Error(`--scenes: unknown scene "${n}" (known: ${Object.keys(SCENE_FOLDERS).join(', ')}; use --scene PATH for any folder)`);
    add(short, path.resolve(values['scenes-root']!, SCENE_FOLDERS[short]), SCENE_PROTOCOLS[short]);
  }
  for (const p of paths) add(path.basename(p.replace(/[/\\]+$/, '')).replace(/\.zip$/i, '') || p, path.resolve(p));
  const recipes = list(values.recipes!);
  if (recipes.length === 0) throw new Error('--recipes: expected a comma-separated list of recipe names');
  const iters = intArg('iters', values.iters ?? (values.cpu ? CPU_PRESET.iters : undefined));
  const set = values.set as string[];
  const overrides = [...(values.cpu ? CPU_PRESET.set : []), ...set, ...(iters !== undefined ? [`iterations=${iters}`] : [])];
  return {
    help: values.help!,
    scenes,
    recipes,
    cpu: values.cpu!,
    size: values.size !== undefined ? sizeArg('size', values.size) : undefined,
    views: intArg('views', values.views),
    iters,
    overrides,
    set,
    lpips: values.lpips,
    renders: values.renders,
    adapter: values.adapter,
  };
}

/** The protocol a detected scene format runs under (COLMAP and other user scenes: even split). */
export function protocolFor(format: SceneFormat | undefined): QualityProtocol {
  if (format === 'llff') return PROTOCOLS.llff;
  if (format === 'blender') return PROTOCOLS.blender;
  return PROTOCOLS.even;
}

/** Resolution a scene runs at: --size, else the --cpu preset's, else the protocol's. */
export function sceneSize(protocol: QualityProtocol, plan: Pick<QualityPlan, 'size' | 'cpu'>): [number, number] {
  return plan.size ?? (plan.cpu ? protocol.cpuSize : protocol.size);
}

/** Loader options for a scene under its protocol (the long side of sceneSize bounds the images). */
export function loadOptionsFor(protocol: QualityProtocol, plan: Pick<QualityPlan, 'size' | 'cpu'>): LoadOptions {
  const opts: LoadOptions = { maxLongSide: Math.max(...sceneSize(protocol, plan)) };
  if (protocol.downscale) opts.downscale = protocol.downscale;
  if (protocol.background) opts.background = protocol.background;
  return opts;
}

/** What one recipe scored on one scene. */
export interface RecipeResult {
  psnr: number;
  ssim: number;
  lpips?: number;
  perView: ViewScore[];
  trainSeconds: number;
  initSeconds: number;
  iterations: number;
  gaussians: number;
  /** The initialization scored on the same test views before step 0, the depth prior's confident fraction of training pixels (null without one), and the fraction filled from the visual hull (Recipe.hullPrior; null when it did not run). */
  init?: { psnr: number; ssim: number; priorCoverage: number | null; hullFill?: number | null; depthFill?: number | null; hullNote?: string };
  /** When the recipe's environment completed the renders (Recipe.environment): the same test views scored without it. */
  withoutEnvironment?: { psnr: number; ssim: number; perViewPsnr: number[] };
}

/**
 * Per-recipe mean of PSNR / SSIM (/ LPIPS when every scene has it), train time and Gaussians over the
 * scenes given that have that recipe's result; scenes that failed (`error`) are left out. Each mean
 * lists the scenes it covers.
 */
export function meanOverScenes(
  scenes: Record<string, { results?: Record<string, RecipeResult>; error?: string }>,
  recipes: string[],
): Record<string, { scenes: string[]; psnr: number; ssim: number; lpips?: number; trainSeconds: number; gaussians: number }> {
  const out: ReturnType<typeof meanOverScenes> = {};
  for (const r of recipes) {
    const rows = Object.entries(scenes).filter(([, s]) => !s.error && s.results?.[r]).map(([k, s]) => [k, s.results![r]] as const);
    if (rows.length === 0) continue;
    const mean = (f: (x: RecipeResult) => number) => rows.reduce((a, [, x]) => a + f(x), 0) / rows.length;
    out[r] = { scenes: rows.map(([k]) => k), psnr: mean((x) => x.psnr), ssim: mean((x) => x.ssim), trainSeconds: mean((x) => x.trainSeconds), gaussians: mean((x) => x.gaussians) };
    if (rows.every(([, x]) => x.lpips !== undefined)) out[r].lpips = mean((x) => x.lpips!);
  }
  return out;
}
