/**
 * Sends a creator's file to the upload bucket, the way the API issued the
 * upload: one presigned POST form, or presigned part URLs of a multipart
 * upload sent three at a time, each part retried with backoff and signed
 * again when its URL expired. Pausing aborts the requests in flight;
 * resuming asks the API what S3 already holds and sends only the rest, so
 * it also works after a reload, with the same file chosen again.
 *
 * The network goes through a {@link Transport} (XMLHttpRequest in the
 * browser, for its upload progress events: upload-xhr.ts), so the logic
 * runs without a DOM.
 */
import type { CurrentUpload, IssuedUpload, SignedPartsAnswer } from './api';
import { isAbort } from './api';
import { realTimers, Timers } from './playback-session';
import { FileIdentity, PartSpec, partsToUpload, planParts, requestFor, retryDelayMs, StoredPart, storedBytes, UrlRequest, urlRequests, urlsExpired } from './upload-plan';

export type UploadStatus = 'starting' | 'uploading' | 'paused' | 'offline' | 'completing' | 'done' | 'failed';

export interface UploadState {
  readonly status: UploadStatus;
  /** Bytes S3 holds or has received so far. */
  readonly loaded: number;
  readonly total: number;
  /** Why it failed, or what it waits for. */
  readonly message?: string;
  readonly kind?: 'post' | 'multipart';
}

/** The API routes an upload uses (see {@link Api}). */
export interface UploadApi {
  issueUpload(videoId: string, size: number, contentType: string): Promise<IssuedUpload>;
  currentUpload(videoId: string): Promise<CurrentUpload>;
  signParts(videoId: string, firstPartNumber: number, count: number): Promise<SignedPartsAnswer>;
  completeUpload(videoId: string): Promise<unknown>;
}

export interface TransferRequest {
  readonly method: 'PUT' | 'POST';
  readonly url: string;
  readonly body: Blob | FormData;
  /** Bytes of `body` sent so far. */
  readonly onProgress: (loaded: number) => void;
  readonly signal: AbortSignal;
}

/** Sends one request; resolves with any HTTP answer, rejects on network failure or with an AbortError. */
export type Transport = (request: TransferRequest) => Promise<{ readonly status: number; readonly body: string }>;

/** The file to send: a File in the browser, any Blob with a type in tests. */
export type UploadFile = Blob & { readonly name?: string; readonly lastModified?: number };

export interface UploaderOptions {
  readonly videoId: string;
  readonly file: UploadFile;
  readonly api: UploadApi;
  /** Sends the bytes (XMLHttpRequest in the browser: see upload-xhr.ts). */
  readonly transport: Transport;
  readonly timers?: Timers;
  /** Parts in flight at once. @default 3 */
  readonly concurrency?: number;
  /** Tries per part (or per form) before the upload fails. @default 5 */
  readonly maxAttempts?: number;
  readonly onChange?: (state: UploadState) => void;
  /** Whether the browser is online (`navigator.onLine`). @default always */
  readonly isOnline?: () => boolean;
  readonly now?: () => number;
}

/** The browser went offline: the run stops and waits for `resume()` (on the `online` event). */
class Offline extends Error {}

export class Uploader {
  private current: UploadState;
  private run: AbortController | undefined;
  private running: Promise<void> | undefined;
  private readonly urls = new Map<number, { url: string; expiresAt?: string }>();
  private readonly signing: Array<{ request: UrlRequest; done: Promise<void> }> = [];
  private readonly inFlight = new Map<number, number>();
  private doneBytes = 0;
  private remaining = new Set<number>();

  constructor(private readonly options: UploaderOptions) {
    this.current = { status: 'starting', loaded: 0, total: options.file.size };
  }

  public get state(): UploadState {
    return this.current;
  }

  public get videoId(): string {
    return this.options.videoId;
  }

  public get file(): UploadFile {
    return this.options.file;
  }

  /** Whether requests are under way (neither paused, offline, done nor failed). */
  public get active(): boolean {
    return this.running !== undefined;
  }

  /** Issues a new upload for the file and sends it. */
  public async start(): Promise<void> {
    return this.launch(async (signal) => {
      const file = this.options.file;
      const issued = await this.options.api.issueUpload(this.options.videoId, file.size, contentTypeOf(file));
      signal.throwIfAborted();
      if (issued.kind === 'post') {
        await this.sendForm(issued.url, issued.fields, signal);
        return;
      }
      this.urls.clear();
      for (const part of issued.parts) {
        this.urls.set(part.partNumber, { url: part.url, expiresAt: issued.expiresAt });
      }
      await this.sendParts(planFor(issued.size, issued.partSize, issued.partCount), [], signal);
    });
  }

