/**
 * Profile requests, built once: the CLI (from argv), the VS Code commands (from settings) and the worker
 * protocol all carry a `ProfileRequest` made here. Callers parse their own input into `RunOptions`; which
 * workloads a shape or a config yields, and how a request is titled, is decided only here.
 */
import { describeProblem, type AttentionProblem } from '../../kernels/problem';
import type { ModelAttention } from '../model';
import type { ProfileRequest } from '../protocol/worker';
import { workloadsFromModels, type WorkloadOverrides } from './workloads';

/** Everything of a request but what is profiled: kernels, iterations, mode, adapter, Python… */
export type RunOptions = Omit<ProfileRequest, 'title' | 'source' | 'workloads'>;

/** One problem given by its shape (`--shape`, *Profile Shape…*). */
export function shapeRequest(problem: AttentionProblem, run: RunOptions): ProfileRequest {
  return { title: describeProblem(problem), source: { kind: 'shape' }, workloads: [{ name: 'shape', problem, layers: [0] }], ...run };
}

/**
 * The models of a config file, one workload per layer kind. Throws ProblemError (from workloadsFromModels)
 * when nothing in the file can be profiled, with each model's reason. `title` defaults to the file; the
 * source names the first model when the caller asks (`nameModel`). Decode: one new token per sequence
 * attends to a KV cache of the profile length (every cached key is visible, so the causal mask changes nothing).
 */
export function configRequest(
  config: { file: string; models: readonly ModelAttention[]; title?: string; nameModel?: boolean },
  overrides: WorkloadOverrides,
  run: RunOptions,
  mode: 'prefill' | 'decode' = 'prefill',
): ProfileRequest {
  const prefill = workloadsFromModels(config.models, overrides);
  const workloads = mode === 'decode' ? prefill.map((w) => ({ ...w, name: `${w.name} · decode`, problem: { ...w.problem, seqLenQ: 1 } })) : prefill;
  const first = config.nameModel ? config.models.find((m) => !m.unsupported) : undefined;
  const title = config.title ?? config.file;
  return {
    title: mode === 'decode' ? `${title} (decode)` : title,
    source: { kind: 'config', file: config.file, ...(first ? { model: first.name } : {}) },
    workloads,
    ...run,
  };
}
