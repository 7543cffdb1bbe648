import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { ApiRouteKey } from './api-routes';
import { Caller, isAdmin, requireAdmin, requireCaller, requireCreator } from './auth.lambda-shared';
import { CaptionStore, MAX_CAPTION_TRACKS, putCaptionTrack, removeCaptionTrack } from './caption-tracks.lambda-shared';
import { CaptionError, MAX_CAPTION_BYTES, parseCaptions, parseLabel, parseLanguage } from './captions.lambda-shared';
import { ACCESS_MODES, downloadKey, ownerView, PickedPoster, publicView, UploadRecord, VideoRecord, VideoState } from './catalog-model.lambda-shared';
import { Catalog } from './catalog.lambda-shared';
import { EntitlementId, EntitlementStore, PREMIUM, videoEntitlement } from './entitlements.lambda-shared';
import { ApiError, describe, errorResult, header, HttpEvent, HttpResult, jsonBody, jsonResult, oneOf, onlyFields, text, wholeNumber } from './http.lambda-shared';
import { cropJpeg, isPickedPosterKey, parseThumbnailCues, PosterError, thumbnailCueAt, tileImageKey } from './posters.lambda-shared';
import { parsePrice, PremiumOffer } from './prices.lambda-shared';
import { PUBLISHED_LISTING } from './schema';
import { LEASE_GRACE_SECONDS, StreamLease, StreamLeases } from './stream-leases.lambda-shared';
import { Checkout, CheckoutRequest, CheckoutSession, CheckoutUnavailableError, PaymentProviderError } from './stripe-checkout.lambda-shared';
import { isValidId } from '../contracts/source-keys';
import { OUTPUT_LAYOUT } from '../contracts/transcode-status';
import { IssuedUpload, ListedParts, UploadRequest, UploadResponse } from '../contracts/upload-messages';
import { isUserId } from '../contracts/user-ids';
import { ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER, ViewerAddressSource } from '../contracts/viewer-address';
import type { MediaSigner } from '../delivery/media-signer';
import type { ContentKeys } from '../transcode/content-keys.lambda-shared';
import { thumbnailsTrackKey } from '../transcode/trick-play.lambda-shared';

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
  /** How many playback sessions a signed-in user may hold at once; no limit when undefined. */
  readonly streamLimit?: number;
  /**
   * Where the viewer's IPv4 address comes from when playback cookies, download
   * URLs and a session's key are bound to it; not bound when undefined.
   */
  readonly viewerAddress?: ViewerAddressSource;
}

/** Files of the pipeline's output bucket, by key; caption tracks are written beside a video's renditions, picked posters beside its posters. */
export interface MediaFiles {
  /** The object's bytes (at most the first `maxBytes`), or undefined when there is none. */
  read(key: string, maxBytes?: number): Promise<Uint8Array | undefined>;
  write(key: string, body: string | Uint8Array, contentType: string): Promise<void>;
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
  /**
   * The value the distribution sends in its origin header: with
   * `settings.viewerAddress` `cloudfront`, the address header is trusted only
   * on requests that carry it (none is, without it).
   */
  readonly originVerifier?: () => Promise<string>;
  /** Playback sessions as leases, when the platform limits concurrent streams. */
  readonly leases?: StreamLeases;
  /** The content keys of encrypted videos, when the pipeline encrypts segments; the key route answers 404 without them. */
  readonly contentKeys?: ContentKeys;
  /** The pipeline's output bucket; the caption and poster routes answer 503 without it. */
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
    // The new upload left the picked poster behind with the old encode; posters are public, so its file goes too.
    if (video.pickedPoster && context.deps.mediaFiles) {
      await removePickedPoster(context, context.deps.mediaFiles, video.videoId, video.pickedPoster);
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
    // The signer first: a lease is taken only when cookies can be signed for it (else its slot would be held, unused).
    const signer = await deps.signer();
    // Before the lease: a request whose address cannot be bound takes no slot.
    const ipAddress = await boundViewerAddress(context).catch((error: unknown) => {
      deps.onPlayback?.('denied', 'viewer-address');
      throw error;
    });
    // Checked after the entitlement, so a revoked entitlement stops a renewal whatever the lease says.
    const lease = await playbackLease(context, video, ipAddress);
    const expiresAt = new Date(now.getTime() + deps.settings.sessionSeconds * 1000);
    const signed = signer.signedCookies({
      host: deps.settings.mediaDomain, videoId: video.videoId, expiresAt, sameSite: deps.settings.sameSite, ipAddress,
    }, now);
    deps.onPlayback?.('issued');
    return jsonResult(200, {
      playlistUrl: `${mediaBase(context)}/${OUTPUT_LAYOUT.masterPlaylist(video.videoId)}`,
      expiresAt: expiresAt.toISOString(),
      refreshAfterSeconds: Math.floor(deps.settings.sessionSeconds * 0.8),
      ...(lease ? { sessionId: lease.sessionId } : {}),
    }, lease && deps.contentKeys ? [...signed.setCookies, keySessionCookie(context, lease)] : signed.setCookies);
  },

