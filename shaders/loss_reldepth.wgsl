// Relative (scale/shift-invariant) depth loss, Pearson form, forward and backward
// (loss_common.wgsl is prepended). For a pixel set S (valid pixels only):
//   corr = sum r~ p~ / sqrt((sum r~^2 + n eps)(sum p~^2 + n eps)),  r~ = r - mean r, p~ = p - mean p
//   loss = weight * (mean over patches with n >= 2 of (1 - corr) + global_weight * (1 - corr(all)))
// rd_stats: one workgroup per random patch (two-pass centred moments in the workgroup) and one per
// 1024-pixel chunk of the image; rd_combine: merges the chunks (Chan et al. pairwise update) and
// writes the loss; rd_grad: per pixel, d(loss)/d(render) from the patches containing it + global.

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

const CHUNK: u32 = 1024u;
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
    if (idx >= s * s) { return 0xffffffffu; }
    return (c.y + idx / s) * P.width + c.x + idx % s;
  }
  let p = (k - P.patches) * CHUNK + idx;
  if (p >= P.width * P.height) { return 0xffffffffu; }
  return p;
}

@compute @workgroup_size(256)
fn rd_stats(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let k = wg.x;
  var c = vec2u(0u);
  var count = CHUNK;
  if (k < P.patches) {
    c = corner(k);
    count = P.patch_size * P.patch_size;
  }
  var sr = 0.0;
  var sp = 0.0;
  var sn = 0.0;
  for (var i = lid; i < count; i += 256u) {
    let p = set_pixel(k, i, c);
    if (p != 0xffffffffu && ok(p)) {
      sr += render[p];
      sp += prior[p];
      sn += 1.0;
    }
  }
  let n = wg_sum(lid, sn);
  let mr = wg_sum(lid, sr) / max(n, 1.0);
  let mp = wg_sum(lid, sp) / max(n, 1.0);
  var srr = 0.0;
  var spp = 0.0;
  var srp = 0.0;
  for (var i = lid; i < count; i += 256u) {
    let p = set_pixel(k, i, c);
    if (p != 0xffffffffu && ok(p)) {
      let a = render[p] - mr;
      let b = prior[p] - mp;
      srr += a * a;
      spp += b * b;
      srp += a * b;
    }
  }
  let trr = wg_sum(lid, srr);
  let tpp = wg_sum(lid, spp);
  let trp = wg_sum(lid, srp);
  if (lid == 0u) {
    let o = k * 8u;
    stats[o] = n;
    stats[o + 1u] = mr;
    stats[o + 2u] = mp;
    stats[o + 3u] = trr;
    stats[o + 4u] = tpp;
    stats[o + 5u] = trp;
    stats[o + 6u] = f32(c.x);
    stats[o + 7u] = f32(c.y);
  }
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

var<workgroup> moms: array<Mom, 256>;

@compute @workgroup_size(256)
fn rd_combine(@builtin(local_invocation_index) lid: u32) {
  var m = Mom(0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  for (var c = lid; c < P.num_chunks; c += 256u) { m = merge(m, load_mom(P.patches + c)); }
  moms[lid] = m;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { moms[lid] = merge(moms[lid], moms[lid + s]); }
    workgroupBarrier();
  }
  var term = 0.0;
  var cnt = 0.0;
  for (var k = lid; k < P.patches; k += 256u) {
    let pm = load_mom(k);
    if (pm.n >= 2.0) {
      term += pearson(pm).x;
      cnt += 1.0;
    }
  }
  let tsum = wg_sum(lid, term);
  let tcnt = wg_sum(lid, cnt);
  if (lid == 0u) {
    let g = moms[0];
    var gterm = 0.0;
    if (g.n >= 2.0) { gterm = pearson(g).x; }
    let o = (P.patches + P.num_chunks) * 8u;
    stats[o] = tcnt;
    stats[o + 1u] = g.n;
    stats[o + 2u] = g.mr;
    stats[o + 3u] = g.mp;
    stats[o + 4u] = g.srr;
    stats[o + 5u] = g.spp;
    stats[o + 6u] = g.srp;
    loss_out[P.loss_slot] = P.weight * (tsum / max(tcnt, 1.0) + P.global_weight * gterm);
  }
}

@compute @workgroup_size(256)
fn rd_grad(@builtin(global_invocation_id) gid: vec3u) {
  let p = gid.y * P.row_groups * 256u + gid.x;
  if (p >= P.width * P.height || !ok(p)) { return; }
  let r = render[p];
  let q = prior[p];
  let x = f32(p % P.width);
  let y = f32(p / P.width);
  let so = (P.patches + P.num_chunks) * 8u;
  let cnt = stats[so];
  let size = f32(P.patch_size);
  var g = 0.0;
  if (cnt > 0.0) {
    for (var k = 0u; k < P.patches; k++) {
      let o = k * 8u;
      let x0 = stats[o + 6u];
      let y0 = stats[o + 7u];
      if (x < x0 || y < y0 || x >= x0 + size || y >= y0 + size) { continue; }
      let m = load_mom(k);
      if (m.n < 2.0) { continue; }
      let c = pearson(m);
      g -= (c.y * (q - m.mp) - c.z * (r - m.mr)) / cnt;
    }
  }
  let gm = Mom(stats[so + 1u], stats[so + 2u], stats[so + 3u], stats[so + 4u], stats[so + 5u], stats[so + 6u]);
  if (gm.n >= 2.0) {
    let c = pearson(gm);
    g -= P.global_weight * (c.y * (q - gm.mp) - c.z * (r - gm.mr));
  }
  grad[p] = grad[p] + P.weight * g;
}
