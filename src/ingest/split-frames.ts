/**
 * Splits the decoder's Matroska stream into exact frames with their timestamps, and the packets of its other
 * tracks (a live decoder's audio, and its subtitle cues with their durations) as they are. Pure and
 * incremental: feed chunks as they arrive; `pause()` from inside `onFrame` stops at that frame and keeps the
 * rest of the chunk until `resume()`, which is how the source holds a bounded number of frames.
 */
import type { SidePacket } from '../pipeline/ports.js';
import { ID } from '../ffmpeg/matroska-ids.js';
import { children, parseTracks, readUint, readVint, UNKNOWN, type DecoderTracks } from './read-matroska.js';

export { parseTracks, type DecoderTracks };

export interface SplitterEvents {
  /** The Tracks element has been read; return the video frame's byte length when the constructor had none. */
  readonly onTracks?: (tracks: DecoderTracks) => number | void;
  /** A block of a track other than the video track. */
  readonly onPacket?: (packet: SidePacket) => void;
}

/** Elements whose children we read (their size may be unknown on a pipe). A BlockGroup is read whole instead. */
const CONTAINERS = new Set<number>([ID.segment, ID.info, ID.cluster]);
/** Small elements whose value we need. */
const VALUES = new Set<number>([ID.timecodeScale, ID.timecode]);

export type FrameHandler = (bytes: Uint8Array, ptsMs: number) => void;

type State =
  | { kind: 'header' }
  | { kind: 'skip'; remaining: number }
  | { kind: 'value'; id: number; size: number }
  | { kind: 'blockHeader'; size: number }
  | { kind: 'blockData'; frame: Uint8Array; filled: number; ptsMs: number; side: { track: number; keyframe: boolean } | null }
  | { kind: 'collect'; what: 'tracks' | 'group'; bytes: Uint8Array; filled: number };

/** A video frame whose byte length is not that of the stream's frames: the picture size changed mid-stream. */
export class FrameSizeChangedError extends Error {
  override name = 'FrameSizeChangedError';
  constructor(
    /** The frame's index (0-based) and timestamp. */
    readonly frame: number,
    readonly ptsMs: number,
    readonly bytes: number,
    readonly expectedBytes: number,
  ) {
    super(`decoder frame ${frame} of ${bytes} bytes, expected ${expectedBytes} (pixel format or size changed mid-stream?)`);
  }
}

export class MatroskaFrameSplitter {
  private state: State = { kind: 'header' };
  private carry: Uint8Array = new Uint8Array(0);
  private paused = false;
  private timecodeScaleNs = 1_000_000;
  private clusterTimecode = 0;
  private emitted = 0;
  private videoTrack: number | null = null;

  /** `frameBytes` 0: taken from `onTracks`, once the decoder's header says the frame size. */
  constructor(
    private frameBytes: number,
    private readonly onFrame: FrameHandler,
    private readonly events: SplitterEvents = {},
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
      } else if (s.kind === 'blockData' || s.kind === 'collect') {
        const target = s.kind === 'blockData' ? s.frame : s.bytes;
        const n = Math.min(target.length - s.filled, buf.length - pos);
        target.set(buf.subarray(pos, pos + n), s.filled);
        s.filled += n;
        pos += n;
        if (s.filled === target.length) {
          this.state = { kind: 'header' };
          if (s.kind === 'collect') {
            if (s.what === 'tracks') this.readTracks(s.bytes);
            else this.readGroup(s.bytes);
          } else if (s.side) this.events.onPacket?.({ ...s.side, ptsMs: s.ptsMs, data: s.frame });
          else {
            this.emitted++;
            this.onFrame(s.frame, s.ptsMs);
          }
        }
      } else {
        const used = this.parseSmall(buf, pos);
        if (used === 0) break; // incomplete: wait for more bytes
        pos += used;
      }
    }
    if (pos < buf.length) this.carry = buf.slice(pos);
  }

  private readTracks(payload: Uint8Array): void {
    const tracks = parseTracks(payload);
    this.videoTrack = tracks.video?.track ?? null;
    const bytes = this.events.onTracks?.(tracks);
    if (typeof bytes === 'number' && !this.frameBytes) this.frameBytes = bytes;
  }

  /**
   * A BlockGroup, read whole: its Block and the BlockDuration that may come after it (ffmpeg writes subtitle
   * cues this way, each with the time it shows).
   */
  private readGroup(payload: Uint8Array): void {
    let block: Uint8Array | null = null;
    let durationTicks: number | null = null;
    for (const [id, value] of children(payload)) {
      if (id === ID.block) block = value;
      else if (id === ID.blockDuration) durationTicks = readUint(value, 0, value.length);
    }
    if (!block) return;
    const track = readVint(block, 0, false);
    if (!track || block.length < track.length + 3) throw new Error('malformed Block in the decoder stream');
    const flags = block[track.length + 2] as number;
    if (flags & 0x06) throw new Error('laced blocks are not expected from the decoder');
    const ptsMs = this.blockPtsMs(block, track.length);
    const data = block.slice(track.length + 3);
    if (this.videoTrack !== null && track.value !== this.videoTrack) {
      const duration = durationTicks === null ? {} : { durationMs: (durationTicks * this.timecodeScaleNs) / 1e6 };
      // A BlockGroup says nothing of keyframes; a subtitle cue stands alone.
      this.events.onPacket?.({ track: track.value, ptsMs, ...duration, keyframe: true, data });
      return;
    }
    if (data.length !== this.frameBytes) throw new FrameSizeChangedError(this.emitted, ptsMs, data.length, this.frameBytes);
    this.emitted++;
    this.onFrame(data, ptsMs);
  }

  /** A block's timestamp in milliseconds: its cluster's, plus the signed 16-bit offset after the track number. */
  private blockPtsMs(buf: Uint8Array, at: number): number {
    const rel = ((buf[at] as number) << 8) | (buf[at + 1] as number);
    const relSigned = rel & 0x8000 ? rel - 0x10000 : rel;
    return ((this.clusterTimecode + relSigned) * this.timecodeScaleNs) / 1e6;
  }

  /** Checks that the stream ended on an element boundary. */
  end(): void {
    if (this.state.kind === 'blockData' && !this.state.side) {
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
      const flags = buf[pos + track.length + 2] as number;
      if (flags & 0x06) throw new Error('laced blocks are not expected from the decoder');
      const headerLength = track.length + 3;
      const dataLength = s.size - headerLength;
      const ptsMs = this.blockPtsMs(buf, pos + track.length);
      if (this.videoTrack !== null && track.value !== this.videoTrack) {
        const side = { track: track.value, keyframe: (flags & 0x80) !== 0 };
        this.state = { kind: 'blockData', frame: new Uint8Array(dataLength), filled: 0, ptsMs, side };
        return headerLength;
      }
      if (dataLength !== this.frameBytes) throw new FrameSizeChangedError(this.emitted, ptsMs, dataLength, this.frameBytes);
      this.state = { kind: 'blockData', frame: new Uint8Array(dataLength), filled: 0, ptsMs, side: null };
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
    } else if (id.value === ID.tracks || id.value === ID.blockGroup) {
      const what = id.value === ID.tracks ? 'tracks' : 'group';
      this.state = { kind: 'collect', what, bytes: new Uint8Array(size.value), filled: 0 };
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
