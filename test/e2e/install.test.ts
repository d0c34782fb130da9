/**
 * srvid outside its clone: `npm install -g .` (as the README says) puts a `srvid` on PATH that works from any
 * folder, and the command npm links is executable as built (`npx srvid` in the clone runs it directly).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CLI, killLeftovers } from '../helpers/cli.js';
import { makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { countVideoFrames } from '../helpers/probe.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('srvid outside its clone', () => {
  let tmp: TempDir;
  before(() => (tmp = makeTempDir('install')));
  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('the built command is executable: npx srvid runs it as it is', () => {
    assert.ok((statSync(CLI).mode & 0o111) !== 0, `${CLI} is not executable (mode ${(statSync(CLI).mode & 0o777).toString(8)})`);
  });

  it('npm install -g --ignore-scripts . gives a srvid that works from another folder', { timeout: 180_000 }, async () => {
    const prefix = tmp.file('prefix');
    // Into a prefix of the test's own, so that nothing global changes; npm as the README has it, with its output.
    // The environment of a shell: without the npm_* variables of the npm that may be running this test.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    const npm = spawnSync('npm', ['install', '-g', '--ignore-scripts', '--prefix', prefix, '.'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 150_000,
    });
    assert.equal(npm.status, 0, `${npm.stdout}\n${npm.stderr}`);
    assert.doesNotMatch(npm.stderr, /npm (warn|error)/, npm.stderr);
    const srvid = join(prefix, 'bin', 'srvid');
    assert.ok(existsSync(srvid), `no ${srvid}`);
    const elsewhere = tmp.file('elsewhere');
    mkdirSync(elsewhere);
    await makeClip(join(elsewhere, 'in.mp4'), { frames: 10, audio: true });
    // Run as a shell runs it: the link itself, by its #! line.
    const r = spawnSync(srvid, ['in.mp4', 'out.mkv', '--model', 'espcn-light', '-q'], {
      cwd: elsewhere,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(await countVideoFrames(join(elsewhere, 'out.mkv')), 10);
  });
});
