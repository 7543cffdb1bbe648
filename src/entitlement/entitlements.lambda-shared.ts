import { AccessMode } from './catalog-model.lambda-shared';
import { ENTITLEMENT_INDEXES } from './schema';
import { Documents } from '../internal/documents.lambda-shared';


/** `premium`, or `video#<id>` for one purchased video. */
export type EntitlementId = string;
export const PREMIUM = 'premium';
export const videoEntitlement = (videoId: string): EntitlementId => `video#${videoId}`;

export interface Entitlement {
  readonly userId: string;
  readonly entitlementId: EntitlementId;
  /** ISO 8601; absent for a purchase that does not lapse. */
  readonly expiresAt?: string;
  readonly grantedAt: string;
  /** `admin:<user id>` or `stripe:<event id>`. */
  readonly grantedBy: string;
  /** The Stripe subscription or payment intent it came from, to revoke it by. */
  readonly paymentRef?: string;
}

/**
 * Who may watch what: premium until a date, or one video, per user. Kept in
 * DynamoDB, which also records the Stripe events already handled.
 */
export class EntitlementStore {
  constructor(private readonly documents: Documents, private readonly tableName: string) {}

  /** Grants (or replaces) an entitlement; the same grant twice is the same state. */
  public async grant(entitlement: Entitlement): Promise<void> {
    await this.documents.put({ TableName: this.tableName, Item: entitlement });
  }

  /** Revokes an entitlement; revoking one that is gone answers the same. */
  public async revoke(userId: string, entitlementId: EntitlementId): Promise<void> {
    await this.documents.delete({ TableName: this.tableName, Key: { userId, entitlementId } });
  }

  /** Revokes whatever a Stripe subscription or payment granted; answers how many. */
  public async revokeByPaymentRef(paymentRef: string): Promise<number> {
    const answer = await this.documents.query({
      TableName: this.tableName,
      IndexName: ENTITLEMENT_INDEXES.byPaymentRef,
      KeyConditionExpression: 'paymentRef = :ref',
      ExpressionAttributeValues: { ':ref': paymentRef },
    });
    for (const item of answer.Items ?? []) {
      await this.revoke(item.userId, item.entitlementId);
    }
    return answer.Items?.length ?? 0;
  }

  public async list(userId: string): Promise<Entitlement[]> {
    const answer = await this.documents.query({
      TableName: this.tableName, KeyConditionExpression: 'userId = :user', ExpressionAttributeValues: { ':user': userId },
    });
    return (answer.Items ?? []) as Entitlement[];
  }

  /** Whether `userId` may watch a video of `access` mode (its owner and admins are decided before). */
  public async isEntitled(userId: string, videoId: string, access: AccessMode, now: Date): Promise<boolean> {
    if (access === 'public') {
      return true;
    }
    const ids = access === 'premium' ? [PREMIUM, videoEntitlement(videoId)] : [videoEntitlement(videoId)];
    for (const entitlementId of ids) {
      if (await this.isActive(userId, entitlementId, now)) {
        return true;
      }
    }
    return false;
  }

  /** Whether `userId` has premium that has not lapsed. */
  public hasPremium(userId: string, now: Date): Promise<boolean> {
    return this.isActive(userId, PREMIUM, now);
  }

  private async isActive(userId: string, entitlementId: EntitlementId, now: Date): Promise<boolean> {
    const answer = await this.documents.get({ TableName: this.tableName, Key: { userId, entitlementId } });
    const expiresAt = answer.Item?.expiresAt as string | undefined;
    return answer.Item !== undefined && (expiresAt === undefined || Date.parse(expiresAt) > now.getTime());
  }

  /**
   * Claims a Stripe event: answers `false` when it was handled already (a
   * replay or a retry after success). A claim whose handling failed midway is
   * taken again, so Stripe's retry finishes the work.
   */
  public async claimEvent(eventId: string, now: Date): Promise<boolean> {
    return this.documents.putIf({
      TableName: this.tableName,
      Item: { userId: `stripe-event#${eventId}`, entitlementId: 'event', status: 'processing', claimedAt: now.toISOString(), ttl: Math.floor(now.getTime() / 1000) + 90 * 86400 },
      ConditionExpression: 'attribute_not_exists(userId) OR #status = :processing',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':processing': 'processing' },
    });
  }

  public async finishEvent(eventId: string): Promise<void> {
    await this.documents.update({
      TableName: this.tableName,
      Key: { userId: `stripe-event#${eventId}`, entitlementId: 'event' },
      UpdateExpression: 'SET #status = :done',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':done': 'done' },
    });
  }
}
