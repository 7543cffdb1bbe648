import { Api, ApiError, captionFormatOf, readAnswer } from '../../web/src/api';

const json = (status: number, body: unknown) => new Response(body === undefined ? null : JSON.stringify(body), { status });

describe('Api', () => {
  test('sends the bearer token and JSON, same-origin with credentials', async () => {
    const fetchFn = jest.fn(async () => json(201, { id: 'v1' }));
    const api = new Api('/api', { accessToken: async () => 'tok', afterUnauthorized: async () => false }, fetchFn);
    await expect(api.createVideo({ title: 'T' })).resolves.toEqual({ id: 'v1' });
    expect(fetchFn).toHaveBeenCalledWith('/api/videos', expect.objectContaining({
      method: 'POST',
      headers: { 'accept': 'application/json', 'authorization': 'Bearer tok', 'content-type': 'application/json' },
      body: '{"title":"T"}',
      credentials: 'same-origin',
    }));
  });

  test('a 401 refreshes the token once and tries again; a second 401 is the answer', async () => {
    const tokens = ['old', 'new'];
    const afterUnauthorized = jest.fn(async () => {
      tokens.shift();
      return true;
    });
    const fetchFn = jest.fn(async () => json(401, { error: { code: 'unauthorized', message: 'token expired' } }));
    const api = new Api('/api', { accessToken: async () => tokens[0], afterUnauthorized }, fetchFn);
    await expect(api.me()).rejects.toEqual(new ApiError(401, 'unauthorized', 'Token expired.'));
    expect(afterUnauthorized).toHaveBeenCalledTimes(1);
    expect(fetchFn).toHaveBeenCalledTimes(2);
    expect((fetchFn.mock.calls[1] as unknown[])[1]).toMatchObject({ headers: { authorization: 'Bearer new' } });
  });

  test('signed out: no token, no refresh', async () => {
    const afterUnauthorized = jest.fn(async () => true);
    const fetchFn = jest.fn(async () => json(401, { error: { code: 'sign-in-required', message: 'this video is for purchase; sign in' } }));
    const api = new Api('/api', { accessToken: async () => undefined, afterUnauthorized }, fetchFn);
    await expect(api.playback('v1')).rejects.toMatchObject({ status: 401, code: 'sign-in-required', message: 'This video is for purchase; sign in.' });
    expect(afterUnauthorized).not.toHaveBeenCalled();
  });

  test('paths and queries are encoded', async () => {
    const fetchFn = jest.fn(async () => json(200, { videos: [] }));
    const api = new Api('/api', { accessToken: async () => undefined, afterUnauthorized: async () => false }, fetchFn);
    await api.listVideos('a b&c', 10);
    await api.adminVideos('FAILED');
    await api.grant('user@x', 'premium', '2030-01-01T23:59:59Z');
    expect(fetchFn.mock.calls.map((call) => (call as unknown[])[0])).toEqual([
      '/api/videos?limit=10&cursor=a+b%26c', '/api/admin/videos?state=FAILED&limit=20', '/api/admin/users/user%40x/entitlements/premium',
    ]);
  });

  test('caption tracks: PUT the file as JSON under the language, DELETE by language, both encoded', async () => {
    const answer = { language: 'fr-CA', label: 'Français', cues: 2, captions: [{ language: 'fr-CA', label: 'Français' }] };
    const fetchFn = jest.fn(async (_url: string, init: RequestInit) => (init.method === 'DELETE' ? new Response(null, { status: 204 }) : json(200, answer)));
    const api = new Api('/api', { accessToken: async () => 'tok', afterUnauthorized: async () => false }, fetchFn);
    const content = 'WEBVTT\n\n00:00.500 --> 00:02.000\nBonjour\n';
    await expect(api.putCaptions('v 1', 'fr-CA', { label: 'Français', format: 'vtt', content })).resolves.toEqual(answer);
    await expect(api.deleteCaptions('v 1', 'fr-CA')).resolves.toBeUndefined();
    expect(fetchFn.mock.calls.map(([url, init]) => [url, init.method])).toEqual([
      ['/api/videos/v%201/captions/fr-CA', 'PUT'], ['/api/videos/v%201/captions/fr-CA', 'DELETE'],
    ]);
    expect(JSON.parse(String(fetchFn.mock.calls[0][1].body))).toEqual({ label: 'Français', format: 'vtt', content });
    expect(fetchFn.mock.calls[0][1].headers).toMatchObject({ 'authorization': 'Bearer tok', 'content-type': 'application/json' });
  });

  test('a refused caption file is an ApiError with the API\'s message', async () => {
    const fetchFn = jest.fn(async () => json(400, { error: { code: 'invalid-captions', message: 'line 3: malformed cue timing "0:01 -> 0:02"' } }));
    const api = new Api('/api', { accessToken: async () => 'tok', afterUnauthorized: async () => false }, fetchFn);
    await expect(api.putCaptions('v1', 'en', { label: 'English', format: 'srt', content: 'x' }))
      .rejects.toEqual(new ApiError(400, 'invalid-captions', 'Line 3: malformed cue timing "0:01 -> 0:02".'));
  });

  test('posters: PUT the time in seconds as { time }, DELETE to go back to the first frame', async () => {
    const fetchFn = jest.fn(async (_url: string, init: RequestInit) => json(200, init.method === 'PUT'
      ? { posterUrl: 'https://vod.example/posters/v1/picked-1.jpg', pickedPoster: { timeSeconds: 12, pickedAt: '2030-01-01T00:00:00.000Z' } }
      : { posterUrl: 'https://vod.example/posters/v1/poster.0000000.jpg' }));
    const api = new Api('/api', { accessToken: async () => 'tok', afterUnauthorized: async () => false }, fetchFn);
    await expect(api.pickPoster('v 1', 12)).resolves.toMatchObject({ pickedPoster: { timeSeconds: 12 } });
    await expect(api.resetPoster('v 1')).resolves.toEqual({ posterUrl: 'https://vod.example/posters/v1/poster.0000000.jpg' });
    expect(fetchFn.mock.calls.map(([url, init]) => [url, init.method, init.body])).toEqual([
      ['/api/videos/v%201/poster', 'PUT', '{"time":12}'], ['/api/videos/v%201/poster', 'DELETE', undefined],
    ]);
  });

  test('a network failure becomes an ApiError with status 0', async () => {
    const api = new Api('/api', { accessToken: async () => undefined, afterUnauthorized: async () => false }, async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.offers()).rejects.toMatchObject({ status: 0, code: 'network' });
  });
});

