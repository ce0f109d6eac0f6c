import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigFile, parseConfigText } from '../../../extension/model/index';
import { only, parseFixture, repoPath, severities } from './helpers';

test('LLaMA-Factory yaml: cutoff_len and batch applied to the config beside it', () => {
  const parsed = parseFixture('train/llama_factory_lora.yaml');
  assert.equal(parsed.kind, 'training-args');
  const m = only(parsed);
  assert.deepEqual(
    [m.name, m.heads, m.kvHeads, m.headDim, m.maxSeqLen, m.seqLen, m.batch, m.attnImplementation],
    ['Qwen2ForCausalLM', 28, 4, 128, 32768, 1024, 2, 'fa2'],
  );
  // Fields point into the yaml itself, where the editor shows them.
  assert.deepEqual(
    m.fields.map((f) => [f.key, f.line, f.role]),
    [
      ['cutoff_len', 13, 'seqLen'],
      ['per_device_train_batch_size', 23, 'batch'],
      ['flash_attn', 30, 'model'],
      ['model_name_or_path', 2, 'model'],
    ],
  );
  // The model config's info notes stay with the model config.
  assert.deepEqual(parsed.diagnostics, []);
});

test('HF Trainer shell script: --flag value and --flag=value across line continuations', () => {
  const m = only(parseFixture('train/hf_trainer.sh'));
  assert.deepEqual([m.seqLen, m.batch, m.kvHeads], [2048, 4, 4]);
  assert.deepEqual(
    m.fields.find((f) => f.key === 'per_device_train_batch_size'),
    { key: 'per_device_train_batch_size', line: 9, column: 5, role: 'batch' },
  );
});

test('a Hub id that is not beside the file: warning at the value; bad batch: error at the value', () => {
  const parsed = parseFixture('train/hub_id.yaml');
  assert.deepEqual(parsed.models, []);
  assert.deepEqual(severities(parsed, 'error'), ['3:30 per_device_train_batch_size must be a positive integer, got "one"']);
  assert.match(severities(parsed, 'warning')[0], /^1:21 model config not found beside this file at Qwen\/Qwen2-7B-Instruct\/config\.json \(looks like a Hub id/);
});

test('readSibling is the only way to the model config, relative to the args file', () => {
  const asked: string[] = [];
  const parsed = parseConfigText('run/args.yaml', 'model_name_or_path: ../models/gpt2/\ncutoff_len: 512\n', {
    readSibling: (rel) => {
      asked.push(rel);
      return '{"model_type": "gpt2"}';
    },
  });
  assert.deepEqual(asked, ['../models/gpt2/config.json']);
  const m = only(parsed);
  assert.deepEqual([m.heads, m.seqLen, m.maxSeqLen], [12, 512, 1024]);
});

test('cutoff beyond the model positions warns; a broken sibling config surfaces at model_name_or_path', () => {
  const long = parseConfigText('a.yaml', 'model_name_or_path: m\ncutoff_len: 4096\n', { readSibling: () => '{"model_type": "gpt2"}' });
  assert.deepEqual(severities(long, 'warning'), ["2:13 cutoff_len 4096 exceeds GPT2LMHeadModel's 1024 positions".replace('GPT2LMHeadModel', 'gpt2')]);
  const broken = parseConfigText('a.yaml', 'model_name_or_path: m\ncutoff_len: 64\n', { readSibling: () => '{"model_type": ' });
  assert.deepEqual(severities(broken, 'error'), ['1:21 m/config.json:1:16: cannot parse the model config: unexpected end of file: expected a value (is the file truncated?)']);
});

test('examples/llama-factory yaml finds ../qwen2-7b/config.json', () => {
  const m = only(parseConfigFile(repoPath('examples/llama-factory/train_qwen2_lora.yaml')));
  assert.deepEqual([m.name, m.seqLen, m.batch, m.maxSeqLen], ['Qwen2ForCausalLM', 4096, 2, 131072]);
});
