import { MAX_PART_URLS_PER_ANSWER } from '../../src/contracts/upload-messages';
import {
  checkResume, MAX_PART_URLS_PER_REQUEST, partsToUpload, planParts, requestFor, retryDelayMs, storedBytes, urlRequests, urlsExpired,
} from '../../web/src/upload-plan';

const MiB = 1024 * 1024;

describe('planParts', () => {
  test('cuts the file in partSize pieces; the last holds the rest', () => {
    const size = 25 * MiB + 123;
    const plan = planParts(size, 8 * MiB);
    expect(plan.map((part) => part.partNumber)).toEqual([1, 2, 3, 4]);
    expect(plan[0]).toEqual({ partNumber: 1, start: 0, end: 8 * MiB, size: 8 * MiB });
    expect(plan[2]).toEqual({ partNumber: 3, start: 16 * MiB, end: 24 * MiB, size: 8 * MiB });
    expect(plan[3]).toEqual({ partNumber: 4, start: 24 * MiB, end: size, size: MiB + 123 });
    expect(plan.reduce((sum, part) => sum + part.size, 0)).toBe(size);
  });

  test('part n holds bytes [(n-1)*partSize, min(n*partSize, size)) and the parts tile the file', () => {
    const size = 1_000_003;
    const partSize = 65_536;
    const plan = planParts(size, partSize);
    expect(plan).toHaveLength(Math.ceil(size / partSize));
    plan.forEach((part, index) => {
      expect(part.start).toBe(index * partSize);
      expect(part.end).toBe(Math.min((index + 1) * partSize, size));
      if (index > 0) expect(part.start).toBe(plan[index - 1].end);
    });
  });

  test('a size that is a multiple of partSize ends with a full part', () => {
    const plan = planParts(3 * MiB, MiB);
    expect(plan).toHaveLength(3);
    expect(plan[2].size).toBe(MiB);
  });

  test('a file smaller than a part is one part', () => {
    expect(planParts(10, MiB)).toEqual([{ partNumber: 1, start: 0, end: 10, size: 10 }]);
  });

  test.each([[0, MiB], [-1, MiB], [1.5, MiB], [10, 0], [10, Number.NaN]])('refuses size %p with part size %p', (size, partSize) => {
    expect(() => planParts(size, partSize)).toThrow(RangeError);
  });
});

describe('partsToUpload', () => {
  const plan = planParts(10 * MiB + 5, 2 * MiB); // 6 parts, the last 5 bytes

  test('skips the parts S3 holds with the planned size', () => {
    const stored = [{ partNumber: 1, size: 2 * MiB }, { partNumber: 3, size: 2 * MiB }, { partNumber: 6, size: 5 }];
    expect(partsToUpload(plan, stored).map((part) => part.partNumber)).toEqual([2, 4, 5]);
    expect(storedBytes(plan, stored)).toBe(4 * MiB + 5);
  });

  test('sends again a part S3 holds with another size', () => {
    const stored = [{ partNumber: 1, size: 2 * MiB - 1 }, { partNumber: 2, size: 2 * MiB }, { partNumber: 6, size: 2 * MiB }];
    expect(partsToUpload(plan, stored).map((part) => part.partNumber)).toEqual([1, 3, 4, 5, 6]);
  });

  test('ignores stored parts outside the plan', () => {
    expect(partsToUpload(plan, [{ partNumber: 7, size: 5 }])).toHaveLength(6);
  });

  test('nothing to send when every part is stored', () => {
    expect(partsToUpload(plan, plan.map(({ partNumber, size }) => ({ partNumber, size })))).toEqual([]);
  });
});

describe('urlRequests', () => {
  test('the web app asks for no more URLs at once than the issuer answers', () => {
    expect(MAX_PART_URLS_PER_REQUEST).toBe(MAX_PART_URLS_PER_ANSWER);
  });

  test('one request per run of consecutive parts, none over 100', () => {
    const parts = Array.from({ length: 250 }, (_, i) => i + 1);
    expect(urlRequests(parts)).toEqual([
      { firstPartNumber: 1, count: 100 },
      { firstPartNumber: 101, count: 100 },
      { firstPartNumber: 201, count: 50 },
    ]);
  });

  test('a gap (a stored part) splits the run, so no stored part is signed again', () => {
    expect(urlRequests([2, 3, 4, 7, 9, 10])).toEqual([
      { firstPartNumber: 2, count: 3 },
      { firstPartNumber: 7, count: 1 },
      { firstPartNumber: 9, count: 2 },
    ]);
  });

  test('order and duplicates do not matter', () => {
    expect(urlRequests([5, 3, 4, 4, 3])).toEqual([{ firstPartNumber: 3, count: 3 }]);
  });

  test('no parts, no requests; a smaller maximum is honoured', () => {
    expect(urlRequests([])).toEqual([]);
    expect(urlRequests([1, 2, 3, 4, 5], 2)).toEqual([
      { firstPartNumber: 1, count: 2 }, { firstPartNumber: 3, count: 2 }, { firstPartNumber: 5, count: 1 },
    ]);
    expect(() => urlRequests([1], 101)).toThrow(RangeError);
  });

  test('every request covers only wanted parts and all are covered', () => {
    const wanted = [1, 2, 3, 50, 51, 52, 53, 200, ...Array.from({ length: 130 }, (_, i) => 300 + i)];
    const requests = urlRequests(wanted);
    for (const request of requests) {
      expect(request.count).toBeLessThanOrEqual(100);
      for (let n = request.firstPartNumber; n < request.firstPartNumber + request.count; n++) expect(wanted).toContain(n);
    }
    for (const n of wanted) expect(requestFor(requests, n)).toBeDefined();
    expect(requestFor(requests, 4)).toBeUndefined();
  });
});

describe('urlsExpired', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  test('renews a minute before expiry, and when unknown or unreadable', () => {
    expect(urlsExpired('2030-01-01T00:05:00Z', now)).toBe(false);
    expect(urlsExpired('2030-01-01T00:01:00Z', now)).toBe(true);
    expect(urlsExpired('2029-12-31T23:59:00Z', now)).toBe(true);
    expect(urlsExpired(undefined, now)).toBe(true);
    expect(urlsExpired('soon', now)).toBe(true);
  });
});

describe('retryDelayMs', () => {
  test('doubles from one second up to thirty, with jitter within ±25 %', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((attempt) => retryDelayMs(attempt, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(retryDelayMs(1, () => 0)).toBe(750);
    expect(retryDelayMs(1, () => 1)).toBe(1250);
  });
});

describe('checkResume', () => {
  const upload = { size: 1000, contentType: 'video/mp4' };
  const file = { name: 'clip.mp4', size: 1000, type: 'video/mp4', lastModified: 42 };

  test('the same file resumes', () => {
    expect(checkResume(upload, file, file)).toEqual({ ok: true, sameAsRemembered: true });
    expect(checkResume(upload, file, undefined)).toEqual({ ok: true, sameAsRemembered: true });
  });

  test('another size or type cannot resume, and says why', () => {
    expect(checkResume(upload, { ...file, size: 999 })).toEqual({ ok: false, reason: 'this file has 999 bytes; the interrupted upload has 1,000 bytes' });
    expect(checkResume(upload, { ...file, type: 'video/quicktime' })).toMatchObject({ ok: false });
  });

  test('the same size and type with another name or date resumes with a warning', () => {
    expect(checkResume(upload, { ...file, name: 'other.mp4' }, file)).toEqual({ ok: true, sameAsRemembered: false });
    expect(checkResume(upload, { ...file, lastModified: 43 }, file)).toEqual({ ok: true, sameAsRemembered: false });
  });
});
