/**
 * Avatar retargeting benchmark: `npm run bench:avatar -- [--max-seconds S] [--noise M] [--latency S]
 * [--rate HZ] [--no-physics] [--clips substr,...] [--md docs/avatar-bench.md]`.
 * CPU only (no WebGPU): `--adapter` is accepted like in the other CLIs and has no effect; the JSON says
 * `"adapter": "none (CPU only)"`.
 * For every BVH clip in ../shared/data/motion/bvh (Bandai Namco, CMU): three points (head and wrist
 * joints) at --rate Hz (default 60) -> BodyEstimator -> Retargeter -> PhysicsTracker for the human,
 * dino and mouse; prints one JSON object (per clip and character) and, with --md, writes a markdown
 * table; the Quest 2 recording is added without MPJPE (no ground truth). MPJPE of the estimated human against the clip's skeleton (14 joints, BvhSource
 * correspondence), world frame and pelvis-relative, for two body models: anthropometric from the
 * head height alone, and the subject's own segment lengths measured on the clip.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AvatarRig, type CharacterStats } from '../avatar/AvatarRig';
import { BodyEstimator } from '../avatar/BodyEstimator';
import { loadBvhFile } from '../avatar/BvhClip';
import { BvhSource } from '../avatar/BvhSource';
import { makeCharacters } from '../avatar/Character';
import { MPJPE_JOINTS, mpjpe } from '../avatar/metrics';
import { initPhysics } from '../avatar/PhysicsTracker';
import { QuestCsvSource } from '../avatar/QuestCsvSource';
import { takeAdapterArg } from './args';

const NO_ADAPTER = 'none (CPU only)';
const LOWER = ['lHip', 'rHip', 'lKnee', 'rKnee', 'lAnkle', 'rAnkle'];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function num(name: string, def: number): number {
  const s = arg(name);
  if (s === undefined) return def;
  const v = Number(s);
  if (!Number.isFinite(v)) throw new Error(`bench:avatar: ${name} expects a number, got '${s}'`);
  return v;
}

const r1 = (v: number): number => Math.round(v * 10) / 10;
const r2 = (v: number): number => Math.round(v * 100) / 100;

async function main(): Promise<void> {
  takeAdapterArg(process.argv.slice(2)); // validated, unused: nothing here runs on WebGPU
  console.error(`adapter: ${NO_ADAPTER}`);
  const root = resolve(__dirname, '../..');
  const dir = resolve(root, '../shared/data/motion/bvh');
  if (!existsSync(dir)) {
    console.log(JSON.stringify({ skipped: `no BVH data at ${dir} (../shared/data/motion/bvh relative to the repo)` }));
    return;
  }
  const maxSeconds = num('--max-seconds', Infinity);
  const noiseM = num('--noise', 0);
  const latencyS = num('--latency', 0);
  const rateHz = num('--rate', 60);
  const physics = !process.argv.includes('--no-physics');
  const filter = arg('--clips')?.split(',');
  if (physics) await initPhysics();
  const files: string[] = [];
  for (const ds of ['bandai', 'cmu']) {
    const d = join(dir, ds);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) if (f.endsWith('.bvh') && (!filter || filter.some((s) => f.includes(s)))) files.push(join(d, f));
  }
  const clips: unknown[] = [];
  const t0 = performance.now();
  for (const file of files) {
    const clip = await loadBvhFile(file);
    const src = new BvhSource(clip, { rateHz, noiseM, latencyS, maxSeconds });
    const chars = makeCharacters();
    const rig = new AvatarRig(src.headPoint, chars);
    await rig.enablePhysics(physics);
    const subject = new BodyEstimator(src.headPoint, { measurements: src.measureSubject() });
    const acc = { aw: 0, ar: 0, al: 0, sw: 0, sr: 0, sl: 0 };
    let estMs = 0;
    for (let i = 0; i < src.frameCount; i++) {
      const f = src.frame(i);
      const out = rig.step(f);
      estMs += out.estimatorMs;
      const gt = src.groundTruth(i);
      const hd = rig.estimator.def!;
      acc.aw += mpjpe(hd, out.human, gt, MPJPE_JOINTS, false);
      acc.ar += mpjpe(hd, out.human, gt, MPJPE_JOINTS, true);
      acc.al += mpjpe(hd, out.human, gt, LOWER, false);
      const sp = subject.update(f);
      acc.sw += mpjpe(subject.def!, sp, gt, MPJPE_JOINTS, false);
      acc.sr += mpjpe(subject.def!, sp, gt, MPJPE_JOINTS, true);
      acc.sl += mpjpe(subject.def!, sp, gt, LOWER, false);
    }
    const n = src.frameCount;
    const cm = (v: number): number => r1((100 * v) / n);
    const characters: Record<string, unknown> = {};
    for (const s of rig.stats()) characters[s.name] = characterRecord(s, estMs / n);
    const rec = {
      clip: file.slice(dir.length + 1),
      units: clip.units,
      seconds: r2((n - 1) / rateHz),
      frames: n,
      userHeightM: r2(rig.estimator.userHeight),
      mpjpeCm: {
        anthropometric: { world: cm(acc.aw), rootRelative: cm(acc.ar), lowerBody: cm(acc.al) },
        subjectSkeleton: { world: cm(acc.sw), rootRelative: cm(acc.sr), lowerBody: cm(acc.sl) },
      },
      characters,
    };
    clips.push(rec);
    process.stderr.write(`${rec.clip}: ${n} frames, MPJPE ${rec.mpjpeCm.anthropometric.world} / ${rec.mpjpeCm.subjectSkeleton.world} cm\n`);
  }
  // the real Quest 2 recording: no ground truth, so character metrics only
  const quest = resolve(root, '../shared/data/motion/quest/sample_movement_data.csv');
  if (existsSync(quest) && (!filter || filter.some((s) => 'quest'.includes(s)))) {
    const src = await QuestCsvSource.load(quest);
    const n = Math.min(src.frameCount, Number.isFinite(maxSeconds) ? Math.floor(maxSeconds * src.rateHz) + 1 : Infinity);
    const rig = new AvatarRig(src.headPoint, makeCharacters());
    await rig.enablePhysics(physics);
    let estMs = 0;
    for (let i = 0; i < n; i++) estMs += rig.step(src.frame(i)).estimatorMs;
    const characters: Record<string, unknown> = {};
    for (const s of rig.stats()) characters[s.name] = characterRecord(s, estMs / n);
    clips.push({ clip: 'quest/sample_movement_data.csv', units: { metresPerUnit: 1, source: 'quest (m)' }, seconds: r2(src.frame(n - 1).time), frames: n, userHeightM: r2(rig.estimator.userHeight), mpjpeCm: null, characters });
    process.stderr.write(`quest: ${n} frames\n`);
  }
  const result = {
    benchmark: 'avatar retargeting from three points (head + wrists of BVH clips)',
    adapter: NO_ADAPTER,
    config: { rateHz, noiseM, latencyS, maxSeconds: Number.isFinite(maxSeconds) ? maxSeconds : null, physics, mpjpeJoints: MPJPE_JOINTS },
    totalSeconds: r1((performance.now() - t0) / 1000),
    clips,
  };
  console.log(JSON.stringify(result, null, 1));
  const md = arg('--md');
  if (md) writeFileSync(resolve(root, md), markdown(result));
}

/** One character's JSON record; ms per frame includes the shared estimator time. */
function characterRecord(s: CharacterStats, estimatorMs: number): Record<string, unknown> {
  const k = s.kinematic;
  const p = s.physics;
  return {
    kinematic: { headErrCm: r2(k.headErrCm), handErrCm: r2(k.handErrCm), footSkateCmS: r1(k.footSkateCmS), penetrationCm: r2(k.penetrationCm), maxPenetrationCm: r1(k.maxPenetrationCm) },
    physics: p
      ? { headErrCm: r1(p.headErrCm), handErrCm: r1(p.handErrCm), footSkateCmS: r1(p.footSkateCmS), penetrationCm: r2(p.penetrationCm), maxPenetrationCm: r1(p.maxPenetrationCm), fallsPerMin: r1(p.fallsPerMin), assistPctBodyWeight: r1(p.assistPctBodyWeight), massKg: r1(p.massKg) }
      : null,
    msPerFrame: r2(s.msPerFrame + estimatorMs),
  };
}

