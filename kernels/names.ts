/**
 * The attention kernels by name: the one list the runner, the CLI (`--kernels`), the `attnprof.kernels`
 * setting (and its manifest enum) and the kernel picker share. Kept free of GPU code so the extension host
 * can read it without bundling the kernels. Adding a kernel: its entry here, its `AttentionKernel` in
 * runner.ts's KERNELS (a unit test checks the two agree), and the manifest enum.
 */
export const KERNEL_INFO = [
  { name: 'naive', description: 'three passes: S = QKᵀ materialised, softmax, O = PV (memory grows as N²)' },
  { name: 'flash', description: 'one fused pass with an online softmax over key tiles (FlashAttention-style, memory grows as N)' },
  {
    name: 'flash-mma',
    description: 'FlashAttention-2 on the tensor cores: f16 subgroup-matrix products, f32 online softmax (needs an adapter with subgroup matrices)',
  },
] as const;

/** Builds for tests only, runnable by name but never listed: flash-mma with a plain-f16 stand-in for the matrix builtins. */
export const INTERNAL_KERNEL_NAMES: readonly string[] = ['flash-mma-emulated'];

export type KernelName = (typeof KERNEL_INFO)[number]['name'];

export const KERNEL_NAMES: readonly string[] = KERNEL_INFO.map((k) => k.name);

export function isKernelName(name: unknown): name is KernelName {
  return typeof name === 'string' && KERNEL_NAMES.includes(name);
}

export function kernelDescription(name: string): string | undefined {
  return KERNEL_INFO.find((k) => k.name === name)?.description;
}

/** True when the adapter multiplies 16×16×16 f16 tiles into f32 on its matrix units (what flash-mma needs). */
export function hasF16MatrixConfig(a: { subgroupMatrixConfigs: { M: number; N: number; K: number; componentType: string; resultComponentType: string }[] }): boolean {
  return a.subgroupMatrixConfigs.some((c) => c.M === 16 && c.N === 16 && c.K === 16 && c.componentType === 'f16' && c.resultComponentType === 'f32');
}
