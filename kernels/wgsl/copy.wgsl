// Bandwidth ceiling: a grid-stride vec4 copy (each byte read once, written once).
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * 256u;
  let n = arrayLength(&src);
  for (var i = gid.x; i < n; i += stride) {
    dst[i] = src[i];
  }
}
