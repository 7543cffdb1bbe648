/**
 * A signed-in session's tokens and their renewal, without the DOM: the
 * tokens are renewed with the refresh token a minute before the access token
 * expires, and on demand (an access token about to expire, a 401 from the
 * API). Several renewals asked for at once share one request.
 *
 * How a renewal can fail, and what follows:
 * - the token endpoint refuses the refresh token (a {@link TokenError}:
 *   expired, revoked): the session ends at once;
 * - no readable answer came (offline, a network error, an error page
 *   without CORS headers, which the browser hides): the session is kept and
 *   the renewal tried again after `retryMs`, but only `maxFailures` times in
 *   a row; the failure after that ends the session, rather than trying every
 *   `retryMs` for as long as the tab stays open while the tokens it holds
 *   have long expired.
 * Ending the session forgets the tokens and the stored refresh token and
 * tells `onChange`, so the page shows the user signed out.
 */
import { refreshDelay, TokenError, TokenSet } from './oauth';
import { realTimers, Timers } from './playback-session';

/** Where the refresh token is kept between page loads. */
export interface RefreshTokenStore {
  read(): string | undefined;
  write(refreshToken: string): void;
  remove(): void;
}

export interface TokenRefreshOptions {
  /** Sends a refresh token to the token endpoint: resolves with the tokens, rejects with a TokenError when refused. */
  readonly request: (refreshToken: string) => Promise<TokenSet>;
  readonly store: RefreshTokenStore;
  /** Told when tokens are accepted and when a session ends. */
  readonly onChange: () => void;
  readonly timers?: Timers;
  readonly now?: () => number;
  /** Wait before trying a renewal that got no readable answer again. @default 90000 */
  readonly retryMs?: number;
  /** Renewals without a readable answer in a row that end the session. @default 3 */
  readonly maxFailures?: number;
}

export class TokenRefresh {
  private current: TokenSet | undefined;
  private timer: unknown;
  private inFlight: Promise<boolean> | undefined;
  private failuresInARow = 0;
  private lastAttempt = 0;
  private readonly timers: Timers;
  private readonly now: () => number;

  constructor(private readonly options: TokenRefreshOptions) {
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
  }

  public get tokens(): TokenSet | undefined {
    return this.current;
  }

  /** When the last renewal ended (0 before the first). */
  public get lastRefresh(): number {
    return this.lastAttempt;
  }

  /** Renewals in a row that got no readable answer. */
  public get consecutiveFailures(): number {
    return this.failuresInARow;
  }

  /** Whether a renewal is under way. */
  public get refreshing(): boolean {
    return this.inFlight !== undefined;
  }

  /** Takes tokens from a sign-in or a renewal, and schedules the next renewal. */
  public accept(tokens: TokenSet): void {
    // A refresh answer carries no refresh token unless rotation is on: keep the one there is.
    if (tokens.refreshToken) this.options.store.write(tokens.refreshToken);
    this.current = tokens;
    this.failuresInARow = 0;
    this.schedule(refreshDelay(tokens.expiresAt, this.now()));
    this.options.onChange();
  }

  /** Renews the tokens; true when there are new ones. Calls made while one is under way share it. */
  public async refresh(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    const refreshToken = this.options.store.read();
    if (!refreshToken) {
      this.clear();
      return false;
    }
    this.inFlight = (async () => {
      try {
        this.accept(await this.options.request(refreshToken));
        return true;
      } catch (error) {
        if (error instanceof TokenError) {
          this.clear();
        } else {
          this.failuresInARow += 1;
          if (this.failuresInARow >= (this.options.maxFailures ?? 3)) {
            this.clear();
          } else if (this.current) {
            this.schedule(this.options.retryMs ?? 90_000);
          }
        }
        return false;
      } finally {
        this.lastAttempt = this.now();
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /** Ends the session: forgets the tokens and the stored refresh token; tells `onChange` when there were tokens. */
  public clear(): void {
    const hadTokens = this.current !== undefined;
    this.cancelTimer();
    this.current = undefined;
    this.failuresInARow = 0;
    this.options.store.remove();
    if (hadTokens) this.options.onChange();
  }

  private schedule(delayMs: number): void {
    this.cancelTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
