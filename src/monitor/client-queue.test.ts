import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientQueue } from './client-queue.js';

const notice = (n: number): string => `dropped ${n}`;

describe('ClientQueue', () => {
  it('sends everything in order to a client that keeps up', () => {
    const sent: string[] = [];
    const q = new ClientQueue((d, done) => (sent.push(d), done()), 4, notice);
    for (let i = 0; i < 10; i++) q.push(`m${i}`);
    assert.deepEqual(
      sent,
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    assert.equal(q.dropped, 0);
  });

  it('drops the oldest waiting messages of a stalled client, counts them, and says so when it recovers', () => {
    const sent: string[] = [];
    const callbacks: (() => void)[] = [];
    const q = new ClientQueue((d, done) => (sent.push(d), callbacks.push(() => done())), 3, notice);
    for (let i = 0; i < 10; i++) q.push(`m${i}`); // m0 is in the socket; m1..m9 compete for 3 places
    assert.deepEqual(sent, ['m0']);
    assert.equal(q.dropped, 6);
    assert.equal(q.pending, 4);
    while (callbacks.length) callbacks.shift()!();
    assert.deepEqual(sent, ['m0', 'dropped 6', 'm7', 'm8', 'm9']);
  });

  it('also bounds the characters waiting: big messages push out the oldest', () => {
    const sent: string[] = [];
    const q = new ClientQueue((d) => void sent.push(d), 100, notice, 10);
    q.push('first'); // in the socket, never completes
    for (const m of ['aaaa', 'bbbb', 'cccc', 'dddddddd']) q.push(m);
    // cccc pushes out aaaa (12 > 10); dddddddd needs bbbb and cccc gone (16, then 12 > 10).
    assert.equal(q.dropped, 3);
    assert.equal(q.pending, 2); // 'first' in the socket, 'dddddddd' waiting
  });

  it('stops at a send error and takes no more', () => {
    const sent: string[] = [];
    const q = new ClientQueue((d, done) => (sent.push(d), done(new Error('reset'))), 3, notice);
    q.push('a');
    q.push('b');
    assert.deepEqual(sent, ['a']);
    assert.equal(q.pending, 0);
  });
});
