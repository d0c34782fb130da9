/**
 * The library API as a user imports it (`import … from 'srvid'`, the built package): one upscaleVideo call
 * serves the dashboard and the WebSocket messages, writes the report, and returns the quality summary; streams
 * in and out stand for stdin and stdout.
 */
import assert from 'node:assert/strict';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { formatQualityLine, upscaleVideo, OutputError, type MonitorMessage } from 'srvid';
import { makeTempDir, type TempDir } from '../helpers/clips.js';
import { countVideoFrames, probe, streamsOf, videoOf } from '../helpers/probe.js';

const SAMPLE = fileURLToPath(new URL('../../samples/street-360p.mp4', import.meta.url));

describe("the library API: import { upscaleVideo } from 'srvid'", () => {
  let tmp: TempDir;
  before(() => (tmp = makeTempDir('library-api')));
  after(() => tmp.remove());

  it(
    'monitor and report are options: a WebSocket client sees the run, the report is written, the result carries the summary',
    { timeout: 120_000 },
    async () => {
      const output = tmp.file('out.mp4');
      const report = tmp.file('q.json');
      const messages: MonitorMessage[] = [];
      let closed: Promise<void> = Promise.resolve();
      // A client that cannot connect must fail the test, not leave the run waiting for it.
      const ac = new AbortController();
      const result = await upscaleVideo({
        signal: ac.signal,
        input: SAMPLE,
        output,
        scale: 2,
        model: 'espcn-light',
        preset: 'ultrafast',
        monitor: { port: 0, wait: true },
        report,
        detailEvery: 10,
        onMonitorListening: (url) => {
          const ws = new WebSocket(url.replace(/^http:\/\/([^/]+)\/.*$/, 'ws://$1/ws'));
          ws.once('error', () => ac.abort());
          ws.on('message', (data) => messages.push(JSON.parse(String(data)) as MonitorMessage));
          closed = new Promise((resolve) => ws.once('close', () => resolve()));
        },
      });
      await closed;
      assert.equal(result.frames, 50);
      assert.deepEqual(result.runtime.model, 'espcn-light-x2');
      assert.equal(result.run.mode, 'consistency');
      const v = videoOf(await probe(output));
      assert.deepEqual([v.width, v.height], [960, 720]);

      const types = messages.map((m) => m.type);
      assert.equal(types[0], 'hello');
      assert.equal(types.filter((t) => t === 'frame').length, 50);
      assert.equal(types.at(-1), 'summary');

      const q = result.quality;
      assert.ok(q, 'no quality summary in the result');
      assert.equal(q.frames, 50);
      assert.equal(q.measured, 50);
      const saved = JSON.parse(readFileSync(report, 'utf8')) as { summary: unknown; frames: unknown[] };
      assert.deepEqual(saved.summary, q, 'the report and the result disagree');
      assert.equal(saved.frames.length, 50);
      const line = formatQualityLine(q, result.run);
      assert.match(line ?? '', /^quality \(50 frames\): /);
      assert.doesNotMatch(line ?? '', /faithfulness[^;]*\(\+/, 'faithfulness presented as a gain');
    },
  );

  it(
    'a Readable in and a Writable out: read as stdin is (a file on a pipe: every frame), Matroska out, with the audio',
    { timeout: 120_000 },
    async () => {
      const chunks: Buffer[] = [];
      let finished = false;
      const output = new Writable({
        write: (chunk: Buffer, _enc, done) => void (chunks.push(chunk), done()),
        final: (done) => void ((finished = true), done()),
      });
      const result = await upscaleVideo({ input: createReadStream(SAMPLE), output, scale: 2, model: 'espcn-light', preset: 'ultrafast' });
      assert.ok(finished, 'the output stream was not ended');
      assert.equal(result.run.live, false, 'a stream that runs ahead of its timestamps is read as a file');
      assert.equal(result.run.input, '-');
      assert.deepEqual([result.frames, result.dropped, result.fallback], [50, 0, 0]);
      const file = tmp.file('from-stream.mkv');
      writeFileSync(file, Buffer.concat(chunks));
      const p = await probe(file);
      assert.match(p.format.format_name, /matroska/);
      assert.deepEqual([videoOf(p).width, videoOf(p).height], [960, 720]);
      assert.equal(streamsOf(p, 'audio').length, 1, 'the audio did not come through');
      assert.equal(await countVideoFrames(file), 50);
    },
  );

  it('checks the output before anything runs, with the error class a caller can catch', async () => {
    const output = tmp.file('nope/out.mp4');
    await assert.rejects(
      upscaleVideo({ input: SAMPLE, output, scale: 2 }),
      (e: unknown) => e instanceof OutputError && /does not exist/.test(e.message),
    );
    assert.ok(!existsSync(output));
  });
});
