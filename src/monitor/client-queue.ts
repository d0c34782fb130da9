/**
 * One WebSocket client's outgoing messages: at most `capacity` messages and `maxBytes` characters waiting,
 * one being written at a time. When
 * the client cannot keep up (its socket's writes stop completing), the oldest waiting message is dropped
 * and counted; the client is told how many it missed before its next message. The pipeline never waits.
 */
export type SendFn = (data: string, done: (err?: Error) => void) => void;

export class ClientQueue {
  private readonly waiting: string[] = [];
  private busy = false;
  private noticeDue = false;
  private closed = false;
  private waitingBytes = 0;
  /** Messages dropped for this client in all. */
  dropped = 0;

  constructor(
    private readonly send: SendFn,
    private readonly capacity: number,
    private readonly droppedNotice: (count: number) => string,
    private readonly maxBytes = Infinity,
  ) {}

  push(data: string): void {
    if (this.closed) return;
    while (this.waiting.length && (this.waiting.length >= this.capacity || this.waitingBytes + data.length > this.maxBytes)) {
      this.waitingBytes -= (this.waiting.shift() as string).length;
      this.dropped++;
      this.noticeDue = true;
    }
    this.waiting.push(data);
    this.waitingBytes += data.length;
    this.pump();
  }

  /** Characters waiting (the message being written excluded). */
  get bytes(): number {
    return this.waitingBytes;
  }

  get pending(): number {
    return this.waiting.length + (this.busy ? 1 : 0);
  }

  close(): void {
    this.closed = true;
    this.waiting.length = 0;
    this.waitingBytes = 0;
  }

  private pump(): void {
    if (this.busy || this.closed || !this.waiting.length) return;
    let data: string;
    if (this.noticeDue) {
      this.noticeDue = false;
      data = this.droppedNotice(this.dropped);
    } else {
      data = this.waiting.shift() as string;
      this.waitingBytes -= data.length;
    }
    this.busy = true;
    this.send(data, (err) => {
      this.busy = false;
      if (err) this.close();
      else this.pump();
    });
  }
}
