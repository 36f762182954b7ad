// Studio preview splatting (used when the compute rasterizer is not available, and as the fast
// interactive path): one screen-space quad per Gaussian, EWA projection of the 3D covariance
// (Kerbl et al. 2023, eqs. 5-6; Zwicker et al. 2002), alpha = opacity * exp(-0.5 d^T conic d),
// blended back to front (premultiplied "over") in the order given by `order` (sorted on the CPU).
// Gaussian buffers are GaussianBuffers' layout: means [N][3], logScales [N][3], quats [N][4] (wxyz),
// logitOpacities [N], sh [N][16][3].
struct View {
  R0: vec4f,           // world-to-camera rows (xyz) and t (w), OpenCV axes
  R1: vec4f,
  R2: vec4f,
  intr: vec4f,         // fx, fy, cx, cy in pixels
  size: vec2f,         // width, height in pixels
  mode: u32,           // 0 rgb, 1 depth, 2 alpha
  shDegree: u32,
  near: f32,
  far: f32,
  count: u32,
  _pad: u32,
};

@group(0) @binding(0) var<uniform> V: View;
@group(0) @binding(1) var<storage, read> means: array<f32>;
@group(0) @binding(2) var<storage, read> logScales: array<f32>;
@group(0) @binding(3) var<storage, read> quats: array<f32>;
@group(0) @binding(4) var<storage, read> opacities: array<f32>;
@group(0) @binding(5) var<storage, read> sh: array<f32>;
@group(0) @binding(6) var<storage, read> order: array<u32>;

struct VOut {
  @builtin(position) pos: vec4f,
  @location(0) offset: vec2f,     // pixels from the splat centre
  @location(1) conic: vec3f,      // inverse 2D covariance (a, b, c)
  @location(2) color: vec4f,      // rgb, opacity
};

fn turbo(t: f32) -> vec3f {
  let x = clamp(t, 0.0, 1.0);
  let v4 = vec4f(1.0, x, x * x, x * x * x);
  let v2 = v4.zw * v4.z;
  return vec3f(
    dot(v4, vec4f(0.13572138, 4.61539260, -42.66032258, 132.13108234)) + dot(v2, vec2f(-152.94239396, 59.28637943)),
    dot(v4, vec4f(0.09140261, 2.19418839, 4.84296658, -14.18503333)) + dot(v2, vec2f(4.27729857, 2.82956604)),
    dot(v4, vec4f(0.10667330, 12.64194608, -60.58204836, 110.36276771)) + dot(v2, vec2f(-89.90310912, 27.34824973)));
}

fn shCoef(i: u32, k: u32) -> vec3f {
  let o = (i * 16u + k) * 3u;
  return vec3f(sh[o], sh[o + 1u], sh[o + 2u]);
}

// Real SH colour, degree <= 3, direction d (unit, world), as in the reference 3DGS code.
fn shColor(i: u32, d: vec3f) -> vec3f {
  var c = 0.28209479177387814 * shCoef(i, 0u);
  if (V.shDegree >= 1u) {
    c += 0.4886025119029199 * (-d.y * shCoef(i, 1u) + d.z * shCoef(i, 2u) - d.x * shCoef(i, 3u));
  }
  if (V.shDegree >= 2u) {
    let xx = d.x * d.x; let yy = d.y * d.y; let zz = d.z * d.z;
    c += 1.0925484305920792 * d.x * d.y * shCoef(i, 4u)
      - 1.0925484305920792 * d.y * d.z * shCoef(i, 5u)
      + 0.31539156525252005 * (2.0 * zz - xx - yy) * shCoef(i, 6u)
      - 1.0925484305920792 * d.x * d.z * shCoef(i, 7u)
      + 0.5462742152960396 * (xx - yy) * shCoef(i, 8u);
    if (V.shDegree >= 3u) {
      c += -0.5900435899266435 * d.y * (3.0 * xx - yy) * shCoef(i, 9u)
        + 2.890611442640554 * d.x * d.y * d.z * shCoef(i, 10u)
        - 0.4570457994644658 * d.y * (4.0 * zz - xx - yy) * shCoef(i, 11u)
        + 0.3731763325901154 * d.z * (2.0 * zz - 3.0 * xx - 3.0 * yy) * shCoef(i, 12u)
        - 0.4570457994644658 * d.x * (4.0 * zz - xx - yy) * shCoef(i, 13u)
        + 1.445305721320277 * d.z * (xx - yy) * shCoef(i, 14u)
        - 0.5900435899266435 * d.x * (xx - 3.0 * yy) * shCoef(i, 15u);
    }
  }
  return max(c + 0.5, vec3f(0.0));
}

