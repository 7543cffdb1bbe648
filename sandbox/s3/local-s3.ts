import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { checkContentLength, verifyPostPolicy } from './post-policy';
import { Credentials, S3Refusal, verifySignedRequest } from './sigv4';

// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

/**
 * An S3-compatible server for tests and the sandbox: s3rver stores the
 * objects, and a front in this file checks what s3rver does not, the way S3
 * documents it: browser POST policies (signature, expiration, conditions,
 * content-length-range), presigned URLs (signature, signed headers, time
 * window), and the multipart operations s3rver lacks (ListParts, Abort).
 * Anonymous requests are refused, as for a private bucket.
 */
export interface LocalS3Options {
  readonly buckets: string[];
  /** The only credentials the server accepts. */
  readonly credentials: Credentials;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Where objects are stored. @default a new temporary directory, removed on close */
  readonly directory?: string;
  /** Origins allowed to upload from a browser (CORS, answered by the front as S3 would for a bucket's CORS rule). @default none */
  readonly allowedOrigins?: string[];
  /** Clock, for tests of time windows. */
  readonly now?: () => Date;
  /** Told of every object stored (a POST, a PUT, a completed multipart upload), as S3 tells EventBridge. */
  readonly onObjectCreated?: (bucket: string, key: string) => void;
}

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`: use with `forcePathStyle: true`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

interface UploadState {
  readonly bucket: string;
  readonly key: string;
  readonly parts: Map<number, { size: number; etag: string; lastModified: Date }>;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'local-s3-'));
  const scratch = mkdtempSync(join(tmpdir(), 'local-s3-post-'));
  const backend = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  const backendAddress: AddressInfo = await backend.run();
  const now = options.now ?? (() => new Date());
  const lookup = (id: string) => (id === options.credentials.accessKeyId ? options.credentials.secretAccessKey : undefined);
  const uploads = new Map<string, UploadState>();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) {
        send(res, { status: 500, code: 'InternalError', message: String(error) });
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const query = [...url.searchParams.entries()];
    const params = url.searchParams;
    const [, bucket, ...keyParts] = url.pathname.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    const method = req.method ?? 'GET';

    const origin = req.headers.origin;
    if (origin && (options.allowedOrigins ?? []).includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'ETag');
      res.setHeader('Vary', 'Origin');
      if (method === 'OPTIONS') {
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'POST, PUT, GET',
          'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
          'Access-Control-Max-Age': '3600',
        }).end();
        return;
      }
    } else if (method === 'OPTIONS') {
      return drainAndSend(req, res, { status: 403, code: 'AccessForbidden', message: 'CORSResponse: This CORS request is not allowed.' });
    }
    if (params.has('X-Amz-Algorithm') || req.headers.authorization) {
      const refusal = verifySignedRequest({ method, rawPath: url.pathname, query, headers: req.headers }, lookup, now());
      if (refusal) {
        return drainAndSend(req, res, refusal);
      }
      // Verified here; s3rver knows only its own fixed account, so it gets the request unsigned.
      delete req.headers.authorization;
    } else {
      if (method === 'POST' && keyParts.length === 0 && (req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
        return postObject(req, res, bucket);
      }
      return drainAndSend(req, res, { status: 403, code: 'AccessDenied', message: 'Access Denied' });
    }

    if (method === 'GET' && key === '' && params.has('versions')) {
      return listObjectVersions(req, res, bucket, params.get('prefix') ?? '');
    }

    const uploadId = params.get('uploadId');
    if (uploadId !== null) {
      const upload = uploads.get(uploadId);
      if (!upload || upload.bucket !== bucket || upload.key !== key) {
        return drainAndSend(req, res, {
          status: 404,
          code: 'NoSuchUpload',
          message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        });
      }
      if (method === 'GET') {
        return listParts(res, uploadId, upload, params);
      }
      if (method === 'DELETE') {
        uploads.delete(uploadId);
        res.writeHead(204).end();
        return;
      }
      if (method === 'PUT' && params.has('partNumber')) {
        const partNumber = Number(params.get('partNumber'));
        let size = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            size += chunk.length;
            done(null, chunk);
          },
        });
        const answer = await forward(req, res, counter);
        if (answer.statusCode === 200) {
          upload.parts.set(partNumber, { size, etag: String(answer.headers.etag ?? ''), lastModified: now() });
        }
        return;
      }
      if (method === 'POST') {
        const answer = await forward(req, res);
        if (answer.statusCode === 200) {
          uploads.delete(uploadId);
          notify(bucket, key);
        }
        return;
      }
    }
    if (method === 'POST' && params.has('uploads')) {
      const answer = await forward(req, res, undefined, true);
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(answer.body ?? '')?.[1];
      if (answer.statusCode === 200 && id) {
        uploads.set(id, { bucket, key, parts: new Map() });
      }
      return;
    }
    const answer = await forward(req, res);
    if (method === 'PUT' && answer.statusCode === 200 && keyParts.length > 0 && !params.has('tagging') && !req.headers['x-amz-copy-source']) {
      notify(bucket, key);
    }
  }

  function notify(bucket: string, key: string): void {
    if (options.onObjectCreated) {
      setImmediate(() => options.onObjectCreated!(bucket, key));
    }
  }

  /** Browser POST upload: policy first, then the file into scratch space, then into s3rver. Nothing is stored on refusal. */
  async function postObject(req: http.IncomingMessage, res: http.ServerResponse, bucket: string): Promise<void> {
    const fields = new Map<string, string>();
    let outcome: Promise<S3Refusal | { path: string; size: number; fields: Map<string, string> }> | undefined;
    const form = busboy({ headers: req.headers, limits: { fieldSize: 64 * 1024, files: 1 } });
    form.on('field', (name, value) => {
      if (!outcome) {
        fields.set(name.toLowerCase(), value);
      }
    });
    form.on('file', (name, stream) => {
      if (outcome || name !== 'file') {
        stream.resume();
        return;
      }
      const checked = verifyPostPolicy({ bucket, fields, lookup, now: now() });
      if ('refusal' in checked) {
        stream.resume();
        outcome = Promise.resolve(checked.refusal);
        return;
      }
      const range = checked.accepted.lengthRange;
      const path = join(scratch, `${process.hrtime.bigint()}`);
      let size = 0;
      let tooLarge = false;
      const limiter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (range && size > range.max) {
            tooLarge = true;
            done();
            return;
          }
          done(null, tooLarge ? undefined : chunk);
        },
      });
      outcome = pipeline(stream, limiter, createWriteStream(path)).then(() => {
        const refusal = checkContentLength(range, size);
        if (tooLarge || refusal) {
          rmSync(path, { force: true });
          return refusal!;
        }
        return { path, size, fields: new Map(fields) };
      });
    });
    await pipeline(req, form);
    const result = await (outcome ?? Promise.resolve<S3Refusal>({
      status: 400, code: 'InvalidArgument', message: 'POST requires exactly one file upload per request.',
    }));
    if ('code' in result) {
      return send(res, result);
    }
    try {
      const headers: http.OutgoingHttpHeaders = { 'content-length': result.size };
      for (const [name, value] of result.fields) {
        if (name === 'content-type' || name.startsWith('x-amz-meta-') || name === 'cache-control' || name === 'content-disposition') {
          headers[name] = value;
        }
      }
      const stored = await request({
        method: 'PUT', path: `/${bucket}/${encodeKey(result.fields.get('key')!)}`, headers,
      }, createReadStream(result.path));
      if (stored.statusCode !== 200) {
        res.writeHead(stored.statusCode, { 'content-type': 'application/xml' }).end(stored.body);
        return;
      }
      const status = Number(result.fields.get('success_action_status'));
      res.writeHead([200, 201].includes(status) ? status : 204, { ETag: String(stored.headers.etag ?? '') }).end();
      notify(bucket, result.fields.get('key')!);
    } finally {
      rmSync(result.path, { force: true });
    }
  }

  function listParts(res: http.ServerResponse, uploadId: string, upload: UploadState, params: URLSearchParams): void {
    const marker = Number(params.get('part-number-marker') ?? 0);
    const maxParts = Math.min(Number(params.get('max-parts') ?? 1000), 1000);
    const all = [...upload.parts.entries()].filter(([n]) => n > marker).sort(([a], [b]) => a - b);
    const page = all.slice(0, maxParts);
    const truncated = all.length > page.length;
    const xml = '<?xml version="1.0" encoding="UTF-8"?>' +
      '<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>${escapeXml(upload.bucket)}</Bucket><Key>${escapeXml(upload.key)}</Key><UploadId>${escapeXml(uploadId)}</UploadId>` +
      `<PartNumberMarker>${marker}</PartNumberMarker>` +
      (truncated ? `<NextPartNumberMarker>${page[page.length - 1][0]}</NextPartNumberMarker>` : '') +
      `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>` +
      page.map(([n, part]) =>
        `<Part><PartNumber>${n}</PartNumber><LastModified>${part.lastModified.toISOString()}</LastModified>` +
        `<ETag>${escapeXml(part.etag)}</ETag><Size>${part.size}</Size></Part>`).join('') +
      '</ListPartsResult>';
    res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
  }

  /** Sends the request on to s3rver and its answer back; optionally through `through`, optionally keeping the body. */
  async function forward(
    req: http.IncomingMessage, res: http.ServerResponse, through?: Transform, keepBody = false,
  ): Promise<{ statusCode: number; headers: http.IncomingHttpHeaders; body?: string }> {
    const body = through ? req.pipe(through) : req;
    const answer = await request({ method: req.method, path: unsignedPath(req.url ?? '/'), headers: req.headers }, body, keepBody ? undefined : res);
    if (keepBody) {
      res.writeHead(answer.statusCode, answer.headers).end(answer.body);
    }
    return answer;
  }

  /**
   * ListObjectVersions, which s3rver lacks: its objects are unversioned, so
   * each key has one version, `null`, as S3 answers for objects stored while
   * versioning was off.
   */
  async function listObjectVersions(req: http.IncomingMessage, res: http.ServerResponse, bucket: string, prefix: string): Promise<void> {
    const listing = await request({ method: 'GET', path: `/${bucket}?list-type=2&max-keys=1000&prefix=${encodeURIComponent(prefix)}`, headers: {} }, req);
    const entries = [...(listing.body ?? '').matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((match) => match[1]);
    const field = (entry: string, name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(entry)?.[1] ?? '';
    const versions = entries.map((entry) => `<Version><Key>${field(entry, 'Key')}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>`
      + `<LastModified>${field(entry, 'LastModified')}</LastModified><ETag>${field(entry, 'ETag')}</ETag><Size>${field(entry, 'Size')}</Size>`
      + '<StorageClass>STANDARD</StorageClass></Version>');
    res.writeHead(200, { 'content-type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?>'
      + `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${prefix}</Prefix>`
      + `<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${versions.join('')}</ListVersionsResult>`);
  }

  function request(
    opts: http.RequestOptions, body: NodeJS.ReadableStream, passTo?: http.ServerResponse,
  ): Promise<{ statusCode: number; headers: http.IncomingHttpHeaders; body?: string }> {
    return new Promise((resolve, reject) => {
      const outgoing = http.request({ ...opts, host: '127.0.0.1', port: backendAddress.port }, (incoming) => {
        const statusCode = incoming.statusCode ?? 500;
        if (passTo) {
          passTo.writeHead(statusCode, incoming.headers);
          incoming.pipe(passTo);
          incoming.on('end', () => resolve({ statusCode, headers: incoming.headers }));
          incoming.on('error', reject);
          return;
        }
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => resolve({ statusCode, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }));
        incoming.on('error', reject);
      });
      outgoing.on('error', reject);
      body.pipe(outgoing);
    });
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await backend.close();
      rmSync(scratch, { recursive: true, force: true });
      if (ownDirectory) {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}

function drainAndSend(req: http.IncomingMessage, res: http.ServerResponse, refusal: S3Refusal): void {
  req.resume();
  send(res, refusal);
}

function send(res: http.ServerResponse, refusal: S3Refusal): void {
  res.writeHead(refusal.status, { 'content-type': 'application/xml', 'connection': 'close' }).end(
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Error><Code>${refusal.code}</Code><Message>${escapeXml(refusal.message)}</Message></Error>`,
  );
}

/** The request path without the presigned-URL parameters, which s3rver would check against its own account. */
function unsignedPath(rawUrl: string): string {
  const url = new URL(rawUrl, 'http://local');
  // A bucket's own requests may come as `/<bucket>/?delete`: s3rver knows them only without the slash.
  url.pathname = url.pathname.replace(/^(\/[^/]+)\/$/, '$1');
  for (const name of [...url.searchParams.keys()]) {
    if (name.startsWith('X-Amz-')) {
      url.searchParams.delete(name);
    }
  }
  return `${url.pathname}${url.search}`;
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
