/**
 * Sign-in with Cognito's managed login: authorization code flow with PKCE
 * (S256), for a public app client (no secret in a browser).
 *
 * Where the tokens live, and why. This is a single-page app with no backend
 * of its own, so there is no server to hold tokens in an HttpOnly cookie:
 * whatever script runs in the page (including an injected one, after an XSS)
 * can read JavaScript memory and Web Storage alike. The choice limits how
 * much and for how long:
 * - access and ID tokens stay in memory only, gone with the page, and are
 *   short-lived (Cognito issues them for an hour by default; the app renews
 *   them a minute before they expire);
 * - the refresh token is in sessionStorage, which belongs to one tab and is
 *   cleared when the tab closes, unlike localStorage, which every tab of the
 *   origin shares and which outlives the browser session; it lets a reload
 *   keep the user signed in;
 * - signing out revokes the refresh token at Cognito's `/oauth2/revoke`
 *   endpoint, which also invalidates the access and ID tokens issued from it
 *   (https://docs.aws.amazon.com/cognito/latest/developerguide/revocation-endpoint.html),
 *   then ends the managed login session at `/logout`.
 * The page ships no inline script and loads nothing from other origins, so a
 * strict Content-Security-Policy can keep injected script out in the first place.
 */
import type { AppConfig } from './config';
import {
  authorizeUrl, codeExchangeBody, decodeState, encodeState, logoutUrl, parseTokenAnswer, refreshBody, TokenSet, UserInfo, userInfo,
} from './oauth';
import { codeChallenge, createCodeVerifier, randomToken } from './pkce';
import { TokenRefresh } from './token-refresh';

const PENDING_KEY = 'vod.auth.pending';
/** Set while a sign-in begun outside the app is restarted from it, so it is restarted once. */
const UNSOLICITED_KEY = 'vod.auth.restarted';
const REFRESH_KEY = 'vod.auth.refresh';

/** The outcome of reading the page's URL at start-up. */
export interface AuthStart {
  /** The hash to show after coming back from the sign-in page. */
  readonly returnHash?: string;
  /** Why a sign-in that came back did not complete. */
  readonly error?: string;
}

export class Auth {
  private currentUser: UserInfo | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly session: TokenRefresh;

  constructor(private readonly config: AppConfig) {
    this.session = new TokenRefresh({
      request: (refreshToken) => this.tokenRequest(refreshBody(this.config, refreshToken)),
      store: { read: () => readSession(REFRESH_KEY), write: (token) => writeSession(REFRESH_KEY, token), remove: () => removeSession(REFRESH_KEY) },
      onChange: () => {
        const tokens = this.session.tokens;
        this.currentUser = tokens ? userInfo(tokens) : undefined;
        this.notify();
      },
    });
  }

  private get tokens(): TokenSet | undefined {
    return this.session.tokens;
  }

  public get user(): UserInfo | undefined {
    return this.currentUser;
  }

  public get signedIn(): boolean {
    return this.tokens !== undefined;
  }

  public hasGroup(...groups: string[]): boolean {
    return groups.some((group) => this.currentUser?.groups.includes(group));
  }

  /** Subscribes to sign-in state changes; returns the unsubscribe function. */
  public onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The app's redirect and sign-out URI: its root on this origin. */
  public get redirectUri(): string {
    return `${location.origin}/`;
  }

  /**
   * Completes a sign-in that comes back to `/?code=&state=` (then removes them
   * from the address bar), or restores the session from this tab's refresh token.
   */
  public async start(): Promise<AuthStart> {
    const params = new URLSearchParams(location.search);
    if (params.has('state') && (params.has('code') || params.has('error'))) {
      return this.completeSignIn(params);
    }
    if (params.has('code') && !readSession(UNSOLICITED_KEY)) {
      // A sign-in begun outside the app (the managed login page opened directly) has no PKCE verifier
      // here: its code cannot be used, but the sign-in session it left makes a fresh flow immediate.
      writeSession(UNSOLICITED_KEY, '1');
      history.replaceState(null, '', `${location.pathname}${location.hash}`);
      await this.signIn('#/');
      return {};
    }
    if (readSession(REFRESH_KEY)) {
      await this.session.refresh();
    }
    return {};
  }

