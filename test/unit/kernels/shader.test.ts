/** The workgroup-memory transforms of shader.ts, as text (the kernel tier runs them on a device: uninit.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { padWorkgroupMemory, poisonWorkgroupMemory, workgroupPadBytes } from '../../../kernels/shader';

const kernel = `var<workgroup> a: array<f32, 64>;
@compute @workgroup_size(64, 1, 1)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  a[li] = f32(wg.x);
}`;

test('the workgroup pad declares the bytes asked for (whole words), kept by a store no invocation makes', () => {
  const code = padWorkgroupMemory(kernel, 510);
  assert.match(code, /var<workgroup> attnprofPad: array<u32, 128>;/);
  // At the top of the entry point, before the kernel's own code, guarded by an index no invocation has.
  assert.match(code, /fn main\(@builtin\(local_invocation_index\) li: u32, @builtin\(workgroup_id\) wg: vec3<u32>\) \{\n {2}if \(li == 0xffffffffu\) \{ attnprofPad\[li % 128u\] = 0u; \}\n {2}a\[li\] = f32\(wg\.x\);/);
  // An entry point without the local index gets one.
  const bare = padWorkgroupMemory('@compute @workgroup_size(8) fn main() {}', 4);
  assert.match(bare, /fn main\(@builtin\(local_invocation_index\) entryLid: u32\) \{\n {2}if \(entryLid == 0xffffffffu\)/);
});

test('the pad is off unless ATTNPROF_WG_PAD_BYTES is a positive whole number, and whole 16-byte steps', () => {
  const before = process.env.ATTNPROF_WG_PAD_BYTES;
  try {
    for (const [env, bytes] of [[undefined, 0], ['', 0], ['0', 0], ['-8', 0], ['12.5', 0], ['abc', 0], ['512', 512], ['6', 16], ['20', 32]] as const) {
      if (env === undefined) delete process.env.ATTNPROF_WG_PAD_BYTES;
      else process.env.ATTNPROF_WG_PAD_BYTES = env;
      assert.equal(workgroupPadBytes(), bytes, `ATTNPROF_WG_PAD_BYTES=${env}`);
    }
  } finally {
    if (before === undefined) delete process.env.ATTNPROF_WG_PAD_BYTES;
    else process.env.ATTNPROF_WG_PAD_BYTES = before;
  }
});

test('poisoning fills every workgroup variable at the top of the entry point, then a barrier', () => {
  const code = poisonWorkgroupMemory(kernel);
  assert.match(code, /\{\n {2}\{\n {4}let poisonBits = 0xffffffffu \| \(li & 0u\);\n {4}for \(var pi = li; pi < \(64\); pi \+= \(64\) \* \(1\) \* \(1\)\) \{ a\[pi\] = bitcast<f32>\(poisonBits\); \}\n {2}\}\n {2}workgroupBarrier\(\);\n {2}a\[li\]/);
  assert.equal(poisonWorkgroupMemory('@compute @workgroup_size(1) fn main() {}'), '@compute @workgroup_size(1) fn main() {}', 'nothing to poison');
  // Atomics, alone or in an array (flash-mma's 16-byte rescale flag), through atomicStore.
  const atomics = poisonWorkgroupMemory(`var<workgroup> flag: atomic<u32>;\nvar<workgroup> flags: array<atomic<u32>, 4>;\n${kernel}`);
  assert.match(atomics, /if \(li == 0u\) \{ atomicStore\(&flag, poisonBits\); \}/);
  assert.match(atomics, /for \(var pi = li; pi < \(4\); pi \+= \(64\) \* \(1\) \* \(1\)\) \{ atomicStore\(&flags\[pi\], poisonBits\); \}/);
});
