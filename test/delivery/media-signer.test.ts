import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeCloudFrontBase64, verifySignedRequest, wildcardMatch } from '../../sandbox/cloudfront/signed-requests';
import { MediaSigner } from '../../src/delivery/media-signer';

const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyPairId = 'K2JCJMDEHXQW5F';
const host = 'd111111abcdef8.cloudfront.net';
const now = new Date('2026-05-01T12:00:00Z');
const inTenMinutes = new Date(now.getTime() + 10 * 60_000);
const signer = new MediaSigner(privateKey, keyPairId);
const trustedKeys = new Map([[keyPairId, publicKey]]);

/** Splits Set-Cookie values into name, value and attributes. */
function parseSetCookies(setCookies: string[]) {
  return setCookies.map((header) => {
    const [pair, ...attributes] = header.split('; ');
    const index = pair.indexOf('=');
    return { name: pair.slice(0, index), value: pair.slice(index + 1), attributes };
  });
}

function cookieJar(setCookies: string[]): Record<string, string> {
  return Object.fromEntries(parseSetCookies(setCookies).map((cookie) => [cookie.name, cookie.value]));
}

describe('signed cookies, checked without the signer library', () => {
  const signed = signer.signedCookies({ host, videoId: 'v1', expiresAt: inTenMinutes }, now);
  const cookies = parseSetCookies(signed.setCookies);
  const jar = cookieJar(signed.setCookies);

  test('are the three CloudFront cookies, scoped to the video\'s path, Secure, HttpOnly, SameSite=Strict, expiring with the policy', () => {
    expect(cookies.map((cookie) => cookie.name)).toEqual(['CloudFront-Policy', 'CloudFront-Signature', 'CloudFront-Key-Pair-Id']);
    for (const cookie of cookies) {
      expect(cookie.attributes).toEqual(['Path=/videos/v1/', `Expires=${inTenMinutes.toUTCString()}`, 'Secure', 'HttpOnly', 'SameSite=Strict']);
      expect(cookie.value).toMatch(/^[A-Za-z0-9\-_~]+$/);
    }
    expect(jar['CloudFront-Key-Pair-Id']).toBe(keyPairId);
  });

  test('carry a custom policy whose only resource is https://<host>/videos/<id>/* until the expiry', () => {
    const policy = JSON.parse(decodeCloudFrontBase64(jar['CloudFront-Policy']).toString('utf8'));
    expect(policy).toEqual({
      Statement: [{ Resource: `https://${host}/videos/v1/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(inTenMinutes.getTime() / 1000) } } }],
    });
    expect(signed.resource).toBe(`https://${host}/videos/v1/*`);
  });

  test('are signed with RSA-SHA1 over the policy by the private key of the key pair', () => {
    const policyBytes = decodeCloudFrontBase64(jar['CloudFront-Policy']);
    const signature = decodeCloudFrontBase64(jar['CloudFront-Signature']);
    expect(verify('RSA-SHA1', policyBytes, createPublicKey(publicKey), signature)).toBe(true);
    expect(verify('RSA-SHA1', policyBytes, other.publicKey, signature)).toBe(false);
  });

  test('open every file of that video, and nothing of another', () => {
    const at = (path: string, when = now, keys = trustedKeys) => verifySignedRequest({ url: `https://${host}${path}`, cookies: jar, now: when, trustedKeys: keys });
    expect(at('/videos/v1/master.m3u8')).toEqual({ allowed: true, keyPairId });
    expect(at('/videos/v1/master_1920x1080_00001.ts').allowed).toBe(true);
    expect(at('/videos/v2/master.m3u8')).toMatchObject({ allowed: false, reason: expect.stringContaining('does not cover') });
    expect(at('/videos/v10/master.m3u8').allowed).toBe(false);
    expect(at('/videos/v1').allowed).toBe(false);
    expect(at('/posters/v1/poster.0000000.jpg').allowed).toBe(false);
    expect(verifySignedRequest({ url: 'https://other.example.com/videos/v1/master.m3u8', cookies: jar, now, trustedKeys }).allowed).toBe(false);
  });

  test('are refused once expired, for a key outside the key group, or with a tampered policy', () => {
    const url = `https://${host}/videos/v1/master.m3u8`;
    expect(verifySignedRequest({ url, cookies: jar, now: inTenMinutes, trustedKeys })).toEqual({ allowed: false, reason: 'the policy has expired' });
    expect(verifySignedRequest({ url, cookies: jar, now, trustedKeys: new Map([['OTHERKEY', publicKey]]) }).allowed).toBe(false);
    const forged = Buffer.from(JSON.stringify({
      Statement: [{ Resource: `https://${host}/videos/*`, Condition: { DateLessThan: { 'AWS:EpochTime': 4102444800 } } }],
    })).toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
    expect(verifySignedRequest({ url, cookies: { ...jar, 'CloudFront-Policy': forged }, now, trustedKeys }))
      .toMatchObject({ allowed: false, reason: expect.stringContaining('signature does not verify') });
  });

  test('a player on another site gets SameSite=None', () => {
    const crossSite = signer.signedCookies({ host, videoId: 'v1', expiresAt: inTenMinutes, sameSite: 'None' }, now);
    expect(crossSite.setCookies.every((header) => header.endsWith('SameSite=None'))).toBe(true);
  });
});

describe('signed URL for one file', () => {
  const url = `https://${host}/videos/v1/download.mp4`;
  const signedUrl = signer.signedUrl(url, inTenMinutes, now);

  test('carries a canned policy that opens that file until the expiry only', () => {
    const parsed = new URL(signedUrl);
    expect(parsed.searchParams.get('Expires')).toBe(String(Math.floor(inTenMinutes.getTime() / 1000)));
    expect(parsed.searchParams.get('Key-Pair-Id')).toBe(keyPairId);
    expect(verifySignedRequest({ url: signedUrl, cookies: {}, now, trustedKeys })).toEqual({ allowed: true, keyPairId });
    const anotherFile = signedUrl.replace('download.mp4', 'master.m3u8');
    expect(verifySignedRequest({ url: anotherFile, cookies: {}, now, trustedKeys }).allowed).toBe(false);
    expect(verifySignedRequest({ url: signedUrl, cookies: {}, now: inTenMinutes, trustedKeys }).allowed).toBe(false);
  });
});

describe('bound to the viewer\'s address', () => {
  const url = `https://${host}/videos/v1/master.m3u8`;
  const bound = cookieJar(signer.signedCookies({ host, videoId: 'v1', expiresAt: inTenMinutes, ipAddress: '203.0.113.7' }, now).setCookies);

  test('cookies carry an IpAddress condition for that one address, /32', () => {
    const policy = JSON.parse(decodeCloudFrontBase64(bound['CloudFront-Policy']).toString('utf8'));
    expect(policy.Statement[0].Condition).toEqual({
      DateLessThan: { 'AWS:EpochTime': Math.floor(inTenMinutes.getTime() / 1000) },
      IpAddress: { 'AWS:SourceIp': '203.0.113.7/32' },
    });
  });

  test('cookies open the video from that address only', () => {
    const from = (clientIp?: string) => verifySignedRequest({ url, cookies: bound, now, trustedKeys, clientIp });
    expect(from('203.0.113.7')).toEqual({ allowed: true, keyPairId });
    expect(from('203.0.113.8')).toMatchObject({ allowed: false, reason: expect.stringContaining('203.0.113.7/32') });
    expect(from(undefined).allowed).toBe(false);
  });

  test('a signed URL is a custom policy for that file, from that address only', () => {
    const download = `https://${host}/videos/v1/download.mp4`;
    const signedUrl = signer.signedUrl(download, inTenMinutes, now, '198.51.100.20');
    const parsed = new URL(signedUrl);
    expect(parsed.searchParams.get('Expires')).toBeNull();
    const policy = JSON.parse(decodeCloudFrontBase64(parsed.searchParams.get('Policy')!).toString('utf8'));
    expect(policy.Statement).toEqual([{
      Resource: download,
      Condition: {
        DateLessThan: { 'AWS:EpochTime': Math.floor(inTenMinutes.getTime() / 1000) }, IpAddress: { 'AWS:SourceIp': '198.51.100.20/32' },
      },
    }]);
    expect(verifySignedRequest({ url: signedUrl, cookies: {}, now, trustedKeys, clientIp: '198.51.100.20' }).allowed).toBe(true);
    expect(verifySignedRequest({ url: signedUrl, cookies: {}, now, trustedKeys, clientIp: '198.51.100.21' }).allowed).toBe(false);
    expect(verifySignedRequest({ url: signedUrl.replace('download.mp4', 'master.m3u8'), cookies: {}, now, trustedKeys, clientIp: '198.51.100.20' }).allowed).toBe(false);
  });

  test('a bound URL whose path the signer would encode is refused: the policy must name the URL it answers', () => {
    for (const name of ['a film.mp4', 'a+b.mp4', 'a%7eb.mp4', '%zz.mp4']) {
      expect(() => signer.signedUrl(`https://${host}/videos/v1/${name}`, inTenMinutes, now, '203.0.113.7')).toThrow('written as the signer encodes it');
    }
    const encoded = signer.signedUrl(`https://${host}/videos/v1/a%20film.mp4`, inTenMinutes, now, '203.0.113.7');
    const policy = JSON.parse(decodeCloudFrontBase64(new URL(encoded).searchParams.get('Policy')!).toString('utf8'));
    expect(encoded.split('?')[0]).toBe(policy.Statement[0].Resource);
    // Unbound, the signer writes its own canned policy over the URL it answers: a host in capitals is left as it is.
    expect(() => signer.signedUrl('https://Video.Example.com/videos/v1/download.mp4', inTenMinutes, now)).not.toThrow();
  });

  test.each(['2001:db8::1', '::ffff:203.0.113.7', '203.0.113.7/24', 'localhost', ''])('%p is not an address to bind to (IPv4 only)', (ipAddress) => {
    expect(() => signer.signedCookies({ host, videoId: 'v1', expiresAt: inTenMinutes, ipAddress }, now)).toThrow('ipAddress must be an IPv4 address');
    expect(() => signer.signedUrl(url, inTenMinutes, now, ipAddress)).toThrow('ipAddress must be an IPv4 address');
  });
});

describe('bad requests and keys', () => {
  test.each([
    [{ host: 'https://evil.example', videoId: 'v1', expiresAt: inTenMinutes }, 'host must be a host name'],
    [{ host: `${host}/x`, videoId: 'v1', expiresAt: inTenMinutes }, 'host must be a host name'],
    [{ host, videoId: '../v2', expiresAt: inTenMinutes }, 'invalid video id'],
    [{ host, videoId: 'v1', expiresAt: new Date(now.getTime() - 1) }, 'expiresAt must be within 24 hours from now'],
    [{ host, videoId: 'v1', expiresAt: new Date(now.getTime() + 25 * 3600_000) }, 'expiresAt must be within 24 hours from now'],
    [{ host, videoId: 'v1', expiresAt: new Date('nonsense') }, 'got an invalid date'],
  ])('%p is refused', (request, message) => {
    expect(() => signer.signedCookies(request, now)).toThrow(message);
  });

  test('signed URLs need https and no query', () => {
    expect(() => signer.signedUrl('http://x.example/a.mp4', inTenMinutes, now)).toThrow('url must be an https URL without a query');
    expect(() => signer.signedUrl('https://x.example/a.mp4?b=1', inTenMinutes, now)).toThrow('url must be an https URL without a query');
  });

  test('a secret that is not an RSA private key is refused without quoting it', () => {
    const notAKey = 'not-a-key-but-a-secret-value';
    expect(() => new MediaSigner(notAKey, keyPairId)).toThrow('the signing secret does not hold a PEM private key');
    try {
      new MediaSigner(notAKey, keyPairId);
    } catch (error) {
      expect(String(error)).not.toContain(notAKey);
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(() => new MediaSigner(ec.privateKey, keyPairId)).toThrow('CloudFront signing keys are RSA');
  });

  test('fromEnvironment reads the secret named in the environment, once', async () => {
    const secrets = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(secrets);
    mock.on(GetSecretValueCommand, { SecretId: 'arn:aws:secretsmanager:us-east-1:1:secret:key' }).resolves({ SecretString: privateKey });
    const fromEnv = await MediaSigner.fromEnvironment(secrets, { MEDIA_KEY_PAIR_ID: keyPairId, MEDIA_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:key' });
    fromEnv.signedCookies({ host, videoId: 'v1', expiresAt: inTenMinutes }, now);
    fromEnv.signedCookies({ host, videoId: 'v2', expiresAt: inTenMinutes }, now);
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(fromEnv.keyPairId).toBe(keyPairId);
    await expect(MediaSigner.fromEnvironment(secrets, {})).rejects.toThrow('MEDIA_KEY_PAIR_ID and MEDIA_SIGNING_SECRET_ARN must be set');
  });
});

describe('the CloudFront rules of the verifier', () => {
  test.each([
    ['https://h/videos/v1/*', 'https://h/videos/v1/a.ts', true],
    ['https://h/videos/v1/*', 'https://h/videos/v1/', true],
    ['https://h/videos/v1/*', 'https://h/videos/v10/a.ts', false],
    ['https://h/videos/v?/a.ts', 'https://h/videos/v2/a.ts', true],
    ['https://h/videos/v?/a.ts', 'https://h/videos/v22/a.ts', false],
    ['https://h/a.ts', 'https://h/aXts', false],
    ['*', 'https://anything/at/all', true],
  ])('%s covers %s: %p', (pattern, url, expected) => {
    expect(wildcardMatch(pattern, url)).toBe(expected);
  });
});

describe('custom policy conditions', () => {
  const toCloudFront = (buffer: Buffer) => buffer.toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
  function cookiesFor(condition: object) {
    const policy = JSON.stringify({ Statement: [{ Resource: `https://${host}/videos/v1/*`, Condition: condition }] });
    return {
      'CloudFront-Policy': toCloudFront(Buffer.from(policy)),
      'CloudFront-Signature': toCloudFront(sign('RSA-SHA1', Buffer.from(policy), privateKey)),
      'CloudFront-Key-Pair-Id': keyPairId,
    };
  }
  const url = `https://${host}/videos/v1/master.m3u8`;
  const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

  test('DateGreaterThan keeps a policy shut until its start', () => {
    const cookies = cookiesFor({ DateLessThan: { 'AWS:EpochTime': epoch(inTenMinutes) }, DateGreaterThan: { 'AWS:EpochTime': epoch(now) + 60 } });
    expect(verifySignedRequest({ url, cookies, now, trustedKeys })).toEqual({ allowed: false, reason: 'the policy is not valid yet' });
    expect(verifySignedRequest({ url, cookies, now: new Date(now.getTime() + 120_000), trustedKeys }).allowed).toBe(true);
  });

  test('IpAddress admits only viewers in the range', () => {
    const cookies = cookiesFor({ DateLessThan: { 'AWS:EpochTime': epoch(inTenMinutes) }, IpAddress: { 'AWS:SourceIp': '192.0.2.0/24' } });
    expect(verifySignedRequest({ url, cookies, now, trustedKeys, clientIp: '192.0.2.77' }).allowed).toBe(true);
    expect(verifySignedRequest({ url, cookies, now, trustedKeys, clientIp: '198.51.100.1' }).allowed).toBe(false);
    expect(verifySignedRequest({ url, cookies, now, trustedKeys }).allowed).toBe(false);
  });

  test('a policy without DateLessThan is refused', () => {
    expect(verifySignedRequest({ url, cookies: cookiesFor({}), now, trustedKeys })).toEqual({ allowed: false, reason: 'the policy has no DateLessThan' });
  });
});
