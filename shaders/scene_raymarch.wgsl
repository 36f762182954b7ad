// Procedural sample scene: analytic floor and back wall + sphere-traced SDF objects (spheres, a
// rotated box, a torus, a capped cylinder) with footprint-filtered procedural textures, Lambert
// lighting with hard shadows. One invocation per pixel, global_id.z = view.
// World frame: y up (metres-ish). Cameras: OpenCV (x right, y down, z forward), w2c R, t.
// Output colour is sRGB-encoded [0,1]; depth is camera z of the first hit (world units).

struct Cam {
  r0: vec4f, r1: vec4f, r2: vec4f, // rows of R (w2c); .w unused
  center: vec4f,                   // camera centre in world
  intr: vec4f,                     // fx, fy, cx, cy (pixels)
};
struct Params { width: u32, height: u32, views: u32, maxSteps: u32 };

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> cams: array<Cam>;
@group(0) @binding(2) var<storage, read_write> rgb: array<f32>;   // [view][y][x][3]
@group(0) @binding(3) var<storage, read_write> depth: array<f32>; // [view][y][x]

const WALL_Z: f32 = -2.2;
const BOX_MIN = vec3f(-1.25, -0.01, -1.45);
const BOX_MAX = vec3f(1.25, 1.3, 0.75);
const LIGHT = vec3f(0.4574957, 0.7624929, 0.4574957); // normalize(0.6, 1.0, 0.6), towards the sun

fn hash3(p: vec3f) -> f32 {
  let q = fract(p * vec3f(0.1031, 0.1030, 0.0973));
  let r = q + dot(q, q.yzx + 33.33);
  return fract((r.x + r.y) * r.z);
}

// Trilinear value noise with smoothstep weights, in [0,1].
fn vnoise(p: vec3f) -> f32 {
  let i = floor(p);
  let f = p - i;
  let u = f * f * (3.0 - 2.0 * f);
  let a = mix(mix(hash3(i), hash3(i + vec3f(1, 0, 0)), u.x), mix(hash3(i + vec3f(0, 1, 0)), hash3(i + vec3f(1, 1, 0)), u.x), u.y);
  let b = mix(mix(hash3(i + vec3f(0, 0, 1)), hash3(i + vec3f(1, 0, 1)), u.x), mix(hash3(i + vec3f(0, 1, 1)), hash3(i + vec3f(1, 1, 1)), u.x), u.y);
  return mix(a, b, u.z);
}

// Band-limited fBm: octaves finer than the pixel footprint w fade to their mean (0.5).
fn fbm(p: vec3f, freq: f32, w: f32) -> f32 {
  var s = 0.0;
  var amp = 0.5;
  var f = freq;
  for (var o = 0; o < 4; o++) {
    let fade = clamp(1.5 - 2.0 * f * w, 0.0, 1.0);
    s += amp * mix(0.5, vnoise(p * f + f32(o) * 17.0), fade);
    amp *= 0.5;
    f *= 2.0;
  }
  return s / 0.9375;
}

// Box-filtered checkerboard (filter width h in checker units), in [0,1].
fn checker(p: vec2f, h: f32) -> f32 {
  let hh = max(h, 1e-4);
  let i = 2.0 * (abs(fract((p - 0.5 * hh) * 0.5) - 0.5) - abs(fract((p + 0.5 * hh) * 0.5) - 0.5)) / hh;
  return 0.5 - 0.5 * i.x * i.y;
}

// Filtered stripes: 0.5 + 0.5 sin(2 pi f x), faded to 0.5 near Nyquist.
fn stripes(x: f32, f: f32, w: f32) -> f32 {
  return 0.5 + 0.5 * sin(6.2831853 * f * x) * clamp(1.5 - 2.0 * f * w, 0.0, 1.0);
}

fn rotY(p: vec3f, a: f32) -> vec3f {
  let c = cos(a);
  let s = sin(a);
  return vec3f(c * p.x + s * p.z, p.y, -s * p.x + c * p.z);
}

