/**
 * Splits the decoder's Matroska stream (rawvideo, one track) into exact frames with their timestamps.
 * Pure and incremental: feed chunks as they arrive; `pause()` from inside `onFrame` stops at that frame and
 * keeps the rest of the chunk until `resume()`, which is how the source holds a bounded number of frames.
 */

const ID = {
  ebml: 0x1a45dfa3,
  segment: 0x18538067,
  info: 0x1549a966,
  timecodeScale: 0x2ad7b1,
  cluster: 0x1f43b675,
  timecode: 0xe7,
  blockGroup: 0xa0,
  block: 0xa1,
  simpleBlock: 0xa3,
} as const;

/** Elements whose children we read (their size may be unknown on a pipe). */
const CONTAINERS = new Set<number>([ID.segment, ID.info, ID.cluster, ID.blockGroup]);
/** Small elements whose value we need. */
const VALUES = new Set<number>([ID.timecodeScale, ID.timecode]);

export type FrameHandler = (bytes: Uint8Array, ptsMs: number) => void;

type State =
  | { kind: 'header' }
  | { kind: 'skip'; remaining: number }
  | { kind: 'value'; id: number; size: number }
  | { kind: 'blockHeader'; size: number }
  | { kind: 'blockData'; frame: Uint8Array; filled: number; ptsMs: number };

const UNKNOWN = -1;

/** Reads an EBML variable-length integer at `pos`; null if incomplete. `keepMarker` for element IDs. */
const readVint = (buf: Uint8Array, pos: number, keepMarker: boolean): { value: number; length: number } | null => {
  if (pos >= buf.length) return null;
  const first = buf[pos] as number;
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8) throw new Error('invalid EBML variable-length integer in the decoder stream');
  if (pos + length > buf.length) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const b = buf[pos + i] as number;
    value = value * 256 + b;
    allOnes &&= b === 0xff;
  }
  return { value: !keepMarker && allOnes ? UNKNOWN : value, length };
};

const readUint = (buf: Uint8Array, pos: number, size: number): number => {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + (buf[pos + i] as number);
  return v;
};

export class MatroskaFrameSplitter {
  private state: State = { kind: 'header' };
  private carry: Uint8Array = new Uint8Array(0);
  private paused = false;
  private timecodeScaleNs = 1_000_000;
  private clusterTimecode = 0;
  private emitted = 0;

  constructor(
    private readonly frameBytes: number,
    private readonly onFrame: FrameHandler,
  ) {}

  get frames(): number {
    return this.emitted;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Stops after the current frame; the unread rest is kept. */
  pause(): void {
    this.paused = true;
  }

  /** Continues with the kept bytes; returns true once they are all consumed (or it paused again). */
  resume(): void {
    this.paused = false;
    const rest = this.carry;
    this.carry = new Uint8Array(0);
    this.push(rest);
  }

  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.carry.length) {
      buf = new Uint8Array(this.carry.length + chunk.length);
      buf.set(this.carry);
      buf.set(chunk, this.carry.length);
      this.carry = new Uint8Array(0);
    }
    let pos = 0;
    while (pos < buf.length) {
      if (this.paused) break;
      const s = this.state;
      if (s.kind === 'skip') {
        const n = Math.min(s.remaining, buf.length - pos);
        pos += n;
        s.remaining -= n;
        if (s.remaining === 0) this.state = { kind: 'header' };
      } else if (s.kind === 'blockData') {
        const n = Math.min(s.frame.length - s.filled, buf.length - pos);
        s.frame.set(buf.subarray(pos, pos + n), s.filled);
        s.filled += n;
        pos += n;
        if (s.filled === s.frame.length) {
          this.state = { kind: 'header' };
          this.emitted++;
          this.onFrame(s.frame, s.ptsMs);
        }
      } else {
        const used = this.parseSmall(buf, pos);
        if (used === 0) break; // incomplete: wait for more bytes
        pos += used;
      }
    }
    if (pos < buf.length) this.carry = buf.slice(pos);
  }

  /** Checks that the stream ended on an element boundary. */
  end(): void {
    if (this.state.kind === 'blockData') {
      throw new Error(`the decoder stream ended inside frame ${this.emitted} (truncated)`);
    }
  }

  /** Parses a header, a small value or a block header at `pos`; returns bytes consumed, 0 if incomplete. */
  private parseSmall(buf: Uint8Array, pos: number): number {
    const s = this.state;
    if (s.kind === 'value') {
      if (buf.length - pos < s.size) return 0;
      const v = readUint(buf, pos, s.size);
      if (s.id === ID.timecodeScale) this.timecodeScaleNs = v;
      else this.clusterTimecode = v;
      this.state = { kind: 'header' };
      return s.size;
    }
    if (s.kind === 'blockHeader') {
      const track = readVint(buf, pos, false);
      if (!track || buf.length - pos < track.length + 3) return 0;
      const rel = ((buf[pos + track.length] as number) << 8) | (buf[pos + track.length + 1] as number);
      const flags = buf[pos + track.length + 2] as number;
      if (flags & 0x06) throw new Error('laced blocks are not expected from the decoder');
      const headerLength = track.length + 3;
      const dataLength = s.size - headerLength;
      if (dataLength !== this.frameBytes) {
        throw new Error(`decoder frame of ${dataLength} bytes, expected ${this.frameBytes} (pixel format or size changed mid-stream?)`);
      }
      const relSigned = rel & 0x8000 ? rel - 0x10000 : rel;
      const ptsMs = ((this.clusterTimecode + relSigned) * this.timecodeScaleNs) / 1e6;
      this.state = { kind: 'blockData', frame: new Uint8Array(dataLength), filled: 0, ptsMs };
      return headerLength;
    }
    const id = readVint(buf, pos, true);
    if (!id) return 0;
    const size = readVint(buf, pos + id.length, false);
    if (!size) return 0;
    const headerLength = id.length + size.length;
    if (CONTAINERS.has(id.value)) {
      this.state = { kind: 'header' }; // children follow; an unknown size is fine here
    } else if (size.value === UNKNOWN) {
      throw new Error(`element 0x${id.value.toString(16)} of unknown size in the decoder stream`);
    } else if (VALUES.has(id.value)) {
      this.state = { kind: 'value', id: id.value, size: size.value };
    } else if (id.value === ID.simpleBlock || id.value === ID.block) {
      this.state = { kind: 'blockHeader', size: size.value };
    } else {
      this.state = size.value === 0 ? { kind: 'header' } : { kind: 'skip', remaining: size.value };
    }
    return headerLength;
  }
}
