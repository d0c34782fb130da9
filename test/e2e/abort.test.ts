/**
 * Stopping a run: SIGINT → exit 130, SIGTERM → exit 143, no output, no partial file, and no ffmpeg left
 * running on the test's files.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, lines, partialFiles, processesMentioning, startCli, waitUntilGone, type CliResult } from '../helpers/cli.js';
import { makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';

describe('abort', () => {
  let tmp: TempDir;
  let input: string;

  before(async () => {
    tmp = makeTempDir('abort');
    // 300 frames at 320x240 → 640x480 takes several seconds here: long enough to be stopped mid-run.
    input = await makeClip(tmp.file('long.mp4'), { width: 320, height: 240, frames: 300 });
  });

  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  /** Starts a run, waits for its first progress line, sends `signal` (to the process or its whole group), and waits. */
  const stopMidRun = async (
    name: string,
    signal: NodeJS.Signals,
    group = false,
  ): Promise<{ r: CliResult; output: string; ffmpegSeen: number }> => {
    const output = tmp.file(`${name}.mp4`);
    const run = startCli([input, output, '--scale', '2'], group ? { detached: true } : {});
    try {
      await run.waitForStderr(/^frame \d+/m, 60_000);
      // Both ffmpeg processes (decoder and encoder) name a file of the temp folder on their command line.
      const ffmpegSeen = processesMentioning(tmp.path).filter((p) => /ffmpeg/.test(p.args)).length;
      if (group) process.kill(-run.child.pid!, signal);
      else run.child.kill(signal);
      const r = await run.done;
      return { r, output, ffmpegSeen };
    } catch (err) {
      run.child.kill('SIGKILL');
      throw err;
    }
  };

  const assertStoppedCleanly = async (
    { r, output, ffmpegSeen }: { r: CliResult; output: string; ffmpegSeen: number },
    code: number,
  ): Promise<void> => {
    assert.equal(ffmpegSeen, 2, 'expected a decoder and an encoder ffmpeg while running');
    assert.equal(r.signal, null, `the CLI died of ${r.signal} instead of exiting`);
    assert.equal(r.code, code, `stderr:\n${r.stderr}`);
    assert.ok(!existsSync(output), 'output written despite the stop');
    assert.deepEqual(partialFiles(tmp.path), [], 'partial file left behind');
    assert.ok(!r.stderr.includes('    at '), r.stderr);
    const last = lines(r.stderr).at(-1) ?? '';
    assert.match(last, /^srvid: /, `last stderr line: ${last}`);
    const left = await waitUntilGone(tmp.path, 2000);
    assert.deepEqual(left, [], 'processes left running on the test folder');
  };

  it('SIGINT → exit 130, nothing left behind', async () => {
    await assertStoppedCleanly(await stopMidRun('sigint', 'SIGINT'), 130);
  });

  it('SIGTERM → exit 143, nothing left behind', async () => {
    await assertStoppedCleanly(await stopMidRun('sigterm', 'SIGTERM'), 143);
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group, ffmpeg included) → exit 130', async () => {
    await assertStoppedCleanly(await stopMidRun('group-sigint', 'SIGINT', true), 130);
  });

  it('a signal once the output is in place stops nothing: exit 0, the output kept and complete', async () => {
    const output = tmp.file('done.mp4');
    // Held by the test hook once the output is in place, until a signal comes (SRVID_TEST_HOLD=done).
    const run = startCli([input, output, '--scale', '2', '--model', 'espcn-light', '--preset', 'ultrafast'], {
      env: { SRVID_TEST_HOLD: 'done' },
    });
    await run.waitForStderr(/test hold: the run waits at "done"/, 120_000);
    assert.ok(existsSync(output), 'the output is not in place at the hold');
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(lines(r.stderr).at(-1) ?? '', /^wrote \S+done\.mp4: 300 frames in /);
    assert.ok(existsSync(output));
    assert.deepEqual(partialFiles(tmp.path), []);
  });
});
