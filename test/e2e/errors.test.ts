/**
 * Failures end cleanly: exit code ≠ 0, one "srvid: …" line on stderr without a stack trace, and nothing left
 * in the output folder (neither the output nor a `*.partial*` temporary).
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, lines, partialFiles, runCli, type CliResult } from '../helpers/cli.js';
import { makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { probe, videoOf } from '../helpers/probe.js';

/** The shared expectations; `allowed` matches stderr lines that may come before the error (start, progress). */
const assertCleanFailure = (r: CliResult, outDir: string, output: string, allowed?: RegExp): string => {
  assert.notEqual(r.code, 0, `exit code 0; stderr:\n${r.stderr}`);
  assert.equal(r.signal, null, `killed by ${r.signal}`);
  assert.ok(!r.stderr.includes('    at '), `stack trace on stderr:\n${r.stderr}`);
  const err = lines(r.stderr);
  const errorLines = err.filter((l) => l.startsWith('srvid:'));
  assert.equal(errorLines.length, 1, `expected one "srvid:" line:\n${r.stderr}`);
  const other = err.filter((l) => !l.startsWith('srvid:'));
  if (allowed) {
    assert.deepEqual(
      other.filter((l) => !allowed.test(l)),
      [],
      `unexpected stderr lines:\n${r.stderr}`,
    );
    assert.equal(err.at(-1), errorLines[0], 'the error is not the last line');
  } else {
    assert.deepEqual(other, [], `expected exactly one line on stderr:\n${r.stderr}`);
  }
  assert.ok(errorLines[0]!.length > 'srvid: '.length + 5, 'empty error message');
  assert.equal(r.stdout, '', 'stdout not empty');
  assert.ok(!existsSync(output), `${output} was created`);
  assert.deepEqual(partialFiles(outDir), [], 'partial file left behind');
  return errorLines[0]!;
};

