/**
 * The avatar demo page: a three-point input (synthetic walk, a BVH clip or Quest CSV recording
 * picked from disk, or a live WebXR headset) drives three procedural capsule characters side by
 * side (human, dinosaur, mouse) through BodyEstimator -> Retargeter -> PhysicsTracker (switchable),
 * with live metrics. Legs and pelvis come from a motion library built from the shared BVH clips
 * (libraryClips.ts) once it has loaded; without those clips, or with the box unticked, the
 * procedural stepping rig runs. Self-contained: mount <AvatarPage /> anywhere (the studio's Avatar tab does).
 */
import { Canvas, useFrame } from '@react-three/fiber';
import { OrbitControls } from '@react-three/drei';
import { type MutableRefObject, useEffect, useMemo, useRef, useState } from 'react';
import { CapsuleGeometry, Mesh, MeshStandardMaterial, SphereGeometry, Vector3, type Group } from 'three';
import { AvatarRig, type CharacterStats } from '../../avatar/AvatarRig';
import { parseBvh } from '../../avatar/BvhClip';
import { BvhSource } from '../../avatar/BvhSource';
import { type CharacterDef, firstChildren, makeCharacters } from '../../avatar/Character';
import type { MotionLibrary } from '../../avatar/MotionLibrary';
import { QuestCsvSource } from '../../avatar/QuestCsvSource';
import { SyntheticSource } from '../../avatar/SyntheticSource';
import type { PoseSource, SkeletonPose, ThreePointFrame } from '../../avatar/types';
import { WebXrSource, webXrAvailable } from '../../avatar/WebXrSource';
import { libraryClipCount, loadMotionLibrary } from './libraryClips';

/** Where each character stands on screen (x offset, metres). */
const SLOTS = [-1.9, 0.5, 2.7];
const Y = new Vector3(0, 1, 0);

interface Live {
  poses: (SkeletonPose | null)[];
  three: ThreePointFrame | null;
}

/** Capsule meshes of one character, updated every frame from live.poses[index]. */
function CharacterView({ def, index, live }: { def: CharacterDef; index: number; live: MutableRefObject<Live> }) {
  const group = useRef<Group>(null);
  const centre = useRef<Vector3 | null>(null);
  const parts = useMemo(() => {
    const child = firstChildren(def);
    const mat = new MeshStandardMaterial({ color: def.colour, roughness: 0.7 });
    return def.joints.map((j, i) => {
      const c = child[i];
      const rest = c >= 0 ? new Vector3(...def.joints[c].rest).distanceTo(new Vector3(...j.rest)) : 0;
      const geo = c >= 0 ? new CapsuleGeometry(j.radius, Math.max(1e-3, rest), 4, 10) : new SphereGeometry(j.radius, 12, 8);
      return { mesh: new Mesh(geo, mat), child: c, rest };
    });
  }, [def]);
  useEffect(() => {
    const g = group.current;
    if (!g) return;
    for (const p of parts) g.add(p.mesh);
    return () => {
      for (const p of parts) g.remove(p.mesh);
    };
  }, [parts]);
  useFrame(() => {
    const pose = live.current.poses[index];
    const g = group.current;
    if (!pose || !g) return;
    // keep each character around its slot: follow its own pelvis slowly
    const pelvis = pose.positions[0];
    centre.current ??= pelvis.clone();
    centre.current.lerp(pelvis, 0.02);
    g.position.set(SLOTS[index] - centre.current.x, 0, -centre.current.z);
    const d = new Vector3();
    parts.forEach((p, i) => {
      const a = pose.positions[i];
      if (p.child < 0) {
        p.mesh.position.copy(a);
        return;
      }
      const b = pose.positions[p.child];
      d.subVectors(b, a);
      const len = d.length();
      p.mesh.position.copy(a).addScaledVector(d, 0.5);
      if (len > 1e-6) p.mesh.quaternion.setFromUnitVectors(Y, d.divideScalar(len));
      p.mesh.scale.set(1, p.rest > 1e-6 ? Math.max(0.2, len / p.rest) : 1, 1);
    });
  });
  return <group ref={group} />;
}

