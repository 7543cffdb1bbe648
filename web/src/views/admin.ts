/**
 * `#/admin`: look a user up and grant or revoke entitlements; the recently
 * changed videos and the failed ones.
 */
import { AdminUser, messageOf, OwnerVideo, VIDEO_STATES, VideoState } from '../api';
import type { AppContext, Scope, View } from '../context';
import { busy, button, errorBox, field, h, loading, note } from '../dom';
import { formatDate } from '../format';
import { hrefFor } from '../router';
import { accessBadge, pageTitle, retryableError, signInPrompt, stateBadge } from './common';

export const adminView: View = (context, main, scope) => {
  if (!context.auth.signedIn) {
    main.replaceChildren(pageTitle('Admin'), signInPrompt(context, 'Sign in with an administrator account.'));
    return;
  }
  if (!context.auth.hasGroup('admins')) {
    main.replaceChildren(pageTitle('Admin'), note('Your account is not an administrator account.'));
    return;
  }
  main.replaceChildren(
    h('div', { class: 'page-head' }, pageTitle('Admin'), h('p', { class: 'lede' }, 'Entitlements and the state of the catalog.')),
    h('div', { class: 'admin-grid' },
      userPanel(context, scope),
      h('div', { class: 'stack' },
        videoPanel(context, scope, 'failed-title', 'Failed jobs', 'FAILED'),
        videoPanel(context, scope, 'recent-title', 'Recent videos', undefined, true),
      ),
    ),
  );
};

function userPanel(context: AppContext, scope: Scope): HTMLElement {
  const userId = h('input', { 'type': 'text', 'name': 'userId', 'required': true, 'autocomplete': 'off', 'spellcheck': 'false', 'data-testid': 'admin-user-id' });
  const lookUp = h('button', { type: 'submit', class: 'primary' }, 'Look up');
  const result = h('div', { 'class': 'user-result', 'aria-live': 'polite' });
  const form = h('form', { 'class': 'lookup', 'role': 'search', 'aria-label': 'Look up a user', 'novalidate': true },
    field('User ID', userId, 'The user’s id (the sub of their token).'),
    h('div', { class: 'actions' }, lookUp));

  const show = async (id: string) => {
    result.replaceChildren(loading('Looking the user up…'));
    try {
      const user = await context.api.adminUser(id);
      if (scope.alive) result.replaceChildren(userDetails(context, user, () => void show(id)));
    } catch (error) {
      if (scope.alive) result.replaceChildren(retryableError(error, () => void show(id)));
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = userId.value.trim();
    if (!id) {
      result.replaceChildren(errorBox('Enter a user ID.'));
      userId.focus();
      return;
    }
    void busy(lookUp, () => show(id));
  });
  return h('section', { 'class': 'panel', 'aria-labelledby': 'users-title' }, h('h2', { id: 'users-title' }, 'Users and entitlements'), form, result);
}

function userDetails(context: AppContext, user: AdminUser, reload: () => void): HTMLElement {
  const errors = h('div');
  const items = user.entitlements.map((entitlement) => {
    const label = entitlement.id === 'premium' ? 'Premium' : `Video ${entitlement.id}`;
    const revoke = button('Revoke', () => void busy(revoke, async () => {
      try {
        await context.api.revoke(user.userId, entitlement.id);
        context.announce(`Revoked ${label}.`);
        reload();
      } catch (error) {
        errors.replaceChildren(errorBox(messageOf(error)));
      }
    }, 'Revoking…'), { 'class': 'danger small', 'aria-label': `Revoke ${label}`, 'data-testid': 'revoke' });
    return h('li', { 'class': 'entitlement', 'data-entitlement': entitlement.id },
      h('div', {},
        h('strong', {}, entitlement.id === 'premium' ? 'Premium' : h('a', { href: hrefFor({ name: 'watch', videoId: entitlement.id }) }, `Video ${entitlement.id}`)),
        h('p', { class: 'muted small' }, [
          entitlement.expiresAt ? `Until ${formatDate(entitlement.expiresAt)}` : 'No end date',
          entitlement.grantedBy ? ` · granted by ${entitlement.grantedBy}` : '',
          entitlement.grantedAt ? ` on ${formatDate(entitlement.grantedAt)}` : '',
        ].join(''))),
      revoke);
  });
  // Ends every playback session of the user (with stream limits): none renews, so playback stops within one cookie lifetime.
  const sessionsStatus = h('p', { 'class': 'muted small', 'role': 'status', 'data-testid': 'sessions-ended' });
  const endSessions = button('End all playback sessions', () => void busy(endSessions, async () => {
    errors.replaceChildren();
    sessionsStatus.textContent = '';
    try {
      const { ended } = await context.api.endUserSessions(user.userId);
      sessionsStatus.textContent = `Ended ${ended} playback ${ended === 1 ? 'session' : 'sessions'}; their players stop within a few minutes.`;
    } catch (error) {
      errors.replaceChildren(errorBox(messageOf(error)));
    }
  }, 'Ending…'), { 'class': 'danger small', 'data-testid': 'end-sessions' });
  return h('div', { 'class': 'user', 'data-testid': 'admin-user' },
    h('h3', {}, `User ${user.userId}`),
    items.length > 0 ? h('ul', { 'class': 'entitlements', 'aria-label': 'Entitlements' }, ...items) : note('No entitlements.'),
    errors,
    h('div', { class: 'actions' }, endSessions), sessionsStatus,
    grantForm(context, user.userId, reload),
  );
}

