import { randomUUID } from 'node:crypto';
import { ApiRouteKey } from './api-routes';
import { Caller, isAdmin, requireAdmin, requireCaller, requireCreator } from './auth.lambda-shared';
import { CaptionError, MAX_CAPTION_BYTES, parseCaptions, parseLabel, parseLanguage, withTimestampMap } from './captions.lambda-shared';
import { ACCESS_MODES, CaptionTrack, downloadKey, ownerView, publicView, UploadRecord, VideoRecord, VideoState } from './catalog-model.lambda-shared';
import { Catalog } from './catalog.lambda-shared';
import { EntitlementId, EntitlementStore, PREMIUM, videoEntitlement } from './entitlements.lambda-shared';
import { ApiError, describe, errorResult, HttpEvent, HttpResult, jsonBody, jsonResult, oneOf, onlyFields, text, wholeNumber } from './http.lambda-shared';
import { parsePrice, PremiumOffer } from './prices.lambda-shared';
import { PUBLISHED_LISTING } from './schema';
import { Checkout, CheckoutRequest, CheckoutSession, CheckoutUnavailableError, PaymentProviderError } from './stripe-checkout.lambda-shared';
import { CAPTION_FILES, firstPresentationTime, firstSegmentUri, firstVariantUri, subtitlePlaylist, withSubtitleTracks } from './subtitles-hls.lambda-shared';
import { isValidId } from '../contracts/source-keys';
import { OUTPUT_LAYOUT } from '../contracts/transcode-status';
import { IssuedUpload, ListedParts, UploadRequest, UploadResponse } from '../contracts/upload-messages';
import { isUserId } from '../contracts/user-ids';
import type { MediaSigner } from '../delivery/media-signer';

/** Fixed at deploy time. */
export interface ApiSettings {
  /** The viewer-facing media host: cookies are signed for it and URLs point at it. */
  readonly mediaDomain: string;
  /** Lifetime of a playback session's cookies, and of a download URL. */
  readonly sessionSeconds: number;
  /** `Strict` when the player is on the media's domain, `None` for cross-site players. */
  readonly sameSite: 'Strict' | 'None';
  /** The web app's URL, where checkout returns to. @default `https://<mediaDomain>` */
  readonly appUrl?: string;
  /** The premium membership's price; premium is not sold without it. */
  readonly premium?: PremiumOffer;
}

/** Files of the pipeline's output bucket, by key; caption tracks are written beside a video's renditions. */
export interface MediaFiles {
  /** The object's bytes (at most the first `maxBytes`), or undefined when there is none. */
  read(key: string, maxBytes?: number): Promise<Uint8Array | undefined>;
  write(key: string, body: string, contentType: string): Promise<void>;
  /** Removes the object; one that is not there is no error. */
  remove(key: string): Promise<void>;
}

export interface ApiDependencies {
  readonly auth: { caller(event: HttpEvent): Promise<Caller | undefined> };
  readonly catalog: Catalog;
  readonly entitlements: EntitlementStore;
  /** Sends a request to SecureUploadBucket's issuer. */
  readonly uploads: (request: UploadRequest) => Promise<UploadResponse>;
  /** Asks the transcode pipeline to try a failed upload again. */
  readonly retryTranscode: (videoId: string, uploadId: string) => Promise<{ outcome: string; reason?: string }>;
  /** Asks the pipeline to remove a deleted video's files: renditions and posters now, sources after its retention. */
  readonly deleteVideoFiles: (videoId: string) => Promise<void>;
  /** Asks the pipeline to keep an upload's source after all and make it transcodable again; `gone` once removed. */
  readonly restoreVideoFiles: (videoId: string, uploadId: string) => Promise<{ outcome: string; reason?: string }>;
  readonly signer: () => Promise<MediaSigner>;
  /** Stripe Checkout, when the platform has a Stripe API key; the checkout routes answer 503 without it. */
  readonly checkout?: Checkout;
  /** The pipeline's output bucket; the caption routes answer 503 without it. */
  readonly mediaFiles?: MediaFiles;
  /** Invalidates paths of the media's distribution; without it, cached playlists lapse on their own (30 seconds). */
  readonly invalidate?: (paths: string[]) => Promise<void>;
  readonly settings: ApiSettings;
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** Told of every playback session issued or denied, for metrics. */
  readonly onPlayback?: (outcome: 'issued' | 'denied', reason?: string) => void;
}

interface RouteContext {
  readonly event: HttpEvent;
  readonly caller?: Caller;
  readonly deps: ApiDependencies;
  readonly now: Date;
}

type Route = (context: RouteContext) => Promise<HttpResult>;

/** Answers one HTTP API request. Client mistakes are 4xx answers; only faults of the platform throw. */
export async function handleApiRequest(deps: ApiDependencies, event: HttpEvent): Promise<HttpResult> {
  try {
    const route = (ROUTES as Record<string, Route | undefined>)[event.routeKey];
    if (!route) {
      throw new ApiError(404, 'no-such-route', `no route ${JSON.stringify(event.routeKey)}`);
    }
    const caller = await deps.auth.caller(event);
    return await route({ event, caller, deps, now: (deps.now ?? (() => new Date()))() });
  } catch (error) {
    if (error instanceof ApiError) {
      return errorResult(error);
    }
    throw error;
  }
}

