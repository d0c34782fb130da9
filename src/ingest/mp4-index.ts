/**
 * Whether the start of a file is an MP4/MOV whose index (the `moov` box) comes after its media (`mdat`): read
 * from a pipe, such a file cannot be decoded until its last byte, and not even then (the media has gone by).
 * Pure: walks the top-level boxes in the bytes given.
 */

const type = (b: Uint8Array, at: number): string => String.fromCharCode(b[at + 4]!, b[at + 5]!, b[at + 6]!, b[at + 7]!);

const readSize = (b: Uint8Array, at: number): number | null => {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const size = view.getUint32(at);
  if (size !== 1) return size === 0 ? null : size; // 0: the box runs to the end of the file
  if (at + 16 > b.length) return null;
  return Number(view.getBigUint64(at + 8));
};

/** True when `head` starts with an MP4/MOV (`ftyp`) whose `mdat` comes before any `moov`; false otherwise. */
export const mp4IndexAtEnd = (head: Uint8Array): boolean => {
  if (head.length < 8 || type(head, 0) !== 'ftyp') return false;
  let at = 0;
  while (at + 8 <= head.length) {
    const box = type(head, at);
    if (box === 'moov' || box === 'moof') return false;
    if (box === 'mdat') return true;
    const size = readSize(head, at);
    if (size === null || size < 8) return false;
    at += size;
  }
  return false; // a box beyond the bytes given: cannot tell, so ffmpeg is left to try
};

/** What to do about it. */
export const INDEX_AT_END =
  "stdin is an MP4 whose index (moov atom) is at its end, which cannot be read from a pipe; give the file's path instead of -, " +
  'or move the index to the front first (ffmpeg -i IN.mp4 -c copy -movflags +faststart OUT.mp4), or pass --no-live';
