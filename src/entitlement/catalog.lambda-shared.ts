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
      remove: ['transcodeOrder', 'failure', 'outputs'],
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
      UpdateExpression: `SET ${sets.join(', ')}${status.failure ? '' : ' REMOVE failure'}`,
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
