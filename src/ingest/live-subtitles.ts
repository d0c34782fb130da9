/**
 * Choosing a live input's subtitle streams without a probe (a live source has one reader). The decoder first
 * copies every subtitle stream into its Matroska pipe; a codec Matroska has no ID for (mov_text, DVB teletext)
 * ends it at its start. Its log then holds the input's stream list, printed before the output starts: the next
 * decoder maps each subtitle stream by index, copied, converted to SubRip or left out by the rules that a
 * file run's Matroska output follows; if that fails too, the one after maps none. Pure: reads ffmpeg's log
 * (`-loglevel level+info`, each line tagged with its level) and returns the next choice and its warnings.
 */
import { describeStream, streamDisposition } from '../ffmpeg/stream-rules.js';
import type { StreamInfo } from '../pipeline/ports.js';
import type { LiveSubtitles } from './decoder-args.js';

const LEVEL_TAG = /\[(panic|fatal|error|warning|info|verbose|debug|trace)\] /;

/**
 * The error lines of a decoder's log, without their level tags: what a message quotes. A log without level
 * tags (a process that never started) is returned as it is.
 */
export const decoderErrors = (log: string): string => {
  const lines = log.split('\n');
  if (!lines.some((l) => LEVEL_TAG.test(l))) return log;
  return lines
    .filter((l) => /\[(panic|fatal|error)\] /.test(l))
    .map((l) => l.replace(LEVEL_TAG, '').trimEnd())
    .filter((l) => l !== '')
    .join('\n');
};

/** The subtitle streams in the input's stream list (`Stream #0:2[0x102](eng): Subtitle: dvb_teletext …`). */
export const inputSubtitleStreams = (log: string): StreamInfo[] => {
  const input = log.split(/^(?:\[[a-z]+\] )?Output #0/m)[0] ?? '';
  const out: StreamInfo[] = [];
  for (const m of input.matchAll(/Stream #0:(\d+)(?:\[[^\]]*\])?(?:\(([^)]+)\))?: Subtitle: ([A-Za-z0-9_]+)/g)) {
    const language = m[2] && m[2] !== 'und' ? { language: m[2] } : {};
    out.push({ index: Number(m[1]), type: 'subtitle', codec: m[3] as string, ...language });
  }
  return out;
};

/**
 * Whether a decoder that ended before its header may have been ended by its subtitle streams: its output did
 * not start (Matroska refused a codec: "Subtitle codec 94213 is not supported", or "Tag [6][0][0][0]
 * incompatible with output codec id '94215'" for teletext, each followed by "Could not write header") and its
 * input has subtitle streams.
 */
export const isSubtitleFailure = (log: string, errors: string): boolean =>
  /subtitle|Could not write header|Error initializing output stream/i.test(errors) && inputSubtitleStreams(log).length > 0;

const PIPE = 'a live run carries subtitles to the encoder in Matroska';

export interface SubtitleRetry {
  readonly subtitles: LiveSubtitles;
  /** To say once the next decoder runs: what was converted and what was left out. */
  readonly warnings: string[];
}

/**
 * The next decoder's subtitle streams after `tried` ended the decoder at its start (`log`: its stderr from the
 * beginning, holding the input's stream list; `errors`: its error lines), or null when there is nothing left to
 * try without them.
 */
export const nextSubtitleChoice = (tried: LiveSubtitles, log: string, errors: string): SubtitleRetry | null => {
  const streams = inputSubtitleStreams(log);
  const why = errors.split('\n')[0] ?? '';
  const leaveOut = (which: string, plural: boolean): SubtitleRetry => ({
    subtitles: { kind: 'none' },
    warnings: [
      `${which} left out: ffmpeg could not put ${plural ? 'them' : 'it'} in srvid's live pipe (ffmpeg: ${why}); --no-live keeps the subtitles the output can hold`,
    ],
  });
  if (tried.kind === 'none') return null;
  if (tried.kind === 'chosen') {
    const names = tried.streams.map((t) => streams.find((s) => s.index === t.index) ?? { index: t.index, codec: '?' });
    if (names.length === 0) return null;
    const list = names.map((s) => `#${s.index} (${s.codec})`).join(', ');
    return leaveOut(`subtitle stream${names.length > 1 ? 's' : ''} ${list}`, names.length > 1);
  }
  if (streams.length === 0) return leaveOut("the input's subtitle streams", true);
  const chosen: { index: number; codec: 'copy' | 'srt' }[] = [];
  const warnings: string[] = [];
  for (const s of streams) {
    const d = streamDisposition(s, 'matroska');
    // Matroska's rules copy a stream or convert it to SubRip ('srt'), or leave it out.
    if (d.action !== 'drop') chosen.push({ index: s.index, codec: d.action === 'copy' ? 'copy' : 'srt' });
    const what = describeStream(s);
    if (d.action === 'encode') warnings.push(`${what} converted to SubRip: ${PIPE}, which cannot hold ${s.codec}`);
    if (d.action === 'drop') warnings.push(`${what} left out: ${PIPE}, which cannot hold ${s.codec}, and ffmpeg cannot convert it to text`);
  }
  return { subtitles: chosen.length ? { kind: 'chosen', streams: chosen } : { kind: 'none' }, warnings };
};
