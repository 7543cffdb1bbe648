/**
 * User ids as the platform carries them between the API, the upload issuer
 * and Stripe's webhook: a Cognito user's `sub`, or another identity
 * provider's subject, 1 to 128 characters.
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,127}$/;

/** Whether `value` is a user id. */
export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}