  /**
   * Continues the upload in progress: asks the API what S3 holds and sends
   * the rest. A single-POST upload cannot continue, so it starts again.
   */
  public async resume(): Promise<void> {
    if (this.running) return this.running;
    let upload: CurrentUpload;
    try {
      upload = await this.options.api.currentUpload(this.options.videoId);
    } catch (error) {
      this.set({ status: 'failed', message: messageOf(error) });
      return;
    }
    const file = this.options.file;
    if (upload.size !== file.size || upload.contentType !== contentTypeOf(file)) {
      this.set({ status: 'failed', message: `The upload in progress is for a file of ${upload.size} bytes (${upload.contentType}); choose that file.` });
      return;
    }
    if (upload.kind === 'post') {
      return this.start();
    }
    return this.launch(async (signal) => {
      this.urls.clear();
      await this.sendParts(planFor(upload.size, upload.partSize, upload.partCount), upload.uploadedParts, signal);
    });
  }

  /** Aborts the requests in flight; `resume()` continues. */
  public pause(): void {
    if (!this.run || this.current.status === 'completing') return;
    this.set({ status: 'paused', message: undefined });
    this.run.abort();
  }

  private async launch(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    if (this.running) return this.running;
    const run = new AbortController();
    this.run = run;
    this.set({ status: 'starting', message: undefined });
    const running = (async () => {
      try {
        await work(run.signal);
        if (!run.signal.aborted) this.set({ status: 'done', loaded: this.current.total, message: undefined });
      } catch (error) {
        if (error instanceof Offline) {
          this.set({ status: 'offline', message: 'You are offline. The upload continues when the connection is back.' });
        } else if (!(isAbort(error) && run.signal.aborted)) {
          this.set({ status: 'failed', message: messageOf(error) });
        }
        run.abort();
      } finally {
        this.inFlight.clear();
        if (this.run === run) this.run = undefined;
        this.running = undefined;
      }
    })();
    this.running = running;
    return running;
  }

  private async sendForm(url: string, fields: Record<string, string>, signal: AbortSignal): Promise<void> {
    const file = this.options.file;
    this.set({ status: 'uploading', kind: 'post', loaded: 0 });
    await this.withRetries('the upload', signal, async () => {
      // The policy's fields come first and the file last, as S3's POST upload requires.
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) {
        form.append(name, value);
      }
      form.append('file', file, file.name ?? 'source');
      const answer = await this.transport({
        method: 'POST', url, body: form, signal, onProgress: (loaded) => this.set({ loaded: Math.min(loaded, file.size) }),
      });
      if (answer.status >= 200 && answer.status < 300) return undefined;
      return { status: answer.status, reason: storageMessage(answer.body) };
    });
  }

  private async sendParts(plan: PartSpec[], stored: readonly StoredPart[], signal: AbortSignal): Promise<void> {
    const pending = partsToUpload(plan, stored);
    this.doneBytes = storedBytes(plan, stored);
    this.remaining = new Set(pending.map((part) => part.partNumber));
    this.set({ status: 'uploading', kind: 'multipart', loaded: this.doneBytes });
    const queue = [...pending];
    const workers = Array.from({ length: Math.min(this.options.concurrency ?? 3, Math.max(1, queue.length)) }, async () => {
      for (let part = queue.shift(); part !== undefined; part = queue.shift()) {
        await this.sendPart(part, signal);
      }
    });
    const results = await Promise.allSettled(workers);
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
    signal.throwIfAborted();
    this.set({ status: 'completing' });
    await this.options.api.completeUpload(this.options.videoId);
  }

  private async sendPart(part: PartSpec, signal: AbortSignal): Promise<void> {
    try {
      await this.withRetries(`part ${part.partNumber}`, signal, async () => {
        const url = await this.urlFor(part.partNumber, signal);
        const answer = await this.transport({
          method: 'PUT',
          url,
          body: this.options.file.slice(part.start, part.end),
          signal,
          onProgress: (loaded) => {
            this.inFlight.set(part.partNumber, Math.min(loaded, part.size));
            this.emitProgress();
          },
        });
        this.inFlight.delete(part.partNumber);
        if (answer.status >= 200 && answer.status < 300) return undefined;
        // An expired or refused signature: sign this part again on the next try.
        if (answer.status === 403 || answer.status === 400) this.urls.delete(part.partNumber);
        return { status: answer.status, reason: storageMessage(answer.body) };
      });
    } catch (error) {
      this.inFlight.delete(part.partNumber);
      throw error;
    }
    this.remaining.delete(part.partNumber);
    this.doneBytes += part.size;
    this.emitProgress();
  }

  /** Tries `attempt` until it answers undefined (success); waits with backoff between tries. */
  private async withRetries(what: string, signal: AbortSignal, attempt: () => Promise<{ status: number; reason: string } | undefined>) {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let last = '';
    for (let tries = 1; ; tries++) {
      signal.throwIfAborted();
      try {
        const refusal = await attempt();
        if (!refusal) return;
        last = `storage answered ${refusal.status}${refusal.reason ? `: ${refusal.reason}` : ''}`;
      } catch (error) {
        if (isAbort(error) || error instanceof Offline) throw error;
        if (this.options.isOnline && !this.options.isOnline()) throw new Offline();
        last = messageOf(error);
      }
      if (tries >= maxAttempts) {
        throw new Error(`Sending ${what} failed after ${maxAttempts} tries (${last}).`);
      }
      await this.sleep(retryDelayMs(tries), signal);
    }
  }

  private async urlFor(partNumber: number, signal: AbortSignal): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    const lacksUrl = (n: number) => {
      const known = this.urls.get(n);
      return !known || urlsExpired(known.expiresAt, now);
    };
    if (!lacksUrl(partNumber)) return this.urls.get(partNumber)!.url;
    // One request signs the run of unsent parts without a valid URL from this one on (at most 100); parts asked for together share it.
    let signing = this.signing.find((entry) => requestFor([entry.request], partNumber))?.done;
    if (!signing) {
      const wanted = [...this.remaining].filter((n) => n >= partNumber && lacksUrl(n));
      const request = urlRequests(wanted)[0] ?? { firstPartNumber: partNumber, count: 1 };
      const entry = {
        request,
        done: this.options.api.signParts(this.options.videoId, request.firstPartNumber, request.count).then((answer) => {
          for (const part of answer.parts) {
            this.urls.set(part.partNumber, { url: part.url, expiresAt: answer.expiresAt });
          }
        }).finally(() => this.signing.splice(this.signing.indexOf(entry), 1)),
      };
      this.signing.push(entry);
      signing = entry.done;
    }
    await signing;
    signal.throwIfAborted();
    const signed = this.urls.get(partNumber);
    if (!signed) {
      throw new Error(`the API did not sign part ${partNumber}`);
    }
    return signed.url;
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    const timers = this.options.timers ?? realTimers;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        timers.clearTimeout(handle);
        reject(abortError());
      };
      const handle = timers.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private transport(request: TransferRequest) {
    return this.options.transport(request);
  }

  private emitProgress(): void {
    let loaded = this.doneBytes;
    for (const bytes of this.inFlight.values()) loaded += bytes;
    this.set({ loaded: Math.min(loaded, this.current.total) });
  }

  private set(changes: Partial<UploadState>): void {
    this.current = { ...this.current, ...changes };
    this.options.onChange?.(this.current);
  }
}

