/** PSNR of two planes of equal size, with `crop` samples removed at each border (the SR protocol). */

export interface PlaneMetricOptions {
  /** Samples cropped from each border before measuring (the SR protocol crops `scale`). */
  readonly crop?: number;
  /** The peak sample value: 255 for 8-bit, 1023 for 10-bit. */
  readonly peak?: number;
}

/** Throws unless both planes hold `width × height` samples. */
export const checkSameSize = (a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number): void => {
  if (a.length !== width * height || b.length !== width * height) {
    throw new RangeError(`planes must both be ${width}x${height}; got ${a.length} and ${b.length} samples`);
  }
};

export const meanSquaredError = (a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, crop = 0): number => {
  checkSameSize(a, b, width, height);
  if (width - 2 * crop <= 0 || height - 2 * crop <= 0) {
    throw new RangeError(`crop ${crop} leaves nothing of a ${width}x${height} plane`);
  }
  let sum = 0;
  for (let y = crop; y < height - crop; y++) {
    const row = y * width;
    for (let x = crop; x < width - crop; x++) {
      const d = (a[row + x] as number) - (b[row + x] as number);
      sum += d * d;
    }
  }
  return sum / ((width - 2 * crop) * (height - 2 * crop));
};

/** A full-reference metric of two same-size planes. */
export type PlaneMetric = (
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  width: number,
  height: number,
  options?: PlaneMetricOptions,
) => number;

/** PSNR in dB; Infinity for identical planes. */
export const psnr: PlaneMetric = (a, b, width, height, { crop = 0, peak = 255 } = {}) => {
  const mse = meanSquaredError(a, b, width, height, crop);
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
};
