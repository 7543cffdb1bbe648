import { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import { join, normalize } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseCookieHeader, verifySignedRequest } from './signed-requests';
import { API_ROUTES, STRIPE_WEBHOOK_ROUTE } from '../../src/entitlement/api-routes';
import { HttpEvent, HttpResult } from '../../src/entitlement/http.lambda-shared';
import { contentType } from '../mediaconvert/mediaconvert';

/**
 * A stand-in for the platform's CloudFront distribution, on one origin:
 * `/api/*` to the API's handlers as API Gateway's payload 2.0 events,
 * `/videos/*` only to requests whose signed cookies (or signed URL) verify as
 * CloudFront checks them, `/posters/*` to anyone, and everything else to the
 * web page. `/auth/*` is the sandbox's stand-in for Cognito.
 */
export interface EdgeHandlers {
  readonly api: (event: HttpEvent) => Promise<HttpResult>;
  readonly webhook: (event: HttpEvent) => Promise<HttpResult>;
  /** Extra routes of the sandbox (sign-in, test events), answered before the platform's. */
  readonly sandbox: (req: http.IncomingMessage, body: string) => Promise<HttpResult | undefined>;
}

export interface EdgeOptions {
  readonly s3: S3Client;
  readonly mediaBucket: string;
  /** The key group: public keys by key pair id. */
  readonly trustedKeys: ReadonlyMap<string, KeyObject | string>;
  /** Folder of the web page's files. */
  readonly webRoot: string;
  /** Files served at fixed paths, e.g. `/vendor/hls.min.js`. */
  readonly assets: Readonly<Record<string, string>>;
  readonly now?: () => Date;
  /**
   * The code of a CloudFront Function (cloudfront-js-2.0) the `/api/*`
   * behaviour runs on each viewer request, as the distribution does; it may
   * change the request's headers.
   */
  readonly apiViewerRequestFunction?: string;
  /** Headers the `/api/*` behaviour's origin adds to every request it sends the API (CloudFront's origin custom headers). */
  readonly apiOriginHeaders?: Readonly<Record<string, string>>;
}

/** Behind CloudFront, API Gateway sees an edge server's address (here one of a documentation range), never the viewer's. */
const EDGE_SERVER_ADDRESS = '198.51.100.1';

/** A CloudFront Function's viewer-request event, as much of it as the platform's functions read. */
export interface FunctionEvent {
  readonly version: '1.0';
  readonly context: { readonly eventType: 'viewer-request' };
  readonly viewer: { readonly ip: string };
  readonly request: { method: string; uri: string; headers: Record<string, { value: string }> };
}

/** Runs a CloudFront Function's `handler` in this process: the function is the deployed code, unchanged. */
export function viewerRequestFunction(code: string): (event: FunctionEvent) => Promise<FunctionEvent['request']> {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const handler = new Function(`${code}\nreturn handler;`)() as (event: FunctionEvent) => Promise<FunctionEvent['request']>;
  return async (event) => handler(event);
}

