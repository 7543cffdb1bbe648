/**
 * `#/studio/<id>`: one of the creator's videos. Its file (upload with
 * progress, pause and resume, also after a reload), its processing, its
 * publication, its caption tracks, its poster, its details, and deleting it.
 */
import { AccessMode, AutomaticCaptions, CaptionTrack, captionFormatOf, CurrentUpload, messageOf, OwnerVideo, VideoDraft } from '../api';
import type { AppContext, Scope, View } from '../context';
import { busy, button, errorBox, field, h, loading, note } from '../dom';
import { formatBytes, formatDuration, mediaUrl } from '../format';
import { PlaybackSession } from '../playback-session';
import { hrefFor } from '../router';
import { parseThumbnailsVtt, thumbnailAt, ThumbnailCue } from '../thumbnails';
import { contentTypeOf, rememberedFile, UploadState } from '../upload';
import { checkResume } from '../upload-plan';
import { accessBadge, isApiError, notFound, pageTitle, retryableError, stateBadge } from './common';
import { priceFields } from './price-fields';
import { studioAllowed } from './studio';

export const studioVideoView: View = async (context, main, scope, location) => {
  const { route } = location;
  if (route.name !== 'studio-video') return;
  if (!studioAllowed(context, main, 'Video')) return;
  main.replaceChildren(pageTitle('Loading video…'), loading('Loading video…'));
  let video: OwnerVideo;
  try {
    video = await context.api.getVideo<OwnerVideo>(route.videoId);
  } catch (error) {
    if (!scope.alive) return;
    if (isApiError(error, 404)) {
      notFound(main, 'video');
    } else {
      main.replaceChildren(pageTitle('Video'), retryableError(error, () => void studioVideoView(context, main, scope, location)));
    }
    return;
  }
  if (!scope.alive) return;
  if (!('state' in video)) {
    notFound(main, 'video');
    return;
  }
  new VideoPage(context, main, scope, video).render();
};

class VideoPage {
  private readonly head = h('div', { class: 'page-head' });
  private readonly fileSection = h('section', { 'class': 'panel', 'aria-labelledby': 'file-title', 'data-testid': 'upload-panel' });
  private readonly publishSection = h('section', { 'class': 'panel', 'aria-labelledby': 'publish-title', 'data-testid': 'publish-panel' });
  private readonly captionsSection = h('section', { 'class': 'panel', 'aria-labelledby': 'captions-title', 'data-testid': 'captions-form' });
  private readonly posterSection = h('section', { 'class': 'panel', 'aria-labelledby': 'poster-title', 'data-testid': 'poster-panel' });
  private readonly detailsSection = h('section', { 'class': 'panel', 'aria-labelledby': 'details-title' });
  private readonly dangerSection = h('section', { 'class': 'panel danger', 'aria-labelledby': 'danger-title' });
  private uploadView: { status: string; update(state: UploadState): void } | undefined;
  /** The video's scrub thumbnails, read once with a playback session's cookies (tiles are media like the segments). */
  private thumbnails: Promise<ThumbnailCue[]> | undefined;
  private session: PlaybackSession | undefined;
  private readonly tiles = new Map<string, Promise<HTMLImageElement>>();

  constructor(private readonly context: AppContext, private readonly main: HTMLElement, private readonly scope: Scope, private video: OwnerVideo) {}

  public render(): void {
    this.main.replaceChildren(
      h('p', { class: 'breadcrumb' }, h('a', { href: hrefFor({ name: 'studio' }) }, '← Studio')),
      this.head,
      h('div', { class: 'studio-grid' },
        h('div', { class: 'stack' }, this.fileSection, this.publishSection, this.captionsSection),
        h('div', { class: 'stack' }, this.posterSection, this.detailsSection, this.dangerSection),
      ),
    );
    this.renderHead(true);
    this.renderFile();
    this.renderPublish();
    this.renderCaptions();
    this.renderPoster();
    this.renderDetails();
    this.renderDanger();
    this.scope.onDispose(this.context.uploads.subscribe((videoId, state) => {
      if (videoId !== this.video.id || !this.scope.alive) return;
      if (this.uploadView && this.uploadView.status === state.status) {
        this.uploadView.update(state);
      } else {
        this.renderFile();
      }
      if (state.status === 'done') {
        this.context.announce('Upload finished. Processing starts in a moment.');
        void this.refresh();
      }
    }));
    // While the pipeline works (or the stored file has not been noticed yet), look again every 3 s.
    this.scope.every(3000, async () => {
      const local = this.context.uploads.get(this.video.id)?.state.status;
      if (this.video.state === 'PROCESSING' || (this.video.state === 'UPLOADING' && local === 'done')) {
        await this.refresh();
      }
      return true;
    });
  }