/** Drives the rig from the source at its own rate, looping recorded sources. */
function Driver({ rig, source, live, playing, onStats }: { rig: AvatarRig; source: PoseSource; live: MutableRefObject<Live>; playing: boolean; onStats: (s: CharacterStats[], ms: number) => void }) {
  const clock = useRef({ t: 0, next: 0, last: 0, ms: 0, n: 0 });
  useEffect(() => {
    clock.current = { t: 0, next: 0, last: 0, ms: 0, n: 0 };
  }, [source, rig]);
  useFrame((_, delta) => {
    if (!playing) return;
    const c = clock.current;
    c.t += Math.min(delta, 0.1);
    const live3 = source.frameCount === Infinity;
    let steps = 0;
    while ((live3 ? steps < 1 : c.next / source.rateHz <= c.t) && steps < 8) {
      if (!live3 && c.next >= source.frameCount) {
        c.next = 0;
        c.t = 0;
        rig.reset();
      }
      let f: ThreePointFrame;
      try {
        f = source.frame(live3 ? 0 : c.next);
      } catch {
        return; // live source without a sample yet
      }
      if (live3 && f.time === c.last) return;
      c.last = f.time;
      const t0 = performance.now();
      const out = rig.step(f);
      c.ms += performance.now() - t0;
      c.n++;
      live.current = { poses: out.characters.map((ch) => ch.shown), three: f };
      c.next++;
      steps++;
    }
    if (c.n >= 30) {
      onStats(rig.stats(), c.ms / c.n);
      c.ms = 0;
      c.n = 0;
    }
  });
  return null;
}

/** The three input points as small spheres (at the human's slot). */
function Trackers({ live }: { live: MutableRefObject<Live> }) {
  const refs = [useRef<Mesh>(null), useRef<Mesh>(null), useRef<Mesh>(null)];
  const centre = useRef<Vector3 | null>(null);
  useFrame(() => {
    const f = live.current.three;
    const pelvis = live.current.poses[0]?.positions[0];
    if (!f || !pelvis) return;
    centre.current ??= pelvis.clone();
    centre.current.lerp(pelvis, 0.02);
    [f.head, f.left, f.right].forEach((p, i) => {
      const m = refs[i].current;
      if (m) m.position.set(p.position.x + SLOTS[0] - centre.current!.x, p.position.y, p.position.z - centre.current!.z);
    });
  });
  return (
    <>
      {refs.map((r, i) => (
        <mesh key={i} ref={r}>
          <sphereGeometry args={[0.03, 10, 8]} />
          <meshBasicMaterial color={i === 0 ? '#ff4060' : '#40a0ff'} />
        </mesh>
      ))}
    </>
  );
}

const fmt = (v: number | undefined, d = 1): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

