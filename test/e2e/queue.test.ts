/**
 * `--queue` with a real Redis (Debian's redis-server, started here on a free port, no persistence) and real
 * `srvid worker` processes: one worker is SIGKILLed mid-segment and the coordinator is SIGKILLed and started
 * again; the job still ends with every frame exactly once, equal to a plain run. The coordinator's dashboard
 * (a real WebSocket client) shows every worker. A job whose segments always fail ends with a clear error; a
 * queue nobody answers on is refused before anything is cut; Redis with a password, and with TLS (a
 * certificate from a CA made here with openssl), work.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { HelloMessage, MonitorMessage, SummaryMessage, WorkersMessage } from '../../src/monitor/messages.js';
import { killLeftovers, runCli, startCli, waitUntilGone, type RunningCli } from '../helpers/cli.js';
import { makeTempDir, type TempDir } from '../helpers/clips.js';
import { doneSegments, frameDigests, makeRichClip, streamSummary, waitFor } from '../helpers/segments.js';

const LOSSLESS = ['--model', 'espcn', '--codec', 'libx264', '--crf', '0', '--preset', 'ultrafast'];
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const startRedis = async (port: number, extra: readonly string[] = []): Promise<ChildProcess> => {
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  redis.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  await waitFor('redis-server to accept connections', () => /Ready to accept connections/.test(out), 15_000);
  return redis;
};

/** Every message of a monitor, from its first to the summary (or until the socket closes). */
const collectMonitor = (url: string): Promise<MonitorMessage[]> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws').replace(/\/(\?|$)/, '/ws$1'));
    const seen: MonitorMessage[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as MonitorMessage;
      seen.push(m);
      if (m.type === 'summary') ws.close();
    });
    ws.once('close', () => resolve(seen));
    ws.once('error', reject);
  });

/** A CA, and a certificate for 127.0.0.1 signed by it, made with openssl in `dir`. */
const makeCertificates = (tmp: TempDir): { ca: string; cert: string; key: string } => {
  const [ca, caKey, cert, key, csr] = ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'server.csr'].map((n) => tmp.file(n)) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const openssl = (args: string[]): void => {
    const r = spawnSync('openssl', args);
    assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  };
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '1', '-subj', '/CN=srvid test CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1']);
  const ext = tmp.write('ext.cnf', 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext]);
  return { ca, cert, key };
};

