/**
 * What Dawn prints on its own, straight to the process' stderr from native code, on every device it opens on
 * some drivers (lavapipe reports "unlimited" dynamic buffers, which Dawn clamps and says so). It is no message for
 * the user: the CLI filters it from its stderr and a crashed worker's last output leaves it out.
 */
const NOISE: readonly RegExp[] = [/artificially reduced from \d+ to \d+/, /^Warning: .*dynamic offset allocation limit/];

export function isDawnNoise(line: string): boolean {
  const l = line.trim();
  return NOISE.some((re) => re.test(l));
}
