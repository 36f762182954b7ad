/**
 * Exact k-nearest-neighbour search (squared Euclidean distance) over a fixed set of points, with a
 * k-d tree (Friedman, Bentley & Finkel, "An Algorithm for Finding Best Matches in Logarithmic
 * Expected Time", ACM TOMS 1977): split on the dimension of largest spread at the median, leaves
 * of up to `leafSize` points, depth-first search nearest child first, pruning a subtree when the
 * squared distance to its splitting plane exceeds the current k-th best. Exact: returns the same
 * neighbours as a brute-force scan (ties broken by smaller point index), see bruteForceKnn.
 */
export class KdTree {
  readonly count: number;
  /** Point indices, permuted so that every node covers a contiguous range. */
  private readonly order: Uint32Array;
  /** Per node: split dimension (-1 for a leaf), split value, [lo, hi) range, children. */
  private readonly dim: Int32Array;
  private readonly value: Float64Array;
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private nodes = 0;
  // search scratch
  private bestD = new Float64Array(0);
  private bestI = new Int32Array(0);
  private k = 0;
  private found = 0;

  /**
   * @param points n * d values, row-major (point i is points[i*d .. i*d+d)); not copied, must not change.
   * @param d dimension (>= 1)
   * @param leafSize points per leaf (default 8)
   * @throws RangeError when points.length is not a multiple of d, d < 1, or a value is not finite.
   */
  constructor(
    readonly points: Float32Array,
    readonly d: number,
    readonly leafSize = 8,
  ) {
    if (!(Number.isInteger(d) && d >= 1)) throw new RangeError(`KdTree: dimension must be an integer >= 1, got ${d}`);
    if (points.length % d !== 0) throw new RangeError(`KdTree: ${points.length} values is not a multiple of the dimension ${d}`);
    for (let i = 0; i < points.length; i++) if (!Number.isFinite(points[i])) throw new RangeError(`KdTree: value ${i} (point ${Math.floor(i / d)}) is not finite`);
    this.count = points.length / d;
    this.order = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) this.order[i] = i;
    const maxNodes = Math.max(1, 2 * Math.ceil(this.count / Math.max(1, Math.floor(leafSize / 2))) + 1);
    this.dim = new Int32Array(maxNodes);
    this.value = new Float64Array(maxNodes);
    this.lo = new Uint32Array(maxNodes);
    this.hi = new Uint32Array(maxNodes);
    this.left = new Int32Array(maxNodes);
    this.right = new Int32Array(maxNodes);
    if (this.count > 0) this.build(0, this.count);
  }

  private build(lo: number, hi: number): number {
    const node = this.nodes++;
    this.lo[node] = lo;
    this.hi[node] = hi;
    this.dim[node] = -1;
    this.left[node] = -1;
    this.right[node] = -1;
    if (hi - lo <= this.leafSize) return node;
    const { points: P, d, order } = this;
    let best = -1;
    let spread = -1;
    for (let k = 0; k < d; k++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = lo; i < hi; i++) {
        const v = P[order[i] * d + k];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (mx - mn > spread) {
        spread = mx - mn;
        best = k;
      }
    }
    if (spread <= 0) return node; // all points equal: a leaf
    // sort the range on the split dimension and cut at the median
    const sub = Array.from(order.subarray(lo, hi)).sort((a, b) => P[a * d + best] - P[b * d + best] || a - b);
    order.set(sub, lo);
    const mid = lo + ((hi - lo) >> 1);
    this.dim[node] = best;
    this.value[node] = P[order[mid] * d + best];
    const l = this.build(lo, mid);
    const r = this.build(mid, hi);
    this.left[node] = l;
    this.right[node] = r;
    return node;
  }

  /**
   * The k nearest points to q (length d), closest first.
   * @returns indices and squared distances (length min(k, count)).
   * @throws RangeError when q.length !== d or k < 1.
   */
  knn(q: ArrayLike<number>, k: number): { indices: Int32Array; dist2: Float64Array } {
    if (q.length !== this.d) throw new RangeError(`KdTree.knn: query has ${q.length} values, tree dimension is ${this.d}`);
    if (!(k >= 1)) throw new RangeError(`KdTree.knn: k must be >= 1, got ${k}`);
    k = Math.min(k, this.count);
    if (this.bestD.length < k) {
      this.bestD = new Float64Array(k);
      this.bestI = new Int32Array(k);
    }
    this.k = k;
    this.found = 0;
    if (this.count > 0) this.search(0, q);
    return { indices: this.bestI.slice(0, this.found), dist2: this.bestD.slice(0, this.found) };
  }

  private consider(i: number, q: ArrayLike<number>): void {
    const { points: P, d } = this;
    const worst = this.found < this.k ? Infinity : this.bestD[this.k - 1];
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d && s <= worst; j++) {
      const t = P[o + j] - q[j];
      s += t * t;
    }
    if (s > worst || (s === worst && i > this.bestI[this.k - 1])) return;
    // insertion into the sorted best list (distance, then index)
    let p = this.found < this.k ? this.found++ : this.k - 1;
    while (p > 0 && (this.bestD[p - 1] > s || (this.bestD[p - 1] === s && this.bestI[p - 1] > i))) {
      this.bestD[p] = this.bestD[p - 1];
      this.bestI[p] = this.bestI[p - 1];
      p--;
    }
    this.bestD[p] = s;
    this.bestI[p] = i;
  }

  private search(node: number, q: ArrayLike<number>): void {
    const dm = this.dim[node];
    if (dm < 0) {
      for (let i = this.lo[node]; i < this.hi[node]; i++) this.consider(this.order[i], q);
      return;
    }
    const diff = q[dm] - this.value[node];
    const near = diff < 0 ? this.left[node] : this.right[node];
    const far = diff < 0 ? this.right[node] : this.left[node];
    this.search(near, q);
    // points on the far side are at least |diff| away along dm (>= for ties at the split value)
    if (this.found < this.k || diff * diff <= this.bestD[this.k - 1]) this.search(far, q);
  }
}

/**
 * Reference k-nearest-neighbour search by scanning every point (squared Euclidean distance, ties by
 * smaller index). Same layout and result as KdTree.knn; used by the tests and the benchmark check.
 * @throws RangeError when q.length !== d.
 */
export function bruteForceKnn(points: Float32Array, d: number, q: ArrayLike<number>, k: number): { indices: Int32Array; dist2: Float64Array } {
  if (q.length !== d) throw new RangeError(`bruteForceKnn: query has ${q.length} values, dimension is ${d}`);
  const n = points.length / d;
  const all: { i: number; s: number }[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = points[i * d + j] - q[j];
      s += t * t;
    }
    all.push({ i, s });
  }
  all.sort((a, b) => a.s - b.s || a.i - b.i);
  const top = all.slice(0, Math.min(k, n));
  return { indices: Int32Array.from(top.map((x) => x.i)), dist2: Float64Array.from(top.map((x) => x.s)) };
}
