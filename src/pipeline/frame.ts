/** Planar YUV 4:2:0 frames as they travel between ffmpeg and the model. */

export type PixelFormat = 'yuv420p' | 'yuv420p10le';

/** A plane's samples: 8-bit in a Uint8Array, 10-bit (little-endian, low bits) in a Uint16Array. */
export type Samples = Uint8Array | Uint16Array;

export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Samples;
}

export interface FrameFormat {
  readonly width: number;
  readonly height: number;
  readonly pixFmt: PixelFormat;
}

export interface Frame {
  /** 0-based decode-order index (= presentation order after the decoder). */
  readonly index: number;
  /** Presentation time in milliseconds as carried on the pipes, or null when the source has none. */
  readonly ptsMs: number | null;
  readonly format: FrameFormat;
  /** Y, U, V. */
  readonly planes: readonly [Plane, Plane, Plane];
  /** The whole frame, planes back to back, as ffmpeg's rawvideo lays it out. */
  readonly bytes: Uint8Array;
}

export const bitDepth = (pixFmt: PixelFormat): 8 | 10 => (pixFmt === 'yuv420p10le' ? 10 : 8);

/** Plane sizes of a 4:2:0 frame (chroma rounds up for odd sizes, as ffmpeg does). */
export const planeSizes = ({ width, height }: FrameFormat): [number, number][] => {
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  return [
    [width, height],
    [cw, ch],
    [cw, ch],
  ];
};

export const frameByteLength = (format: FrameFormat): number => {
  const bytesPerSample = bitDepth(format.pixFmt) === 8 ? 1 : 2;
  return planeSizes(format).reduce((sum, [w, h]) => sum + w * h * bytesPerSample, 0);
};

/**
 * Views a frame's planes on `bytes` (no copy). `bytes` must be an exact frame; for 10-bit its
 * byteOffset must be even (the splitter allocates frames itself, so it is).
 */
export const makeFrame = (index: number, ptsMs: number | null, format: FrameFormat, bytes: Uint8Array): Frame => {
  const expected = frameByteLength(format);
  if (bytes.byteLength !== expected) {
    throw new RangeError(`frame ${index}: ${bytes.byteLength} bytes, expected ${expected}`);
  }
  const wide = bitDepth(format.pixFmt) === 10;
  let offset = 0;
  const planes = planeSizes(format).map(([width, height]): Plane => {
    const n = width * height;
    const data = wide
      ? new Uint16Array(bytes.buffer, bytes.byteOffset + offset, n)
      : new Uint8Array(bytes.buffer, bytes.byteOffset + offset, n);
    offset += n * (wide ? 2 : 1);
    return { width, height, data };
  }) as [Plane, Plane, Plane];
  return { index, ptsMs, format, planes, bytes };
};

/** A blank frame of `format` (planes zeroed), for a producer to fill. */
export const allocateFrame = (index: number, ptsMs: number | null, format: FrameFormat): Frame =>
  makeFrame(index, ptsMs, format, new Uint8Array(frameByteLength(format)));
