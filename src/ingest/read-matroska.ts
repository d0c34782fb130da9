/**
 * Reading Matroska as the decoder writes it: EBML variable-length integers, an element's children, and the
 * Tracks element (which track is the video, and the others to pass through, named by ffmpeg's codec names).
 * Pure.
 */
import { ID } from '../ffmpeg/matroska-ids.js';
import type { SideTrack } from '../pipeline/ports.js';

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

/** An element of unknown size (allowed for the Segment and Clusters a pipe carries). */
export const UNKNOWN = -1;

/** Reads an EBML variable-length integer at `pos`; null if incomplete. `keepMarker` for element IDs. */
export const readVint = (buf: Uint8Array, pos: number, keepMarker: boolean): { value: number; length: number } | null => {
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

export const readUint = (buf: Uint8Array, pos: number, size: number): number => {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + (buf[pos + i] as number);
  return v;
};

/** The children of an EBML element's payload: [id, payload, the child's own bytes]. */
export const children = (buf: Uint8Array): [number, Uint8Array, Uint8Array][] => {
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
