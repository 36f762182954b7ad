// Plane-sweep warp: for each reference pixel and each fronto-parallel depth hypothesis of a chunk,
// sample the source view's grey image where the pixel's 3D point projects (bilinear). Writes the
// per-pixel terms of the ZNCC window sums: (J, J^2, I*J, valid).
// Hypotheses are uniform in inverse depth: 1/z = invNear + d * invStep, d = d0 + k.
// Projection: s = z * M x + m, x = (px + 0.5, py + 0.5, 1), M = K_s R_rel K_r^-1, m = K_s t_rel.

struct Params {
  M0: vec4f, M1: vec4f, M2: vec4f, // rows of M; .w holds m
  width: u32, height: u32, refOffset: u32, srcOffset: u32,
  d0: u32, chunk: u32, invNear: f32, invStep: f32,
};
@group(0) @binding(0) var<uniform> U: Params;
@group(0) @binding(1) var<storage, read> gray: array<f32>;       // [view][H*W]
@group(0) @binding(2) var<storage, read_write> vol: array<vec4f>; // [chunk][H*W]

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n || gid.y >= U.chunk) { return; }
  let px = gid.x % U.width;
  let py = gid.x / U.width;
  let z = 1.0 / (U.invNear + f32(U.d0 + gid.y) * U.invStep);
  let x = vec3f(f32(px) + 0.5, f32(py) + 0.5, 1.0);
  let s = z * vec3f(dot(U.M0.xyz, x), dot(U.M1.xyz, x), dot(U.M2.xyz, x)) + vec3f(U.M0.w, U.M1.w, U.M2.w);
  var out = vec4f(0.0);
  if (s.z > 1e-6) {
    let u = s.x / s.z - 0.5;
    let v = s.y / s.z - 0.5;
    let wm1 = f32(U.width - 1u);
    let hm1 = f32(U.height - 1u);
    if (u >= 0.0 && v >= 0.0 && u <= wm1 && v <= hm1) {
      let x0 = min(u32(u), U.width - 2u);
      let y0 = min(u32(v), U.height - 2u);
      let fx = u - f32(x0);
      let fy = v - f32(y0);
      let b = U.srcOffset + y0 * U.width + x0;
      let top = mix(gray[b], gray[b + 1u], fx);
      let bot = mix(gray[b + U.width], gray[b + U.width + 1u], fx);
      let J = mix(top, bot, fy);
      let I = gray[U.refOffset + gid.x];
      out = vec4f(J, J * J, I * J, 1.0);
    }
  }
  vol[gid.y * n + gid.x] = out;
}