fn sdSphere(p: vec3f, c: vec3f, r: f32) -> f32 { return length(p - c) - r; }
fn sdBox(p: vec3f, b: vec3f) -> f32 {
  let q = abs(p) - b;
  return length(max(q, vec3f(0.0))) + min(max(q.x, max(q.y, q.z)), 0.0);
}
fn sdTorus(p: vec3f, R: f32, r: f32) -> f32 { return length(vec2f(length(p.xz) - R, p.y)) - r; }
fn sdCylinder(p: vec3f, r: f32, h: f32) -> f32 {
  let d = abs(vec2f(length(p.xz), p.y)) - vec2f(r, h);
  return min(max(d.x, d.y), 0.0) + length(max(d, vec2f(0.0)));
}

const BOX_C = vec3f(0.55, 0.36, -0.65);
const BOX_ANGLE: f32 = 0.55;
const TORUS_C = vec3f(0.05, 0.1, 0.3);
const CYL_C = vec3f(-0.2, 0.55, -1.15);

// Scene SDF of the objects; returns (distance, object id). Ids: 2 sphere, 3 box, 4 torus, 5 small sphere, 6 cylinder.
fn sdf(p: vec3f) -> vec2f {
  var d = vec2f(sdSphere(p, vec3f(-0.65, 0.45, -0.3), 0.45), 2.0);
  let b = sdBox(rotY(p - BOX_C, BOX_ANGLE), vec3f(0.3, 0.36, 0.28)) - 0.02;
  if (b < d.x) { d = vec2f(b, 3.0); }
  let t = sdTorus(p - TORUS_C, 0.3, 0.1);
  if (t < d.x) { d = vec2f(t, 4.0); }
  let s = sdSphere(p, vec3f(0.95, 0.22, 0.35), 0.22);
  if (s < d.x) { d = vec2f(s, 5.0); }
  let c = sdCylinder(p - CYL_C, 0.16, 0.55);
  if (c < d.x) { d = vec2f(c, 6.0); }
  return d;
}

fn sdfNormal(p: vec3f) -> vec3f {
  let e = 1e-3;
  let k = vec2f(1.0, -1.0);
  return normalize(k.xyy * sdf(p + k.xyy * e).x + k.yyx * sdf(p + k.yyx * e).x + k.yxy * sdf(p + k.yxy * e).x + k.xxx * sdf(p + k.xxx * e).x);
}

// Ray vs the objects' bounding box: (tmin, tmax), empty when tmin > tmax.
fn boxRange(ro: vec3f, rd: vec3f) -> vec2f {
  let inv = 1.0 / rd;
  let a = (BOX_MIN - ro) * inv;
  let b = (BOX_MAX - ro) * inv;
  let lo = min(a, b);
  let hi = max(a, b);
  return vec2f(max(max(lo.x, lo.y), max(lo.z, 0.0)), min(min(hi.x, hi.y), hi.z));
}

// Sphere tracing inside the bounding box, limited to tLimit; returns (t, id) or (-1, 0).
fn march(ro: vec3f, rd: vec3f, tLimit: f32, steps: u32) -> vec2f {
  let range = boxRange(ro, rd);
  if (range.x > range.y) { return vec2f(-1.0, 0.0); }
  var t = range.x;
  let tEnd = min(range.y, tLimit);
  for (var i = 0u; i < steps; i++) {
    if (t > tEnd) { break; }
    let h = sdf(ro + rd * t);
    if (h.x < 2e-4 * max(t, 1.0)) { return vec2f(t, h.y); }
    t += h.x;
  }
  return vec2f(-1.0, 0.0);
}

