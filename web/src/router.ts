/**
 * Hash routes. The app routes on the fragment because `/videos/*` (and
 * `/posters/*`, `/api/*`) belong to the platform's other origins behind the
 * same domain; a query string may follow inside the hash.
 */

export type Route =
  | { readonly name: 'catalog' }
  | { readonly name: 'watch'; readonly videoId: string }
  | { readonly name: 'studio' }
  | { readonly name: 'studio-video'; readonly videoId: string }
  | { readonly name: 'admin' }
  | { readonly name: 'not-found'; readonly path: string };

export interface Location {
  readonly route: Route;
  /** Parameters after `?` inside the hash, e.g. `checkout=success`. */
  readonly query: Readonly<Record<string, string>>;
}

/** Video ids as the API issues them. */
const VIDEO_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function parseHash(hash: string): Location {
  const raw = hash.replace(/^#/, '');
  const questionMark = raw.indexOf('?');
  const path = (questionMark >= 0 ? raw.slice(0, questionMark) : raw) || '/';
  const query: Record<string, string> = {};
  if (questionMark >= 0) {
    new URLSearchParams(raw.slice(questionMark + 1)).forEach((value, key) => {
      query[key] = value;
    });
  }
  const segments = path.split('/').filter((segment) => segment !== '').map(safeDecode);
  return { route: match(segments, path), query };
}

function match(segments: Array<string | undefined>, path: string): Route {
  const [first, second, ...rest] = segments;
  const notFound: Route = { name: 'not-found', path };
  if (rest.length > 0 || segments.includes(undefined)) return notFound;
  if (first === undefined) return { name: 'catalog' };
  if (first === 'watch' && second !== undefined && VIDEO_ID.test(second)) return { name: 'watch', videoId: second };
  if (first === 'studio' && second === undefined) return { name: 'studio' };
  if (first === 'studio' && second !== undefined && VIDEO_ID.test(second)) return { name: 'studio-video', videoId: second };
  if (first === 'admin' && second === undefined) return { name: 'admin' };
  return notFound;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The hash of a route, with an optional query. */
export function hrefFor(route: Route, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query).toString();
  const suffix = search ? `?${search}` : '';
  switch (route.name) {
    case 'catalog': return `#/${suffix}`;
    case 'watch': return `#/watch/${encodeURIComponent(route.videoId)}${suffix}`;
    case 'studio': return `#/studio${suffix}`;
    case 'studio-video': return `#/studio/${encodeURIComponent(route.videoId)}${suffix}`;
    case 'admin': return `#/admin${suffix}`;
    case 'not-found': return `#${route.path}${suffix}`;
  }
}

/** The top-level section a route belongs to, for the navigation's `aria-current`. */
export function sectionOf(route: Route): 'catalog' | 'studio' | 'admin' | undefined {
  switch (route.name) {
    case 'catalog':
    case 'watch':
      return 'catalog';
    case 'studio':
    case 'studio-video':
      return 'studio';
    case 'admin':
      return 'admin';
    default:
      return undefined;
  }
}
