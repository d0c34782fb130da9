/** argv → a command and typed options. Pure; validates everything before any process starts. */
import { UsageError } from '../errors.js';
import { OPTIONS, optionRows, type CliOptions, type OptionSpec } from './options.js';

export type { CliOptions };

export type Command = 'upscale' | 'eval' | 'doctor' | 'worker' | 'help' | 'version';

export interface ParsedCli {
  readonly command: Command;
  readonly positionals: readonly string[];
  readonly options: CliOptions;
}

const byName = new Map<string, { key: keyof CliOptions; spec: OptionSpec }>();
for (const [key, spec] of optionRows()) {
  byName.set(spec.flag, { key, spec });
  if (spec.short) byName.set(spec.short, { key, spec });
}

/** The flags as values (every option with a default set to it first) and the positional arguments. */
const readArgv = (argv: readonly string[]): { values: Record<string, unknown>; positionals: string[] } => {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of optionRows()) if (spec.default !== undefined) values[key] = spec.default;
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '-' || !token.startsWith('-') || /^-\d/.test(token)) {
      positionals.push(token);
      continue;
    }
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const eq = token.indexOf('=');
    const name = token.startsWith('--') && eq > 0 ? token.slice(0, eq) : token;
    const found = byName.get(name);
    if (!found) throw new UsageError(`unknown option ${name}; see srvid --help`);
    const { key, spec } = found;
    if (!spec.arg) {
      if (eq > 0) throw new UsageError(`${spec.flag} takes no value`);
      values[key] = true;
      continue;
    }
    const raw = eq > 0 ? token.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`${spec.flag} needs a value (${spec.arg})`);
    values[key] = 'parse' in spec && spec.parse ? spec.parse(raw, spec.flag) : raw;
  }
  return { values, positionals };
};

/** The first option given that only a video run uses, if any. */
const videoOnlyOption = (values: Record<string, unknown>) =>
  (['monitor', 'monitorToken', 'monitorWait', 'reference', 'report', 'stats'] as const).find(
    (k) => values[k] !== undefined && values[k] !== false,
  );

/** Options that contradict each other or need another, whatever the command. */
const checkCombinations = (values: Record<string, unknown>, command: string | undefined): void => {
  const videoOnly = videoOnlyOption(values);
  if (videoOnly && (command === 'eval' || command === 'doctor' || command === 'worker')) {
    throw new UsageError(`${OPTIONS[videoOnly].flag} is for video runs, not ${command}`);
  }
  if ((values.monitorToken !== undefined || values.monitorWait) && values.monitor === undefined) {
    throw new UsageError(`${values.monitorToken !== undefined ? '--monitor-token' : '--monitor-wait'} needs --monitor [HOST:]PORT`);
  }
  if (values.live && values.noLive) throw new UsageError('--live and --no-live contradict each other; give one');
  if (values.monitorToken === '') throw new UsageError('--monitor-token must not be empty');
  if (values.resume && values.live && command !== 'worker') throw new UsageError('--resume is for files; it cannot be used with --live');
};

/** The command the positional arguments name, checked for its arguments. */
const commandOf = (positionals: string[], values: Record<string, unknown>): { command: Command; positionals: string[] } => {
  const [first] = positionals;
  if (first === 'worker') {
    if (positionals.length !== 1) throw new UsageError('worker takes no arguments: srvid worker --queue redis://HOST:PORT');
    if (values.queue === undefined) throw new UsageError('worker needs --queue redis://HOST:PORT');
    return { command: 'worker', positionals: [] };
  }
  if (first === 'doctor') {
    if (positionals.length !== 1) throw new UsageError('doctor takes no arguments');
    return { command: 'doctor', positionals: [] };
  }
  if (first === 'eval') {
    if (positionals.length !== 2) throw new UsageError('eval takes one folder of HR images: srvid eval DIR --scale N');
    return { command: 'eval', positionals: positionals.slice(1) };
  }
  if (positionals.length === 0) throw new UsageError('no input given; usage: srvid INPUT OUTPUT [--scale N] (see --help)');
  if (positionals.length === 1) throw new UsageError('no output given; usage: srvid INPUT OUTPUT [--scale N]');
  if (positionals.length > 2) throw new UsageError(`too many arguments: ${positionals.slice(2).join(' ')}`);
  return { command: 'upscale', positionals };
};

export const parseCli = (argv: readonly string[]): ParsedCli => {
  const { values, positionals } = readArgv(argv);
  // Every key with a default is set, the rest only when given: the shape CliOptions describes.
  const options = values as unknown as CliOptions;
  if (values.help) return { command: 'help', positionals, options };
  if (values.version) return { command: 'version', positionals, options };
  checkCombinations(values, positionals[0]);
  return { ...commandOf(positionals, values), options };
};