describe('errors', () => {
  let tmp: TempDir;
  let good: string;

  before(async () => {
    tmp = makeTempDir('errors');
    good = await makeClip(tmp.file('good.mp4'), { frames: 10 });
  });

  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('missing input file', async () => {
    const out = tmp.file('o-missing.mp4');
    const r = await runCli([tmp.file('does-not-exist.mp4'), out]);
    const line = assertCleanFailure(r, tmp.path, out);
    assert.match(line, /no such file/);
  });

  it('a text file renamed .mp4', async () => {
    const fake = tmp.write('text.mp4', 'this is not a video\n'.repeat(20));
    const out = tmp.file('o-text.mp4');
    const r = await runCli([fake, out]);
    const line = assertCleanFailure(r, tmp.path, out);
    assert.equal(line, `srvid: ${fake} is not a video file: ffmpeg took it for an MP4 by its name, but its content is not one`);
  });

  describe('a truncated faststart mp4 (60 frames, cut to half its bytes)', () => {
    let truncated: string;
    before(async () => {
      truncated = await makeClip(tmp.file('truncated.mp4'), { frames: 60, extra: ['-movflags', '+faststart'] });
      truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
    });

    it('fails with -q: exactly one line', async () => {
      const out = tmp.file('o-trunc-q.mp4');
      const r = await runCli([truncated, out, '-q']);
      // -q drops the progress line but not the start line, which is not an error.
      const line = assertCleanFailure(r, tmp.path, out, /^\S+truncated\.mp4: 96x64 /);
      assert.match(line, /truncated|damaged/);
    });

    it('fails without -q: the error is the one "srvid:" line, after the start/progress lines', async () => {
      const out = tmp.file('o-trunc.mp4');
      const r = await runCli([truncated, out]);
      assertCleanFailure(r, tmp.path, out, /^(\S+truncated\.mp4: 96x64 |frame \d+)/);
    });
  });

  it('unsupported scale (--scale 5)', async () => {
    const out = tmp.file('o-scale.mp4');
    const r = await runCli([good, out, '--scale', '5']);
    const line = assertCleanFailure(r, tmp.path, out);
    assert.match(line, /scale/);
    assert.equal(r.code, 2);
  });

  it('output in a folder that does not exist', async () => {
    const missingDir = tmp.file('no-such-folder');
    const out = `${missingDir}/o.mp4`;
    const r = await runCli([good, out]);
    const line = assertCleanFailure(r, tmp.path, out);
    assert.match(line, /does not exist/);
    assert.ok(!existsSync(missingDir), 'the folder was created');
  });

  it('output exists without -y: refused and untouched; with -y: overwritten', async () => {
    const out = tmp.file('exists.mp4');
    writeFileSync(out, 'precious');
    const before = readdirSync(tmp.path).sort();
    const r = await runCli([good, out]);
    assert.notEqual(r.code, 0);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /^srvid: .*exists/);
    assert.ok(!r.stderr.includes('    at '));
    assert.equal(readFileSync(out, 'utf8'), 'precious');
    assert.deepEqual(readdirSync(tmp.path).sort(), before, 'files appeared in the folder');

    const again = await runCli([good, out, '-y', '-q']);
    assert.equal(again.code, 0, again.stderr);
    const v = videoOf(await probe(out));
    assert.deepEqual([v.width, v.height], [192, 128]);
    assert.deepEqual(partialFiles(tmp.path), []);
  });

  it('unknown option', async () => {
    const out = tmp.file('o-unknown.mp4');
    const r = await runCli([good, out, '--no-such-option']);
    const line = assertCleanFailure(r, tmp.path, out);
    assert.match(line, /unknown option --no-such-option/);
    assert.equal(r.code, 2);
  });

  describe('output problems are found before any process starts, and name the path the user gave', () => {
    // One line and nothing else on stderr: no start line, so nothing was probed or decoded first.
    const refused = async (out: string, extra: string[] = []): Promise<string> => {
      const r = await runCli([good, out, ...extra]);
      return assertCleanFailure(r, tmp.path, out);
    };

    it('the output is the input, by the same name, as ./name, a hard link or a symlink, even with -y: one line, exit code 2', async () => {
      const link = tmp.file('same-as-good.mp4');
      linkSync(good, link);
      const symlink = tmp.file('symlink-to-good.mp4');
      symlinkSync(good, symlink);
      for (const [input, output] of [
        ['good.mp4', 'good.mp4'],
        ['good.mp4', './good.mp4'],
        ['good.mp4', link],
        ['good.mp4', symlink],
      ] as const) {
        const r = await runCli([input, output, '-y'], { cwd: tmp.path });
        assert.equal(r.code, 2, `${input} → ${output}: ${r.stderr}`);
        assert.deepEqual(lines(r.stderr), [`srvid: ${output} is the input ${input}; give another output path`]);
      }
      assert.equal(statSync(link).size, statSync(good).size, 'the input was touched');
    });

    it('a path inside /proc', async () => {
      assert.match(await refused('/proc/self/srvid-out.mp4'), /^srvid: cannot write \/proc\/self\/srvid-out\.mp4: it is inside \/proc/);
    });

    it('a file where a folder should be', async () => {
      const file = tmp.write('a-file', 'x');
      assert.match(await refused(`${file}/o.mp4`), /is a file, not a folder/);
    });

    it('a directory in the way', async () => {
      const dir = tmp.file('a-dir.mp4');
      mkdirSync(dir);
      const r = await runCli([good, dir, '-y']);
      assert.notEqual(r.code, 0);
      assert.deepEqual(lines(r.stderr), [`srvid: ${dir} is a directory; give a file name such as out.mp4`]);
    });

    it('an encoder this ffmpeg lacks (--codec nocodec) is refused before anything is read: one line, exit code 2', async () => {
      const out = tmp.file('o-nocodec.mp4');
      const r = await runCli([good, out, '--codec', 'nocodec']);
      const line = assertCleanFailure(r, tmp.path, out);
      assert.match(
        line,
        /^srvid: --codec nocodec: \S+ \(ffmpeg \d+, [^)]+\) has no video encoder of that name; .*ffmpeg -encoders lists them all$/,
      );
      assert.equal(r.code, 2);
    });

    it('a --report path in a missing folder is refused before the run', async () => {
      const out = tmp.file('o-report.mp4');
      const line = await refused(out, ['--report', tmp.file('no-such-folder/q.json')]);
      assert.match(line, /cannot write the report .*no-such-folder\/q\.json: folder .* does not exist/);
    });
  });

  it('--model-file for another scale is refused before the first frame (metadata or the ONNX graph alone)', async () => {
    const model = tmp.file('mine-x3.onnx');
    copyFileSync(new URL('../../models/espcn-x3.onnx', import.meta.url), model);
    const out = tmp.file('o-model.mp4');
    const line = assertCleanFailure(await runCli([good, out, '--model-file', model, '--scale', '2']), tmp.path, out);
    assert.equal(line, `srvid: ${model} upscales x3, not x2: pass --scale 3, or a model trained for x2`);
    const broken = tmp.write('broken.onnx', 'not a model');
    const out2 = tmp.file('o-broken.mp4');
    assert.match(assertCleanFailure(await runCli([good, out2, '--model-file', broken]), tmp.path, out2), /is not a readable ONNX model/);
  });
});
