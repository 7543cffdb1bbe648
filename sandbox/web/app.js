// The sandbox's player page: everything goes through the platform's one origin.
const state = { token: undefined, user: undefined, hls: undefined, refresh: undefined };
const $ = (id) => document.getElementById(id);
// The API answers the URLs CloudFront serves (https://<domain>/...); on the sandbox the same paths are on this origin.
const local = (url) => (url ? new URL(url).pathname : '');

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const json = response.status === 204 ? undefined : await response.json().catch(() => undefined);
  return { status: response.status, ok: response.ok, json };
}

async function signIn(user) {
  if (!user) {
    Object.assign(state, { token: undefined, user: undefined });
  } else {
    const answer = await (await fetch('/auth/token', { method: 'POST', body: JSON.stringify({ user }) })).json();
    Object.assign(state, { token: answer.access_token, user });
  }
  $('who').textContent = state.user ? `signed in as ${state.user}` : 'signed out';
  document.querySelectorAll('header button').forEach((b) => b.classList.toggle('active', b.dataset.user === (state.user ?? '')));
  $('creator-panel').classList.toggle('hidden', state.user !== 'creator');
  $('admin-panel').classList.toggle('hidden', state.user !== 'admin');
  await refreshLists();
}

async function refreshLists() {
  const catalog = await api('GET', '/videos?limit=50');
  $('catalog').replaceChildren(...(catalog.json?.videos ?? []).map((video) => {
    const li = document.createElement('li');
    li.dataset.id = video.id;
    li.innerHTML = `<img alt=""><span class="title"></span><span class="badge"></span><button>Play</button>`;
    li.querySelector('img').src = local(video.posterUrl);
    li.querySelector('.title').textContent = video.title;
    li.querySelector('.badge').textContent = video.access;
    li.querySelector('button').onclick = () => play(video.id, video.title);
    return li;
  }));
  if (state.user === 'creator') {
    const mine = await api('GET', '/me/videos?limit=50');
    $('mine').replaceChildren(...(mine.json?.videos ?? []).map((video) => {
      const li = document.createElement('li');
      li.dataset.id = video.id;
      li.innerHTML = `<span class="title"></span><span class="badge state"></span>`;
      li.querySelector('.title').textContent = video.title;
      li.querySelector('.state').textContent = video.state === 'PROCESSING' ? `PROCESSING ${video.progressPercent}%` : video.state;
      const action = (label, method, path) => {
        const button = document.createElement('button');
        button.textContent = label;
        button.onclick = async () => {
          const answer = await api(method, path);
          if (!answer.ok) $('upload-status').textContent = answer.json?.error?.message ?? `${label} answered ${answer.status}`;
          await refreshLists();
        };
        li.append(button);
      };
      if (video.state === 'READY') {
        action('Publish', 'POST', `/videos/${video.id}/publish`);
      }
      if (video.state === 'FAILED') {
        const reason = document.createElement('span');
        reason.className = 'failure';
        reason.setAttribute('role', 'status');
        reason.textContent = video.failure?.message ?? 'the transcode failed';
        li.append(reason);
        action('Retry', 'POST', `/videos/${video.id}/retry`);
      }
      action('Delete', 'DELETE', `/videos/${video.id}`);
      return li;
    }));
  }
}

async function startSession(videoId) {
  const answer = await api('POST', `/videos/${videoId}/playback`);
  if (!answer.ok) {
    throw new Error(answer.json?.error?.message ?? `playback answered ${answer.status}`);
  }
  // Refresh the cookies before they lapse, for as long as this video plays.
  clearTimeout(state.refresh);
  state.refresh = setTimeout(() => startSession(videoId).catch((e) => ($('player-message').textContent = e.message)), answer.json.refreshAfterSeconds * 1000);
  return answer.json;
}

async function play(videoId, title) {
  $('player-message').textContent = '';
  $('now-playing').textContent = title;
  state.hls?.destroy();
  try {
    const session = await startSession(videoId);
    const video = $('player');
    if (window.Hls && Hls.isSupported()) {
      state.hls = new Hls();
      state.hls.on(Hls.Events.ERROR, (_e, data) => { if (data.fatal) $('player-message').textContent = `playback error: ${data.details}`; });
      state.hls.loadSource(local(session.playlistUrl));
      state.hls.attachMedia(video);
    } else {
      video.src = local(session.playlistUrl);
    }
    await video.play().catch(() => undefined);
  } catch (error) {
    $('player-message').textContent = error.message;
  }
}

async function upload() {
  const file = $('file').files[0];
  if (!file) { $('upload-status').textContent = 'choose a file first'; return; }
  const created = await api('POST', '/videos', { title: $('title').value, access: $('access').value });
  if (!created.ok) { $('upload-status').textContent = created.json?.error?.message; return; }
  const issued = await api('POST', `/videos/${created.json.id}/upload`, { size: file.size, contentType: file.type || 'video/mp4' });
  if (!issued.ok) { $('upload-status').textContent = issued.json?.error?.message; return; }
  const form = new FormData();
  Object.entries(issued.json.fields).forEach(([name, value]) => form.append(name, value));
  form.append('file', file);
  await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', issued.json.url);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) $('upload-progress').value = Math.round((100 * e.loaded) / e.total); };
    xhr.onload = () => (xhr.status === 204 ? resolve() : reject(new Error(`the upload answered ${xhr.status}`)));
    xhr.onerror = () => reject(new Error('the upload failed'));
    xhr.send(form);
  }).then(() => ($('upload-status').textContent = 'uploaded; transcoding...'), (e) => ($('upload-status').textContent = e.message));
  await refreshLists();
}

document.querySelectorAll('header button').forEach((button) => (button.onclick = () => signIn(button.dataset.user)));
$('upload').onclick = upload;
$('grant').onclick = async () => {
  const until = new Date(Date.now() + 30 * 86400000).toISOString();
  const answer = await api('PUT', '/admin/users/viewer/entitlements/premium', { expiresAt: until });
  $('admin-status').textContent = answer.ok ? `viewer has premium until ${until.slice(0, 10)}` : answer.json?.error?.message;
};
$('revoke').onclick = async () => {
  const answer = await api('DELETE', '/admin/users/viewer/entitlements/premium');
  $('admin-status').textContent = answer.ok ? 'premium revoked' : answer.json?.error?.message;
};
$('stripe').onclick = async () => {
  const answer = await (await fetch('/sandbox/stripe-test-event', { method: 'POST' })).json();
  $('stripe-status').textContent = answer.applied ?? answer.error?.message ?? JSON.stringify(answer);
};
setInterval(() => { if (state.user === 'creator') refreshLists(); }, 2000);
signIn(undefined);
