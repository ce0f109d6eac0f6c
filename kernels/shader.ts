import paramsWgsl from './wgsl/params.wgsl';
import maskWgsl from './wgsl/mask.wgsl';
import type { DType } from './problem';

/**
 * Assembles a kernel's WGSL: `enable f16` and the element alias, then compile-time constants that WGSL
 * cannot take as `override` (sizes of function-scope and workgroup arrays), then the shared snippets.
 */
export function assembleShader(
  body: string,
  opts: { dtype: DType; consts: Record<string, number>; mask: boolean },
): string {
  const lines: string[] = [];
  if (opts.dtype === 'f16') lines.push('enable f16;');
  lines.push(`alias elem = ${opts.dtype};`);
  for (const [name, value] of Object.entries(opts.consts)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`shader constant ${name} must be a non-negative integer`);
    lines.push(`const ${name}: u32 = ${value}u;`);
  }
  lines.push(paramsWgsl);
  lines.push(body);
  if (opts.mask) lines.push(maskWgsl);
  return lines.join('\n');
}

/** Caches pipelines by kernel + specialisation, so timing never includes shader compilation. */
export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {}

  async get(key: string, code: string, label: string): Promise<GPUComputePipeline> {
    const hit = this.pipelines.get(key);
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
    this.pipelines.set(key, pipeline);
    return pipeline;
  }
}
