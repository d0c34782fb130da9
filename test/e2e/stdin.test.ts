/**
 * stdin is live only when it arrives in real time: a file on a plain pipe is read as a file (every frame by the
 * network, none dropped or substituted, even with the network slowed on purpose), a real-time producer
 * (`ffmpeg -re`) gets the live policy, `--live` forces it, and an MP4 whose index is at its end is refused with
 * one line. Real ffmpeg and the real CLI on pipes; every process is bounded in time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { childrenOf, cliFor, killLeftovers, lines, waitForStdinDecoder } from '../helpers/cli.js';
import { FFMPEG, ffmpeg, makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { decodeGray } from '../helpers/planes.js';
import { countVideoFrames, probe } from '../helpers/probe.js';

interface Report {
  run: { live: boolean };
  summary: { frames: number; dropped: number; fallback: number };
}

const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
};

/** Network calls slowed by this much: a live run falls behind and substitutes or drops; a file run waits. */
const SLOW = { SRVID_TEST_SLOW_MODEL_MS: '150' };
/**
 * Slower than real time for a live producer: the hook delays calls side by side, so with four in flight (two
 * workers) 150 ms a call still makes 27 fps once the head start has taken the frames of the start-up; 400 ms
 * makes 10.
 */
const SLOWER = { SRVID_TEST_SLOW_MODEL_MS: '400' };

