/** The CLI commands that read model configs: `inspect`, and the models of `profile FILE` and `padding --config`. */
import { ConfigParseError, inspectJson, inspectText, parseConfigFile } from '../model';
import { UsageError, parseArgs } from './args';

type Io = { out: (s: string) => void; err: (s: string) => void };

function readConfig(file: string) {
  try {
    return parseConfigFile(file);
  } catch (e) {
    if (e instanceof ConfigParseError) throw new UsageError(e.describe());
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new UsageError(`cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : code}.`);
    throw e;
  }
}

export function inspectCommand(argv: string[], io: Io): number {
  const args = parseArgs(argv, { json: false });
  if (args.positional.length !== 1) throw new UsageError('inspect needs exactly one FILE.');
  const parsed = readConfig(args.positional[0]);
  io.out(args.switches.has('json') ? JSON.stringify(inspectJson(parsed), null, 2) : inspectText(parsed));
  return 0;
}


/** The models of a config file; an unreadable or unparsable file is a usage error (exit 2). */
export function modelsFromFile(file: string) {
  return readConfig(file).models;
}
