/**
 * Proof Key for Code Exchange (RFC 7636) with the S256 method: the app keeps
 * a random verifier, sends SHA-256 of it with the authorization request and
 * the verifier itself with the token request, so an intercepted code is
 * useless to anyone else.
 */

/** The unpadded base64url alphabet of RFC 4648 section 5. */
export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Fills `bytes` with cryptographically strong random values. */
export type RandomSource = (bytes: Uint8Array) => Uint8Array;

const webRandom: RandomSource = (bytes) => globalThis.crypto.getRandomValues(bytes);

/** A random, URL-safe token of `byteLength` bytes of entropy. */
export function randomToken(byteLength = 32, random: RandomSource = webRandom): string {
  return base64Url(random(new Uint8Array(byteLength)));
}

/**
 * A code verifier: 32 random bytes as 43 base64url characters, inside the
 * 43 to 128 characters of [A-Za-z0-9-._~] that RFC 7636 section 4.1 allows.
 */
export function createCodeVerifier(random: RandomSource = webRandom): string {
  return randomToken(32, random);
}

/** The part of Web Crypto's SubtleCrypto the challenge needs. */
export interface Digest {
  digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
}

/** `BASE64URL(SHA256(ASCII(code_verifier)))`, RFC 7636 section 4.2. */
export async function codeChallenge(verifier: string, subtle: Digest = globalThis.crypto.subtle): Promise<string> {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) {
    throw new Error('a code verifier is 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_", "~"');
  }
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}
