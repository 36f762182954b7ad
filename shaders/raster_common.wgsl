// Shared declarations of the Gaussian rasterizer stages (prepended to each stage's WGSL).
// Conventions: OpenCV camera (x right, y down, z forward), world-to-camera R (row-major) and t;
// pixel (px, py) has its centre at (px + 0.5, py + 0.5) as in gsplat; 16x16 tiles.

const TILE: u32 = 16u;
const ALPHA_MIN: f32 = 0.00392156862745098; // 1/255: 3DGS skips splats below this alpha
const ALPHA_MAX: f32 = 0.99;                // 3DGS clamps alpha to 0.99
const T_MIN: f32 = 0.0001;                  // early termination: stop before T drops below this
const DILATION: f32 = 0.3;                  // EWA low-pass filter (px^2) added to the 2D covariance
const HUGE: f32 = 1e30;                     // covariances beyond this are treated as non-finite

// Per-call parameters (one uniform buffer per forward call).
struct Params {
  R0: vec4f,     // R row 0 | t.x
  R1: vec4f,     // R row 1 | t.y
  R2: vec4f,     // R row 2 | t.z
  campos: vec4f, // camera centre (world) | near plane
  intr: vec4f,   // fx, fy, cx, cy (pixels)
  lim: vec4f,    // x/z clamp +, x/z clamp -, y/z clamp +, y/z clamp - (gsplat's Jacobian clipping)
  bg: vec4f,     // background rgb | antialiased (1 or 0)
  dims: vec4u,   // width, height, tilesX, tilesY
  counts: vec4u, // N, shDegree, scan length (>= N + 1), intersection capacity
  flags: vec4u,  // has dL/dalpha, has dL/ddepth, has stats, unused
  drop: vec4f,   // Gaussian dropout: rate (0 = off), 1 / (1 - rate), seed (u32 bits), unused
}

// Whether Gaussian i is kept by this render's dropout (DropGaussian, Park et al. CVPR 2025): a
// hash of (i, seed) against the rate. Mirrored by dropoutKeeps in GaussianRasterizer.ts.
fn dropoutKeeps(i: u32) -> bool {
  if (!(P.drop.x > 0.0)) { return true; }
  var h = (i * 0x9e3779b9u) ^ bitcast<u32>(P.drop.z);
  h = (h ^ (h >> 16u)) * 0x85ebca6bu;
  h = (h ^ (h >> 13u)) * 0xc2b2ae35u;
  h = h ^ (h >> 16u);
  return f32(h >> 8u) * (1.0 / 16777216.0) >= P.drop.x;
}

// Opacity factor of a kept Gaussian: 1 / (1 - rate) keeps the expected opacity (1 without dropout).
fn dropoutScale() -> f32 {
  return select(1.0, P.drop.y, P.drop.x > 0.0);
}

// Projected Gaussian ("splat"), 48 bytes.
struct Splat {
  xy: vec2f,     // 2D mean in pixels
  opacity: f32,  // sigmoid(logit) (times the Mip-Splatting compensation when antialiased)
  depth: f32,    // camera z
  conic: vec4f,  // inverse 2D covariance (A, B, C) with sigma = 0.5 (A dx^2 + C dy^2) + B dx dy | u32 bits: x0 | x1 << 16
  color: vec4f,  // clamped RGB | u32 bits: y0 | y1 << 16
}
// (x0..x1, y0..y1: inclusive pixel box of the ellipse where alpha >= 1/255, see project.wgsl.)

// The splat's opacity-aware pixel box relative to the tile's corner `origin`: (x0, y0, x1, y1),
// inclusive, possibly outside 0..15. Outside it alpha < 1/255.
fn tileBox(s: Splat, origin: vec2u) -> vec4i {
  let bx = bitcast<u32>(s.conic.w);
  let by = bitcast<u32>(s.color.w);
  let o = vec2i(origin);
  return vec4i(i32(bx & 0xffffu) - o.x, i32(by & 0xffffu) - o.y, i32(bx >> 16u) - o.x, i32(by >> 16u) - o.y);
}

// Whether block j of a tile (its pixels j * lanes .. j * lanes + lanes - 1, row-major) meets the
// tile-local box. j and lanes are constants in the compositing kernels, so this folds to a few
// uniform compares: a whole SIMD bundle skips a block the splat does not touch (most blocks, for
// the small splats of a sparse-view initialization).
fn blockMeetsBox(j: u32, lanes: u32, box: vec4i) -> bool {
  let first = j * lanes;
  let lastPix = first + lanes - 1u;
  let rowLo = i32(first / TILE);
  let rowHi = i32(lastPix / TILE);
  var colLo = 0i;
  var colHi = i32(TILE) - 1i;
  if (lanes < TILE) {
    colLo = i32(first % TILE);
    colHi = i32(lastPix % TILE);
  }
  return rowHi >= box.y && rowLo <= box.w && colHi >= box.x && colLo <= box.z;
}

fn isFiniteF(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

const SH_C0: f32 = 0.28209479177387814;
const SH_C1: f32 = 0.4886025119029199;
const SH_C2 = array<f32, 5>(1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396);
const SH_C3 = array<f32, 7>(-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154, -0.4570457994644658, 1.445305721320277, -0.5900435899266435);

// Real SH basis (3DGS sign convention) of unit direction d, first (deg+1)^2 entries valid.
fn shBasis(d: vec3f, deg: u32) -> array<f32, 16> {
  var b: array<f32, 16>;
  b[0] = SH_C0;
  if (deg >= 1u) {
    let x = d.x; let y = d.y; let z = d.z;
    b[1] = -SH_C1 * y; b[2] = SH_C1 * z; b[3] = -SH_C1 * x;
    if (deg >= 2u) {
      let xx = x * x; let yy = y * y; let zz = z * z;
      b[4] = SH_C2[0] * x * y;
      b[5] = SH_C2[1] * y * z;
      b[6] = SH_C2[2] * (2.0 * zz - xx - yy);
      b[7] = SH_C2[3] * x * z;
      b[8] = SH_C2[4] * (xx - yy);
      if (deg >= 3u) {
        b[9] = SH_C3[0] * y * (3.0 * xx - yy);
        b[10] = SH_C3[1] * x * y * z;
        b[11] = SH_C3[2] * y * (4.0 * zz - xx - yy);
        b[12] = SH_C3[3] * z * (2.0 * zz - 3.0 * xx - 3.0 * yy);
        b[13] = SH_C3[4] * x * (4.0 * zz - xx - yy);
        b[14] = SH_C3[5] * z * (xx - yy);
        b[15] = SH_C3[6] * x * (xx - 3.0 * yy);
      }
    }
  }
  return b;
}

// Rotation matrix (columns) of the unit quaternion q = (w, x, y, z).
fn quatToMat(q: vec4f) -> mat3x3f {
  let w = q.x; let x = q.y; let y = q.z; let z = q.w;
  return mat3x3f(
    vec3f(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y)),
    vec3f(2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x)),
    vec3f(2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y)),
  );
}

fn worldToCam() -> mat3x3f {
  // WGSL matrices are column-major: column j = (R0[j], R1[j], R2[j]).
  return transpose(mat3x3f(P.R0.xyz, P.R1.xyz, P.R2.xyz));
}
