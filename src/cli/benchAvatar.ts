/**
 * Avatar retargeting benchmark: `npm run bench:avatar -- [--max-seconds S] [--noise M] [--latency S]
 * [--rate HZ] [--no-physics] [--physics key=value,...] [--procedural] [--clips substr,...] [--dir FOLDER]
 * [--md FILE]`.
 * CPU only (no WebGPU): `--adapter` is accepted like in the other CLIs and has no effect; the JSON says
 * `"adapter": "none (CPU only)"`.
 * Test clips: every BVH clip in ../shared/data/motion/bvh (Bandai Namco, CMU), or with --dir every
 * .bvh under FOLDER (recursive). Legs and pelvis come from a MotionLibrary: leave-one-clip-out over
 * the shared clips (the clip under test is never in its library); with --dir the library is all
 * shared clips (a --dir clip that is itself a shared clip is left out of the library).
 * --procedural runs the pipeline with the procedural stepping rig instead (the old estimator).
 * Pipeline per clip: three points (head and wrist joints) at --rate Hz (default 60) -> BodyEstimator
 * -> Retargeter -> PhysicsTracker for the human, dino and mouse; prints one JSON object (per clip,
 * per character, and summaries) and, with --md, writes markdown tables. The Quest 2 recording is
 * added without MPJPE (no ground truth; library: all shared clips). MPJPE of the estimated human
 * against the clip's skeleton (14 joints, BvhSource correspondence), world frame, pelvis-relative and
 * legs, for two body models: lengths from the head height alone, and the subject's own segment
 * lengths measured on the clip; plus the procedural rig's MPJPE (lengths from head height) for
 * comparison, and jitter (mean |third time derivative| of the 14 joints, m/s^3) of the estimate
 * and of the ground truth.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Vector3 } from 'three';
import { AvatarRig, type CharacterStats } from '../avatar/AvatarRig';
import { BodyEstimator } from '../avatar/BodyEstimator';
import { type BvhClip, loadBvhFile } from '../avatar/BvhClip';
import { BvhSource } from '../avatar/BvhSource';
import { makeCharacters } from '../avatar/Character';
import { jointIndex } from '../avatar/Character';
import { MPJPE_JOINTS, mpjpe } from '../avatar/metrics';
import { type ClipMotion, MotionLibrary, extractClipMotion } from '../avatar/MotionLibrary';
import { type PhysicsOptions, initPhysics } from '../avatar/PhysicsTracker';
import { QuestCsvSource } from '../avatar/QuestCsvSource';
import { joinNegativeValues, takeAdapterArg } from './args';

const NO_ADAPTER = 'none (CPU only)';
const LOWER = ['lHip', 'rHip', 'lKnee', 'rKnee', 'lAnkle', 'rAnkle'];

const USAGE = `npm run bench:avatar -- [options]    (prints JSON; CPU only)
  --max-seconds S   play at most S seconds of each clip (default: whole clips)
  --noise M         Gaussian noise on the three input points, metres (default 0)
  --latency S       input latency, seconds (default 0)
  --rate HZ         input rate (default 60)
  --no-physics      kinematic only (no PhysicsTracker)
  --physics LIST    PhysicsOptions overrides, comma-separated key=value (numbers or true/false),
                    e.g. contactResidual=false,maxAssist=0.25
  --procedural      the procedural stepping rig instead of motion matching
  --clips LIST      only clips whose path contains one of these comma-separated substrings
  --dir FOLDER      test every .bvh under FOLDER against a library of all shared clips (less any
                    shared clip with the same file name or the same bytes as the test clip)
  --md FILE         also write markdown tables to FILE
  --adapter NAME    accepted like the other CLIs; no effect (nothing here runs on WebGPU)
  -h, --help        this text`;

const OPTIONS = {
  'max-seconds': { type: 'string' },
  noise: { type: 'string' },
  latency: { type: 'string' },
  rate: { type: 'string' },
  'no-physics': { type: 'boolean' },
  physics: { type: 'string' },
  procedural: { type: 'boolean' },
  clips: { type: 'string' },
  dir: { type: 'string' },
  md: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * The command line, strict: an unknown option or a missing value is an error naming it (a typo
 * must not start a several-minute run with the defaults).
 */
