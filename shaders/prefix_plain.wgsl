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
