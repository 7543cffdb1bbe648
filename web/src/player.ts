/**
 * Plays a video's HLS master playlist in a <video> element: with hls.js
 * where Media Source Extensions exist, else the browser's own HLS (Safari),
 * else says it cannot. The media is served under short-lived CloudFront
 * cookies, so a 403 from a playlist or segment means the session lapsed:
 * the player renews it once (see {@link PlaybackSession}) and loads again.
 * Caption tracks are the playlist's subtitle renditions: hls.js shows the
 * chosen one, the browser's own HLS exposes them as text tracks.
 * hls.js is loaded on demand, as its own chunk, by the watch page only.
 */
// The dynamic import below loads hls.js's ES module build; its types are the ones of that build.
import type Hls from 'hls.js' with { 'resolution-mode': 'import' };
import type { ErrorData, Level } from 'hls.js' with { 'resolution-mode': 'import' };
import type { PlaybackSession } from './playback-session';

type HlsClass = typeof Hls;

export type PlayerState = 'idle' | 'loading' | 'ready' | 'playing' | 'paused' | 'ended' | 'error' | 'unsupported';

export interface PlayerOptions {
  readonly video: HTMLVideoElement;
  /** Filled with Auto plus one option per rendition height, wired to hls.js's level choice. */
  readonly quality: HTMLSelectElement;
  /**
   * The viewer's choice of captions: option values are language tags, `''` is
   * Off. The track of a language is the subtitle rendition of that LANGUAGE.
   */
  readonly captions?: HTMLSelectElement;
  readonly session: PlaybackSession;
  readonly onState: (state: PlayerState, message?: string) => void;
}

/** One option per distinct height, highest first; the value is the hls.js level index. */
export function qualityOptions(levels: ReadonlyArray<Pick<Level, 'height' | 'bitrate'>>): Array<{ value: number; label: string }> {
  const byHeight = new Map<number, { index: number; bitrate: number }>();
  levels.forEach((level, index) => {
    const known = byHeight.get(level.height);
    if (level.height > 0 && (!known || level.bitrate > known.bitrate)) byHeight.set(level.height, { index, bitrate: level.bitrate });
  });
  return [...byHeight.entries()].sort((a, b) => b[0] - a[0]).map(([height, { index }]) => ({ value: index, label: `${height}p` }));
}

/** The index of the subtitle track of `language` (or, failing that, named `label`); -1 for none. */
export function subtitleTrackIndex(
  tracks: ReadonlyArray<{ readonly lang?: string; readonly name?: string }>, language: string, label?: string): number {
  if (!language) return -1;
  const byLanguage = tracks.findIndex((track) => track.lang?.toLowerCase() === language.toLowerCase());
  return byLanguage >= 0 || label === undefined ? byLanguage : tracks.findIndex((track) => track.name === label);
}

export class Player {
  private hls: Hls | undefined;
  private url = '';
  private renewing = false;
  private mediaRecoveries = 0;
  private disposed = false;
  /** A failure stays on screen until the viewer retries (a late `loadstart` must not hide it). */
  private failed = false;
  private readonly cleanups: Array<() => void> = [];

  constructor(private readonly options: PlayerOptions) {
    const { video } = options;
    const on = (event: string, state: PlayerState) => this.listen(video, event, () => this.report(state));
    on('loadstart', 'loading');
    on('playing', 'playing');
    on('pause', 'paused');
    on('ended', 'ended');
    this.listen(video, 'canplay', () => {
      if (video.paused) this.report('ready');
    });
    this.listen(options.quality, 'change', () => {
      if (this.hls) this.hls.currentLevel = Number(options.quality.value);
    });
    if (options.captions) this.listen(options.captions, 'change', () => this.showCaptions());
  }

  /** Loads the playlist (the session's cookies are set already). */
  public async load(playlistUrl: string): Promise<void> {
    this.url = playlistUrl;
    const { video, onState } = this.options;
    onState('loading');
    // Bundled into the web app's own chunk at build time, not a dependency of the construct library.
    const { default: HlsClass } = await import('hls.js');
    if (this.disposed) return;
    if (HlsClass.isSupported()) {
      this.startHls(HlsClass);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      this.startNative();
    } else {
      this.setQualities([]);
      this.report('unsupported', 'This browser cannot play HLS video. Try a current version of Chrome, Edge, Firefox or Safari.');
    }
  }

  /** After a failure the viewer asked to try again. */
  public retry(): void {
    this.failed = false;
    this.options.onState('loading');
    if (this.hls) {
      this.hls.loadSource(this.url);
      this.hls.startLoad();
    } else {
      this.options.video.src = this.url;
    }
  }

  public dispose(): void {
    this.disposed = true;
    this.cleanups.forEach((cleanup) => cleanup());
    this.hls?.destroy();
    this.hls = undefined;
    const { video } = this.options;
    video.removeAttribute('src');
    video.load();
  }

