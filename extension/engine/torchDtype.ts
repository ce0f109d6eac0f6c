/**
 * The element type a model config states for PyTorch (`torch_dtype` / `dtype` in a Hugging Face config, `bf16:` /
 * `fp16:` in training arguments): the default dtype of the `torch:*` rows, as the model would run. Pure text scan.
 */
import type { TorchDType } from '../protocol/python';

const NAMES: Record<string, TorchDType> = { bfloat16: 'bf16', float16: 'f16', half: 'f16', float32: 'f32', float: 'f32' };

export function configTorchDtype(text: string): TorchDType | undefined {
  const json = /"(?:torch_dtype|dtype)"\s*:\s*"(?:torch\.)?(\w+)"/.exec(text);
  if (json && NAMES[json[1]]) return NAMES[json[1]];
  const flag = /^\s*(bf16|fp16)\s*:\s*(true|1)\s*$/im.exec(text) ?? /--(bf16|fp16)(?:[\s=]+(?:true|1)\b|\s*(?:\\|$))/m.exec(text);
  if (flag) return flag[1].toLowerCase() === 'bf16' ? 'bf16' : 'f16';
  const py = /torch\.(bfloat16|float16|half|float32)\b/.exec(text);
  return py ? NAMES[py[1]] : undefined;
}

export function parseTorchDtype(raw: string): TorchDType | undefined {
  const d = raw.trim().toLowerCase();
  if (d === 'bf16' || d === 'bfloat16') return 'bf16';
  if (d === 'f16' || d === 'fp16' || d === 'float16') return 'f16';
  if (d === 'f32' || d === 'fp32' || d === 'float32') return 'f32';
  return undefined;
}
