/**
 * The smallest Matroska stream that carries raw frames with their timestamps to the encoder's stdin:
 * one V_UNCOMPRESSED track (pixel format by FourCC), then any side tracks passed through from the decoder
 * (a live input's audio and subtitles), one cluster per block (so any timestamp fits the block's 16-bit offset),
 * millisecond timestamps. Pure: returns bytes to write before each frame or packet.
 */
import type { FrameFormat } from '../pipeline/frame.js';
import type { ColorTags, SideTrack } from '../pipeline/ports.js';

// ffmpeg's colour names → the ISO/IEC 23091-4 codes Matroska's Colour element stores.
const MATRIX: Record<string, number> = {
  gbr: 0,
  bt709: 1,
  fcc: 4,
  bt470bg: 5,
  smpte170m: 6,
  smpte240m: 7,
  ycgco: 8,
  bt2020nc: 9,
  bt2020c: 10,
};
const TRANSFER: Record<string, number> = {
  bt709: 1,
  gamma22: 4,
  gamma28: 5,
  smpte170m: 6,
  smpte240m: 7,
  linear: 8,
  'iec61966-2-4': 11,
  bt1361e: 12,
  'iec61966-2-1': 13,
  'bt2020-10': 14,
  'bt2020-12': 15,
  smpte2084: 16,
  'arib-std-b67': 18,
};
const PRIMARIES: Record<string, number> = {
  bt709: 1,
  bt470m: 4,
  bt470bg: 5,
  smpte170m: 6,
  smpte240m: 7,
  film: 8,
  bt2020: 9,
  smpte428: 10,
  smpte431: 11,
  smpte432: 12,
};
const RANGE: Record<string, number> = { tv: 1, pc: 2 };

const FOURCC: Record<FrameFormat['pixFmt'], number[]> = {
  yuv420p: [0x49, 0x34, 0x32, 0x30], // 'I420'
  yuv420p10le: [0x59, 0x33, 11, 10], // ffmpeg's raw tag for yuv420p10le
};

const UNKNOWN_SIZE = [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

const idBytes = (id: number): number[] => {
  const out: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return out;
};

/** An 8-byte size vint (0x01 marker + 7 bytes): wasteful but fixed, so sizes are easy to compute. */
const size8 = (n: number): number[] => {
  const out = [0x01];
  for (let i = 6; i >= 0; i--) out.push(Math.floor(n / 256 ** i) % 256);
  return out;
};

const uintBytes = (v: number): number[] => {
  const out: number[] = [];
  for (let x = Math.max(0, Math.floor(v)); x > 0; x = Math.floor(x / 256)) out.unshift(x % 256);
  return out.length ? out : [0];
};

const el = (id: number, payload: number[]): number[] => [...idBytes(id), ...size8(payload.length), ...payload];
const uintEl = (id: number, v: number): number[] => el(id, uintBytes(v));
const strEl = (id: number, s: string): number[] => el(id, [...Buffer.from(s, 'ascii')]);

/** The Colour element for the tags ffmpeg knows a code for (so the encoder sees the frames as tagged). */
const colourElement = (c: ColorTags): number[] => {
  const fields: [number, number | undefined][] = [
    [0x55b1, c.matrix === undefined ? undefined : MATRIX[c.matrix]],
    [0x55b9, c.range === undefined ? undefined : RANGE[c.range]],
    [0x55ba, c.transfer === undefined ? undefined : TRANSFER[c.transfer]],
    [0x55bb, c.primaries === undefined ? undefined : PRIMARIES[c.primaries]],
  ];
  const payload = fields.flatMap(([id, v]) => (v === undefined ? [] : uintEl(id, v)));
  return payload.length ? el(0x55b0, payload) : [];
};

/**
 * EBML header, Segment (unknown size), Info and Tracks: the video as track 1, then `side` as tracks 2, 3, …
 * in the order given (see sideTrackNumber).
 */
export const matroskaHeader = (format: FrameFormat, color: ColorTags = {}, side: readonly SideTrack[] = []): Uint8Array => {
  const ebml = el(0x1a45dfa3, [
    ...uintEl(0x4286, 1), // EBMLVersion
    ...uintEl(0x42f7, 1), // EBMLReadVersion
    ...uintEl(0x42f2, 4), // EBMLMaxIDLength
    ...uintEl(0x42f3, 8), // EBMLMaxSizeLength
    ...strEl(0x4282, 'matroska'),
    ...uintEl(0x4287, 4), // DocTypeVersion
    ...uintEl(0x4285, 2), // DocTypeReadVersion
  ]);
  const info = el(0x1549a966, [...uintEl(0x2ad7b1, 1_000_000), ...strEl(0x4d80, 'srvid'), ...strEl(0x5741, 'srvid')]);
  const video = el(0xe0, [
    ...uintEl(0xb0, format.width),
    ...uintEl(0xba, format.height),
    ...el(0x2eb524, FOURCC[format.pixFmt]), // ColourSpace
    ...colourElement(color),
  ]);
  const track = el(0xae, [
    ...uintEl(0xd7, 1), // TrackNumber
    ...uintEl(0x73c5, 1), // TrackUID
    ...uintEl(0x83, 1), // TrackType: video
    ...uintEl(0x9c, 0), // FlagLacing
    ...strEl(0x86, 'V_UNCOMPRESSED'),
    ...video,
  ]);
  const passthrough = side.flatMap((t, i) => el(0xae, [...uintEl(0xd7, i + 2), ...uintEl(0x73c5, i + 2), ...t.entry]));
  const tracks = el(0x1654ae6b, [...track, ...passthrough]);
  return Uint8Array.from([...ebml, 0x18, 0x53, 0x80, 0x67, ...UNKNOWN_SIZE, ...info, ...tracks]);
};

/** The track number a side track gets in matroskaHeader's output (video is 1). */
export const sideTrackNumber = (index: number): number => index + 2;

/** Cluster + SimpleBlock header for a frame of `frameBytes` bytes at `ptsMs`; write the frame right after. */
export const matroskaFrameHeader = (frameBytes: number, ptsMs: number): Uint8Array => matroskaBlockHeader(1, frameBytes, ptsMs, true);

/**
 * Cluster + block header for `bytes` bytes of track `track` (1–126) at `ptsMs`; write the bytes right after. With
 * `durationMs` (a subtitle cue), a BlockGroup whose BlockDuration comes before its Block, so that the data can
 * still follow the header; otherwise a SimpleBlock.
 */
export const matroskaBlockHeader = (track: number, bytes: number, ptsMs: number, keyframe: boolean, durationMs?: number): Uint8Array => {
  const timecode = uintEl(0xe7, Math.max(0, Math.round(ptsMs)));
  const grouped = durationMs !== undefined;
  // track, offset 0, flags (a Block inside a BlockGroup has no keyframe flag)
  const blockHeader = [0x80 | track, 0x00, 0x00, keyframe && !grouped ? 0x80 : 0x00];
  const blockSize = blockHeader.length + bytes;
  const blockHead = [grouped ? 0xa1 : 0xa3, ...size8(blockSize)];
  const duration = grouped ? uintEl(0x9b, Math.max(0, Math.round(durationMs))) : [];
  const groupHead = grouped ? [0xa0, ...size8(duration.length + blockHead.length + blockSize)] : [];
  const clusterSize = timecode.length + groupHead.length + duration.length + blockHead.length + blockSize;
  return Uint8Array.from([
    0x1f,
    0x43,
    0xb6,
    0x75,
    ...size8(clusterSize),
    ...timecode,
    ...groupHead,
    ...duration,
    ...blockHead,
    ...blockHeader,
  ]);
};
