// Workgroup-wide exclusive prefix sum of vec4<u32> over 256 threads, without subgroups: a raking
// scan (16 threads each scan 16 consecutive values serially, one thread scans the 16 partial
// sums, everyone adds its partial back). 4 barriers instead of Hillis-Steele's 17, which matters
// on CPU adapters (SwiftShader) where each barrier switches every invocation's context.
// Same interface as prefix_subgroup.wgsl.

var<workgroup> scanBuf: array<vec4u, 256>;
var<workgroup> rakeSums: array<vec4u, 16>;
var<workgroup> wgTotal: vec4u; // sum over the workgroup, valid after wgScan returns

struct SgIds { @builtin(local_invocation_id) unusedLocalId: vec3u }

// Exclusive scan of v over local_invocation_index `lid` (call from uniform control flow).
fn wgScan(v: vec4u, lid: u32, sg: SgIds) -> vec4u {
  scanBuf[lid] = v;
  workgroupBarrier();
  if (lid < 16u) {
    var acc = vec4u(0u);
    for (var k = 0u; k < 16u; k++) {
      let t = scanBuf[lid * 16u + k];
      scanBuf[lid * 16u + k] = acc;
      acc += t;
    }
    rakeSums[lid] = acc;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var acc = vec4u(0u);
    for (var k = 0u; k < 16u; k++) {
      let t = rakeSums[k];
      rakeSums[k] = acc;
      acc += t;
    }
    wgTotal = acc;
  }
  workgroupBarrier();
  let r = scanBuf[lid] + rakeSums[lid / 16u];
  workgroupBarrier();
  return r;
}

var<workgroup> scanBuf2: array<array<vec4u, 2>, 256>;
var<workgroup> rakeSums2: array<array<vec4u, 2>, 16>;
var<workgroup> wgTotal2: array<vec4u, 2>; // sums over the workgroup, valid after wgScan2 returns

// Exclusive scan of the pair (a, b) (eight u32 lanes) over the workgroup; raking as wgScan.
fn wgScan2(a: vec4u, b: vec4u, lid: u32, sg: SgIds) -> array<vec4u, 2> {
  scanBuf2[lid] = array<vec4u, 2>(a, b);
  workgroupBarrier();
  if (lid < 16u) {
    var acc0 = vec4u(0u);
    var acc1 = vec4u(0u);
    for (var k = 0u; k < 16u; k++) {
      let t = scanBuf2[lid * 16u + k];
      scanBuf2[lid * 16u + k] = array<vec4u, 2>(acc0, acc1);
      acc0 += t[0];
      acc1 += t[1];
    }
    rakeSums2[lid] = array<vec4u, 2>(acc0, acc1);
  }
  workgroupBarrier();
  if (lid == 0u) {
    var acc0 = vec4u(0u);
    var acc1 = vec4u(0u);
    for (var k = 0u; k < 16u; k++) {
      let t = rakeSums2[k];
      rakeSums2[k] = array<vec4u, 2>(acc0, acc1);
      acc0 += t[0];
      acc1 += t[1];
    }
    wgTotal2 = array<vec4u, 2>(acc0, acc1);
  }
  workgroupBarrier();
  let s = scanBuf2[lid];
  let r = rakeSums2[lid / 16u];
  workgroupBarrier();
  return array<vec4u, 2>(s[0] + r[0], s[1] + r[1]);
}
