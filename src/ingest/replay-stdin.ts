/**
 * srvid's stdin, fed to one live decoder after another. A decoder that ffmpeg ends at its start (a subtitle
 * stream its Matroska pipe cannot hold) has already read the start of the input, which stdin cannot give
 * twice: so what arrives is kept until a decoder has delivered its first frame, and the next decoder reads it
 * again before the rest. Bounded: past `capBytes` nothing is kept, and no decoder can start again.
 */
import { PassThrough, type Readable } from 'node:stream';

/** The most of stdin kept for a decoder that has to start again (it normally reads ffmpeg's 5 MB probe). */
export const STDIN_REPLAY_CAP = 32 * 1024 * 1024;
/** The start of stdin handed to `onHead`: enough for a container's first boxes or elements. */
export const STDIN_HEAD_BYTES = 64 * 1024;

export interface StdinFeed {
  /** The next decoder's input: the kept bytes, then the rest as it arrives; null once nothing can be replayed. */
  next(): Readable | null;
  /** A decoder is delivering frames: nothing more is kept. */
  settle(): void;
  /** Whether a next decoder could still read the input from its start. */
  readonly replayable: boolean;
  /** How long, in all, stdin has waited for the decoder to read what it already sent (ms). */
  waitedMs(): number;
  /** Stops reading stdin. */
  close(): void;
}

/** `onHead` gets the first `STDIN_HEAD_BYTES` of stdin (or all of it, if it ends before), once. */
export const feedStdin = (input: NodeJS.ReadableStream, capBytes = STDIN_REPLAY_CAP, onHead?: (head: Buffer) => void): StdinFeed => {
  let kept: Buffer[] | null = [];
  let keptBytes = 0;
  let ended = false;
  let current: PassThrough | null = null;
  let head: Buffer[] | null = onHead ? [] : null;
  let headBytes = 0;
  let closed = false;
  let waited = 0;
  let waitingSince: number | null = null;
  const giveHead = (): void => {
    if (!head) return;
    const bytes = Buffer.concat(head);
    head = null;
    onHead?.(bytes);
  };
  const onData = (chunk: Buffer): void => {
    if (head) {
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= STDIN_HEAD_BYTES) giveHead();
      if (closed) return; // onHead gave up on the input
    }
    if (kept) {
      keptBytes += chunk.length;
      if (keptBytes > capBytes) kept = null;
      else kept.push(chunk);
    }
    const feed = current;
    // The decoder reads at its own pace: stdin waits for it (the kept bytes are not held twice).
    if (feed && !feed.write(chunk)) {
      input.pause();
      waitingSince = performance.now();
      feed.once('drain', () => {
        if (waitingSince !== null) waited += performance.now() - waitingSince;
        waitingSince = null;
        if (feed === current) input.resume();
      });
    }
  };
  const onEnd = (): void => {
    ended = true;
    if (headBytes > 0) giveHead();
    current?.end();
  };
  input.on('data', onData);
  input.once('end', onEnd);
  return {
    next: () => {
      if (!kept) return null;
      current?.destroy(); // the previous decoder's unread rest: it is in `kept`
      const feed = new PassThrough();
      feed.on('error', () => {}); // destroyed with the decoder it fed
      current = feed;
      for (const b of kept) feed.write(b);
      if (ended) feed.end();
      input.resume();
      return feed;
    },
    settle: () => {
      kept = null;
    },
    get replayable() {
      return kept !== null;
    },
    waitedMs: () => waited + (waitingSince === null ? 0 : performance.now() - waitingSince),
    close: () => {
      closed = true;
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      current?.end();
    },
  };
};
