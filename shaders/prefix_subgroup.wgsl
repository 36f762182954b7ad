// Workgroup-wide exclusive prefix sum of vec4<u32> over 256 threads with subgroup operations
// (subgroupExclusiveAdd within each subgroup, then a scan of the subgroup totals). Assumes
// subgroups are consecutive runs of local_invocation_index, as on all current drivers.
// Same interface as prefix_plain.wgsl.
enable subgroups;

var<workgroup> sgSums: array<vec4u, 64>;
var<workgroup> wgTotal: vec4u; // sum over the workgroup, valid after wgScan returns

struct SgIds {
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) size: u32,
}

// Exclusive scan of v over local_invocation_index `lid` (call from uniform control flow).
fn wgScan(v: vec4u, lid: u32, sg: SgIds) -> vec4u {
  let ex = subgroupExclusiveAdd(v);
  let sid = lid / sg.size;
  if (sg.lane == sg.size - 1u) { sgSums[sid] = ex + v; }
  workgroupBarrier();
  if (lid == 0u) {
    let nsg = 256u / sg.size;
    var acc = vec4u(0u);
    for (var k = 0u; k < nsg; k++) {
      let t = sgSums[k];
      sgSums[k] = acc;
      acc += t;
    }
    wgTotal = acc;
  }
  workgroupBarrier();
  let r = sgSums[sid] + ex;
  workgroupBarrier();
  return r;
}