function planFor(size: number, partSize: number, partCount: number): PartSpec[] {
  const plan = planParts(size, partSize);
  if (plan.length !== partCount) {
    throw new Error(`the upload has ${partCount} parts but ${size} bytes in parts of ${partSize} make ${plan.length}`);
  }
  return plan;
}

/** The media type sent for a file; browsers leave `type` empty when they do not know it. */
export function contentTypeOf(file: Blob): string {
  return file.type || 'application/octet-stream';
}

/** S3 answers errors in XML; its `<Message>` says what went wrong. */
export function storageMessage(body: string): string {
  const match = /<Message>([^<]{1,300})<\/Message>/.exec(body);
  return match ? match[1] : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error && error.message ? error.message : String(error);
}

export function abortError(): Error {
  const error = new Error('aborted');
  error.name = 'AbortError';
  return error;
}

/** Where the chosen file is remembered, to recognise it when the page comes back. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const fileKey = (videoId: string) => `vod.upload.${videoId}`;

export function rememberFile(store: KeyValueStore, videoId: string, file: UploadFile): void {
  const identity: FileIdentity = { name: file.name ?? '', size: file.size, type: contentTypeOf(file), lastModified: file.lastModified ?? 0 };
  try {
    store.setItem(fileKey(videoId), JSON.stringify(identity));
  } catch {
    // Storage full or disabled: resuming still works, only the warning about another file is lost.
  }
}

export function rememberedFile(store: KeyValueStore, videoId: string): FileIdentity | undefined {
  try {
    const value: unknown = JSON.parse(store.getItem(fileKey(videoId)) ?? 'null');
    if (typeof value === 'object' && value !== null && typeof (value as FileIdentity).size === 'number') {
      return value as FileIdentity;
    }
  } catch {
    // unreadable: as if nothing was remembered
  }
  return undefined;
}

export function forgetFile(store: KeyValueStore, videoId: string): void {
  try {
    store.removeItem(fileKey(videoId));
  } catch {
    // nothing to do
  }
}
