/**
 * `#/watch/<id>`: the player. Playback starts with a session from the API
 * (cookies for this video's folder); a refusal becomes what the viewer can
 * do about it: sign in, go premium, or buy the video.
 */
import { ApiError, messageOf, PublicVideo, StreamSession } from '../api';
import type { AppContext, Scope, View } from '../context';
import { busy, button, errorBox, field, h, loading, note } from '../dom';
import { formatDuration, formatInterval, formatPrice, mediaUrl } from '../format';
import { PlaybackSession, waitUntilGranted } from '../playback-session';
import { Player, PlayerState } from '../player';
import { hrefFor } from '../router';
import { neighbourThumbnail, parseThumbnailsVtt, thumbnailAt, ThumbnailCue } from '../thumbnails';
import { accessBadge, goToCheckout, isApiError, notFound, pageTitle, retryableError, signInPrompt } from './common';

const STATE_TEXT: Record<PlayerState | 'locked', string> = {
  idle: 'Not started',
  loading: 'Loading…',
  ready: 'Ready to play',
  playing: 'Playing',
  paused: 'Paused',
  ended: 'Ended',
  error: 'Playback error',
  unsupported: 'Not supported by this browser',
  locked: 'Locked',
};

/** Thumbnails the scrub preview moves by, per key: one, or to the first or the last. */
const SCRUB_STEPS: Partial<Record<string, number>> = {
  ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, Home: -Infinity, End: Infinity,
};

export const watchView: View = async (context, main, scope, { route, query }) => {
  if (route.name !== 'watch') return;
  const { videoId } = route;
  main.replaceChildren(pageTitle('Loading video…'), loading('Loading video…'));
  let video: PublicVideo;
  try {
    video = await context.api.getVideo(videoId);
  } catch (error) {
    if (!scope.alive) return;
    if (isApiError(error, 404)) {
      notFound(main, 'video');
    } else {
      main.replaceChildren(pageTitle('Video'), retryableError(error, () => void watchView(context, main, scope, { route, query })));
    }
    return;
  }
  if (!scope.alive) return;
  render(context, main, scope, video, query);
};

