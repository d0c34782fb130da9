/**
 * The monitor over a real run: a real WebSocket client (the `ws` package) gets the hello, exactly one frame
 * message per frame in order with finite metrics, previews and the summary; a client that never reads does
 * not hold the run up; a wrong token is refused. --report writes the same summary and rows. In the default
 * (consistency) mode, every Nth frame message also carries a detail estimate, summarised apart.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { killLeftovers, startCli } from '../helpers/cli.js';
import { makeTempDir, type TempDir } from '../helpers/clips.js';

const SAMPLE = fileURLToPath(new URL('../../samples/street-360p.mp4', import.meta.url));
const FRAMES = 50;

interface Msg {
  type: string;
  [k: string]: unknown;
}

/** Connects and collects every message; resolves `closed` when the server closes the socket. */
const collect = (url: string) => {
  const ws = new WebSocket(url);
  const messages: Msg[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Msg));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  return { ws, messages, opened, closed };
};

/** The HTTP status a WebSocket handshake is refused with (or 101 if accepted). */
const handshakeStatus = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => (resolve(res.statusCode ?? 0), ws.terminate()));
    ws.once('open', () => (resolve(101), ws.close()));
    ws.once('error', (e) => (/Unexpected server response/.test(e.message) ? undefined : reject(e)));
  });

describe('--monitor', () => {
  let tmp: TempDir;
  before(() => (tmp = makeTempDir('monitor')));
  after(async () => {
    tmp.remove();
    await killLeftovers(tmp.path);
  });

  it('streams hello, one message per frame, previews and the summary; ignores a stalled client; checks the token', async () => {
    const report = tmp.file('report.json');
    const run = startCli([
      SAMPLE,
      tmp.file('out.mp4'),
      '--preset',
      'ultrafast',
      '--monitor',
      '127.0.0.1:0',
      '--monitor-token',
      's3cret',
      '--monitor-wait',
      '--preview-every',
      '1',
      '--report',
      report,
    ]);
    await run.waitForStderr(/monitor: http:\/\/\S+/);
    const page = /monitor: (http:\/\/\S+)/.exec(run.stderr())![1]!;
    const base = new URL(page);
    assert.equal(base.hostname, '127.0.0.1');
    const wsUrl = (token: string): string => `ws://${base.host}/ws?token=${token}`;

    assert.equal(await handshakeStatus(wsUrl('wrong')), 401);
    assert.equal((await fetch(`http://${base.host}/`)).status, 401);
    const html = await fetch(page);
    assert.equal(html.status, 200);
    assert.match(await html.text(), /<title>srvid monitor<\/title>/);

    // A client that stops reading at once: its socket buffers fill with previews, and it must not matter.
    const stalled = collect(wsUrl('s3cret'));
    await stalled.opened;
    stalled.ws.pause();
    const good = collect(wsUrl('s3cret'));
    await good.opened;
    // Once the good client has everything, the stalled one reads again: it must have lost its oldest messages.
    good.ws.on('message', (data) => void (String(data).startsWith('{"type":"summary"') && stalled.ws.resume()));

    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    await good.closed;
    const m = good.messages;
    assert.equal(m[0]?.type, 'hello');
    assert.equal(m[0]?.v, 1);
    assert.equal(m[0]?.mode, 'consistency');
    assert.deepEqual(m[0]?.outputSize, { width: 960, height: 720 });
    const frames = m.filter((x) => x.type === 'frame');
    assert.deepEqual(
      frames.map((f) => f.index),
      Array.from({ length: FRAMES }, (_, i) => i),
    );
    for (const f of frames) {
      for (const k of ['srvid', 'bicubic'] as const) {
        const pair = f[k] as { psnr: number; ssim: number };
        assert.ok(Number.isFinite(pair.psnr) && pair.psnr > 20, `frame ${f.index} ${k} PSNR ${pair.psnr}`);
        assert.ok(pair.ssim > 0 && pair.ssim <= 1, `frame ${f.index} ${k} SSIM ${pair.ssim}`);
      }
      assert.ok(Number.isFinite(f.fps as number) && (f.latencyMs as number) >= 0 && (f.queueDepth as number) >= 1);
    }
    const previews = m.filter((x) => x.type === 'preview');
    assert.ok(previews.length >= 1);
    assert.match(String(previews[0]!.after), /^data:image\/jpeg;base64,\/9j\//);
    const summary = m.at(-1)!;
    assert.equal(summary.type, 'summary');
    assert.equal(summary.status, 'finished');
    assert.equal(summary.frames, FRAMES);
    assert.equal(m.filter((x) => x.type === 'dropped').length, 0, 'a client that keeps up misses nothing');

    // The run finished while the stalled client was paused (here its few MB fit in the kernel's socket
    // buffers; serve-monitor.test.ts overflows them and checks the drops); reading again, it gets the end.
    await stalled.closed;
    assert.equal(stalled.messages.at(-1)?.type, 'summary');
    const written = JSON.parse(readFileSync(report, 'utf8')) as { run: Msg; summary: Msg; frames: Msg[] };
    assert.equal(written.frames.length, FRAMES);
    assert.deepEqual(written.summary, summary);
    assert.equal(written.run.mode, 'consistency');

    // What each figure measures, in words: the main pair is faithfulness to the input, not a gain.
    const hello = m[0] as Msg & { figures: { main: { label: string }; detail: { label: string; description: string } | null } };
    assert.equal(hello.figures.main.label, 'faithfulness to the input');
    // From here on the run must make detail estimates (shadow frames, on by default in consistency mode).
    const every = hello.detailEvery as number;
    assert.ok(Number.isInteger(every) && every >= 1, `hello.detailEvery is ${JSON.stringify(hello.detailEvery)}`);
    assert.match(hello.figures.detail?.description ?? '', /^detail estimate: every \d*\w* ?frame of the input downscaled by 2/);
    assert.deepEqual(
      frames.filter((f) => f.detail !== undefined).map((f) => f.index),
      frames.map((f) => f.index as number).filter((i) => i % every === 0),
    );
    for (const f of frames.filter((x) => x.detail !== undefined)) {
      const d = f.detail as Record<'srvid' | 'bicubic', { psnr: number; ssim: number }>;
      for (const k of ['srvid', 'bicubic'] as const) {
        assert.ok(Number.isFinite(d[k].psnr) && d[k].psnr > 20 && d[k].psnr < 60, `frame ${f.index} detail ${k} PSNR ${d[k].psnr}`);
        assert.ok(d[k].ssim > 0 && d[k].ssim <= 1, `frame ${f.index} detail ${k} SSIM ${d[k].ssim}`);
      }
    }
    const detail = summary.detail as { frames: number; srvid: { psnr: { mean: number } }; costMs: number };
    assert.equal(detail.frames, Math.ceil(FRAMES / every));
    assert.ok(Number.isFinite(detail.srvid.psnr.mean) && detail.costMs > 0);
    assert.ok((summary.costMs as { shadow: number }).shadow > 0);
  });
});
