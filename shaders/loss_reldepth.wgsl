// Relative (scale/shift-invariant) depth loss, Pearson form, forward and backward
// (loss_common.wgsl is prepended). For a pixel set S (valid pixels only):
//   corr = sum r~ p~ / sqrt((sum r~^2 + n eps)(sum p~^2 + n eps)),  r~ = r - mean r, p~ = p - mean p
//   loss = weight * (mean over patches with n >= 2 of (1 - corr) + global_weight * (1 - corr(all)))
// rd_stats: one thread per random patch and per 64-pixel chunk of the image (two-pass centred
// moments); rd_combine: merges the chunks (Chan et al. pairwise update) and writes the loss;
// rd_grad_global: per pixel, the global term's gradient; rd_grad_patch: per patch pixel, the patch
// term's gradient added with a float CAS atomic (patches may overlap).

struct Params {
  width: u32,
  height: u32,
  patch_size: u32,
  patches: u32,
  seed: u32,
  num_chunks: u32,
  weight: f32,
  global_weight: f32,
  loss_slot: u32,
  has_valid: u32,
  has_alpha: u32,
  alpha_threshold: f32,
  row_groups: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> render: array<f32>;
@group(0) @binding(2) var<storage, read> prior: array<f32>;
@group(0) @binding(3) var<storage, read> valid: array<u32>;
@group(0) @binding(4) var<storage, read> alpha: array<f32>;
// 8 floats per set k (patches, then chunks): n, mean r, mean p, Srr, Spp, Srp, x0, y0;
// then the summary: valid patch count, then the merged global n, mr, mp, Srr, Spp, Srp.
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;
@group(0) @binding(6) var<storage, read_write> loss_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad: array<f32>;
// The same gradient buffer, bound as atomics for the overlapping patch terms.
@group(0) @binding(8) var<storage, read_write> grad_atomic: array<atomic<u32>>;

const CHUNK: u32 = 64u;
const STREAM_PATCH: u32 = 1000u;

fn ok(i: u32) -> bool {
  if (P.has_valid != 0u && (valid[i] & 0x7fffffffu) == 0u) { return false; }
  if (P.has_alpha != 0u && !(alpha[i] > P.alpha_threshold)) { return false; }
  return true;
}

fn corner(k: u32) -> vec2u {
  return vec2u(stream_key(P.seed, STREAM_PATCH + 2u * k) % (P.width - P.patch_size + 1u),
               stream_key(P.seed, STREAM_PATCH + 2u * k + 1u) % (P.height - P.patch_size + 1u));
}

// Pixel index of entry idx of set k, or 0xffffffff when outside.
fn set_pixel(k: u32, idx: u32, c: vec2u) -> u32 {
  if (k < P.patches) {
    let s = P.patch_size;
    return (c.y + idx / s) * P.width + c.x + idx % s;
  }
  let p = (k - P.patches) * CHUNK + idx;
  if (p >= P.width * P.height) { return 0xffffffffu; }
  return p;
}

// One thread per set (patch or 64-pixel chunk): two-pass centred moments, no barriers.
@compute @workgroup_size(64)
fn rd_stats(@builtin(global_invocation_id) gid: vec3u) {
  let k = gid.x;
  if (k >= P.patches + P.num_chunks) { return; }
  var c = vec2u(0u);
  var count = CHUNK;
  if (k < P.patches) {
    c = corner(k);
    count = P.patch_size * P.patch_size;
  }
  var sr = 0.0;
  var sp = 0.0;
  var n = 0.0;
  for (var i = 0u; i < count; i++) {
    let p = set_pixel(k, i, c);
    if (p != 0xffffffffu && ok(p)) {
      sr += render[p];
      sp += prior[p];
      n += 1.0;
    }
  }
  let mr = sr / max(n, 1.0);
  let mp = sp / max(n, 1.0);
  var srr = 0.0;
  var spp = 0.0;
  var srp = 0.0;
  for (var i = 0u; i < count; i++) {
    let p = set_pixel(k, i, c);
    if (p != 0xffffffffu && ok(p)) {
      let a = render[p] - mr;
      let b = prior[p] - mp;
      srr += a * a;
      spp += b * b;
      srp += a * b;
    }
  }
  let o = k * 8u;
  stats[o] = n;
  stats[o + 1u] = mr;
  stats[o + 2u] = mp;
  stats[o + 3u] = srr;
  stats[o + 4u] = spp;
  stats[o + 5u] = srp;
  stats[o + 6u] = f32(c.x);
  stats[o + 7u] = f32(c.y);
}

struct Mom { n: f32, mr: f32, mp: f32, srr: f32, spp: f32, srp: f32 }

fn merge(a: Mom, b: Mom) -> Mom {
  if (a.n == 0.0) { return b; }
  if (b.n == 0.0) { return a; }
  let n = a.n + b.n;
  let dr = b.mr - a.mr;
  let dp = b.mp - a.mp;
  let f = a.n * b.n / n;
  return Mom(n, a.mr + dr * b.n / n, a.mp + dp * b.n / n,
             a.srr + b.srr + dr * dr * f, a.spp + b.spp + dp * dp * f, a.srp + b.srp + dr * dp * f);
}

fn load_mom(k: u32) -> Mom {
  let o = k * 8u;
  return Mom(stats[o], stats[o + 1u], stats[o + 2u], stats[o + 3u], stats[o + 4u], stats[o + 5u]);
}

// 1 - corr of a set, and the coefficients (a, corr / vr) of its gradient.
fn pearson(m: Mom) -> vec3f {
  let vr = m.srr + m.n * P.eps;
  let vp = m.spp + m.n * P.eps;
  let a = 1.0 / sqrt(vr * vp);
  let corr = m.srp * a;
  return vec3f(1.0 - corr, a, corr / vr);
}

var<workgroup> moms: array<Mom, 64>;
var<workgroup> terms: array<vec2f, 64>;

// One workgroup, one barrier: merges the chunk moments (Chan et al. pairwise update) into the
// global moments, sums the patch terms, writes the summary and the loss.
@compute @workgroup_size(64)
fn rd_combine(@builtin(local_invocation_index) lid: u32) {
  var m = Mom(0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  for (var c = lid; c < P.num_chunks; c += 64u) { m = merge(m, load_mom(P.patches + c)); }
  var term = vec2f(0.0); // (sum of 1 - corr, count) over patches with n >= 2
  for (var k = lid; k < P.patches; k += 64u) {
    let pm = load_mom(k);
    if (pm.n >= 2.0) { term += vec2f(pearson(pm).x, 1.0); }
  }
  moms[lid] = m;
  terms[lid] = term;
  workgroupBarrier();
  if (lid == 0u) {
    var g = moms[0];
    var t = terms[0];
    for (var i = 1u; i < 64u; i++) {
      g = merge(g, moms[i]);
      t += terms[i];
    }
    var gterm = 0.0;
    if (g.n >= 2.0) { gterm = pearson(g).x; }
    let o = (P.patches + P.num_chunks) * 8u;
    stats[o] = t.y;
    stats[o + 1u] = g.n;
    stats[o + 2u] = g.mr;
    stats[o + 3u] = g.mp;
    stats[o + 4u] = g.srr;
    stats[o + 5u] = g.spp;
    stats[o + 6u] = g.srp;
    loss_out[P.loss_slot] = P.weight * (t.x / max(t.y, 1.0) + P.global_weight * gterm);
  }
}

// Global term, per pixel (runs before rd_grad_patch).
@compute @workgroup_size(256)
fn rd_grad_global(@builtin(global_invocation_id) gid: vec3u) {
  let p = gid.y * P.row_groups * 256u + gid.x;
  if (p >= P.width * P.height || !ok(p)) { return; }
  let so = (P.patches + P.num_chunks) * 8u;
  let gm = Mom(stats[so + 1u], stats[so + 2u], stats[so + 3u], stats[so + 4u], stats[so + 5u], stats[so + 6u]);
  if (gm.n < 2.0) { return; }
  let c = pearson(gm);
  grad[p] = grad[p] - P.weight * P.global_weight * (c.y * (prior[p] - gm.mp) - c.z * (render[p] - gm.mr));
}

// Patch terms: one thread per patch pixel, float atomic add (patches may overlap).
@compute @workgroup_size(256)
fn rd_grad_patch(@builtin(global_invocation_id) gid: vec3u) {
  let s2 = P.patch_size * P.patch_size;
  let k = gid.x / s2;
  if (k >= P.patches) { return; }
  let cnt = stats[(P.patches + P.num_chunks) * 8u];
  let m = load_mom(k);
  if (cnt <= 0.0 || m.n < 2.0) { return; }
  let i = gid.x % s2;
  let o = k * 8u;
  let p = (u32(stats[o + 7u]) + i / P.patch_size) * P.width + u32(stats[o + 6u]) + i % P.patch_size;
  if (!ok(p)) { return; }
  let c = pearson(m);
  atomic_add_f32(&grad_atomic[p], -P.weight * (c.y * (prior[p] - m.mp) - c.z * (render[p] - m.mr)) / cnt);
}
