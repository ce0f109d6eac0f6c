// Writes lengths.txt: 2,000 token counts from a long-tailed distribution like an instruction-tuning set
// (mostly short chats around 200 tokens, a log-normal tail, a few long documents), capped at 2,048 tokens.
// Deterministic (seeded): `node examples/lengths/generate.mjs` rewrites the same file.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let state = 20261122;
function random() {
  // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function normal() {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const lengths = [];
for (let i = 0; i < 2000; i++) {
  const long = random() < 0.04;
  const len = long ? 1024 + Math.floor(random() * 1025) : Math.round(Math.exp(Math.log(200) + 0.8 * normal()));
  lengths.push(Math.max(8, Math.min(2048, len)));
}
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'lengths.txt'), lengths.join('\n') + '\n');
