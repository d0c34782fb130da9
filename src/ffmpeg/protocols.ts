/**
 * Protocols: which ones the resolved ffmpeg has (a URL it lacks is refused up front), and the whitelist a
 * network input runs under, so that a crafted playlist or concat list cannot make ffmpeg read local files.
 */
import { UsageError } from '../errors.js';
import type { FfmpegTools } from './resolve-ffmpeg.js';
import { readToolOutput } from './read-tool.js';

/** What a network input and the playlists and segments it names may open: never `file:`. */
export const NETWORK_PROTOCOLS = 'udp,rtp,srt,rist,rtmp,rtmps,rtmpt,rtsp,tcp,tls,http,https,hls,httpproxy,crypto,data';

/** The scheme of a URL (`udp`, `https`, …) in lower case, or null for a path or `-`. The one place URLs are told apart. */
export const urlScheme = (s: string): string | null => /^([a-z][a-z0-9+.-]*):\/\//i.exec(s)?.[1]?.toLowerCase() ?? null;

/** Whether `s` is a URL rather than a path. */
export const isUrl = (s: string): boolean => urlScheme(s) !== null;

/** A URL that reaches beyond this machine's files (anything but `file:`). */
export const isNetworkUrl = (s: string): boolean => {
  const scheme = urlScheme(s);
  return scheme !== null && scheme !== 'file';
};

/**
 * The input with its own timestamps kept (`-copyts`: the encoder lines the video up with the copied audio by
 * them) and its video stream chosen: what the decoder and the segment cutter both read.
 */
export const videoInputArgs = (input: string, videoStreamIndex: number): string[] => [
  ...protocolWhitelistArgs(input),
  '-copyts',
  '-i',
  input,
  '-map',
  `0:${videoStreamIndex}`,
];

/** `-protocol_whitelist …` for a network input (before its `-i`); nothing for files and pipes. */
export const protocolWhitelistArgs = (input: string): string[] => (isNetworkUrl(input) ? ['-protocol_whitelist', NETWORK_PROTOCOLS] : []);

/** `ffmpeg -protocols` output → the protocols it reads and writes. Pure. */
export const parseProtocols = (text: string): { input: Set<string>; output: Set<string> } => {
  const input = new Set<string>();
  const output = new Set<string>();
  let into: Set<string> | null = null;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (/^input:$/i.test(t)) into = input;
    else if (/^output:$/i.test(t)) into = output;
    else if (into && /^[a-z0-9_+.-]+$/i.test(t)) into.add(t.toLowerCase());
  }
  return { input, output };
};

/**
 * Refuses, before anything starts, a URL whose protocol this ffmpeg lacks (the bundled 4.1 build has no
 * SRT), naming the protocol and how to get an ffmpeg that has it.
 */
export const checkProtocols = async (tools: FfmpegTools, urls: { readonly input?: string; readonly output?: string }): Promise<void> => {
  const scheme = (u: string | undefined): string | null => (u ? urlScheme(u) : null);
  const wanted = [
    [scheme(urls.input), 'input'],
    [scheme(urls.output), 'output'],
  ].filter((w): w is [string, 'input' | 'output'] => w[0] !== null && w[0] !== 'file');
  if (!wanted.length) return;
  const text = await readToolOutput(tools.ffmpeg, ['-protocols']);
  if (text === null) return; // ffmpeg itself will say what is wrong
  const known = parseProtocols(text);
  for (const [p, side] of wanted) {
    if (!known[side].has(p)) {
      throw new UsageError(
        `${p}:// is not supported as ${side === 'input' ? 'an input' : 'an output'} by ${tools.ffmpeg} (ffmpeg ${tools.major}, ${tools.origin}); ` +
          `install an ffmpeg that has it (Debian/Ubuntu: apt-get install ffmpeg) or pass --ffmpeg PATH`,
      );
    }
  }
};
