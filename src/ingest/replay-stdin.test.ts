import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { feedStdin, STDIN_HEAD_BYTES } from './replay-stdin.js';

const readAll = async (r: Readable): Promise<string> => {
  let text = '';
  for await (const chunk of r) text += String(chunk);
  return text;
};

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('feedStdin', () => {
  it('a second decoder reads the input from its start, then the rest as it arrives', async () => {
    const stdin = new PassThrough();
    const feed = feedStdin(stdin, 1024);
    const first = feed.next();
    assert.ok(first);
    stdin.write('header ');
    stdin.write('probe ');
    await tick();
    assert.equal(String(first.read()), 'header probe ');
    const second = feed.next(); // the first decoder failed at its start
    assert.ok(second && first.destroyed);
    const text = readAll(second);
    stdin.write('frames ');
    feed.settle();
    stdin.end('end');
    assert.equal(await text, 'header probe frames end');
    assert.equal(feed.replayable, false, 'once frames flow, nothing is kept');
    assert.equal(feed.next(), null);
  });

  it('keeps at most the cap: past it, no decoder can start again', async () => {
    const stdin = new PassThrough();
    const feed = feedStdin(stdin, 8);
    const first = feed.next();
    assert.ok(first);
    const text = readAll(first);
    stdin.write('12345');
    await tick();
    assert.equal(feed.replayable, true);
    stdin.end('6789');
    assert.equal(await text, '123456789', 'the running decoder still gets everything');
    assert.equal(feed.replayable, false);
    assert.equal(feed.next(), null);
  });

  it('a decoder started after stdin ended still gets all of it, and its end', async () => {
    const stdin = new PassThrough();
    const feed = feedStdin(stdin, 1024);
    feed.next();
    stdin.end('short input');
    await tick();
    const again = feed.next();
    assert.ok(again);
    assert.equal(await readAll(again), 'short input');
    feed.close();
  });

  it('hands the first bytes to onHead once, and a short input whole at its end', async () => {
    const heads: string[] = [];
    const stdin = new PassThrough();
    const feed = feedStdin(stdin, 1 << 20, (h) => heads.push(String(h)));
    feed.next();
    stdin.write('ftyp');
    stdin.end('mdat');
    await tick();
    assert.deepEqual(heads, ['ftypmdat']);
    const big = new PassThrough();
    const seen: number[] = [];
    const f2 = feedStdin(big, 1 << 20, (h) => seen.push(h.length));
    f2.next();
    big.write(Buffer.alloc(STDIN_HEAD_BYTES + 10));
    big.end(Buffer.alloc(10));
    await tick();
    assert.deepEqual(seen, [STDIN_HEAD_BYTES + 10]);
  });

  it('counts the time stdin waits for a decoder that does not read', async () => {
    const stdin = new PassThrough();
    const feed = feedStdin(stdin, 1 << 20);
    const decoder = feed.next();
    assert.ok(decoder);
    stdin.write(Buffer.alloc(1 << 20)); // more than the decoder's pipe holds: stdin is paused
    await tick();
    const before = feed.waitedMs();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(feed.waitedMs() - before >= 40, `waited ${feed.waitedMs() - before} ms`);
    decoder.resume(); // the decoder reads: stdin goes on, and waits no more
    await new Promise((r) => setTimeout(r, 20));
    const after = feed.waitedMs();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(feed.waitedMs(), after);
    feed.close();
  });
});
