/**
 * What every page gets: the configuration, the signed-in user, the API, the
 * status line, and a scope that ends when the page is left (timers, players
 * and requests stop with it).
 */
import { Api, ApiError, Me, Offers } from './api';
import type { Auth } from './auth';
import type { AppConfig } from './config';
import type { Location } from './router';
import type { UploadCenter } from './upload-center';

export interface AppContext {
  readonly config: AppConfig;
  readonly auth: Auth;
  readonly api: Api;
  /** Uploads keep going while the creator moves between pages. */
  readonly uploads: UploadCenter;
  /** Says something in the status line (a polite live region). */
  announce(message: string): void;
  /** GET /api/offers, once per page load. */
  offers(): Promise<Offers>;
  /** GET /api/me when signed in; `force` reads it again. */
  me(force?: boolean): Promise<Me | undefined>;
}

/** A page's lifetime. */
export class Scope {
  private readonly controller = new AbortController();
  private readonly cleanups: Array<() => void> = [];

  public get signal(): AbortSignal {
    return this.controller.signal;
  }

  public get alive(): boolean {
    return !this.controller.signal.aborted;
  }

  public onDispose(cleanup: () => void): void {
    if (this.alive) {
      this.cleanups.push(cleanup);
    } else {
      cleanup();
    }
  }

  /** Calls `tick` every `ms` until the page is left or `tick` answers false; one call at a time. */
  public every(ms: number, tick: () => Promise<boolean> | boolean): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = () => {
      timer = setTimeout(async () => {
        if (!this.alive) return;
        let again = true;
        try {
          again = await tick();
        } catch {
          again = true;
        }
        if (again && this.alive) next();
      }, ms);
    };
    next();
    this.onDispose(() => clearTimeout(timer));
  }

  /** Resolves after `ms`, or never once the page is left. */
  public sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.onDispose(() => clearTimeout(timer));
    });
  }

  public dispose(): void {
    this.controller.abort();
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // a failing cleanup must not keep the others from running
      }
    }
  }
}

/** Renders a page into `main`; what it starts ends with `scope`. */
export type View = (context: AppContext, main: HTMLElement, scope: Scope, location: Location) => void | Promise<void>;

/** Whether the user has an active premium entitlement (as /api/me says). */
export function isPremium(me: Me | undefined, now = Date.now()): boolean {
  return me?.entitlements.some((entitlement) => entitlement.id === 'premium' && (!entitlement.expiresAt || Date.parse(entitlement.expiresAt) > now)) ?? false;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}
