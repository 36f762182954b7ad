// S3IM (Xie et al., ICCV 2023), forward and backward (loss_common.wgsl is prepended).
// 4096 pixels sampled without replacement from the seed, gathered into a 3 x 64 x 640 virtual image
// (repeat 0 in sample order, repeats 1..9 permuted; entry q = row * 640 + col), SSIM with a 4-tap
// Gaussian window (sigma 1.5), stride 4, zero padding 1 -> 16 x 160 windows; loss = weight * (1 - mean).
// Windows do not overlap (kernel = stride), so each window's thread writes the gradient of its
// taps; s3im_bwd gathers them per sample through the inverse permutations and adds to its pixel.

struct Params {
  width: u32,
  height: u32,
  n: u32,        // width * height
  m: u32,        // Feistel half bits for n
  rounds: u32,   // ceil(4096 / n)
  seed: u32,
  weight: f32,
  loss_slot: u32,
  _pad: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> render: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> gpatch: array<f32>; // 40960 * 3: dSSIM_mean*count / d(virtual entry)
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad: array<atomic<u32>>; // f32 bits

const SAMPLES: u32 = 4096u;
const REPEATS: u32 = 10u;
const PH: u32 = 64u;
const PW: u32 = 640u;
const OH: u32 = 16u;   // (64 + 2 - 4) / 4 + 1
const OW: u32 = 160u;  // (640 + 2 - 4) / 4 + 1
const WINDOWS: u32 = 2560u;
const INV_COUNT: f32 = 1.0 / 7680.0; // 1 / (3 * 16 * 160)
const STREAM_PIXELS: u32 = 100u;
const GAUSS = array<f32, 4>(/*GAUSS4*/);

fn sample_at(q: u32) -> u32 {
  let r = q / SAMPLES;
  let k = q % SAMPLES;
  if (r == 0u) { return k; }
  return feistel(k, 6u, stream_key(P.seed, r));
}

fn sample_pixel(s: u32) -> u32 {
  let round = s / P.n;
  return permute(s % P.n, P.n, P.m, stream_key(P.seed, STREAM_PIXELS + round));
}

@compute @workgroup_size(256)
fn s3im_fwd(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  var total = 0.0;
  if (t < WINDOWS) {
    let wr = t / OW;
    let wc = t % OW;
    var xs: array<vec3f, 16>;
    var ys: array<vec3f, 16>;
    var ws: array<f32, 16>;
    var qs: array<u32, 16>;
    var mx = vec3f(0.0);
    var my = vec3f(0.0);
    var exx = vec3f(0.0);
    var eyy = vec3f(0.0);
    var exy = vec3f(0.0);
    for (var j = 0u; j < 16u; j++) {
      let row = i32(wr * 4u + j / 4u) - 1;
      let col = i32(wc * 4u + j % 4u) - 1;
      ws[j] = 0.0;
      xs[j] = vec3f(0.0);
      ys[j] = vec3f(0.0);
      if (row >= 0 && col >= 0 && row < i32(PH) && col < i32(PW)) {
        let q = u32(row) * PW + u32(col);
        let p = sample_pixel(sample_at(q)) * 3u;
        let x = vec3f(render[p], render[p + 1u], render[p + 2u]);
        let y = vec3f(tgt[p], tgt[p + 1u], tgt[p + 2u]);
        let w = GAUSS[j / 4u] * GAUSS[j % 4u];
        ws[j] = w;
        qs[j] = q;
        xs[j] = x;
        ys[j] = y;
        mx += w * x;
        my += w * y;
        exx += w * x * x;
        eyy += w * y * y;
        exy += w * x * y;
      }
    }
    let t = ssim_terms(mx, my, exx, eyy, exy);
    let a1 = t.a1; let a2 = t.a2; let b1 = t.b1; let b2 = t.b2; let s = t.s;
    total = s.x + s.y + s.z;
    let dmx = s * (2.0 * my / a1 - 2.0 * my / a2 - 2.0 * mx / b1 + 2.0 * mx / b2);
    let dexx = -s / b2;
    let dexy = 2.0 * s / a2;
    for (var j = 0u; j < 16u; j++) {
      if (ws[j] > 0.0) {
        let g = ws[j] * (dmx + 2.0 * xs[j] * dexx + ys[j] * dexy);
        let o = qs[j] * 3u;
        gpatch[o] = g.x;
        gpatch[o + 1u] = g.y;
        gpatch[o + 2u] = g.z;
      }
    }
  }
  if (t < WINDOWS) { partials[t] = total; }
}

@compute @workgroup_size(64)
fn s3im_finalize(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < WINDOWS; i += 64u) { s += partials[i]; }
  let total = sum64_to_first(lid, vec4f(s, 0.0, 0.0, 0.0));
  if (lid == 0u) { loss_out[P.loss_slot] = P.weight * (1.0 - total.x * INV_COUNT); }
}

// One thread per sample: gathers the gradient of its 10 virtual entries and adds it to its pixel
// (a float CAS atomic: when H*W < 4096 a pixel is drawn by several samples).
@compute @workgroup_size(256)
fn s3im_bwd(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= SAMPLES) { return; }
  var g = vec3f(0.0);
  for (var r = 0u; r < REPEATS; r++) {
    var kk = i;
    if (r > 0u) { kk = feistel_inverse(i, 6u, stream_key(P.seed, r)); }
    let q = r * SAMPLES + kk;
    // Entries of the last row / column lie outside every window (padding 1, stride 4).
    if ((q / PW + 1u) / 4u < OH && (q % PW + 1u) / 4u < OW) {
      g += vec3f(gpatch[q * 3u], gpatch[q * 3u + 1u], gpatch[q * 3u + 2u]);
    }
  }
  let o = sample_pixel(i) * 3u;
  let scale = -P.weight * INV_COUNT;
  atomic_add_f32(&grad[o], scale * g.x);
  atomic_add_f32(&grad[o + 1u], scale * g.y);
  atomic_add_f32(&grad[o + 2u], scale * g.z);
}
