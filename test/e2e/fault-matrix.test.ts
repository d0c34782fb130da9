/**
 * The fault matrix: each row runs the built CLI (dist/cli/main.js) with the system's ffmpeg on one fault of
 * the input, the output or the process, and checks what srvid should do: on a failure, exit code ≠ 0 and one
 * `srvid:` line that names the cause, no stack trace, no ffmpeg left running on the row's files, no output, no
 * `*.partial*` temporary and no report left behind; on a stated recovery, that recovery. Every row records
 * what it observed, and the last test compares the rows with docs/faults.md, which is generated from them
 * (FAULTS_UPDATE=1 rewrites it), so the document cannot drift from what srvid does.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  CLI,
  killLeftovers,
  lines,
  partialFiles,
  processesMentioning,
  startCli,
  waitUntilGone,
  type CliResult,
  type RunningCli,
} from '../helpers/cli.js';
import { FFPROBE, ffmpeg, makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { countVideoFrames, probe, videoOf } from '../helpers/probe.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(ROOT, 'docs/faults.md');
const UPDATE = process.env.FAULTS_UPDATE === '1';

/** ffprobe's output lines (`-v error`). */
const ffprobeLines = (args: string[]): string[] =>
  execFileSync(FFPROBE, ['-v', 'error', ...args], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

type Group = 'input' | 'output' | 'process';
interface Observed {
  readonly group: Group;
  readonly name: string;
  readonly expected: string;
  observed: string;
  ok: boolean;
}

/** Every row, in order, as declared; `observed` is filled when the row runs. */
const ROWS: Observed[] = [];

/** What a row saw: the CLI's result and what it left behind. */
interface Outcome {
  readonly r: CliResult;
  /** Folder of the row's output (checked for partial files) and the output path. */
  readonly dir: string;
  readonly output: string;
  readonly report?: string;
  /** Processes still mentioning the test's folder after the CLI ended (given 3 s to go). */
  readonly left: string[];
  /** Anything the row wants in its observed text before the generic part. */
  note?: string;
  /** In place of the exit status and error lines, where either of two right endings may come (a race). */
  status?: string;
}

const isError = (l: string): boolean => l.startsWith('srvid:') && !l.startsWith('srvid: warning:');

describe('fault matrix (docs/faults.md)', () => {
  let tmp: TempDir;
  const clips: Record<string, string> = {};
  let rowNo = 0;

  /** Paths under the temporary folder, pids, addresses and frame counts that change from run to run, made stable. */
  const normalise = (text: string): string =>
    text
      .split(tmp.path)
      .join('<tmp>')
      .replace(/\b0x[0-9a-f]{6,}\b/g, '0x…')
      // Which of the H.264 decoder's complaints about damage comes last depends on the order its threads finish.
      .replace(/\[h264 @ 0x…\] [^|`]*/g, '[h264 @ 0x…] … ')
      .replace(/srvid-\d+-\d+/g, 'srvid-…')
      .replace(/after \d+ frames/g, 'after N frames');

  /** Runs the CLI to its end (SIGKILL after `timeoutMs`), then looks for what it left. */
  const finish = async (run: RunningCli, dir: string, output: string, report?: string, timeoutMs = 120_000): Promise<Outcome> => {
    const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
    const r = await run.done.finally(() => clearTimeout(timer));
    // Rows run one at a time: anything still naming the test's folder once the CLI is gone was left by it.
    const left = (await waitUntilGone(tmp.path, 3000)).map((p) => p.args.slice(0, 120));
    killLeftovers(tmp.path);
    return { r, dir, output, ...(report ? { report } : {}), left };
  };

  /** A fresh folder for a row's output. */
  const rowDir = (): string => {
    const dir = tmp.file(`row${String(++rowNo).padStart(2, '0')}`);
    mkdirSync(dir);
    return dir;
  };

  const cli = (args: string[], env?: NodeJS.ProcessEnv): RunningCli => startCli(args, env ? { env } : {});

  /** Runs `srvid input <dir>/out.mp4 ...extra` to its end. */
  const runOn = async (input: string, extra: string[] = [], o: { env?: NodeJS.ProcessEnv; ext?: string } = {}): Promise<Outcome> => {
    const dir = rowDir();
    const output = join(dir, `out.${o.ext ?? 'mp4'}`);
    return finish(cli([input, output, '-y', ...extra], o.env), dir, output);
  };

  /** The generic text of an outcome: exit status, the error line (or what was written), and what was left. */
  const describeOutcome = (o: Outcome): string => {
    const parts: string[] = [];
    if (o.status) parts.push(o.status);
    else {
      parts.push(o.r.signal ? `killed by ${o.r.signal}` : `exit ${o.r.code}`);
      const err = lines(o.r.stderr).filter(isError);
      if (err.length) parts.push(err.map((l) => `\`${normalise(l)}\``).join(' '));
    }
    const crash = lines(o.r.stderr).find((l) => /terminate called|Napi::Error|^\s+at |Aborted/.test(l));
    if (crash) parts.push(`stderr: \`${normalise(crash.trim())}\``);
    if (o.note) parts.push(o.note);
    const left: string[] = [];
    if (o.left.length) left.push(`${o.left.length} process(es) left running`);
    const partials = existsSync(o.dir) ? partialFiles(o.dir) : [];
    if (partials.length) left.push(`left ${partials.map(normalise).join(', ')}`);
    if (o.r.code !== 0 && existsSync(o.output)) left.push('left the output');
    if (o.report && existsSync(o.report)) left.push('left the report');
    parts.push(left.length ? left.join('; ') : o.r.code === 0 ? 'nothing left over' : 'no ffmpeg, output or partial file left');
    return parts.join('; ');
  };

  /** The shared checks of a failure: exit ≠ 0, one error line last, no stack, nothing left. Returns the error line. */
  const assertCleanFailure = (o: Outcome, allowed = /^(\S.*: \d+x\d+ .*→|frame \d+|srvid: warning: |monitor: )/): string => {
    const { r } = o;
    assert.equal(r.signal, null, `killed by ${r.signal}:\n${r.stderr}`);
    assert.notEqual(r.code, 0, `exit code 0:\n${r.stderr}`);
    assert.ok(!/^\s+at |terminate called/m.test(r.stderr), `a stack trace or an abort on stderr:\n${r.stderr}`);
    const all = lines(r.stderr);
    const errors = all.filter(isError);
    assert.equal(errors.length, 1, `expected one "srvid:" error line:\n${r.stderr}`);
    assert.equal(all.at(-1), errors[0], `the error is not the last line:\n${r.stderr}`);
    assert.deepEqual(
      all.filter((l) => !isError(l) && !allowed.test(l)),
      [],
      `unexpected lines on stderr:\n${r.stderr}`,
    );
    assertNothingLeft(o);
    // Without the paths: a file's name must not be what matches the cause (empty.mp4 does not say "empty").
    return normalise(errors[0]!).replace(/<tmp>\/[^\s:;,)]*/g, '<path>');
  };

  const assertNothingLeft = (o: Outcome): void => {
    assert.deepEqual(o.left, [], 'processes left running on the row’s files');
    assert.deepEqual(partialFiles(o.dir), [], 'partial file left behind');
    if (o.r.code !== 0) assert.ok(!existsSync(o.output), 'output left behind');
    if (o.report) assert.ok(!existsSync(o.report), 'report left behind');
  };

  /**
   * One row: `body` makes the fault and returns its outcome; `check` asserts the expectation. What was observed
   * is recorded before the check, so a failing row is documented as it is.
   */
  const row = (
    group: Group,
    name: string,
    expected: string,
    body: () => Promise<Outcome | string>,
    check: (o: Outcome) => void,
    /** A fault srvid does not handle yet: the row still runs and documents it, reported as todo, not passed. */
    knownFault?: string,
  ): void => {
    const entry: Observed = { group, name, expected, observed: '', ok: false };
    ROWS.push(entry);
    it(`${group}: ${name}`, async (t) => {
      if (knownFault) t.todo(knownFault);
      const o = await body();
      // A row that cannot run here says why; docs/faults.md keeps what it observed where it could.
      if (typeof o === 'string') return t.skip(o);
      entry.observed = describeOutcome(o);
      try {
        check(o);
        entry.ok = true;
      } catch (err) {
        entry.ok = false;
        throw err;
      }
    });
  };

  before(async () => {
    tmp = makeTempDir('faults');
    const f = (name: string): string => (clips[name] = tmp.file(name));
    await makeClip(f('good.mp4'), { frames: 10 });
    // 300 frames 320x240: several seconds of work, long enough to be interrupted mid-run.
    await makeClip(f('long.mp4'), { width: 320, height: 240, frames: 300 });
    mkdirSync(f('a-directory.mp4'));
    writeFileSync(f('empty.mp4'), '');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', f('audio-only.m4a')]);
    // NUT declares the stream (h264 96x64) in its header; every video packet is dropped on the way.
    await makeClip(tmp.file('av.mp4'), { frames: 20, audio: true });
    await ffmpeg(['-i', tmp.file('av.mp4'), '-c', 'copy', '-bsf:v', 'noise=drop=1', f('zero-frames.nut')]);
    // moov at the end (no faststart), cut to two thirds: the index is gone.
    await makeClip(tmp.file('moov-at-end.mp4'), { width: 320, height: 240, frames: 100 });
    const whole = readFileSync(tmp.file('moov-at-end.mp4'));
    writeFileSync(f('cut.mp4'), whole.subarray(0, Math.floor((whole.length * 2) / 3)));
    // 4 kB overwritten in the middle with fixed pseudo-random bytes.
    const damaged = Buffer.from(whole);
    let seed = 1;
    for (let i = damaged.length >> 1, end = i + 4096; i < end; i++) damaged[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    writeFileSync(f('damaged.mp4'), damaged);
    // ffmpeg cannot make a 16384x16384 frame (at most (w+128)(h+128) < 2^28 pixels), so: a 16x16 MJPEG in AVI
    // whose JPEG and AVI headers are patched to declare 16384x16384.
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=black:s=16x16:r=1',
      '-frames:v',
      '1',
      '-c:v',
      'mjpeg',
      '-pix_fmt',
      'yuvj420p',
      tmp.file('16.avi'),
    ]);
    const avi = readFileSync(tmp.file('16.avi'));
    const sof = avi.indexOf(Buffer.from([0xff, 0xc0]));
    avi.writeUInt16BE(16384, sof + 5);
    avi.writeUInt16BE(16384, sof + 7);
    const avih = avi.indexOf('avih');
    avi.writeUInt32LE(16384, avih + 8 + 32);
    avi.writeUInt32LE(16384, avih + 8 + 36);
    const strf = avi.indexOf('strf');
    avi.writeInt32LE(16384, strf + 8 + 4);
    avi.writeInt32LE(16384, strf + 8 + 8);
    writeFileSync(f('declared-16384.avi'), avi);
    // A real 8192x8192 frame: its x2 output, 16384x16384, is past ffmpeg's largest frame.
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=black:s=8192x8192:r=1',
      '-frames:v',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '51',
      f('8192.mp4'),
    ]);
    await ffmpeg(['-i', clips['good.mp4']!, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', f('rotated.mp4')]);
    // Fields of a 50 fps source woven into 25 fps frames, coded as interlaced: ffprobe says field_order tt.
    await makeClip(f('interlaced.mp4'), {
      rate: 50,
      frames: 10,
      extra: ['-vf', 'tinterlace=interleave_top,setfield=tff', '-flags', '+ildct+ilme', '-top', '1'],
    });
    // 10 frames at 96x64, then 10 at 128x96, in one transport stream.
    await makeClip(tmp.file('a.ts'), { frames: 10, extra: ['-f', 'mpegts'] });
    await makeClip(tmp.file('b.ts'), { width: 128, height: 96, frames: 10, extra: ['-f', 'mpegts', '-output_ts_offset', '0.4'] });
    writeFileSync(tmp.file('sizes.txt'), `file '${tmp.file('a.ts')}'\nfile '${tmp.file('b.ts')}'\n`);
    await ffmpeg(['-f', 'concat', '-safe', '0', '-i', tmp.file('sizes.txt'), '-c', 'copy', f('size-change.ts')]);
    writeFileSync(tmp.file('1x1.yuv'), Buffer.from(Array.from({ length: 5 }, () => [200, 100, 150]).flat()));
    await ffmpeg([
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv444p',
      '-s',
      '1x1',
      '-r',
      '25',
      '-i',
      tmp.file('1x1.yuv'),
      '-c:v',
      'ffv1',
      f('1x1.mkv'),
    ]);
    await ffmpeg(['-f', 'lavfi', '-i', 'color=red:s=2x2:r=25', '-frames:v', '5', '-c:v', 'ffv1', '-pix_fmt', 'yuv420p', f('2x2.mkv')]);
    writeFileSync(f('empty.onnx'), '');
    writeFileSync(f('corrupt.onnx'), readFileSync(join(ROOT, 'models/espcn-x2.onnx')).subarray(0, 3000));
    copyFileSync(join(ROOT, 'models/espcn-x3.onnx'), f('x3.onnx'));
  });

  after(() => {
    killLeftovers(tmp.path);
    for (const m of mounted) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    tmp.remove();
  });

  // ---------------------------------------------------------------------------------------------- input

  row(
    'input',
    'a directory',
    'refused before decoding: one line saying it is a directory',
    () => runOn(clips['a-directory.mp4']!),
    (o) => assert.match(assertCleanFailure(o), /directory/i),
  );

  row(
    'input',
    'an empty file (0 bytes)',
    'refused before decoding: one line saying the file is empty',
    () => runOn(clips['empty.mp4']!),
    (o) => assert.match(assertCleanFailure(o), /empty|0 bytes/i),
  );

  row(
    'input',
    'audio only (no video stream)',
    'refused: one line saying there is no video stream',
    () => runOn(clips['audio-only.m4a']!),
    (o) => assert.match(assertCleanFailure(o), /no video stream/),
  );

  row(
    'input',
    'a video stream with zero frames (NUT declaring h264 96x64, every packet dropped)',
    'refused: one line saying the video stream has no frames',
    () => runOn(clips['zero-frames.nut']!),
    (o) => assert.match(assertCleanFailure(o), /no frames|no frame |zero frames|0 frames/i),
  );

  row(
    'input',
    'a truncated mp4 without faststart (moov at the end, cut to 2/3)',
    'refused: one line saying the file is truncated (its index, the moov atom, is missing)',
    () => runOn(clips['cut.mp4']!),
    (o) => assert.match(assertCleanFailure(o), /truncated|moov|unfinished|incomplete/i),
  );

  row(
    'input',
    'damaged in the middle (4 kB overwritten)',
    'a clear stop at the damage: one line saying the file is damaged; nothing written',
    () => runOn(clips['damaged.mp4']!, ['--preset', 'ultrafast']),
    (o) => assert.match(assertCleanFailure(o), /damaged|corrupt/i),
  );

  row(
    'input',
    'damaged in the middle, with --tolerate-errors',
    'completes: the decoder skips what it cannot decode; exit 0 and a playable output',
    async () => {
      const o = await runOn(clips['damaged.mp4']!, ['--preset', 'ultrafast', '--tolerate-errors']);
      if (o.r.code === 0) o.note = `wrote ${await countVideoFrames(o.output)} of 100 frames`;
      return o;
    },
    (o) => {
      assert.equal(o.r.code, 0, o.r.stderr);
      assertNothingLeft(o);
      assert.ok(existsSync(o.output));
    },
  );

  row(
    'input',
    'a declared size of 16384x16384 (MJPEG/AVI headers patched: ffmpeg cannot make or decode a frame that size)',
    'refused before decoding: one line naming the size as too large',
    () => runOn(clips['declared-16384.avi']!),
    (o) => assert.match(assertCleanFailure(o), /16384x16384|too large|too big/i),
  );

  row(
    'input',
    'a real 8192x8192 frame: the x2 output, 16384x16384, is past the largest frame ffmpeg encodes',
    'refused before decoding: one line naming the output size as too large (the test stops a run that starts)',
    async () => {
      const dir = rowDir();
      const output = join(dir, 'out.mp4');
      const run = cli([clips['8192.mp4']!, output, '-y']);
      // Upscaling one such frame takes a minute and 1.6 GB here: once the run has started, it is already wrong.
      const started = await run.waitForStderr(/→ \d+x\d+ with/, 60_000).then(
        () => true,
        () => false,
      );
      if (started) run.child.kill('SIGINT');
      const o = await finish(run, dir, output);
      if (started) o.note = 'accepted: decoding and upscaling started (the test stopped it with SIGINT)';
      return o;
    },
    (o) => {
      assert.ok(!o.note, o.note);
      assert.match(assertCleanFailure(o), /16384x16384|too large|too big/i);
    },
  );

  row(
    'input',
    'rotation metadata (display matrix 90°, coded 96x64)',
    'completes with the rotation applied: the start line gives the display size 64x96, the output is 128x192 upright with no rotation tag',
    async () => {
      const o = await runOn(clips['rotated.mp4']!);
      if (o.r.code === 0) {
        const v = videoOf(await probe(o.output));
        const rotation = v.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0;
        o.note = `start line \`${/\S+: (\d+x\d+) /.exec(o.r.stderr)?.[1]}\`, output ${v.width}x${v.height}, rotation tag ${rotation}`;
      }
      return o;
    },
    (o) => {
      assert.equal(o.r.code, 0, o.r.stderr);
      assert.match(o.r.stderr, /: 64x96 .*→ 128x192/);
      assert.match(o.note ?? '', /output 128x192, rotation tag 0/);
      assertNothingLeft(o);
    },
  );

  row(
    'input',
    'interlaced (a 50 fps source woven by tinterlace, x264 with +ildct+ilme: field order tt)',
    'completes with one warning that names the field order and suggests deinterlacing first (yadif); the fields are upscaled together as whole frames',
    async () => {
      const o = await runOn(clips['interlaced.mp4']!);
      if (o.r.code === 0) {
        const v = videoOf(await probe(o.output));
        const warned = lines(o.r.stderr).filter((l) => l.startsWith('srvid: warning:'));
        o.note = `output ${v.width}x${v.height} marked ${v.field_order}; ${warned.length ? `warned: ${warned.join(' ')}` : 'no warning'}`;
      }
      return o;
    },
    (o) => {
      assert.equal(o.r.code, 0, o.r.stderr);
      const warned = lines(o.r.stderr).filter((l) => l.startsWith('srvid: warning:'));
      assert.equal(warned.length, 1, o.r.stderr);
      assert.match(warned[0]!, /interlaced \(top field first\).*deinterlace it first.*yadif/);
      assert.match(o.note ?? '', /^output 192x128 /);
      assertNothingLeft(o);
    },
  );

  row(
    'input',
    'the size changes mid-stream (TS: 10 frames 96x64, then 10 at 128x96)',
    'refused at the change: one line naming the frame, its time and both sizes (not stretched to the first size); nothing written',
    () => runOn(clips['size-change.ts']!),
    (o) => assert.match(assertCleanFailure(o), /size changes mid-stream, from 96x64 to 128x96 at frame 10 \(\d+\.\d{3} s\)/),
  );

  for (const size of ['1x1', '2x2'] as const) {
    row(
      'input',
      `${size} frames (FFV1${size === '1x1' ? ' 4:4:4' : ' 4:2:0'})`,
      `completes: a ${size === '1x1' ? '2x2' : '4x4'} output, every frame`,
      async () => {
        const o = await runOn(clips[`${size}.mkv`]!, [], { ext: 'mkv' });
        if (o.r.code === 0) {
          const v = videoOf(await probe(o.output));
          o.note = `${await countVideoFrames(o.output)} frames ${v.width}x${v.height} ${v.pix_fmt}`;
        }
        return o;
      },
      (o) => {
        assert.equal(o.r.code, 0, o.r.stderr);
        assert.match(o.note ?? '', size === '1x1' ? /^5 frames 2x2/ : /^5 frames 4x4/);
        assertNothingLeft(o);
      },
    );
  }

  // --------------------------------------------------------------------------------------------- output

  const mounted: string[] = [];
  /** Mounts a tmpfs on a fresh folder (root only); null where mounting is not allowed. */
  const tmpfs = (options: string): string | null => {
    const dir = rowDir();
    const at = join(dir, 'mnt');
    mkdirSync(at);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'ignore' });
      mounted.push(at);
      return at;
    } catch {
      return null;
    }
  };
  const umount = (at: string): void => {
    execFileSync('umount', [at], { stdio: 'ignore' });
    mounted.splice(mounted.indexOf(at), 1);
  };

  row(
    'output',
    'an unwritable folder (a read-only tmpfs mounted by the test; as root, chmod does not stop writes)',
    'refused before any process starts: one line saying the file system is read-only',
    async () => {
      const at = tmpfs('ro,size=1m');
      if (!at) {
        // No mount here: a path under /sys, which no one can create files in.
        const o = await finish(cli([clips['good.mp4']!, '/sys/srvid-out.mp4', '-y']), rowDir(), '/sys/srvid-out.mp4');
        o.note = 'not a tmpfs here (no mount): /sys/srvid-out.mp4 instead';
        return o;
      }
      const output = join(at, 'out.mp4');
      const o = await finish(cli([clips['good.mp4']!, output, '-y']), at, output);
      umount(at);
      return o;
    },
    (o) => assert.match(assertCleanFailure(o), o.note ? /cannot write/ : /read-only/),
  );

  row(
    'output',
    'disk full (a 1 MB tmpfs mounted by the test; a lossless output of 300 frames)',
    'stops: one line saying no space is left on the device; the temporary file is removed',
    async () => {
      const at = tmpfs('size=1m');
      if (!at) return 'needs root and mount -t tmpfs';
      const output = join(at, 'out.mp4');
      const o = await finish(cli([clips['long.mp4']!, output, '-y', '--crf', '0', '--preset', 'ultrafast']), at, output);
      // Looked at before unmounting: a file left there would go with the file system.
      const files = readdirSync(at);
      o.note = files.length ? `files on the tmpfs: ${files.map(normalise).join(', ')}` : 'the tmpfs is empty again';
      umount(at);
      return o;
    },
    (o) => {
      assert.equal(o.note, 'the tmpfs is empty again');
      assert.match(assertCleanFailure(o), /no space left|disk full/i);
    },
  );

  row(
    'output',
    'the output path is the input path',
    'refused before any process starts, even with -y; the input is untouched',
    async () => {
      const dir = rowDir();
      const input = join(dir, 'same.mp4');
      copyFileSync(clips['good.mp4']!, input);
      const size = statSync(input).size;
      const o = await finish(cli([input, input, '-y']), dir, join(dir, 'not-written.mp4'));
      o.note = statSync(input).size === size ? 'input untouched' : 'INPUT CHANGED';
      return o;
    },
    (o) => {
      assert.match(assertCleanFailure(o), /input/);
      assert.equal(o.note, 'input untouched');
    },
  );

  // -------------------------------------------------------------------------------------------- process

  /** Starts a run of the long clip with a report, waits for its first progress line, then does `fault`. */
  const midRun = async (fault: (run: RunningCli, input: string) => void | Promise<void>): Promise<Outcome> => {
    const dir = rowDir();
    const input = join(dir, 'long.mp4');
    copyFileSync(clips['long.mp4']!, input); // the row's folder is in both ffmpeg command lines
    const output = join(dir, 'out.mp4');
    const report = join(dir, 'q.json');
    const run = cli([input, output, '-y', '--report', report]);
    try {
      await run.waitForStderr(/^frame \d+/m, 60_000);
      await fault(run, input);
    } catch (err) {
      run.child.kill('SIGKILL');
      throw err;
    }
    return finish(run, dir, output, report);
  };

  /** The decoder reads the input file; the encoder reads frames from pipe:0. */
  const ffmpegOf = (dir: string, which: 'decoder' | 'encoder'): number => {
    const found = processesMentioning(dir).filter((p) => /ffmpeg/.test(p.args) && p.args.includes('pipe:0') === (which === 'encoder'));
    assert.equal(found.length, 1, `${which}: ${JSON.stringify(found)}`);
    return found[0]!.pid;
  };

  row(
    'process',
    'the decoder ffmpeg is killed (SIGKILL) mid-run',
    'stops: one line saying the decoder was killed (not that the file is damaged); nothing left',
    () => midRun((_run, input) => void process.kill(ffmpegOf(dirname(input), 'decoder'), 'SIGKILL')),
    (o) => {
      const line = assertCleanFailure(o);
      assert.match(line, /killed|SIGKILL/);
      assert.doesNotMatch(line, /damaged|truncated/);
    },
  );

  row(
    'process',
    'the encoder ffmpeg is killed (SIGKILL) mid-run',
    'stops: one line saying the encoder was killed; nothing left',
    () => midRun((_run, input) => void process.kill(ffmpegOf(dirname(input), 'encoder'), 'SIGKILL')),
    (o) => assert.match(assertCleanFailure(o), /killed|SIGKILL/),
  );

  for (const fault of ['throw', 'exit'] as const) {
    row(
      'process',
      fault === 'throw'
        ? 'an upscale worker thread throws (an uncaught error on frame 3; test hook SRVID_TEST_WORKER_FAULT=throw)'
        : 'an upscale worker thread dies (process.exit(1) in the worker on frame 3; test hook SRVID_TEST_WORKER_FAULT=exit)',
      `stops (no retry: the same model would fail again): one line naming the worker and ${fault === 'throw' ? 'its error' : 'its exit code'}; the other worker closes; nothing left`,
      () => runOn(clips['good.mp4']!, [], { env: { SRVID_TEST_WORKER_FAULT: fault } }),
      (o) =>
        assert.match(
          assertCleanFailure(o),
          fault === 'throw' ? /upscale worker thread failed: injected fault on frame 3/ : /upscale worker thread ended .*exit code 1/,
        ),
    );
  }

  /** Polls until a process naming `dir` matches `pattern`; rejects when the CLI ends first or after `timeoutMs`. */
  const processAppears = async (run: RunningCli, dir: string, pattern: RegExp, timeoutMs = 60_000): Promise<void> => {
    let ended = false;
    void run.done.then(() => (ended = true));
    for (const until = Date.now() + timeoutMs; Date.now() < until && !ended;) {
      if (processesMentioning(dir).some((p) => pattern.test(p.args))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no process matching ${pattern} appeared:\n${run.stderr()}`);
  };

  /** A run of the short clip that the test hook SRVID_TEST_HOLD holds at `stage` until it is stopped. */
  const heldAt = async (stage: 'load' | 'flush', fault: (run: RunningCli) => void | Promise<void>): Promise<Outcome> => {
    const dir = rowDir();
    const output = join(dir, 'out.mp4');
    const report = join(dir, 'q.json');
    const run = cli([clips['good.mp4']!, output, '-y', '--report', report], { SRVID_TEST_HOLD: stage });
    try {
      await run.waitForStderr(new RegExp(`test hold: .*"${stage}"`), 60_000);
      await fault(run);
    } catch (err) {
      run.child.kill('SIGKILL');
      throw err;
    }
    return finish(run, dir, output, report);
  };

  /** Each stage of a run, and how a row gets there. */
  const stages: [string, string, (sig: NodeJS.Signals) => Promise<Outcome>][] = [
    [
      'during the probe (the input is a FIFO no one writes to, so ffprobe waits on it)',
      'ffprobe is killed',
      async (sig) => {
        const dir = rowDir();
        const input = join(dir, 'fifo.mp4');
        execFileSync('mkfifo', [input]);
        const output = join(dir, 'out.mp4');
        const run = cli([input, output, '-y']);
        try {
          await processAppears(run, dir, /ffprobe/);
          run.child.kill(sig);
        } catch (err) {
          run.child.kill('SIGKILL');
          throw err;
        }
        return finish(run, dir, output);
      },
    ],
    [
      'while the model loads (held there by the test hook SRVID_TEST_HOLD=load)',
      'the run does not wait for the load to finish',
      (sig) => heldAt('load', (run) => void run.child.kill(sig)),
    ],
    ['mid-run', 'nothing left', (sig) => midRun((run) => void run.child.kill(sig))],
    [
      'during the final flush (every frame sent and the encoder finishing the file; held there by SRVID_TEST_HOLD=flush)',
      'the finished temporary file is removed, not renamed into place',
      (sig) => heldAt('flush', (run) => void run.child.kill(sig)),
    ],
  ];
  for (const [stage, what, reach] of stages) {
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      row(
        'process',
        `${sig} ${stage}`,
        `stops: exit ${code}, one line saying nothing was written; ${what}`,
        () => reach(sig),
        (o) => {
          assert.equal(o.r.code, code, o.r.stderr);
          assert.match(assertCleanFailure(o), /stopped/);
        },
      );
    }
  }

  /** The signal, and the same again 20 ms later, while the first is being handled. */
  const twice = (sig: NodeJS.Signals) => async (run: RunningCli) => {
    run.child.kill(sig);
    await new Promise((r) => setTimeout(r, 20));
    run.child.kill(sig);
  };
  for (const [sig, code, when, reach] of [
    ['SIGINT', 130, '', (sig: NodeJS.Signals) => midRun(twice(sig))],
    ['SIGTERM', 143, '', (sig: NodeJS.Signals) => midRun(twice(sig))],
    ['SIGINT', 130, ' while the model loads', (sig: NodeJS.Signals) => heldAt('load', twice(sig))],
    ['SIGINT', 130, ' during the final flush', (sig: NodeJS.Signals) => heldAt('flush', twice(sig))],
  ] as const) {
    row(
      'process',
      `${sig} twice${when} (the second 20 ms after the first, while the first is being handled${when ? `; held there by SRVID_TEST_HOLD` : ''})`,
      `exits at once (exit ${code}, or by ${sig} itself): no crash, no ffmpeg, output or partial file left`,
      async () => {
        const o = await reach(sig);
        // The first stop may finish before the second signal comes: either ending is right.
        if (o.r.code === code || o.r.signal === sig) o.status = `exit ${code} or killed by ${sig}`;
        return o;
      },
      (o) => {
        assert.ok(o.r.code === code || o.r.signal === sig, `exit ${o.r.code}, signal ${o.r.signal}:\n${o.r.stderr}`);
        assert.ok(!/terminate called|Napi::Error|^\s+at /m.test(o.r.stderr), `crashed:\n${o.r.stderr}`);
        assertNothingLeft(o);
      },
    );
  }

  const modelRow = (name: string, file: () => string, pattern: RegExp, expected: string): void =>
    row(
      'process',
      `--model-file ${name}`,
      expected,
      () => runOn(clips['good.mp4']!, ['--model-file', file()]),
      (o) => assert.match(assertCleanFailure(o), pattern),
    );
  modelRow(
    'missing',
    () => tmp.file('no-such-model.onnx'),
    /no such model file/,
    'refused before decoding: one line saying there is no such file',
  );
  modelRow(
    'empty (0 bytes)',
    () => clips['empty.onnx']!,
    /empty|0 bytes|no convolution weights/,
    'refused before decoding: one line saying it is not a usable model',
  );
  modelRow(
    'corrupt (the first 3000 bytes of a model)',
    () => clips['corrupt.onnx']!,
    /not a readable ONNX model|no convolution weights|corrupt/,
    'refused before decoding: one line saying it is not a usable model',
  );
  modelRow(
    'for the wrong scale (x3 model, --scale 2)',
    () => clips['x3.onnx']!,
    /upscales x3, not x2/,
    'refused before decoding: one line giving both scales',
  );

  row(
    'process',
    '--ffmpeg /nonexistent',
    'refused: one line naming the path and --ffmpeg',
    () => runOn(clips['good.mp4']!, ['--ffmpeg', '/nonexistent']),
    (o) => assert.match(assertCleanFailure(o), /\/nonexistent.*--ffmpeg/),
  );

  row(
    'process',
    'SRVID_FFMPEG=/nonexistent',
    'refused: one line naming the path and SRVID_FFMPEG',
    () => runOn(clips['good.mp4']!, [], { env: { SRVID_FFMPEG: '/nonexistent' } }),
    (o) => assert.match(assertCleanFailure(o), /\/nonexistent.*SRVID_FFMPEG/),
  );

  row(
    'process',
    'no ffmpeg on PATH',
    'completes with the bundled ffmpeg (@ffmpeg-installer), the last place srvid looks: every frame (10 of 10)',
    async () => {
      const o = await runOn(clips['good.mp4']!, ['-q'], {
        env: { PATH: '/nonexistent', SRVID_FFMPEG: undefined, SRVID_FFPROBE: undefined },
      });
      if (o.r.code === 0) {
        const flags = ffprobeLines(['-show_entries', 'packet=flags', '-select_streams', 'v', '-of', 'csv=p=0', o.output]);
        const discarded = flags.filter((f) => f.includes('D')).length;
        o.note = `the output plays ${await countVideoFrames(o.output)} of 10 frames${discarded ? ` (${discarded} packet marked discard by its edit list)` : ''}`;
      }
      return o;
    },
    (o) => {
      assert.equal(o.r.code, 0, o.r.stderr);
      assertNothingLeft(o);
      assert.match(o.note ?? '', /plays 10 of 10 frames$/);
    },
  );

  row(
    'process',
    'ffmpeg nowhere (no --ffmpeg or SRVID_FFMPEG, none on PATH, a copy of srvid without the bundled packages)',
    'refused: one line saying no usable ffmpeg was found and how to get one',
    async () => {
      // dist/ copied (so its imports resolve from the copy), models/ and every package but the bundled ffmpeg linked.
      const copy = tmp.file('srvid-without-bundled-ffmpeg');
      mkdirSync(join(copy, 'node_modules'), { recursive: true });
      copyFileSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
      cpSync(dirname(dirname(CLI)), join(copy, 'dist'), { recursive: true });
      symlinkSync(join(ROOT, 'models'), join(copy, 'models'));
      for (const name of readdirSync(join(ROOT, 'node_modules'))) {
        if (name !== '@ffmpeg-installer' && name !== '@ffprobe-installer')
          symlinkSync(join(ROOT, 'node_modules', name), join(copy, 'node_modules', name));
      }
      const dir = rowDir();
      const output = join(dir, 'out.mp4');
      const run = startCli([clips['good.mp4']!, output, '-y'], {
        env: { PATH: '/nonexistent', SRVID_FFMPEG: undefined, SRVID_FFPROBE: undefined },
        cli: join(copy, 'dist/cli/main.js'),
      });
      return finish(run, dir, output);
    },
    (o) => assert.match(assertCleanFailure(o), /no usable ffmpeg/),
  );

  // ------------------------------------------------------------------------------------------- the doc

  it('docs/faults.md is what these rows observed', () => {
    const committed = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
    const committedRow = (r: Observed): string | undefined => committed.split('\n').find((l) => l.startsWith(tableRowStart(r)));
    const rowsText = ROWS.map((r) => (r.observed ? tableRow(r) : (committedRow(r) ?? tableRow({ ...r, observed: '(not run yet)' }))));
    const text = renderDoc(rowsText);
    if (UPDATE) {
      writeFileSync(DOC, text);
      return;
    }
    if (text !== committed) {
      const want = text.split('\n');
      const have = committed.split('\n');
      const diff = want.flatMap((l, i) => (l === have[i] ? [] : [`- ${have[i] ?? ''}`, `+ ${l}`])).slice(0, 20);
      assert.fail(`docs/faults.md is stale: run FAULTS_UPDATE=1 npm test\n${diff.join('\n')}`);
    }
  });
});

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const tableRowStart = (r: Observed): string => `| ${r.group} | ${cell(r.name)} |`;
const tableRow = (r: Observed): string => `${tableRowStart(r)} ${cell(r.expected)} | ${r.ok ? '✓' : '✗'} ${cell(r.observed)} |`;

const renderDoc = (rows: string[]): string => `# Faults and hostile input

What srvid does when its input, its output or its own processes fail. This file is generated by
\`test/e2e/fault-matrix.test.ts\`, which runs the built CLI (\`dist/cli/main.js\`) with the system's ffmpeg on each
fault; the test fails when this file and what srvid does differ (\`FAULTS_UPDATE=1 npm test\`, or
\`npm run build && FAULTS_UPDATE=1 node --import tsx --test test/e2e/fault-matrix.test.ts\`, rewrites it).

Every failure is checked for: exit code ≠ 0, one \`srvid:\` line on stderr that names the cause and comes last
(after the start line, progress lines and warnings), no stack trace, no ffmpeg still running on the row's
files, no output, no \`*.partial*\` temporary and no \`--report\` file left behind. **Observed** starts with ✓
when srvid did what is expected, ✗ when not yet (that row's test is reported as todo, with the reason). Temporary paths are shown as
\`<tmp>\`, frame counts that depend on timing as N.

The output rows mount a tmpfs (read-only, or 1 MB), which needs root and \`mount\`; elsewhere they run on
\`/dev/null\` and fail as not run. ffmpeg cannot make or decode a 16384x16384 frame (it allows at most
(w+128)·(h+128) < 2²⁸ pixels), so that row declares the size in patched MJPEG and AVI headers, and a second
row takes the largest real case: an 8192x8192 frame, whose x2 output is past that limit.

Hooks injected into the run reach what cannot be timed from outside (\`RunHooks\` in src/api/run-options.ts;
these rows run \`test/helpers/hooked-cli.mjs\`, the built command with hooks made from two test-only
variables, which srvid itself never reads): \`SRVID_TEST_HOLD=load\` or \`flush\` holds a run at that stage,
saying so in a warning, until it is stopped (so a signal lands there, with no guess at how long a stage
takes), and \`SRVID_TEST_WORKER_FAULT=throw\` or \`exit\` makes an upscale worker thread throw an uncaught
error, or call \`process.exit(1)\`, on frame 3. A signal during the probe needs no
hook: the input is a FIFO that nothing writes to, and the row waits until ffprobe is running.

| | row | expected | observed |
|---|---|---|---|
${rows.join('\n')}
`;
