// Workgroup-wide exclusive prefix sum of vec4<u32> over 256 threads, without subgroups
// (Hillis-Steele in workgroup memory). Same interface as prefix_subgroup.wgsl.

var<workgroup> scanBuf: array<vec4u, 256>;
var<workgroup> wgTotal: vec4u; // sum over the workgroup, valid after wgScan returns

struct SgIds { @builtin(local_invocation_id) unusedLocalId: vec3u }

// Exclusive scan of v over local_invocation_index `lid` (call from uniform control flow).
fn wgScan(v: vec4u, lid: u32, sg: SgIds) -> vec4u {
  scanBuf[lid] = v;
  workgroupBarrier();
  for (var o = 1u; o < 256u; o = o << 1u) {
    var t = scanBuf[lid];
    if (lid >= o) { t += scanBuf[lid - o]; }
    workgroupBarrier();
    scanBuf[lid] = t;
    workgroupBarrier();
  }
  let incl = scanBuf[lid];
  if (lid == 255u) { wgTotal = incl; }
  workgroupBarrier();
  return incl - v;
}
