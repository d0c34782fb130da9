/**
 * Every output-path problem, found before any process starts, in the user's words: a folder that is missing,
 * a file where a folder should be, a folder that cannot be written (tried, not guessed: root passes access
 * checks on read-only file systems), an output that exists without -y, a directory in the way, a path in
 * /proc or /sys, and an output that is the input itself (by any name: a usage error).
 */
import { closeSync, existsSync, openSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, parse, relative, resolve, sep } from 'node:path';
import { OutputError, UsageError } from '../errors.js';
import { isUrl } from '../ffmpeg/protocols.js';

const PSEUDO_FILE_SYSTEMS = ['/proc', '/sys'];

/** The nearest existing ancestor of `path` (the root at worst). */
const existingAncestor = (path: string): string => {
  let p = path;
  while (!existsSync(p) && p !== parse(p).root) p = dirname(p);
  return p;
};

const sameFile = (a: string, b: string): boolean => {
  try {
    const [sa, sb] = [statSync(a), statSync(b)];
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
};

/**
 * Throws an OutputError naming `output` when it cannot be written. `inputs` are the run's input paths (any
 * that are files); `label` names the output in messages (such as "the report").
 */
export const checkOutput = (output: string, o: { overwrite: boolean; inputs?: readonly string[]; label?: string }): void => {
  if (output === '-' || isUrl(output)) return; // a network output is checked by ffmpeg as it connects
  const what = o.label ? `${o.label} ${output}` : output;
  const path = resolve(output);
  const known = existingAncestor(path);
  const real = join(realpathSync(known), relative(known, path));
  if (PSEUDO_FILE_SYSTEMS.some((p) => real === p || real.startsWith(p + sep))) {
    throw new OutputError(`cannot write ${what}: it is inside ${real.split(sep).slice(0, 2).join(sep)}, which holds no ordinary files`);
  }
  for (const input of o.inputs ?? []) {
    if (input !== '-' && existsSync(input) && existsSync(path) && sameFile(input, path)) {
      // The same file by any name (the same path, ./path, a link): a usage error, exit code 2.
      throw new UsageError(`${what} is the input ${input}; give another output path`);
    }
  }
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new OutputError(`${what} is a directory; give a file name such as out.mp4`);
    if (!o.overwrite) throw new OutputError(`${what} already exists; pass -y to overwrite it`);
  }
  const dir = dirname(path);
  if (!existsSync(dir)) {
    const ancestor = existingAncestor(dir);
    if (!statSync(ancestor).isDirectory()) throw new OutputError(`cannot write ${what}: ${ancestor} is a file, not a folder`);
    throw new OutputError(`cannot write ${what}: folder ${dirname(output) || '.'} does not exist`);
  }
  if (!statSync(dir).isDirectory()) throw new OutputError(`cannot write ${what}: ${dirname(output)} is a file, not a folder`);
  // The output is written to a temporary file beside it and renamed: creating one is the real test.
  const probe = join(dir, `.srvid-check-${process.pid}-${Date.now()}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'the file system is read-only' : code === 'ENOSPC' ? 'the disk is full' : 'the folder is not writable';
    throw new OutputError(`cannot write ${what}: ${why} (${code ?? (err as Error).message})`);
  }
};
