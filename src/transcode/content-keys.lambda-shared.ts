import { randomBytes } from 'node:crypto';
import { Documents } from '../internal/documents.lambda-shared';

/**
 * The content keys of encrypted videos: one random AES-128 key per video, in
 * its own table (partition key `videoId`), never in the output bucket. The
 * pipeline makes a video's key before its first job and gives it to
 * MediaConvert in the job's settings; the API answers it to players holding a
 * live playback session of that video; deleting the video removes it.
 *
 * A video keeps its key across re-encodes, so every job of a video, and every
 * retry of one (whose CreateJob request must be the same for its client
 * request token to return the first job), encrypts with the same key, and a
 * segment a CDN still holds from an earlier encode decrypts with the key a
 * player fetches now.
 */
export class ContentKeys {
  constructor(private readonly documents: Documents, private readonly tableName: string) {}

  /** The video's key, made now if it has none: of racing calls, the first write wins and every call answers that key. */
  public async keyFor(videoId: string, now: Date): Promise<Uint8Array> {
    const existing = await this.read(videoId);
    if (existing) {
      return existing;
    }
    const key = randomBytes(16);
    const written = await this.documents.putIf({
      TableName: this.tableName,
      Item: { videoId, key: new Uint8Array(key), createdAt: now.toISOString() },
      ConditionExpression: 'attribute_not_exists(videoId)',
    });
    if (written) {
      return new Uint8Array(key);
    }
    const winner = await this.read(videoId);
    if (!winner) {
      throw new Error(`the content key of ${videoId} was written by another call and is gone`);
    }
    return winner;
  }

  /** The video's key, or undefined when it has none (not encrypted, or deleted). Read consistently: a key made a moment ago counts. */
  public async read(videoId: string): Promise<Uint8Array | undefined> {
    const answer = await this.documents.get({ TableName: this.tableName, Key: { videoId }, ConsistentRead: true });
    const key = answer.Item?.key;
    if (key === undefined) {
      return undefined;
    }
    const bytes = new Uint8Array(key as Uint8Array);
    if (bytes.length !== 16) {
      throw new Error(`the content key of ${videoId} is ${bytes.length} bytes, not 16`);
    }
    return bytes;
  }

  /** Removes the video's key; removing one that is gone changes nothing. */
  public async remove(videoId: string): Promise<void> {
    await this.documents.delete({ TableName: this.tableName, Key: { videoId } });
  }
}

/** Where a video's key is answered: the API's key route on the platform's origin (`https://media.example.com`). */
export function contentKeyUrl(keyServerUrl: string, videoId: string): string {
  return `${keyServerUrl.replace(/\/+$/, '')}/api/videos/${encodeURIComponent(videoId)}/key`;
}
