import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { compare } from './measure';
import { MediaSigner } from '../src/delivery/media-signer';

/**
 * The cookie-signing hot path (MediaSigner.signedCookies: policy, RSA-SHA1
 * signature, CloudFront base64, three Set-Cookie values) against its floor: a
 * bare crypto.sign over the same policy with a pre-parsed key.
 */
export function signingBenchmark() {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const signer = new MediaSigner(privateKey, 'K2JCJMDEHXQW5F');
  const key = createPrivateKey(privateKey);
  const expiresAt = new Date(Date.now() + 10 * 60_000);
  const request = { host: 'd111111abcdef8.cloudfront.net', videoId: 'video-1', expiresAt };
  const policy = JSON.stringify({
    Statement: [{ Resource: 'https://d111111abcdef8.cloudfront.net/videos/video-1/*', Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(expiresAt.getTime() / 1000) } } }],
  });
  const result = compare(
    () => signer.signedCookies(request),
    () => sign('RSA-SHA1', Buffer.from(policy), key),
  );
  return {
    name: 'signed cookies (MediaSigner) vs bare crypto.sign',
    subject: `${result.subjectMs.toFixed(3)} ms`,
    baseline: `${result.baselineMs.toFixed(3)} ms`,
    ratio: result.ratio,
    target: 1.5,
  };
}