@vertex
fn vs(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> VOut {
  var out: VOut;
  out.pos = vec4f(2.0, 2.0, 2.0, 1.0); // culled unless set below
  if (ii >= V.count) { return out; }
  let i = order[ii];
  let m = vec3f(means[i * 3u], means[i * 3u + 1u], means[i * 3u + 2u]);
  let Rw = mat3x3f(V.R0.xyz, V.R1.xyz, V.R2.xyz); // columns = rows of R: Rw is R^T
  let pc = m * Rw + vec3f(V.R0.w, V.R1.w, V.R2.w); // R m + t
  if (pc.z < 0.01) { return out; }
  let q = normalize(vec4f(quats[i * 4u], quats[i * 4u + 1u], quats[i * 4u + 2u], quats[i * 4u + 3u]));
  let w = q.x; let x = q.y; let y = q.z; let z = q.w;
  // Rotation matrix of the quaternion (columns).
  let Rq = mat3x3f(
    vec3f(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y)),
    vec3f(2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x)),
    vec3f(2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y)));
  let s = exp(vec3f(logScales[i * 3u], logScales[i * 3u + 1u], logScales[i * 3u + 2u]));
  let M = mat3x3f(Rq[0] * s.x, Rq[1] * s.y, Rq[2] * s.z);
  let cov3 = M * transpose(M);
  let fx = V.intr.x; let fy = V.intr.y;
  // Clamp the Jacobian's evaluation point to 1.3x the view frustum, as the reference does.
  let limx = 1.3 * 0.5 * V.size.x / fx;
  let limy = 1.3 * 0.5 * V.size.y / fy;
  let tx = clamp(pc.x / pc.z, -limx, limx) * pc.z;
  let ty = clamp(pc.y / pc.z, -limy, limy) * pc.z;
  let J = mat3x3f(vec3f(fx / pc.z, 0.0, 0.0), vec3f(0.0, fy / pc.z, 0.0),
                  vec3f(-fx * tx / (pc.z * pc.z), -fy * ty / (pc.z * pc.z), 0.0));
  let Rcam = transpose(Rw); // R
  let T = J * Rcam;
  let cov2 = T * cov3 * transpose(T);
  let a = cov2[0][0] + 0.3;
  let b = cov2[0][1];
  let c = cov2[1][1] + 0.3;
  let det = a * c - b * b;
  if (det <= 0.0) { return out; }
  let mid = 0.5 * (a + c);
  let disc = sqrt(max(0.1, mid * mid - det));
  let l1 = mid + disc;
  let l2 = max(mid - disc, 0.1);
  var e1 = normalize(vec2f(b, l1 - a));
  if (abs(b) < 1e-9) { e1 = select(vec2f(0.0, 1.0), vec2f(1.0, 0.0), a >= c); }
  let e2 = vec2f(-e1.y, e1.x);
  let r1 = min(3.0 * sqrt(l1), 2048.0);
  let r2 = min(3.0 * sqrt(l2), 2048.0);
  let corner = vec2f(f32(vi & 1u) * 2.0 - 1.0, f32((vi >> 1u) & 1u) * 2.0 - 1.0);
  let off = corner.x * r1 * e1 + corner.y * r2 * e2;
  let centre = vec2f(fx * pc.x / pc.z + V.intr.z, fy * pc.y / pc.z + V.intr.w);
  let px = centre + off;
  out.pos = vec4f(px.x / V.size.x * 2.0 - 1.0, 1.0 - px.y / V.size.y * 2.0, 0.5, 1.0);
  out.offset = off;
  out.conic = vec3f(c, -b, a) / det;
  let opacity = 1.0 / (1.0 + exp(-opacities[i]));
  var col: vec3f;
  if (V.mode == 1u) {
    col = turbo((1.0 / pc.z - 1.0 / V.far) / (1.0 / V.near - 1.0 / V.far));
  } else if (V.mode == 2u) {
    col = vec3f(1.0);
  } else {
    let camCentre = -(Rw * vec3f(V.R0.w, V.R1.w, V.R2.w)); // -R^T t
    col = shColor(i, normalize(m - camCentre));
  }
  out.color = vec4f(col, opacity);
  return out;
}

@fragment
fn fs(v: VOut) -> @location(0) vec4f {
  let d = v.offset;
  let power = -0.5 * (v.conic.x * d.x * d.x + v.conic.z * d.y * d.y) - v.conic.y * d.x * d.y;
  if (power > 0.0) { discard; }
  let alpha = min(0.99, v.color.a * exp(power));
  if (alpha < 1.0 / 255.0) { discard; }
  return vec4f(v.color.rgb * alpha, alpha);
}
