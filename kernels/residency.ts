/**
 * How many workgroups a multiprocessor keeps resident, as far as workgroup memory and invocations decide it — the
 * model flash-mma's forward scores its tiles with (flash_mma.ts tileScore; the backward's tile order follows the same
 * measurements). Pure: no GPU.
 *
 * Measured on the H200 with the occupancy probe (`npm run bench -- --occupancy`, kernels/occupancy.ts; NVIDIA's
 * Vulkan driver 580.159.04, BENCHMARKS.md, eighteenth session): every multiprocessor gives its workgroups 48 KiB of
 * workgroup memory in all — floor(49 152 / footprint) resident at 64, 128 and 256 invocations alike (3 of 16 384
 * bytes, 2 of 16 400, 1 of 24 592), at most 32 of them and 2 048 invocations. This is the 16 KiB cliff the
 * seventeenth session timed (a pass 4 bytes past 16 KiB loses a third of its resident workgroups), and it means a
 * tile's workgroup memory, not its registers, usually decides how many subgroups run on a multiprocessor. Other
 * adapters' drivers may carve out more: there it is a model, not a measurement (run the probe to see).
 */
export const WORKGROUP_MEMORY_PER_MULTIPROCESSOR = 48 * 1024;
const MAX_WORKGROUPS_PER_MULTIPROCESSOR = 32;
const MAX_INVOCATIONS_PER_MULTIPROCESSOR = 2048;

/** 32-bit registers of a multiprocessor (an H200 SM: 64 K), allocated per invocation in units of 8. */
export const REGISTERS_PER_MULTIPROCESSOR = 64 * 1024;

/**
 * Workgroups of `workgroupBytes` and `threads` invocations one multiprocessor holds at once (at least 1); with
 * `registers` (per invocation, as the driver compiled the pass: scripts/nvcache.py) the registers bound it too.
 */
export function residentWorkgroups(workgroupBytes: number, threads: number, registers?: number): number {
  const byMemory = Math.floor(WORKGROUP_MEMORY_PER_MULTIPROCESSOR / Math.max(1, workgroupBytes));
  const byRegisters = registers ? Math.floor(REGISTERS_PER_MULTIPROCESSOR / (Math.ceil(registers / 8) * 8 * threads)) : Infinity;
  return Math.max(1, Math.min(byMemory, byRegisters, MAX_WORKGROUPS_PER_MULTIPROCESSOR, Math.floor(MAX_INVOCATIONS_PER_MULTIPROCESSOR / threads)));
}
