/**
 * The browser's transport for uploads: XMLHttpRequest, whose
 * `upload.onprogress` reports the bytes sent (fetch has no upload progress).
 */
import { abortError, Transport } from './upload';

export const xhrTransport: Transport = (request) => new Promise((resolve, reject) => {
  const xhr = new XMLHttpRequest();
  xhr.open(request.method, request.url);
  xhr.upload.onprogress = (event) => request.onProgress(event.loaded);
  const abort = () => xhr.abort();
  // One run's signal serves every part: let go of it when this request ends.
  xhr.onloadend = () => request.signal.removeEventListener('abort', abort);
  xhr.onload = () => resolve({ status: xhr.status, body: typeof xhr.responseText === 'string' ? xhr.responseText : '' });
  xhr.onerror = () => reject(new Error('the network failed while sending'));
  xhr.ontimeout = () => reject(new Error('sending timed out'));
  xhr.onabort = () => reject(abortError());
  if (request.signal.aborted) {
    reject(abortError());
    return;
  }
  request.signal.addEventListener('abort', abort, { once: true });
  xhr.send(request.body);
});