describe('captionFormatOf', () => {
  test('the format by the file name\'s extension, in any case; anything else is undefined', () => {
    expect(['a.vtt', 'b.SRT', 'c.en.Vtt', 'd.txt', 'vtt', 'e.vtt.zip', ''].map(captionFormatOf))
      .toEqual(['vtt', 'srt', 'vtt', undefined, undefined, undefined, undefined]);
  });
});

describe('readAnswer', () => {
  test('the rest of an error object is kept: a 429 lists the sessions to stop', async () => {
    const sessions = [{ sessionId: 's-1', device: 'Chrome on Linux', videoId: 'v1', videoTitle: 'A film', startedAt: '2030-01-01T00:00:00.000Z' }];
    const answer = json(429, { error: { code: 'too-many-streams', message: 'stop one', limit: 3, sessions } });
    const refused = await readAnswer<unknown>(answer).then(() => undefined, (error: unknown) => error as ApiError);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused?.details).toMatchObject({ limit: 3, sessions });
  });

  test('204 is no body; errors without JSON say the status', async () => {
    await expect(readAnswer(new Response(null, { status: 204 }))).resolves.toBeUndefined();
    await expect(readAnswer(new Response('<html>', { status: 502 }))).rejects.toEqual(new ApiError(502, 'http-502', 'The server answered 502; try again in a moment.'));
    await expect(readAnswer(json(409, { error: { code: 'not-for-sale', message: 'not for sale.' } }))).rejects.toEqual(new ApiError(409, 'not-for-sale', 'Not for sale.'));
  });
});