const notFound = () => new ApiError(404, 'not-found', 'no such video');

function pathVideoId(context: RouteContext): string {
  const videoId = context.event.pathParameters?.videoId;
  if (!isValidId(videoId)) {
    throw notFound();
  }
  return videoId;
}

function mediaBase(context: RouteContext): string {
  return `https://${context.deps.settings.mediaDomain}`;
}

/**
 * The video, if the caller owns it (or is an admin and `adminToo`); otherwise
 * 404, whether or not it exists. A deleted video is not found unless `deletedToo`.
 */
async function ownedVideo(context: RouteContext, adminToo = false, deletedToo = false): Promise<VideoRecord> {
  const caller = requireCreator(context.caller);
  const video = await context.deps.catalog.get(pathVideoId(context));
  if (!video || (video.state === 'DELETED' && !deletedToo) || (video.creatorId !== caller.userId && !(adminToo && isAdmin(caller)))) {
    throw notFound();
  }
  return video;
}

/**
 * The video, if the caller may watch it: published, or READY for its owner
 * and admins (otherwise 404, whether or not it exists); public, or premium or
 * for purchase with the caller's entitlement (otherwise 401 or 403). Each
 * refusal is told to `denied` first.
 */
async function watchableVideo(context: RouteContext, denied: (reason: string) => void = () => {}): Promise<VideoRecord> {
  const { deps, caller, now } = context;
  const video = await deps.catalog.get(pathVideoId(context));
  const privileged = video !== undefined && (video.creatorId === caller?.userId || isAdmin(caller));
  const playable = video !== undefined && (video.state === 'PUBLISHED' || (privileged && video.state === 'READY'));
  if (!video || !playable) {
    denied('not-found');
    throw notFound();
  }
  if (!privileged && video.access !== 'public') {
    if (!caller) {
      denied('sign-in-required');
      throw new ApiError(401, 'sign-in-required', `this video is ${video.access === 'premium' ? 'for premium members' : 'for purchase'}; sign in`);
    }
    if (!await deps.entitlements.isEntitled(caller.userId, video.videoId, video.access, now)) {
      denied('not-entitled');
      throw new ApiError(403, 'not-entitled', video.access === 'premium' ? 'this video needs an active premium membership' : 'this video needs a purchase');
    }
  }
  return video;
}

function expectState(video: VideoRecord, states: readonly VideoState[], action: string): void {
  if (!states.includes(video.state)) {
    throw new ApiError(409, 'wrong-state', `cannot ${action} a video that is ${video.state}; it must be ${states.join(' or ')}`);
  }
}

function pageLimit(context: RouteContext): number {
  const raw = context.event.queryStringParameters?.limit;
  if (raw === undefined) {
    return 20;
  }
  return wholeNumber(/^\d{1,3}$/.test(raw) ? Number(raw) : raw, 'limit', 1, 50);
}

function pageCursor(context: RouteContext): string | undefined {
  return context.event.queryStringParameters?.cursor || undefined;
}

async function sendUpload(context: RouteContext, request: UploadRequest) {
  const answer = await context.deps.uploads(request);
  if (!answer.ok) {
    throw new ApiError(answer.statusCode, answer.error.code, answer.error.message);
  }
  return answer.result;
}

function currentUpload(video: VideoRecord, kind?: 'multipart'): UploadRecord {
  if (!video.upload || video.upload.uploadId !== video.currentUploadId || video.state !== 'UPLOADING') {
    throw new ApiError(409, 'no-upload', 'the video has no upload in progress; request one first');
  }
  if (kind && video.upload.kind !== kind) {
    throw new ApiError(409, 'not-multipart', 'the upload in progress is a single POST, not a multipart upload');
  }
  return video.upload;
}

