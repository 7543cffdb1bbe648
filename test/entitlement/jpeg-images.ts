import { decode, encode } from 'jpeg-js';

/** JPEG images of known colours, made and read back with jpeg-js, for the tests of picked posters. */

export type Rgb = readonly [number, number, number];
export const RED: Rgb = [220, 30, 30];
export const GREEN: Rgb = [30, 200, 40];
export const BLUE: Rgb = [30, 40, 210];
export const WHITE: Rgb = [250, 250, 250];

/** A JPEG `width`x`height` whose quadrants are red, green (top), blue, white (bottom). */
export function quadrantsJpeg(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = y < height / 2 ? (x < width / 2 ? RED : GREEN) : (x < width / 2 ? BLUE : WHITE);
      data.set([...colour, 255], (y * width + x) * 4);
    }
  }
  return new Uint8Array(encode({ data, width, height }, 95).data);
}

/** A JPEG's size and the average colour of its pixels, leaving a margin where JPEG's blocks blur the edges. */
export function averageColour(jpeg: Uint8Array): { width: number; height: number; colour: Rgb } {
  const image = decode(jpeg, { useTArray: true });
  const sum = [0, 0, 0];
  let count = 0;
  for (let y = 4; y < image.height - 4; y++) {
    for (let x = 4; x < image.width - 4; x++) {
      const at = (y * image.width + x) * 4;
      sum[0] += image.data[at];
      sum[1] += image.data[at + 1];
      sum[2] += image.data[at + 2];
      count++;
    }
  }
  return { width: image.width, height: image.height, colour: sum.map((total) => Math.round(total / count)) as unknown as Rgb };
}

/** Whether two colours are the same, within what JPEG's compression changes of a flat area. */
export function sameColour(actual: Rgb, expected: Rgb): boolean {
  return actual.every((value, i) => Math.abs(value - expected[i]) <= 12);
}
