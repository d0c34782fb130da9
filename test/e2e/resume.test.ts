/**
 * `--resume`: srvid is SIGKILLed (with its ffmpeg children, as a power cut would) during the first segment,
 * mid-job and during the join; each time the same command carries on, and the end result equals an
 * uninterrupted plain run: every frame identical (lossless x264), the same timestamps, the same audio packets,
 * subtitles, chapters, title and colour tags. A journal for another input or other options is refused.
 */
import assert from 'node:assert/strict';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, partialFiles, runCli, startCli, waitUntilGone, type RunningCli } from '../helpers/cli.js';
import { makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { doneSegments, filesWith, frameDigests, makeRichClip, streamSummary, waitFor } from '../helpers/segments.js';

const LOSSLESS = ['--model', 'espcn', '--codec', 'libx264', '--crf', '0', '--preset', 'ultrafast', '--workers', '1'];

describe('--resume after SIGKILL', { timeout: 300_000 }, () => {
  let tmp: TempDir;
  let input: string;
  let output: string;
  let work: string;
  let plain: string;
  const args = (): string[] => [input, output, '--resume', '--segment-seconds', '1', ...LOSSLESS];
  // Each frame takes 30 ms longer, so every kill point is reached on purpose, not by luck.
  const start = (env: NodeJS.ProcessEnv = {}): RunningCli =>
    startCli(args(), { detached: true, env: { SRVID_TEST_SLOW_MODEL_MS: '30', ...env } });
  const killGroup = async (run: RunningCli): Promise<void> => {
    process.kill(-(run.child.pid as number), 'SIGKILL');
    await run.done;
    assert.deepEqual(await waitUntilGone(tmp.path), [], 'srvid and its ffmpeg children are gone');
    assert.equal(existsSync(output), false, 'no output after a kill');
  };

  before(async () => {
    tmp = makeTempDir('resume');
    input = await makeRichClip(tmp);
    output = tmp.file('out.mkv');
    work = `${output}.srvid`;
    plain = tmp.file('plain.mkv');
    const r = await runCli([input, plain, ...LOSSLESS]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('is killed during the first segment', async () => {
    const run = start();
    // A segment's encoder writes `.up-N.srvid-….partial.mkv`; the journal's own brief temporary (`.partial.json`) is not one.
    await waitFor('the first segment to be under way', () => filesWith(work, '.partial.mkv').length > 0 && doneSegments(work) === 0);
    await killGroup(run);
    assert.equal(doneSegments(work), 0);
  });

  it('refuses the journal for other options or another input, and keeps it', async () => {
    const crf = await runCli([input, output, '--resume', '--segment-seconds', '1', ...LOSSLESS, '--crf', '1']);
    assert.equal(crf.code, 1);
    assert.match(crf.stderr, /holds a job for another input or other options: crf \(0 then, 1 now\) differ/);
    assert.equal(crf.stderr.trim().split('\n').length, 1, crf.stderr);
    const other = await makeClip(tmp.file('other.mkv'), { frames: 30 });
    const r = await runCli([other, output, '--resume', '--segment-seconds', '1', ...LOSSLESS]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /another input or other options: the input's size/);
    assert.ok(existsSync(`${work}/journal.json`), 'the journal is kept');
    assert.equal(existsSync(output), false);
  });

  it('stops on Ctrl-C with one line, keeping what is done and nothing half-written', async () => {
    const run = start();
    await waitFor('a segment under way', () => filesWith(work, '.partial.mkv').length > 0);
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130);
    assert.match(r.stderr, /srvid: stopped; the finished segments are kept in .*out\.mkv\.srvid: rerun the same command to carry on/);
    assert.deepEqual(await waitUntilGone(tmp.path), [], 'no ffmpeg left');
    assert.deepEqual(filesWith(work, '.partial'), [], 'the segment in progress is removed');
    assert.equal(existsSync(output), false);
  });

  it('is killed mid-job, after two segments', async () => {
    const run = start();
    await waitFor('two finished segments', () => doneSegments(work) >= 2);
    await killGroup(run);
  });

  it('is killed during the join', async () => {
    const run = start({ SRVID_TEST_HOLD_JOIN: '1' });
    await run.waitForStderr(/test hold: the join waits/, 120_000);
    assert.match(run.stderr(), /resuming: [2-4] of 4 segments \(\d+ of 100 frames\) already done and verified/);
    await killGroup(run);
    assert.equal(doneSegments(work), 4);
  });

  it('finishes, and the result equals an uninterrupted plain run', async () => {
    const r = await runCli(args());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /resuming: 4 of 4 segments \(100 of 100 frames\) already done and verified/);
    // The summary's rate is this run's: the frames it took over are named apart.
    assert.match(r.stderr, /^wrote \S*out\.mkv: 100 frames \(0 upscaled in this run, 100 from before\) in \d+:\d\d \(0\.0 fps\)$/m);
    assert.equal(existsSync(work), false, 'the work folder is removed');
    assert.deepEqual(partialFiles(tmp.path), []);
    const [video, videoPlain] = [await frameDigests(output, '0:v'), await frameDigests(plain, '0:v')];
    assert.equal(video.length, 100);
    assert.deepEqual(video, videoPlain, 'every decoded frame and its timestamp');
    assert.deepEqual(await frameDigests(output, '0:a'), await frameDigests(plain, '0:a'), 'audio packets and timestamps');
    assert.deepEqual(await frameDigests(output, '0:s', true), await frameDigests(plain, '0:s', true), 'subtitles');
    assert.deepEqual(await streamSummary(output), await streamSummary(plain));
  });
});

describe('--resume with an http:// input', { timeout: 120_000 }, () => {
  let tmp: TempDir;
  let server: Server;
  before(() => (tmp = makeTempDir('resume-http')));
  after(() => {
    server?.close();
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('reads the input over HTTP (the coordinator alone does) and gives the same result as a plain run of the file', async () => {
    const input = await makeRichClip(tmp);
    const modified = statSync(input).mtime.toUTCString();
    // A plain server: no Range support, as many are; ffmpeg reads the whole stream, srvid its first MiB.
    server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'video/x-matroska', 'Content-Length': statSync(input).size, 'Last-Modified': modified });
      createReadStream(input).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/in.mkv`;
    const output = tmp.file('out.mkv');
    const plain = tmp.file('plain.mkv');
    const r = await runCli([url, output, '--resume', '--segment-seconds', '1', ...LOSSLESS]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await runCli([input, plain, ...LOSSLESS])).code, 0);
    assert.deepEqual(await frameDigests(output, '0:v'), await frameDigests(plain, '0:v'));
    assert.deepEqual(await frameDigests(output, '0:a', true), await frameDigests(plain, '0:a', true));
    assert.deepEqual(await streamSummary(output), await streamSummary(plain));
  });
});