function grantForm(context: AppContext, userId: string, reload: () => void): HTMLElement {
  const kindPremium = h('input', { type: 'radio', name: 'grant-kind', value: 'premium', checked: true, id: 'grant-premium' });
  const kindVideo = h('input', { type: 'radio', name: 'grant-kind', value: 'video', id: 'grant-video' });
  const until = h('input', { 'type': 'date', 'name': 'expiresAt', 'data-testid': 'grant-until' });
  const defaultEnd = new Date(Date.now() + 30 * 24 * 3600 * 1000);
  until.value = defaultEnd.toISOString().slice(0, 10);
  until.min = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
  const videoId = h('input', { 'type': 'text', 'name': 'videoId', 'autocomplete': 'off', 'spellcheck': 'false', 'data-testid': 'grant-video-id' });
  const premiumField = field('Premium until', until);
  const videoField = field('Video ID', videoId);
  const sync = () => {
    premiumField.hidden = !kindPremium.checked;
    videoField.hidden = !kindVideo.checked;
  };
  kindPremium.addEventListener('change', sync);
  kindVideo.addEventListener('change', sync);
  sync();
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Grant');
  const form = h('form', { 'class': 'grant', 'aria-labelledby': 'grant-title', 'novalidate': true, 'data-testid': 'grant-form' },
    h('h3', { id: 'grant-title' }, 'Grant an entitlement'),
    h('fieldset', {},
      h('legend', {}, 'What to grant'),
      h('div', { class: 'choice' }, kindPremium, h('label', { for: 'grant-premium' }, 'Premium until a date')),
      h('div', { class: 'choice' }, kindVideo, h('label', { for: 'grant-video' }, 'One video'))),
    premiumField, videoField, errors,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.replaceChildren();
    let entitlementId: string;
    let expiresAt: string | undefined;
    if (kindPremium.checked) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(until.value)) {
        errors.replaceChildren(errorBox('Choose the last day of premium.'));
        until.focus();
        return;
      }
      entitlementId = 'premium';
      // Premium lasts through the chosen day (UTC).
      expiresAt = `${until.value}T23:59:59Z`;
    } else {
      entitlementId = videoId.value.trim();
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(entitlementId)) {
        errors.replaceChildren(errorBox('Enter the video’s ID (letters, digits, - and _).'));
        videoId.focus();
        return;
      }
    }
    void busy(submit, async () => {
      try {
        await context.api.grant(userId, entitlementId, expiresAt);
        context.announce(entitlementId === 'premium' ? 'Premium granted.' : `Video ${entitlementId} granted.`);
        reload();
      } catch (error) {
        errors.replaceChildren(errorBox(messageOf(error)));
      }
    }, 'Granting…');
  });
  return form;
}

function videoPanel(context: AppContext, scope: Scope, id: string, title: string, state: VideoState | undefined, filterable = false): HTMLElement {
  const list = h('ul', { 'class': 'admin-videos', 'aria-labelledby': id });
  const status = h('div');
  const more = h('div', { class: 'more' });
  let current = state;
  const filter = filterable
    ? h('select', { name: 'state' }, h('option', { value: '' }, 'Any state'), ...VIDEO_STATES.map((value) => h('option', { value }, value)))
    : undefined;
  const load = async (cursor?: string) => {
    if (!cursor) {
      list.replaceChildren();
      status.replaceChildren(loading());
    }
    try {
      const page = await context.api.adminVideos(current, cursor);
      if (!scope.alive) return;
      list.append(...page.videos.map(adminVideoRow));
      status.replaceChildren(!cursor && page.videos.length === 0 ? note(current === 'FAILED' ? 'No failed jobs.' : 'No videos.') : '');
      more.replaceChildren();
      if (page.cursor) {
        const next = page.cursor;
        const control = button('Load more', () => void busy(control, () => load(next), 'Loading…'));
        more.append(control);
      }
    } catch (error) {
      if (scope.alive) status.replaceChildren(retryableError(error, () => void load(cursor)));
    }
  };
  filter?.addEventListener('change', () => {
    current = (filter.value || undefined) as VideoState | undefined;
    void load();
  });
  void load();
  return h('section', { 'class': 'panel', 'aria-labelledby': id },
    h('div', { class: 'panel-head' }, h('h2', { id }, title), filter ? field('Show', filter) : null),
    status, list, more);
}

function adminVideoRow(video: OwnerVideo): HTMLElement {
  return h('li', { 'class': 'admin-video', 'data-video-id': video.id },
    h('div', { class: 'admin-video-main' },
      h('a', { href: hrefFor({ name: 'watch', videoId: video.id }) }, video.title),
      h('p', { class: 'video-row-meta' }, stateBadge(video), accessBadge(video), h('span', { class: 'muted small' }, `Updated ${formatDate(video.updatedAt)}`)),
      h('p', { class: 'muted small break' }, `ID ${video.id} · creator ${video.creatorId}`),
      video.state === 'FAILED' && video.failure ? h('p', { class: 'failure' }, `${video.failure.code}: ${video.failure.message}`) : null,
    ),
  );
}
