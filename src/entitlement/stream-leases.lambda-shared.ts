import { randomUUID } from 'node:crypto';
import { Documents } from '../internal/documents.lambda-shared';

/**
 * Concurrent playback sessions as leases: a user has `limit` slots (items
 * `userId` + `slot` 0..limit-1 of the sessions table), and a playback session
 * holds one from its start until it ends or lapses. Taking a slot is a
 * conditional write that holds only while the slot is free (no item, or a
 * lapsed one), so of many devices starting at once exactly as many as there
 * are free slots get one, whatever the timing. A lapsed lease is free at once:
 * its `expiresAt` is compared, never its removal by DynamoDB's TTL, which
 * deletes expired items "within a few days" (Time to Live, DynamoDB
 * Developer Guide) and only keeps the table small.
 */

/** One playback session, as its user sees it. */
export interface StreamLease {
  readonly sessionId: string;
  readonly userId: string;
  readonly slot: number;
  readonly videoId: string;
  /** What the player called its device ("Firefox on a phone"); the API never guesses more. */
  readonly device: string;
  readonly startedAt: string;
  readonly expiresAt: string;
  /** The viewer's address its cookies are bound to, when playback is bound; its key is answered there alone. */
  readonly viewerAddress?: string;
}

/** How long past its cookies a lease lives without renewal: a player renews at 80% of their lifetime. */
export const LEASE_GRACE_SECONDS = 30;

/** Items stay this long past their expiry for TTL to remove them, long enough to answer "your session was ended". */
const TTL_AFTER_SECONDS = 24 * 3600;

export type LeaseOutcome =
  | { readonly taken: StreamLease }
  | { readonly full: StreamLease[] };

export class StreamLeases {
  constructor(private readonly documents: Documents, private readonly tableName: string) {}

