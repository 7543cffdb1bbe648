/**
 * What a cookie issuer needs to know to sign playback access for
 * SignedCookieDistribution: shared by the distribution, which sets these
 * variables on a function it grants (`grantSign`), and the signing module,
 * which reads them.
 */

/** Environment variables of a function that signs playback access. */
export const MEDIA_SIGNING_ENV = {
  /** The CloudFront public key id of the active signing key. */
  keyPairId: 'MEDIA_KEY_PAIR_ID',
  /** ARN of the secret whose value is the active private key, PEM. */
  privateKeySecretArn: 'MEDIA_SIGNING_SECRET_ARN',
} as const;

/** Media of video `<id>` lives under this path; cookies are scoped to it. */
export const MEDIA_PATH = (videoId: string) => `/videos/${videoId}/`;
