/**
 * The routes of the HTTP API, shared by the construct (which defines them on
 * API Gateway) and the handler (which must answer every one of them).
 */
export const API_ROUTES = [
  'GET /api/videos',
  'POST /api/videos',
  'GET /api/videos/{videoId}',
  'PATCH /api/videos/{videoId}',
  'DELETE /api/videos/{videoId}',
  'POST /api/videos/{videoId}/upload',
  'POST /api/videos/{videoId}/upload/parts',
  'POST /api/videos/{videoId}/upload/complete',
  'POST /api/videos/{videoId}/upload/abort',
  'POST /api/videos/{videoId}/publish',
  'POST /api/videos/{videoId}/unpublish',
  'POST /api/videos/{videoId}/retry',
  'POST /api/videos/{videoId}/playback',
  'POST /api/videos/{videoId}/download',
  'GET /api/videos/{videoId}/key',
  'GET /api/videos/{videoId}/upload',
  'POST /api/videos/{videoId}/checkout',
  'PUT /api/videos/{videoId}/captions/{language}',
  'DELETE /api/videos/{videoId}/captions/{language}',
  'PUT /api/videos/{videoId}/poster',
  'DELETE /api/videos/{videoId}/poster',
  'GET /api/offers',
  'GET /api/me',
  'GET /api/me/videos',
  'GET /api/me/sessions',
  'DELETE /api/me/sessions/{sessionId}',
  'POST /api/me/premium/checkout',
  'GET /api/admin/users/{userId}',
  'PUT /api/admin/users/{userId}/entitlements/{entitlementId}',
  'DELETE /api/admin/users/{userId}/entitlements/{entitlementId}',
  'DELETE /api/admin/users/{userId}/sessions',
  'GET /api/admin/videos',
  'POST /api/admin/videos/{videoId}/restore',
] as const;

export type ApiRouteKey = typeof API_ROUTES[number];

/** Stripe's webhook, answered by its own function. */
export const STRIPE_WEBHOOK_ROUTE = 'POST /api/webhooks/stripe';
