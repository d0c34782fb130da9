/**
 * Where a live source's frames and side packets go. Its decoder starts before anyone subscribes (the run
 * learns the frame size from it), so what arrives before the subscriber, or before the sink connects for
 * packets, is kept for them and handed over first. `onEarly` sees each kept frame as it arrives (a live run's
 * head start, src/models/head-start.ts).
 */
import type { Subscriber } from 'rxjs';
import type { Frame } from '../pipeline/frame.js';
import type { SidePacket } from '../pipeline/ports.js';

export interface LiveOutlet {
  frame(f: Frame): void;
  packet(p: SidePacket): void;
  /** Frames kept for a subscriber still to come. */
  readonly waiting: number;
  error(err: Error): void;
  complete(): void;
  /** The subscriber takes the kept frames, then the rest; null when it unsubscribes. */
  subscribe(sub: Subscriber<Frame> | null): void;
  /** Packets go to `to` from now on, the kept ones first. */
  connect(to: (p: SidePacket) => void): void;
}

export const createLiveOutlet = (onEarly?: (f: Frame) => void): LiveOutlet => {
  let subscriber: Subscriber<Frame> | null = null;
  const early: Frame[] = [];
  let packetsTo: ((p: SidePacket) => void) | null = null;
  const earlyPackets: SidePacket[] = [];
  return {
    frame: (f) => {
      if (subscriber) return subscriber.next(f);
      early.push(f);
      onEarly?.(f);
    },
    packet: (p) => void (packetsTo ? packetsTo(p) : earlyPackets.push(p)),
    get waiting() {
      return early.length;
    },
    error: (err) => subscriber?.error(err),
    complete: () => subscriber?.complete(),
    subscribe: (sub) => {
      subscriber = sub;
      if (sub) for (const f of early.splice(0)) sub.next(f);
    },
    connect: (to) => {
      packetsTo = to;
      for (const p of earlyPackets.splice(0)) to(p);
    },
  };
};
