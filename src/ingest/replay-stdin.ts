/**
 * srvid's stdin, fed to one live decoder after another. A decoder that ffmpeg ends at its start (a subtitle
 * stream its Matroska pipe cannot hold) has already read the start of the input, which stdin cannot give
 * twice: so what arrives is kept until a decoder has delivered its first frame, and the next decoder reads it
 * again before the rest. Bounded: past `capBytes` nothing is kept, and no decoder can start again.
 */
import { PassThrough, type Readable } from 'node:stream';

/** The most of stdin kept for a decoder that has to start again (it normally reads ffmpeg's 5 MB probe). */
export const STDIN_REPLAY_CAP = 32 * 1024 * 1024;

export interface StdinFeed {
  /** The next decoder's input: the kept bytes, then the rest as it arrives; null once nothing can be replayed. */
  next(): Readable | null;
  /** A decoder is delivering frames: nothing more is kept. */
  settle(): void;
  /** Whether a next decoder could still read the input from its start. */
  readonly replayable: boolean;
  /** Stops reading stdin. */
  close(): void;
}

export const feedStdin = (input: NodeJS.ReadableStream, capBytes = STDIN_REPLAY_CAP): StdinFeed => {
  let kept: Buffer[] | null = [];
  let keptBytes = 0;
  let ended = false;
  let current: PassThrough | null = null;
  const onData = (chunk: Buffer): void => {
    if (kept) {
      keptBytes += chunk.length;
      if (keptBytes > capBytes) kept = null;
      else kept.push(chunk);
    }
    const feed = current;
    // The decoder reads at its own pace: stdin waits for it (the kept bytes are not held twice).
    if (feed && !feed.write(chunk)) {
      input.pause();
      feed.once('drain', () => feed === current && input.resume());
    }
  };
  const onEnd = (): void => {
    ended = true;
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
    close: () => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      current?.end();
    },
  };
};
