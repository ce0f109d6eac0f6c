/**
 * Configs written to break the readers (issue 12's fuzzing pass): each case once threw, aborted, stalled or
 * printed a wrong number without a word. Every one must now parse to a result with a diagnostic at its place.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import {
  ConfigParseError,
  countKinds,
  inspectText,
  layerCounts,
  layerIndices,
  modelCost,
  parseConfigFile,
  parseConfigText,
  type ParsedConfig,
} from '../../../extension/model/index';
import { MAX_CONFIG_BYTES } from '../../../extension/model/parse';
import { FAMILIES, TOWERS } from '../../../extension/model/families';
import { workloadsFromModels } from '../../../extension/engine/workloads';
import { tempDir } from '../helpers';
import { only, severities } from './helpers';

const tmp = tempDir('attnprof-hostile-');
after(() => tmp.cleanup());

const json = (o: unknown) => parseConfigText('config.json', JSON.stringify(o));
const py = (text: string) => parseConfigText('train.py', text);
const messages = (p: ParsedConfig) => p.diagnostics.map((d) => `${d.severity}: ${d.message}`);

describe('names of JavaScript built-ins are not table entries', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    test(`model_type "${name}" is an unknown family: warned, causal by default, no class defaults`, () => {
      const p = json({ model_type: name, num_attention_heads: 8, hidden_size: 512, num_hidden_layers: 2, max_position_embeddings: 128 });
      const m = only(p);
      assert.match(severities(p, 'warning').join('\n'), new RegExp(`unknown model_type "${name}"`));
      assert.equal(m.causal, true);
      assert.equal(m.modelType, name);
      assert.match(inspectText(p), /causal ·/);
    });
  }

  test('the tables themselves have no prototype', () => {
    for (const t of [FAMILIES, TOWERS] as object[]) {
      assert.equal(Object.getPrototypeOf(t), null);
      assert.equal('constructor' in t, false);
      assert.equal('toString' in t, false);
    }
  });

  test('torch_dtype "toString" is an unknown dtype: a warning and 2-byte elements, numbers stay numbers', () => {
    const p = json({ model_type: 'llama', num_hidden_layers: 2, torch_dtype: 'toString' });
    const m = only(p);
    assert.equal(m.dtypeBytes, 2);
    assert.match(severities(p, 'warning').join('\n'), /unknown torch_dtype "toString"/);
    assert.ok(Number.isFinite(modelCost(m).kvCacheBytesPerToken));
    assert.doesNotThrow(() => structuredClone(m), 'a spec must cross the worker boundary');
    assert.doesNotMatch(inspectText(p), /function|native code/);
  });
});

describe('absurd layer counts: counted, never enumerated', () => {
  test('2^32 layers: a warning, finite cost, no array per layer, refused for profiling', () => {
    const p = json({ model_type: 'llama', num_hidden_layers: 2 ** 32 });
    const m = only(p);
    assert.equal(m.layers, 2 ** 32);
    assert.match(severities(p, 'warning').join('\n'), /absurd layers \(4\.294967296e9 > 100000\)/);
    const c = modelCost(m);
    assert.deepEqual(c.perKind.map((k) => [k.kind, k.layers]), [['global', 2 ** 32]]);
    assert.ok(Number.isFinite(c.totalFlops));
    assert.throws(() => workloadsFromModels(p.models, { dtype: 'f32' }), /4294967296 layers is more than any real model/);
  });

  test('1e9 Gemma-2 layers alternate by arithmetic: 5e8 local, 5e8 global', () => {
    const m = only(json({ model_type: 'gemma2', num_hidden_layers: 1e9 }));
    assert.deepEqual(m.layerPattern, [
      { kind: 'local', count: 1 },
      { kind: 'global', count: 1 },
    ]);
    assert.deepEqual([...layerCounts(m)], [
      ['local', 5e8],
      ['global', 5e8],
    ]);
  });

  test('1e9 Mistral layers with a window, and a Qwen2 window from max_window_layers, as runs', () => {
    const mistral = only(json({ model_type: 'mistral', num_hidden_layers: 1e9, sliding_window: 16, max_position_embeddings: 64 }));
    assert.deepEqual([...layerCounts(mistral)], [['local', 1e9]]);
    const qwen = only(json({ model_type: 'qwen2', num_hidden_layers: 2e9, use_sliding_window: true, max_window_layers: 5, sliding_window: 16, max_position_embeddings: 64 }));
    assert.deepEqual(qwen.layerPattern, [
      { kind: 'global', count: 5 },
      { kind: 'local', count: 2e9 - 5 },
    ]);
  });

  test('layer_types run-length encoded; a length that disagrees with num_hidden_layers is warned and repeated', () => {
    const types = ['sliding_attention', 'sliding_attention', 'full_attention'];
    const m = only(json({ model_type: 'llama', num_hidden_layers: 3, sliding_window: 8, max_position_embeddings: 64, layer_types: types }));
    assert.deepEqual(m.layerPattern, [
      { kind: 'local', count: 2 },
      { kind: 'global', count: 1 },
    ]);
    const p = json({ model_type: 'llama', num_hidden_layers: 7, sliding_window: 8, max_position_embeddings: 64, layer_types: types });
    assert.match(severities(p, 'warning').join('\n'), /layer_types lists 3 layers but .* has 7/);
    assert.deepEqual([...layerCounts(only(p))], [
      ['local', 5],
      ['global', 2],
    ]);
  });

  test('layer indices of each kind, in order, for the report rows', () => {
    const m = only(json({ model_type: 'gemma2', num_hidden_layers: 5 }));
    assert.deepEqual([...layerIndices(m, 100)], [
      ['local', [0, 2, 4]],
      ['global', [1, 3]],
    ]);
    assert.throws(() => layerIndices({ ...m, layers: 101 }, 100), RangeError);
    assert.deepEqual([...countKinds([{ kind: 'local', count: 3 }], 7)], [['local', 7]]);
  });

  test('sizes past 2^53 are errors, not rounded numbers', () => {
    const p = parseConfigText('config.json', '{"model_type": "llama", "num_attention_heads": 1e300}');
    assert.match(severities(p, 'error').join('\n'), /"num_attention_heads" is 1e300: too large to be a real size/);
  });
});

describe('file size and encoding are checked before parsing', () => {
  test(`a config over ${MAX_CONFIG_BYTES / 1048576} MiB is refused with a sentence, text or file`, () => {
    const big = `{"model_type": "llama", "x": "${'a'.repeat(MAX_CONFIG_BYTES)}"}`;
    assert.throws(() => parseConfigText('config.json', big), (e: unknown) => e instanceof ConfigParseError && /MiB; attnprof reads configs up to 8 MiB/.test(e.message));
    const file = tmp.path('huge-config.json');
    writeFileSync(file, big);
    assert.throws(() => parseConfigFile(file), /MiB; attnprof reads configs up to 8 MiB/);
  });

  test('UTF-16 (with or without a byte-order mark) is named, not read as NULs', () => {
    const text = '{"model_type": "llama"}';
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    for (const [name, bytes, enc] of [
      ['le-bom.json', Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'UTF-16 LE'],
      ['be-bom.json', Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'UTF-16 BE'],
      ['le.json', le, 'UTF-16 LE'],
    ] as const) {
      const file = tmp.path(name);
      writeFileSync(file, bytes);
      assert.throws(() => parseConfigFile(file), (e: unknown) => e instanceof ConfigParseError && e.message.includes(`is ${enc} encoded`) && !e.message.includes('\0'));
    }
  });

  test('a NUL or control character in the text is named by its code point, never printed raw', () => {
    assert.throws(() => parseConfigText('config.json', '{"a": \0}'), (e: unknown) => e instanceof ConfigParseError && /a NUL character/.test(e.message) && !e.message.includes('\0'));
    assert.throws(() => parseConfigText('config.json', '{"a": \u001b[31m}'), /the control character U\+001B/);
  });

  test('config text quoted in a message has its control characters escaped (a terminal escape, a backspace)', () => {
    const p = json({ model_type: '\u001b[31mred\u202e', num_attention_heads: 8, hidden_size: 512, num_hidden_layers: 2, max_position_embeddings: 64 });
    const warning = severities(p, 'warning').join('\n');
    assert.match(warning, /unknown model_type "\\u\{1B\}\[31mred\\u\{202E\}"/);
    assert.throws(() => parseConfigText('config.json', '{"\bidden_size" 3}'), (e: unknown) => e instanceof Error && e.message.includes('key "\\u{8}idden_size"') && !e.message.includes('\b'));
  });

  test('a folder given as the config file', () => {
    assert.throws(() => parseConfigFile(tmp.path('')), /this is a folder, not a config file/);
  });
});

describe('silent wrong numbers get a diagnostic at their place', () => {
  test('RoBERTa pad_token_id: a pad id past the positions, negative, NaN', () => {
    const base = { model_type: 'roberta', max_position_embeddings: 514 };
    const p600 = json({ ...base, pad_token_id: 600 });
    assert.match(severities(p600, 'error').join('\n'), /pad_token_id 600 leaves no position for a token/);
    assert.ok(only(p600).unsupported);
    for (const bad of ['-5', 'NaN']) {
      const p = parseConfigText('config.json', `{"model_type": "roberta", "max_position_embeddings": 514, "pad_token_id": ${bad}}`);
      assert.match(severities(p, 'error').join('\n'), /"pad_token_id" must be a non-negative integer/, bad);
      assert.ok(only(p).unsupported, bad);
    }
    assert.equal(only(json({ ...base, pad_token_id: 1 })).maxSeqLen, 512);
  });

  test('image_size pairs: negative or zero refused, non-square counted per side, never a fraction', () => {
    for (const bad of [[224, -224], [-224, -224], [224, 0], [224], [224, 224, 3]]) {
      const p = json({ model_type: 'vit', image_size: bad });
      assert.match(severities(p, 'error').join('\n'), /"image_size" must be a positive integer or a pair of positive integers/, JSON.stringify(bad));
      assert.ok(only(p).unsupported, JSON.stringify(bad));
    }
    const rect = json({ model_type: 'vit', image_size: [224, 240], patch_size: 16 });
    assert.equal(only(rect).maxSeqLen, 14 * 15 + 1);
    assert.match(messages(rect).join('\n'), /non-square image_size: tokens counted for 224×240/);
    const odd = json({ model_type: 'vit', image_size: [224, 225] });
    assert.equal(only(odd).maxSeqLen, 14 * 14 + 1);
    assert.match(messages(odd).join('\n'), /image_size 224×225 is not a multiple of patch_size 16/);
    assert.doesNotMatch(messages(odd).join('\n'), /\d\.\d/);
  });

  test('Python: SOFTCAP = 10**400 is an error, not "softcap Infinity"', () => {
    const p = py('NUM_HEADS = 8\nHEAD_DIM = 64\nSEQ_LEN = 128\nSOFTCAP = 10**400\n');
    assert.equal(only(p).softcap, 0);
    assert.match(severities(p, 'error').join('\n'), /4:11 cannot evaluate SOFTCAP: the value is not a finite number/);
    assert.doesNotMatch(inspectText(p), /Infinity/);
  });

  test('Python: augmented assignments are applied and noted (NUM_HEADS += 4)', () => {
    const p = py('NUM_HEADS = 8\nHEAD_DIM = 64\nSEQ_LEN = 128\nNUM_HEADS += 4\nSEQ_LEN *= 2\nSEQ_LEN //= 4\n');
    const m = only(p);
    assert.equal(m.heads, 12);
    assert.equal(m.seqLen, 64);
    const infos = severities(p, 'info').join('\n');
    assert.match(infos, /4:14 NUM_HEADS is changed in place \(NUM_HEADS \+= …\): its value after this line, 12, is the one read/);
    const orphan = py('HEAD_DIM = 64\nSEQ_LEN = 16\nNUM_HEADS += 4\n');
    assert.match(messages(orphan).join('\n'), /cannot evaluate NUM_HEADS: 'NUM_HEADS \+=' changes a value that is not an earlier numeric constant/);
  });

  test('Python: ten thousand unary minuses or ** are bounded, not a stack overflow', () => {
    const minus = py(`NUM_HEADS = ${'-'.repeat(10000)}8\nHEAD_DIM = 64\nSEQ_LEN = 16\n`);
    assert.equal(only(minus).heads, 8);
    const power = py(`NUM_HEADS = 8\nHEAD_DIM = 2${'**1'.repeat(10000)}\nSEQ_LEN = 16\n`);
    assert.match(messages(power).join('\n'), /cannot evaluate HEAD_DIM: expression nested too deeply/);
    const mixed = py(`NUM_HEADS = 8\nHEAD_DIM = ${'-2**'.repeat(5000)}2\nSEQ_LEN = 16\n`);
    assert.match(messages(mixed).join('\n'), /cannot evaluate HEAD_DIM: expression nested too deeply/);
    const args = py(`NUM_HEADS = max(${Array.from({ length: 200000 }, () => '1').join(',')})\nHEAD_DIM = 64\nSEQ_LEN = 16\n`);
    assert.equal(only(args).heads, 1);
  });
});