function render(context: AppContext, main: HTMLElement, scope: Scope, video: PublicVideo, query: Readonly<Record<string, string>>): void {
  const posterSrc = mediaUrl(video.posterUrl, location.origin);
  const videoElement = h('video', {
    'controls': true,
    'playsinline': true,
    'preload': 'metadata',
    'poster': posterSrc,
    'aria-label': `Video: ${video.title}`,
    'data-testid': 'video',
  });
  const gate = h('div', { class: 'gate-slot' });
  const stage = h('div', { 'class': 'player', 'data-testid': 'player', 'data-state': 'idle' }, videoElement, gate);
  const quality = h('select', { 'data-testid': 'quality', 'disabled': true }, h('option', { value: '-1' }, 'Auto'));
  const qualityField = field('Quality', quality);
  // Off, then the video's caption tracks by label; the value is the track's language.
  const captionTracks = video.captions ?? [];
  const captions = h('select', { 'data-testid': 'captions' },
    h('option', { value: '', selected: true }, 'Off'),
    ...captionTracks.map((track) => h('option', { value: track.language, lang: track.language }, track.label)));
  const captionsField = field('Captions', captions);
  captionsField.hidden = captionTracks.length === 0;
  const playState = h('span', { 'class': 'play-state', 'data-testid': 'play-state', 'data-state': 'idle' }, STATE_TEXT.idle);
  const stateMessage = h('div', { class: 'player-message' });
  const notices = h('div', { class: 'notices' });

  // Scrub thumbnails: a strip under the video, shown once the thumbnails track has loaded. It is a slider
  // for the keyboard too: the arrow keys move the preview a thumbnail at a time, Enter or Space plays from there.
  const preview = h('div', { 'class': 'scrub-preview', 'data-testid': 'scrub-preview', 'hidden': true });
  const scrub = h('div', {
    'class': 'scrub',
    'data-testid': 'scrub',
    'hidden': true,
    'role': 'slider',
    'tabindex': '0',
    'aria-label': 'Preview a moment, then play from it',
    'aria-valuemin': '0',
  }, preview);
  main.replaceChildren(h('article', { class: 'watch' },
    stage,
    scrub,
    h('div', { class: 'watch-body' },
      notices,
      stateMessage,
      h('div', { class: 'watch-head' },
        pageTitle(video.title),
        h('p', { class: 'watch-meta' },
          accessBadge(video),
          video.durationSeconds ? h('span', { class: 'duration' }, formatDuration(video.durationSeconds)) : null,
        ),
      ),
      h('div', { class: 'player-tools' },
        qualityField,
        captionsField,
        h('p', { class: 'play-state-line' }, h('span', { class: 'muted' }, 'Status: '), playState),
      ),
      video.description ? h('p', { class: 'description' }, video.description) : null,
    ),
  ));

  const setState = (state: PlayerState | 'locked', message?: string) => {
    stage.dataset.state = state;
    qualityField.hidden = state === 'locked' || state === 'unsupported';
    captionsField.hidden = qualityField.hidden || captionTracks.length === 0;
    playState.dataset.state = state;
    playState.textContent = STATE_TEXT[state];
    if (state === 'error' || state === 'unsupported') {
      stateMessage.replaceChildren(errorBox(message ?? STATE_TEXT[state], state === 'error' ? button('Try again', () => player?.retry()) : null));
    } else if (state === 'playing' || state === 'ready') {
      stateMessage.replaceChildren();
    }
  };

  /** A playback session: renewals name its lease; one stopped elsewhere ends playback here. */
  const newSession = (): PlaybackSession => {
    const created: PlaybackSession = new PlaybackSession({
      request: () => {
        const sessionId = created.grant?.sessionId;
        return context.api.playback(video.id, sessionId ? { sessionId } : undefined);
      },
      onError: (error) => context.announce(`The playback session could not be renewed: ${messageOf(error)}. Trying again.`),
      isEnded: (error) => isApiError(error, 409, 'session-ended'),
      onEnded: () => stoppedHere(),
    });
    return created;
  };
  let session = newSession();
  let player: Player | undefined;
  /** Frees this tab's slot (with stream limits) as it stops playing: the lease would lapse anyway, later. */
  const endLease = (keepalive = false) => {
    const sessionId = session.grant?.sessionId;
    if (sessionId && !session.disposed) {
      void context.api.endSession(sessionId, { keepalive }).catch(() => undefined);
    }
  };
  // A page put in the back/forward cache is not gone: it may be shown again and go on playing.
  const onPageHide = (event: PageTransitionEvent) => {
    if (!event.persisted) endLease(true);
  };
  window.addEventListener('pagehide', onPageHide);
  scope.onDispose(() => {
    window.removeEventListener('pagehide', onPageHide);
    endLease();
    session.dispose();
    player?.dispose();
  });
  /** Stops the player and starts over with a new session (after stopping another device, or to watch here again). */
  const restart = () => {
    player?.dispose();
    player = undefined;
    session.dispose();
    session = newSession();
    void begin(false);
  };
  /** This tab's session was stopped from another device or by an administrator: say so, offer to watch here. */
  const stoppedHere = () => {
    if (!scope.alive) return;
    videoElement.pause();
    setState('locked');
    // The gate is an alert: assistive technology reads it once, without a second notice.
    const message = 'Playback stopped on this device: it was stopped from another device, or ended by an administrator.';
    gate.replaceChildren(h('div', { 'class': 'gate', 'role': 'alert', 'data-testid': 'session-ended' },
      h('p', {}, message), button('Watch here', restart, { 'class': 'primary', 'data-testid': 'watch-here' })));
  };

  /** Fetches the thumbnails track with the media cookies; without one, the strip stays hidden. */
  let thumbnailsShown = false;
  const showThumbnails = async (trackUrl: string) => {
    if (thumbnailsShown) return;
    let cues: ThumbnailCue[];
    try {
      const response = await fetch(trackUrl, { credentials: 'same-origin' });
      cues = response.ok ? parseThumbnailsVtt(await response.text(), trackUrl) : [];
    } catch {
      return;
    }
    if (!scope.alive || cues.length === 0 || thumbnailsShown) return;
    thumbnailsShown = true;
    const total = () => (Number.isFinite(videoElement.duration) ? videoElement.duration : cues[cues.length - 1].end);
    const timeAt = (event: MouseEvent) => {
      const box = scrub.getBoundingClientRect();
      return Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)) * total();
    };
    /** The time the preview shows (or last showed): where Enter plays from. */
    let previewTime = 0;
    const setValue = (time: number) => {
      scrub.setAttribute('aria-valuemax', String(Math.floor(total())));
      scrub.setAttribute('aria-valuenow', String(Math.floor(time)));
      scrub.setAttribute('aria-valuetext', `${formatDuration(time)} of ${formatDuration(total())}`);
    };
    const showAt = (time: number) => {
      const cue = thumbnailAt(cues, time);
      if (!cue) return;
      previewTime = time;
      const ratio = Math.min(1, Math.max(0, time / total()));
      preview.hidden = false;
      Object.assign(preview.style, {
        width: `${cue.width}px`,
        height: `${cue.height}px`,
        backgroundImage: `url("${cue.url}")`,
        backgroundPosition: `-${cue.x}px -${cue.y}px`,
        left: `clamp(0px, calc(${ratio * 100}% - ${cue.width / 2}px), calc(100% - ${cue.width}px))`,
      });
      preview.dataset.time = String(Math.floor(time));
      setValue(time);
    };
    // Shown while the pointer is over the strip or the strip has the focus.
    let hovering = false;
    let focused = false;
    const hideUnlessUsed = () => {
      if (!hovering && !focused) preview.hidden = true;
    };
    setValue(videoElement.currentTime || 0);
    scrub.hidden = false;
    scrub.addEventListener('mousemove', (event) => {
      hovering = true;
      showAt(timeAt(event));
    });
    scrub.addEventListener('mouseleave', () => {
      hovering = false;
      hideUnlessUsed();
    });
    scrub.addEventListener('click', (event) => {
      videoElement.currentTime = timeAt(event);
    });
    scrub.addEventListener('focus', () => {
      // A click focuses the strip too: then the pointer keeps the preview, and it goes when the pointer leaves.
      if (hovering) return;
      focused = true;
      showAt(videoElement.currentTime || 0);
    });
    scrub.addEventListener('blur', () => {
      focused = false;
      hideUnlessUsed();
    });
    scrub.addEventListener('keydown', (event) => {
      const step = SCRUB_STEPS[event.key];
      const play = event.key === 'Enter' || event.key === ' ';
      if (step === undefined && !play) return;
      // The page does not scroll under a slider the keys move.
      event.preventDefault();
      // Keys after a click: the preview follows the keyboard from now on.
      focused = true;
      if (play) {
        videoElement.currentTime = previewTime;
      } else if (step !== undefined) {
        const next = neighbourThumbnail(cues, previewTime, step);
        if (next) showAt(next.start);
      }
    });
  };

  const begin = async (afterCheckout: boolean) => {
    gate.replaceChildren();
    setState('loading');
    try {
      let grant;
      if (afterCheckout) {
        notices.replaceChildren(note('Payment received — unlocking…', 'success'));
        context.announce('Payment received — unlocking…');
        // The payment's webhook may land after the viewer is back: ask every 2 s, up to a minute.
        grant = await waitUntilGranted(() => session.start(), {
          isPending: (error) => isApiError(error, 403) || isApiError(error, 401),
          cancelled: () => !scope.alive,
        });
        history.replaceState(null, '', hrefFor({ name: 'watch', videoId: video.id }));
        notices.replaceChildren(note('Unlocked. Enjoy the video.', 'success'));
        context.announce('Unlocked.');
      } else {
        grant = await session.start();
      }
      if (!scope.alive) return;
      const playlist = mediaUrl(grant.playlistUrl, location.origin);
      if (!playlist) throw new Error('The server sent a playlist address the player cannot use.');
      player = new Player({ video: videoElement, quality, captions, session, onState: setState });
      await player.load(playlist);
      void showThumbnails(new URL('thumbnails.vtt', playlist).href);
    } catch (error) {
      if (!scope.alive) return;
      if (afterCheckout && (isApiError(error, 403) || isApiError(error, 401))) {
        setState('locked');
        notices.replaceChildren(note(
          'Your payment was received, but the video is not unlocked yet. This can take a minute.',
          'info',
          button('Try again', () => void begin(false)),
        ));
        return;
      }
      await refusal(error);
    }
  };

  const refusal = async (error: unknown) => {
    if (isApiError(error, 429, 'too-many-streams')) {
      setState('locked');
      gate.replaceChildren(streamLimitGate(context, error as ApiError, restart));
      return;
    }
    if (isApiError(error, 401)) {
      setState('locked');
      gate.replaceChildren(signInPrompt(context, `${lockReason(video)} Sign in to watch.`, 'Sign in to watch'));
      return;
    }
    if (isApiError(error, 404)) {
      notFound(main, 'video');
      return;
    }
    if (!isApiError(error, 403)) {
      setState('error', messageOf(error));
      stateMessage.replaceChildren(retryableError(error, () => void begin(false)));
      return;
    }
    setState('locked');
    gate.replaceChildren(h('div', { class: 'gate' }, loading('Checking what is on offer…')));
    let checkout = false;
    let premiumPrice: string | undefined;
    try {
      const offers = await context.offers();
      checkout = offers.checkout;
      premiumPrice = offers.premium ? formatInterval(offers.premium) : undefined;
    } catch {
      // Without offers there is nothing to sell; the message below still says why the video is locked.
    }
    if (!scope.alive) return;
    const errors = h('div');
    if (video.access === 'premium' && checkout && premiumPrice) {
      const go = button('Go premium', () => void goToCheckout(go, errors, () => context.api.premiumCheckout()), { 'class': 'primary', 'data-testid': 'go-premium' });
      gate.replaceChildren(h('div', { class: 'gate' }, h('p', {}, `This video is for premium members. Premium is ${premiumPrice}.`), go, errors));
    } else if (video.access === 'purchase' && checkout && video.price) {
      const label = `Buy this video for ${formatPrice(video.price)}`;
      const buy = button(label, () => void goToCheckout(buy, errors, () => context.api.videoCheckout(video.id), (failure) => {
        if (!isApiError(failure, 409, 'already-entitled')) return false;
        void begin(false);
        return true;
      }), { 'class': 'primary', 'data-testid': 'buy-video' });
      gate.replaceChildren(h('div', { class: 'gate' }, h('p', {}, 'This video is for sale. Buy it once and watch it any time.'), buy, errors));
    } else {
      gate.replaceChildren(h('div', { class: 'gate' }, h('p', {}, `${lockReason(video)} ${messageOf(error)}`)));
    }
  };

  if (query.checkout === 'cancelled') {
    notices.replaceChildren(note('Checkout was cancelled. You have not been charged.'));
  }
  void begin(query.checkout === 'success');
}

