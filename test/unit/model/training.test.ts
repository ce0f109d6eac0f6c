import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isTrainingConfig, parseConfigFile, parseConfigText } from '../../../extension/model';
import { repoPath } from './helpers';

const onFile = (rel: string): boolean => {
  const path = repoPath(rel);
  return isTrainingConfig(parseConfigFile(path), readFileSync(path, 'utf8'));
};

test('training configs: LLaMA-Factory YAML, the seed-style ViT training script, examples/vit_train.py', () => {
  assert.equal(onFile('examples/llama-factory/train_qwen2_lora.yaml'), true);
  assert.equal(onFile('test/fixtures/configs/seed_vit_train.py'), true);
  assert.equal(onFile('examples/vit_train.py'), true);
  assert.equal(onFile('test/fixtures/configs/train/hf_trainer.sh'), true);
});

test('model configs are not training configs: HF config.json, Python constants without a training loop', () => {
  assert.equal(onFile('examples/vit-b16/config.json'), false);
  assert.equal(onFile('test/fixtures/configs/qwen2-7b.json'), false);
  assert.equal(onFile('test/fixtures/configs/python-arithmetic.py'), false);
});

test('HF Trainer scripts and loops count; a commented-out backward does not', () => {
  const py = (text: string) => isTrainingConfig(parseConfigText('m.py', text), text);
  const constants = 'NUM_HEADS = 12\nHEAD_DIM = 64\nSEQ_LEN = 197\n';
  assert.equal(py(`${constants}from transformers import Trainer, TrainingArguments\nargs = TrainingArguments(output_dir="o")\n`), true);
  assert.equal(py(`${constants}opt = torch.optim.AdamW(m.parameters())\n`), true);
  assert.equal(py(`${constants}loss.backward()\n`), true);
  assert.equal(py(`${constants}# loss.backward()\nout = model(x)\n`), false);
});
