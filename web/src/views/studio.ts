/**
 * `#/studio`: a creator's videos with their state (refreshed every 3 s while
 * one is processing), and the form that creates a new one.
 */
import { AccessMode, messageOf, OwnerVideo, VideoDraft } from '../api';
import type { AppContext, Scope, View } from '../context';
import { busy, errorBox, field, h, loading, note } from '../dom';
import { formatDate } from '../format';
import { hrefFor } from '../router';
import { accessBadge, pageTitle, poster, retryableError, signInPrompt, stateBadge } from './common';
import { priceFields } from './price-fields';

/** Whether the user may use the studio; renders the reason why not into `main` otherwise. */
export function studioAllowed(context: AppContext, main: HTMLElement, title: string): boolean {
  if (!context.auth.signedIn) {
    main.replaceChildren(pageTitle(title), signInPrompt(context, 'Sign in with a creator account to upload and publish videos.'));
    return false;
  }
  if (!context.auth.hasGroup('creators', 'admins')) {
    main.replaceChildren(pageTitle(title), note('Your account is not a creator account. Ask an administrator to add you to the creators group.'));
    return false;
  }
  return true;
}

export const studioView: View = (context, main, scope) => {
  if (!studioAllowed(context, main, 'Studio')) return;
  const list = h('ul', { 'class': 'video-list', 'aria-label': 'Your videos', 'data-testid': 'studio-videos' });
  const listStatus = h('div');
  const more = h('div', { class: 'more' });
  main.replaceChildren(
    h('div', { class: 'page-head' }, pageTitle('Studio'), h('p', { class: 'lede' }, 'Upload, process and publish your videos.')),
    h('div', { class: 'studio-layout' },
      newVideoForm(context),
      h('section', { 'aria-labelledby': 'your-videos' }, h('h2', { id: 'your-videos' }, 'Your videos'), listStatus, list, more),
    ),
  );

  const rows = new Map<string, HTMLElement>();
  let videos: OwnerVideo[] = [];
  let cursor: string | undefined;

  const show = () => {
    for (const video of videos) {
      const fresh = row(context, video);
      const existing = rows.get(video.id);
      if (!existing) {
        list.append(fresh);
      } else if (existing.dataset.signature !== fresh.dataset.signature) {
        existing.replaceWith(fresh);
      } else {
        continue;
      }
      rows.set(video.id, fresh);
    }
    if (videos.length === 0) {
      listStatus.replaceChildren(note('You have no videos yet. Create one with the form.'));
    } else {
      listStatus.replaceChildren();
    }
  };

  const load = async (next?: string) => {
    if (!next) listStatus.replaceChildren(loading('Loading your videos…'));
    try {
      const page = await context.api.myVideos(next);
      if (!scope.alive) return;
      videos = next ? [...videos, ...page.videos] : page.videos;
      cursor = page.cursor;
      show();
      more.replaceChildren();
      if (cursor) {
        const loadMore = h('button', { 'type': 'button', 'data-testid': 'load-more', 'onclick': () => void busy(loadMore, () => load(cursor), 'Loading…') }, 'Load more');
        more.append(loadMore);
      }
    } catch (error) {
      if (scope.alive) listStatus.replaceChildren(retryableError(error, () => void load(next)));
    }
  };

  void load().then(() => watchProgress(context, scope, () => videos, async () => {
    const page = await context.api.myVideos();
    const updated = new Map(page.videos.map((video) => [video.id, video]));
    videos = videos.map((video) => updated.get(video.id) ?? video);
    show();
  }));
};

/** Polls every 3 s while a video is processing (or uploading from this tab), then stops. */
function watchProgress(context: AppContext, scope: Scope, videos: () => OwnerVideo[], refresh: () => Promise<void>): void {
  scope.every(3000, async () => {
    const busyVideos = videos().some((video) => video.state === 'PROCESSING' || (video.state === 'UPLOADING' && context.uploads.get(video.id)?.active));
    if (!busyVideos) return true;
    try {
      await refresh();
    } catch (error) {
      context.announce(`Could not refresh the list: ${messageOf(error)}`);
    }
    return true;
  });
}

function row(context: AppContext, video: OwnerVideo): HTMLElement {
  const upload = context.uploads.get(video.id)?.state;
  const uploading = upload && video.state === 'UPLOADING' && upload.status !== 'done' && upload.status !== 'failed';
  const percent = uploading ? Math.floor((upload.loaded / Math.max(1, upload.total)) * 100) : video.progressPercent;
  const item = h('li', { 'class': 'video-row', 'data-video-id': video.id },
    poster(video, 'thumb'),
    h('div', { class: 'video-row-body' },
      h('h3', { class: 'video-row-title' }, h('a', { href: hrefFor({ name: 'studio-video', videoId: video.id }) }, video.title)),
      h('p', { class: 'video-row-meta' },
        stateBadge(video),
        accessBadge(video),
        h('span', { class: 'muted' }, `Updated ${formatDate(video.updatedAt)}`),
      ),
      video.state === 'PROCESSING' || uploading
        ? h('progress', { 'max': '100', 'value': String(Math.round(percent)), 'aria-label': `${video.title}: ${uploading ? 'uploaded' : 'processed'}` })
        : null,
      uploading ? h('p', { class: 'muted small' }, `Uploading from this tab: ${percent}%`) : null,
      video.state === 'FAILED' && video.failure ? h('p', { class: 'failure' }, `Failed: ${video.failure.message}`) : null,
    ),
  );
  item.dataset.signature = JSON.stringify([
    video.state, video.progressPercent, video.title, video.access, video.price, video.failure?.message, percent,
  ]);
  return item;
}

function newVideoForm(context: AppContext): HTMLElement {
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: '200', autocomplete: 'off' });
  const description = h('textarea', { name: 'description', rows: '3', maxlength: '5000' });
  const access = h('select', { name: 'access' },
    h('option', { value: 'public' }, 'Free — anyone can watch'),
    h('option', { value: 'premium' }, 'Premium — members only'),
    h('option', { value: 'purchase' }, 'Purchase — viewers buy it'),
  );
  const price = priceFields();
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create video');
  const syncPrice = () => {
    price.element.hidden = access.value !== 'purchase';
  };
  access.addEventListener('change', syncPrice);
  syncPrice();

  const form = h('form', { 'class': 'panel', 'aria-labelledby': 'new-video', 'novalidate': true, 'data-testid': 'new-video-form' },
    h('h2', { id: 'new-video' }, 'New video'),
    field('Title', title),
    field('Description', description),
    field('Who can watch', access),
    price.element,
    errors,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.replaceChildren();
    if (!title.value.trim()) {
      errors.replaceChildren(errorBox('Give the video a title.'));
      title.focus();
      return;
    }
    const draft: VideoDraft = { title: title.value.trim(), description: description.value, access: access.value as AccessMode };
    let withPrice = draft;
    if (access.value === 'purchase') {
      const parsed = price.read();
      if (!parsed.ok) {
        errors.replaceChildren(errorBox(parsed.error));
        price.focus();
        return;
      }
      withPrice = { ...draft, price: parsed.price };
    }
    void busy(submit, async () => {
      try {
        const created = await context.api.createVideo(withPrice);
        context.announce(`Created “${created.title}”. Now upload its file.`);
        location.hash = hrefFor({ name: 'studio-video', videoId: created.id });
      } catch (error) {
        errors.replaceChildren(errorBox(messageOf(error)));
      }
    }, 'Creating…');
  });
  return form;
}
