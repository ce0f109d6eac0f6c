/**
 * The `attnprof.*` settings as the profiler uses them. The manifest bounds them, but settings.json is
 * hand-edited text: every value is re-checked here and falls back to its default rather than reaching the GPU.
 */
import { KERNEL_NAMES } from '../../kernels/names';
import type { AttentionProblem, DType } from '../../kernels/problem';
import type { ProfileRequest } from '../protocol/worker';
import { configRequest as buildConfigRequest, shapeRequest as buildShapeRequest } from '../engine/requests';
import { configTorchDtype } from '../engine/torchDtype';
import { TORCH_KERNEL_IDS, type ProfileMode, type TorchDType } from '../protocol/python';
import type { ModelAttention } from '../model';

/** Our WGSL kernels (kernels/names.ts), then PyTorch's backends (`torch:NAME`, run by the user's Python). */
export const KNOWN_KERNELS: readonly string[] = [...KERNEL_NAMES, ...TORCH_KERNEL_IDS];
export const DEFAULT_KERNELS: readonly string[] = [...KERNEL_NAMES];

export interface ProfileSettings {
  kernels: string[];
  iterations: number;
  warmup: number;
  /** Our kernels' element type; auto: f16 for a bf16/fp16 config where the adapter has shader-f16, else f32. */
  dtype: 'auto' | DType;
  /** 0 = from the config. */
  batch: number;
  /** 0 = from the config. */
  seqLen: number;
  /** Substring of the adapter name; '' = Dawn's default. */
  adapter: string;
  /** Per-kernel timing budget in seconds. */
  maxSeconds: number;
  codeLensEnabled: boolean;
  /** Lengths file for the padding CodeLens (workspace-relative or absolute); '' = the last one analysed. */
  paddingLengthsFile: string;
  /** Python for the torch:* kernels; '' = the Python extension's interpreter, else python3 on PATH. */
  python: string;
  /** fwd, train (forward + backward), or auto: train for a training config (LLaMA-Factory, HF Trainer, a training script), else fwd. */
  mode: 'auto' | ProfileMode;
  /** dtype of the torch:* kernels; auto = the config's torch_dtype, else `dtype`. */
  torchDtype: 'auto' | TorchDType;
}

export const DEFAULT_SETTINGS: ProfileSettings = {
  kernels: [...DEFAULT_KERNELS],
  iterations: 20,
  warmup: 3,
  dtype: 'auto',
  batch: 0,
  seqLen: 0,
  adapter: '',
  maxSeconds: 30,
  codeLensEnabled: true,
  paddingLengthsFile: '',
  python: '',
  mode: 'auto',
  torchDtype: 'auto',
};

const int = (v: unknown, min: number, max: number, fallback: number): number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fallback;

/** `get(key)` reads one `attnprof.<key>` value (undefined when unset). */
export function readSettings(get: (key: string) => unknown): ProfileSettings {
  const d = DEFAULT_SETTINGS;
  const rawKernels = get('kernels');
  const kernels = Array.isArray(rawKernels)
    ? [...new Set(rawKernels.filter((k): k is string => typeof k === 'string' && KNOWN_KERNELS.includes(k)))]
    : [];
  const dtype = get('dtype');
  const adapter = get('adapter');
  const maxSeconds = get('maxSeconds');
  const lens = get('codeLens.enabled');
  const lengthsFile = get('padding.lengthsFile');
  const python = get('python');
  const mode = get('mode');
  const torchDtype = get('torchDtype');
  return {
    kernels: kernels.length ? kernels : [...d.kernels],
    iterations: int(get('iterations'), 1, 10_000, d.iterations),
    warmup: int(get('warmup'), 0, 1000, d.warmup),
    dtype: dtype === 'f16' || dtype === 'f32' || dtype === 'auto' ? dtype : d.dtype,
    batch: int(get('batch'), 0, 65_536, d.batch),
    seqLen: int(get('seqLen'), 0, 1 << 20, d.seqLen),
    adapter: typeof adapter === 'string' ? adapter.trim() : d.adapter,
    maxSeconds: typeof maxSeconds === 'number' && Number.isFinite(maxSeconds) && maxSeconds >= 0.1 && maxSeconds <= 3600 ? maxSeconds : d.maxSeconds,
    codeLensEnabled: typeof lens === 'boolean' ? lens : d.codeLensEnabled,
    paddingLengthsFile: typeof lengthsFile === 'string' && lengthsFile.length <= 1000 ? lengthsFile.trim() : d.paddingLengthsFile,
    python: typeof python === 'string' && python.length <= 1000 ? python.trim() : d.python,
    mode: mode === 'train' || mode === 'fwd' || mode === 'auto' ? mode : d.mode,
    torchDtype: torchDtype === 'bf16' || torchDtype === 'f16' || torchDtype === 'f32' || torchDtype === 'auto' ? torchDtype : d.torchDtype,
  };
}

/** The dtype our kernels start from: auto is f32 until a config's torch_dtype and the adapter say f16 (engine/profile.ts). */
export function baseDtype(s: Pick<ProfileSettings, 'dtype'>): DType {
  return s.dtype === 'auto' ? 'f32' : s.dtype;
}

function common(s: ProfileSettings, configText?: string, training = false) {
  const mode: ProfileMode = s.mode === 'auto' ? (training ? 'train' : 'fwd') : s.mode;
  const configDtype = s.dtype === 'auto' && configText !== undefined ? configTorchDtype(configText) : undefined;
  return {
    kernels: s.kernels,
    iterations: s.iterations,
    warmup: s.warmup,
    maxSeconds: s.maxSeconds,
    mode,
    torchDtype: s.torchDtype === 'auto' ? ((configText !== undefined ? configTorchDtype(configText) : undefined) ?? baseDtype(s)) : s.torchDtype,
    ...(configDtype ? { configDtype } : {}),
    ...(s.python ? { python: { explicit: { path: s.python, source: 'attnprof.python' as const } } } : {}),
    ...(s.adapter ? { adapterName: s.adapter } : {}),
  };
}

/**
 * A profile of the models in a config file, with the settings' kernels, iterations, batch and length. Throws
 * ProblemError (from workloadsFromModels) when nothing in the file can be profiled, with each model's reason.
 * `training`: the file describes a training run (model/training.ts), so mode `auto` times a training step.
 */
export function configRequest(
  file: string,
  displayName: string,
  models: readonly ModelAttention[],
  s: ProfileSettings,
  configText?: string,
  mode: 'prefill' | 'decode' = 'prefill',
  training = false,
): ProfileRequest {
  const first = models.find((m) => !m.unsupported);
  return buildConfigRequest(
    { file, models, title: first && models.length === 1 ? `${first.name} — ${displayName}` : displayName, nameModel: true },
    { dtype: baseDtype(s), batch: s.batch || undefined, seqLen: s.seqLen || undefined },
    {
      // 0 = the config's length: the engine may shorten it on a software adapter (and says so); a set one is kept.
      ...(s.seqLen ? {} : { autoSeqLen: true }),
      // A decode step has no backward: auto times its forward even for a training config.
      ...common(s, configText, training && mode === 'prefill'),
    },
    mode,
  );
}

export function shapeRequest(problem: AttentionProblem, s: ProfileSettings): ProfileRequest {
  return buildShapeRequest(problem, common(s));
}
