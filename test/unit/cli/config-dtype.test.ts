/**
 * Our kernels' dtype from a config's torch_dtype: without --dtype a bfloat16/float16 model runs our kernels in f16
 * where the adapter has shader-f16 (lavapipe has it), f32 elsewhere, and the report says which (settings.dtypeChoice,
 * shown beside the shape); --dtype and the
 * setting attnprof.dtype override it. The engine's choice (configDtypeChoice) and the CLI on the real adapter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { main } from '../../../extension/cli/main';
import { configDtypeChoice } from '../../../extension/engine/profile';
import { configRequest, DEFAULT_SETTINGS, readSettings } from '../../../extension/hints/settings';
import { parseReport } from '../../../extension/report/schema';
import { summaryTable } from '../../../extension/report/summary';
import { fixture } from '../model/helpers';
import { parseConfig } from '../vscode/helpers';
import { problem, tempDir } from '../helpers';

process.env.XDG_RUNTIME_DIR ??= '/tmp';
const tmp = tempDir();
after(() => tmp.cleanup());

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the engine\'s choice', () => {
  const workloads = [{ name: 'a', problem: problem({ heads: 2, kvHeads: 2 }), layers: [0] }, { name: 'b', problem: problem({ seqLenQ: 1 }), layers: [1] }];

  test('bf16 or f16 config: f16 on an adapter with shader-f16, f32 without; each says why', () => {
    const f16 = configDtypeChoice({ configDtype: 'bf16', workloads }, { hasF16: true });
    assert.deepEqual(f16.workloads.map((w) => w.problem.dtype), ['f16', 'f16']);
    assert.equal(f16.note, "our kernels f16: the config's torch_dtype is bfloat16 and this adapter has shader-f16 (--dtype f32, or the setting attnprof.dtype f32, keeps them f32).");
    const f32 = configDtypeChoice({ configDtype: 'f16', workloads }, { hasF16: false });
    assert.deepEqual(f32.workloads.map((w) => w.problem.dtype), ['f32', 'f32']);
    assert.equal(f32.note, "our kernels f32: the config's torch_dtype is float16, but this adapter has no shader-f16.");
  });

  test('an f32 config, no config dtype, or no adapter (PyTorch rows only): the workloads as asked, no note', () => {
    for (const [configDtype, ctx] of [['f32', { hasF16: true }], [undefined, { hasF16: true }], ['bf16', undefined]] as const) {
      const c = configDtypeChoice({ configDtype, workloads }, ctx);
      assert.equal(c.workloads, workloads);
      assert.equal(c.note, undefined);
    }
  });
});

describe('attnprof profile on a config (real adapter)', () => {
  test('a bfloat16 config without --dtype: our kernels run f16 here and the report and summary say so', async () => {
    const json = tmp.path('bf16.json');
    const r = await cli('profile', fixture('qwen2-7b.json'), '--kernels', 'flash', '--seq-len', '32', '--iters', '1', '--warmup', '0', '--no-ceilings', '--quiet', '--json', json);
    assert.equal(r.code, 0, r.err);
    const report = parseReport(JSON.parse(readFileSync(json, 'utf8')));
    assert.equal(report.adapter.isFallback, true, 'this test expects lavapipe, which has shader-f16');
    assert.equal(report.spec.dtype, 'f16');
    assert.equal(report.results[0].status, 'ok');
    assert.ok(report.results[0].correct, 'checked at the f16 tolerance');
    assert.equal(report.results[0].tolerance, 8e-3);
    // A fact beside the shape (the CLI's header, the report's facts), not a notice: no toast on every profile.
    const choice = "our kernels f16: the config's torch_dtype is bfloat16 and this adapter has shader-f16 (--dtype f32, or the setting attnprof.dtype f32, keeps them f32).";
    assert.equal(report.settings.dtypeChoice, choice);
    assert.equal(report.notes, undefined);
    assert.ok(summaryTable(report).includes(`\ndtype: ${choice}\n`));
    assert.match(r.out, /D=128 f16 causal/);
  });

  test('--dtype f32 keeps our kernels f32 (no note); a float32 config stays f32', async () => {
    const pinned = tmp.path('f32.json');
    const a = await cli('profile', fixture('qwen2-7b.json'), '--kernels', 'flash', '--dtype', 'f32', '--seq-len', '32', '--iters', '1', '--warmup', '0', '--no-ceilings', '--quiet', '--json', pinned);
    assert.equal(a.code, 0, a.err);
    const ra = parseReport(JSON.parse(readFileSync(pinned, 'utf8')));
    assert.equal(ra.spec.dtype, 'f32');
    assert.equal(ra.settings.dtypeChoice, undefined);
    const clip = tmp.path('clip.json');
    const b = await cli('profile', fixture('clip-vit-base-patch32.json'), '--kernels', 'flash', '--seq-len', '16', '--iters', '1', '--warmup', '0', '--no-ceilings', '--quiet', '--json', clip);
    assert.equal(b.code, 0, b.err);
    assert.ok(parseReport(JSON.parse(readFileSync(clip, 'utf8'))).workloads.every((w) => w.spec.dtype === 'f32'));
  });
});

describe('the setting attnprof.dtype', () => {
  const text = readFileSync(fixture('qwen2-7b.json'), 'utf8');
  const models = parseConfig('qwen2-7b.json').models;

  test('auto (the default) hands the config\'s torch_dtype to the engine; f32 or f16 pins our kernels', () => {
    assert.equal(DEFAULT_SETTINGS.dtype, 'auto');
    const auto = configRequest('/w/config.json', 'config.json', models, DEFAULT_SETTINGS, text);
    assert.equal(auto.configDtype, 'bf16');
    assert.ok(auto.workloads.every((w) => w.problem.dtype === 'f32'), 'f32 until the engine sees the adapter');
    for (const dtype of ['f32', 'f16'] as const) {
      const pinned = configRequest('/w/config.json', 'config.json', models, readSettings((k) => (k === 'dtype' ? dtype : undefined)), text);
      assert.equal(pinned.configDtype, undefined);
      assert.ok(pinned.workloads.every((w) => w.problem.dtype === dtype));
    }
  });
});
