//@SUBGROUPS
@group(0) @binding(0) var<uniform> P: Params;
@compute @workgroup_size(256) fn main() { _ = P.dims.x; }