  private async refresh(): Promise<void> {
    try {
      const fresh = await this.context.api.getVideo<OwnerVideo>(this.video.id);
      if (!this.scope.alive) return;
      this.update(fresh);
    } catch (error) {
      if (this.scope.alive) this.context.announce(`Could not refresh the video: ${messageOf(error)}`);
    }
  }

  private update(fresh: OwnerVideo): void {
    const before = this.video;
    this.video = fresh;
    this.renderHead(false);
    if (before.state !== fresh.state || before.progressPercent !== fresh.progressPercent) {
      if (before.state !== fresh.state) {
        this.context.announce(`The video is now ${fresh.state.toLowerCase()}.`);
        if (fresh.state !== 'UPLOADING' && this.context.uploads.get(fresh.id)?.state.status === 'done') this.context.uploads.drop(fresh.id);
      }
      this.renderFile();
      this.renderPublish();
      if (before.state !== fresh.state) {
        this.renderCaptions();
        this.renderPoster();
      }
    }
  }

  private renderHead(focusable: boolean): void {
    const title = pageTitle(this.video.title);
    if (!focusable) title.removeAttribute('tabindex');
    this.head.replaceChildren(title, h('p', { class: 'badges' }, stateBadge(this.video), accessBadge(this.video)));
  }

  // ---- the file ----------------------------------------------------------

  private renderFile(): void {
    this.uploadView = undefined;
    const video = this.video;
    const section = this.fileSection;
    const heading = h('h2', { id: 'file-title' }, 'Video file');
    const uploader = this.context.uploads.get(video.id);
    if (uploader && (video.state === 'UPLOADING' || video.state === 'DRAFT' || uploader.active)) {
      section.replaceChildren(heading, this.uploadProgress(uploader.state));
      return;
    }
    switch (video.state) {
      case 'DRAFT':
        section.replaceChildren(heading, h('p', {}, 'Upload the video file. Large files are sent in parts and can be paused and resumed.'), this.filePicker('Choose a video file', 'new'));
        return;
      case 'UPLOADING':
        section.replaceChildren(heading, loading('Checking the upload in progress…'));
        void this.renderInterrupted(heading);
        return;
      case 'PROCESSING': {
        const percent = Math.round(video.progressPercent);
        section.replaceChildren(heading,
          h('p', {}, `Processing into streaming renditions: ${percent}%.`),
          h('progress', { 'max': '100', 'value': String(percent), 'aria-label': 'Processing progress', 'data-testid': 'processing-progress' }),
          h('p', { class: 'hint' }, 'This page updates on its own.'));
        return;
      }
      case 'READY':
      case 'PUBLISHED':
      case 'FAILED': {
        const renditions = (video.renditions ?? []).map((rendition) => `${rendition.height}p`).join(', ');
        section.replaceChildren(heading,
          video.state === 'FAILED'
            ? h('p', {}, 'Processing failed. Retry it, or upload the file again.')
            : h('p', {}, `Processed${video.durationSeconds ? `: ${formatDuration(video.durationSeconds)}` : ''}${renditions ? ` in ${renditions}` : ''}.`),
          video.state === 'PUBLISHED'
            ? h('p', { class: 'hint' }, 'Unpublish the video to replace its file.')
            : h('details', { class: 'replace', open: video.state === 'FAILED' },
              h('summary', {}, 'Replace the file'),
              this.filePicker('Choose a new video file', 'new')));
        return;
      }
    }
  }

