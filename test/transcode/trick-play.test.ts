import { DEFAULT_TRICK_PLAY, imageStreamUri, parseImagePlaylist, thumbnailSize, thumbnailsVtt, TrackStorage, writeThumbnailsTrack } from '../../src/transcode/trick-play.lambda-shared';

/** An images-only playlist as the Image Media Playlist extension lays it out: 5x5 tiles of 5-second thumbnails, 130 s in all. */
const PLAYLIST = [
  '#EXTM3U',
  '#EXT-X-TARGETDURATION:125',
  '#EXT-X-VERSION:7',
  '#EXT-X-MEDIA-SEQUENCE:1',
  '#EXT-X-PLAYLIST-TYPE:VOD',
  '#EXT-X-IMAGES-ONLY',
  '#EXTINF:125.000,',
  '#EXT-X-TILES:RESOLUTION=320x180,LAYOUT=5x5,DURATION=5.000',
  'master_thumbnails_00001.jpg',
  '#EXTINF:5.000,',
  '#EXT-X-TILES:RESOLUTION=320x180,LAYOUT=5x5,DURATION=5.000',
  'master_thumbnails_00002.jpg',
  '#EXT-X-ENDLIST',
  '',
].join('\n');

const MASTER = [
  '#EXTM3U',
  '#EXT-X-STREAM-INF:BANDWIDTH=1328000,RESOLUTION=640x360',
  'master_640x360.m3u8',
  '#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=3000,RESOLUTION=320x180,CODECS="jpeg",URI="master_thumbnails.m3u8"',
  '',
].join('\n');

test('the tile images of an images-only playlist, from #EXTINF and #EXT-X-TILES', () => {
  expect(parseImagePlaylist(PLAYLIST)).toEqual([
    { uri: 'master_thumbnails_00001.jpg', start: 0, duration: 125, thumbnail: { width: 320, height: 180 }, columns: 5, rows: 5, thumbnailDuration: 5 },
    { uri: 'master_thumbnails_00002.jpg', start: 125, duration: 5, thumbnail: { width: 320, height: 180 }, columns: 5, rows: 5, thumbnailDuration: 5 },
  ]);
  expect(() => parseImagePlaylist('#EXTM3U\n#EXTINF:5,\nnope.jpg\n')).toThrow(/#EXT-X-TILES/);
});

test('a cue per thumbnail, read row by row, cut at the end of the last tile', () => {
  const vtt = thumbnailsVtt(PLAYLIST);
  const blocks = vtt.trim().split('\n\n');
  expect(blocks[0]).toBe('WEBVTT');
  expect(blocks).toHaveLength(1 + 26);
  expect(blocks[1]).toBe('00:00:00.000 --> 00:00:05.000\nmaster_thumbnails_00001.jpg#xywh=0,0,320,180');
  expect(blocks[2]).toBe('00:00:05.000 --> 00:00:10.000\nmaster_thumbnails_00001.jpg#xywh=320,0,320,180');
  expect(blocks[6]).toBe('00:00:25.000 --> 00:00:30.000\nmaster_thumbnails_00001.jpg#xywh=0,180,320,180');
  expect(blocks[25]).toBe('00:02:00.000 --> 00:02:05.000\nmaster_thumbnails_00001.jpg#xywh=1280,720,320,180');
  expect(blocks[26]).toBe('00:02:05.000 --> 00:02:10.000\nmaster_thumbnails_00002.jpg#xywh=0,0,320,180');
});

test('a last thumbnail shorter than the interval ends with the video', () => {
  const vtt = thumbnailsVtt(PLAYLIST.replace('#EXTINF:5.000,', '#EXTINF:7.5,'));
  expect(vtt.trim().split('\n\n').slice(-1)[0]).toBe('00:02:10.000 --> 00:02:12.500\nmaster_thumbnails_00002.jpg#xywh=320,0,320,180');
});

test('the image stream of a master playlist', () => {
  expect(imageStreamUri(MASTER)).toBe('master_thumbnails.m3u8');
  expect(imageStreamUri('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n')).toBeUndefined();
});

test('thumbnails keep the frame\'s aspect ratio, the width a multiple of 8 and the height even', () => {
  expect(thumbnailSize(DEFAULT_TRICK_PLAY, { width: 1920, height: 1080 })).toEqual({ width: 320, height: 180 });
  expect(thumbnailSize(DEFAULT_TRICK_PLAY, { width: 1080, height: 1920 })).toEqual({ width: 176, height: 312 });
  expect(thumbnailSize(DEFAULT_TRICK_PLAY, { width: 177, height: 99 })).toEqual({ width: 176, height: 98 });
});

test('the track is written next to the master playlist, tile images relative to it', async () => {
  const objects = new Map<string, string>([
    ['videos/v1/master.m3u8', MASTER],
    ['videos/v1/master_thumbnails.m3u8', PLAYLIST],
  ]);
  const written: Array<{ key: string; contentType: string }> = [];
  const storage: TrackStorage = {
    read: async (key) => objects.get(key),
    write: async (key, body, contentType) => {
      objects.set(key, body);
      written.push({ key, contentType });
    },
  };
  expect(await writeThumbnailsTrack(storage, 'v1', 'videos/v1/master.m3u8')).toBe('videos/v1/thumbnails.vtt');
  expect(written).toEqual([{ key: 'videos/v1/thumbnails.vtt', contentType: 'text/vtt' }]);
  expect(objects.get('videos/v1/thumbnails.vtt')).toBe(thumbnailsVtt(PLAYLIST));

  objects.set('videos/v2/master.m3u8', MASTER.replace('URI="master_thumbnails.m3u8"', 'URI="thumbs/images.m3u8"'));
  objects.set('videos/v2/thumbs/images.m3u8', PLAYLIST);
  await writeThumbnailsTrack(storage, 'v2', 'videos/v2/master.m3u8');
  expect(objects.get('videos/v2/thumbnails.vtt')).toContain('thumbs/master_thumbnails_00001.jpg#xywh=0,0,320,180');

  objects.set('videos/v3/master.m3u8', '#EXTM3U\n');
  expect(await writeThumbnailsTrack(storage, 'v3', 'videos/v3/master.m3u8')).toBeUndefined();
});

test('the sandbox stand-in\'s images-only playlist reads back as the thumbnails it tiled', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { imagesOnlyPlaylist } = require('../../sandbox/mediaconvert/mediaconvert');
  const trickPlay = { interval: 2, width: 160, height: 90, columns: 2, rows: 2 };
  // 13 seconds at 2: seven thumbnails, and a third tile from the fps filter's frame at the very end, dropped.
  const { playlist, kept } = imagesOnlyPlaylist(trickPlay, ['m_thumbnails_00001.jpg', 'm_thumbnails_00002.jpg', 'm_thumbnails_00003.jpg'], 13);
  expect(kept).toEqual(['m_thumbnails_00001.jpg', 'm_thumbnails_00002.jpg']);
  expect(playlist).toContain('#EXT-X-IMAGES-ONLY');
  const cues = thumbnailsVtt(playlist).trim().split('\n\n').slice(1);
  expect(cues).toHaveLength(7);
  expect(cues[6]).toBe('00:00:12.000 --> 00:00:13.000\nm_thumbnails_00002.jpg#xywh=0,90,160,90');
});
