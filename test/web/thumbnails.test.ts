import { parseThumbnailsVtt, thumbnailAt } from '../../web/src/thumbnails';

const VTT = [
  'WEBVTT',
  '',
  '00:00:00.000 --> 00:00:05.000',
  'master_thumbnails_00001.jpg#xywh=0,0,320,180',
  '',
  '00:00:05.000 --> 00:00:07.500',
  'master_thumbnails_00001.jpg#xywh=320,0,320,180',
  '',
  'broken --> cue',
  'nothing.jpg',
  '',
].join('\n');

test('the cues of a thumbnails track, their images resolved against the track', () => {
  const cues = parseThumbnailsVtt(VTT, 'https://vod.example/videos/v1/thumbnails.vtt');
  expect(cues).toEqual([
    { start: 0, end: 5, url: 'https://vod.example/videos/v1/master_thumbnails_00001.jpg', x: 0, y: 0, width: 320, height: 180 },
    { start: 5, end: 7.5, url: 'https://vod.example/videos/v1/master_thumbnails_00001.jpg', x: 320, y: 0, width: 320, height: 180 },
  ]);
  expect(thumbnailAt(cues, 4.9)?.x).toBe(0);
  expect(thumbnailAt(cues, 5)?.x).toBe(320);
  expect(thumbnailAt(cues, 9)?.x).toBe(320);
  expect(thumbnailAt([], 1)).toBeUndefined();
});
