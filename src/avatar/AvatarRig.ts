import { BodyEstimator, type BodyEstimatorOptions } from './BodyEstimator';
import type { CharacterDef } from './Character';
import { MetricsAccumulator, type MetricsSummary } from './metrics';
import { type PhysicsOptions, PhysicsTracker, initPhysics } from './PhysicsTracker';
import { type RetargetResult, Retargeter } from './Retargeter';
import type { HeadPointKind, SkeletonPose, ThreePointFrame } from './types';

/** One character's output for a frame. */
export interface CharacterFrame {
  def: CharacterDef;
  kinematic: RetargetResult;
  /** The simulated pose when physics is on. */
  simulated: SkeletonPose | null;
  /** What to show / measure: simulated when physics is on, else kinematic. */
  shown: SkeletonPose;
  fell: boolean;
  /** Root assist force this frame (the unjustified part), fraction of body weight (0 without physics). */
  assist: number;
  /** Contact residual force this frame (PhysicsOptions.contactResidual), fraction of body weight (0 without physics). */
  residual: number;
  /** Milliseconds spent on this character (retarget + physics). */
  ms: number;
}

export interface RigFrame {
  time: number;
  human: SkeletonPose;
  characters: CharacterFrame[];
  /** Milliseconds spent in the BodyEstimator. */
  estimatorMs: number;
}

/** Per-character run statistics. */
export interface CharacterStats {
  name: string;
  kinematic: MetricsSummary;
  /** Present when physics ran for the whole run. */
  physics?: MetricsSummary & { fallsPerMin: number; assistPctBodyWeight: number; residualPctBodyWeight: number; massKg: number };
  msPerFrame: number;
}

export interface AvatarRigOptions {
  estimator?: BodyEstimatorOptions;
  physics?: PhysicsOptions;
}

/**
 * The whole pipeline for one input stream: BodyEstimator (three points -> human) -> Retargeter per
 * character -> optional PhysicsTracker per character, with metrics (MetricsAccumulator) on both the
 * kinematic and the simulated poses. Frames must come in time order; call reset() on a jump.
 * Physics needs `await initPhysics()` (or `await rig.enablePhysics(true)`).
 */
export class AvatarRig {
  readonly estimator: BodyEstimator;
  private retargeters: Retargeter[] = [];
  private trackers: (PhysicsTracker | null)[] = [];
  private kinAcc: MetricsAccumulator[] = [];
  private simAcc: MetricsAccumulator[] = [];
  private falls: number[] = [];
  private assist: number[] = [];
  private residual: number[] = [];
  private ms: number[] = [];
  private frames = 0;
  private simFrames = 0;
  private firstTime = 0;
  private lastTime = 0;
  private physicsOn = false;

  constructor(
    readonly headPoint: HeadPointKind,
    readonly characters: CharacterDef[],
    readonly options: AvatarRigOptions = {},
  ) {
    this.estimator = new BodyEstimator(headPoint, options.estimator);
  }

  /**
   * Physics on or off (loads rapier on first use). Restarts the run (state and statistics) so that
   * the statistics cover one setting; with physics the characters start from the kinematic pose.
   */
  async enablePhysics(on: boolean): Promise<void> {
    if (on) await initPhysics();
    this.reset();
    this.physicsOn = on;
  }

  get physics(): boolean {
    return this.physicsOn;
  }

  /** Forgets all state and statistics. */
  reset(): void {
    this.estimator.reset();
    for (const t of this.trackers) t?.dispose();
    this.trackers = this.characters.map(() => null);
    this.retargeters = [];
    this.frames = 0;
    this.simFrames = 0;
  }

  /** Processes one three-point frame. */
  step(f: ThreePointFrame): RigFrame {
    const t0 = performance.now();
    const human = this.estimator.update(f);
    const estimatorMs = performance.now() - t0;
    const dt = this.frames > 0 ? f.time - this.lastTime : 1 / 60;
    if (this.retargeters.length === 0) {
      const h = this.estimator.def!;
      this.retargeters = this.characters.map((c) => new Retargeter(h, c));
      this.kinAcc = this.characters.map((c) => new MetricsAccumulator(c));
      this.simAcc = this.characters.map((c) => new MetricsAccumulator(c));
      this.falls = this.characters.map(() => 0);
      this.assist = this.characters.map(() => 0);
      this.residual = this.characters.map(() => 0);
      this.ms = this.characters.map(() => 0);
      if (this.trackers.length !== this.characters.length) this.trackers = this.characters.map(() => null);
      this.firstTime = f.time;
    }
    const characters = this.characters.map((def, k): CharacterFrame => {
      const c0 = performance.now();
      const kinematic = this.retargeters[k].update(human, f.time);
      let simulated: SkeletonPose | null = null;
      let fell = false;
      let assist = 0;
      let residual = 0;
      if (this.physicsOn) {
        let tr = this.trackers[k];
        if (!tr) tr = this.trackers[k] = new PhysicsTracker(def, kinematic.pose, this.options.physics);
        const s = tr.step(kinematic.pose, Math.max(1e-3, dt));
        simulated = s.pose;
        fell = s.fell;
        assist = s.assistFraction;
        residual = s.residualFraction;
      }
      const ms = performance.now() - c0;
      this.ms[k] += ms;
      this.kinAcc[k].add(kinematic.pose, kinematic.targets, f.time);
      if (simulated) {
        this.simAcc[k].add(simulated, kinematic.targets, f.time);
        this.falls[k] += fell ? 1 : 0;
        this.assist[k] += assist;
        this.residual[k] += residual;
      }
      return { def, kinematic, simulated, shown: simulated ?? kinematic.pose, fell, assist, residual, ms };
    });
    if (this.physicsOn) this.simFrames++;
    this.frames++;
    this.lastTime = f.time;
    return { time: f.time, human, characters, estimatorMs };
  }

  /** Statistics so far, one entry per character. */
  stats(): CharacterStats[] {
    const minutes = Math.max(1e-9, (this.lastTime - this.firstTime) / 60);
    return this.characters.map((c, k) => {
      const out: CharacterStats = { name: c.name, kinematic: this.kinAcc[k]?.summary(), msPerFrame: this.frames ? this.ms[k] / this.frames : 0 };
      if (this.simFrames > 0 && this.simFrames === this.frames) {
        out.physics = {
          ...this.simAcc[k].summary(),
          fallsPerMin: this.falls[k] / minutes,
          assistPctBodyWeight: (100 * this.assist[k]) / this.simFrames,
          residualPctBodyWeight: (100 * this.residual[k]) / this.simFrames,
          massKg: this.trackers[k]?.totalMass ?? 0,
        };
      }
      return out;
    });
  }
}
