/**
 * Small dense linear algebra for the structure-from-motion solvers (Float64, row-major matrices).
 * Sizes here are tiny (3x3 .. 12 columns, or the <= 70x70 reduced camera system of bundle
 * adjustment), so simple, robust algorithms win over fast ones.
 */

/** Singular value decomposition A = U diag(S) V^T of a rows x cols matrix. */
export interface Svd {
  /** rows x cols, row-major; columns are the left singular vectors (zero columns where S is 0). */
  U: Float64Array;
  /** cols singular values, descending. */
  S: Float64Array;
  /** cols x cols, row-major, orthogonal; column k is the right singular vector of S[k]. */
  V: Float64Array;
}

/**
 * One-sided Jacobi (Hestenes) SVD of a rows x cols matrix (any shape; for rows < cols the trailing
 * singular values are 0 and V still spans the null space). Source: Demmel & Veselic 1992,
 * "Jacobi's method is more accurate than QR".
 * @param a row-major rows*cols values
 * @throws Error when a has the wrong length
 */
export function svd(a: ArrayLike<number>, rows: number, cols: number): Svd {
  if (a.length !== rows * cols) throw new Error(`svd: expected ${rows}x${cols} values, got ${a.length}`);
  const U = Float64Array.from(a);
  const V = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) V[i * cols + i] = 1;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < rows; k++) {
          const up = U[k * cols + p];
          const uq = U[k * cols + q];
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const tan = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cos = 1 / Math.sqrt(1 + tan * tan);
        const sin = cos * tan;
        for (let k = 0; k < rows; k++) {
          const up = U[k * cols + p];
          const uq = U[k * cols + q];
          U[k * cols + p] = cos * up - sin * uq;
          U[k * cols + q] = sin * up + cos * uq;
        }
        for (let k = 0; k < cols; k++) {
          const vp = V[k * cols + p];
          const vq = V[k * cols + q];
          V[k * cols + p] = cos * vp - sin * vq;
          V[k * cols + q] = sin * vp + cos * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let k = 0; k < rows; k++) s += U[k * cols + j] ** 2;
    norms[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: cols }, (_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const Us = new Float64Array(rows * cols);
  const Vs = new Float64Array(cols * cols);
  const S = new Float64Array(cols);
  const tiny = 1e-300;
  order.forEach((src, dst) => {
    S[dst] = norms[src];
    const inv = norms[src] > tiny ? 1 / norms[src] : 0;
    for (let k = 0; k < rows; k++) Us[k * cols + dst] = U[k * cols + src] * inv;
    for (let k = 0; k < cols; k++) Vs[k * cols + dst] = V[k * cols + src];
  });
  return { U: Us, S, V: Vs };
}

/**
 * Unit vector x minimizing |A x| (the right singular vector of the smallest singular value): the
 * least-squares null vector used by every DLT solver here.
 * @param a row-major rows*cols values
 */
export function nullVector(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const { V } = svd(a, rows, cols);
  const x = new Float64Array(cols);
  for (let k = 0; k < cols; k++) x[k] = V[k * cols + cols - 1];
  return x;
}

/**
 * SVD of a 3x3 matrix with U and V both proper rotations (det +1) when possible: the third left
 * vector is completed by a cross product when the matrix is rank-deficient, and signs move into S
 * (S[2] may turn negative). Used to project onto essential matrices and rotations.
 * @param m row-major 3x3
 */
export function svd3(m: ArrayLike<number>): Svd {
  const r = svd(m, 3, 3);
  const { U, S, V } = r;
  const col = (M: Float64Array, j: number): number[] => [M[j], M[3 + j], M[6 + j]];
  if (S[1] <= 1e-300) {
    // rank <= 1: complete U from the first column
    const u0 = col(U, 0);
    const helper = Math.abs(u0[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const u1 = normalize3(cross3(u0, helper));
    for (let k = 0; k < 3; k++) U[k * 3 + 1] = u1[k];
  }
  if (S[2] <= 1e-300 * Math.max(1, S[0]) || S[2] === 0) {
    const u2 = cross3(col(U, 0), col(U, 1));
    for (let k = 0; k < 3; k++) U[k * 3 + 2] = u2[k];
  }
  if (det3(U) < 0) {
    for (let k = 0; k < 3; k++) U[k * 3 + 2] = -U[k * 3 + 2];
    S[2] = -S[2];
  }
  if (det3(V) < 0) {
    for (let k = 0; k < 3; k++) V[k * 3 + 2] = -V[k * 3 + 2];
    S[2] = -S[2];
  }
  return r;
}

/**
 * Solves A x = b for a symmetric positive-definite n x n A by Cholesky (A is not modified).
 * @returns x, or null when A is not numerically positive definite
 */
export function choleskySolve(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j];
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}

/** Inverse of a 3x3 row-major matrix, or null when singular (|det| below 1e-300). */
export function invert3(m: ArrayLike<number>): Float64Array | null {
  const [a, b, c, d, e, f, g, h, i] = [m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!(Math.abs(det) > 1e-300)) return null;
  const s = 1 / det;
  return Float64Array.from([
    A * s, -(b * i - c * h) * s, (b * f - c * e) * s,
    B * s, (a * i - c * g) * s, -(a * f - c * d) * s,
    C * s, -(a * h - b * g) * s, (a * e - b * d) * s,
  ]);
}

/** Determinant of a 3x3 row-major matrix. */
export function det3(m: ArrayLike<number>): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/** Product of 3x3 row-major matrices a b. */
export function mul3(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
  }
  return r;
}

/** Transpose of a 3x3 row-major matrix. */
export function transpose3(a: ArrayLike<number>): Float64Array {
  return Float64Array.from([a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]]);
}

/** 3x3 row-major matrix times a 3-vector. */
export function mulVec3(a: ArrayLike<number>, v: ArrayLike<number>): [number, number, number] {
  return [
    a[0] * v[0] + a[1] * v[1] + a[2] * v[2],
    a[3] * v[0] + a[4] * v[1] + a[5] * v[2],
    a[6] * v[0] + a[7] * v[1] + a[8] * v[2],
  ];
}

/** Cross product a x b. */
export function cross3(a: ArrayLike<number>, b: ArrayLike<number>): [number, number, number] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Dot product of 3-vectors. */
export function dot3(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** Euclidean norm of a 3-vector. */
export function norm3(a: ArrayLike<number>): number {
  return Math.hypot(a[0], a[1], a[2]);
}

/** a / |a| (a itself, copied, when |a| is 0). */
export function normalize3(a: ArrayLike<number>): [number, number, number] {
  const n = norm3(a);
  return n > 0 ? [a[0] / n, a[1] / n, a[2] / n] : [a[0], a[1], a[2]];
}

/** Skew-symmetric cross-product matrix [v]x (row-major 3x3): [v]x w = v x w. */
export function skew3(v: ArrayLike<number>): Float64Array {
  return Float64Array.from([0, -v[2], v[1], v[2], 0, -v[0], -v[1], v[0], 0]);
}
