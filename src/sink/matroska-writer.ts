/**
 * The smallest Matroska stream that carries raw frames with their timestamps to the encoder's stdin:
 * one V_UNCOMPRESSED track (pixel format by FourCC), then any side tracks passed through from the decoder
 * (a live input's audio and subtitles), one cluster per block (so any timestamp fits the block's 16-bit offset),
 * millisecond timestamps. Pure: returns bytes to write before each frame or packet.
 */
import type { FrameFormat } from '../pipeline/frame.js';
import { ID } from '../ffmpeg/matroska-ids.js';
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
    [ID.matrixCoefficients, c.matrix === undefined ? undefined : MATRIX[c.matrix]],
    [ID.range, c.range === undefined ? undefined : RANGE[c.range]],
    [ID.transferCharacteristics, c.transfer === undefined ? undefined : TRANSFER[c.transfer]],
    [ID.primaries, c.primaries === undefined ? undefined : PRIMARIES[c.primaries]],
  ];
  const payload = fields.flatMap(([id, v]) => (v === undefined ? [] : uintEl(id, v)));
  return payload.length ? el(ID.colour, payload) : [];
};

/**
 * EBML header, Segment (unknown size), Info and Tracks: the video as track 1, then `side` as tracks 2, 3, …
 * in the order given (see sideTrackNumber).
 */
export const matroskaHeader = (format: FrameFormat, color: ColorTags = {}, side: readonly SideTrack[] = []): Uint8Array => {
  const ebml = el(ID.ebml, [
    ...uintEl(ID.ebmlVersion, 1),
    ...uintEl(ID.ebmlReadVersion, 1),
    ...uintEl(ID.ebmlMaxIdLength, 4),
    ...uintEl(ID.ebmlMaxSizeLength, 8),
    ...strEl(ID.docType, 'matroska'),
    ...uintEl(ID.docTypeVersion, 4),
    ...uintEl(ID.docTypeReadVersion, 2),
  ]);
  const info = el(ID.info, [...uintEl(ID.timecodeScale, 1_000_000), ...strEl(ID.muxingApp, 'srvid'), ...strEl(ID.writingApp, 'srvid')]);
  const video = el(ID.video, [
    ...uintEl(ID.pixelWidth, format.width),
    ...uintEl(ID.pixelHeight, format.height),
    ...el(ID.colourSpace, FOURCC[format.pixFmt]),
    ...colourElement(color),
  ]);
  const track = el(ID.trackEntry, [
    ...uintEl(ID.trackNumber, 1),
    ...uintEl(ID.trackUid, 1),
    ...uintEl(ID.trackType, 1), // video
    ...uintEl(ID.flagLacing, 0),
    ...strEl(ID.codecId, 'V_UNCOMPRESSED'),
    ...video,
  ]);
  const passthrough = side.flatMap((t, i) =>
    el(ID.trackEntry, [...uintEl(ID.trackNumber, i + 2), ...uintEl(ID.trackUid, i + 2), ...t.entry]),
  );
  const tracks = el(ID.tracks, [...track, ...passthrough]);
  // The Segment's size is unknown: frames keep coming on the pipe.
  return Uint8Array.from([...ebml, ...idBytes(ID.segment), ...UNKNOWN_SIZE, ...info, ...tracks]);
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
  const timecode = uintEl(ID.timecode, Math.max(0, Math.round(ptsMs)));
  const grouped = durationMs !== undefined;
  // track, offset 0, flags (a Block inside a BlockGroup has no keyframe flag)
  const blockHeader = [0x80 | track, 0x00, 0x00, keyframe && !grouped ? 0x80 : 0x00];
  const blockSize = blockHeader.length + bytes;
  const blockHead = [...idBytes(grouped ? ID.block : ID.simpleBlock), ...size8(blockSize)];
  const duration = grouped ? uintEl(ID.blockDuration, Math.max(0, Math.round(durationMs))) : [];
  const groupHead = grouped ? [...idBytes(ID.blockGroup), ...size8(duration.length + blockHead.length + blockSize)] : [];
  const clusterSize = timecode.length + groupHead.length + duration.length + blockHead.length + blockSize;
  return Uint8Array.from([
    ...idBytes(ID.cluster),
    ...size8(clusterSize),
    ...timecode,
    ...groupHead,
    ...duration,
    ...blockHead,
    ...blockHeader,
  ]);
};