function lockReason(video: PublicVideo): string {
  switch (video.access) {
    case 'premium': return 'This video is for premium members.';
    case 'purchase': return 'This video is for sale.';
    default: return 'This video needs a playback session.';
  }
}

/**
 * Past the stream limit: the sessions the viewer holds elsewhere, each with
 * "Stop watching there"; stopping one starts playback here.
 */
function streamLimitGate(context: AppContext, error: ApiError, restart: () => void): HTMLElement {
  const sessions = Array.isArray(error.details.sessions) ? error.details.sessions as StreamSession[] : [];
  const limit = typeof error.details.limit === 'number' ? error.details.limit : sessions.length;
  const errors = h('div');
  const items = sessions.map((session) => {
    const what = session.videoTitle ?? 'a video';
    const stop = button('Stop watching there', () => void busy(stop, async () => {
      errors.replaceChildren();
      try {
        await context.api.endSession(session.sessionId);
        context.announce(`Stopped watching on ${session.device}.`);
        restart();
      } catch (failure) {
        errors.replaceChildren(errorBox(messageOf(failure)));
      }
    }, 'Stopping…'), { 'class': 'small', 'aria-label': `Stop watching there: ${what} on ${session.device}`, 'data-testid': 'stop-session' });
    return h('li', { 'class': 'entitlement', 'data-session': session.sessionId },
      h('div', {}, h('strong', {}, session.device), h('p', { class: 'muted small' }, `${what} · since ${formatTime(session.startedAt)}`)),
      stop);
  });
  return h('div', { 'class': 'gate', 'data-testid': 'stream-limit' },
    h('p', {}, `You are watching on ${limit} ${limit === 1 ? 'device' : 'devices'} already, the most at once. Stop watching on one of them to watch here.`),
    h('ul', { 'class': 'entitlements', 'aria-label': 'Where you are watching' }, ...items),
    errors);
}

/** A time of day in the viewer's locale. */
function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
