import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { ensureOrder } from './ensure-order.js';

const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const values = { a: 0, b: 1, c: 2, d: 3, e: 4 };

describe('ensureOrder (marbles)', () => {
  it('holds early arrivals until the gap is filled', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-c-a-b-e-d-----|', values);
      expectObservable(source.pipe(ensureOrder((x) => x))).toBe('---a-(bc)(de)--|', values);
    });
  });

  it('passes an ordered stream straight through', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', values);
      expectObservable(source.pipe(ensureOrder((x) => x))).toBe('-a-b-c-|', values);
    });
  });

  it('errors when the source completes with a frame missing', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-c-|', values);
      expectObservable(source.pipe(ensureOrder((x) => x))).toBe(
        '-a---#',
        values,
        new Error('frame 1 never arrived; 1 later frames held back'),
      );
    });
  });

  it('forwards errors and unsubscribes upstream', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-b-#', values);
      expectObservable(source.pipe(ensureOrder((x) => x))).toBe('---#');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});
