import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Re-emits items in ascending `indexOf` order, starting at `first`, holding back early arrivals. Its buffer
 * is bounded by how far out of order the upstream can get (the upscaler's concurrency). Errors if the
 * source completes while a gap remains, since that frame was lost.
 */
export const ensureOrder =
  <T>(indexOf: (item: T) => number, first = 0): OperatorFunction<T, T> =>
  (source) =>
    new Observable<T>((subscriber) => {
      const pending = new Map<number, T>();
      let next = first;
      return source.subscribe({
        next: (item) => {
          pending.set(indexOf(item), item);
          for (let held = pending.get(next); held !== undefined; held = pending.get(next)) {
            pending.delete(next);
            next++;
            subscriber.next(held);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (pending.size) subscriber.error(new Error(`frame ${next} never arrived; ${pending.size} later frames held back`));
          else subscriber.complete();
        },
      });
    });
