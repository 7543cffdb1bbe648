/** Environment variables of the EntitlementApi handlers, set by the construct. */
export const API_ENV = {
  catalogTable: 'CATALOG_TABLE',
  entitlementsTable: 'ENTITLEMENTS_TABLE',
  issuer: 'JWT_ISSUER',
  clientId: 'JWT_CLIENT_ID',
  /** Optional; defaults to the issuer's `/.well-known/jwks.json`. */
  jwksUri: 'JWT_JWKS_URI',
  uploadIssuer: 'UPLOAD_ISSUER_FUNCTION',
  transcodeSubmit: 'TRANSCODE_SUBMIT_FUNCTION',
  mediaDomain: 'MEDIA_DOMAIN',
  /**
   * Optional: the pipeline's output bucket, where the API writes caption tracks
   * and rewrites master playlists; the caption routes answer 503 without it.
   */
  outputBucket: 'MEDIA_OUTPUT_BUCKET',
  /**
   * Optional: the distribution whose cached copies the status consumer
   * invalidates when a deleted video's files are gone, and the API when a
   * video's caption tracks change.
   */
  distributionId: 'MEDIA_DISTRIBUTION_ID',
  sessionSeconds: 'PLAYBACK_SESSION_SECONDS',
  /** Optional: the table of playback sessions held as leases; with `streamLimit`, a user's concurrent sessions are limited. */
  sessionsTable: 'PLAYBACK_SESSIONS_TABLE',
  /** Optional: how many playback sessions a signed-in user may hold at once. */
  streamLimit: 'STREAM_LIMIT',
  /** Optional: the pipeline's content keys, when it encrypts segments; the key route answers 404 without it. */
  contentKeysTable: 'CONTENT_KEYS_TABLE',
  /**
   * Optional: `cloudfront`, where the viewer's address comes from
   * when playback cookies are bound to it (see `ViewerAddressSource`); not
   * bound when unset.
   */
  viewerAddress: 'BIND_PLAYBACK_TO_VIEWER_ADDRESS',
  /**
   * Optional: the secret whose value the distribution sends in its origin
   * header; with `viewerAddress` `cloudfront`, the address header is trusted
   * only beside it.
   */
  originVerifySecret: 'ORIGIN_VERIFY_SECRET_ARN',
  sameSite: 'COOKIE_SAMESITE',
  stripeSecret: 'STRIPE_WEBHOOK_SECRET_ARN',
  /**
   * Optional: the secret holding Stripe's secret API key (`sk_...` or
   * `rk_...`). Without it there is no checkout (`GET /api/offers` says so and
   * the checkout routes answer 503).
   */
  stripeApiKey: 'STRIPE_API_KEY_SECRET_ARN',
  /** Optional: where Stripe's API is; defaults to `https://api.stripe.com` (a local stand-in sets its own). */
  stripeApiBase: 'STRIPE_API_BASE_URL',
  /**
   * Optional: the premium membership's price, JSON
   * `{"amount":999,"currency":"usd","interval":"month"}`; no premium offer without it.
   */
  premiumPrice: 'PREMIUM_PRICE',
  /**
   * Optional: the web app's URL, where Stripe sends the buyer back
   * (`<url>/#/watch/<id>?checkout=success`); defaults to `https://<media domain>`.
   */
  appUrl: 'APP_URL',
  metricsScope: 'METRICS_SCOPE',
} as const;

/** The API's custom metrics, named once for the handler and the construct. */
export const API_METRICS = {
  namespace: 'CdkSecureVod',
  service: 'entitlement',
  scopeDimension: 'Api',
  sessionsIssued: 'PlaybackSessionsIssued',
  sessionsDenied: 'PlaybackSessionsDenied',
} as const;

/** Handlers read their settings with it. */
export { requiredEnv } from '../internal/environment.lambda-shared';
