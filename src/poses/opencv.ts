/**
 * OpenCV's WebAssembly build (npm `@techstark/opencv-js` 4.12.0, the official docs.opencv.org
 * opencv.js with the wasm embedded: SINGLE_FILE=1, no threads, no SIMD), loaded lazily on first use
 * so that the studio's first load does not pay its ~10 MB. Works in Node (vite-node / vitest: the
 * package is CommonJS and is loaded by Node) and in a Vite browser bundle (a separate chunk through the
 * dynamic import below). Nothing is fetched from the network: the wasm is inside opencv.js.
 *
 * What this build has (probed with 4.12.0-release.1): features2d detectors AKAZE (MLDB binary
 * descriptor, 61 bytes), ORB (32 bytes), BRISK (64 bytes), KAZE (64 float32), FastFeatureDetector,
 * AgastFeatureDetector, goodFeaturesToTrack; BFMatcher (knnMatch); calib3d solvePnPRansac. It has NO
 * SIFT (not in the opencv.js white list), no FlannBasedMatcher, no findEssentialMat / recoverPose /
 * triangulatePoints. 5.0.0-release.1 has even less (ORB only). Measured on a 504x378 fern photo
 * (2 shared cores): AKAZE ~130 ms (~1000 keypoints), ORB ~100-150 ms (3500), BRISK ~350-500 ms,
 * KAZE ~1000-1400 ms; so features.ts defaults to AKAZE.
 */

/** The subset of the opencv.js API this project uses (typed here; the package's own typings are large). */
export interface OpenCvMat {
  rows: number;
  cols: number;
  data: Uint8Array;
  data32F: Float32Array;
  type(): number;
  delete(): void;
}
export interface OpenCvKeyPoint { pt: { x: number; y: number }; size: number; angle: number; response: number; octave: number }
export interface OpenCvKeyPointVector { size(): number; get(i: number): OpenCvKeyPoint; delete(): void }
export interface OpenCvDMatch { queryIdx: number; trainIdx: number; distance: number }
export interface OpenCvDMatchVector { size(): number; get(i: number): OpenCvDMatch; delete(): void }
export interface OpenCvDMatchVectorVector { size(): number; get(i: number): OpenCvDMatchVector; delete(): void }
export interface OpenCvFeature2D {
  detectAndCompute(image: OpenCvMat, mask: OpenCvMat, keypoints: OpenCvKeyPointVector, descriptors: OpenCvMat, useProvided?: boolean): void;
  delete(): void;
}
export interface OpenCvAkaze extends OpenCvFeature2D { setThreshold(t: number): void }
export interface OpenCvBFMatcher { knnMatch(query: OpenCvMat, train: OpenCvMat, out: OpenCvDMatchVectorVector, k: number): void; delete(): void }

/** The opencv.js module object (`cv`), after its runtime is initialized. */
export interface OpenCv {
  Mat: { new (): OpenCvMat; new (rows: number, cols: number, type: number): OpenCvMat };
  KeyPointVector: new () => OpenCvKeyPointVector;
  DMatchVectorVector: new () => OpenCvDMatchVectorVector;
  AKAZE: new () => OpenCvAkaze;
  ORB: new (nfeatures?: number) => OpenCvFeature2D;
  BRISK?: new () => OpenCvFeature2D;
  KAZE?: new () => OpenCvFeature2D;
  SIFT?: new (nfeatures?: number) => OpenCvFeature2D;
  BFMatcher: new (normType: number, crossCheck: boolean) => OpenCvBFMatcher;
  CV_8UC1: number;
  CV_32F: number;
  NORM_L2: number;
  NORM_HAMMING: number;
  getBuildInformation(): string;
}

let cached: Promise<OpenCv> | undefined;

/**
 * The raw emscripten module. In Node it is required synchronously (process.getBuiltinModule, Node
 * >= 20.16): an `import()` there goes through vite-node's interop proxy, whose `then` forwards to the
 * module's own `then`, and awaiting it never settles. In a browser, Vite bundles the CommonJS file
 * into its own lazily loaded chunk; the value is returned wrapped in an object so that no thenable is
 * ever awaited (hence the `{ mod }` box: an async function returning the module itself would adopt it
 * as a thenable and loop forever).
 */
async function importModule(): Promise<{ mod: unknown }> {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  const nodeModule = proc?.versions?.node && typeof window === 'undefined' ? proc.getBuiltinModule?.('module') as { createRequire(from: string): (id: string) => unknown } | undefined : undefined;
  if (nodeModule) return { mod: nodeModule.createRequire(import.meta.url)('@techstark/opencv-js') };
  const box = await import('@techstark/opencv-js').then((ns) => ({ ns: ns as unknown as { default?: unknown } }));
  return { mod: box.ns.default ?? box.ns };
}

/** How long loadOpenCv waits for the runtime before giving up (ms). */
const LOAD_TIMEOUT_MS = 60_000;

/**
 * Loads opencv.js once (cached; later calls return the same promise) and waits until its runtime
 * is initialized. The emscripten module is a "thenable" (it has a `then` method); that method is
 * used to wait, then removed, so that the object can pass through promises without being re-awaited
 * forever. (Its `onRuntimeInitialized` is not used: in Node the runtime may already be up when the
 * module is returned, and the hook then never fires.)
 * @throws Error when the package cannot be imported or the runtime does not start within 60 s.
 */
export function loadOpenCv(): Promise<OpenCv> {
  cached ??= (async () => {
    const mod = (await importModule()).mod as OpenCv & { then?: (f: (m: unknown) => void) => void };
    const cv = await new Promise<OpenCv>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`opencv.js: runtime not initialized after ${LOAD_TIMEOUT_MS / 1000} s`)), LOAD_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        delete (mod as { then?: unknown }).then;
        resolve(mod);
      };
      if (typeof mod.then === 'function') mod.then(done);
      else if (typeof mod.Mat === 'function') done();
      else reject(new Error('opencv.js: unexpected module shape (no Mat, no then)'));
    });
    return cv;
  })();
  cached.catch(() => { cached = undefined; });
  return cached;
}

/** Names of the feature detectors present in this opencv.js build (subset of SIFT, AKAZE, ORB, BRISK, KAZE). */
export function availableDetectors(cv: OpenCv): string[] {
  return (['SIFT', 'AKAZE', 'ORB', 'BRISK', 'KAZE'] as const).filter((k) => typeof (cv as unknown as Record<string, unknown>)[k] === 'function');
}

/**
 * Runs `body` and deletes every OpenCV object it registered with `track`, even when it throws
 * (opencv.js objects live in the wasm heap and are not garbage-collected).
 */
export function withCvObjects<T>(body: (track: <O extends { delete(): void }>(o: O) => O) => T): T {
  const owned: { delete(): void }[] = [];
  try {
    return body((o) => { owned.push(o); return o; });
  } finally {
    for (let i = owned.length - 1; i >= 0; i--) owned[i].delete();
  }
}
