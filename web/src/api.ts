/**
 * The platform's HTTP API as the web app calls it: JSON in and out, the
 * access token as a bearer token, and every refusal turned into an
 * {@link ApiError} with the API's own code and message.
 */
import type { IssuedUpload, PartUrl } from '../../src/contracts/upload-messages';

export type AccessMode = 'public' | 'premium' | 'purchase';
export type VideoState = 'DRAFT' | 'UPLOADING' | 'PROCESSING' | 'READY' | 'PUBLISHED' | 'FAILED';
export const VIDEO_STATES: readonly VideoState[] = ['DRAFT', 'UPLOADING', 'PROCESSING', 'READY', 'PUBLISHED', 'FAILED'];

/** An amount in the currency's smallest unit, and an ISO 4217 code in lower case. */
export interface Price {
  readonly amount: number;
  readonly currency: string;
}

/** What anyone sees of a published video. */
export interface PublicVideo {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly access: AccessMode;
  readonly publishedAt?: string;
  readonly durationSeconds?: number;
  readonly posterUrl?: string;
  readonly price?: Price;
  /** The video's caption tracks, by BCP 47 language tag. */
  readonly captions?: readonly CaptionTrack[];
}

/** A caption track of a video, as the API lists it. */
export interface CaptionTrack {
  readonly language: string;
  readonly label: string;
  /** Made by speech to text, not by a person. */
  readonly automatic?: boolean;
}

/** What became of a video's automatic captions (when the platform makes them). */
export interface AutomaticCaptions {
  readonly state: 'IN_PROGRESS' | 'ADDED' | 'SKIPPED' | 'FAILED';
  readonly language?: string;
  readonly reason?: string;
  readonly at: string;
}

export type CaptionFormat = 'vtt' | 'srt';

/** A caption file to add: its text, in WebVTT or SRT. */
export interface CaptionUpload {
  readonly label: string;
  readonly format: CaptionFormat;
  readonly content: string;
}

/** What the API answers to a caption track added: how many cues it read, and the video's tracks now. */
export interface CaptionsAnswer {
  readonly language: string;
  readonly label: string;
  readonly cues: number;
  readonly captions: CaptionTrack[];
}

/** What a video's creator (or an admin) sees. */
export interface OwnerVideo extends PublicVideo {
  readonly creatorId: string;
  readonly state: VideoState;
  readonly progressPercent: number;
  readonly failure?: { readonly code: string; readonly message: string };
  readonly renditions?: ReadonlyArray<{ readonly width: number; readonly height: number }>;
  /** Set when the poster was picked from the scrub thumbnails; without it the poster is the first frame. */
  readonly pickedPoster?: PickedPoster;
  /** Automatic captions of the current upload, when the platform makes them. */
  readonly automaticCaptions?: AutomaticCaptions;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A poster picked from the scrub thumbnails: the second of the video it shows. */
export interface PickedPoster {
  readonly timeSeconds: number;
  readonly pickedAt: string;
}

/** What the API answers to a poster picked or reset: the poster's address now. */
export interface PosterAnswer {
  readonly posterUrl?: string;
  readonly pickedPoster?: PickedPoster;
}

export interface VideoPage<T> {
  readonly videos: T[];
  readonly cursor?: string;
}

export interface Offers {
  readonly premium: (Price & { readonly interval: string }) | null;
  readonly checkout: boolean;
}

export interface Me {
  readonly userId: string;
  readonly groups: string[];
  readonly entitlements: Array<{ readonly id: string; readonly expiresAt?: string }>;
}

export interface AdminUser {
  readonly userId: string;
  readonly entitlements: Array<{ readonly id: string; readonly expiresAt?: string; readonly grantedBy?: string; readonly grantedAt?: string }>;
}

export interface Checkout {
  readonly checkoutUrl: string;
  readonly sessionId: string;
}

export interface PlaybackAnswer {
  readonly playlistUrl: string;
  readonly expiresAt: string;
  readonly refreshAfterSeconds: number;
  /** The session's lease, when the platform limits concurrent streams: renewals name it. */
  readonly sessionId?: string;
}

/** One of the user's live playback sessions (with stream limits). */
export interface StreamSession {
  readonly sessionId: string;
  readonly device: string;
  readonly videoId: string;
  readonly videoTitle: string | null;
  readonly startedAt: string;
}

/** The upload in progress, with what S3 holds of it (GET /api/videos/{id}/upload). */
export type CurrentUpload =
  | {
    readonly kind: 'multipart';
    readonly uploadId: string;
    readonly size: number;
    readonly contentType: string;
    readonly partSize: number;
    readonly partCount: number;
    readonly expiresAt?: string;
    readonly uploadedParts: Array<{ readonly partNumber: number; readonly size: number; readonly etag?: string }>;
  }
  | { readonly kind: 'post'; readonly uploadId: string; readonly size: number; readonly contentType: string };

export interface SignedPartsAnswer {
  readonly parts: PartUrl[];
  readonly expiresAt: string;
}

export type { IssuedUpload, PartUrl };

export interface VideoDraft {
  readonly title?: string;
  readonly description?: string;
  readonly access?: AccessMode;
  readonly price?: Price;
}

/** A refusal of the API (status 4xx/5xx), or `status` 0 when it could not be reached. */
export class ApiError extends Error {
  /** `details`: the rest of the API's error object (such as the sessions a 429 lists). */
  constructor(public readonly status: number, public readonly code: string, message: string, public readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Where the API's caller gets its bearer token. */
export interface TokenProvider {
  /** A current access token, or undefined when signed out. */
  accessToken(): Promise<string | undefined>;
  /** The API answered 401 to a token: refresh it; true when there is a new one to try. */
  afterUnauthorized(): Promise<boolean>;
}

type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface RequestOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Send the access token when signed in. @default true */
  readonly auth?: boolean;
  /** Let the request outlive the page (a session ended as the tab closes). @default false */
  readonly keepalive?: boolean;
}

export class Api {
  constructor(
    private readonly basePath: string,
    private readonly tokens: TokenProvider,
    private readonly fetchFn: FetchLike = (url, init) => fetch(url, init),
  ) {}