  private filePicker(label: string, mode: 'new' | 'resume', onChosen?: (file: File) => void): HTMLElement {
    const input = h('input', { 'type': 'file', 'accept': 'video/*', 'data-testid': 'upload-file' });
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (!file) return;
      if (onChosen) {
        onChosen(file);
      } else {
        this.startUpload(file, mode);
      }
    });
    return field(label, input, 'MP4, MOV or another video format.');
  }

  private startUpload(file: File, mode: 'new' | 'resume'): void {
    this.context.uploads.send(this.video.id, file, mode);
    this.context.announce(mode === 'new' ? `Uploading ${file.name}.` : `Resuming the upload of ${file.name}.`);
    if (this.video.state === 'DRAFT' || this.video.state === 'READY' || this.video.state === 'FAILED') {
      this.video = { ...this.video, state: 'UPLOADING' };
      this.renderHead(false);
      this.renderPublish();
    }
    this.renderFile();
  }

  private uploadProgress(initial: UploadState): HTMLElement {
    const progress = h('progress', { 'max': '100', 'value': '0', 'aria-label': 'Upload progress', 'data-testid': 'upload-progress' });
    const text = h('p', { 'class': 'upload-text', 'data-testid': 'upload-status' });
    const actions = h('div', { class: 'actions' });
    const message = h('div');
    const uploader = () => this.context.uploads.get(this.video.id);
    const update = (state: UploadState) => {
      const percent = Math.floor((state.loaded / Math.max(1, state.total)) * 100);
      progress.value = percent;
      progress.dataset.status = state.status;
      text.textContent = `${STATUS_TEXT[state.status]} — ${percent}% (${formatBytes(state.loaded)} of ${formatBytes(state.total)})`;
    };
    const status = initial.status;
    if (status === 'starting' || status === 'uploading') {
      actions.append(button('Pause', () => uploader()?.pause(), { 'data-testid': 'upload-pause' }));
    } else if (status === 'paused' || status === 'offline' || status === 'failed') {
      actions.append(button(status === 'failed' ? 'Try again' : 'Resume', () => {
        const current = uploader();
        if (!current) return;
        if (status === 'failed' && current.state.kind !== 'multipart' && this.video.state !== 'UPLOADING') {
          this.startUpload(current.file as File, 'new');
        } else {
          void current.resume();
        }
      }, { 'class': 'primary', 'data-testid': 'upload-resume' }));
      if (status === 'failed') message.append(errorBox(initial.message ?? 'The upload failed.'));
      if (status === 'offline') message.append(note(initial.message ?? 'You are offline.'));
    }
    update(initial);
    this.uploadView = { status, update };
    return h('div', { 'class': 'upload', 'data-testid': 'upload', 'data-status': status }, progress, text, message, actions);
  }

  /** The video waits for an upload this tab does not hold (a reload, another tab): offer to continue it. */
  private async renderInterrupted(heading: HTMLElement): Promise<void> {
    let upload: CurrentUpload | undefined;
    try {
      upload = await this.context.api.currentUpload(this.video.id);
    } catch (error) {
      if (!this.scope.alive) return;
      if (!isApiError(error, 409)) {
        this.fileSection.replaceChildren(heading, retryableError(error, () => this.renderFile()));
        return;
      }
    }
    if (!this.scope.alive || this.context.uploads.get(this.video.id)) return;
    if (!upload || upload.kind === 'post') {
      this.fileSection.replaceChildren(heading,
        note(upload ? 'The upload was interrupted. Choose the file again to upload it.' : 'No upload is in progress. Choose the file to upload it.'),
        this.filePicker('Choose a video file', 'new'));
      return;
    }
    const multipart = upload;
    const remembered = rememberedFile(localStorage, this.video.id);
    const held = multipart.uploadedParts.reduce((sum, part) => sum + part.size, 0);
    const feedback = h('div');
    this.fileSection.replaceChildren(heading,
      h('div', { 'class': 'notice notice-info', 'data-testid': 'upload-interrupted' },
        h('p', {}, h('strong', {}, 'Upload interrupted — choose the same file to resume.')),
        h('p', {}, `${formatBytes(held)} of ${formatBytes(multipart.size)} are stored${remembered?.name ? ` (file: ${remembered.name})` : ''}.`)),
      this.filePicker('Choose the same file to resume', 'resume', (file) => {
        const identity = { name: file.name, size: file.size, type: contentTypeOf(file), lastModified: file.lastModified };
        const check = checkResume(multipart, identity, remembered);
        const fresh = button('Start a new upload with this file', () => this.startUpload(file, 'new'), { 'data-testid': 'upload-restart' });
        if (!check.ok) {
          feedback.replaceChildren(errorBox(`This is not the file of the interrupted upload: ${check.reason}.`, fresh));
        } else if (!check.sameAsRemembered) {
          feedback.replaceChildren(h('div', { class: 'notice notice-warning', role: 'alert' },
            h('p', {}, `This file has the right size and type, but not the name or date of the file you started with${remembered?.name ? ` (${remembered.name})` : ''}. Resuming with another file would mix two videos.`),
            h('div', { class: 'actions' },
              button('Resume with this file anyway', () => this.startUpload(file, 'resume'), { 'data-testid': 'upload-resume-anyway' }),
              fresh)));
        } else {
          this.startUpload(file, 'resume');
        }
      }),
      feedback,
    );
  }

  // ---- publication -------------------------------------------------------

  private renderPublish(): void {
    const video = this.video;
    const errors = h('div');
    const heading = h('h2', { id: 'publish-title' }, 'Publishing');
    const action = (label: string, name: 'publish' | 'unpublish' | 'retry', done: string, primary = true) => {
      const control = button(label, () => void busy(control, async () => {
        errors.replaceChildren();
        try {
          await this.context.api.videoAction(video.id, name);
          this.context.announce(done);
          await this.refresh();
        } catch (error) {
          errors.replaceChildren(errorBox(messageOf(error)));
        }
      }), { 'class': primary ? 'primary' : '', 'data-testid': name });
      return control;
    };
    const watch = h('a', { class: 'button-link', href: hrefFor({ name: 'watch', videoId: video.id }) }, video.state === 'PUBLISHED' ? 'Watch' : 'Preview');
    switch (video.state) {
      case 'READY':
        this.publishSection.replaceChildren(heading, h('p', {}, 'Ready. Publish it to list it in the catalog.'),
          h('div', { class: 'actions' }, action('Publish', 'publish', 'Published.'), watch), errors);
        return;
      case 'PUBLISHED':
        this.publishSection.replaceChildren(heading, h('p', {}, 'Published: viewers can find it in the catalog.'),
          h('div', { class: 'actions' }, watch, action('Unpublish', 'unpublish', 'Unpublished.', false)), errors);
        return;
      case 'FAILED':
        this.publishSection.replaceChildren(heading,
          h('div', { 'class': 'notice notice-error', 'data-testid': 'failure' },
            h('p', {}, h('strong', {}, 'Processing failed: '), video.failure?.message ?? 'no reason was given.'),
            video.failure?.code ? h('p', { class: 'muted small' }, `Code: ${video.failure.code}`) : null),
          h('div', { class: 'actions' }, action('Retry processing', 'retry', 'Processing again.')), errors);
        return;
      default:
        this.publishSection.replaceChildren(heading, h('p', { class: 'muted' }, 'You can publish the video once it is processed.'));
    }
  }

  // ---- captions ----------------------------------------------------------

  /** The caption tracks with a Remove button each, and a form to add one; READY and PUBLISHED videos only. */
  private renderCaptions(feedback?: HTMLElement): void {
    const section = this.captionsSection;
    const video = this.video;
    section.hidden = video.state !== 'READY' && video.state !== 'PUBLISHED';
    if (section.hidden) {
      section.replaceChildren();
      return;
    }
    const errors = h('div');
    if (feedback) errors.append(feedback);
    const tracks = video.captions ?? [];
    const items = tracks.map((track) => {
      const remove = button('Remove', () => void busy(remove, async () => {
        errors.replaceChildren();
        try {
          await this.context.api.deleteCaptions(video.id, track.language);
          this.context.announce(`Removed the captions ${track.label}.`);
          this.setCaptions(tracks.filter((other) => other.language !== track.language));
          this.renderCaptions(note(`Removed the captions ${track.label}.`, 'success'));
        } catch (error) {
          errors.replaceChildren(errorBox(messageOf(error)));
        }
      }, 'Removing…'), { 'class': 'danger small', 'aria-label': `Remove captions ${track.label}`, 'data-testid': 'remove-captions' });
      const about = `Language: ${track.language}${track.automatic ? ' · made by speech recognition; replace it with your own file to correct it' : ''}`;
      return h('li', { 'class': 'entitlement', 'data-language': track.language },
        h('div', {}, h('strong', { lang: track.language }, track.label), h('p', { class: 'muted small' }, about)),
        remove);
    });

    const language = h('input', {
      type: 'text', name: 'language', required: true, maxlength: '35', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off',
    });
    const label = h('input', { type: 'text', name: 'label', required: true, maxlength: '80', autocomplete: 'off' });
    const file = h('input', { 'type': 'file', 'name': 'file', 'accept': '.vtt,.srt', 'required': true, 'data-testid': 'captions-file' });
    const add = h('button', { 'type': 'submit', 'class': 'primary', 'data-testid': 'add-captions' }, 'Add');
    const form = h('form', { 'novalidate': true, 'aria-label': 'Add captions' },
      field('Language', language, 'A BCP 47 language tag, such as en or fr-CA. Adding a language again replaces its captions.'),
      field('Label', label, 'What viewers see in the captions menu, such as English.'),
      field('Caption file', file, 'WebVTT (.vtt) or SRT (.srt), at most 1 MB.'),
      h('div', { class: 'actions' }, add));
    const refuse = (message: string, control: HTMLElement) => {
      errors.replaceChildren(errorBox(message));
      control.focus();
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      errors.replaceChildren();
      const tag = language.value.trim();
      const name = label.value.trim();
      const chosen = file.files?.[0];
      if (!tag) return refuse('Give the language of the captions, such as en or fr-CA.', language);
      if (!name) return refuse('Give the captions a label, such as English.', label);
      if (!chosen) return refuse('Choose a caption file (.vtt or .srt).', file);
      const format = captionFormatOf(chosen.name);
      if (!format) return refuse(`${chosen.name} is not a caption file: choose a WebVTT (.vtt) or SRT (.srt) file.`, file);
      if (chosen.size > CAPTION_FILE_BYTES) return refuse(`${chosen.name} is larger than 1 MB, the most a caption file may be.`, file);
      void busy(add, async () => {
        try {
          const answer = await this.context.api.putCaptions(video.id, tag, { label: name, format, content: await chosen.text() });
          if (!this.scope.alive) return;
          const done = `Added the captions ${answer.label} (${answer.cues} ${answer.cues === 1 ? 'cue' : 'cues'}).`;
          this.context.announce(done);
          this.setCaptions(answer.captions);
          this.renderCaptions(note(done, 'success'));
        } catch (error) {
          errors.replaceChildren(errorBox(messageOf(error)));
        }
      }, 'Adding…');
    });

    section.replaceChildren(
      h('h2', { id: 'captions-title' }, 'Captions'),
      ...automaticCaptionsNote(video.automaticCaptions),
      items.length > 0
        ? h('ul', { 'class': 'entitlements', 'aria-label': 'Caption tracks', 'data-testid': 'caption-tracks' }, ...items)
        : h('p', { class: 'muted' }, 'No captions yet. Viewers can turn on the captions you add while they watch.'),
      h('div', { class: 'grant' }, h('h3', {}, 'Add captions'), form, errors),
    );
  }

  private setCaptions(captions: readonly CaptionTrack[]): void {
    this.video = { ...this.video, captions };
  }

  // ---- poster ------------------------------------------------------------

  /**
   * The poster, and a slider over the video's seconds that previews the scrub
   * thumbnail at each; "Use this frame" makes it the poster, "Back to the
   * first frame" goes back to the pipeline's. READY and PUBLISHED videos only.
   */
  private renderPoster(): void {
    const section = this.posterSection;
    section.hidden = this.video.state !== 'READY' && this.video.state !== 'PUBLISHED';
    if (section.hidden) {
      section.replaceChildren();
      // A new upload brings new thumbnails: read them again once it is processed.
      this.session?.dispose();
      this.session = undefined;
      this.thumbnails = undefined;
      this.tiles.clear();
      return;
    }
    const videoId = this.video.id;
    const duration = Math.max(0, Math.floor(this.video.durationSeconds ?? 0));
    const current = h('img', { 'alt': '', 'width': '320', 'height': '180', 'data-testid': 'poster-current' });
    const currentCaption = h('figcaption', { class: 'small' });
    const currentFigure = h('figure', { class: 'poster-frame' }, current, currentCaption);
    const preview = h('canvas', { 'role': 'img', 'width': '320', 'height': '180', 'data-testid': 'poster-preview' });
    const previewCaption = h('figcaption', { 'class': 'small', 'aria-hidden': 'true' });
    const previewFigure = h('figure', { class: 'poster-frame', hidden: true }, preview, previewCaption);
    const slider = h('input', {
      'type': 'range',
      'min': '0',
      'max': String(duration),
      'step': '1',
      'value': String(Math.min(duration, Math.round(this.video.pickedPoster?.timeSeconds ?? 0))),
      'data-testid': 'poster-time',
    });
    const sliderField = field('Frame at', slider, 'Drag the slider, or use the arrow keys, to choose the second of the video.');
    sliderField.hidden = true;
    const status = h('p', { 'class': 'poster-status', 'role': 'status', 'aria-live': 'polite', 'data-testid': 'poster-status' });
    const errors = h('div');
    const pick = button('Use this frame', () => void busy(pick, async () => {
      errors.replaceChildren();
      const seconds = Number(slider.value);
      try {
        const answer = await this.context.api.pickPoster(videoId, seconds);
        if (!this.scope.alive) return;
        this.video = { ...this.video, posterUrl: answer.posterUrl, pickedPoster: answer.pickedPoster };
        showCurrent();
        status.textContent = `The poster is now the frame at ${formatDuration(seconds)}.`;
      } catch (error) {
        status.textContent = '';
        errors.replaceChildren(errorBox(messageOf(error)));
      }
    }, 'Saving…'), { 'class': 'primary', 'data-testid': 'pick-poster' });
    pick.hidden = true;
    const reset = button('Back to the first frame', () => void busy(reset, async () => {
      errors.replaceChildren();
      try {
        const answer = await this.context.api.resetPoster(videoId);
        if (!this.scope.alive) return;
        this.video = { ...this.video, posterUrl: answer.posterUrl, pickedPoster: undefined };
        showCurrent();
        status.textContent = 'The poster is the first frame again.';
        // The button is gone now: focus goes on to what chooses another frame, or the heading.
        (sliderField.hidden ? heading : slider).focus();
      } catch (error) {
        status.textContent = '';
        errors.replaceChildren(errorBox(messageOf(error)));
      }
    }, 'Saving…'), { 'data-testid': 'reset-poster' });
    const heading = h('h2', { id: 'poster-title', tabindex: '-1' }, 'Poster');

    const showCurrent = () => {
      const src = mediaUrl(this.video.posterUrl, location.origin);
      current.hidden = !src;
      if (src && current.getAttribute('src') !== src) current.src = src;
      const picked = this.video.pickedPoster;
      currentCaption.textContent = !src ? 'No poster yet.' : picked ? `Now: the frame at ${formatDuration(picked.timeSeconds)}.` : 'Now: the first frame.';
      current.alt = src ? `Current poster, ${picked ? `the frame at ${formatDuration(picked.timeSeconds)}` : 'the first frame'}` : '';
      reset.hidden = !picked;
    };
    let shown = 0;
    const showPreview = async (cues: readonly ThumbnailCue[]) => {
      const seconds = Number(slider.value);
      const label = `${formatDuration(seconds)} of ${formatDuration(duration)}`;
      slider.setAttribute('aria-valuetext', label);
      previewCaption.textContent = `At ${label}`;
      preview.setAttribute('aria-label', `Thumbnail at ${formatDuration(seconds)}`);
      preview.dataset.time = String(seconds);
      const cue = thumbnailAt(cues, seconds);
      if (!cue) return;
      const drawing = ++shown;
      try {
        const tile = await this.tile(cue.url);
        // A later move of the slider has drawn (or will draw) its own thumbnail.
        if (drawing !== shown) return;
        preview.width = cue.width;
        preview.height = cue.height;
        preview.getContext('2d')?.drawImage(tile, cue.x, cue.y, cue.width, cue.height, 0, 0, cue.width, cue.height);
      } catch {
        if (drawing === shown) status.textContent = 'The thumbnail could not be loaded. Move the slider to try again.';
      }
    };

    section.replaceChildren(
      heading,
      h('p', { class: 'hint' }, 'Viewers see the poster before they press play. Pick any frame of the video from its thumbnails.'),
      h('div', { class: 'poster-frames' }, currentFigure, previewFigure),
      sliderField,
      h('div', { class: 'actions' }, pick, reset),
      status,
      errors,
    );
    showCurrent();
    status.textContent = 'Loading the video\'s thumbnails…';
    void this.loadThumbnails().then((cues) => {
      if (!this.scope.alive || !section.contains(slider)) return;
      if (cues.length === 0) {
        status.textContent = 'This video has no thumbnails to pick a frame from, so its poster is the first frame.';
        return;
      }
      status.textContent = '';
      previewFigure.hidden = false;
      sliderField.hidden = false;
      pick.hidden = false;
      slider.addEventListener('input', () => void showPreview(cues));
      void showPreview(cues);
    }, (error: unknown) => {
      if (!this.scope.alive || !section.contains(slider)) return;
      status.textContent = '';
      errors.replaceChildren(errorBox(`The video's thumbnails could not be loaded: ${messageOf(error)}`,
        button('Try again', () => this.renderPoster())));
    });
  }

  /**
   * The cues of the video's thumbnails track, read with the cookies of a
   * playback session, which renews them while the page is open so tiles load
   * later too. An empty list when the video has none; a failure is not kept.
   */
  private loadThumbnails(): Promise<ThumbnailCue[]> {
    if (!this.thumbnails) {
      const reading = (async () => {
        this.session?.dispose();
        const session = new PlaybackSession({ request: () => this.context.api.playback(this.video.id) });
        this.session = session;
        this.scope.onDispose(() => session.dispose());
        const grant = await session.start();
        const playlist = mediaUrl(grant.playlistUrl, location.origin);
        if (!playlist) throw new Error('The server sent a media address this page cannot use.');
        const trackUrl = new URL('thumbnails.vtt', playlist).href;
        const response = await fetch(trackUrl, { credentials: 'same-origin' });
        // Without a track the media answers 403 or 404 (the bucket's objects are private): no thumbnails.
        return response.ok ? parseThumbnailsVtt(await response.text(), trackUrl) : [];
      })();
      this.thumbnails = reading;
      reading.catch(() => {
        if (this.thumbnails === reading) this.thumbnails = undefined;
      });
    }
    return this.thumbnails;
  }

  /** A tile image, loaded once (same origin: the media cookies go with it). */
  private tile(url: string): Promise<HTMLImageElement> {
    let image = this.tiles.get(url);
    if (!image) {
      image = new Promise<HTMLImageElement>((resolve, reject) => {
        const element = new Image();
        element.onload = () => resolve(element);
        element.onerror = () => reject(new Error(`could not load ${url}`));
        element.src = url;
      });
      this.tiles.set(url, image);
      image.catch(() => this.tiles.delete(url));
    }
    return image;
  }

  // ---- details -----------------------------------------------------------

  private renderDetails(): void {
    const video = this.video;
    const title = h('input', { type: 'text', name: 'title', required: true, maxlength: '200', value: video.title, autocomplete: 'off' });
    const description = h('textarea', { name: 'description', rows: '4', maxlength: '5000' });
    description.value = video.description;
    const access = h('select', { name: 'access' },
      ...(['public', 'premium', 'purchase'] as AccessMode[]).map((mode) => h('option', { value: mode, selected: video.access === mode }, ACCESS_TEXT[mode])));
    const price = priceFields(video.price);
    const sync = () => {
      price.element.hidden = access.value !== 'purchase';
    };
    access.addEventListener('change', sync);
    sync();
    const errors = h('div');
    const save = h('button', { 'type': 'submit', 'class': 'primary', 'data-testid': 'save-details' }, 'Save changes');
    const form = h('form', { novalidate: true },
      h('h2', { id: 'details-title' }, 'Details'),
      field('Title', title), field('Description', description), field('Who can watch', access), price.element, errors,
      h('div', { class: 'actions' }, save));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      errors.replaceChildren();
      if (!title.value.trim()) {
        errors.replaceChildren(errorBox('Give the video a title.'));
        title.focus();
        return;
      }
      let changes: VideoDraft = { title: title.value.trim(), description: description.value, access: access.value as AccessMode };
      if (access.value === 'purchase') {
        const parsed = price.read();
        if (!parsed.ok) {
          errors.replaceChildren(errorBox(parsed.error));
          price.focus();
          return;
        }
        changes = { ...changes, price: parsed.price };
      }
      void busy(save, async () => {
        try {
          const updated = await this.context.api.updateVideo(this.video.id, changes);
          this.context.announce('Changes saved.');
          this.update(updated);
          errors.replaceChildren(note('Changes saved.', 'success'));
        } catch (error) {
          errors.replaceChildren(errorBox(messageOf(error)));
        }
      }, 'Saving…');
    });
    this.detailsSection.replaceChildren(form);
  }

  // ---- deletion ----------------------------------------------------------

  private renderDanger(): void {
    const errors = h('div');
    const confirm = h('div', { class: 'confirm' });
    const remove = button('Delete video', () => {
      const yes = button('Delete permanently', () => void busy(yes, async () => {
        try {
          await this.context.api.deleteVideo(this.video.id);
          this.context.uploads.drop(this.video.id);
          this.context.announce(`Deleted “${this.video.title}”.`);
          location.hash = hrefFor({ name: 'studio' });
        } catch (error) {
          errors.replaceChildren(errorBox(messageOf(error)));
        }
      }, 'Deleting…'), { 'class': 'danger', 'data-testid': 'delete-confirm' });
      const no = button('Cancel', () => {
        confirm.replaceChildren();
        remove.hidden = false;
        remove.focus();
      });
      remove.hidden = true;
      confirm.replaceChildren(h('div', { 'class': 'notice notice-warning', 'role': 'alertdialog', 'aria-labelledby': 'confirm-text' },
        h('p', { id: 'confirm-text' }, `Delete “${this.video.title}”? It leaves the catalog and its streams are removed.`),
        h('div', { class: 'actions' }, yes, no)));
      no.focus();
    }, { 'class': 'danger', 'data-testid': 'delete' });
    this.dangerSection.replaceChildren(h('h2', { id: 'danger-title' }, 'Delete'), h('p', { class: 'muted' }, 'Viewers lose access at once.'), remove, confirm, errors);
  }
}