const ROUTES: Record<ApiRouteKey, Route> = {
  /** Published videos, newest first; no sign-in needed. */
  'GET /api/videos': async (context) => {
    const page = await context.deps.catalog.listPublished(pageLimit(context), pageCursor(context));
    return jsonResult(200, { videos: page.items.map((video) => publicView(video, mediaBase(context))), cursor: page.cursor });
  },

  /** A published video to anyone; any of their own to its creator and to admins. */
  'GET /api/videos/{videoId}': async (context) => {
    const video = await context.deps.catalog.get(pathVideoId(context));
    const privileged = video !== undefined && (video.creatorId === context.caller?.userId || isAdmin(context.caller));
    if (!video || video.state === 'DELETED' || (video.state !== 'PUBLISHED' && !privileged)) {
      throw notFound();
    }
    return jsonResult(200, privileged ? ownerView(video, mediaBase(context)) : publicView(video, mediaBase(context)));
  },

  /** Creates a draft. */
  'POST /api/videos': async (context) => {
    const caller = requireCreator(context.caller);
    const body = jsonBody(context.event);
    onlyFields(body, ['title', 'description', 'access', 'price']);
    const now = context.now.toISOString();
    const video: VideoRecord = {
      videoId: (context.deps.newId ?? randomUUID)(),
      creatorId: caller.userId,
      title: text(body, 'title', { min: 1, max: 200, required: true })!,
      description: text(body, 'description', { max: 5000, required: false }) ?? '',
      access: oneOf(body, 'access', ACCESS_MODES, false) ?? 'public',
      ...(body.price === undefined || body.price === null ? {} : { price: parsePrice(body.price, 'price') }),
      state: 'DRAFT',
      createdAt: now,
      updatedAt: now,
    };
    await context.deps.catalog.create(video);
    return jsonResult(201, ownerView(video, mediaBase(context)));
  },

  /**
   * Changes a video's title, description, access mode or price (`null`
   * removes the price). A published video for purchase keeps a price: a
   * change that would leave it without one is a 409.
   */
  'PATCH /api/videos/{videoId}': async (context) => {
    const video = await ownedVideo(context);
    const body = jsonBody(context.event);
    onlyFields(body, ['title', 'description', 'access', 'price']);
    const changes: Record<string, unknown> = {};
    const title = text(body, 'title', { min: 1, max: 200, required: false });
    const description = text(body, 'description', { max: 5000, required: false });
    const access = oneOf(body, 'access', ACCESS_MODES, false);
    if (title !== undefined) changes.title = title;
    if (description !== undefined) changes.description = description;
    if (access !== undefined) changes.access = access;
    if (body.price !== undefined && body.price !== null) changes.price = parsePrice(body.price, 'price');
    const remove = body.price === null ? ['price'] : [];
    if (Object.keys(changes).length === 0 && remove.length === 0) {
      throw new ApiError(400, 'nothing-to-change', 'give at least one of title, description, access, price');
    }
    let from: readonly VideoState[] = ['DRAFT', 'UPLOADING', 'PROCESSING', 'READY', 'PUBLISHED', 'FAILED'];
    const present: string[] = [];
    if ((access ?? video.access) === 'purchase' && changes.price === undefined) {
      if (remove.length > 0 || video.price === undefined) {
        // Unpriced, it must not be (or meanwhile become) published.
        if (video.state === 'PUBLISHED') {
          throw priceRequired('a published video for purchase keeps a price; unpublish it first, or give another price');
        }
        from = from.filter((state) => state !== 'PUBLISHED');
      } else {
        // It keeps the price it has, which nothing may remove meanwhile.
        present.push('price');
      }
    }
    const updated = await context.deps.catalog.transition(video.videoId, {
      from,
      // The price rules above were checked against this access mode: a concurrent change of it makes this one retry.
      expected: { creatorId: video.creatorId, ...(access === undefined ? { access: video.access } : {}) },
      present,
      set: { ...changes, updatedAt: context.now.toISOString() },
      remove,
    });
    return jsonResult(200, ownerView(updated, mediaBase(context)));
  },

  /**
   * Deletes a video: it leaves the catalog at once; its renditions and posters
   * are removed (every version), then invalidated at the CDN, its sources after
   * the pipeline's retention, unless an admin restores it first. Deleting it
   * again finishes what a failed try left, and changes nothing more.
   */
  'DELETE /api/videos/{videoId}': async (context) => {
    const video = await ownedVideo(context, true, true);
    if (video.state !== 'DELETED') {
      await context.deps.catalog.transition(video.videoId, {
        from: ['DRAFT', 'UPLOADING', 'PROCESSING', 'READY', 'PUBLISHED', 'FAILED'],
        set: { state: 'DELETED', deletedAt: context.now.toISOString(), updatedAt: context.now.toISOString() },
        remove: ['listing'],
      });
    }
    // The CDN's copies are invalidated once the pipeline tells that the files are gone (see the status consumer).
    await context.deps.deleteVideoFiles(video.videoId);
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  },

  /** Issues an upload of the video's source; it becomes the video's current upload. */
  'POST /api/videos/{videoId}/upload': async (context) => {
    const video = await ownedVideo(context);
    expectState(video, ['DRAFT', 'UPLOADING', 'PROCESSING', 'READY', 'FAILED'], 'upload to');
    const body = jsonBody(context.event);
    onlyFields(body, ['size', 'contentType']);
    if (body.size === undefined || body.contentType === undefined) {
      throw new ApiError(400, 'missing-field', 'size and contentType are required');
    }
    // The issuer checks the media type and the size; the text check is the API's own, as for every string.
    const contentType = text(body, 'contentType', { max: 255, required: true })!;
    const issued = await sendUpload(context, {
      action: 'issue', creatorId: video.creatorId, videoId: video.videoId, size: body.size as number, contentType,
    }) as IssuedUpload;
    const record: UploadRecord = {
      uploadId: issued.uploadId,
      key: issued.key,
      kind: issued.kind,
      size: issued.size,
      contentType: issued.contentType,
      ...(issued.kind === 'multipart' ? { multipartUploadId: issued.multipartUploadId } : {}),
    };
    try {
      await context.deps.catalog.startUpload(video, record, context.now);
    } catch (error) {
      // Another upload won the race: free this one's parts.
      if (issued.kind === 'multipart') {
        await context.deps.uploads({ action: 'abort', videoId: video.videoId, key: issued.key, multipartUploadId: issued.multipartUploadId });
      }
      throw error;
    }
    return jsonResult(201, issued);
  },

  /** More part URLs of the current multipart upload. */
  'POST /api/videos/{videoId}/upload/parts': async (context) => {
    const video = await ownedVideo(context);
    const upload = currentUpload(video, 'multipart');
    const body = jsonBody(context.event);
    onlyFields(body, ['firstPartNumber', 'count']);
    const result = await sendUpload(context, {
      action: 'sign-parts',
      videoId: video.videoId,
      key: upload.key,
      multipartUploadId: upload.multipartUploadId!,
      size: upload.size,
      firstPartNumber: body.firstPartNumber as number,
      count: body.count as number,
    });
    return jsonResult(200, result);
  },

  /** Completes the current multipart upload once every part is stored. */
  'POST /api/videos/{videoId}/upload/complete': async (context) => {
    const video = await ownedVideo(context);
    const upload = currentUpload(video, 'multipart');
    const result = await sendUpload(context, {
      action: 'complete', videoId: video.videoId, key: upload.key, multipartUploadId: upload.multipartUploadId!, size: upload.size,
    });
    return jsonResult(200, result);
  },

  /** Aborts the current multipart upload. */
  'POST /api/videos/{videoId}/upload/abort': async (context) => {
    const video = await ownedVideo(context);
    const upload = currentUpload(video, 'multipart');
    const result = await sendUpload(context, { action: 'abort', videoId: video.videoId, key: upload.key, multipartUploadId: upload.multipartUploadId! });
    return jsonResult(200, result);
  },

  /** Lists a READY video for viewers; a video for purchase needs its price first. */
  'POST /api/videos/{videoId}/publish': async (context) => {
    const video = await ownedVideo(context);
    expectState(video, ['READY'], 'publish');
    if (video.access === 'purchase' && video.price === undefined) {
      throw priceRequired('a video for purchase needs a price before it is published: set price { amount, currency } with PATCH');
    }
    const now = context.now.toISOString();
    const updated = await context.deps.catalog.transition(video.videoId, {
      from: ['READY'],
      // Its access mode and price are what was checked, or the publication is a 409.
      expected: { access: video.access },
      present: video.access === 'purchase' ? ['price'] : [],
      set: { state: 'PUBLISHED', listing: PUBLISHED_LISTING, publishedAt: `${now}#${video.videoId}`, updatedAt: now },
    });
    return jsonResult(200, ownerView(updated, mediaBase(context)));
  },

  /** Takes a video off the list (its creator, or an admin); it stays READY. */
  'POST /api/videos/{videoId}/unpublish': async (context) => {
    const video = await ownedVideo(context, true);
    expectState(video, ['PUBLISHED'], 'unpublish');
    const updated = await context.deps.catalog.transition(video.videoId, {
      from: ['PUBLISHED'],
      set: { state: 'READY', updatedAt: context.now.toISOString() },
      remove: ['listing', 'publishedAt'],
    });
    return jsonResult(200, ownerView(updated, mediaBase(context)));
  },

  /** Transcodes a FAILED video's current upload again; its source was kept. */
  'POST /api/videos/{videoId}/retry': async (context) => {
    const video = await ownedVideo(context);
    expectState(video, ['FAILED'], 'retry');
    const outcome = await context.deps.retryTranscode(video.videoId, video.currentUploadId!);
    if (outcome.outcome !== 'submitted') {
      throw new ApiError(409, 'not-retried', `the transcode was not retried: ${outcome.reason ?? outcome.outcome}`);
    }
    return jsonResult(202, { id: video.videoId, retried: true });
  },

  /**
   * Starts or refreshes a playback session: checks the video's access mode
   * and the caller's entitlement, then sets the three CloudFront cookies for
   * this video's folder and answers the playlist URL.
   */
  'POST /api/videos/{videoId}/playback': async (context) => {
    const { deps, now } = context;
    const video = await watchableVideo(context, (reason) => deps.onPlayback?.('denied', reason));
    const expiresAt = new Date(now.getTime() + deps.settings.sessionSeconds * 1000);
    const signer = await deps.signer();
    const signed = signer.signedCookies({
      host: deps.settings.mediaDomain, videoId: video.videoId, expiresAt, sameSite: deps.settings.sameSite,
    }, now);
    deps.onPlayback?.('issued');
    return jsonResult(200, {
      playlistUrl: `${mediaBase(context)}/${OUTPUT_LAYOUT.masterPlaylist(video.videoId)}`,
      expiresAt: expiresAt.toISOString(),
      refreshAfterSeconds: Math.floor(deps.settings.sessionSeconds * 0.8),
    }, signed.setCookies);
  },

  /**
   * A signed URL for the video's MP4 download, for whoever may play the
   * video: a canned policy for that one file, valid as long as a playback
   * session. 404 when the pipeline made no download.
   */
  'POST /api/videos/{videoId}/download': async (context) => {
    const { deps, now } = context;
    const video = await watchableVideo(context);
    const key = downloadKey(video);
    if (!key) {
      throw new ApiError(404, 'no-download', 'this video has no MP4 download');
    }
    // Whole seconds, as the URL's policy states the end.
    const expiresAt = new Date(Math.floor(now.getTime() / 1000 + deps.settings.sessionSeconds) * 1000);
    const signer = await deps.signer();
    return jsonResult(200, {
      downloadUrl: signer.signedUrl(`${mediaBase(context)}/${key}`, expiresAt, now),
      expiresAt: expiresAt.toISOString(),
    });
  },

  /**
   * The video's current upload, for its creator to resume after a reload:
   * a multipart upload with the parts S3 already holds (so only the missing
   * ones are sent again), or a single POST (sent again whole).
   */
  'GET /api/videos/{videoId}/upload': async (context) => {
    const video = await ownedVideo(context);
    const upload = currentUpload(video);
    if (upload.kind === 'post') {
      return jsonResult(200, { kind: 'post', uploadId: upload.uploadId, size: upload.size, contentType: upload.contentType });
    }
    const listed = await sendUpload(context, {
      action: 'list-parts', videoId: video.videoId, key: upload.key, multipartUploadId: upload.multipartUploadId!, size: upload.size,
    }) as ListedParts;
    return jsonResult(200, {
      kind: 'multipart',
      uploadId: upload.uploadId,
      size: upload.size,
      contentType: upload.contentType,
      partSize: listed.partSize,
      partCount: listed.partCount,
      uploadedParts: listed.parts,
    });
  },

  /**
   * A Stripe Checkout Session buying one published video for purchase. 409
   * `already-entitled` when the caller may watch it already, `not-for-sale`
   * when it is not sold on its own; 503 without Stripe.
   */
  'POST /api/videos/{videoId}/checkout': async (context) => {
    const { deps, now } = context;
    const caller = requireCaller(context.caller);
    const video = await deps.catalog.get(pathVideoId(context));
    const privileged = video !== undefined && (video.creatorId === caller.userId || isAdmin(caller));
    if (!video || video.state === 'DELETED' || (video.state !== 'PUBLISHED' && !privileged)) {
      throw notFound();
    }
    if (privileged || await deps.entitlements.isEntitled(caller.userId, video.videoId, video.access, now)) {
      throw new ApiError(409, 'already-entitled', 'you may watch this video already');
    }
    if (video.access !== 'purchase' || video.price === undefined) {
      throw new ApiError(409, 'not-for-sale', video.access === 'premium'
        ? 'this video is not sold on its own: it comes with the premium membership'
        : 'this video is not for sale');
    }
    const app = appUrl(context);
    const returnTo = (outcome: string) => `${app}/#/watch/${encodeURIComponent(video.videoId)}?checkout=${outcome}`;
    const session = await startCheckout(context, {
      mode: 'payment',
      userId: caller.userId,
      videoId: video.videoId,
      title: video.title,
      price: video.price,
      successUrl: returnTo('success'),
      cancelUrl: returnTo('cancelled'),
    });
    return jsonResult(201, session);
  },

  /**
   * Adds or replaces a caption track: `{ label, format: "vtt" | "srt", content }`.
   * The file travels in the JSON body (at most 1 MiB of text, well within
   * API Gateway's 10 MB payload) instead of a presigned upload, because it is
   * checked whole before anything is stored: a bad file is a 400 and changes
   * nothing. The track is served beside the renditions as an HLS subtitle
   * rendition, without encoding the video again.
   */
  'PUT /api/videos/{videoId}/captions/{language}': async (context) => {
    const { video, language, files } = await captionTarget(context);
    const body = jsonBody(context.event, CAPTION_BODY_BYTES);
    onlyFields(body, ['label', 'format', 'content']);
    const format = oneOf(body, 'format', ['vtt', 'srt'] as const, true)!;
    if (body.content === undefined || body.content === null) {
      throw new ApiError(400, 'missing-field', 'content is required');
    }
    const label = captionInput(() => parseLabel(body.label));
    const parsed = captionInput(() => parseCaptions(body.content, format));
    const others = (video.captions ?? []).filter((track) => track.language !== language);
    if (others.length >= MAX_CAPTION_TRACKS) {
      throw new ApiError(409, 'too-many-captions', `a video has at most ${MAX_CAPTION_TRACKS} caption tracks; remove one first`);
    }
    if (others.some((track) => track.label === label)) {
      // Players list tracks by name, and RFC 8216 wants the names of one group distinct.
      throw new ApiError(409, 'duplicate-label', `another caption track is labelled ${JSON.stringify(label)}; give this one another label`);
    }
    const folder = OUTPUT_LAYOUT.videoFolder(video.videoId);
    const master = await readMaster(files, video);
    const start = await streamStart(files, folder, master);
    await files.write(`${folder}${CAPTION_FILES.vtt(language)}`, start === undefined ? parsed.vtt : withTimestampMap(parsed.vtt, start), 'text/vtt; charset=utf-8');
    await files.write(`${folder}${CAPTION_FILES.playlist(language)}`, subtitlePlaylist(language, video.outputs?.durationSeconds ?? 0), HLS_PLAYLIST_TYPE);
    const existing = video.captions?.find((track) => track.language === language);
    const track: CaptionTrack = { language, label, addedAt: existing?.addedAt ?? context.now.toISOString() };
    const captions = existing ? (video.captions ?? []).map((t) => (t.language === language ? track : t)) : [...others, track];
    const updated = await saveCaptions(context, video, captions, master, [language]);
    return jsonResult(200, { language, label, cues: parsed.cues.length, captions: ownerView(updated, mediaBase(context)).captions });
  },

  /** Removes a caption track; removing one that is not there answers the same. */
  'DELETE /api/videos/{videoId}/captions/{language}': async (context) => {
    const { video, language, files } = await captionTarget(context);
    const master = await readMaster(files, video);
    await saveCaptions(context, video, (video.captions ?? []).filter((track) => track.language !== language), master, [language]);
    // Once the master no longer names them.
    const folder = OUTPUT_LAYOUT.videoFolder(video.videoId);
    await files.remove(`${folder}${CAPTION_FILES.playlist(language)}`);
    await files.remove(`${folder}${CAPTION_FILES.vtt(language)}`);
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  },

  /** What is for sale: the premium membership's price, and whether checkout works at all. No sign-in needed. */
  'GET /api/offers': async (context) => {
    const premium = context.deps.settings.premium;
    return jsonResult(200, {
      premium: premium ? { amount: premium.amount, currency: premium.currency, interval: premium.interval } : null,
      checkout: context.deps.checkout !== undefined,
    });
  },

  /** A Stripe Checkout Session subscribing the caller to premium. */
  'POST /api/me/premium/checkout': async (context) => {
    const { deps, now } = context;
    const caller = requireCaller(context.caller);
    const offer = deps.settings.premium;
    if (!offer) {
      throw new ApiError(409, 'not-for-sale', 'the premium membership is not offered on this platform');
    }
    if (await deps.entitlements.hasPremium(caller.userId, now)) {
      throw new ApiError(409, 'already-entitled', 'you have premium already');
    }
    const app = appUrl(context);
    const session = await startCheckout(context, {
      mode: 'subscription',
      userId: caller.userId,
      offer,
      successUrl: `${app}/#/?checkout=success`,
      cancelUrl: `${app}/#/?checkout=cancelled`,
    });
    return jsonResult(201, session);
  },

  /** A user's entitlements, with who granted them and when. */
  'GET /api/admin/users/{userId}': async (context) => {
    requireAdmin(context.caller);
    const userId = context.event.pathParameters?.userId ?? '';
    if (!isUserId(userId)) {
      throw new ApiError(400, 'invalid-field', `userId must be a user id, got ${JSON.stringify(userId)}`);
    }
    const entitlements = await context.deps.entitlements.list(userId);
    return jsonResult(200, {
      userId,
      entitlements: entitlements.map((e) => ({
        id: publicEntitlementId(e.entitlementId), expiresAt: e.expiresAt, grantedBy: e.grantedBy, grantedAt: e.grantedAt,
      })),
    });
  },

  /**
   * Videos of every creator, most recently updated first: those in `state`,
   * or, without it, those in any state but DELETED.
   */
  'GET /api/admin/videos': async (context) => {
    requireAdmin(context.caller);
    const state = context.event.queryStringParameters?.state || undefined;
    if (state !== undefined && !ADMIN_LISTED_STATES.includes(state as VideoState)) {
      throw new ApiError(400, 'invalid-field', `state must be one of ${ADMIN_LISTED_STATES.join(', ')}, got ${describe(state)}`);
    }
    const limit = pageLimit(context);
    const page = state === undefined
      ? await context.deps.catalog.listRecentlyUpdated(ADMIN_LISTED_STATES.filter((s) => s !== 'DELETED'), limit, pageCursor(context))
      : await context.deps.catalog.listByState(state as VideoState, limit, pageCursor(context));
    return jsonResult(200, { videos: page.items.map((video) => ownerView(video, mediaBase(context))), cursor: page.cursor });
  },

  /** The caller's own videos, newest first. */
  'GET /api/me/videos': async (context) => {
    const caller = requireCreator(context.caller);
    const page = await context.deps.catalog.listByCreator(caller.userId, pageLimit(context), pageCursor(context));
    return jsonResult(200, { videos: page.items.map((video) => ownerView(video, mediaBase(context))), cursor: page.cursor });
  },

  /** Who the caller is and what they are entitled to. */
  'GET /api/me': async (context) => {
    const caller = requireCaller(context.caller);
    const entitlements = await context.deps.entitlements.list(caller.userId);
    return jsonResult(200, {
      userId: caller.userId,
      groups: caller.groups,
      entitlements: entitlements.map((e) => ({ id: publicEntitlementId(e.entitlementId), expiresAt: e.expiresAt })),
    });
  },

  /** Grants premium until a date (`entitlementId` "premium", `expiresAt` required) or one video. */
  'PUT /api/admin/users/{userId}/entitlements/{entitlementId}': async (context) => {
    const admin = requireAdmin(context.caller);
    const { userId, entitlementId } = adminPath(context);
    const body = jsonBody(context.event);
    onlyFields(body, ['expiresAt']);
    const expiresAt = text(body, 'expiresAt', { max: 40, required: entitlementId === PREMIUM });
    if (expiresAt !== undefined && (Number.isNaN(Date.parse(expiresAt)) || !/^\d{4}-\d{2}-\d{2}/.test(expiresAt) || Date.parse(expiresAt) <= context.now.getTime())) {
      throw new ApiError(400, 'invalid-field', `expiresAt must be a future ISO 8601 date, got ${JSON.stringify(expiresAt)}`);
    }
    const id = entitlementId === PREMIUM ? PREMIUM : videoEntitlement(entitlementId);
    await context.deps.entitlements.grant({
      userId,
      entitlementId: id,
      grantedAt: context.now.toISOString(),
      grantedBy: `admin:${admin.userId}`,
      ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
    });
    return jsonResult(200, { userId, entitlementId, expiresAt: expiresAt ? new Date(expiresAt).toISOString() : undefined });
  },

  /** Revokes an entitlement; revoking one that is gone answers the same. */
  'DELETE /api/admin/users/{userId}/entitlements/{entitlementId}': async (context) => {
    requireAdmin(context.caller);
    const { userId, entitlementId } = adminPath(context);
    await context.deps.entitlements.revoke(userId, entitlementId === PREMIUM ? PREMIUM : videoEntitlement(entitlementId));
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  },

  /**
   * Undoes a deletion while the video's source is kept: the video comes back
   * FAILED with the reason `RESTORED` (its renditions were removed), for its
   * creator to transcode again with retry; a draft comes back a draft. 410
   * once the source is gone.
   */
  'POST /api/admin/videos/{videoId}/restore': async (context) => {
    requireAdmin(context.caller);
    const video = await context.deps.catalog.get(pathVideoId(context));
    if (!video) {
      throw notFound();
    }
    expectState(video, ['DELETED'], 'restore');
    if (video.currentUploadId) {
      const outcome = await context.deps.restoreVideoFiles(video.videoId, video.currentUploadId);
      if (outcome.outcome !== 'restored') {
        throw new ApiError(410, 'gone', `the video cannot be restored: ${outcome.reason ?? outcome.outcome}`);
      }
    }
    await context.deps.catalog.transition(video.videoId, {
      from: ['DELETED'],
      set: video.currentUploadId
        ? { state: 'FAILED', failure: RESTORED, progressPercent: 0, updatedAt: context.now.toISOString() }
        : { state: 'DRAFT', updatedAt: context.now.toISOString() },
      remove: ['deletedAt', 'outputs', 'transcodeOrder'],
    });
    return jsonResult(200, ownerView((await context.deps.catalog.get(video.videoId))!, mediaBase(context)));
  },
};

