import { neighbourThumbnail, parseThumbnailsVtt, thumbnailAt } from '../../web/src/thumbnails';

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

test('the arrow keys move the preview one thumbnail at a time, and stop at the ends', () => {
  const cues = parseThumbnailsVtt(VTT.replace('00:00:07.500', '00:00:10.000') + '00:00:10.000 --> 00:00:12.000\nmaster_thumbnails_00001.jpg#xywh=640,0,320,180\n',
    'https://vod.example/videos/v1/thumbnails.vtt');
  expect(cues.map((cue) => cue.start)).toEqual([0, 5, 10]);
  expect(neighbourThumbnail(cues, 0, 1)?.start).toBe(5);
  // From inside a thumbnail's time, to the next one's start.
  expect(neighbourThumbnail(cues, 6.2, 1)?.start).toBe(10);
  expect(neighbourThumbnail(cues, 6.2, -1)?.start).toBe(0);
  expect(neighbourThumbnail(cues, 11, 1)?.start).toBe(10);
  expect(neighbourThumbnail(cues, 30, 1)?.start).toBe(10);
  expect(neighbourThumbnail(cues, 0, -1)?.start).toBe(0);
  // Home and End: to the first and the last.
  expect(neighbourThumbnail(cues, 6.2, -Infinity)?.start).toBe(0);
  expect(neighbourThumbnail(cues, 6.2, Infinity)?.start).toBe(10);
  expect(neighbourThumbnail([], 3, 1)).toBeUndefined();
});
