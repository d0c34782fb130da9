/**
 * Splits the decoder's Matroska stream into exact frames with their timestamps, and the packets of its other
 * tracks (a live decoder's audio, and its subtitle cues with their durations) as they are. Pure and incremental: feed chunks as they arrive;
 * `pause()` from inside `onFrame` stops at that frame and keeps the rest of the chunk until `resume()`, which
 * is how the source holds a bounded number of frames.
 */
import type { SidePacket, SideTrack } from '../pipeline/ports.js';

const ID = {
  ebml: 0x1a45dfa3,
  segment: 0x18538067,
  info: 0x1549a966,
  timecodeScale: 0x2ad7b1,
  cluster: 0x1f43b675,
  timecode: 0xe7,
  blockGroup: 0xa0,
  block: 0xa1,
  blockDuration: 0x9b,
  simpleBlock: 0xa3,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  trackNumber: 0xd7,
  trackUid: 0x73c5,
  trackType: 0x83,
  codecId: 0x86,
  language: 0x22b59c,
  video: 0xe0,
  pixelWidth: 0xb0,
  pixelHeight: 0xba,
  defaultDuration: 0x23e383,
} as const;

/** The decoder's tracks: the video track's number and size, and every other track to pass through. */
export interface DecoderTracks {
  readonly video: {
    readonly track: number;
    readonly width: number;
    readonly height: number;
    /** From the track's DefaultDuration, when the decoder knew the rate. */
    readonly frameRate: number | null;
  } | null;
  readonly side: readonly SideTrack[];
}

const TRACK_TYPES: Record<number, SideTrack['type']> = { 1: 'video', 2: 'audio', 0x11: 'subtitle' };

/** ffmpeg's codec names for the Matroska codec IDs a live decoder writes (what the encoder's rules are keyed on). */
const CODEC_NAMES: Record<string, string> = {
  'A_PCM/INT/LIT': 'pcm_s16le',
  'S_TEXT/UTF8': 'subrip',
  'S_TEXT/ASS': 'ass',
  'S_TEXT/SSA': 'ass',
  S_ASS: 'ass',
  S_SSA: 'ass',
  'S_TEXT/WEBVTT': 'webvtt',
  'D_WEBVTT/SUBTITLES': 'webvtt',
  S_DVBSUB: 'dvb_subtitle',
  S_VOBSUB: 'dvd_subtitle',
  'S_HDMV/PGS': 'hdmv_pgs_subtitle',
  'S_HDMV/TEXTST': 'hdmv_text_subtitle',
  S_ARIBSUB: 'arib_caption',
};

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

/** The children of an EBML element's payload: [id, payload, the child's own bytes]. */
const children = (buf: Uint8Array): [number, Uint8Array, Uint8Array][] => {
  const out: [number, Uint8Array, Uint8Array][] = [];
  let pos = 0;
  while (pos < buf.length) {
    const id = readVint(buf, pos, true);
    const size = id && readVint(buf, pos + id.length, false);
    if (!id || !size || size.value === UNKNOWN) throw new Error('malformed Tracks element in the decoder stream');
    const start = pos + id.length + size.length;
    out.push([id.value, buf.subarray(start, start + size.value), buf.subarray(pos, start + size.value)]);
    pos = start + size.value;
  }
  return out;
};

/** Reads the Tracks element: which track is the video (and its size), and the others as passthrough entries. */
export const parseTracks = (payload: Uint8Array): DecoderTracks => {
  let video: DecoderTracks['video'] = null;
  const side: SideTrack[] = [];
  for (const [id, entry] of children(payload)) {
    if (id !== ID.trackEntry) continue;
    let track = 0;
    let type = 0;
    let codecId = '';
    let width = 0;
    let height = 0;
    let durationNs = 0;
    let language = '';
    const rest: Uint8Array[] = [];
    for (const [cid, value, whole] of children(entry)) {
      if (cid === ID.trackNumber) track = readUint(value, 0, value.length);
      else if (cid === ID.trackUid) continue;
      else {
        if (cid === ID.trackType) type = readUint(value, 0, value.length);
        if (cid === ID.defaultDuration) durationNs = readUint(value, 0, value.length);
        if (cid === ID.codecId) codecId = Buffer.from(value).toString('ascii').replace(/\0+$/, '');
        if (cid === ID.language) language = Buffer.from(value).toString('ascii').replace(/\0+$/, '');
        if (cid === ID.video) {
          for (const [vid, v] of children(value)) {
            if (vid === ID.pixelWidth) width = readUint(v, 0, v.length);
            if (vid === ID.pixelHeight) height = readUint(v, 0, v.length);
          }
        }
        rest.push(whole);
      }
    }
    if (type === 1 && !video) video = { track, width, height, frameRate: durationNs > 0 ? 1e9 / durationNs : null };
    else {
      const codec = CODEC_NAMES[codecId] ?? codecId;
      const lang = language && language !== 'und' ? { language } : {};
      side.push({ track, type: TRACK_TYPES[type] ?? 'data', codecId, codec, ...lang, entry: Buffer.concat(rest) });
    }
  }
  return { video, side };
};

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