/** At most this many caption tracks per video. */
const MAX_CAPTION_TRACKS = 20;
/** A caption file's JSON body: the file (at most 1 MiB) with room for JSON's escapes. */
const CAPTION_BODY_BYTES = 2 * MAX_CAPTION_BYTES + 16 * 1024;
const HLS_PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
/** The most read of a segment to find where the stream starts: its first PES packets are at its start. */
const SEGMENT_PROBE_BYTES = 256 * 1024;

/** The owner's video whose caption tracks change, READY or PUBLISHED, and the language in the path. */
async function captionTarget(context: RouteContext) {
  const video = await ownedVideo(context);
  const files = context.deps.mediaFiles;
  if (!files) {
    throw new ApiError(503, 'captions-unavailable', 'caption tracks are not set up on this platform');
  }
  expectState(video, ['READY', 'PUBLISHED'], 'change the captions of');
  const language = captionInput(() => parseLanguage(context.event.pathParameters?.language));
  return { video, language, files };
}

/** Runs a caption check; its refusal is a 400 with its message. */
function captionInput<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof CaptionError) {
      throw new ApiError(400, 'invalid-captions', error.message);
    }
    throw error;
  }
}

async function readMaster(files: MediaFiles, video: VideoRecord): Promise<string> {
  const bytes = await files.read(video.outputs?.masterPlaylistKey ?? OUTPUT_LAYOUT.masterPlaylist(video.videoId));
  if (!bytes) {
    throw new ApiError(409, 'no-renditions', 'the video\'s renditions are not there; it cannot take captions');
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Where the video's MPEG-TS segments start (90 kHz), from the first segment
 * of the first variant. MediaConvert chooses the initial PTS of each output
 * (at least two seconds with its default, automatic offset), so it is read,
 * not assumed; undefined when the segments are not a transport stream.
 */
async function streamStart(files: MediaFiles, folder: string, master: string): Promise<number | undefined> {
  const variant = firstVariantUri(master);
  if (!variant || /^[a-z]+:|^\/|\.\./i.test(variant)) {
    return undefined;
  }
  const variantKey = `${folder}${variant}`;
  const playlist = await files.read(variantKey);
  const segment = playlist ? firstSegmentUri(Buffer.from(playlist).toString('utf8')) : undefined;
  if (!segment || /^[a-z]+:|^\/|\.\./i.test(segment)) {
    return undefined;
  }
  const bytes = await files.read(`${variantKey.slice(0, variantKey.lastIndexOf('/') + 1)}${segment}`, SEGMENT_PROBE_BYTES);
  return bytes ? firstPresentationTime(bytes) : undefined;
}

/**
 * Records the video's caption tracks, if it did not change meanwhile (a 409
 * otherwise), then rewrites its master playlist to list exactly those tracks
 * and has the CDN drop its cached copy. Without an invalidation the CDN's
 * copy lapses within its 30-second cache time for playlists.
 */
async function saveCaptions(
  context: RouteContext, video: VideoRecord, captions: readonly CaptionTrack[], master: string, changedLanguages: readonly string[],
): Promise<VideoRecord> {
  const updated = await context.deps.catalog.transition(video.videoId, {
    from: ['READY', 'PUBLISHED'],
    expected: { updatedAt: video.updatedAt },
    set: { captions, updatedAt: context.now.toISOString() },
  });
  const key = video.outputs?.masterPlaylistKey ?? OUTPUT_LAYOUT.masterPlaylist(video.videoId);
  await context.deps.mediaFiles!.write(key, withSubtitleTracks(master, captions), HLS_PLAYLIST_TYPE);
  // The track's own files are cached like segments (a day): a replaced or removed track goes too.
  const folder = OUTPUT_LAYOUT.videoFolder(video.videoId);
  await context.deps.invalidate?.([`/${key}`, ...changedLanguages.flatMap((language) => [
    `/${folder}${CAPTION_FILES.vtt(language)}`, `/${folder}${CAPTION_FILES.playlist(language)}`,
  ])]);
  return updated;
}

/** Why a restored video is failed: its renditions were removed with the deletion. */
const RESTORED = {
  code: 'RESTORED',
  message: 'the video was deleted and restored; its renditions were removed, so transcode it again (retry)',
};

/** The states an admin lists videos by; DELETED ones are there to be restored. */
const ADMIN_LISTED_STATES: readonly VideoState[] = ['DRAFT', 'UPLOADING', 'PROCESSING', 'READY', 'PUBLISHED', 'FAILED', 'DELETED'];

/** An entitlement as callers name it: `premium`, or the video's id. */
function publicEntitlementId(entitlementId: EntitlementId): string {
  return entitlementId === PREMIUM ? PREMIUM : entitlementId.replace(/^video#/, '');
}

function priceRequired(message: string): ApiError {
  return new ApiError(409, 'price-required', message);
}

function appUrl(context: RouteContext): string {
  return context.deps.settings.appUrl ?? `https://${context.deps.settings.mediaDomain}`;
}

/**
 * A checkout session from Stripe. Stripe's refusals and faults are a 502
 * with a message that tells nothing of them (they are logged where the
 * session is created); no Stripe key is a 503.
 */
async function startCheckout(context: RouteContext, request: CheckoutRequest): Promise<CheckoutSession> {
  const checkout = context.deps.checkout;
  const unavailable = new ApiError(503, 'checkout-unavailable', 'payments are not set up on this platform');
  if (!checkout) {
    throw unavailable;
  }
  try {
    return await checkout.createSession(request, context.now);
  } catch (error) {
    if (error instanceof CheckoutUnavailableError) {
      throw unavailable;
    }
    if (error instanceof PaymentProviderError) {
      throw new ApiError(502, 'payment-provider-error', 'the payment provider could not start the checkout; try again in a moment');
    }
    throw error;
  }
}

function adminPath(context: RouteContext): { userId: string; entitlementId: string } {
  const userId = context.event.pathParameters?.userId ?? '';
  const entitlementId = context.event.pathParameters?.entitlementId ?? '';
  if (!isUserId(userId)) {
    throw new ApiError(400, 'invalid-field', `userId must be a user id, got ${JSON.stringify(userId)}`);
  }
  if (entitlementId !== PREMIUM && !isValidId(entitlementId)) {
    throw new ApiError(400, 'invalid-field', `entitlementId must be "premium" or a video id, got ${JSON.stringify(entitlementId)}`);
  }
  return { userId, entitlementId };
}

/** The route keys this handler answers (the same as API_ROUTES; a test holds them equal). */
export const HANDLED_ROUTES = Object.keys(ROUTES);
