import { base64Url, codeChallenge, createCodeVerifier, randomToken } from '../../web/src/pkce';

describe('PKCE', () => {
  test('S256 challenge of the RFC 7636 appendix B example', async () => {
    await expect(codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  test('the verifier of the RFC example comes from its octets', () => {
    const octets = [116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173,
      187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121];
    expect(createCodeVerifier((bytes) => {
      bytes.set(octets);
      return bytes;
    })).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
  });

  test('verifiers are 43 characters of the unreserved set, and differ', () => {
    const verifiers = Array.from({ length: 50 }, () => createCodeVerifier());
    for (const verifier of verifiers) {
      expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43}$/);
    }
    expect(new Set(verifiers).size).toBe(50);
  });

  test('a verifier outside RFC 7636 is refused', async () => {
    await expect(codeChallenge('short')).rejects.toThrow('43 to 128 characters');
    await expect(codeChallenge('a'.repeat(129))).rejects.toThrow();
    await expect(codeChallenge(`${'a'.repeat(42)}+`)).rejects.toThrow();
  });

  test('base64url has no padding and uses - and _', () => {
    expect(base64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(base64Url(new Uint8Array([]))).toBe('');
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