/** The viewer's address as CloudFront reports it: an IPv4 viewer's in dotted form, never IPv4-mapped IPv6. */
function viewerIp(req: http.IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

const ROUTE_MATCHERS = [...API_ROUTES, STRIPE_WEBHOOK_ROUTE].map((routeKey) => {
  const [method, path] = routeKey.split(' ');
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/\{(\w+)\}/g, (_m, name) => {
    names.push(name);
    return '([^/]+)';
  })}$`);
  return { routeKey, method, pattern, names };
});

export class Edge {
  public handlers?: EdgeHandlers;
  public readonly server: http.Server;
  /** The edge cache of media and posters, by path, until their TTL or an invalidation. */
  private readonly cache = new Map<string, { body: Buffer; expiresAt: number }>();
  private readonly apiFunction?: (event: FunctionEvent) => Promise<FunctionEvent['request']>;
  /** Paths invalidated so far, as CloudFront received them. */
  public readonly invalidations: string[][] = [];

  constructor(private readonly options: EdgeOptions) {
    this.apiFunction = options.apiViewerRequestFunction ? viewerRequestFunction(options.apiViewerRequestFunction) : undefined;
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.handle(req, res, Buffer.concat(chunks)).catch((error) => {
          console.error('edge error', error);
          if (!res.headersSent) {
            res.writeHead(502, { 'content-type': 'text/plain' }).end('502 Bad Gateway');
          }
        });
      });
    });
  }

  /** A CloudFront invalidation: each path, or each path under a trailing `*`, leaves the cache. */
  public invalidate(paths: string[]): void {
    this.invalidations.push(paths);
    for (const path of paths) {
      for (const key of [...this.cache.keys()]) {
        if (path.endsWith('*') ? key.startsWith(path.slice(0, -1)) : key === path) {
          this.cache.delete(key);
        }
      }
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, rawBody: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const path = url.pathname;
    if (!this.handlers) {
      res.writeHead(503).end('starting');
      return;
    }
    const own = await this.handlers.sandbox(req, rawBody.toString('utf8'));
    if (own) {
      return send(res, own);
    }
    if (path.startsWith('/api/')) {
      const method = req.method ?? 'GET';
      const match = ROUTE_MATCHERS.map((route) => ({ route, found: route.method === method ? route.pattern.exec(path) : null })).find((m) => m.found);
      if (!match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      let headers: Record<string, string> = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'cookie').map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : value ?? '']));
      if (this.apiFunction) {
        const request = await this.apiFunction({
          version: '1.0',
          context: { eventType: 'viewer-request' },
          viewer: { ip: viewerIp(req) },
          request: { method, uri: path, headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, { value }])) },
        });
        headers = Object.fromEntries(Object.entries(request.headers).map(([name, { value }]) => [name, value]));
      }
      headers = { ...headers, ...this.options.apiOriginHeaders };
      const event: HttpEvent = {
        routeKey: match.route.routeKey,
        rawPath: path,
        headers,
        queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
        pathParameters: match.route.names.length > 0
          ? Object.fromEntries(match.route.names.map((name, i) => [name, decodeURIComponent(match.found![i + 1])]))
          : undefined,
        body: rawBody.length > 0 ? rawBody.toString('base64') : undefined,
        isBase64Encoded: rawBody.length > 0,
        cookies: req.headers.cookie ? req.headers.cookie.split(';').map((c) => c.trim()) : undefined,
        requestContext: { domainName: req.headers.host, http: { sourceIp: EDGE_SERVER_ADDRESS } },
      };
      const handler = match.route.routeKey === STRIPE_WEBHOOK_ROUTE ? this.handlers.webhook : this.handlers.api;
      return send(res, await handler(event));
    }
    if (path.startsWith('/videos/') || path.startsWith('/posters/')) {
      if (path.startsWith('/videos/')) {
        // CloudFront serves the platform over HTTPS only; the policy's resource names that URL.
        const verdict = verifySignedRequest({
          url: `https://${req.headers.host}${path}${url.search}`,
          cookies: parseCookieHeader(req.headers.cookie),
          now: (this.options.now ?? (() => new Date()))(),
          clientIp: viewerIp(req),
          trustedKeys: this.options.trustedKeys,
        });
        if (!verdict.allowed) {
          res.writeHead(403, { 'content-type': 'text/xml', 'x-sandbox-reason': verdict.reason }).end(
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>');
          return;
        }
      }
      // As CloudFront: signatures are checked on every request, then the object comes from the edge cache or the origin.
      const now = (this.options.now ?? (() => new Date()))().getTime();
      const maxAgeSeconds = path.endsWith('.m3u8') ? 30 : 86400;
      let cached = this.cache.get(path);
      if (!cached || cached.expiresAt <= now) {
        try {
          const key = decodeURIComponent(path.slice(1));
          const object = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.mediaBucket, Key: key }));
          cached = { body: Buffer.from(await object.Body!.transformToByteArray()), expiresAt: now + maxAgeSeconds * 1000 };
          this.cache.set(path, cached);
        } catch {
          this.cache.delete(path);
          res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
          return;
        }
      }
      res.writeHead(200, {
        'content-type': contentType(path),
        'cache-control': `max-age=${maxAgeSeconds}`,
        'content-length': String(cached.body.length),
      }).end(cached.body);
      return;
    }
    const asset = this.options.assets[path];
    const file = asset ?? join(this.options.webRoot, normalize(path === '/' ? '/index.html' : path).replace(/^(\.\.[/\\])+/, ''));
    if (file.startsWith(this.options.webRoot) || asset) {
      if (existsSync(file)) {
        const type = file.endsWith('.html') ? 'text/html; charset=utf-8' : file.endsWith('.js') ? 'text/javascript; charset=utf-8' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' }).end(readFileSync(file));
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
  }
}

function send(res: http.ServerResponse, result: HttpResult): void {
  const headers: http.OutgoingHttpHeaders = { ...result.headers };
  if (result.cookies && result.cookies.length > 0) {
    headers['set-cookie'] = result.cookies;
  }
  res.writeHead(result.statusCode, headers).end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}
