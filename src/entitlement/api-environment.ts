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
  /** Optional: the distribution whose cached media a deletion invalidates. */
  distributionId: 'MEDIA_DISTRIBUTION_ID',
  sessionSeconds: 'PLAYBACK_SESSION_SECONDS',
  sameSite: 'COOKIE_SAMESITE',
  stripeSecret: 'STRIPE_WEBHOOK_SECRET_ARN',
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
