/**
 * The monitor, exposed to hostile or careless clients, on 127.0.0.1 only; every test is bounded in clients,
 * bytes and time, and stops by itself. First the server alone (serveMonitor): request targets that try to
 * leave the page (sent as raw bytes, so no client normalises them), targets that are not URLs, tokens, other
 * sites' pages, the cap on clients (503 with a reason), oversized, malformed and flooding client messages,
 * clients that never read; then real runs of the CLI: a thousand clients at once, clients that never read,
 * and the warning for a monitor other machines can reach without a token. Figures (fps, peak RSS) go to
 * test/output/monitor-load.json; tests assert generous memory bounds, never times.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { exposureWarning, observeRun } from '../../src/monitor/observe-run.js';
import { SCHEMA_VERSION, type FrameMessage, type MonitorMessage } from '../../src/monitor/messages.js';
import { MAX_CLIENTS, serveMonitor, type MonitorServer } from '../../src/monitor/serve-monitor.js';
import { killLeftovers, lines, startCli, waitUntilGone, type CliResult } from '../helpers/cli.js';
import { ffmpeg, makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { get, openClient, openClients, rawRequest, sampleRss, type MonitorClient } from '../helpers/monitor-clients.js';

const SAMPLE = fileURLToPath(new URL('../../samples/street-360p.mp4', import.meta.url));
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));
const PACKAGE_NAME = '"name": "srvid"';

const frame = (index: number, pad = 0): FrameMessage & { pad?: string } => ({
  type: 'frame',
  v: SCHEMA_VERSION,
  index,
  ptsMs: index * 40,
  srvid: { psnr: 30, ssim: 0.9 },
  bicubic: { psnr: 28, ssim: 0.85 },
  fps: 10,
  latencyMs: 50,
  queueDepth: 2,
  dropped: 0,
  fallback: 0,
  ...(pad ? { pad: 'x'.repeat(pad) } : {}),
});

const portOf = (server: MonitorServer): number => server.address.port;
const wsUrl = (server: MonitorServer, query = ''): string => `ws://127.0.0.1:${portOf(server)}/ws${query}`;

/** The status a WebSocket handshake gets (101 when accepted) and the refusal's body. */
const handshake = (url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.once('end', () => (resolve({ status: res.statusCode ?? 0, body }), ws.terminate()));
    });
    ws.once('open', () => (resolve({ status: 101, body: '' }), ws.close()));
    ws.once('error', (e) => (/Unexpected server response/.test(e.message) ? undefined : reject(e)));
  });

const rssMB = (): number => process.memoryUsage().rss / 2 ** 20;