  /**
   * The video's AES-128 content key (16 bytes, never cached), for a player
   * holding a live playback session of this video: the session is named by
   * the cookie the playback route set for this path, so the key request a
   * player makes for `#EXT-X-KEY` (hls.js, or Safari's own player) needs no
   * header of its own. A public video's key is answered to anyone, as its
   * playback is. Once the session ends, lapses or is revoked, or the
   * entitlement behind it is (its renewal is then refused), the key is refused.
   */
  'GET /api/videos/{videoId}/key': async (context) => {
    const { deps, now } = context;
    const videoId = pathVideoId(context);
    if (!deps.contentKeys) {
      throw new ApiError(404, 'not-encrypted', 'this platform does not encrypt its videos; there is no key');
    }
    const session = keySessionOf(context.event);
    // A session bound to its viewer's address answers its key at that address alone.
    let allowed = session !== undefined && deps.leases !== undefined
      && await deps.leases.isLive(session.userId, session.sessionId, videoId, now, await viewerAddressOf(context));
    if (!allowed) {
      const video = await deps.catalog.get(videoId);
      allowed = video?.state === 'PUBLISHED' && video.access === 'public';
    }
    if (!allowed) {
      throw new ApiError(403, 'no-playback-session', session
        ? 'this playback session has ended, is another video\'s, or is bound to another address; start a playback session of this video here for its key'
        : 'the key is answered to a live playback session of this video; start one (POST /api/videos/{videoId}/playback)');
    }
    const key = await deps.contentKeys.read(videoId);
    if (!key) {
      throw new ApiError(404, 'not-encrypted', 'this video has no content key: its segments are not encrypted');
    }
    return {
      statusCode: 200,
      // `no-store`: never kept by a browser or a CDN, so each fetch is checked (the API's behaviour at CloudFront caches nothing either).
      headers: { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', 'content-length': '16' },
      body: Buffer.from(key).toString('base64'),
      isBase64Encoded: true,
    };
  },

  /**
   * A signed URL for the video's MP4 download, for whoever may play the
   * video: a canned policy for that one file (a custom one bound to the
   * viewer's address, when playback is), valid as long as a playback
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
      downloadUrl: signer.signedUrl(`${mediaBase(context)}/${key}`, expiresAt, now, await boundViewerAddress(context)),
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
    const updated = await putCaptionTrack(captionStore(context, files), video, { language, label }, parsed.vtt);
    return jsonResult(200, { language, label, cues: parsed.cues.length, captions: ownerView(updated, mediaBase(context)).captions });
  },

  /** Removes a caption track; removing one that is not there answers the same. */
  'DELETE /api/videos/{videoId}/captions/{language}': async (context) => {
    const { video, language, files } = await captionTarget(context);
    await removeCaptionTrack(captionStore(context, files), video, language);
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  },

  /**
   * Makes the scrub thumbnail showing at `{ time }` seconds the video's
   * poster: the thumbnail is cut out of its tile image and stored under a
   * new name (`posters/<id>/picked-<ms>.jpg`), so no cache holds an older
   * picture under the URL given out. The poster picked before is removed and
   * dropped from the CDN; the pipeline's own capture is kept, for DELETE to
   * go back to. A bad time is a 400, a video without thumbnails a 409.
   */
  'PUT /api/videos/{videoId}/poster': async (context) => {
    const { video, files } = await posterTarget(context);
    const body = jsonBody(context.event);
    onlyFields(body, ['time']);
    const time = posterTime(body.time, video.outputs?.durationSeconds ?? 0);
    const frame = await thumbnailFrame(files, video.videoId, time);
    // Later than the last pick even within one millisecond, so a pick never takes over the name of the one it replaces.
    const millis = Math.max(context.now.getTime(), pickedMillis(video.pickedPoster) + 1);
    const picked: PickedPoster = { key: OUTPUT_LAYOUT.pickedPoster(video.videoId, millis), timeSeconds: time, pickedAt: context.now.toISOString() };
    await files.write(picked.key, frame, 'image/jpeg');
    let updated: VideoRecord;
    try {
      updated = await context.deps.catalog.transition(video.videoId, {
        from: ['READY', 'PUBLISHED'],
        expected: { updatedAt: video.updatedAt },
        set: { pickedPoster: picked, updatedAt: context.now.toISOString() },
      });
    } catch (error) {
      // Another change came first: this frame is no one's poster, unless a pick racing this one wrote the same file.
      if ((await context.deps.catalog.get(video.videoId))?.pickedPoster?.key !== picked.key) {
        await files.remove(picked.key);
      }
      throw error;
    }
    if (video.pickedPoster) {
      await removePickedPoster(context, files, video.videoId, video.pickedPoster);
    }
    const view = ownerView(updated, mediaBase(context));
    return jsonResult(200, { posterUrl: view.posterUrl, pickedPoster: view.pickedPoster });
  },

  /** Goes back to the pipeline's own poster, removing the picked one; a video without a picked poster answers the same. */
  'DELETE /api/videos/{videoId}/poster': async (context) => {
    const { video, files } = await posterTarget(context);
    let updated = video;
    if (video.pickedPoster) {
      updated = await context.deps.catalog.transition(video.videoId, {
        from: ['READY', 'PUBLISHED'],
        expected: { updatedAt: video.updatedAt },
        set: { updatedAt: context.now.toISOString() },
        remove: ['pickedPoster'],
      });
      await removePickedPoster(context, files, video.videoId, video.pickedPoster);
    }
    return jsonResult(200, { posterUrl: ownerView(updated, mediaBase(context)).posterUrl });
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

  /** The caller's live playback sessions, oldest first (empty without stream limits). */
  'GET /api/me/sessions': async (context) => {
    const caller = requireCaller(context.caller);
    const leases = context.deps.leases;
    const live = leases && context.deps.settings.streamLimit ? await leases.live(caller.userId, context.now) : [];
    return jsonResult(200, { limit: context.deps.settings.streamLimit ?? null, sessions: await describeSessions(context, live) });
  },

  /**
   * Ends one of the caller's playback sessions ("stop watching there"): its
   * slot is free at once and its next renewal is refused, so the device it
   * plays on stops within one cookie lifetime. Ending one that is over answers the same.
   */
  'DELETE /api/me/sessions/{sessionId}': async (context) => {
    const caller = requireCaller(context.caller);
    const sessionId = context.event.pathParameters?.sessionId;
    if (!isSessionId(sessionId)) {
      throw new ApiError(400, 'invalid-session', 'sessionId must be a playback session\'s id (a UUID)');
    }
    await context.deps.leases?.end(caller.userId, sessionId, context.now);
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
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

  /**
   * Ends every playback session of a user: none can be renewed, so the user's
   * playback stops within one cookie lifetime (and a new session needs the
   * entitlement again). Answers how many were live.
   */
  'DELETE /api/admin/users/{userId}/sessions': async (context) => {
    requireAdmin(context.caller);
    const userId = context.event.pathParameters?.userId;
    if (!isUserId(userId)) {
      throw new ApiError(400, 'invalid-user', 'userId must be a user\'s id');
    }
    if (!context.deps.leases || !context.deps.settings.streamLimit) {
      throw new ApiError(409, 'no-stream-limits', 'playback sessions are not kept on this platform (it has no stream limit), so there are none to end');
    }
    return jsonResult(200, { ended: await context.deps.leases.endAll(userId, context.now) });
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
      remove: ['deletedAt', 'outputs', 'transcodeOrder', 'pickedPoster'],
    });
    return jsonResult(200, ownerView((await context.deps.catalog.get(video.videoId))!, mediaBase(context)));
  },
};

/** A caption file's JSON body: the file (at most 1 MiB) with room for JSON's escapes. */
const CAPTION_BODY_BYTES = 2 * MAX_CAPTION_BYTES + 16 * 1024;

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

/** Where the caption routes keep tracks: the output bucket, the catalog and the CDN. */
function captionStore(context: RouteContext, files: MediaFiles): CaptionStore {
  const keys = context.deps.contentKeys;
  return {
    catalog: context.deps.catalog,
    files,
    invalidate: context.deps.invalidate,
    now: context.now,
    contentKey: keys ? (videoId) => keys.read(videoId) : undefined,
  };
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

/** The largest thumbnails tile image read: the pipeline's are about 100 KB (25 thumbnails of 320 pixels). */
const MAX_TILE_BYTES = 8 * 1024 * 1024;

/** The owner's (or an admin's) video whose poster changes, READY or PUBLISHED. */
async function posterTarget(context: RouteContext) {
  const video = await ownedVideo(context, true);
  const files = context.deps.mediaFiles;
  if (!files) {
    throw new ApiError(503, 'posters-unavailable', 'picking posters is not set up on this platform');
  }
  expectState(video, ['READY', 'PUBLISHED'], 'change the poster of');
  return { video, files };
}

/** A time of the video, in seconds: a finite number from 0 to its duration. */
function posterTime(value: unknown, durationSeconds: number): number {
  if (value === undefined || value === null) {
    throw new ApiError(400, 'missing-field', 'time is required: the second of the video whose thumbnail becomes the poster');
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > durationSeconds) {
    // JSON reads a number too large for a double (1e400) as Infinity, which JSON itself would write as null.
    const got = typeof value === 'number' ? String(value) : describe(value);
    throw new ApiError(400, 'invalid-field', `time must be a number of seconds from 0 to ${durationSeconds} (the video's duration), got ${got}`);
  }
  return value;
}

/** The scrub thumbnail showing at `time`, as a JPEG of its own; 409 when the video has none or it cannot be used. */
async function thumbnailFrame(files: MediaFiles, videoId: string, time: number): Promise<Uint8Array> {
  const trackKey = thumbnailsTrackKey(videoId);
  const track = await files.read(trackKey);
  const cues = track ? parseThumbnailCues(Buffer.from(track).toString('utf8')) : [];
  if (cues.length === 0) {
    throw new ApiError(409, 'no-thumbnails', 'the video has no scrub thumbnails to pick a poster from');
  }
  const cue = thumbnailCueAt(cues, time);
  if (!cue) {
    throw new ApiError(409, 'no-thumbnails', `no scrub thumbnail shows at ${time} seconds`);
  }
  const unusable = (reason: string) => new ApiError(409, 'unusable-thumbnail', `the thumbnail at ${time} seconds cannot be a poster: ${reason}`);
  const tileKey = tileImageKey(cue.image, trackKey);
  if (!tileKey) {
    throw unusable(`its tile image ${JSON.stringify(cue.image)} is not a JPEG image of the video`);
  }
  const tile = await files.read(tileKey, MAX_TILE_BYTES + 1);
  if (!tile) {
    throw unusable('its tile image is missing');
  }
  if (tile.byteLength > MAX_TILE_BYTES) {
    throw unusable(`its tile image is larger than ${MAX_TILE_BYTES} bytes`);
  }
  try {
    return cropJpeg(tile, cue).jpeg;
  } catch (error) {
    if (error instanceof PosterError) {
      throw unusable(error.message);
    }
    throw error;
  }
}

/** The milliseconds in a picked poster's name; 0 without one. */
function pickedMillis(picked: PickedPoster | undefined): number {
  const match = picked ? /-(\d+)\.jpg$/.exec(picked.key) : null;
  return match ? Number(match[1]) : 0;
}

/**
 * Removes a poster that is no longer picked, and has the CDN drop its copy
 * (posters are cached like segments). Only a picked poster's file, never the
 * pipeline's capture, whatever the record says.
 */
async function removePickedPoster(context: RouteContext, files: MediaFiles, videoId: string, picked: PickedPoster): Promise<void> {
  if (!isPickedPosterKey(videoId, picked.key)) {
    return;
  }
  await files.remove(picked.key);
  await context.deps.invalidate?.([`/${picked.key}`]);
}

/**
 * The lease of a signed-in viewer's playback session, when the platform
 * limits concurrent streams: a renewal (`sessionId` in the body) extends it,
 * or is refused once it ended, lapsed or was revoked (409 `session-ended`);
 * a start takes a free slot, or is refused with the user's live sessions
 * (429 `too-many-streams`) for the app to offer stopping one. Viewers who are
 * not signed in (public videos) hold no lease.
 */
async function playbackLease(context: RouteContext, video: VideoRecord, viewerAddress?: string): Promise<StreamLease | undefined> {
  const { deps, caller, now } = context;
  const limit = deps.settings.streamLimit;
  if (!deps.leases || !limit || !caller) {
    return undefined;
  }
  const body = jsonBody(context.event);
  onlyFields(body, ['sessionId', 'device']);
  const lifetimeSeconds = deps.settings.sessionSeconds;
  if (body.sessionId !== undefined) {
    if (!isSessionId(body.sessionId)) {
      throw new ApiError(400, 'invalid-session', 'sessionId must be a playback session\'s id (a UUID)');
    }
    const renewed = await deps.leases.renew({
      userId: caller.userId, sessionId: body.sessionId, videoId: video.videoId, lifetimeSeconds, now, viewerAddress,
    });
    if (!renewed) {
      throw new ApiError(409, 'session-ended', 'this playback session has ended: it was stopped from another device, ended by an administrator, or lapsed');
    }
    return renewed;
  }
  const device = deviceLabel(body.device, header(context.event, 'user-agent'));
  const outcome = await deps.leases.start({ userId: caller.userId, videoId: video.videoId, device, limit, lifetimeSeconds, now, viewerAddress });
  if ('full' in outcome) {
    const devices = `${limit} ${limit === 1 ? 'device' : 'devices'}`;
    throw new ApiError(429, 'too-many-streams', `you are watching on ${devices} already, the most at once; stop one of them to watch here`, {
      limit, sessions: await describeSessions(context, outcome.full),
    });
  }
  return outcome.taken;
}

/** Playback sessions as their user sees them: the device, the video (with its title) and when it started. */
async function describeSessions(context: RouteContext, leases: readonly StreamLease[]) {
  const titles = new Map<string, string | undefined>();
  for (const videoId of new Set(leases.map((lease) => lease.videoId))) {
    titles.set(videoId, (await context.deps.catalog.get(videoId))?.title);
  }
  return leases.map((lease) => ({
    sessionId: lease.sessionId,
    device: lease.device,
    videoId: lease.videoId,
    videoTitle: titles.get(lease.videoId) ?? null,
    startedAt: lease.startedAt,
  }));
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The cookie naming a viewer's playback session to the key route of its video. */
const KEY_SESSION_COOKIE = 'vod-playback-session';

/**
 * `<sessionId>.<userId>`, for the key route's path only, as long as the lease
 * can live: HttpOnly (no script reads it) and Secure, with the playback
 * cookies' SameSite. The session id is random (a UUID), so holding the
 * cookie is what proves the session, as holding the signed cookies proves
 * the right to the segments.
 */
function keySessionCookie(context: RouteContext, lease: StreamLease): string {
  const { settings } = context.deps;
  const path = `/api/videos/${encodeURIComponent(lease.videoId)}/key`;
  const maxAge = settings.sessionSeconds + LEASE_GRACE_SECONDS;
  return `${KEY_SESSION_COOKIE}=${lease.sessionId}.${encodeURIComponent(lease.userId)}; Path=${path}; Max-Age=${maxAge}; Secure; HttpOnly; `
    + `SameSite=${settings.sameSite}`;
}

/**
 * The caller's address as the platform sees it: the header its distribution's
 * function sets, trusted only beside the distribution's origin header (a
 * request to the API's own endpoint could carry any address header);
 * undefined when playback is not bound or the address cannot be trusted.
 */
async function viewerAddressOf(context: RouteContext): Promise<string | undefined> {
  if (context.deps.settings.viewerAddress !== 'cloudfront') {
    return undefined;
  }
  const sent = header(context.event, ORIGIN_VERIFY_HEADER);
  const expected = await context.deps.originVerifier?.();
  return sent !== undefined && expected && sameSecret(sent, expected) ? header(context.event, VIEWER_ADDRESS_HEADER) : undefined;
}

/**
 * The viewer's IPv4 address when playback is bound to it, else undefined; a
 * 403 when it is bound and the request shows no IPv4 address (CloudFront's
 * `IpAddress` condition takes IPv4 only, so the platform's distribution
 * serves no IPv6; an API called some other way may see none).
 */
async function boundViewerAddress(context: RouteContext): Promise<string | undefined> {
  if (!context.deps.settings.viewerAddress) {
    return undefined;
  }
  const address = await viewerAddressOf(context);
  if (address === undefined || !isIPv4(address)) {
    throw new ApiError(403, 'viewer-address', address === undefined
      ? 'playback here is bound to the viewer\'s address, and this request does not show one: call the API through the platform\'s domain'
      : 'playback here is bound to the viewer\'s IPv4 address, and this request came from an address that is not IPv4');
  }
  return address;
}

/** Compares in constant time, over digests so that lengths tell nothing either. */
function sameSecret(sent: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(sent), digest(expected));
}

/** The playback session a key request's cookie names, if it names one. */
function keySessionOf(event: HttpEvent): { sessionId: string; userId: string } | undefined {
  for (const cookie of event.cookies ?? []) {
    const at = cookie.indexOf('=');
    if (at < 0 || cookie.slice(0, at).trim() !== KEY_SESSION_COOKIE) {
      continue;
    }
    const value = cookie.slice(at + 1).trim();
    const dot = value.indexOf('.');
    const sessionId = value.slice(0, dot);
    let userId: string;
    try {
      userId = decodeURIComponent(value.slice(dot + 1));
    } catch {
      continue;
    }
    if (dot > 0 && isSessionId(sessionId) && isUserId(userId)) {
      return { sessionId, userId };
    }
  }
  return undefined;
}

function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}

/**
 * What a session's device is called: the app's own label (at most 60
 * printable characters), or the browser and system its User-Agent names, or
 * "A device".
 */
function deviceLabel(given: unknown, userAgent: string | undefined): string {
  if (given !== undefined) {
    if (typeof given !== 'string' || given.trim() === '' || given.length > 60 || /[\u0000-\u001f\u007f]/.test(given)) {
      throw new ApiError(400, 'invalid-device', 'device must be 1 to 60 printable characters, such as "Firefox on a phone"');
    }
    return given.trim();
  }
  const ua = userAgent ?? '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : undefined;
  const system = /iPhone|iPad/.test(ua) ? 'iOS' : /Android/.test(ua) ? 'Android' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS'
    : /Linux/.test(ua) ? 'Linux' : undefined;
  return browser && system ? `${browser} on ${system}` : browser ?? system ?? 'A device';
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
