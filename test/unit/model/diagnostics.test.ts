import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigParseError, parseConfigFile, parseConfigText } from '../../../extension/model/index';
import { fixture, only, parseFixture, severities } from './helpers';

function parseError(fn: () => unknown): ConfigParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigParseError) return e;
    throw e;
  }
  assert.fail('expected a ConfigParseError');
}

test('truncated JSON: ConfigParseError at the cut string, with file:line:col', () => {
  const path = fixture('hostile-truncated.json');
  const e = parseError(() => parseConfigFile(path));
  assert.equal(e.line, 17);
  assert.equal(e.column, 3);
  assert.equal(e.message, 'unterminated string (is the file truncated?)');
  assert.equal(e.describe(), `${path}:17:3: unterminated string (is the file truncated?)`);
});

test('JSON syntax errors point at the offending character', () => {
  const cases: [string, number, number, RegExp][] = [
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected ',' or '}'/],
    ['{\n  "n": tru\n}', 2, 8, /unexpected word 'tru'/],
    ['{\n  "n": 1,', 2, 10, /unexpected end of file/],
    ["{ 'n': 1 }", 1, 3, /double-quoted key/],
    ['{ "n": 01 }', 1, 8, /invalid number/],
    ['', 1, 1, /empty file/],
    ['{} {}', 1, 4, /after the end/],
  ];
  for (const [text, line, column, message] of cases) {
    const e = parseError(() => parseConfigText('config.json', text));
    assert.deepEqual([e.line, e.column], [line, column], text);
    assert.match(e.message, message);
    assert.equal(e.file, 'config.json');
  }
});

test('10k levels of nesting are refused, not a stack overflow', () => {
  const e = parseError(() => parseConfigText('config.json', '['.repeat(10_000)));
  assert.match(e.message, /nesting deeper than 256/);
});

test('strings for numbers and non-integers: errors at the value; unusable fields make the model unsupported', () => {
  const parsed = parseFixture('hostile-string-numbers.json');
  assert.deepEqual(severities(parsed, 'error'), [
    '4:26 "num_attention_heads" is the string "32", not a number: transformers would fail on it; read as 32',
    '5:24 "num_hidden_layers" must be an integer, got 32.5',
    '3:18 "hidden_size" is the string "4096", not a number: transformers would fail on it; read as 4096',
    '6:26 "num_key_value_heads" must be a positive integer, got the string "eight"',
  ]);
  const m = only(parsed);
  assert.equal(m.heads, 32);
  assert.equal(m.unsupported, 'cannot determine number of layers, key/value heads (see the errors above)');
  const d = parsed.diagnostics[0];
  assert.deepEqual([d.endLine, d.endColumn], [4, 30]); // the whole "32" token
});

test('1e12 heads: absurd-size warnings that say nothing will be allocated', () => {
  const parsed = parseFixture('hostile-huge-heads.json');
  const warnings = parsed.diagnostics.filter((d) => d.severity === 'warning');
  assert.deepEqual(
    warnings.map((d) => [d.line, d.column]),
    [
      [4, 26],
      [3, 18],
    ],
  );
  assert.match(warnings[0].message, /^absurd attention heads \(1e12 > 1e6\).*nothing will be allocated/);
  assert.equal(only(parsed).heads, 1e12);
});

test('JSONC: comments and trailing commas are read; a .json gets one note per kind', () => {
  const parsed = parseFixture('hostile-jsonc.json');
  const m = only(parsed);
  assert.deepEqual([m.modelType, m.heads, m.kvHeads, m.slidingWindow], ['mistral', 32, 8, 4096]);
  assert.deepEqual(
    parsed.diagnostics.map((d) => [d.severity, d.line, d.column, d.message.split(':')[0]]),
    [
      ['info', 1, 1, 'comment'],
      ['info', 9, 35, 'trailing comma'],
    ],
  );
  const asJsonc = parseConfigText('model.jsonc', readFileSync(fixture('hostile-jsonc.json'), 'utf8'));
  assert.deepEqual(asJsonc.diagnostics, []);
});

test('duplicate keys: last wins, warned at the second key', () => {
  const parsed = parseConfigText('config.json', '{"model_type": "gpt2",\n "n_head": 12,\n "n_head": 16}');
  assert.equal(only(parsed).heads, 16);
  assert.deepEqual(severities(parsed, 'warning'), ['3:2 duplicate key: the last value wins ("n_head")']);
});

test('heads that do not divide the hidden size (no head_dim): error at the heads value', () => {
  const parsed = parseFixture('hostile-indivisible.json');
  assert.deepEqual(severities(parsed, 'error'), [
    '4:26 hidden size 1000 is not divisible by 12 heads (and no head_dim is given): each head would get 83.33 dimensions',
  ]);
});

test('GQA heads that do not group evenly', () => {
  const parsed = parseConfigText('config.json', '{"model_type": "llama", "num_attention_heads": 32, "num_key_value_heads": 6}');
  assert.deepEqual(severities(parsed, 'error'), [
    '1:75 32 query heads are not a multiple of 6 key/value heads in llama: GQA needs equal groups',
  ]);
});

test('a top-level array is read but yields an error and no model', () => {
  const parsed = parseConfigText('config.json', '[1, 2]');
  assert.deepEqual(parsed.models, []);
  assert.deepEqual(severities(parsed, 'error'), ['1:1 expected a JSON object with the model\'s fields, got an array']);
});

test('unreadable file: ConfigParseError', () => {
  const e = parseError(() => parseConfigFile(fixture('does-not-exist.json')));
  assert.match(e.message, /^cannot read file: no such file/);
});

test('unrecognised file kind', () => {
  const e = parseError(() => parseConfigText('notes.txt', 'hello'));
  assert.match(e.message, /unrecognised config file/);
});
