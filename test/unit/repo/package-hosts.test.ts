/**
 * Project files name no package host: install scripts take the mirror from the machine's own apt
 * configuration (scripts/setup-lavapipe.sh), so a machine behind its own mirror or proxy works unchanged.
 * Lockfiles are npm's record of where it fetched from and are left out.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(__dirname, '../../..');
const HOSTS = /\b(deb\.debian\.org|security\.debian\.org|ftp\.[a-z.]*debian\.org|snapshot\.debian\.org|archive\.ubuntu\.com|security\.ubuntu\.com|registry\.npmjs\.org|registry\.yarnpkg\.com|pypi\.org|files\.pythonhosted\.org|download\.pytorch\.org)\b/;

test('no tracked project file names a package host (lockfiles aside)', () => {
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !/(^|\/)package-lock\.json$/.test(f) && !/\.(png|npy|vsix)$/.test(f));
  assert.ok(tracked.includes('scripts/setup-lavapipe.sh'), 'run from a git checkout');
  const offenders = tracked.filter((f) => {
    try {
      return HOSTS.test(readFileSync(join(root, f), 'utf8'));
    } catch {
      return false;
    }
  });
  assert.deepEqual(offenders, []);
});

/** Runs the script's debian_mirror() against a fake /etc/apt. */
function mirrorFrom(files: Record<string, string>): string {
  const etc = mkdtempSync(join(tmpdir(), 'attnprof-apt-'));
  try {
    mkdirSync(join(etc, 'sources.list.d'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(etc, name), text);
    const script = readFileSync(join(root, 'scripts/setup-lavapipe.sh'), 'utf8');
    const fn = /^debian_mirror\(\) \{[\s\S]*?^\}$/m.exec(script)?.[0];
    assert.ok(fn, 'debian_mirror() in setup-lavapipe.sh');
    return execFileSync('bash', ['-c', `${fn}\ndebian_mirror || echo NONE`], { encoding: 'utf8', env: { ...process.env, APT_ETC: etc, VERSION_CODENAME: 'bookworm' } }).trim();
  } finally {
    rmSync(etc, { recursive: true, force: true });
  }
}

test("setup-lavapipe.sh takes the backports mirror from the machine's apt sources, both formats", () => {
  const deb822 = [
    'Types: deb',
    '# http://old.example/archive',
    'URIs: http://mirror-a.example/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    '',
    'Types: deb',
    'URIs: http://mirror-a.example/debian-security',
    'Suites: bookworm-security',
    '',
  ].join('\n');
  assert.equal(mirrorFrom({ 'sources.list.d/debian.sources': deb822 }), 'http://mirror-a.example/debian');
  assert.equal(
    mirrorFrom({ 'sources.list': '# c\ndeb http://sec.example/debian-security bookworm-security main\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror-b.example/debian bookworm main\n' }),
    'http://mirror-b.example/debian',
  );
  assert.equal(mirrorFrom({ 'sources.list.d/other.sources': 'Types: deb\nURIs: http://x.example/ubuntu\nSuites: noble\n' }), 'NONE');
});
