/**
 * How the API learns a viewer's IP address when playback cookies are bound
 * to it: shared by EntitlementApi, which puts a CloudFront Function on the
 * distribution's `/api/*` behaviour, and the API's handler, which reads the
 * header it sets.
 *
 * Behind CloudFront, API Gateway's `requestContext.http.sourceIp` is the
 * address of a CloudFront edge server, not of the viewer; a viewer-request
 * function sees the viewer's own (`event.viewer.ip`) and writes it to a header
 * of the request, replacing any header of that name the viewer sent
 * ("Add a True-Client-IP header to the request", CloudFront Functions
 * examples). The `/api/*` behaviour's origin request policy passes every
 * viewer header but Host on to the API; that the function's header counts
 * among them follows from CloudFront going on with the request the function
 * answers, as the guide describes viewer-request functions, rather than
 * from a sentence of its own.
 */

/** The request header that carries the viewer's address to the API; lower case, as API Gateway hands headers over. */
export const VIEWER_ADDRESS_HEADER = 'x-vod-viewer-address';

/**
 * The origin custom header the distribution adds to every request it sends
 * the API, holding a secret value: the API trusts the address header only on
 * requests that carry it, so a caller of the API's own endpoint, bypassing
 * CloudFront, cannot name an address ("Add custom headers to origin
 * requests": an origin can answer only requests with a header CloudFront
 * added, so users cannot bypass CloudFront). The value lives in Secrets
 * Manager; the template holds a dynamic reference to it, resolved at deploy.
 */
export const ORIGIN_VERIFY_HEADER = 'x-vod-origin-verify';

/**
 * Where the API takes the viewer's address from, as its environment names it:
 * the header the distribution's function sets, the API being served under
 * the distribution's `/api/*`. (Its cookies reach the media only from the
 * media's host, so a player never calls the API's own endpoint, whose
 * caller's address would be a proxy's.)
 */
export type ViewerAddressSource = 'cloudfront';

/**
 * The viewer-request function (cloudfront-js-2.0) of the `/api/*`
 * behaviour: sets the header to the viewer's address, overwriting whatever
 * a viewer sent under that name.
 */
export const VIEWER_ADDRESS_FUNCTION_CODE = [
  'async function handler(event) {',
  '  var request = event.request;',
  `  request.headers['${VIEWER_ADDRESS_HEADER}'] = { value: event.viewer.ip };`,
  '  return request;',
  '}',
].join('\n');