  private startHls(HlsClass: HlsClass): void {
    const { video, session, onState } = this.options;
    // Same origin: cookies go with every request anyway. Another origin needs credentialed CORS.
    const crossOrigin = new URL(this.url, location.href).origin !== location.origin;
    const hls = new HlsClass({
      xhrSetup: crossOrigin ? (xhr) => {
        xhr.withCredentials = true;
      } : undefined,
    });
    this.hls = hls;
    hls.on(HlsClass.Events.MANIFEST_PARSED, (_event, data) => this.setQualities(qualityOptions(data.levels)));
    hls.on(HlsClass.Events.LEVEL_SWITCHED, (_event, data) => this.showAutoLevel(hls.levels[data.level]?.height));
    hls.on(HlsClass.Events.FRAG_LOADED, () => session.noteLoaded());
    // The tracks are known once the playlist is: show the viewer's choice (Off unless changed meanwhile), not one hls.js picked.
    hls.on(HlsClass.Events.SUBTITLE_TRACKS_UPDATED, () => this.showCaptions());
    hls.on(HlsClass.Events.ERROR, (_event, data) => this.onHlsError(HlsClass, hls, data));
    hls.loadSource(this.url);
    hls.attachMedia(video);
    onState('loading');
  }

  private onHlsError(HlsClass: HlsClass, hls: Hls, data: ErrorData): void {
    const { session } = this.options;
    const status = data.response?.code;
    if (status === 403) {
      if (this.renewing) return;
      this.renewing = true;
      hls.stopLoad();
      const manifest = data.details === HlsClass.ErrorDetails.MANIFEST_LOAD_ERROR;
      void session.renewAfterForbidden().then((renewed) => {
        this.renewing = false;
        if (this.disposed) return;
        if (!renewed) {
          this.report('error', 'The media refused this playback session, and renewing it did not help. Reload the page to try again.');
        } else if (manifest) {
          hls.loadSource(this.url);
        } else {
          hls.startLoad();
        }
      });
      return;
    }
    if (!data.fatal) return;
    if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR && this.mediaRecoveries < 2) {
      this.mediaRecoveries += 1;
      hls.recoverMediaError();
      return;
    }
    const reason = data.type === HlsClass.ErrorTypes.NETWORK_ERROR
      ? `The video could not be loaded${status ? ` (the server answered ${status})` : ''}.`
      : 'The video could not be played.';
    this.report('error', reason);
  }

  private startNative(): void {
    const { video, session } = this.options;
    this.setQualities([]);
    // Native HLS reports no status: any media error may be lapsed cookies, so renew once and reload at the same time.
    this.listen(video, 'error', () => {
      if (this.renewing) return;
      this.renewing = true;
      const position = video.currentTime;
      void session.renewAfterForbidden().then((renewed) => {
        this.renewing = false;
        if (this.disposed) return;
        if (!renewed) {
          this.report('error', 'The video could not be played.');
          return;
        }
        video.src = this.url;
        video.currentTime = position;
      });
    });
    this.listen(video, 'progress', () => session.noteLoaded());
    // The browser adds a text track per subtitle rendition as it reads the playlist.
    this.listen(video.textTracks, 'addtrack', () => this.showCaptions());
    video.src = this.url;
  }

  /** Shows the captions the viewer chose, or none. */
  private showCaptions(): void {
    const select = this.options.captions;
    if (!select) return;
    const language = select.value;
    const label = select.selectedOptions[0]?.textContent ?? undefined;
    if (this.hls) {
      this.hls.subtitleDisplay = true;
      const index = subtitleTrackIndex(this.hls.subtitleTracks, language, label);
      if (this.hls.subtitleTrack !== index) this.hls.subtitleTrack = index;
      return;
    }
    const { textTracks } = this.options.video;
    const tracks = Array.from({ length: textTracks.length }, (_, i) => textTracks[i])
      .filter((track) => track.kind === 'subtitles' || track.kind === 'captions');
    const chosen = subtitleTrackIndex(tracks.map((track) => ({ lang: track.language, name: track.label })), language, label);
    tracks.forEach((track, i) => {
      track.mode = i === chosen ? 'showing' : 'disabled';
    });
  }

  private report(state: PlayerState, message?: string): void {
    if (state === 'error' || state === 'unsupported') {
      this.failed = true;
    } else if (this.failed && (state === 'loading' || state === 'ready')) {
      return;
    } else {
      this.failed = false;
    }
    this.options.onState(state, message);
  }

  private setQualities(options: Array<{ value: number; label: string }>): void {
    const select = this.options.quality;
    select.replaceChildren(new Option('Auto', '-1', true, true), ...options.map((option) => new Option(option.label, String(option.value))));
    select.disabled = options.length < 2;
  }

  /** While on Auto, say which rendition Auto picked. */
  private showAutoLevel(height: number | undefined): void {
    const auto = this.options.quality.options[0];
    if (auto) auto.textContent = height ? `Auto (${height}p)` : 'Auto';
  }

  private listen(target: EventTarget, event: string, handler: () => void): void {
    target.addEventListener(event, handler);
    this.cleanups.push(() => target.removeEventListener(event, handler));
  }
}
