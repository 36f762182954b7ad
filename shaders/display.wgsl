// Display pass: copies the rasterizer's planar output buffers (rgb H*W*3, alpha H*W, depth H*W, f32,
// row-major) to the canvas texture with one full-screen triangle. No CPU readback.
// mode 0: RGB (sRGB-encoded values, written as is to a non-sRGB canvas format)
// mode 1: depth, inverse-depth turbo colormap between near and far, blended over the background by alpha
// mode 2: alpha (accumulated opacity) as grey
struct Params {
  outSize: vec2u,      // canvas size in pixels
  srcSize: vec2u,      // rasterizer output size in pixels (may be smaller: render scale)
  mode: u32,
  depthIsSum: u32,     // 1: depth buffer holds sum(w_i z_i) and is divided by alpha here
  near: f32,
  far: f32,
  background: vec4f,
};

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> rgb: array<f32>;
@group(0) @binding(2) var<storage, read> alpha: array<f32>;
@group(0) @binding(3) var<storage, read> depth: array<f32>;

@vertex
fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  let x = f32((i << 1u) & 2u) * 2.0 - 1.0;
  let y = f32(i & 2u) * 2.0 - 1.0;
  return vec4f(x, y, 0.0, 1.0);
}

// Turbo colormap, polynomial approximation (Mikhailov 2019, Google AI blog), t in [0,1].
fn turbo(t: f32) -> vec3f {
  let x = clamp(t, 0.0, 1.0);
  let r = vec4f(0.13572138, 4.61539260, -42.66032258, 132.13108234);
  let g = vec4f(0.09140261, 2.19418839, 4.84296658, -14.18503333);
  let b = vec4f(0.10667330, 12.64194608, -60.58204836, 110.36276771);
  let r2 = vec2f(-152.94239396, 59.28637943);
  let g2 = vec2f(4.27729857, 2.82956604);
  let b2 = vec2f(-89.90310912, 27.34824973);
  let v4 = vec4f(1.0, x, x * x, x * x * x);
  let v2 = v4.zw * v4.z;
  return vec3f(dot(v4, r) + dot(v2, r2), dot(v4, g) + dot(v2, g2), dot(v4, b) + dot(v2, b2));
}

@fragment
fn fs(@builtin(position) pos: vec4f) -> @location(0) vec4f {
  let sx = min(u32(pos.x * f32(P.srcSize.x) / f32(P.outSize.x)), P.srcSize.x - 1u);
  let sy = min(u32(pos.y * f32(P.srcSize.y) / f32(P.outSize.y)), P.srcSize.y - 1u);
  let p = sy * P.srcSize.x + sx;
  let a = alpha[p];
  if (P.mode == 1u) {
    var z = depth[p];
    if (P.depthIsSum == 1u) { z = z / max(a, 1e-4); }
    let inv = (1.0 / max(z, 1e-6) - 1.0 / P.far) / (1.0 / P.near - 1.0 / P.far);
    let c = turbo(inv);
    return vec4f(mix(P.background.rgb, c, clamp(a, 0.0, 1.0)), 1.0);
  }
  if (P.mode == 2u) {
    let g = clamp(a, 0.0, 1.0);
    return vec4f(g, g, g, 1.0);
  }
  let c = vec3f(rgb[p * 3u], rgb[p * 3u + 1u], rgb[p * 3u + 2u]);
  return vec4f(clamp(c, vec3f(0.0), vec3f(1.0)), 1.0);
}
