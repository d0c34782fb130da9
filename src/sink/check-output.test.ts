import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OutputError, UsageError } from '../errors.js';
import { checkOutput } from './check-output.js';

describe('checkOutput', () => {
  const dir = mkdtempSync(join(tmpdir(), 'srvid-check-output-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const refuses = (path: string, re: RegExp, o: Parameters<typeof checkOutput>[1] = { overwrite: false }, kind = OutputError): void =>
    assert.throws(
      () => checkOutput(path, o),
      (e: unknown) => e instanceof kind && re.test(e.message),
      path,
    );

  it('accepts stdout and a new file in a writable folder, leaving nothing behind', () => {
    checkOutput('-', { overwrite: false });
    checkOutput(join(dir, 'new.mp4'), { overwrite: false });
    assert.deepEqual(readdirSync(dir), [], 'the write test left a file');
  });

  it('an existing file needs overwrite; a directory never', () => {
    const file = join(dir, 'exists.mp4');
    writeFileSync(file, 'x');
    refuses(file, /exists\.mp4 already exists; pass -y/);
    checkOutput(file, { overwrite: true });
    refuses(dir, /is a directory/, { overwrite: true });
  });

  it('the input itself, by its name or through a symbolic link: a usage error (exit code 2)', () => {
    const input = join(dir, 'in.mp4');
    writeFileSync(input, 'x');
    const link = join(dir, 'link.mp4');
    symlinkSync(input, link);
    refuses(link, /link\.mp4 is the input .*in\.mp4; give another output path/, { overwrite: true, inputs: [input] }, UsageError);
    refuses(input, /in\.mp4 is the input .*in\.mp4; give another output path/, { overwrite: true, inputs: [input] }, UsageError);
  });

  it('missing folders, files in the way, /proc and /sys, with the label given', () => {
    refuses(join(dir, 'nope', 'o.mp4'), /folder .*nope does not exist/);
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    refuses(join(file, 'deeper', 'o.mp4'), /plain is a file, not a folder/);
    refuses('/proc/self/o.mp4', /inside \/proc/);
    refuses('/sys/o.json', /cannot write the report \/sys\/o\.json: it is inside \/sys/, { overwrite: false, label: 'the report' });
  });
});
