import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { serveMonitor } from './serve-monitor.js';
import { createIntervals, SCHEMA_VERSION, type FrameMessage } from './messages.js';

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

const connect = async (url: string) => {
  const ws = new WebSocket(url);
  const got: { type: string; index?: number; count?: number }[] = [];
  ws.on('message', (d) => got.push(JSON.parse(String(d))));
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  return { ws, got, closed: new Promise<void>((r) => ws.once('close', () => r())) };
};

describe('serveMonitor', () => {
  it('gives a late client the hello and the recent history', async () => {
    const server = await serveMonitor({ host: '127.0.0.1', port: 0, history: 3 });
    server.publish({ type: 'hello', v: 1 } as never);
    for (let i = 0; i < 5; i++) server.publish(frame(i));
    const late = await connect(server.url.replace('http', 'ws') + 'ws');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      late.got.map((m) => m.type + (m.index ?? '')),
      ['hello', 'frame2', 'frame3', 'frame4'],
    );
    await server.close(100);
    await late.closed;
  });

  it("gives a late client a segmented run's latest workers message only", async () => {
    const server = await serveMonitor({ host: '127.0.0.1', port: 0 });
    server.publish({ type: 'hello', v: 1 } as never);
    for (let t = 1; t <= 3; t++) {
      server.publish({
        type: 'workers',
        v: 1,
        t,
        segments: { total: 3, done: t, inHand: 0 },
        frames: { done: t, total: 3 },
        fps: 1,
        workers: [],
      });
    }
    const late = await connect(server.url.replace('http', 'ws') + 'ws');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      late.got.map((m) => m.type + ((m as { t?: number }).t ?? '')),
      ['hello', 'workers3'],
    );
    await server.close(100);
    await late.closed;
  });

  it('keeps a bounded ring of interval messages for late clients, before the frames, oldest first', async () => {
    const server = await serveMonitor({ host: '127.0.0.1', port: 0, history: 2, intervals: 4 });
    server.publish({ type: 'hello', v: 1 } as never);
    const iv = createIntervals();
    // Far more than the ring holds, as a run that never ends would publish.
    for (let i = 0; i < 1000; i++) {
      iv.add({ latencyMs: 10, dropped: 0, fallback: i });
      server.publish(iv.take(i + 1));
      server.publish(frame(i));
    }
    const late = await connect(server.url.replace('http', 'ws') + 'ws');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      late.got.map((m) => m.type + ((m as { t?: number }).t ?? m.index ?? '')),
      ['hello', 'interval997', 'interval998', 'interval999', 'interval1000', 'frame998', 'frame999'],
    );
    await server.close(100);
    await late.closed;
  });

  it('drops the oldest messages of a client that stopped reading, counts them, and never blocks publishing', async () => {
    const server = await serveMonitor({ host: '127.0.0.1', port: 0, clientBufferBytes: 1 << 20 });
    try {
      const url = server.url.replace('http', 'ws') + 'ws';
      const stalled = await connect(url);
      stalled.ws.pause();
      const good = await connect(url);
      const n = 200; // 200 × 256 kB = 50 MB: more than the kernel's socket buffers and the 1 MB queue
      for (let i = 0; i < n; i++) {
        server.publish(frame(i, 256 * 1024));
        await new Promise((r) => setImmediate(r)); // let sockets flush, as a running pipeline would
      }
      server.publish({ type: 'summary', v: 1 } as never);
      for (let k = 0; k < 500 && !good.got.some((m) => m.type === 'summary'); k++) await new Promise((r) => setTimeout(r, 20));
      stalled.ws.resume();
      await server.close(5000);
      await stalled.closed;
      // Either client: frames in order, and every frame either delivered or counted as dropped.
      const account = (got: typeof good.got): { frames: number[]; dropped: number } => {
        const frames = got.filter((m) => m.type === 'frame').map((m) => m.index!);
        assert.deepEqual(
          frames,
          [...frames].sort((a, b) => a - b),
        );
        assert.equal(got.at(-1)?.type, 'summary');
        const dropped = Math.max(0, ...got.filter((m) => m.type === 'dropped').map((m) => m.count!));
        assert.equal(frames.length + dropped, n, 'every frame message was delivered or counted as dropped');
        return { frames, dropped };
      };
      const s = account(stalled.got);
      const g = account(good.got);
      assert.ok(s.dropped > n / 2, `the stalled client should have lost most messages, lost ${s.dropped}`);
      assert.ok(g.frames.length > s.frames.length, `the reading client got ${g.frames.length}, the stalled one ${s.frames.length}`);
    } finally {
      await server.close(0);
    }
  });
});
