import { AccessMode, UploadRecord, VideoRecord, VideoState } from './catalog-model.lambda-shared';
import { ApiError } from './http.lambda-shared';
import { CATALOG_INDEXES, PUBLISHED_LISTING } from './schema';
import { statusOrder, TranscodeStatusDetail } from '../contracts/transcode-status';
import { Documents } from '../internal/documents.lambda-shared';

/** A page of videos and the cursor of the next one. */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}


/**
 * The video catalog in DynamoDB. Every change of state is a conditional write
 * that names the state (and, where it matters, the owner and the current
 * upload) it expects, so a duplicate, a race or an out-of-order event changes
 * nothing.
 */
export class Catalog {
  constructor(private readonly documents: Documents, private readonly tableName: string) {}

  public async get(videoId: string): Promise<VideoRecord | undefined> {
    const answer = await this.documents.get({ TableName: this.tableName, Key: { videoId }, ConsistentRead: true });
    return answer.Item as VideoRecord | undefined;
  }

  public async create(video: VideoRecord): Promise<void> {
    await this.documents.put({ TableName: this.tableName, Item: video, ConditionExpression: 'attribute_not_exists(videoId)' });
  }

  /**
   * Sets fields of a video if it is still in one of `states` (and, when
   * given, still has `expected` values); answers the new record. A video that
   * moved on meanwhile is a 409.
   */
  public async transition(videoId: string, change: {
    readonly from: readonly VideoState[];
    readonly expected?: Record<string, string | number | undefined>;
    /** Fields that must still be there (such as the price a purchase video is published with). */
    readonly present?: readonly string[];
    readonly set: Record<string, unknown>;
    readonly remove?: readonly string[];
  }): Promise<VideoRecord> {
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = {};
    const conditions = [`#state IN (${change.from.map((state, i) => {
      values[`:from${i}`] = state;
      return `:from${i}`;
    }).join(', ')})`];
    Object.entries(change.expected ?? {}).forEach(([field, value], i) => {
      names[`#e${i}`] = field;
      if (value === undefined) {
        conditions.push(`attribute_not_exists(#e${i})`);
      } else {
        values[`:e${i}`] = value;
        conditions.push(`#e${i} = :e${i}`);
      }
    });
    (change.present ?? []).forEach((field, i) => {
      names[`#p${i}`] = field;
      conditions.push(`attribute_exists(#p${i})`);
    });
    const sets = Object.entries(change.set).map(([field, value], i) => {
      names[`#s${i}`] = field;
      values[`:s${i}`] = value;
      return `#s${i} = :s${i}`;
    });
    const removes = (change.remove ?? []).map((field, i) => {
      names[`#r${i}`] = field;
      return `#r${i}`;
    });
    const updated = await this.documents.updateIf({
      TableName: this.tableName,
      Key: { videoId },
      UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
    if (!updated) {
      throw new ApiError(409, 'conflict', 'the video changed meanwhile; read it again and retry');
    }
    return updated as VideoRecord;
  }

  /** Records a new upload as the video's current one; of two racing uploads only one can win. */
  public startUpload(video: VideoRecord, upload: UploadRecord, now: Date): Promise<VideoRecord> {
    return this.transition(video.videoId, {
      from: ['DRAFT', 'UPLOADING', 'PROCESSING', 'READY', 'FAILED'],
      expected: { currentUploadId: video.currentUploadId },
      set: { state: 'UPLOADING', currentUploadId: upload.uploadId, upload, progressPercent: 0, updatedAt: now.toISOString() },
      // A new upload makes new renditions and a new master playlist, without the old one's caption tracks, and its own poster.
      remove: ['transcodeOrder', 'failure', 'outputs', 'captions', 'pickedPoster', 'automaticCaptions', 'automaticCaptionsStep'],
    });
  }

  /**
   * Applies a transcode status of the video's current upload if it is newer
   * than the last one applied; answers whether it was. Status of an upload
   * that is no longer current, duplicates and stale updates change nothing.
   */
  public async applyTranscodeStatus(status: TranscodeStatusDetail, now: Date): Promise<boolean> {
    const state: VideoState = status.state === 'COMPLETE' ? 'READY' : status.state === 'ERROR' ? 'FAILED' : 'PROCESSING';
    const set: Record<string, unknown> = {
      state,
      progressPercent: status.progressPercent,
      transcodeOrder: statusOrder(status),
      updatedAt: now.toISOString(),
    };
    if (status.outputs) {
      set.outputs = {
        masterPlaylistKey: status.outputs.masterPlaylistKey,
        durationSeconds: status.outputs.durationSeconds,
        renditions: status.outputs.renditions.map((r) => ({ width: r.width, height: r.height })),
        ...(status.outputs.posterKey ? { posterKey: status.outputs.posterKey } : {}),
        ...(status.outputs.downloadKey ? { downloadKey: status.outputs.downloadKey } : {}),
      };
    }
    if (status.failure) {
      set.failure = status.failure;
    }
    // A completed encode brings its own poster: one picked from an earlier encode's thumbnails no longer shows this video.
    const removed = [...(status.failure ? [] : ['failure']), ...(status.state === 'COMPLETE' ? ['pickedPoster'] : [])];
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = { ':upload': status.uploadId, ':order': statusOrder(status), ':u': 'UPLOADING', ':p': 'PROCESSING', ':f': 'FAILED' };
    const sets = Object.entries(set).map(([field, value], i) => {
      names[`#s${i}`] = field;
      values[`:s${i}`] = value;
      return `#s${i} = :s${i}`;
    });
    const applied = await this.documents.updateIf({
      TableName: this.tableName,
      Key: { videoId: status.videoId },
      UpdateExpression: `SET ${sets.join(', ')}${removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : ''}`,
      ConditionExpression: 'currentUploadId = :upload AND #state IN (:u, :p, :f) AND (attribute_not_exists(transcodeOrder) OR transcodeOrder < :order)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return applied !== undefined;
  }

  /** A creator's videos (deleted ones left out), newest first. */
  public listByCreator(creatorId: string, limit: number, cursor: string | undefined): Promise<Page<VideoRecord>> {
    return this.page({
      IndexName: CATALOG_INDEXES.byCreator,
      KeyConditionExpression: 'creatorId = :creator',
      FilterExpression: '#state <> :deleted',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':creator': creatorId, ':deleted': 'DELETED' },
    }, ['videoId', 'creatorId', 'createdAt'], limit, cursor);
  }

  /** Published videos, newest first. */
  public listPublished(limit: number, cursor: string | undefined): Promise<Page<VideoRecord>> {
    return this.page({
      IndexName: CATALOG_INDEXES.published,
      KeyConditionExpression: 'listing = :listing',
      ExpressionAttributeValues: { ':listing': PUBLISHED_LISTING },
    }, ['videoId', 'listing', 'publishedAt'], limit, cursor);
  }

  /** Videos in one state, most recently updated first. */
  public listByState(state: VideoState, limit: number, cursor: string | undefined): Promise<Page<VideoRecord>> {
    return this.page({
      IndexName: CATALOG_INDEXES.byState,
      KeyConditionExpression: '#state = :state',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':state': state },
    }, BY_STATE_KEY, limit, cursor);
  }

  /**
   * Videos in any of `states`, most recently updated first: one page of each
   * state's partition of the `byState` index, merged. The cursor keeps each
   * state's own position (the key of the last video of that state given
   * out), so every page resumes each partition exactly where it stopped; a
   * page reads at most `limit` items of each state. A video that changes
   * state between pages moves to another partition, so it may be listed
   * twice or not at all, as with any listing of a changing table.
   */
  public async listRecentlyUpdated(states: readonly VideoState[], limit: number, cursor: string | undefined): Promise<Page<VideoRecord>> {
    const positions = cursor === undefined ? {} : decodeStatesCursor(cursor, states);
    const partitions = await Promise.all(states.map(async (state) => {
      const position = positions[state];
      if (position === null) {
        return { state, items: [] as VideoRecord[], more: false, lastKey: undefined };
      }
      const answer = await this.documents.query({
        TableName: this.tableName,
        IndexName: CATALOG_INDEXES.byState,
        KeyConditionExpression: '#state = :state',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':state': state },
        Limit: limit,
        ScanIndexForward: false,
        ExclusiveStartKey: position,
      });
      const lastKey = answer.LastEvaluatedKey as Record<string, string> | undefined;
      return { state, items: (answer.Items ?? []) as VideoRecord[], more: lastKey !== undefined, lastKey };
    }));
    // Merge the partitions, each in its own order, so what is taken of each is a prefix of it.
    const taken = partitions.map(() => 0);
    const items: VideoRecord[] = [];
    while (items.length < limit) {
      // A partition read to its end with more behind it may hold the next video: stop there.
      if (partitions.some((p, i) => p.more && taken[i] === p.items.length)) {
        break;
      }
      let next = -1;
      partitions.forEach((p, i) => {
        const head = p.items[taken[i]];
        if (head && (next < 0 || head.updatedAt > partitions[next].items[taken[next]].updatedAt)) {
          next = i;
        }
      });
      if (next < 0) {
        break;
      }
      items.push(partitions[next].items[taken[next]]);
      taken[next] += 1;
    }
    const nextPositions: Record<string, StatePosition> = {};
    partitions.forEach((p, i) => {
      const last = p.items[taken[i] - 1];
      if (taken[i] === p.items.length) {
        // Read to the end of what came: resume after it, or never again once the partition is done.
        nextPositions[p.state] = p.lastKey ?? null;
      } else if (last) {
        nextPositions[p.state] = { videoId: last.videoId, state: last.state, updatedAt: last.updatedAt };
      } else if (positions[p.state] !== undefined) {
        nextPositions[p.state] = positions[p.state];
      }
    });
    const done = states.every((state) => nextPositions[state] === null);
    return { items, cursor: done ? undefined : encodeCursor(nextPositions) };
  }

  private async page(
    query: Omit<Parameters<Documents['query']>[0], 'TableName' | 'Limit' | 'ExclusiveStartKey' | 'ScanIndexForward'>,
    keyFields: string[], limit: number, cursor: string | undefined,
  ): Promise<Page<VideoRecord>> {
    const answer = await this.documents.query({
      ...query,
      TableName: this.tableName,
      Limit: limit,
      ScanIndexForward: false,
      ExclusiveStartKey: cursor === undefined ? undefined : decodeCursor(cursor, keyFields),
    });
    return {
      items: (answer.Items ?? []) as VideoRecord[],
      cursor: answer.LastEvaluatedKey ? encodeCursor(answer.LastEvaluatedKey) : undefined,
    };
  }
}

/** The key of the `byState` index, as a cursor holds it. */
const BY_STATE_KEY = ['videoId', 'state', 'updatedAt'];

/** Where a state's partition was left: the key of its last video given out, `null` once read to its end. */
type StatePosition = Record<string, string> | null;

/** The positions a cursor of {@link Catalog.listRecentlyUpdated} holds; anything else is a 400. */
function decodeStatesCursor(cursor: string, states: readonly VideoState[]): Record<string, StatePosition> {
  const invalid = new ApiError(400, 'invalid-cursor', 'cursor must be one given by this API');
  if (cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid;
  }
  let positions: unknown;
  try {
    positions = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof positions !== 'object' || positions === null || Array.isArray(positions)) {
    throw invalid;
  }
  for (const [state, position] of Object.entries(positions)) {
    if (!states.includes(state as VideoState) || (position !== null && decodeCursor(encodeCursor(position), BY_STATE_KEY).state !== state)) {
      throw invalid;
    }
  }
  return positions as Record<string, StatePosition>;
}

/** An opaque cursor: the page's last key, base64url. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key of a cursor; anything but a cursor this API gave out is a 400. */
export function decodeCursor(cursor: string, keyFields: string[]): Record<string, string> {
  const invalid = new ApiError(400, 'invalid-cursor', 'cursor must be one given by this API');
  if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid;
  }
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) {
    throw invalid;
  }
  const entries = Object.entries(key as Record<string, unknown>);
  if (entries.length !== keyFields.length || !entries.every(([name, value]) => keyFields.includes(name) && typeof value === 'string' && value.length <= 256)) {
    throw invalid;
  }
  return key as Record<string, string>;
}

export function isAccessMode(value: unknown): value is AccessMode {
  return value === 'public' || value === 'premium' || value === 'purchase';
}
