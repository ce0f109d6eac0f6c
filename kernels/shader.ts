import paramsWgsl from './wgsl/params.wgsl';
import maskWgsl from './wgsl/mask.wgsl';
import type { DType } from './problem';

/**
 * Assembles a kernel's WGSL: `enable f16` and the element alias, then compile-time constants that WGSL
 * cannot take as `override` (sizes of function-scope and workgroup arrays), then the shared snippets.
 */
export function assembleShader(
  body: string,
  opts: { dtype: DType; consts: Record<string, number>; mask: boolean; enables?: string[]; directives?: string[]; prelude?: string },
): string {
  const lines: string[] = [];
  const enables = new Set(opts.enables ?? []);
  if (opts.dtype === 'f16') enables.add('f16');
  for (const e of enables) lines.push(`enable ${e};`);
  for (const d of opts.directives ?? []) lines.push(`${d};`);
  lines.push(`alias elem = ${opts.dtype};`);
  for (const [name, value] of Object.entries(opts.consts)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`shader constant ${name} must be a non-negative integer`);
    lines.push(`const ${name}: u32 = ${value}u;`);
  }
  lines.push(paramsWgsl);
  lines.push(body);
  if (opts.prelude) lines.push(opts.prelude);
  if (opts.mask) lines.push(maskWgsl);
  return lines.join('\n');
}

/**
 * Pipelines by device, shared by every run on that device: a profile (or a test suite) that runs the same kernel
 * on several shapes compiles each specialisation once. Pipelines die with their device.
 */
const byDevice = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** Caches pipelines by kernel + specialisation, so timing never includes shader compilation. */
export class PipelineCache {
  private readonly pipelines: Map<string, GPUComputePipeline>;

  constructor(private readonly device: GPUDevice) {
    let shared = byDevice.get(device);
    if (!shared) byDevice.set(device, (shared = new Map()));
    this.pipelines = shared;
  }

  /** `key` names the specialisation for humans; the cache is keyed by the code itself, so it can never be stale. */
  async get(key: string, code: string, label: string): Promise<GPUComputePipeline> {
    const id = `${key}\n${code}`;
    const hit = this.pipelines.get(id);
    if (hit) return hit;
    const module = this.device.createShaderModule({ label, code });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      const first = errors[0];
      throw new Error(`WGSL for ${label} failed to compile at line ${first.lineNum}:${first.linePos}: ${first.message}`);
    }
    const pipeline = await this.device.createComputePipelineAsync({
      label,
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    this.pipelines.set(id, pipeline);
    return pipeline;
  }
}

/**
 * Replaces each `//@NAME` line of a WGSL source with the generated lines of that section (code unrolled on the
 * host: registers named one by one, constant offsets). An unknown section is a bug in the kernel's host code.
 */
export function expandSections(body: string, parts: Record<string, string[]>): string {
  return body.replace(/^\/\/@(\w+)$/gm, (_, name: string) => {
    const lines = parts[name];
    if (!lines) throw new Error(`WGSL section //@${name} has no generator`);
    return lines.join('\n');
  });
}
