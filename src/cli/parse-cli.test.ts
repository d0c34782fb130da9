import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { UsageError } from '../errors.js';
import { renderHelp } from './options.js';
import { parseCli } from './parse-cli.js';

describe('parseCli', () => {
  it('parses the main command with defaults', () => {
    const p = parseCli(['in.mp4', 'out.mp4']);
    assert.equal(p.command, 'upscale');
    assert.deepEqual(p.positionals, ['in.mp4', 'out.mp4']);
    assert.equal(p.options.scale, 2);
    assert.equal(p.options.crf, 18);
    assert.equal(p.options.overwrite, false);
  });

  it('leaves an option without a default unset, so the run chooses (the preset: medium for files, superfast live)', () => {
    assert.equal(parseCli(['in.mp4', 'out.mp4']).options.preset, undefined);
    assert.equal(parseCli(['in.mp4', 'out.mp4', '--preset', 'slow']).options.preset, 'slow');
    assert.equal(parseCli(['in.mp4', 'out.mp4', '--connect-timeout', '3']).options.connectTimeoutMs, 3000);
  });

  it('parses short, long and --flag=value forms, and - for stdin/stdout', () => {
    const p = parseCli(['-', '-', '-s', '3', '-y', '--crf=23', '--codec', 'libx265', '-f', 'matroska']);
    assert.deepEqual(p.positionals, ['-', '-']);
    assert.deepEqual(
      [p.options.scale, p.options.overwrite, p.options.crf, p.options.codec, p.options.format],
      [3, true, 23, 'libx265', 'matroska'],
    );
  });

  it('eval takes one folder', () => {
    const p = parseCli(['eval', 'Set5', '--scale', '4', '--json']);
    assert.equal(p.command, 'eval');
    assert.deepEqual(p.positionals, ['Set5']);
    assert.equal(p.options.json, true);
  });

  it('rejects bad input with a message that says what to do', () => {
    const cases: [string[], RegExp][] = [
      [['a.mp4', 'b.mp4', '--scale', '5'], /unsupported scale "5".*2, 3 or 4/],
      [['a.mp4', 'b.mp4', '--scale'], /needs a value/],
      [['a.mp4', 'b.mp4', '--bogus'], /unknown option --bogus/],
      [['a.mp4'], /no output given/],
      [[], /no input given/],
      [['a.mp4', 'b.mp4', '--crf', 'x'], /--crf takes a whole number/],
      [['eval'], /eval takes one folder/],
    ];
    for (const [argv, re] of cases) {
      assert.throws(
        () => parseCli(argv),
        (e: unknown) => e instanceof UsageError && re.test(e.message),
        argv.join(' '),
      );
    }
  });

  it('takes the monitor and quality options for video runs', () => {
    const p = parseCli([
      'in.mp4',
      'out.mp4',
      '--monitor',
      '0.0.0.0:8080',
      '--monitor-token',
      't',
      '--monitor-wait',
      '--reference',
      'self',
      '--report',
      'q.json',
      '--preview-every',
      '5',
    ]);
    assert.deepEqual(
      [p.options.monitor, p.options.monitorToken, p.options.monitorWait, p.options.reference, p.options.report, p.options.previewEvery],
      [{ host: '0.0.0.0', port: 8080 }, 't', true, 'self', 'q.json', 5],
    );
    assert.deepEqual(parseCli(['a.mp4', 'b.mp4', '--monitor', '[::1]:0']).options.monitor, { host: '::1', port: 0 });
    const cases: [string[], RegExp][] = [
      [['a.mp4', 'b.mp4', '--monitor', 'localhost'], /--monitor takes \[host:\]port/],
      [['a.mp4', 'b.mp4', '--monitor', '70000'], /--monitor takes \[host:\]port/],
      [['a.mp4', 'b.mp4', '--monitor-token', 'x'], /--monitor-token needs --monitor/],
      [['a.mp4', 'b.mp4', '--monitor-wait'], /--monitor-wait needs --monitor/],
      [['a.mp4', 'b.mp4', '--monitor', '1', '--monitor-token', ''], /must not be empty/],
      [['eval', 'Set5', '--report', 'r.json'], /--report is for video runs, not eval/],
      [['a.mp4', 'b.mp4', '--preview-every', '0'], /--preview-every takes a whole number/],
    ];
    for (const [argv, re] of cases) {
      assert.throws(
        () => parseCli(argv),
        (e: unknown) => e instanceof UsageError && re.test(e.message),
        argv.join(' '),
      );
    }
  });

  it('reads segmented jobs and the worker command', () => {
    const r = parseCli(['a.mp4', 'b.mp4', '--resume', '--segment-seconds', '30']);
    assert.equal(r.options.resume, true);
    assert.equal(r.options.segmentSeconds, 30);
    const w = parseCli(['worker', '--queue', 'redis://10.0.0.5:6379']);
    assert.equal(w.command, 'worker');
    assert.equal(w.options.queue, 'redis://10.0.0.5:6379');
    const cases: [string[], RegExp][] = [
      [['worker'], /worker needs --queue redis:\/\/HOST:PORT/],
      [['worker', 'x', '--queue', 'redis://h:1'], /worker takes no arguments/],
      [['worker', '--queue', 'redis://h:1', '--report', 'r.json'], /--report is for video runs, not worker/],
      [['a.mp4', 'b.mp4', '--queue', 'h:6379'], /--queue takes redis:\/\/HOST:PORT/],
      [['a.mp4', 'b.mp4', '--resume', '--live'], /--resume is for files/],
      [['a.mp4', 'b.mp4', '--segment-seconds', '0'], /--segment-seconds takes a whole number/],
    ];
    for (const [argv, re] of cases) {
      assert.throws(
        () => parseCli(argv),
        (e: unknown) => e instanceof UsageError && re.test(e.message),
        argv.join(' '),
      );
    }
  });

  it('help wins over missing arguments', () => {
    assert.equal(parseCli(['--help']).command, 'help');
  });
});

describe('docs/cli.md', () => {
  it('shows the current --help text', () => {
    const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    assert.ok(doc.includes(renderHelp().trimEnd()), 'docs/cli.md is stale: run npm run docs');
  });
});
