import { averageColour, BLUE, GREEN, quadrantsJpeg, RED, Rgb, sameColour, WHITE } from './jpeg-images';
import {
  cropJpeg, isPickedPosterKey, parseThumbnailCues, PosterError, thumbnailCueAt, tileImageKey,
} from '../../src/entitlement/posters.lambda-shared';
import { thumbnailsTrackKey, thumbnailsVtt } from '../../src/transcode/trick-play.lambda-shared';

describe('cropping a thumbnail out of its tile image', () => {
  const tile = quadrantsJpeg(128, 64);

  test.each<[string, { x: number; y: number }, Rgb]>([
    ['top left', { x: 0, y: 0 }, RED],
    ['top right', { x: 64, y: 0 }, GREEN],
    ['bottom left', { x: 0, y: 32 }, BLUE],
    ['bottom right', { x: 64, y: 32 }, WHITE],
  ])('the %s quadrant is a JPEG of its size and colour', (_name, at, colour) => {
    const cropped = cropJpeg(tile, { ...at, width: 64, height: 32 });
    expect([cropped.width, cropped.height]).toEqual([64, 32]);
    const seen = averageColour(cropped.jpeg);
    expect([seen.width, seen.height]).toEqual([64, 32]);
    expect(sameColour(seen.colour, colour)).toBe(true);
    // And none of the others: the right region was taken, not any.
    for (const other of [RED, GREEN, BLUE, WHITE].filter((c) => c !== colour)) {
      expect(sameColour(seen.colour, other)).toBe(false);
    }
  });

  test('a region at the very edge is inside; one pixel further is refused', () => {
    expect(cropJpeg(tile, { x: 127, y: 63, width: 1, height: 1 }).width).toBe(1);
    expect(() => cropJpeg(tile, { x: 65, y: 0, width: 64, height: 32 })).toThrow(new PosterError('the thumbnail\'s region 64x32 at 65,0 is not inside its 128x64 tile image'));
    expect(() => cropJpeg(tile, { x: 0, y: 33, width: 64, height: 32 })).toThrow(PosterError);
    expect(() => cropJpeg(tile, { x: 0, y: 0, width: 0, height: 32 })).toThrow(PosterError);
  });

  test('what is not a JPEG is refused', () => {
    expect(() => cropJpeg(new TextEncoder().encode('not an image'), { x: 0, y: 0, width: 1, height: 1 })).toThrow(/not a JPEG image that can be read/);
    expect(() => cropJpeg(tile.subarray(0, 20), { x: 0, y: 0, width: 1, height: 1 })).toThrow(PosterError);
  });
});

describe('the thumbnails track', () => {
  // The track as the pipeline writes it: two tile images of 2x2 thumbnails, one every 5 seconds.
  const playlist = [
    '#EXTM3U', '#EXT-X-IMAGES-ONLY',
    '#EXTINF:20.000,', '#EXT-X-TILES:RESOLUTION=320x180,LAYOUT=2x2,DURATION=5.000', 'master_thumbnails_00001.jpg',
    '#EXTINF:7.000,', '#EXT-X-TILES:RESOLUTION=320x180,LAYOUT=2x2,DURATION=5.000', 'master_thumbnails_00002.jpg',
    '#EXT-X-ENDLIST', '',
  ].join('\n');
  const cues = parseThumbnailCues(thumbnailsVtt(playlist));

  test('reads every cue the pipeline writes', () => {
    expect(cues).toHaveLength(6);
    expect(cues[3]).toEqual({ startMs: 15_000, endMs: 20_000, image: 'master_thumbnails_00001.jpg', x: 320, y: 180, width: 320, height: 180 });
    expect(cues[5]).toEqual({ startMs: 25_000, endMs: 27_000, image: 'master_thumbnails_00002.jpg', x: 320, y: 0, width: 320, height: 180 });
  });

  test('the cue at a time: its start counts, its end is the next one\'s; past the end, the last', () => {
    expect(thumbnailCueAt(cues, 0)?.startMs).toBe(0);
    expect(thumbnailCueAt(cues, 4.999)?.startMs).toBe(0);
    expect(thumbnailCueAt(cues, 5)?.startMs).toBe(5_000);
    expect(thumbnailCueAt(cues, 26.5)?.startMs).toBe(25_000);
    expect(thumbnailCueAt(cues, 30)?.startMs).toBe(25_000);
    expect(thumbnailCueAt([], 3)).toBeUndefined();
  });

  test('malformed cues are skipped', () => {
    const vtt = 'WEBVTT\n\n00:00.000 --> 00:05.000\na.jpg#xywh=0,0,10,10\n\n00:05.000 --> 00:04.000\nb.jpg#xywh=0,0,10,10\n\n'
      + '00:10.000 --> 00:15.000\nc.jpg#xywh=0,0,10\n\n00:15.000 --> 00:20.000\nd.jpg#xywh=1,2,3,4\n';
    expect(parseThumbnailCues(vtt).map((cue) => cue.image)).toEqual(['a.jpg', 'd.jpg']);
  });

  test('a tile image is a JPEG under the track\'s own folder', () => {
    const track = thumbnailsTrackKey('v1');
    expect(tileImageKey('master_thumbnails_00001.jpg', track)).toBe('videos/v1/master_thumbnails_00001.jpg');
    expect(tileImageKey('tiles/./a.jpeg', track)).toBe('videos/v1/tiles/a.jpeg');
    expect(tileImageKey('/videos/v1/a.jpg', track)).toBe('videos/v1/a.jpg');
    for (const outside of ['../v2/a.jpg', '/videos/v2/a.jpg', '/posters/v1/poster.0000000.jpg', 'https://elsewhere.example/a.jpg', 'master.m3u8', 'a.jpg?x=1']) {
      expect(tileImageKey(outside, track)).toBeUndefined();
    }
  });
});

test('picked posters are told apart from the pipeline\'s captures', () => {
  expect(isPickedPosterKey('v1', 'posters/v1/picked-1700000000000.jpg')).toBe(true);
  expect(isPickedPosterKey('v1', 'posters/v1/poster.0000000.jpg')).toBe(false);
  expect(isPickedPosterKey('v1', 'posters/v2/picked-1700000000000.jpg')).toBe(false);
  expect(isPickedPosterKey('v1', 'posters/v1/picked-../x.jpg')).toBe(false);
  expect(isPickedPosterKey('v1', 'videos/v1/picked-1.jpg')).toBe(false);
});