/** The largest caption file the API takes (1 MiB). */
const CAPTION_FILE_BYTES = 1024 * 1024;

const STATUS_TEXT: Record<UploadState['status'], string> = {
  starting: 'Starting',
  uploading: 'Uploading',
  paused: 'Paused',
  offline: 'Offline',
  completing: 'Finishing',
  done: 'Uploaded',
  failed: 'Failed',
};

const ACCESS_TEXT: Record<AccessMode, string> = {
  public: 'Free — anyone can watch',
  premium: 'Premium — members only',
  purchase: 'Purchase — viewers buy it',
};

/** A line on the automatic captions of the video's upload, when the platform makes them. */
function automaticCaptionsNote(automatic: AutomaticCaptions | undefined): HTMLElement[] {
  if (!automatic) return [];
  const text = {
    IN_PROGRESS: 'Automatic captions are being made from the video\'s speech; they appear here when done.',
    ADDED: `Automatic captions were added (${automatic.language ?? 'the spoken language'}).`,
    SKIPPED: `No automatic captions were added: ${automatic.reason ?? 'nothing to add'}.`,
    FAILED: `Automatic captions could not be made: ${automatic.reason ?? 'no reason was given'}. The video plays as before.`,
  }[automatic.state];
  return [h('p', { 'class': 'muted small', 'data-testid': 'automatic-captions', 'data-state': automatic.state }, text)];
}