describe('stdin: a file on a pipe or a live producer', () => {
  let tmp: TempDir;
  let clip: string; // 3 s at 25 fps with audio, index at the front: readable from a pipe
  before(async () => {
    tmp = makeTempDir('stdin');
    clip = await makeClip(tmp.file('clip.mp4'), {
      width: 160,
      height: 120,
      frames: 75,
      audio: true,
      extra: ['-movflags', '+faststart'],
    });
  });
  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  /** srvid reading stdin from `feed` (a file written at once, or a producer's stdout); stdout to `stdoutFile` or a pipe. */
  const srvid = async (
    args: string[],
    feed: { file: string } | { producer: string[] },
    o: { env?: NodeJS.ProcessEnv; stdoutFile?: string } = {},
  ): Promise<{ code: number | null; stderr: string; children: number[] }> => {
    const out = o.stdoutFile ? openSync(o.stdoutFile, 'w') : 'ignore';
    const child = spawn(process.execPath, [cliFor(o.env), ...args], {
      stdio: ['pipe', out, 'pipe'],
      cwd: tmp.path,
      env: { ...process.env, ...o.env },
    });
    if (typeof out === 'number') closeSync(out);
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.stdin!.on('error', () => {}); // srvid may stop reading (a refused input)
    // srvid's own children (its ffmpeg processes), seen while it runs.
    const children = new Set<number>();
    const watch = setInterval(() => {
      for (const p of childrenOf(child.pid as number)) children.add(p.pid);
    }, 20);
    if ('producer' in feed) await waitForStdinDecoder(child.pid as number);
    const producer =
      'producer' in feed
        ? spawn(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...feed.producer, '-f', 'mpegts', '-'], {
            stdio: ['ignore', 'pipe', 'inherit'],
          })
        : null;
    if (producer) {
      producer.stdout!.on('error', () => {});
      producer.stdout!.pipe(child.stdin!);
    } else child.stdin!.end(readFileSync((feed as { file: string }).file)); // all at once, as `cat FILE |` sends it
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearInterval(watch);
    clearTimeout(timer);
    producer?.kill('SIGKILL');
    return { code, stderr, children: [...children] };
  };

  const report = (name: string): Report => JSON.parse(readFileSync(tmp.file(name), 'utf8')) as Report;

  it('a file piped in all at once is read as a file: every frame by the network, none dropped, with the network slowed', async () => {
    const r = await srvid(['-', 'piped.mkv', '--model', 'espcn-light', '--report', 'piped.json'], { file: clip }, { env: SLOW });
    assert.equal(r.code, 0, r.stderr);
    const { run, summary } = report('piped.json');
    assert.equal(run.live, false);
    assert.deepEqual([summary.frames, summary.dropped, summary.fallback], [75, 0, 0]);
    assert.doesNotMatch(r.stderr, /behind real time|lag \d+ ms/);
    assert.equal(await countVideoFrames(tmp.file('piped.mkv')), 75);
    assert.ok(
      (await probe(tmp.file('piped.mkv'))).streams.some((s) => s.codec_type === 'audio'),
      'the audio is missing',
    );
  });

  it("the README's `cat in.mp4 | srvid - - > out.mkv`: Matroska on stdout, every frame", async () => {
    const out = tmp.file('readme.mkv');
    const r = await srvid(['-', '-', '--model', 'espcn-light', '-q'], { file: clip }, { stdoutFile: out });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal((await probe(out)).format.format_name, 'matroska,webm');
    assert.equal(await countVideoFrames(out), 75);
  });

  it('a real-time producer (ffmpeg -re) on stdin is live: with the network slowed, late frames go to bicubic', async () => {
    const producer = ['-re', '-i', clip, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-c:a', 'aac'];
    const r = await srvid(['-', 'realtime.mkv', '--model', 'espcn-light', '--report', 'realtime.json'], { producer }, { env: SLOWER });
    assert.equal(r.code, 0, r.stderr);
    const { run, summary } = report('realtime.json');
    assert.equal(run.live, true);
    assert.ok(summary.fallback + summary.dropped > 0, JSON.stringify(summary));
    assert.match(r.stderr, /behind real time: \d+ frames by bicubic, \d+ dropped/);
  });

  it('--live forces the live policy on a file piped in all at once', async () => {
    const r = await srvid(
      ['-', 'forced.mkv', '--model', 'espcn-light', '--live', '--report', 'forced.json'],
      { file: clip },
      { env: SLOW },
    );
    assert.equal(r.code, 0, r.stderr);
    const { run, summary } = report('forced.json');
    assert.equal(run.live, true);
    assert.ok(summary.fallback + summary.dropped > 0, JSON.stringify(summary));
  });

  it('a live stream with B-frames (MPEG-2, H.264) keeps every frame, in display order', async () => {
    for (const [name, codec] of [
      ['mpeg2', ['-c:v', 'mpeg2video', '-bf', '2']],
      ['h264', ['-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '3']],
    ] as const) {
      const ts = tmp.file(`bframes-${name}.ts`);
      await ffmpeg(['-i', clip, ...codec, '-an', '-f', 'mpegts', ts]);
      assert.ok(((await probe(ts)).streams[0]?.has_b_frames ?? 0) > 0, `${name}: the input has no B-frames to reorder`);
      const r = await srvid(['-', `bframes-${name}.mkv`, '--model', 'espcn-light', '--live', '--report', `bframes-${name}.json`], {
        file: ts,
      });
      assert.equal(r.code, 0, r.stderr);
      const { run, summary } = report(`bframes-${name}.json`);
      assert.equal(run.live, true);
      // Every decoded frame is written or counted as dropped: none went missing before the pipeline.
      assert.equal(summary.frames + summary.dropped, 75, `${name}: ${JSON.stringify(summary)}`);
      // In display order: each output frame, brought back to the input's size, is closest to a later input frame
      // than the one before it (a decoder that skips reordering shows B-frames early). Decoded with timestamps
      // passed through, so that a dropped frame leaves a gap rather than a repeated frame.
      const input = await decodeGray(ts, 160, 120);
      const output = await decodeGray(tmp.file(`bframes-${name}.mkv`), 160, 120, 'scale=160:120', { passthrough: true });
      assert.equal(output.length, summary.frames);
      const closest = output.map((o) => {
        const cost = input.map((f) => f.reduce((sum, v, k) => sum + Math.abs(v - (o[k] as number)), 0));
        return cost.indexOf(Math.min(...cost));
      });
      assert.ok(
        closest.every((c, k) => k === 0 || c > (closest[k - 1] as number)),
        `${name}: out of order: ${closest.join(' ')}`,
      );
    }
  });

  it('an MP4 whose index is at its end: one line that says so and what to do, no output, no ffmpeg left; --no-live reads it', async () => {
    const plain = tmp.file('index-at-end.mp4');
    await ffmpeg(['-i', clip, '-c', 'copy', plain]); // ffmpeg writes moov last unless told otherwise
    const r = await srvid(['-', 'refused.mkv', '--model', 'espcn-light'], { file: plain });
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [
      "srvid: stdin is an MP4 whose index (moov atom) is at its end, which cannot be read from a pipe; give the file's path instead of -, " +
        'or move the index to the front first (ffmpeg -i IN.mp4 -c copy -movflags +faststart OUT.mp4), or pass --no-live',
    ]);
    assert.ok(!existsSync(tmp.file('refused.mkv')));
    assert.deepEqual(
      readdirSync(tmp.path).filter((n) => n.includes('.partial')),
      [],
    );
    assert.ok(r.children.length > 0, 'no decoder was seen');
    assert.deepEqual(r.children.filter(alive), [], 'a decoder was left running');
    const spooled = await srvid(['-', 'spooled.mkv', '--model', 'espcn-light', '--no-live', '-q'], { file: plain });
    assert.equal(spooled.code, 0, spooled.stderr);
    assert.equal(await countVideoFrames(tmp.file('spooled.mkv')), 75);
  });
});