  /**
   * Takes a free slot for a new session of `videoId`; answers the lease, or
   * the user's live sessions when every slot is held. Slots are tried in
   * order, each with one conditional write: one that another device took
   * meanwhile fails its condition and the next is tried.
   */
  public async start(request: {
    userId: string; videoId: string; device: string; limit: number; lifetimeSeconds: number; now: Date; viewerAddress?: string;
  }): Promise<LeaseOutcome> {
    const { userId, limit, now } = request;
    const held = await this.list(userId);
    const sessionId = randomUUID();
    const expiresAt = new Date(now.getTime() + (request.lifetimeSeconds + LEASE_GRACE_SECONDS) * 1000);
    for (let slot = 0; slot < limit; slot++) {
      const current = held.find((lease) => lease.slot === slot);
      if (current && !lapsed(current, now)) {
        continue;
      }
      const lease: StreamLease = {
        sessionId,
        userId,
        slot,
        videoId: request.videoId,
        device: request.device,
        startedAt: now.toISOString(),
        expiresAt: expiresAt.toISOString(),
        ...(request.viewerAddress !== undefined ? { viewerAddress: request.viewerAddress } : {}),
      };
      const taken = await this.documents.putIf({
        TableName: this.tableName,
        Item: { ...lease, ttl: ttlOf(expiresAt) },
        // Free: never taken, or lapsed by now (what was read may have changed since; the condition is what counts).
        ConditionExpression: 'attribute_not_exists(userId) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': now.toISOString() },
      });
      if (taken) {
        return { taken: lease };
      }
    }
    return { full: (await this.list(userId)).filter((lease) => !lapsed(lease, now)) };
  }

  /**
   * Extends a live session of `videoId`; answers the lease, or undefined when
   * it has ended, lapsed or was revoked (its slot may be another session's by
   * now): a renewal never brings a session back. A renewal from another
   * address (a phone moving between networks) moves a bound session there.
   */
  public async renew(request: {
    userId: string; sessionId: string; videoId: string; lifetimeSeconds: number; now: Date; viewerAddress?: string;
  }): Promise<StreamLease | undefined> {
    const { userId, sessionId, now } = request;
    const lease = (await this.list(userId)).find((each) => each.sessionId === sessionId);
    if (!lease || lease.videoId !== request.videoId || lapsed(lease, now)) {
      return undefined;
    }
    const expiresAt = new Date(now.getTime() + (request.lifetimeSeconds + LEASE_GRACE_SECONDS) * 1000);
    const updated = await this.documents.updateIf({
      TableName: this.tableName,
      Key: { userId, slot: lease.slot },
      // Unbound (binding turned off since the start), the renewal unbinds the session too.
      UpdateExpression: request.viewerAddress !== undefined
        ? 'SET expiresAt = :expires, #ttl = :ttl, viewerAddress = :address'
        : 'SET expiresAt = :expires, #ttl = :ttl REMOVE viewerAddress',
      ConditionExpression: 'sessionId = :session AND expiresAt >= :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':expires': expiresAt.toISOString(),
        ':ttl': ttlOf(expiresAt),
        ':session': sessionId,
        ':now': now.toISOString(),
        ...(request.viewerAddress !== undefined ? { ':address': request.viewerAddress } : {}),
      },
      ReturnValues: 'ALL_NEW',
    });
    return updated ? toLease(updated) : undefined;
  }

  /**
   * Whether `sessionId` is a live session of the user for `videoId`, for
   * checks made on each request; a session bound to an address is live at
   * that `viewerAddress` only.
   */
  public async isLive(userId: string, sessionId: string, videoId: string, now: Date, viewerAddress?: string): Promise<boolean> {
    const lease = (await this.list(userId)).find((each) => each.sessionId === sessionId);
    return lease !== undefined && lease.videoId === videoId && !lapsed(lease, now)
      && (lease.viewerAddress === undefined || lease.viewerAddress === viewerAddress);
  }

  /** Ends one of the user's sessions; answers whether it was live. Ending one that is gone changes nothing. */
  public async end(userId: string, sessionId: string, now: Date): Promise<boolean> {
    const lease = (await this.list(userId)).find((each) => each.sessionId === sessionId);
    if (!lease) {
      return false;
    }
    const ended = await this.documents.updateIf({
      TableName: this.tableName,
      Key: { userId, slot: lease.slot },
      // Lapsed at once: the slot is free, and a renewal of the session finds it over.
      UpdateExpression: 'SET expiresAt = :ended, endedAt = :ended',
      ConditionExpression: 'sessionId = :session',
      ExpressionAttributeValues: { ':ended': new Date(now.getTime() - 1).toISOString(), ':session': sessionId },
    });
    return ended !== undefined && !lapsed(lease, now);
  }

  /** Ends every session of the user; answers how many were live. */
  public async endAll(userId: string, now: Date): Promise<number> {
    let live = 0;
    for (const lease of await this.list(userId)) {
      if (await this.end(userId, lease.sessionId, now)) {
        live += 1;
      }
    }
    return live;
  }

  /** The user's live sessions, oldest first. */
  public async live(userId: string, now: Date): Promise<StreamLease[]> {
    return (await this.list(userId)).filter((lease) => !lapsed(lease, now)).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  /** Every slot item of the user, live or not: one query of one partition, as small as the limit. */
  private async list(userId: string): Promise<StreamLease[]> {
    const answer = await this.documents.query({
      TableName: this.tableName,
      KeyConditionExpression: 'userId = :user',
      ExpressionAttributeValues: { ':user': userId },
      // A start right after another device's must see its slot taken.
      ConsistentRead: true,
    });
    return answer.Items.map(toLease);
  }
}

function lapsed(lease: Pick<StreamLease, 'expiresAt'>, now: Date): boolean {
  return lease.expiresAt < now.toISOString();
}

function ttlOf(expiresAt: Date): number {
  return Math.floor(expiresAt.getTime() / 1000) + TTL_AFTER_SECONDS;
}

function toLease(item: Record<string, any>): StreamLease {
  return {
    sessionId: item.sessionId,
    userId: item.userId,
    slot: item.slot,
    videoId: item.videoId,
    device: item.device,
    startedAt: item.startedAt,
    expiresAt: item.expiresAt,
    ...(typeof item.viewerAddress === 'string' ? { viewerAddress: item.viewerAddress } : {}),
  };
}
