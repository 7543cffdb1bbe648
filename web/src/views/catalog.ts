/**
 * `#/`: the published videos, newest first, a page at a time; and the
 * premium offer for viewers who do not have it.
 */
import { messageOf, PublicVideo } from '../api';
import { isPremium, View } from '../context';
import { busy, button, errorBox, h, loading, note } from '../dom';
import { formatDuration, formatInterval } from '../format';
import { hrefFor } from '../router';
import { accessBadge, goToCheckout, pageTitle, poster, retryableError } from './common';

export const catalogView: View = (context, main, scope, { query }) => {
  const offer = h('div', { class: 'offer-slot' });
  const notices = h('div', { class: 'notices' });
  const list = h('ul', { 'class': 'card-grid', 'aria-label': 'Videos', 'data-testid': 'catalog' });
  const more = h('div', { class: 'more' });
  main.replaceChildren(
    h('div', { class: 'page-head' }, pageTitle('Catalog'), h('p', { class: 'lede' }, 'Watch what creators have published.')),
    notices,
    offer,
    list,
    more,
  );

  if (query.checkout === 'success') {
    notices.append(note('Payment received — activating your premium membership…', 'success'));
    void waitForPremium();
  } else if (query.checkout === 'cancelled') {
    notices.append(note('Checkout was cancelled. You have not been charged.'));
  }

  void showOffer();
  void loadPage(undefined);

  async function loadPage(cursor: string | undefined): Promise<void> {
    const spinner = loading(cursor ? 'Loading more videos…' : 'Loading videos…');
    more.replaceChildren(spinner);
    try {
      const page = await context.api.listVideos(cursor);
      if (!scope.alive) return;
      list.append(...page.videos.map(card));
      if (!cursor && page.videos.length === 0) {
        more.replaceChildren(note('No videos are published yet.'));
        return;
      }
      more.replaceChildren();
      if (page.cursor) {
        const next = page.cursor;
        const loadMore = button('Load more', () => {
          void busy(loadMore, () => loadPage(next), 'Loading…');
        }, { 'data-testid': 'load-more' });
        more.append(loadMore);
      }
      if (cursor) context.announce(`${page.videos.length} more videos loaded.`);
    } catch (error) {
      if (!scope.alive) return;
      more.replaceChildren(retryableError(error, () => void loadPage(cursor)));
    }
  }

  async function showOffer(): Promise<void> {
    try {
      const [offers, me] = await Promise.all([context.offers(), context.auth.signedIn ? context.me() : Promise.resolve(undefined)]);
      if (!scope.alive || !offers.premium || !offers.checkout || isPremium(me)) {
        offer.replaceChildren();
        return;
      }
      const premium = offers.premium;
      const errors = h('div');
      const go = button('Go premium', () => {
        if (!context.auth.signedIn) {
          void context.auth.signIn('#/');
          return;
        }
        void goToCheckout(go, errors, () => context.api.premiumCheckout());
      }, { 'class': 'primary', 'data-testid': 'go-premium' });
      offer.replaceChildren(h('section', { 'class': 'offer', 'aria-labelledby': 'offer-title' },
        h('div', {},
          h('h2', { id: 'offer-title' }, 'Go premium'),
          h('p', {}, `Every premium video, for ${formatInterval(premium)}. Cancel any time.`),
        ),
        h('div', { class: 'offer-action' }, go, context.auth.signedIn ? null : h('p', { class: 'hint' }, 'You will sign in first.')),
        errors,
      ));
    } catch (error) {
      // The offer is extra: the catalog stays usable, but the failure is said.
      if (scope.alive) offer.replaceChildren(errorBox(`Offers could not be loaded: ${messageOf(error)}`));
    }
  }

  async function waitForPremium(): Promise<void> {
    // Stripe's webhook may arrive after the viewer is back: ask /api/me every 2 s, up to a minute.
    for (let attempt = 0; attempt < 30 && scope.alive; attempt++) {
      try {
        if (isPremium(await context.me(true))) {
          notices.replaceChildren(note('Premium is active. Enjoy every premium video.', 'success'));
          context.announce('Premium is active.');
          offer.replaceChildren();
          return;
        }
      } catch {
        // try again
      }
      await scope.sleep(2000);
    }
    if (scope.alive) {
      notices.replaceChildren(note('Your payment was received, but premium is not active yet. It can take a minute; reload the page to check again.'));
    }
  }
};

function card(video: PublicVideo): HTMLElement {
  return h('li', { 'class': 'card', 'data-video-id': video.id },
    h('a', { class: 'card-link', href: hrefFor({ name: 'watch', videoId: video.id }) },
      poster(video),
      h('div', { class: 'card-body' },
        h('h2', { class: 'card-title' }, video.title),
        h('p', { class: 'card-meta' },
          accessBadge(video),
          video.durationSeconds ? h('span', { class: 'duration' }, formatDuration(video.durationSeconds)) : null,
        ),
      ),
    ),
  );
}
