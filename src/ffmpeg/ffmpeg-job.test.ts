// The job runner with node itself as the child: output, failures, the stderr tail's bound, timeouts,
// stopping, and killing at exit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { AbortedError } from '../errors.js';
import { pendingExitCleanups } from './at-exit.js';
import { failureWords } from './child-state.js';
import { runJob, startJob, TAIL_CHARS } from './ffmpeg-job.js';

const NODE = process.execPath;
const js = (code: string): string[] => ['-e', code];
const FOREVER = 'setInterval(() => {}, 1000)';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('runJob', () => {
  it('collects stdout and ends exited-ok, leaving no exit listener behind', async () => {
    const exitListeners = process.listenerCount('exit');
    const r = await runJob(NODE, js('process.stdout.write("héllo\\n")'), { stdoutBytes: 1024 });
    assert.deepEqual(r.state, { kind: 'exited-ok' });
    assert.equal(r.stdout, 'héllo\n');
    assert.equal(r.stopped, null);
    assert.equal(pendingExitCleanups(), 0);
    assert.equal(process.listenerCount('exit'), exitListeners);
  });

  it('ignores stdout unless asked to collect it', async () => {
    const r = await runJob(NODE, js('process.stdout.write("x".repeat(1e6))'));
    assert.equal(r.state.kind, 'exited-ok');
    assert.equal(r.stdout, '');
  });

  it('reports a failure with its exit code and the last lines of stderr', async () => {
    const r = await runJob(NODE, js('console.error("first\\nsecond\\nthird"); process.exit(3)'));
    assert.equal(r.state.kind, 'exited-error');
    if (r.state.kind !== 'exited-error') return;
    assert.equal(r.state.code, 3);
    assert.equal(failureWords(r.state), 'second | third');
    const silent = await runJob(NODE, js('process.exit(4)'));
    assert.equal(silent.state.kind === 'exited-error' && failureWords(silent.state), 'exit code 4');
  });

  it('keeps a bounded tail of stderr: its last characters', async () => {
    const r = await runJob(NODE, js('process.stderr.write("x".repeat(300000) + "\\nTHE END\\n"); process.exitCode = 1'));
    assert.equal(r.stderrTail.length, TAIL_CHARS);
    assert.ok(r.stderrTail.endsWith('x\nTHE END\n'));
    assert.equal(r.state.kind === 'exited-error' && r.state.stderrTail, r.stderrTail);
    const small = await runJob(NODE, js('process.stderr.write("y".repeat(5000)); process.exitCode = 1'), { tailChars: 100 });
    assert.equal(small.stderrTail, 'y'.repeat(100));
  });

  it('stops a run that outlives its timeout', async () => {
    const t0 = Date.now();
    const r = await runJob(NODE, js(FOREVER), { timeoutMs: 200 });
    assert.equal(r.stopped, 'timeout');
    assert.equal(r.state.kind === 'exited-error' && r.state.signal, 'SIGTERM');
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('stops a run whose stdout passes its bound, and never calls it a success', async () => {
    const r = await runJob(NODE, js('process.stdout.write("z".repeat(1 << 20)); setTimeout(() => {}, 5000)'), { stdoutBytes: 1000 });
    assert.equal(r.stopped, 'stdout-limit');
    assert.equal(r.state.kind, 'exited-error');
    assert.ok(r.stdout.length <= 1000);
  });

  it('throws AbortedError when its signal aborts, before or during the run', async () => {
    await assert.rejects(runJob(NODE, js(FOREVER), { signal: AbortSignal.abort() }), AbortedError);
    const t0 = Date.now();
    await assert.rejects(runJob(NODE, js(FOREVER), { signal: AbortSignal.timeout(150) }), AbortedError);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(pendingExitCleanups(), 0);
  });

  it('says when the binary does not start', async () => {
    const r = await runJob('/nonexistent/ffmpeg', ['-version']);
    assert.equal(r.state.kind, 'exited-error');
    assert.equal(r.state.kind === 'exited-error' && r.state.spawnError, 'ENOENT');
    assert.match(r.stderrTail || (r.state.kind === 'exited-error' ? r.state.stderrTail : ''), /ENOENT/);
  });
});

describe('startJob', () => {
  it('pipes a stream into the child and hands out its stdout', async () => {
    const child = startJob(NODE, js('process.stdin.pipe(process.stdout)'), { stdin: Readable.from(['a', 'b', 'c']) });
    let out = '';
    child.process.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    assert.deepEqual(await child.exited, { kind: 'exited-ok' });
    assert.equal(out, 'abc');
  });

  it('stop() sends SIGTERM, then SIGKILL to a child that ignores it', async () => {
    const child = startJob(NODE, js('process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'));
    await new Promise((r) => child.process.stdout?.once('data', r));
    assert.equal(child.state().kind, 'running');
    await child.stop(200);
    const state = child.state();
    assert.equal(state.kind === 'exited-error' && state.signal, 'SIGKILL');
  });

  it('kills a child still running when srvid exits', async () => {
    const here = fileURLToPath(new URL('./ffmpeg-job.ts', import.meta.url));
    const script = [
      `import { startJob } from ${JSON.stringify(here)};`,
      `const child = startJob(process.execPath, ['-e', ${JSON.stringify(FOREVER)}]);`,
      'console.log(child.process.pid);',
      'setTimeout(() => process.exit(0), 100);',
    ].join('\n');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(NODE, ['--import', 'tsx', '--input-type=module', '-e', script], (err, out) => (err ? reject(err) : resolve(out))),
    );
    const pid = Number(stdout.trim());
    assert.ok(pid > 0);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    const outlived = alive(pid);
    if (outlived) process.kill(pid, 'SIGKILL');
    assert.equal(outlived, false, 'the child outlived its parent');
  });
});