fn albedo(id: u32, p: vec3f, n: vec3f, w: f32) -> vec3f {
  switch id {
    case 0u: { // floor: filtered tiles x wood-like noise
      let c = checker(p.xz * 2.5, w * 2.5);
      let g = fbm(p, 3.0, w);
      return mix(vec3f(0.55, 0.42, 0.3), vec3f(0.85, 0.78, 0.62), c) * (0.6 + 0.8 * g);
    }
    case 1u: { // back wall: low-frequency blotches + fine noise
      let g = fbm(p, 1.5, w);
      let f = fbm(p + 5.0, 5.0, w);
      return vec3f(0.35 + 0.5 * g, 0.45 + 0.3 * f, 0.55 + 0.3 * (1.0 - g)) * (0.3 + 1.0 * f);
    }
    case 2u: { // big sphere: distorted latitude stripes
      let q = p - vec3f(-0.65, 0.45, -0.3);
      let s = stripes(q.y + 0.15 * fbm(p, 4.0, w), 6.0, w);
      return mix(vec3f(0.8, 0.2, 0.15), vec3f(0.95, 0.85, 0.3), s) * (0.7 + 0.6 * fbm(p, 10.0, w));
    }
    case 3u: { // box: high-frequency object-space noise
      let q = rotY(p - BOX_C, BOX_ANGLE);
      let g = fbm(q, 12.0, w);
      return vec3f(0.15, 0.35, 0.75) * (0.3 + 1.4 * g) + vec3f(0.1);
    }
    case 4u: { // torus: angular colour bands
      let q = p - TORUS_C;
      let a = atan2(q.z, q.x);
      let s = stripes(a / 6.2831853, 10.0, w * 0.6);
      return mix(vec3f(0.1, 0.6, 0.25), vec3f(0.9, 0.95, 0.8), s);
    }
    case 5u: { // small sphere: fine 3D checker
      let q = p * 14.0;
      let c = checker(q.xy + floor(q.z), w * 14.0);
      return mix(vec3f(0.1, 0.1, 0.12), vec3f(0.9, 0.5, 0.8), c);
    }
    default: { // cylinder: rings + mid-frequency noise
      let s = stripes(p.y, 4.0, w);
      let g = fbm(p, 6.0, w);
      return mix(vec3f(0.4, 0.25, 0.5), vec3f(0.9, 0.7, 0.3), s) * (0.6 + 0.7 * g);
    }
  }
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= P.width || gid.y >= P.height || gid.z >= P.views) { return; }
  let cam = cams[gid.z];
  let ro = cam.center.xyz;
  // Pixel centre -> camera ray -> world ray (R^T d).
  let dc = vec3f((f32(gid.x) + 0.5 - cam.intr.z) / cam.intr.x, (f32(gid.y) + 0.5 - cam.intr.w) / cam.intr.y, 1.0);
  let dw = cam.r0.xyz * dc.x + cam.r1.xyz * dc.y + cam.r2.xyz * dc.z;
  let rd = normalize(dw);
  let zPerT = 1.0 / length(dc); // camera z per unit distance along rd

  var tHit = 1e9;
  var id = 99u;
  var n = vec3f(0.0);
  if (rd.y < -1e-6) { // floor y = 0
    let t = -ro.y / rd.y;
    if (t > 0.0 && t < tHit) { tHit = t; id = 0u; n = vec3f(0.0, 1.0, 0.0); }
  }
  if (rd.z < -1e-6) { // back wall z = WALL_Z
    let t = (WALL_Z - ro.z) / rd.z;
    if (t > 0.0 && t < tHit) { tHit = t; id = 1u; n = vec3f(0.0, 0.0, 1.0); }
  }
  let m = march(ro, rd, tHit, P.maxSteps);
  if (m.x > 0.0 && m.x < tHit) {
    tHit = m.x;
    id = u32(m.y);
    n = sdfNormal(ro + rd * tHit);
  }

  let pix = gid.z * P.width * P.height + gid.y * P.width + gid.x;
  if (id == 99u) { // sky (not reachable from the default cameras)
    rgb[pix * 3u] = 0.7; rgb[pix * 3u + 1u] = 0.8; rgb[pix * 3u + 2u] = 0.95;
    depth[pix] = 0.0;
    return;
  }
  let p = ro + rd * tHit;
  // World size of one pixel at the hit, widened on slanted surfaces.
  let w = tHit / (cam.intr.x * zPerT) / max(abs(dot(n, rd)), 0.25);
  let a = albedo(id, p, n, w);
  var lit = max(dot(n, LIGHT), 0.0);
  if (lit > 0.0) {
    let s = march(p + n * 2e-3, LIGHT, 1e9, P.maxSteps / 2u);
    if (s.x > 0.0) { lit = 0.0; }
  }
  let lin = a * (0.3 + 0.7 * lit);
  let srgb = pow(clamp(lin, vec3f(0.0), vec3f(1.0)), vec3f(1.0 / 2.2));
  rgb[pix * 3u] = srgb.x;
  rgb[pix * 3u + 1u] = srgb.y;
  rgb[pix * 3u + 2u] = srgb.z;
  depth[pix] = tHit * zPerT;
}
