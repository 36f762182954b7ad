// Cross-view geometric consistency (forward-backward reprojection, as in MVSNet / COLMAP fusion):
// a reference pixel with depth z is lifted to 3D, projected into view j, view j's depth is sampled
// there (bilinear), that point is lifted and projected back into the reference. The view agrees when
// the round trip lands within pxThresh pixels and the depths differ by under relThresh.
// out[view][p] = (confidence, agreeing views, mean round-trip error in px (each view clamped at 100;
// -1 without depth or when no other view sees the point), views seen).
// confidence = 0.5 + 0.5 * score * agreeing / (views - 1) when agreeing >= minViews and score >= minScore,
// else 0: accepted pixels lie in (0.5, 1], so 'confident' reads the same as > 0 or > 0.5.

struct Cam { r0: vec4f, r1: vec4f, r2: vec4f, intr: vec4f }; // rows of R with t in .w; fx fy cx cy
struct Params {
  width: u32, height: u32, views: u32, minViews: u32,
  pxThresh: f32, relThresh: f32, minScore: f32, _pad: f32,
};
@group(0) @binding(0) var<uniform> U: Params;
@group(0) @binding(1) var<storage, read> cams: array<Cam>;
@group(0) @binding(2) var<storage, read> depth: array<f32>; // [view][H*W]
@group(0) @binding(3) var<storage, read> score: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>;

fn toWorld(c: Cam, u: f32, v: f32, z: f32) -> vec3f {
  let xc = vec3f((u - c.intr.z) / c.intr.x * z, (v - c.intr.w) / c.intr.y * z, z) - vec3f(c.r0.w, c.r1.w, c.r2.w);
  return c.r0.xyz * xc.x + c.r1.xyz * xc.y + c.r2.xyz * xc.z;
}
fn toCam(c: Cam, X: vec3f) -> vec3f {
  return vec3f(dot(c.r0.xyz, X) + c.r0.w, dot(c.r1.xyz, X) + c.r1.w, dot(c.r2.xyz, X) + c.r2.w);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n || gid.y >= U.views) { return; }
  let r = gid.y;
  let z = depth[r * n + gid.x];
  let sc = score[r * n + gid.x];
  if (z <= 0.0) { out[r * n + gid.x] = vec4f(0.0, 0.0, -1.0, 0.0); return; }
  let u0 = f32(gid.x % U.width) + 0.5;
  let v0 = f32(gid.x / U.width) + 0.5;
  let cr = cams[r];
  let X = toWorld(cr, u0, v0, z);
  var agree = 0u;
  var seen = 0u;
  var errSum = 0.0;
  for (var j = 0u; j < U.views; j++) {
    if (j == r) { continue; }
    let cj = cams[j];
    let p = toCam(cj, X);
    if (p.z <= 1e-6) { continue; }
    let u = cj.intr.x * p.x / p.z + cj.intr.z - 0.5;
    let v = cj.intr.y * p.y / p.z + cj.intr.w - 0.5;
    if (u < 0.0 || v < 0.0 || u > f32(U.width - 1u) || v > f32(U.height - 1u)) { continue; }
    let x0 = min(u32(u), U.width - 2u);
    let y0 = min(u32(v), U.height - 2u);
    let fx = u - f32(x0);
    let fy = v - f32(y0);
    let b = j * n + y0 * U.width + x0;
    let d00 = depth[b];
    let d01 = depth[b + 1u];
    let d10 = depth[b + U.width];
    let d11 = depth[b + U.width + 1u];
    seen++;
    if (min(min(d00, d01), min(d10, d11)) <= 0.0) { errSum += 100.0; continue; }
    let dj = mix(mix(d00, d01, fx), mix(d10, d11, fx), fy);
    let Y = toWorld(cj, u + 0.5, v + 0.5, dj);
    let q = toCam(cr, Y);
    let err = length(vec2f(cr.intr.x * q.x / q.z + cr.intr.z - u0, cr.intr.y * q.y / q.z + cr.intr.w - v0));
    errSum += min(err, 100.0);
    if (err < U.pxThresh && abs(q.z - z) < U.relThresh * z) { agree++; }
  }
  var conf = 0.0;
  if (agree >= U.minViews && sc >= U.minScore) { conf = 0.5 + 0.5 * sc * f32(agree) / f32(U.views - 1u); }
  out[r * n + gid.x] = vec4f(conf, f32(agree), select(-1.0, errSum / f32(seen), seen > 0u), f32(seen));
}
