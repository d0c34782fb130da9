// Temp-then-rename: the one naming scheme, commit, abort, stale temporaries, and removal at exit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { pendingExitCleanups } from './at-exit.js';
import { createTempFile, removeStaleTemps, tempPathFor } from './temp-file.js';

describe('temp files', () => {
  const root = mkdtempSync(join(tmpdir(), 'srvid-temp-file-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const folder = (): string => {
    const dir = join(root, String(n++));
    mkdirSync(dir);
    return dir;
  };

  it('names a temporary file beside the target: hidden, srvid-PID-N, .partial, the extension last', () => {
    const a = tempPathFor('/videos/out.mp4', 1234);
    assert.match(a, /^\/videos\/\.out\.srvid-1234-\d+\.partial\.mp4$/);
    assert.notEqual(tempPathFor('/videos/out.mp4', 1234), a, 'each call has its own name');
    assert.match(basename(tempPathFor('/w/journal.json')), new RegExp(`^\\.journal\\.srvid-${process.pid}-\\d+\\.partial\\.json$`));
    assert.match(basename(tempPathFor('/w/report')), /^\.report\.srvid-\d+-\d+\.partial$/);
  });

  it('commit renames onto the target, replacing it, and forgets the exit cleanup', () => {
    const dir = folder();
    const target = join(dir, 'out.json');
    writeFileSync(target, 'old');
    const before = pendingExitCleanups();
    const temp = createTempFile(target);
    assert.equal(pendingExitCleanups(), before + 1);
    writeFileSync(temp.path, 'new');
    temp.commit();
    assert.equal(readFileSync(target, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['out.json']);
    assert.equal(pendingExitCleanups(), before);
    const durable = createTempFile(target);
    writeFileSync(durable.path, 'newer');
    durable.commit({ durable: true });
    assert.equal(readFileSync(target, 'utf8'), 'newer');
    assert.deepEqual(readdirSync(dir), ['out.json']);
  });

  it('abort removes the temporary file (or nothing), never the target, and never throws', () => {
    const dir = folder();
    const target = join(dir, 'out.mkv');
    writeFileSync(target, 'kept');
    const temp = createTempFile(target);
    writeFileSync(temp.path, 'half');
    temp.abort();
    temp.abort();
    assert.deepEqual(readdirSync(dir), ['out.mkv']);
    createTempFile(target).abort();
    assert.equal(readFileSync(target, 'utf8'), 'kept');
  });

  it('a failed commit removes the temporary file and throws', () => {
    const dir = folder();
    const temp = createTempFile(join(dir, 'missing-folder', 'out.png'));
    assert.throws(() => temp.commit(), /ENOENT/);
    const other = createTempFile(join(dir, 'out.png'));
    writeFileSync(other.path, 'x');
    mkdirSync(other.target); // a folder in the way: the rename fails
    assert.throws(() => other.commit());
    assert.equal(existsSync(other.path), false);
  });

  it('removes the stale temporaries of a target whose writer is gone, and only those', () => {
    const dir = folder();
    const target = join(dir, 'out.mp4');
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
    const stale = join(dir, `.out.srvid-${dead}-3.partial.mp4`);
    const mine = join(dir, `.out.srvid-${process.pid}-9.partial.mp4`);
    const living = join(dir, `.out.srvid-${process.ppid}-1.partial.mp4`);
    const otherTarget = join(dir, `.other.srvid-${dead}-1.partial.mp4`);
    for (const p of [stale, mine, living, otherTarget]) writeFileSync(p, '');
    assert.deepEqual(removeStaleTemps(target), [stale]);
    assert.deepEqual(readdirSync(dir).sort(), [mine, living, otherTarget].map((p) => basename(p)).sort());
  });

  it('removes the temporary files still open when the process exits, and no others', async () => {
    const dir = folder();
    const here = fileURLToPath(new URL('./temp-file.ts', import.meta.url));
    const script = [
      `import { writeFileSync } from 'node:fs';`,
      `import { createTempFile } from ${JSON.stringify(here)};`,
      `const dir = ${JSON.stringify(dir)};`,
      "const listeners = process.listenerCount('exit');",
      `const open1 = createTempFile(dir + '/a.mp4'); writeFileSync(open1.path, 'x');`,
      `const open2 = createTempFile(dir + '/b.json'); writeFileSync(open2.path, 'x');`,
      `const done = createTempFile(dir + '/c.png'); writeFileSync(done.path, 'x'); done.commit();`,
      "console.log(process.listenerCount('exit') - listeners);",
      'process.exit(1);',
    ].join('\n');
    const stdout = await new Promise<string>((resolve) =>
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], (_err, out) => resolve(out)),
    );
    assert.deepEqual(readdirSync(dir), ['c.png']);
    assert.equal(stdout.trim(), '1', 'one exit listener for all temporary files');
  });
});