type Rec = { clip: string; seconds: number; mpjpeCm: { anthropometric: Record<string, number>; subjectSkeleton: Record<string, number> } | null; characters: Record<string, any> };

function markdown(r: { config: Record<string, unknown>; clips: unknown[] }): string {
  const clips = r.clips as Rec[];
  const lines: string[] = [];
  lines.push('| clip | s | MPJPE anthro (world / root-rel / legs) | MPJPE subject (world / root-rel / legs) | character | head err kin / phys | hand err kin / phys | foot skate kin / phys | penetration kin / phys | falls/min | assist % BW | ms/frame |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of clips) {
    const a = c.mpjpeCm?.anthropometric;
    const s = c.mpjpeCm?.subjectSkeleton;
    let first = true;
    for (const [name, v] of Object.entries(c.characters)) {
      const k = v.kinematic;
      const p = v.physics ?? {};
      lines.push(
        `| ${first ? c.clip : ''} | ${first ? c.seconds : ''} | ${first ? (a ? `${a.world} / ${a.rootRelative} / ${a.lowerBody}` : 'no ground truth') : ''} | ${first ? (s ? `${s.world} / ${s.rootRelative} / ${s.lowerBody}` : '') : ''} | ${name} | ${k.headErrCm} / ${p.headErrCm ?? '-'} | ${k.handErrCm} / ${p.handErrCm ?? '-'} | ${k.footSkateCmS} / ${p.footSkateCmS ?? '-'} | ${k.penetrationCm} / ${p.penetrationCm ?? '-'} | ${p.fallsPerMin ?? '-'} | ${p.assistPctBodyWeight ?? '-'} | ${v.msPerFrame} |`,
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
