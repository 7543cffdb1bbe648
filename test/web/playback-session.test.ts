import { ApiError } from '../../web/src/api';
import { PlaybackGrant, PlaybackSession, waitUntilGranted } from '../../web/src/playback-session';

const grant = (refreshAfterSeconds = 240): PlaybackGrant => ({
  playlistUrl: 'https://vod.example.com/videos/v1/master.m3u8',
  expiresAt: '2030-01-01T00:05:00.000Z',
  refreshAfterSeconds,
});

/** Lets the promise callbacks queued so far run (fake timers do not advance them). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('PlaybackSession', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('renews at refreshAfterSeconds, then again after each new grant', async () => {
    const request = jest.fn().mockResolvedValueOnce(grant(240)).mockResolvedValueOnce(grant(100)).mockResolvedValue(grant(100));
    const onRenewed = jest.fn();
    const session = new PlaybackSession({ request, onRenewed });

    await session.start();
    expect(request).toHaveBeenCalledTimes(1);

    jest.advanceTimersByTime(239_999);
    expect(request).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    expect(request).toHaveBeenCalledTimes(2);
    await settle();
    expect(onRenewed).toHaveBeenCalledTimes(1);

    // The second grant said 100 s.
    jest.advanceTimersByTime(99_999);
    expect(request).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(1);
    expect(request).toHaveBeenCalledTimes(3);
    session.dispose();
  });

  test('a renewal refused because the session was stopped elsewhere ends it: no more tries, onEnded told once', async () => {
    const ended = new ApiError(409, 'session-ended', 'This playback session has ended.');
    const request = jest.fn().mockResolvedValueOnce(grant(10)).mockRejectedValue(ended);
    const onError = jest.fn();
    const onEnded = jest.fn();
    const session = new PlaybackSession({ request, onError, onEnded, isEnded: (error) => (error as ApiError).code === 'session-ended' });
    await session.start();
    jest.advanceTimersByTime(10_000);
    await settle();
    expect(onEnded).toHaveBeenCalledWith(ended);
    expect(onError).not.toHaveBeenCalled();
    expect(session.disposed).toBe(true);
    jest.advanceTimersByTime(600_000);
    expect(request).toHaveBeenCalledTimes(2);
    // A 403 from the media asks once more; an ended session says no without asking.
    expect(await session.renewAfterForbidden()).toBe(false);
    expect(request).toHaveBeenCalledTimes(2);
    expect(onEnded).toHaveBeenCalledTimes(1);
  });

  test('a renewal after a 403 from the media that finds the session stopped ends it too', async () => {
    const request = jest.fn().mockResolvedValueOnce(grant(240)).mockRejectedValue(new ApiError(409, 'session-ended', 'ended'));
    const onEnded = jest.fn();
    const session = new PlaybackSession({ request, onEnded, isEnded: (error) => (error as ApiError).code === 'session-ended' });
    await session.start();
    expect(await session.renewAfterForbidden()).toBe(false);
    expect(onEnded).toHaveBeenCalledTimes(1);
    expect(session.disposed).toBe(true);
  });

  test('never renews sooner than the minimum, whatever the answer says', async () => {
    const request = jest.fn().mockResolvedValue(grant(0));
    const session = new PlaybackSession({ request, minimumSeconds: 5 });
    await session.start();
    jest.advanceTimersByTime(4_999);
    expect(request).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    expect(request).toHaveBeenCalledTimes(2);
    session.dispose();
  });

  test('a 403 renews once; another 403 before media loads again does not', async () => {
    const request = jest.fn().mockResolvedValue(grant());
    const session = new PlaybackSession({ request });
    await session.start();

    await expect(session.renewAfterForbidden()).resolves.toBe(true);
    expect(request).toHaveBeenCalledTimes(2);
    await expect(session.renewAfterForbidden()).resolves.toBe(false);
    expect(request).toHaveBeenCalledTimes(2);

    // Media loaded with the new cookies: a later 403 may renew again.
    session.noteLoaded();
    await expect(session.renewAfterForbidden()).resolves.toBe(true);
    expect(request).toHaveBeenCalledTimes(3);
    session.dispose();
  });

  test('403s that arrive together share one renewal', async () => {
    let resolve!: (value: PlaybackGrant) => void;
    const request = jest.fn().mockResolvedValueOnce(grant()).mockImplementationOnce(() => new Promise((r) => {
      resolve = r;
    }));
    const session = new PlaybackSession({ request });
    await session.start();
    const first = session.renewAfterForbidden();
    const second = session.renewAfterForbidden();
    resolve(grant());
    await expect(Promise.all([first, second])).resolves.toEqual([true, true]);
    expect(request).toHaveBeenCalledTimes(2);
    session.dispose();
  });

  test('a renewal after a 403 restarts the schedule from the new grant', async () => {
    const request = jest.fn().mockResolvedValue(grant(240));
    const session = new PlaybackSession({ request });
    await session.start();
    jest.advanceTimersByTime(200_000);
    await session.renewAfterForbidden();
    expect(request).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(239_999);
    expect(request).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(1);
    expect(request).toHaveBeenCalledTimes(3);
    session.dispose();
  });

  test('a failed 403 renewal answers false', async () => {
    const request = jest.fn().mockResolvedValueOnce(grant()).mockRejectedValueOnce(new ApiError(403, 'not-entitled', 'no'));
    const session = new PlaybackSession({ request });
    await session.start();
    await expect(session.renewAfterForbidden()).resolves.toBe(false);
    session.dispose();
  });

  test('stops renewing once disposed, and ignores an answer that arrives after', async () => {
    let resolve!: (value: PlaybackGrant) => void;
    const request = jest.fn().mockResolvedValueOnce(grant(60)).mockImplementationOnce(() => new Promise((r) => {
      resolve = r;
    })).mockResolvedValue(grant(60));
    const onRenewed = jest.fn();
    const session = new PlaybackSession({ request, onRenewed });
    await session.start();
    jest.advanceTimersByTime(60_000);
    expect(request).toHaveBeenCalledTimes(2);
    session.dispose();
    resolve(grant(60));
    await settle();
    expect(onRenewed).not.toHaveBeenCalled();
    jest.advanceTimersByTime(3_600_000);
    expect(request).toHaveBeenCalledTimes(2);
    expect(jest.getTimerCount()).toBe(0);
    await expect(session.renewAfterForbidden()).resolves.toBe(false);
    expect(request).toHaveBeenCalledTimes(2);
  });

  test('a failed scheduled renewal is reported and tried again', async () => {
    const failure = new ApiError(0, 'network', 'offline');
    const request = jest.fn().mockResolvedValueOnce(grant(60)).mockRejectedValueOnce(failure).mockResolvedValue(grant(60));
    const onError = jest.fn();
    const session = new PlaybackSession({ request, onError, retrySeconds: 10 });
    await session.start();
    jest.advanceTimersByTime(60_000);
    await settle();
    expect(onError).toHaveBeenCalledWith(failure);
    jest.advanceTimersByTime(10_000);
    expect(request).toHaveBeenCalledTimes(3);
    session.dispose();
  });

  test('start rejects with the API refusal and schedules nothing', async () => {
    const refusal = new ApiError(401, 'sign-in-required', 'sign in');
    const session = new PlaybackSession({ request: jest.fn().mockRejectedValue(refusal) });
    await expect(session.start()).rejects.toBe(refusal);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('waitUntilGranted', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const notEntitled = new ApiError(403, 'not-entitled', 'this video needs a purchase');
  const isPending = (error: unknown) => error instanceof ApiError && error.status === 403;

  test('asks every 2 s until the grant comes', async () => {
    const request = jest.fn().mockRejectedValueOnce(notEntitled).mockRejectedValueOnce(notEntitled).mockResolvedValue('granted');
    const result = waitUntilGranted(request, { isPending });
    await jest.advanceTimersByTimeAsync(1_999);
    expect(request).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(request).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(2_000);
    await expect(result).resolves.toBe('granted');
    expect(request).toHaveBeenCalledTimes(3);
  });

  test('gives up after a minute with the last refusal', async () => {
    const request = jest.fn().mockRejectedValue(notEntitled);
    const result = waitUntilGranted(request, { isPending });
    const outcome = expect(result).rejects.toBe(notEntitled);
    await jest.advanceTimersByTimeAsync(60_000);
    await outcome;
    expect(request).toHaveBeenCalledTimes(31);
  });

  test('stops at once on a refusal that waiting cannot change', async () => {
    const missing = new ApiError(404, 'not-found', 'no such video');
    const request = jest.fn().mockRejectedValue(missing);
    await expect(waitUntilGranted(request, { isPending })).rejects.toBe(missing);
    expect(request).toHaveBeenCalledTimes(1);
  });
});