  public async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const send = async () => {
      const headers: Record<string, string> = { accept: 'application/json' };
      const token = options.auth === false ? undefined : await this.tokens.accessToken();
      if (token) headers.authorization = `Bearer ${token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      try {
        // Same origin: the playback route's Set-Cookie must land in the browser's jar.
        const response = await this.fetchFn(`${this.basePath}${path}`, {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          credentials: 'same-origin',
          signal: options.signal,
          ...(options.keepalive ? { keepalive: true } : {}),
        });
        return { response, sentToken: token !== undefined };
      } catch (error) {
        if (isAbort(error)) throw error;
        throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
      }
    };
    let { response, sentToken } = await send();
    if (response.status === 401 && sentToken && await this.tokens.afterUnauthorized()) {
      ({ response } = await send());
    }
    return readAnswer<T>(response);
  }

  public listVideos(cursor?: string, limit = 24) {
    return this.request<VideoPage<PublicVideo>>('GET', `/videos${query({ limit: String(limit), cursor })}`);
  }

  public getVideo<T extends PublicVideo = PublicVideo>(videoId: string) {
    return this.request<T>('GET', `/videos/${enc(videoId)}`);
  }

  public offers() {
    return this.request<Offers>('GET', '/offers', { auth: false });
  }

  public me() {
    return this.request<Me>('GET', '/me');
  }

  /** Starts a playback session, or renews the one named. */
  public playback(videoId: string, renew?: { readonly sessionId: string }) {
    return this.request<PlaybackAnswer>('POST', `/videos/${enc(videoId)}/playback`, renew ? { body: renew } : {});
  }

  /** The user's live playback sessions (with stream limits). */
  public mySessions() {
    return this.request<{ limit: number | null; sessions: StreamSession[] }>('GET', '/me/sessions');
  }

  /** Ends one of the user's playback sessions: "stop watching there", or this tab leaving. */
  public endSession(sessionId: string, options: { keepalive?: boolean } = {}) {
    return this.request<void>('DELETE', `/me/sessions/${enc(sessionId)}`, options);
  }

  /** Ends every playback session of a user (admins). */
  public endUserSessions(userId: string) {
    return this.request<{ ended: number }>('DELETE', `/admin/users/${enc(userId)}/sessions`);
  }

  public videoCheckout(videoId: string) {
    return this.request<Checkout>('POST', `/videos/${enc(videoId)}/checkout`);
  }

  public premiumCheckout() {
    return this.request<Checkout>('POST', '/me/premium/checkout');
  }

  public myVideos(cursor?: string, limit = 50) {
    return this.request<VideoPage<OwnerVideo>>('GET', `/me/videos${query({ limit: String(limit), cursor })}`);
  }

  public createVideo(draft: VideoDraft) {
    return this.request<OwnerVideo>('POST', '/videos', { body: draft });
  }

  public updateVideo(videoId: string, changes: VideoDraft) {
    return this.request<OwnerVideo>('PATCH', `/videos/${enc(videoId)}`, { body: changes });
  }

  public deleteVideo(videoId: string) {
    return this.request<void>('DELETE', `/videos/${enc(videoId)}`);
  }

  public videoAction(videoId: string, action: 'publish' | 'unpublish' | 'retry') {
    return this.request<unknown>('POST', `/videos/${enc(videoId)}/${action}`);
  }

  /** Adds or replaces the caption track of `language` (a BCP 47 tag); READY or PUBLISHED videos only. */
  public putCaptions(videoId: string, language: string, captions: CaptionUpload) {
    return this.request<CaptionsAnswer>('PUT', `/videos/${enc(videoId)}/captions/${enc(language)}`, { body: captions });
  }

  public deleteCaptions(videoId: string, language: string) {
    return this.request<void>('DELETE', `/videos/${enc(videoId)}/captions/${enc(language)}`);
  }

  /** Makes the scrub thumbnail at `timeSeconds` the video's poster; READY or PUBLISHED videos only. */
  public pickPoster(videoId: string, timeSeconds: number) {
    return this.request<PosterAnswer>('PUT', `/videos/${enc(videoId)}/poster`, { body: { time: timeSeconds } });
  }

  /** Goes back to the first frame as the poster. */
  public resetPoster(videoId: string) {
    return this.request<PosterAnswer>('DELETE', `/videos/${enc(videoId)}/poster`);
  }

  public issueUpload(videoId: string, size: number, contentType: string) {
    return this.request<IssuedUpload>('POST', `/videos/${enc(videoId)}/upload`, { body: { size, contentType } });
  }

  public currentUpload(videoId: string) {
    return this.request<CurrentUpload>('GET', `/videos/${enc(videoId)}/upload`);
  }

  public signParts(videoId: string, firstPartNumber: number, count: number) {
    return this.request<SignedPartsAnswer>('POST', `/videos/${enc(videoId)}/upload/parts`, { body: { firstPartNumber, count } });
  }

  public completeUpload(videoId: string) {
    return this.request<unknown>('POST', `/videos/${enc(videoId)}/upload/complete`);
  }

  public adminUser(userId: string) {
    return this.request<AdminUser>('GET', `/admin/users/${enc(userId)}`);
  }

  public grant(userId: string, entitlementId: string, expiresAt?: string) {
    return this.request<unknown>('PUT', `/admin/users/${enc(userId)}/entitlements/${enc(entitlementId)}`, {
      body: expiresAt ? { expiresAt } : {},
    });
  }

  public revoke(userId: string, entitlementId: string) {
    return this.request<void>('DELETE', `/admin/users/${enc(userId)}/entitlements/${enc(entitlementId)}`);
  }

  public adminVideos(state?: VideoState, cursor?: string, limit = 20) {
    return this.request<VideoPage<OwnerVideo>>('GET', `/admin/videos${query({ state, cursor, limit: String(limit) })}`);
  }
}

/** Turns a response into its JSON body, or throws the API's error. */
export async function readAnswer<T>(response: Pick<Response, 'status' | 'ok' | 'text'>): Promise<T> {
  const text = response.status === 204 ? '' : await response.text().catch(() => '');
  let body: unknown;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (response.ok) {
    return body as T;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `http-${response.status}`;
  const message = typeof error?.message === 'string' && error.message
    ? sentence(error.message)
    : `The server answered ${response.status}${response.status >= 500 ? '; try again in a moment' : ''}.`;
  throw new ApiError(response.status, code, message, error && typeof error === 'object' ? { ...error } : {});
}

/** The caption format of a file, by its name's extension; undefined when it is neither WebVTT nor SRT. */
export function captionFormatOf(fileName: string): CaptionFormat | undefined {
  const extension = /\.([^.]+)$/.exec(fileName)?.[1]?.toLowerCase();
  return extension === 'vtt' || extension === 'srt' ? extension : undefined;
}

/** The API's messages are lower-case clauses; the page shows them as sentences. */
function sentence(message: string): string {
  const capital = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/** A human sentence for anything thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}
