/** User-derived text in the hover stays text: Markdown from a config never becomes a link, an image or HTML. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeMarkdown, hoverMarkdown } from '../../../extension/hints/hover';
import { parseConfigText } from '../../../extension/model/index';

test('a model_type carrying a Markdown link and a remote image renders as literal text in the hover', () => {
  const evil = '[click](https://example.invalid/x) ![](https://example.invalid/t.png) <img src=x> $(alert)';
  // The root model is named by `architectures`; with a second stack the hover names each one.
  const attention = { num_attention_heads: 8, hidden_size: 512, num_hidden_layers: 2, max_position_embeddings: 64 };
  const text = JSON.stringify({ architectures: [evil], model_type: evil, ...attention, text_config: { model_type: 'llama', ...attention } });
  const parsed = parseConfigText('config.json', text);
  assert.equal(parsed.models.length, 2);
  const hover = hoverMarkdown(parsed, 1, 'num_attention_heads');
  assert.ok(hover);
  assert.ok(hover.includes('\\[click\\]\\(https\\://example\\.invalid/x\\)'), hover);
  // No unescaped link or image syntax, no raw HTML, no theme icon.
  assert.doesNotMatch(hover, /(^|[^\\])\[click\]\(/);
  assert.doesNotMatch(hover, /(^|[^\\])!\[\]/);
  assert.doesNotMatch(hover, /(^|[^\\])<img/);
  assert.doesNotMatch(hover, /(^|[^\\])\$\(alert/);
});

test('escapeMarkdown: every Markdown punctuation character gets a backslash; line breaks become spaces', () => {
  assert.equal(escapeMarkdown('[a](b) *c* `d` <e> $(f)\n#g'), '\\[a\\]\\(b\\) \\*c\\* \\`d\\` \\<e\\> \\$\\(f\\) \\#g');
  assert.equal(escapeMarkdown('Qwen2ForCausalLM'), 'Qwen2ForCausalLM');
});
