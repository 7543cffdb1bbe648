/**
 * The deployment's settings, read once from `/config.json` (written next to
 * index.html at deploy time, so one build serves every stack and the sandbox).
 */

export interface AppConfig {
  readonly region: string;
  /** The user pool app client (public, no secret: the app signs in with PKCE). */
  readonly clientId: string;
  /** Base of the OAuth endpoints: `${signInUrl}/oauth2/authorize`, `/oauth2/token`, `/logout`. No trailing slash. */
  readonly signInUrl: string;
  readonly issuer: string;
  /** Path of the HTTP API on this origin, for example `/api`. No trailing slash. */
  readonly apiPath: string;
  readonly scopes: readonly string[];
}

/** The configuration is missing, unreadable or not what the app expects. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const CONFIG_PATH = '/config.json';

type FetchLike = (url: string, init?: { cache?: 'no-cache'; credentials?: 'same-origin' }) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  text(): Promise<string>;
}>;

/** Fetches and validates the configuration; every failure is a {@link ConfigError} that says what is wrong. */
export async function loadConfig(fetchFn: FetchLike = (url, init) => fetch(url, init), path = CONFIG_PATH): Promise<AppConfig> {
  let response: Awaited<ReturnType<FetchLike>>;
  try {
    // Revalidate: a redeploy rewrites the file under the same name.
    response = await fetchFn(path, { cache: 'no-cache', credentials: 'same-origin' });
  } catch (error) {
    throw new ConfigError(`could not load ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) {
    throw new ConfigError(`could not load ${path}: the server answered ${response.status}`);
  }
  const body = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ConfigError(`${path} is not valid JSON`);
  }
  return parseConfig(value, path);
}

/** Checks a parsed configuration and normalises its URLs and paths. */
export function parseConfig(value: unknown, source = CONFIG_PATH): AppConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${source} must hold a JSON object, got ${describe(value)}`);
  }
  const record = value as Record<string, unknown>;
  const text = (field: string): string => {
    const raw = record[field];
    if (raw === undefined) {
      throw new ConfigError(`${source} lacks "${field}"`);
    }
    if (typeof raw !== 'string' || raw.trim() === '') {
      throw new ConfigError(`"${field}" in ${source} must be a non-empty string, got ${describe(raw)}`);
    }
    return raw.trim();
  };
  const url = (field: string): string => {
    const raw = text(field);
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(`"${field}" in ${source} must be an absolute URL, got ${JSON.stringify(raw)}`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new ConfigError(`"${field}" in ${source} must be an http(s) URL, got ${JSON.stringify(raw)}`);
    }
    return raw.replace(/\/+$/, '');
  };

  const apiPath = text('apiPath');
  if (!apiPath.startsWith('/') || apiPath.startsWith('//')) {
    throw new ConfigError(`"apiPath" in ${source} must be a path on this origin such as "/api", got ${JSON.stringify(apiPath)}`);
  }
  const scopes = record.scopes;
  if (scopes === undefined) {
    throw new ConfigError(`${source} lacks "scopes"`);
  }
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) {
    throw new ConfigError(`"scopes" in ${source} must be a non-empty array of scope names, got ${describe(scopes)}`);
  }
  return {
    region: text('region'),
    clientId: text('clientId'),
    signInUrl: url('signInUrl'),
    issuer: url('issuer'),
    apiPath: apiPath.replace(/\/+$/, '') || '/',
    scopes: scopes as string[],
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : `a ${typeof value}`;
}