/** The avatar retargeting demo page. */
export function AvatarPage() {
  const characters = useMemo(() => makeCharacters(), []);
  const [source, setSource] = useState<PoseSource>(() => new SyntheticSource());
  const [physics, setPhysics] = useState(false);
  const [playing, setPlaying] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [stats, setStats] = useState<{ s: CharacterStats[]; ms: number } | null>(null);
  const [xrOk, setXrOk] = useState(false);
  const live = useRef<Live>({ poses: [], three: null });
  const [library, setLibrary] = useState<MotionLibrary | null>(null);
  const [libraryStatus, setLibraryStatus] = useState(libraryClipCount ? `loading motion library (0/${libraryClipCount} clips)` : 'procedural legs: no BVH clips at ../shared/data/motion/bvh');
  const [useLibrary, setUseLibrary] = useState(true);
  const rig = useMemo(() => new AvatarRig(source.headPoint, characters, { estimator: library && useLibrary ? { library } : {} }), [source, characters, library, useLibrary]);
  useEffect(() => {
    if (!libraryClipCount) return;
    let cancelled = false;
    let errors = 0;
    void loadMotionLibrary((done, total, err) => {
      if (err) errors++;
      if (!cancelled) setLibraryStatus(`loading motion library (${done}/${total} clips)`);
    }).then((lib) => {
      if (cancelled) return;
      setLibrary(lib);
      setLibraryStatus(lib ? `motion library: ${lib.clipNames.length} clips, ${lib.count} frames${errors ? `, ${errors} clips skipped` : ''}` : 'procedural legs: no clip could be loaded');
    });
    return () => {
      cancelled = true;
    };
  }, []);
  const file = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void webXrAvailable().then(setXrOk);
  }, []);
  useEffect(() => () => void rig.enablePhysics(false), [rig]); // free the rapier worlds of a replaced rig
  useEffect(() => {
    let cancelled = false;
    rig
      .enablePhysics(physics)
      .then(() => !cancelled && setError(null))
      .catch((e: unknown) => setError(`physics: ${e instanceof Error ? e.message : String(e)}`));
    return () => {
      cancelled = true;
    };
  }, [rig, physics]);

  const openFile = async (f: File): Promise<void> => {
    try {
      const text = await f.text();
      if (/\.bvh$/i.test(f.name)) setSource(new BvhSource(parseBvh(text, f.name), { rateHz: 60 }));
      else if (/\.csv$/i.test(f.name)) setSource(new QuestCsvSource(text, f.name));
      else throw new Error(`${f.name}: expected a .bvh clip or a Quest .csv recording`);
      setError(null);
      setStats(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const startXr = async (): Promise<void> => {
    try {
      const xrSrc = new WebXrSource();
      await xrSrc.start();
      setSource(xrSrc);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <div className="avatar-page" style={{ display: 'flex', flexDirection: 'column', height: '100%', minHeight: 480 }} data-testid="avatar-page">
      <div className="toolbar" style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap', padding: 6 }}>
        <span>Input: {source.name}</span>
        <button onClick={() => setSource(new SyntheticSource())}>Synthetic walk</button>
        <button onClick={() => file.current?.click()}>Open BVH / Quest CSV…</button>
        <input ref={file} type="file" hidden accept=".bvh,.csv" onChange={(e) => (e.target.files?.[0] && void openFile(e.target.files[0]), (e.target.value = ''))} />
        <button disabled={!xrOk} title={xrOk ? 'Use the headset and controllers' : 'No WebXR headset found'} onClick={() => void startXr()}>
          WebXR
        </button>
        <label>
          <input type="checkbox" checked={physics} onChange={(e) => setPhysics(e.target.checked)} data-testid="avatar-physics" /> physics
        </label>
        <label title={libraryStatus}>
          <input type="checkbox" checked={useLibrary} disabled={!library} onChange={(e) => setUseLibrary(e.target.checked)} data-testid="avatar-library" /> data-driven legs
        </label>
        <button onClick={() => setPlaying((p) => !p)}>{playing ? 'Pause' : 'Play'}</button>
        <span style={{ fontSize: 11, opacity: 0.7 }} data-testid="avatar-library-status">
          {libraryStatus}
        </span>
      </div>
      {error && <div className="notice error" style={{ color: '#c33', padding: 4 }}>{error}</div>}
      <div style={{ flex: 1, minHeight: 360 }}>
        <Canvas camera={{ position: [0.4, 1.7, 6.5], fov: 50 }} shadows={false}>
          <color attach="background" args={['#20232a']} />
          <ambientLight intensity={0.5} />
          <directionalLight position={[3, 6, 4]} intensity={1.2} />
          <gridHelper args={[14, 28, '#555', '#333']} />
          {characters.map((c, i) => (
            <CharacterView key={c.name} def={c} index={i} live={live} />
          ))}
          <Trackers live={live} />
          <Driver rig={rig} source={source} live={live} playing={playing} onStats={(s, ms) => setStats({ s, ms })} />
          <OrbitControls target={[0.4, 0.8, 0]} />
        </Canvas>
      </div>
      <table className="avatar-metrics" style={{ fontSize: 12, margin: 6 }} data-testid="avatar-metrics">
        <thead>
          <tr>
            <th>character</th>
            <th>head err cm</th>
            <th>hand err cm</th>
            <th>foot skate cm/s</th>
            <th>penetration cm</th>
            <th>falls/min</th>
            <th>assist % BW</th>
            <th>ms/frame</th>
          </tr>
        </thead>
        <tbody>
          {(stats?.s ?? []).map((s) => {
            const m = s.physics ?? s.kinematic;
            return (
              <tr key={s.name}>
                <td>{s.name}</td>
                <td>{fmt(m?.headErrCm)}</td>
                <td>{fmt(m?.handErrCm)}</td>
                <td>{fmt(m?.footSkateCmS)}</td>
                <td>{fmt(m?.penetrationCm, 2)}</td>
                <td>{fmt(s.physics?.fallsPerMin)}</td>
                <td>{fmt(s.physics?.assistPctBodyWeight)}</td>
                <td>{fmt(s.msPerFrame, 2)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div style={{ fontSize: 11, opacity: 0.7, margin: '0 6px 6px' }}>
        Errors are against the retargeted targets (kinematic pose when physics is off). Whole rig: {fmt(stats?.ms, 2)} ms/frame. Red: head, blue: controllers.
      </div>
    </div>
  );
}
