import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * The AWS APIs the handlers call besides S3 and DynamoDB, on one loopback
 * server that each SDK client reaches through its standard endpoint variable
 * (AWS_ENDPOINT_URL_LAMBDA, _SECRETS_MANAGER, _EVENTBRIDGE, _MEDIACONVERT):
 * Lambda Invoke, Secrets Manager GetSecretValue, EventBridge PutEvents, and
 * MediaConvert Probe, CreateJob, GetJob and SearchJobs, and CloudFront
 * CreateInvalidation (AWS_ENDPOINT_URL_CLOUDFRONT). Each speaks its service's wire protocol.
 */
export interface ServiceHooks {
  /** Lambda functions by name, invoked synchronously. */
  readonly functions: ReadonlyMap<string, (event: unknown) => Promise<unknown>>;
  /** Runs a function asynchronously (InvocationType Event), as Lambda does. */
  readonly invokeAsync: (name: string, event: unknown) => void;
  /** Secret values by ARN or name. */
  readonly secrets: ReadonlyMap<string, string>;
  /** EventBridge entries, as PutEvents receives them. */
  readonly putEvents: (entries: Array<{ Source: string; DetailType: string; Detail: string; EventBusName?: string }>) => void;
  /** MediaConvert Probe: camelCase request, camelCase answer. */
  readonly probe: (request: { inputFiles: Array<{ fileUrl: string }> }) => Promise<unknown>;
  /** MediaConvert CreateJob: camelCase request, answers the job. */
  readonly createJob: (request: Record<string, any>) => Promise<Record<string, unknown>>;
  /** MediaConvert GetJob: answers the job. */
  readonly getJob: (id: string) => Record<string, unknown>;
  /** MediaConvert SearchJobs: the query string, answers `{ jobs, nextToken }`. */
  readonly searchJobs: (query: URLSearchParams) => Record<string, unknown>;
  /** CloudFront CreateInvalidation: the distribution and its paths (`/videos/<id>/*`). */
  readonly invalidate?: (distributionId: string, paths: string[], callerReference: string) => void;
  /** Amazon Transcribe (JSON 1.1): the operation (`StartTranscriptionJob`, `GetTranscriptionJob`) and its request; answers its response. */
  readonly transcribe?: (operation: string, request: Record<string, any>) => Promise<Record<string, unknown>>;
}

/** A service's error: thrown by a hook, answered with its status and the error type its SDK raises. */
interface ServiceError { readonly name: string; readonly status: number; readonly message: string }

function isServiceError(error: unknown): error is ServiceError {
  return typeof (error as ServiceError)?.status === 'number' && typeof (error as ServiceError)?.name === 'string';
}

export interface ServicesServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startServices(hooks: ServiceHooks): Promise<ServicesServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8'))
        .then(({ status, body, headers }) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body))
        .catch((error) => isServiceError(error)
          ? res.writeHead(error.status, { 'content-type': 'application/json', 'x-amzn-errortype': error.name }).end(JSON.stringify({ message: error.message }))
          : res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(error) })));
    });
  });

  async function handle(req: http.IncomingMessage, body: string): Promise<{ status: number; body: string; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? '/', 'http://local');
    const target = String(req.headers['x-amz-target'] ?? '');
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (invoke) {
      const fn = hooks.functions.get(decodeURIComponent(invoke[1]));
      if (!fn) {
        return { status: 404, body: JSON.stringify({ Type: 'User', message: `Function not found: ${invoke[1]}` }), headers: { 'x-amzn-errortype': 'ResourceNotFoundException' } };
      }
      if (req.headers['x-amz-invocation-type'] === 'Event') {
        // Accepted and run later, with Lambda's retries for asynchronous invocations.
        hooks.invokeAsync(decodeURIComponent(invoke[1]), body ? JSON.parse(body) : {});
        return { status: 202, body: '' };
      }
      try {
        const result = await fn(body ? JSON.parse(body) : {});
        return { status: 200, body: JSON.stringify(result ?? null), headers: { 'x-amz-executed-version': '$LATEST' } };
      } catch (error) {
        return { status: 200, body: JSON.stringify({ errorType: 'Error', errorMessage: String((error as Error).message ?? error) }), headers: { 'x-amz-function-error': 'Unhandled' } };
      }
    }
    if (target === 'secretsmanager.GetSecretValue') {
      const { SecretId } = JSON.parse(body);
      const value = hooks.secrets.get(SecretId);
      if (value === undefined) {
        return { status: 400, body: JSON.stringify({ __type: 'ResourceNotFoundException', message: 'Secrets Manager can\'t find the specified secret.' }) };
      }
      return { status: 200, body: JSON.stringify({ ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'sandbox' }), headers: { 'content-type': 'application/x-amz-json-1.1' } };
    }
    if (target === 'AWSEvents.PutEvents') {
      const { Entries } = JSON.parse(body);
      hooks.putEvents(Entries);
      return {
        status: 200,
        body: JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: randomUUID() })) }),
        headers: { 'content-type': 'application/x-amz-json-1.1' },
      };
    }
    if (target.startsWith('Transcribe.') && hooks.transcribe) {
      const answer = await hooks.transcribe(target.slice('Transcribe.'.length), JSON.parse(body));
      return { status: 200, body: JSON.stringify(answer), headers: { 'content-type': 'application/x-amz-json-1.1' } };
    }
    if (req.method === 'POST' && url.pathname === '/2017-08-29/probe') {
      return { status: 200, body: JSON.stringify(await hooks.probe(JSON.parse(body))) };
    }
    if (req.method === 'POST' && url.pathname === '/2017-08-29/jobs') {
      return { status: 201, body: JSON.stringify({ job: await hooks.createJob(JSON.parse(body)) }) };
    }
    const job = /^\/2017-08-29\/jobs\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && job) {
      return { status: 200, body: JSON.stringify({ job: hooks.getJob(decodeURIComponent(job[1])) }) };
    }
    if (req.method === 'GET' && url.pathname === '/2017-08-29/search') {
      return { status: 200, body: JSON.stringify(hooks.searchJobs(url.searchParams)) };
    }
    const invalidation = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/.exec(url.pathname);
    if (req.method === 'POST' && invalidation && hooks.invalidate) {
      // CloudFront's REST-XML: an InvalidationBatch in, the Invalidation (201) out.
      const paths = [...body.matchAll(/<Path>([^<]*)<\/Path>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
      const reference = /<CallerReference>([^<]*)<\/CallerReference>/.exec(body)?.[1] ?? '';
      hooks.invalidate(invalidation[1], paths, reference);
      const id = `I${randomUUID().replace(/-/g, '').slice(0, 13).toUpperCase()}`;
      const items = paths.map((path) => `<Path>${path.replace(/&/g, '&amp;')}</Path>`).join('');
      return {
        status: 201,
        headers: { 'content-type': 'text/xml', 'location': `https://cloudfront.amazonaws.com${url.pathname}/${id}` },
        body: '<?xml version="1.0" encoding="UTF-8"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
          + `<Id>${id}</Id><Status>InProgress</Status><CreateTime>${new Date().toISOString()}</CreateTime>`
          + `<InvalidationBatch><Paths><Quantity>${paths.length}</Quantity><Items>${items}</Items></Paths><CallerReference>${reference}</CallerReference></InvalidationBatch>`
          + '</Invalidation>',
      };
    }
    return { status: 400, body: JSON.stringify({ message: `the sandbox does not answer ${req.method} ${url.pathname} ${target}` }) };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
