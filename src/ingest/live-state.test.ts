import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INITIAL_LIVE_STATE, isOver, transition, type LiveEvent, type LiveState } from './live-state.js';

const connecting = INITIAL_LIVE_STATE;
const flowing: LiveState = { kind: 'flowing' };
const reconnecting = (failedAttempts: number): LiveState => ({ kind: 'reconnecting', failedAttempts });
const ended: LiveState = { kind: 'ended' };
const boom = new Error('boom');
const failed: LiveState = { kind: 'failed', error: boom };
const stopped: LiveState = { kind: 'stopped' };
const exited = (gotFrames: boolean, attempts: number): LiveEvent => ({ type: 'exited', gotFrames, attempts });

describe('a live source: its transitions', () => {
  it('starts connecting', () => assert.deepEqual(connecting, { kind: 'connecting' }));

  it('connecting → flowing when the video track arrives', () => assert.deepEqual(transition(connecting, { type: 'video' }), flowing));
  it('connecting → failed on a give-up (timeout, abort, unreadable): the open rejects with its error', () =>
    assert.deepEqual(transition(connecting, { type: 'give-up', error: boom }), failed));
  it('connecting → failed on a failure before video', () =>
    assert.deepEqual(transition(connecting, { type: 'fail', error: boom }), failed));
  it('connecting → stopped when the run stops it', () => assert.deepEqual(transition(connecting, { type: 'stop' }), stopped));
  it('connecting: a frame before any video track is refused', () => assert.equal(transition(connecting, { type: 'frame' }), null));
  it("connecting: a decoder's exit is not a drop (the source gives up or retries instead)", () =>
    assert.equal(transition(connecting, exited(false, 5)), null));

  it('flowing → flowing on each frame', () => assert.deepEqual(transition(flowing, { type: 'frame' }), flowing));
  it('flowing: a second video header (another decoder) opens nothing', () => assert.equal(transition(flowing, { type: 'video' }), null));
  it('flowing → reconnecting when the input drops after frames and attempts are allowed', () =>
    assert.deepEqual(transition(flowing, exited(true, 1)), reconnecting(0)));
  it('flowing → reconnecting, one attempt spent, when the first decoder gave a header and no frame', () =>
    assert.deepEqual(transition(flowing, exited(false, 2)), reconnecting(1)));
  it('flowing → ended when the input ends and no reconnection may be made', () =>
    assert.deepEqual(transition(flowing, exited(true, 0)), ended));
  it('flowing → failed on a failure (a size change, unreadable bytes)', () =>
    assert.deepEqual(transition(flowing, { type: 'fail', error: boom }), failed));
  it('flowing: a give-up once video flows is ignored (a late abort, a late MP4-index check)', () =>
    assert.equal(transition(flowing, { type: 'give-up', error: boom }), null));
  it('flowing → stopped when the run stops it', () => assert.deepEqual(transition(flowing, { type: 'stop' }), stopped));

  it('reconnecting → flowing on the first frame of the new decoder (the failed attempts start again from 0)', () =>
    assert.deepEqual(transition(reconnecting(3), { type: 'frame' }), flowing));
  it('reconnecting → reconnecting when an attempt gives no frame and attempts remain', () =>
    assert.deepEqual(transition(reconnecting(1), exited(false, 3)), reconnecting(2)));
  it('reconnecting → ended when the attempts in a row are spent', () =>
    assert.deepEqual(transition(reconnecting(2), exited(false, 3)), ended));
  it('reconnecting → failed on a failure (the stream came back at another size)', () =>
    assert.deepEqual(transition(reconnecting(0), { type: 'fail', error: boom }), failed));
  it('reconnecting → stopped when the run stops it (the pending attempt does not start)', () =>
    assert.deepEqual(transition(reconnecting(0), { type: 'stop' }), stopped));
  it('reconnecting: a video header opens nothing, and a give-up is ignored', () => {
    assert.equal(transition(reconnecting(0), { type: 'video' }), null);
    assert.equal(transition(reconnecting(0), { type: 'give-up', error: boom }), null);
  });

  const events: LiveEvent[] = [
    { type: 'video' },
    { type: 'frame' },
    exited(true, 5),
    { type: 'give-up', error: boom },
    { type: 'fail', error: boom },
    { type: 'stop' },
  ];
  for (const over of [ended, failed, stopped]) {
    it(`${over.kind} is final: every event is ignored`, () => {
      assert.ok(isOver(over));
      for (const e of events) assert.equal(transition(over, e), null, e.type);
    });
  }
  it('connecting, flowing and reconnecting are not over', () => {
    for (const s of [connecting, flowing, reconnecting(0)]) assert.ok(!isOver(s), s.kind);
  });
});
