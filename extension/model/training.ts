/**
 * Whether a config file describes a training run (then "Profile Open Model Config" times a training step by
 * default: forward + backward, with what the forward saves for the backward in the memory trace).
 */
import type { ParsedConfig } from './types';

/**
 * Signals of a PyTorch training script: a backward call, an optimizer, HF Trainer, or a training function (the
 * seed's `def train_fn(...)`). Comments are stripped first so a commented-out line does not count.
 */
const PYTHON_TRAINING = /\.backward\s*\(|\btorch\.optim\b|\boptim\.[A-Z]\w*\s*\(|\bTrainer\s*\(|\bTrainingArguments\s*\(|^\s*def\s+train\w*\s*\(/m;

export function isTrainingConfig(parsed: Pick<ParsedConfig, 'kind'>, text: string): boolean {
  // LLaMA-Factory YAML, HF Trainer shell arguments, training-argument JSON: training by definition.
  if (parsed.kind === 'training-args') return true;
  if (parsed.kind !== 'python') return false;
  const code = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('\n');
  return PYTHON_TRAINING.test(code);
}