describe(
  '--queue: a coordinator and srvid worker processes on a real Redis',
  { skip: !hasRedis && 'redis-server is not installed', timeout: 300_000 },
  () => {
    let tmp: TempDir;
    let redis: ChildProcess;
    let url: string;
    let input: string;
    let plain: string;
    const workers: RunningCli[] = [];
    // Each frame takes 40 ms longer, so a worker can be caught in the middle of a segment.
    const startWorker = (env: NodeJS.ProcessEnv = { SRVID_TEST_SLOW_MODEL_MS: '40' }): RunningCli => {
      const w = startCli(['worker', '--queue', url, '--workers', '1', '--threads', '1'], { detached: true, env });
      workers.push(w);
      return w;
    };
    const stopWorkers = async (): Promise<void> => {
      for (const w of workers.splice(0)) {
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        await w.done;
      }
      // Workers name the queue (its port is this test's own) on their command line, and only they do.
      assert.deepEqual(await waitUntilGone(url, 5000), [], 'no worker left');
    };

    before(async () => {
      tmp = makeTempDir('queue');
      const port = await freePort();
      redis = await startRedis(port);
      url = `redis://127.0.0.1:${port}`;
      input = await makeRichClip(tmp);
      plain = tmp.file('plain.mkv');
      const r = await runCli([input, plain, ...LOSSLESS, '--workers', '1']);
      assert.equal(r.code, 0, r.stderr);
    });
    after(async () => {
      killLeftovers(url);
      killLeftovers(tmp.path);
      redis.kill('SIGKILL');
      tmp.remove();
    });

    it('finishes with every frame once after a worker and the coordinator are killed', async () => {
      const output = tmp.file('out.mkv');
      const work = `${output}.srvid`;
      const args = [input, output, '--queue', url, '--segment-seconds', '1', ...LOSSLESS];
      const [a, b] = [startWorker(), startWorker()];
      await Promise.all([a, b].map((w) => w.waitForStderr(/waiting for segments/, 60_000)));
      let coordinator = startCli(args, { detached: true });
      // Worker a is killed once it is inside a segment; its segment must come back from the queue.
      await a.waitForStderr(/segment (\d+): \d+ frames/, 60_000);
      const taken = /segment (\d+): \d+ frames/.exec(a.stderr())?.[1] as string;
      await new Promise((r) => setTimeout(r, 300));
      assert.doesNotMatch(a.stderr(), new RegExp(`segment ${taken}: done`));
      process.kill(-(a.child.pid as number), 'SIGKILL');
      // The coordinator dies too, once a segment is recorded, and is started again: it carries on.
      await waitFor('a recorded segment', () => doneSegments(work) >= 1, 120_000);
      process.kill(-(coordinator.child.pid as number), 'SIGKILL');
      const killed = await coordinator.done;
      coordinator = startCli(args);
      const r = await coordinator.done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /resuming: \d of 4 segments/);
      assert.match(b.stderr(), new RegExp(`segment ${taken}: done`), "the killed worker's segment was taken by the other");
      // One of the two coordinators saw it happen, and said so in one line.
      const lostLine = new RegExp(
        `^segment ${taken}: (worker \\S+|a worker) stopped answering; the segment is back on the queue for another worker$`,
        'gm',
      );
      assert.equal([...(killed.stderr + r.stderr).matchAll(lostLine)].length, 1, `${killed.stderr}\n---\n${r.stderr}`);
      assert.equal(existsSync(work), false);
      const video = await frameDigests(output, '0:v');
      assert.equal(video.length, 100);
      assert.deepEqual(video, await frameDigests(plain, '0:v'), 'every frame exactly once, identical, same timestamps');
      assert.deepEqual(await frameDigests(output, '0:a', true), await frameDigests(plain, '0:a', true), 'audio packets');
      assert.deepEqual(await streamSummary(output), await streamSummary(plain));
      await stopWorkers();
    });

    it("shows every worker on the coordinator's dashboard: model, backend, speed, segments and frames", async () => {
      const [a, b] = [startWorker(), startWorker()];
      await Promise.all([a, b].map((w) => w.waitForStderr(/waiting for segments/, 60_000)));
      const names = [a, b].map((w) => /worker (\S+) waiting for segments/.exec(w.stderr())?.[1]).sort();
      const output = tmp.file('watched.mkv');
      // --monitor-wait: the run starts once the client below is connected, so it sees the run from its hello.
      const args = [input, output, '--queue', url, '--segment-seconds', '1', '--monitor', '127.0.0.1:0', '--monitor-wait', ...LOSSLESS];
      const coordinator = startCli(args);
      await coordinator.waitForStderr(/monitor: http:\/\/\S+/, 60_000);
      const seen = await collectMonitor(/monitor: (http:\/\/\S+)/.exec(coordinator.stderr())?.[1] as string);
      const r = await coordinator.done;
      assert.equal(r.code, 0, r.stderr);
      const hello = seen.find((m): m is HelloMessage => m.type === 'hello');
      assert.deepEqual(hello?.segmented, { segments: 4, doneBefore: 0, segmentSeconds: 1, queue: url });
      const boards = seen.filter((m): m is WorkersMessage => m.type === 'workers');
      assert.ok(boards.length >= 4, `a workers message as the run goes (${boards.length})`);
      // While the job ran, both workers were seen with a segment in hand.
      const busy = new Set(boards.flatMap((m) => m.workers.filter((w) => w.segment !== null).map((w) => w.worker)));
      assert.deepEqual([...busy].sort(), names);
      const last = boards.at(-1) as WorkersMessage;
      assert.deepEqual(last.segments, { total: 4, done: 4, inHand: 0 });
      assert.deepEqual(last.frames, { done: 100, total: 100 });
      assert.deepEqual(last.workers.map((w) => w.worker).sort(), names);
      for (const w of last.workers) {
        assert.equal(w.model, 'espcn-x2');
        assert.equal(w.backend, 'onnxruntime-cpu');
        assert.ok(w.fps > 0 && w.segmentsDone >= 1, JSON.stringify(w));
      }
      assert.equal(
        last.workers.reduce((n, w) => n + w.segmentsDone, 0),
        4,
        'each segment counted once, by the worker that did it',
      );
      assert.equal(
        last.workers.reduce((n, w) => n + w.framesDone, 0),
        100,
      );
      // What the workers said about each segment on the coordinator's progress lines, the dashboard says too.
      for (const [, index, worker] of r.stderr.matchAll(/segment (\d+) done by (\S+) /g))
        assert.ok(
          boards.some((m) => m.workers.some((w) => w.worker === worker && w.segmentsDone > 0)),
          `segment ${index}`,
        );
      const summary = seen.find((m): m is SummaryMessage => m.type === 'summary');
      assert.equal(summary?.status, 'finished');
      assert.equal(summary?.frames, 100);
      assert.equal((await frameDigests(output, '0:v')).length, 100);
      await stopWorkers();
    });

    it('ends with a clear error when a segment fails on every try', async () => {
      const w = startWorker({ SRVID_TEST_FAIL_SEGMENTS: '1' });
      await w.waitForStderr(/waiting for segments/, 60_000);
      const output = tmp.file('fails.mkv');
      const r = await runCli([input, output, '--queue', url, '--segment-seconds', '1', ...LOSSLESS], { timeoutMs: 120_000 });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /srvid: segment \d+ failed on every try \(3 in all\): segment \d+: failing on purpose/);
      // Each try before the last is told as it fails, once.
      const failed =
        /^segment (\d+): try (\d) of 3 failed on (?:worker \S+|a worker) \(segment \1: failing on purpose \(SRVID_TEST_FAIL_SEGMENTS\)\); it is tried again$/gm;
      const tries = [...r.stderr.matchAll(failed)].map((m) => `${m[1]}:${m[2]}`);
      const last = /srvid: segment (\d+) failed on every try/.exec(r.stderr)?.[1];
      assert.deepEqual(
        tries.filter((t) => t.startsWith(`${last}:`)),
        [`${last}:1`, `${last}:2`],
        r.stderr,
      );
      assert.equal(existsSync(output), false);
      await stopWorkers();
    });

    it('reaches a Redis with a password, refuses a wrong one, and stops cleanly on SIGTERM', async () => {
      const port = await freePort();
      const locked = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 's3cret'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      try {
        let out = '';
        locked.stdout!.on('data', (b: Buffer) => (out += b.toString()));
        await waitFor('the locked redis-server', () => /Ready to accept connections/.test(out), 15_000);
        const output = tmp.file('locked.mkv');
        const wrong = await runCli([input, output, '--queue', `redis://:nope@127.0.0.1:${port}`, ...LOSSLESS]);
        assert.equal(wrong.code, 1);
        assert.match(wrong.stderr, /srvid: cannot reach the queue at redis:\/\/\*\*\*@127\.0\.0\.1:\d+: .*(WRONGPASS|invalid|NOAUTH)/i);
        assert.doesNotMatch(wrong.stderr, /nope/, 'the password is never shown');
        // No worker: the coordinator queues its segments and waits until it is stopped.
        const c = startCli([input, output, '--queue', `redis://:s3cret@127.0.0.1:${port}`, ...LOSSLESS]);
        await c.waitForStderr(/segments on the queue/, 60_000);
        c.child.kill('SIGTERM');
        const r = await c.done;
        assert.equal(r.code, 143);
        assert.match(r.stderr, /srvid: stopped; the segments stay on the queue and the journal keeps what is done/);
        assert.equal(existsSync(output), false);
      } finally {
        locked.kill('SIGKILL');
      }
    });

    it(
      'works through Redis with TLS (rediss://) and a private CA; without the CA, says how to give it',
      { skip: !hasOpenssl && 'openssl is not installed (it makes the certificates): apt-get install -y openssl' },
      async () => {
        const certs = makeCertificates(tmp);
        const port = await freePort();
        // TLS only: with --port 0 the server has no plain port, so the job can only have gone through TLS.
        const tls = await startRedis(0, [
          '--tls-port',
          String(port),
          '--tls-cert-file',
          certs.cert,
          '--tls-key-file',
          certs.key,
          '--tls-ca-cert-file',
          certs.ca,
          '--tls-auth-clients',
          'no',
        ]);
        try {
          const secure = `rediss://127.0.0.1:${port}`;
          const output = tmp.file('tls.mkv');
          const untrusted = await runCli([input, output, '--queue', secure, ...LOSSLESS]);
          assert.equal(untrusted.code, 1);
          assert.match(
            untrusted.stderr,
            /srvid: cannot reach the queue at rediss:\/\/127\.0\.0\.1:\d+: .*certificate.*NODE_EXTRA_CA_CERTS/,
          );
          const trusted = { NODE_EXTRA_CA_CERTS: certs.ca };
          const w = startCli(['worker', '--queue', secure, '--workers', '1', '--threads', '1'], { detached: true, env: trusted });
          workers.push(w);
          await w.waitForStderr(/waiting for segments/, 60_000);
          const r = await runCli([input, output, '--queue', secure, '--segment-seconds', '2', ...LOSSLESS], { env: trusted });
          assert.equal(r.code, 0, r.stderr);
          assert.match(w.stderr(), /segment 1: done/);
          assert.deepEqual(await frameDigests(output, '0:v'), await frameDigests(plain, '0:v'));
          await stopWorkers();
        } finally {
          tls.kill('SIGKILL');
        }
      },
    );

    it('refuses a queue nobody answers on, before cutting anything; a worker too', async () => {
      const output = tmp.file('nobody.mkv');
      const r = await runCli([input, output, '--queue', `redis://127.0.0.1:${await freePort()}`, ...LOSSLESS]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /srvid: cannot reach the queue at redis:\/\/127\.0\.0\.1:\d+: .*is redis-server running there\?/);
      assert.equal(existsSync(`${output}.srvid`), false);
      // A worker too: one line and exit 1 (it used to retry without a word, and without minding SIGTERM).
      const w = await runCli(['worker', '--queue', `redis://127.0.0.1:${await freePort()}`], { timeoutMs: 60_000 });
      assert.equal(w.code, 1);
      assert.match(w.stderr, /^srvid: cannot reach the queue at redis:\/\/127\.0\.0\.1:\d+: .*is redis-server running there\?\n$/);
    });
  },
);