  /** Goes to the managed login page; comes back to `returnHash`. */
  public async signIn(returnHash: string = location.hash || '#/'): Promise<void> {
    const verifier = createCodeVerifier();
    const nonce = randomToken(16);
    writeSession(PENDING_KEY, JSON.stringify({ nonce, verifier }));
    const challenge = await codeChallenge(verifier);
    location.assign(authorizeUrl(this.config, { redirectUri: this.redirectUri, state: encodeState(nonce, returnHash), challenge }));
  }

  /** Forgets the tokens, revokes the refresh token, and ends the managed login session. */
  public async signOut(): Promise<void> {
    const refreshToken = readSession(REFRESH_KEY);
    this.session.clear();
    if (refreshToken) {
      // Best effort, and bounded: signing out must not hang on the network.
      const revoke = fetch(`${this.config.signInUrl}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshToken, client_id: this.config.clientId }).toString(),
        keepalive: true,
      }).catch(() => undefined);
      await Promise.race([revoke, new Promise((resolve) => setTimeout(resolve, 1500))]);
    }
    location.assign(logoutUrl(this.config, this.redirectUri));
  }

  /** A current access token (renewed first when it is about to expire), or undefined when signed out. */
  public async accessToken(): Promise<string | undefined> {
    if (this.tokens && this.tokens.expiresAt - 10_000 <= Date.now()) {
      await this.session.refresh();
    }
    return this.tokens?.accessToken;
  }

  /** The API refused the token (401): renew it once; true when there is a new one to send. */
  public async afterUnauthorized(): Promise<boolean> {
    if (!this.tokens) return false;
    // Several requests refused at once share one renewal.
    if (this.session.refreshing) return this.session.refresh();
    if (Date.now() - this.session.lastRefresh < 5_000) return this.tokens !== undefined;
    return this.session.refresh();
  }

  private async completeSignIn(params: URLSearchParams): Promise<AuthStart> {
    const pending = parsePending(readSession(PENDING_KEY));
    removeSession(PENDING_KEY);
    removeSession(UNSOLICITED_KEY);
    const state = decodeState(params.get('state') ?? '');
    const returnHash = state?.returnHash ?? '#/';
    history.replaceState(null, '', `${location.pathname}${returnHash}`);
    if (!pending || !state || state.nonce !== pending.nonce) {
      return { returnHash, error: 'This sign-in answer does not belong to a sign-in started in this tab. Please sign in again.' };
    }
    const error = params.get('error');
    if (error) {
      const description = params.get('error_description');
      return { returnHash, error: `Sign-in did not complete (${error}${description ? `: ${description}` : ''}).` };
    }
    try {
      const tokens = await this.tokenRequest(codeExchangeBody(this.config, { code: params.get('code') ?? '', redirectUri: this.redirectUri, verifier: pending.verifier }));
      this.session.accept(tokens);
      return { returnHash };
    } catch (caught) {
      return { returnHash, error: caught instanceof Error ? caught.message : 'Sign-in failed.' };
    }
  }

  private async tokenRequest(body: string): Promise<TokenSet> {
    const response = await fetch(`${this.config.signInUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json' },
      body,
    });
    const answer: unknown = await response.json().catch(() => undefined);
    return parseTokenAnswer(response.status, answer, Date.now());
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

function parsePending(raw: string | undefined): { nonce: string; verifier: string } | undefined {
  try {
    const value: unknown = JSON.parse(raw ?? 'null');
    const record = value as { nonce?: unknown; verifier?: unknown } | null;
    return typeof record?.nonce === 'string' && typeof record.verifier === 'string' ? { nonce: record.nonce, verifier: record.verifier } : undefined;
  } catch {
    return undefined;
  }
}

// sessionStorage may be unavailable (some privacy modes): then sign-in lasts as long as the page.
function readSession(key: string): string | undefined {
  try {
    return sessionStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeSession(key: string, value: string): void {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // see readSession
  }
}

function removeSession(key: string): void {
  try {
    sessionStorage.removeItem(key);
  } catch {
    // see readSession
  }
}