function parseCli(): ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: false }>>['values'] {
  try {
    const valued = Object.entries(OPTIONS).filter(([, o]) => o.type === 'string').map(([k]) => k);
    return parseArgs({ args: joinNegativeValues(takeAdapterArg(process.argv.slice(2)), valued), options: OPTIONS, allowPositionals: false }).values;
  } catch (e) {
    throw new Error(`bench:avatar: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
}

function num(name: string, s: string | undefined, def: number, min: { gt?: number; ge?: number } = {}): number {
  if (s === undefined) return def;
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v)) throw new Error(`bench:avatar: --${name} expects a number, got '${s}'`);
  if (min.gt !== undefined && !(v > min.gt)) throw new Error(`bench:avatar: --${name} must be > ${min.gt}, got ${s}`);
  if (min.ge !== undefined && !(v >= min.ge)) throw new Error(`bench:avatar: --${name} must be >= ${min.ge}, got ${s}`);
  return v;
}

const r1 = (v: number): number => Math.round(v * 10) / 10;
const r2 = (v: number): number => Math.round(v * 100) / 100;

/** All .bvh files under a folder (recursive), sorted. */
function bvhFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...bvhFiles(p));
    else if (e.toLowerCase().endsWith('.bvh')) out.push(p);
  }
  return out;
}

/**
 * Jitter of a joint trajectory set: mean over frames and joints of |third finite difference| * rate^3
 * (m/s^3), the measure of AvatarPoser / AGRoL. Keeps the last three frames per joint.
 */
class JitterMeter {
  private hist: Vector3[][] = [];
  private sum = 0;
  private n = 0;
  constructor(private readonly rateHz: number) {}
  add(points: Vector3[]): void {
    this.hist.push(points.map((p) => p.clone()));
    if (this.hist.length > 4) this.hist.shift();
    if (this.hist.length < 4) return;
    const [a, b, c, d] = this.hist;
    for (let j = 0; j < points.length; j++) {
      const x = d[j].x - 3 * c[j].x + 3 * b[j].x - a[j].x;
      const y = d[j].y - 3 * c[j].y + 3 * b[j].y - a[j].y;
      const z = d[j].z - 3 * c[j].z + 3 * b[j].z - a[j].z;
      this.sum += Math.hypot(x, y, z) * this.rateHz ** 3;
      this.n++;
    }
  }
  get value(): number {
    return this.n ? this.sum / this.n : 0;
  }
}

const PHYSICS_KEYS = ['kp', 'kd', 'dt', 'maxAssist', 'contactResidual', 'hipTorque', 'resetVelocity', 'touchSupport', 'residualFriction', 'contactHeight', 'assistKp', 'assistKd', 'friction', 'soles', 'footMassFraction', 'pgsIterations', 'gravityCompensation', 'balanceGain', 'maxLean', 'stepping', 'swingLift', 'swingPlacement', 'swingPlacementVel', 'stanceTracking', 'stanceTrackingTime', 'swingGain', 'swingTouchStance'] as const;

/**
 * --physics: comma-separated key=value PhysicsOptions (numbers, or true / false for the switches).
 * @throws Error naming an unknown key or a value that is neither a number nor a boolean.
 */
function parsePhysicsOptions(s: string | undefined): PhysicsOptions {
  const out: Record<string, number | boolean> = {};
  for (const item of (s ?? '').split(',').filter((x) => x.trim() !== '')) {
    const [k, v] = item.split('=').map((x) => x.trim());
    if (!(PHYSICS_KEYS as readonly string[]).includes(k)) throw new Error(`bench:avatar: --physics: unknown option '${k}' (known: ${PHYSICS_KEYS.join(', ')})`);
    if (v === 'true' || v === 'false') out[k] = v === 'true';
    else if (v !== undefined && v !== '' && Number.isFinite(Number(v))) out[k] = Number(v);
    else throw new Error(`bench:avatar: --physics: ${k} expects a number or true/false, got '${v ?? ''}'`);
  }
  return out as PhysicsOptions;
}

async function main(): Promise<void> {
  const cli = parseCli(); // --adapter is validated there and unused: nothing here runs on WebGPU
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  console.error(`adapter: ${NO_ADAPTER}`);
  const root = resolve(__dirname, '../..');
  const dir = resolve(root, '../shared/data/motion/bvh');
  if (!existsSync(dir)) {
    console.log(JSON.stringify({ skipped: `no BVH data at ${dir} (../shared/data/motion/bvh relative to the repo)` }));
    return;
  }
  const maxSeconds = num('max-seconds', cli['max-seconds'], Infinity, { gt: 0 });
  const noiseM = num('noise', cli.noise, 0, { ge: 0 });
  const latencyS = num('latency', cli.latency, 0, { ge: 0 });
  const rateHz = num('rate', cli.rate, 60, { gt: 0 });
  const physics = !cli['no-physics'];
  const physicsOptions = parsePhysicsOptions(cli.physics);
  const procedural = cli.procedural === true;
  const filter = cli.clips?.split(',');
  const testDir = cli.dir;
  if (testDir !== undefined && !existsSync(resolve(testDir))) throw new Error(`bench:avatar: --dir ${testDir}: no such folder`);
  if (testDir !== undefined && !statSync(resolve(testDir)).isDirectory()) throw new Error(`bench:avatar: --dir ${testDir}: not a folder`);
  if (physics) await initPhysics();
  // the library: every shared clip
  const shared: string[] = [];
  for (const ds of ['bandai', 'cmu']) {
    const d = join(dir, ds);
    if (existsSync(d)) shared.push(...bvhFiles(d));
  }
  const t0 = performance.now();
  const sharedClips = new Map<string, BvhClip>();
  const motion: ClipMotion[] = [];
  for (const f of shared) {
    const c = await loadBvhFile(f);
    sharedClips.set(f, c);
    motion.push(extractClipMotion(c, { rateHz }));
  }
  const libraryS = (performance.now() - t0) / 1000;
  const libraryWithout = (file: string | null): MotionLibrary => new MotionLibrary(motion.filter((m) => m.name !== file));
  const tests = (testDir !== undefined ? bvhFiles(resolve(testDir)) : shared).filter((f) => !filter || filter.some((x) => f.includes(x)));
  if (tests.length === 0) {
    throw new Error(`bench:avatar: no clips to test: ${testDir !== undefined ? `no .bvh files under --dir ${testDir}` : `no shared clips under ${dir}`}${filter ? ` matching --clips ${cli.clips}` : ''}`);
  }
  const label = (f: string): string => (testDir !== undefined ? relative(resolve(testDir), f) : relative(dir, f));
  // Every test clip parsed before any is scored, so a bad file fails the run at once.
  const testClips = new Map<string, BvhClip>();
  for (const file of tests) testClips.set(file, sharedClips.get(file) ?? (await loadBvhFile(file)));
  // A --dir clip that is a shared clip (same name or bytes) is held out of the library, as in leave-one-out.
  const digest = (f: string): string => createHash('sha1').update(readFileSync(f)).digest('hex');
  const sharedDigests = testDir !== undefined ? new Map(shared.map((f) => [f, digest(f)])) : new Map<string, string>();
  const sharedTwin = (file: string): string | null => {
    if (sharedClips.has(file)) return file;
    const d = digest(file);
    return shared.find((f) => basename(f) === basename(file) || sharedDigests.get(f) === d) ?? null;
  };
  const clips: Rec[] = [];
  for (const file of tests) {
    const clip = testClips.get(file)!;
    const src = new BvhSource(clip, { rateHz, noiseM, latencyS, maxSeconds });
    const twin = sharedTwin(file);
    if (twin && twin !== file) process.stderr.write(`${label(file)}: same ${basename(twin) === basename(file) ? 'name' : 'bytes'} as the shared clip ${relative(dir, twin)}: left out of the library\n`);
    const lib = libraryWithout(twin);
    const chars = makeCharacters();
    const rig = new AvatarRig(src.headPoint, chars, { estimator: procedural ? {} : { library: lib }, physics: physicsOptions });
    await rig.enablePhysics(physics);
    const subject = new BodyEstimator(src.headPoint, { measurements: src.measureSubject(), ...(procedural ? {} : { library: lib }) });
    const proc = procedural ? null : new BodyEstimator(src.headPoint);
    const acc = { aw: 0, ar: 0, al: 0, sw: 0, sr: 0, sl: 0, pw: 0, pr: 0, pl: 0 };
    const jit = new JitterMeter(rateHz);
    const jitGt = new JitterMeter(rateHz);
    let estMs = 0;
    let rigMs = 0;
    for (let i = 0; i < src.frameCount; i++) {
      const f = src.frame(i);
      const a = performance.now();
      const out = rig.step(f);
      rigMs += performance.now() - a;
      estMs += out.estimatorMs;
      const gt = src.groundTruth(i);
      const hd = rig.estimator.def!;
      acc.aw += mpjpe(hd, out.human, gt, MPJPE_JOINTS, false);
      acc.ar += mpjpe(hd, out.human, gt, MPJPE_JOINTS, true);
      acc.al += mpjpe(hd, out.human, gt, LOWER, false);
      const present = MPJPE_JOINTS.filter((n) => gt.has(n));
      jit.add(present.map((n) => out.human.positions[jointIndex(hd, n)]));
      jitGt.add(present.map((n) => gt.get(n)!));
      const sp = subject.update(f);
      acc.sw += mpjpe(subject.def!, sp, gt, MPJPE_JOINTS, false);
      acc.sr += mpjpe(subject.def!, sp, gt, MPJPE_JOINTS, true);
      acc.sl += mpjpe(subject.def!, sp, gt, LOWER, false);
      if (proc) {
        const pp = proc.update(f);
        acc.pw += mpjpe(proc.def!, pp, gt, MPJPE_JOINTS, false);
        acc.pr += mpjpe(proc.def!, pp, gt, MPJPE_JOINTS, true);
        acc.pl += mpjpe(proc.def!, pp, gt, LOWER, false);
      }
    }
    const n = src.frameCount;
    const cm = (v: number): number => r1((100 * v) / n);
    const characters: Record<string, CharRec> = {};
    for (const s of rig.stats()) characters[s.name] = characterRecord(s, estMs / n);
    const rec: Rec = {
      clip: label(file),
      dataset: /bandai/i.test(file) ? 'bandai' : /[\\/]cmu[\\/]/i.test(file) ? 'cmu' : 'other',
      units: clip.units,
      seconds: r2((n - 1) / rateHz),
      frames: n,
      userHeightM: r2(rig.estimator.userHeight),
      libraryRows: procedural ? 0 : lib.count,
      mpjpeCm: {
        anthropometric: { world: cm(acc.aw), rootRelative: cm(acc.ar), lowerBody: cm(acc.al) },
        subjectSkeleton: { world: cm(acc.sw), rootRelative: cm(acc.sr), lowerBody: cm(acc.sl) },
        ...(proc ? { procedural: { world: cm(acc.pw), rootRelative: cm(acc.pr), lowerBody: cm(acc.pl) } } : {}),
      },
      jitterMS3: { estimate: r1(jit.value), groundTruth: r1(jitGt.value) },
      rigMsPerFrame: r2(rigMs / n),
      characters,
    };
    clips.push(rec);
    process.stderr.write(`${rec.clip}: ${n} frames, MPJPE ${rec.mpjpeCm!.anthropometric.world} / ${rec.mpjpeCm!.subjectSkeleton.world} cm, legs ${rec.mpjpeCm!.anthropometric.lowerBody}\n`);
  }
  // the real Quest 2 recording: no ground truth, so character metrics only
  const quest = resolve(root, '../shared/data/motion/quest/sample_movement_data.csv');
  if (testDir === undefined && existsSync(quest) && (!filter || filter.some((s) => 'quest'.includes(s)))) {
    const src = await QuestCsvSource.load(quest);
    const n = Math.min(src.frameCount, Number.isFinite(maxSeconds) ? Math.floor(maxSeconds * src.rateHz) + 1 : Infinity);
    const rig = new AvatarRig(src.headPoint, makeCharacters(), { estimator: procedural ? {} : { library: libraryWithout(null) }, physics: physicsOptions });
    await rig.enablePhysics(physics);
    let estMs = 0;
    let rigMs = 0;
    for (let i = 0; i < n; i++) {
      const a = performance.now();
      estMs += rig.step(src.frame(i)).estimatorMs;
      rigMs += performance.now() - a;
    }
    const characters: Record<string, CharRec> = {};
    for (const s of rig.stats()) characters[s.name] = characterRecord(s, estMs / n);
    clips.push({ clip: 'quest/sample_movement_data.csv', dataset: 'quest', units: { metresPerUnit: 1, source: 'quest (m)' }, seconds: r2(src.frame(n - 1).time), frames: n, userHeightM: r2(rig.estimator.userHeight), libraryRows: 0, mpjpeCm: null, jitterMS3: null, rigMsPerFrame: r2(rigMs / n), characters });
    process.stderr.write(`quest: ${n} frames\n`);
  }
  const result = {
    benchmark: 'avatar retargeting from three points (head + wrists of BVH clips)',
    adapter: NO_ADAPTER,
    config: { rateHz, noiseM, latencyS, physicsOptions, maxSeconds: Number.isFinite(maxSeconds) ? maxSeconds : null, physics, estimator: procedural ? 'procedural' : 'motion matching, leave-one-clip-out', testDir: testDir ?? null, mpjpeJoints: MPJPE_JOINTS },
    librarySeconds: r1(libraryS),
    totalSeconds: r1((performance.now() - t0) / 1000),
    summary: summarize(clips),
    clips,
  };
  console.log(JSON.stringify(result, null, 1));
  const md = cli.md;
  if (md) writeFileSync(resolve(md), markdown(result));
}

type Triple = { world: number; rootRelative: number; lowerBody: number };
type CharRec = { kinematic: Record<string, number>; physics: Record<string, number> | null; msPerFrame: number };
type Rec = {
  clip: string;
  dataset: string;
  units: unknown;
  seconds: number;
  frames: number;
  userHeightM: number;
  libraryRows: number;
  mpjpeCm: { anthropometric: Triple; subjectSkeleton: Triple; procedural?: Triple } | null;
  jitterMS3: { estimate: number; groundTruth: number } | null;
  rigMsPerFrame: number;
  characters: Record<string, CharRec>;
};

/** Means over clips per group (MPJPE, jitter, per-character metrics; falls/min pooled over time). */
function summarize(clips: Rec[]): Record<string, unknown> {
  const groups: Record<string, Rec[]> = {};
  for (const c of clips) (groups[c.dataset] ??= []).push(c);
  const gt = clips.filter((c) => c.mpjpeCm);
  if (Object.keys(groups).filter((g) => g !== 'quest').length > 1) groups['all with ground truth'] = gt;
  const c131 = clips.find((c) => /131_01/.test(c.clip));
  if (c131) groups['cmu 131_01'] = [c131];
  const out: Record<string, unknown> = {};
  for (const [g, cs] of Object.entries(groups)) {
    const mean = (f: (c: Rec) => number | undefined): number | null => {
      const v = cs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return v.length ? r1(v.reduce((a, b) => a + b, 0) / v.length) : null;
    };
    const tri = (k: 'anthropometric' | 'subjectSkeleton' | 'procedural'): Record<string, number | null> => ({
      world: mean((c) => c.mpjpeCm?.[k]?.world),
      rootRelative: mean((c) => c.mpjpeCm?.[k]?.rootRelative),
      lowerBody: mean((c) => c.mpjpeCm?.[k]?.lowerBody),
    });
    const seconds = cs.reduce((s, c) => s + c.seconds, 0);
    const chars: Record<string, unknown> = {};
    for (const name of Object.keys(cs[0].characters)) {
      const ph = (k: string): number | null => mean((c) => c.characters[name].physics?.[k]);
      const pooledFalls = cs.every((c) => c.characters[name].physics) ? r1(cs.reduce((s, c) => s + c.characters[name].physics!.fallsPerMin * c.seconds, 0) / Math.max(1e-9, seconds)) : null;
      chars[name] = {
        kinematic: { handErrCm: mean((c) => c.characters[name].kinematic.handErrCm), footSkateCmS: mean((c) => c.characters[name].kinematic.footSkateCmS) },
        physics: pooledFalls === null ? null : { headErrCm: ph('headErrCm'), handErrCm: ph('handErrCm'), footSkateCmS: ph('footSkateCmS'), penetrationCm: ph('penetrationCm'), fallsPerMin: pooledFalls, assistPctBodyWeight: ph('assistPctBodyWeight'), residualPctBodyWeight: ph('residualPctBodyWeight') },
        msPerFrame: mean((c) => c.characters[name].msPerFrame),
      };
    }
    out[g] = {
      clips: cs.length,
      seconds: r1(seconds),
      mpjpeCm: { anthropometric: tri('anthropometric'), subjectSkeleton: tri('subjectSkeleton'), procedural: tri('procedural') },
      jitterMS3: { estimate: mean((c) => c.jitterMS3?.estimate), groundTruth: mean((c) => c.jitterMS3?.groundTruth) },
      rigMsPerFrame: mean((c) => c.rigMsPerFrame),
      characters: chars,
    };
  }
  return out;
}

/** One character's JSON record; ms per frame includes the shared estimator time. */
function characterRecord(s: CharacterStats, estimatorMs: number): CharRec {
  const k = s.kinematic;
  const p = s.physics;
  return {
    kinematic: { headErrCm: r2(k.headErrCm), handErrCm: r2(k.handErrCm), footSkateCmS: r1(k.footSkateCmS), penetrationCm: r2(k.penetrationCm), maxPenetrationCm: r1(k.maxPenetrationCm) },
    physics: p
      ? { headErrCm: r1(p.headErrCm), handErrCm: r1(p.handErrCm), footSkateCmS: r1(p.footSkateCmS), penetrationCm: r2(p.penetrationCm), maxPenetrationCm: r1(p.maxPenetrationCm), fallsPerMin: r1(p.fallsPerMin), assistPctBodyWeight: r1(p.assistPctBodyWeight), residualPctBodyWeight: r1(p.residualPctBodyWeight), massKg: r1(p.massKg) }
      : null,
    msPerFrame: r2(s.msPerFrame + estimatorMs),
  };
}

const fmtTri = (t: Triple | Record<string, number | null> | undefined): string => (t ? `${t.world ?? '-'} / ${t.rootRelative ?? '-'} / ${t.lowerBody ?? '-'}` : '-');

/** Markdown: the summary table (one row per group and character), then one row per clip and character. */
function markdown(r: { config: Record<string, unknown>; summary: Record<string, unknown>; clips: unknown[] }): string {
  const lines: string[] = [];
  lines.push('| clips | s | MPJPE head-height body (world / root-rel / legs) | MPJPE subject (world / root-rel / legs) | procedural, head-height (world / root-rel / legs) | jitter est / GT (m/s^3) | rig ms/frame | character | hand err kin / phys | foot skate kin / phys | penetration phys | falls/min | assist % BW | contact residual % BW |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [g, v] of Object.entries(r.summary as Record<string, any>)) {
    let first = true;
    for (const [name, c] of Object.entries(v.characters as Record<string, any>)) {
      const p = c.physics ?? {};
      const m = v.mpjpeCm;
      const hasGt = m.anthropometric.world !== null;
      lines.push(
        `| ${first ? `${g} (${v.clips})` : ''} | ${first ? v.seconds : ''} | ${first && hasGt ? fmtTri(m.anthropometric) : ''} | ${first && hasGt ? fmtTri(m.subjectSkeleton) : ''} | ${first && hasGt && m.procedural.world !== null ? fmtTri(m.procedural) : ''} | ${first && hasGt ? `${v.jitterMS3.estimate} / ${v.jitterMS3.groundTruth}` : ''} | ${first ? v.rigMsPerFrame : ''} | ${name} | ${c.kinematic.handErrCm} / ${p.handErrCm ?? '-'} | ${c.kinematic.footSkateCmS} / ${p.footSkateCmS ?? '-'} | ${p.penetrationCm ?? '-'} | ${p.fallsPerMin ?? '-'} | ${p.assistPctBodyWeight ?? '-'} | ${p.residualPctBodyWeight ?? '-'} |`,
      );
      first = false;
    }
  }
  lines.push('');
  const clips = r.clips as Rec[];
  lines.push('| clip | s | MPJPE head-height (world / root-rel / legs) | MPJPE subject (world / root-rel / legs) | procedural (world / root-rel / legs) | jitter est / GT | character | head err kin / phys | hand err kin / phys | foot skate kin / phys | penetration kin / phys | falls/min | assist % BW | contact residual % BW | ms/frame |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of clips) {
    const m = c.mpjpeCm;
    let first = true;
    for (const [name, v] of Object.entries(c.characters)) {
      const k = v.kinematic;
      const p = v.physics ?? {};
      lines.push(
        `| ${first ? c.clip : ''} | ${first ? c.seconds : ''} | ${first ? (m ? fmtTri(m.anthropometric) : 'no ground truth') : ''} | ${first && m ? fmtTri(m.subjectSkeleton) : ''} | ${first && m?.procedural ? fmtTri(m.procedural) : ''} | ${first && c.jitterMS3 ? `${c.jitterMS3.estimate} / ${c.jitterMS3.groundTruth}` : ''} | ${name} | ${k.headErrCm} / ${p.headErrCm ?? '-'} | ${k.handErrCm} / ${p.handErrCm ?? '-'} | ${k.footSkateCmS} / ${p.footSkateCmS ?? '-'} | ${k.penetrationCm} / ${p.penetrationCm ?? '-'} | ${p.fallsPerMin ?? '-'} | ${p.assistPctBodyWeight ?? '-'} | ${p.residualPctBodyWeight ?? '-'} | ${v.msPerFrame} |`,
      );
      first = false;
    }
  }
  return lines.join('\n') + '\n';
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