describe('the monitor server against hostile clients', () => {
  let open: MonitorServer;
  let locked: MonitorServer;
  const host = (s: MonitorServer): string => `127.0.0.1:${portOf(s)}`;

  before(async () => {
    open = await serveMonitor({ host: '127.0.0.1', port: 0 });
    locked = await serveMonitor({ host: '127.0.0.1', port: 0, token: 's3cret' });
    for (const s of [open, locked]) s.publish({ type: 'hello', v: SCHEMA_VERSION } as MonitorMessage);
  });
  after(async () => {
    await open.close(0);
    await locked.close(0);
  });

  it('serves the five page files and nothing outside them, whatever the request target says', async () => {
    const port = portOf(open);
    const ok = await rawRequest(port, get('/dashboard.js', host(open)));
    assert.equal(ok.status, 200);
    assert.match(ok.headers, /x-content-type-options: nosniff/i);
    // Normalised inside the page is still the page.
    assert.equal((await rawRequest(port, get('/x/../dashboard.css', host(open)))).status, 200);
    const escapes = [
      '/../package.json',
      '/../../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/..%2f..%2fpackage.json',
      '/%2e%2e%2fpackage.json',
      '//etc/passwd',
      '///etc/passwd',
      '/dashboard.js/../../package.json',
      '/dashboard.js/..%2f..%2fpackage.json',
      'http://x/../../etc/passwd',
      'http://127.0.0.1/../package.json',
      '/\\..\\package.json',
      '/..\\..\\package.json',
      '/%5c..%5cpackage.json',
      '/.%2e/package.json',
      '/page/../../../../etc/passwd',
      '/etc/passwd%00.js',
      '/package.json',
      '/src/monitor/serve-monitor.ts',
      '/index.html/',
      '/constructor',
      '/__proto__',
      '/hasOwnProperty',
      '*',
    ];
    for (const target of escapes) {
      const r = await rawRequest(port, get(target, host(open)));
      assert.ok(r.status === 404 || r.status === 400, `${target}: HTTP ${r.status}\n${r.headers}`);
      assert.ok(!r.body.includes(PACKAGE_NAME) && !r.body.includes('root:'), `${target} served a file: ${r.body.slice(0, 200)}`);
    }
    // Other methods get nothing either.
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']) {
      const r = await rawRequest(port, `${method} / HTTP/1.1\r\nHost: ${host(open)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      assert.equal(r.status, 404, method);
    }
  });

  it('a request target that is not a URL gets 400, on the page and on the WebSocket, and the run goes on', async () => {
    const port = portOf(open);
    // `new URL` throws on these; before parseTarget, one such request ended the whole run.
    for (const target of ['http://a:b@c:99999/', 'http://[/', 'http://x:-1/']) {
      assert.equal((await rawRequest(port, get(target, host(open)))).status, 400, target);
      const upgrade = get(
        target,
        host(open),
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n',
      );
      assert.equal((await rawRequest(port, upgrade.replace('Connection: close\r\n', ''))).status, 400, `upgrade ${target}`);
    }
    // Garbage that is not HTTP at all: Node answers 400 itself.
    assert.equal((await rawRequest(port, 'HELLO\r\n\r\n')).status, 400);
    assert.equal((await rawRequest(port, get('/', host(open)))).status, 200, 'the server stopped serving');
  });

  it('a client that resets a refused or accepted handshake does not end the process', async () => {
    const port = portOf(locked);
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write(
            `GET /ws?token=${i % 2 ? 's3cret' : 'wrong'} HTTP/1.1\r\nHost: ${host(locked)}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n',
          );
          setTimeout(() => (s.resetAndDestroy(), resolve()), i % 3);
        });
        s.on('error', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await handshake(wsUrl(locked, '?token=s3cret'))).status, 101);
  });

  it('wrong and missing tokens get 401 on the page and the socket; the right one gets in', async () => {
    const base = `http://${host(locked)}/`;
    for (const q of ['', '?token=', '?token=wrong', '?token=s3cre', '?token=s3cret2', '?token=S3CRET']) {
      assert.equal((await fetch(base + q)).status, 401, `page ${q}`);
      const r = await handshake(wsUrl(locked, q));
      assert.equal(r.status, 401, `socket ${q}`);
      assert.match(r.body, /needs \?token=/);
    }
    assert.equal((await fetch(`${base}?token=s3cret`)).status, 200);
    assert.equal((await handshake(wsUrl(locked, '?token=s3cret'))).status, 101);
    // The page's own files carry nothing secret: they load without the token.
    assert.equal((await fetch(`${base}dashboard.js`)).status, 200);
  });

  it("without a token, another site's page (Origin) or a name that is not loopback (DNS rebinding) gets 403", async () => {
    const port = portOf(open);
    const same = await handshake(wsUrl(open), { Origin: `http://127.0.0.1:${port}` });
    assert.equal(same.status, 101);
    const cross = await handshake(wsUrl(open), { Origin: 'http://evil.example' });
    assert.equal(cross.status, 403);
    assert.match(cross.body, /another site/);
    const rebound = await rawRequest(port, get('/', `evil.example:${port}`));
    assert.equal(rebound.status, 403);
    assert.match(rebound.body, /loopback/);
    assert.equal((await rawRequest(port, get('/', `localhost:${port}`))).status, 200);
    // With a token, the token decides (another site cannot know it).
    assert.equal((await handshake(wsUrl(locked, '?token=s3cret'), { Origin: 'http://evil.example' })).status, 101);
  });

  it('caps the clients: the next handshake gets 503 with a reason; a freed place lets the next one in', async () => {
    assert.equal(MAX_CLIENTS, 1000);
    const capped = await serveMonitor({ host: '127.0.0.1', port: 0, maxClients: 5 });
    try {
      const clients = await openClients(wsUrl(capped), 5);
      assert.equal(capped.clients, 5);
      const refused = await handshake(wsUrl(capped));
      assert.equal(refused.status, 503);
      assert.match(refused.body, /already has 5 clients, its limit/);
      assert.equal(capped.clients, 5);
      clients[0]!.ws.close();
      await clients[0]!.closed;
      for (let k = 0; k < 100 && capped.clients > 4; k++) await new Promise((r) => setTimeout(r, 10));
      assert.equal((await handshake(wsUrl(capped))).status, 101);
      for (const c of clients) c.ws.terminate();
    } finally {
      await capped.close(0);
    }
    // Once the run is over, nobody new gets in.
    const closing = await serveMonitor({ host: '127.0.0.1', port: 0 });
    const stays = await openClient(wsUrl(closing), { paused: true });
    const closed = closing.close(300);
    const late = await handshake(wsUrl(closing)).catch((e: Error) => ({ status: -1, body: e.message }));
    assert.ok(late.status === 503 || late.status === -1, `a client got in while closing: ${late.status}`);
    stays.ws.terminate();
    await closed;
  });

  it('client messages: over 4 kB closes that client with 1009; malformed ones are ignored; a flood closes with 1008', async () => {
    let previews = 0;
    const s = await serveMonitor({ host: '127.0.0.1', port: 0, onPreviewRequest: () => void previews++ });
    try {
      const calm = await openClient(wsUrl(s));
      for (const m of [
        'not json',
        '{',
        'null',
        '42',
        '"x"',
        '[]',
        '{"type":7}',
        '{"type":"preview-request"',
        JSON.stringify({ a: 'x'.repeat(4000) }),
      ]) {
        calm.ws.send(m);
      }
      calm.ws.send(Buffer.from([0xff, 0xfe, 0x00]), { binary: true });
      calm.ws.send(JSON.stringify({ type: 'preview-request' }));
      for (let k = 0; k < 100 && previews === 0; k++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(previews, 1, 'the one well-formed request');
      assert.equal(calm.ws.readyState, WebSocket.OPEN, 'malformed messages closed the client');

      const big = await openClient(wsUrl(s));
      big.ws.send('x'.repeat(4097));
      assert.equal(await big.closed, 1009);
      const bigger = await openClient(wsUrl(s));
      bigger.ws.send(Buffer.alloc(1 << 20), { binary: true });
      assert.equal(await bigger.closed, 1009);

      const flood = await openClient(wsUrl(s));
      for (let i = 0; i < 200; i++) flood.ws.send('{"type":"ping"}');
      assert.equal(await flood.closed, 1008);

      // The others are still served.
      s.publish(frame(1));
      for (let k = 0; k < 100 && calm.seen.messages < 1; k++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(calm.seen.messages, 1, 'the frame');
      calm.ws.close();
    } finally {
      await s.close(0);
    }
  });

  it('clients that never read hold at most their queue each; publishing goes on; memory stays bounded', async () => {
    const capBytes = 1 << 20;
    const s = await serveMonitor({ host: '127.0.0.1', port: 0, clientBufferBytes: capBytes });
    const paused = await openClients(wsUrl(s), 20, { paused: true });
    const reader = await openClient(wsUrl(s));
    const before = rssMB();
    let peakQueued = 0;
    let peakRss = before;
    try {
      // 400 messages of 256 kB: 100 MB to each of 21 clients, 2 GB in all, far past any socket buffer.
      for (let i = 0; i < 400; i++) {
        s.publish(frame(i, 256 * 1024));
        peakQueued = Math.max(peakQueued, s.queuedBytes);
        if (i % 20 === 0) peakRss = Math.max(peakRss, rssMB());
        await new Promise((r) => setImmediate(r));
      }
      s.publish({ type: 'summary', v: SCHEMA_VERSION } as MonitorMessage);
      for (let k = 0; k < 1000 && !reader.seen.summary; k++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(reader.seen.summary, 'the reading client did not get to the end');
      assert.ok(peakQueued <= 21 * capBytes, `queued ${peakQueued} bytes in all, over 21 × ${capBytes}`);
      // Messages are shared by the queues; what grows per client is the one message its socket is writing.
      assert.ok(peakRss - before < 300, `RSS grew by ${(peakRss - before).toFixed(0)} MB with 20 stalled clients`);
    } finally {
      for (const c of paused) c.ws.terminate();
      await s.close(0);
    }
  });

  it('warns once when other machines can reach the monitor without a token (observeRun)', async () => {
    assert.equal(exposureWarning({ address: { host: '127.0.0.1', port: 80 } }, undefined), null);
    assert.equal(exposureWarning({ address: { host: '::1', port: 80 } }, undefined), null);
    assert.equal(exposureWarning({ address: { host: '0.0.0.0', port: 80 } }, 't'), null);
    assert.equal(
      exposureWarning({ address: { host: '::', port: 8080 } }, undefined),
      'the monitor on [::]:8080 is reachable from other machines and has no --monitor-token; anyone who can reach it sees the run',
    );
    for (const [host, warned] of [
      ['0.0.0.0', true],
      ['127.0.0.1', false],
      ['localhost', false],
    ] as const) {
      const warnings: string[] = [];
      const observer = await observeRun({ monitor: { host, port: 0 }, previewEvery: 30, onWarning: (w) => warnings.push(w) });
      await observer.finish({ elapsedSec: 0, fps: 0 });
      if (warned) {
        assert.equal(warnings.length, 1);
        assert.match(
          warnings[0]!,
          /^the monitor on 0\.0\.0\.0:\d+ is reachable from other machines and has no --monitor-token; anyone who can reach it sees the run$/,
        );
      } else assert.deepEqual(warnings, [], host);
    }
  });
});

describe('the monitor of a real run', () => {
  let tmp: TempDir;
  let clip: string;
  const figures: Record<string, unknown> = {};

  before(async () => {
    tmp = makeTempDir('monitor-security');
    // The sample twice over (100 frames at 480x360): long enough for a thousand handshakes during the run.
    clip = tmp.file('street-100.mp4');
    await ffmpeg(['-stream_loop', '1', '-i', SAMPLE, '-map', '0', '-c', 'copy', clip]);
  });
  after(async () => {
    killLeftovers(tmp.path);
    assert.deepEqual(await waitUntilGone(tmp.path, 2000), []);
    tmp.remove();
    mkdirSync(OUTPUT, { recursive: true });
    writeFileSync(`${OUTPUT}monitor-load.json`, `${JSON.stringify(figures, null, 1)}\n`);
  });

  /** Runs the CLI with --monitor 0, opens clients once it listens, samples its RSS; returns what it saw. */
  const monitoredRun = async (
    name: string,
    extra: string[],
    clientsOf: (wsUrl: string) => Promise<MonitorClient[]>,
  ): Promise<{
    r: CliResult;
    fps: number;
    peakMB: number;
    clients: MonitorClient[];
    wsUrl: string;
    refused: { status: number; body: string } | null;
  }> => {
    const run = startCli([clip, tmp.file(`${name}.mp4`), '-y', '--preset', 'ultrafast', '--monitor', '0', ...extra]);
    const rss = sampleRss(run.child.pid!);
    try {
      await run.waitForStderr(/monitor: http:\/\/\S+/, 60_000);
      const page = new URL(/monitor: (http:\/\/\S+)/.exec(run.stderr())![1]!);
      const url = `ws://${page.host}/ws`;
      const clients = await clientsOf(url);
      const refused = clients.length >= MAX_CLIENTS ? await handshake(url) : null;
      const r = await run.done;
      return { r, fps: Number(/wrote .*\(([\d.]+) fps\)/.exec(r.stderr)?.[1] ?? NaN), peakMB: rss.peakMB(), clients, wsUrl: url, refused };
    } catch (err) {
      run.child.kill('SIGKILL');
      throw err;
    } finally {
      rss.stop();
    }
  };

  it('1,000 clients at once: all get the hello and the summary, the next is refused with 503; RSS stays near a run without clients', async () => {
    const alone = await monitoredRun('alone', [], async () => []);
    assert.equal(alone.r.code, 0, alone.r.stderr);
    const crowd = await monitoredRun('crowd', ['--monitor-wait'], (url) => openClients(url, MAX_CLIENTS));
    assert.equal(crowd.r.code, 0, crowd.r.stderr);
    await Promise.all(crowd.clients.map((c) => c.closed));
    assert.equal(crowd.clients.length, MAX_CLIENTS);
    assert.equal(crowd.clients.filter((c) => c.seen.hello).length, MAX_CLIENTS, 'clients without the hello');
    assert.equal(crowd.clients.filter((c) => c.seen.summary).length, MAX_CLIENTS, 'clients without the summary');
    assert.equal(crowd.refused?.status, 503);
    assert.match(crowd.refused?.body ?? '', /already has 1000 clients, its limit/);
    figures.thousandClients = {
      frames: 100,
      withoutClients: { fps: alone.fps, peakRssMB: Math.round(alone.peakMB) },
      with1000Clients: {
        fps: crowd.fps,
        peakRssMB: Math.round(crowd.peakMB),
        bytesPerClient: Math.round(crowd.clients.reduce((a, c) => a + c.seen.bytes, 0) / MAX_CLIENTS),
      },
    };
    // A thousand sockets and their queues (the messages themselves are shared): generous, not a benchmark.
    assert.ok(
      crowd.peakMB < alone.peakMB + 600,
      `peak RSS ${crowd.peakMB.toFixed(0)} MB with 1000 clients, ${alone.peakMB.toFixed(0)} without`,
    );
  });

  it('20 clients that never read do not hold the run up or grow its memory without bound', async () => {
    const args = ['--preview-every', '1'];
    const alone = await monitoredRun('previews-alone', args, async () => []);
    assert.equal(alone.r.code, 0, alone.r.stderr);
    const stalled = await monitoredRun('previews-stalled', args, (url) => openClients(url, 20, { paused: true }));
    assert.equal(stalled.r.code, 0, stalled.r.stderr);
    // They never read: the run ended anyway, and the server closed them (they see it once they look).
    for (const c of stalled.clients) c.ws.resume();
    const codes = await Promise.all(stalled.clients.map((c) => c.closed));
    assert.ok(
      codes.every((c) => c === 1001 || c === 1006),
      `close codes ${[...new Set(codes)].join(', ')}`,
    );
    figures.stalledClients = {
      frames: 100,
      previewEvery: 1,
      withoutClients: { fps: alone.fps, peakRssMB: Math.round(alone.peakMB) },
      with20StalledClients: { fps: stalled.fps, peakRssMB: Math.round(stalled.peakMB) },
    };
    // Each holds at most its queue (4 MB of shared messages) and one message in its socket.
    assert.ok(
      stalled.peakMB < alone.peakMB + 300,
      `peak RSS ${stalled.peakMB.toFixed(0)} MB with 20 stalled clients, ${alone.peakMB.toFixed(0)} without`,
    );
  });

  it('--monitor 0.0.0.0:0 without a token prints one warning line; with a token, or on loopback, none', async () => {
    const small = await makeClip(tmp.file('small.mp4'), { frames: 5 });
    const warning =
      /^srvid: warning: the monitor on 0\.0\.0\.0:\d+ is reachable from other machines and has no --monitor-token; anyone who can reach it sees the run$/;
    const runWith = async (monitor: string[]): Promise<string[]> => {
      const run = startCli([small, tmp.file('small-out.mp4'), '-y', '-q', ...monitor]);
      const r = await run.done;
      assert.equal(r.code, 0, r.stderr);
      return lines(r.stderr).filter((l) => l.includes('warning'));
    };
    const exposed = await runWith(['--monitor', '0.0.0.0:0']);
    assert.equal(exposed.length, 1, `warnings: ${JSON.stringify(exposed)}`);
    assert.match(exposed[0]!, warning);
    assert.deepEqual(await runWith(['--monitor', '0.0.0.0:0', '--monitor-token', 't0k3n']), []);
    assert.deepEqual(await runWith(['--monitor', '127.0.0.1:0']), []);
    assert.ok(readFileSync(small).length > 0);
  });
});
