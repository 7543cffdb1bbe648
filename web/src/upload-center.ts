/**
 * The uploads of this tab, kept while the creator moves between pages:
 * pages subscribe to their progress, an `online` event resumes the ones the
 * network interrupted, and leaving the page while one runs asks first.
 */
import type { Api } from './api';
import { forgetFile, rememberFile, Uploader, UploadFile, UploadState } from './upload';
import { xhrTransport } from './upload-xhr';

export type UploadListener = (videoId: string, state: UploadState) => void;

export class UploadCenter {
  private readonly uploads = new Map<string, Uploader>();
  private readonly listeners = new Set<UploadListener>();

  constructor(private readonly api: Api, private readonly announce: (message: string) => void) {
    window.addEventListener('online', () => {
      for (const uploader of this.uploads.values()) {
        if (uploader.state.status === 'offline' || (uploader.state.status === 'failed' && uploader.state.kind === 'multipart')) {
          this.announce('Back online: resuming the upload.');
          void uploader.resume();
        }
      }
    });
    window.addEventListener('beforeunload', (event) => {
      if ([...this.uploads.values()].some((uploader) => uploader.active)) {
        // Browsers show their own wording; the upload can be resumed after a reload anyway.
        event.preventDefault();
        event.returnValue = '';
      }
    });
  }

  public get(videoId: string): Uploader | undefined {
    return this.uploads.get(videoId);
  }

  /** Sends `file` for the video: a new upload, or the rest of the one in progress. */
  public send(videoId: string, file: UploadFile, mode: 'new' | 'resume'): Uploader {
    this.uploads.get(videoId)?.pause();
    const uploader = new Uploader({
      videoId,
      file,
      api: this.api,
      transport: xhrTransport,
      isOnline: () => navigator.onLine,
      onChange: (state) => this.changed(videoId, uploader, state),
    });
    this.uploads.set(videoId, uploader);
    rememberFile(localStorage, videoId, file);
    void (mode === 'new' ? uploader.start() : uploader.resume());
    return uploader;
  }

  /** Forgets a finished or abandoned upload of this tab. */
  public drop(videoId: string): void {
    this.uploads.get(videoId)?.pause();
    this.uploads.delete(videoId);
  }

  public subscribe(listener: UploadListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(videoId: string, uploader: Uploader, state: UploadState): void {
    if (this.uploads.get(videoId) !== uploader) return;
    if (state.status === 'done') {
      forgetFile(localStorage, videoId);
    }
    for (const listener of this.listeners) listener(videoId, state);
  }
}
