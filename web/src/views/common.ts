/**
 * Pieces several pages share: headings, badges, posters, and the prompts
 * for signing in and paying.
 */
import { ApiError, messageOf, OwnerVideo, PublicVideo } from '../api';
import type { AppContext } from '../context';
import { busy, button, errorBox, h } from '../dom';
import { formatPrice, isWebUrl, mediaUrl } from '../format';

export const PLATFORM_NAME = 'Secure VOD';

/** The page's one h1 (focusable, so navigation can move focus to it) and the document title. */
export function pageTitle(text: string, ...extra: Array<Node | string>): HTMLHeadingElement {
  document.title = `${text} · ${PLATFORM_NAME}`;
  return h('h1', { tabindex: '-1' }, text, ...extra);
}

export function accessLabel(video: PublicVideo): string {
  switch (video.access) {
    case 'public': return 'Free';
    case 'premium': return 'Premium';
    case 'purchase': return video.price ? `Buy ${formatPrice(video.price)}` : 'For purchase';
  }
}

export function accessBadge(video: PublicVideo): HTMLElement {
  return h('span', { 'class': `badge badge-${video.access}`, 'data-testid': 'access-badge' }, accessLabel(video));
}

const STATE_LABELS: Record<OwnerVideo['state'], string> = {
  DRAFT: 'Draft',
  UPLOADING: 'Uploading',
  PROCESSING: 'Processing',
  READY: 'Ready',
  PUBLISHED: 'Published',
  FAILED: 'Failed',
};

export function stateBadge(video: OwnerVideo): HTMLElement {
  const text = video.state === 'PROCESSING' ? `${STATE_LABELS.PROCESSING} ${Math.round(video.progressPercent)}%` : STATE_LABELS[video.state] ?? video.state;
  return h('span', { 'class': `badge state state-${video.state.toLowerCase()}`, 'data-state': video.state, 'data-testid': 'state-badge' }, text);
}

/** A poster image, or a neutral placeholder when the video has none. */
export function poster(video: PublicVideo, className = 'poster'): HTMLElement {
  const src = mediaUrl(video.posterUrl, location.origin);
  if (src) {
    return h('div', { class: className }, h('img', { src, alt: '', loading: 'lazy', decoding: 'async', width: '320', height: '180' }));
  }
  return h('div', { 'class': `${className} poster-placeholder`, 'aria-hidden': 'true' },
    h('span', { class: 'poster-initial' }, (video.title.trim().charAt(0) || '▶').toUpperCase()));
}

/** "Sign in to …" with a button that signs in and comes back here. */
export function signInPrompt(context: AppContext, message: string, label = 'Sign in'): HTMLElement {
  return h('div', { class: 'gate' },
    h('p', {}, message),
    button(label, () => void context.auth.signIn(), { 'class': 'primary', 'data-testid': 'gate-sign-in' }),
  );
}

/**
 * Starts a checkout and leaves for its payment page. Shows the API's refusal
 * next to the button (for example 503 when payments are not set up).
 */
export async function goToCheckout(
  control: HTMLButtonElement,
  errors: HTMLElement,
  start: () => Promise<{ checkoutUrl: string }>,
  handled: (error: unknown) => boolean = () => false,
): Promise<void> {
  errors.replaceChildren();
  try {
    await busy(control, async () => {
      const { checkoutUrl } = await start();
      if (!isWebUrl(checkoutUrl)) {
        throw new Error('The payment page address the server sent is not a web address.');
      }
      location.assign(checkoutUrl);
      // Keep the button busy while the browser leaves.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }, 'Opening checkout…');
  } catch (error) {
    if (!handled(error)) errors.replaceChildren(errorBox(messageOf(error)));
  }
}

/** The page for a route or video that does not exist. */
export function notFound(main: HTMLElement, what = 'page'): void {
  main.replaceChildren(
    pageTitle('Not found'),
    h('p', {}, `This ${what} does not exist, or is not available to you.`),
    h('p', {}, h('a', { href: '#/' }, 'Back to the catalog')),
  );
}

/** An error box with a Try again button. */
export function retryableError(error: unknown, retry: () => void): HTMLElement {
  return errorBox(messageOf(error), button('Try again', retry));
}

export function isApiError(error: unknown, status: number, code?: string): error is ApiError {
  return error instanceof ApiError && error.status === status && (code === undefined || error.code === code);
}
