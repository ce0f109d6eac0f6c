/**
 * The two builds of every matrix-unit kernel (flash_mma.ts, backward_mma.ts, decode_mma.ts): `native` with WGSL's
 * subgroup-matrix builtins, `emulated` with a plain-f16 stand-in for them where the adapter has no matrix units.
 */
export type MmaBuild = 'native' | 'emulated';
