/**
 * A playback session's lifetime, without the DOM: the API sets short-lived
 * CloudFront cookies for one video and says when to ask again
 * (`refreshAfterSeconds`, before the cookies lapse). The session asks again
 * on that schedule, and once more when the media answers 403 (cookies that
 * expired while the tab slept, or were cleared), then stops when disposed.
 */

/** The playback route's answer. */
export interface PlaybackGrant {
  readonly playlistUrl: string;
  /** When the cookies expire (ISO 8601). */
  readonly expiresAt: string;
  /** Ask for a new session after this many seconds. */
  readonly refreshAfterSeconds: number;
  /** The session's lease, when the platform limits concurrent streams: renewals name it. */
  readonly sessionId?: string;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

export interface PlaybackSessionOptions {
  /** POSTs the playback route; resolves with its answer or rejects with the API's error. */
  readonly request: () => Promise<PlaybackGrant>;
  /** Told of every grant after the first (the cookies are already in place; the playlist URL does not change). */
  readonly onRenewed?: (grant: PlaybackGrant) => void;
  /** Told when a scheduled renewal failed; the session tries again after `retrySeconds`. */
  readonly onError?: (error: unknown) => void;
  /**
   * Whether a refused renewal means the session is over for good (stopped
   * from another device, ended by an administrator): then the session stops
   * and tells `onEnded` instead of trying again.
   */
  readonly isEnded?: (error: unknown) => boolean;
  readonly onEnded?: (error: unknown) => void;
  readonly timers?: Timers;
  /** Wait before trying a failed scheduled renewal again. @default 10 */
  readonly retrySeconds?: number;
  /** Never renew sooner than this after a grant, whatever the API says. @default 5 */
  readonly minimumSeconds?: number;
}

export class PlaybackSession {
  private readonly timers: Timers;
  private timer: unknown;
  private inFlight: Promise<PlaybackGrant> | undefined;
  /** A 403 may trigger one renewal until media loads again; a second 403 right after means renewing does not help. */
  private forbiddenRenewalUsed = false;
  private isDisposed = false;
  private lastGrant: PlaybackGrant | undefined;

  constructor(private readonly options: PlaybackSessionOptions) {
    this.timers = options.timers ?? realTimers;
  }

  public get disposed(): boolean {
    return this.isDisposed;
  }

  public get grant(): PlaybackGrant | undefined {
    return this.lastGrant;
  }

  /** Asks for the first grant and schedules the renewals. Rejects with the API's error (401, 403, 404, ...). */
  public async start(): Promise<PlaybackGrant> {
    return this.ask(false);
  }

  /**
   * The media answered 403: renew once and say whether playback should retry
   * its load. Concurrent calls share one request. False after a second 403
   * with no successful load in between, when the renewal failed, or once disposed.
   */
  public async renewAfterForbidden(): Promise<boolean> {
    if (this.isDisposed) return false;
    if (this.inFlight) {
      return this.inFlight.then(() => !this.isDisposed, () => false);
    }
    if (this.forbiddenRenewalUsed) return false;
    this.forbiddenRenewalUsed = true;
    try {
      await this.ask(true);
      return !this.isDisposed;
    } catch (error) {
      this.endIfOver(error);
      return false;
    }
  }

  /** Media loaded with the current cookies: a later 403 may renew again. */
  public noteLoaded(): void {
    this.forbiddenRenewalUsed = false;
  }

  /** Stops renewing; answers that arrive later are ignored. */
  public dispose(): void {
    this.isDisposed = true;
    this.cancelTimer();
  }

  private async ask(renewal: boolean): Promise<PlaybackGrant> {
    if (this.isDisposed) {
      throw new Error('the playback session was disposed');
    }
    this.cancelTimer();
    const pending = this.options.request();
    this.inFlight = pending;
    try {
      const grant = await pending;
      if (!this.isDisposed) {
        this.lastGrant = grant;
        this.schedule(this.delaySeconds(grant));
        if (renewal) this.options.onRenewed?.(grant);
      }
      return grant;
    } finally {
      if (this.inFlight === pending) this.inFlight = undefined;
    }
  }

  private delaySeconds(grant: PlaybackGrant): number {
    const refresh = Number.isFinite(grant.refreshAfterSeconds) ? grant.refreshAfterSeconds : 0;
    return Math.max(this.options.minimumSeconds ?? 5, refresh);
  }

  private schedule(seconds: number): void {
    this.cancelTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.ask(true).then(() => {
        this.forbiddenRenewalUsed = false;
      }, (error: unknown) => {
        if (this.isDisposed || this.endIfOver(error)) return;
        this.options.onError?.(error);
        this.schedule(this.options.retrySeconds ?? 10);
      });
    }, seconds * 1000);
  }

  /** Stops for good when the refusal says the session is over; answers whether it did. */
  private endIfOver(error: unknown): boolean {
    if (this.isDisposed || !this.options.isEnded?.(error)) return false;
    this.dispose();
    this.options.onEnded?.(error);
    return true;
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

export interface WaitOptions {
  readonly timers?: Timers;
  /** @default 2000 */
  readonly intervalMs?: number;
  /** @default 60000 */
  readonly timeoutMs?: number;
  /** Whether a refusal may turn into a grant by waiting (a payment's webhook may come later). */
  readonly isPending: (error: unknown) => boolean;
  /** Stop early (the page was left). */
  readonly cancelled?: () => boolean;
}

/**
 * Asks `request` every `intervalMs` until it grants, up to `timeoutMs`.
 * Rejects with the last error when time runs out or the error is not pending.
 */
export async function waitUntilGranted<T>(request: () => Promise<T>, options: WaitOptions): Promise<T> {
  const timers = options.timers ?? realTimers;
  const interval = options.intervalMs ?? 2000;
  const attempts = Math.max(1, Math.floor((options.timeoutMs ?? 60_000) / interval) + 1);
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) {
      await new Promise<void>((resolve) => timers.setTimeout(resolve, interval));
    }
    if (options.cancelled?.()) break;
    try {
      return await request();
    } catch (error) {
      lastError = error;
      if (!options.isPending(error)) throw error;
    }
  }
  throw lastError ?? new Error('cancelled');
}
