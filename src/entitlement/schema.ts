/**
 * Names shared by the EntitlementApi construct (which creates the groups,
 * tables and indexes) and its handlers (which use them).
 */

/** Cognito groups: creators upload and publish; admins grant entitlements and moderate. */
export const CREATORS_GROUP = 'creators';
export const ADMINS_GROUP = 'admins';

export const CATALOG_INDEXES = {
  /** A creator's videos, newest first: partition `creatorId`, sort `createdAt`. */
  byCreator: 'byCreator',
  /** Published videos, newest first: partition `listing` (= "published"), sort `publishedAt`. */
  published: 'published',
  /**
   * Videos in one state, most recently updated first: partition `state`, sort
   * `updatedAt` (every write of a video sets both). Admins list by it.
   */
  byState: 'byState',
} as const;

export const PUBLISHED_LISTING = 'published';

export const ENTITLEMENT_INDEXES = {
  /** Entitlements by the Stripe subscription or payment intent that granted them. */
  byPaymentRef: 'byPaymentRef',
} as const;
