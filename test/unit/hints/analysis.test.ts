import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyseConfig, problemEntries } from '../../../extension/hints/analysis';
import { hoverMarkdown } from '../../../extension/hints/hover';
import { fixture } from '../model/helpers';

const text = (rel: string) => readFileSync(fixture(rel), 'utf8');

test('files that are not model configs are left alone', () => {
  assert.deepEqual(analyseConfig('package.json', '{"name": "x", "version": "1.0.0"}'), { kind: 'none' });
  assert.deepEqual(analyseConfig('notes.py', 'x = 1\n'), { kind: 'none' });
});

test('a truncated config is one error at its place (0-based for the editor), not an exception', () => {
  const a = analyseConfig('config.json', text('hostile-truncated.json'));
  assert.equal(a.kind, 'error');
  const [p] = problemEntries(a);
  assert.equal(p.severity, 'error');
  assert.equal(a.kind === 'error' && p.startLine, a.kind === 'error' && a.line - 1);
  assert.equal(a.kind === 'error' && p.startColumn, a.kind === 'error' && a.column - 1);
});

test('strings for numbers: errors spanning the value', () => {
  const src = text('hostile-string-numbers.json');
  const a = analyseConfig('config.json', src);
  assert.equal(a.kind, 'parsed');
  const errors = problemEntries(a).filter((p) => p.severity === 'error');
  assert.ok(errors.length > 0);
  const lines = src.split('\n');
  for (const e of errors) {
    assert.equal(e.endLine, e.startLine);
    const covered = lines[e.startLine].slice(e.startColumn, e.endColumn);
    // The range covers the offending value exactly (a JSON value: string, number, …).
    assert.ok(covered.length > 0 && !/^\s|\s$/.test(covered), `${JSON.stringify(covered)} for ${e.message}`);
  }
});

test('hover explains the field with the numbers of this config', () => {
  const src = readFileSync(fixture('qwen2-7b.json'), 'utf8');
  const a = analyseConfig('config.json', src);
  assert.equal(a.kind, 'parsed');
  if (a.kind !== 'parsed') return;
  const line = (key: string) => src.split('\n').findIndex((l) => l.includes(`"${key}"`)) + 1;
  const kv = hoverMarkdown(a.parsed, line('num_key_value_heads'), 'num_key_value_heads') ?? '';
  assert.match(kv, /Key\/value heads \(Hkv = 4\)/);
  assert.match(kv, /7 query heads share one K\/V head/);
  assert.match(kv, /KV cache 56 KiB per token .* 86 % less than MHA's 392 KiB/);
  assert.match(hoverMarkdown(a.parsed, line('sliding_window'), 'sliding_window') ?? '', /not used by this model/);
  assert.equal(hoverMarkdown(a.parsed, line('num_key_value_heads'), 'num_attention_heads'), undefined);
  assert.equal(hoverMarkdown(a.parsed, line('vocab_size'), 'vocab_size'), undefined);
});
