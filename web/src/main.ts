/**
 * The web app's entry: reads /config.json, completes or restores sign-in,
 * then renders the page for the current hash route, and again on every
 * change of route or of sign-in state.
 */
import { Api, messageOf, Offers } from './api';
import { Auth } from './auth';
import { AppConfig, ConfigError, loadConfig } from './config';
import { AppContext, Scope, View } from './context';
import { button, errorBox, h, note } from './dom';
import { parseHash, Route, sectionOf } from './router';
import { UploadCenter } from './upload-center';
import { adminView } from './views/admin';
import { catalogView } from './views/catalog';
import { notFound, PLATFORM_NAME } from './views/common';
import { studioView } from './views/studio';
import { studioVideoView } from './views/studio-video';
import { watchView } from './views/watch';

const VIEWS: Record<Exclude<Route['name'], 'not-found'>, View> = {
  'catalog': catalogView,
  'watch': watchView,
  'studio': studioView,
  'studio-video': studioVideoView,
  'admin': adminView,
};

interface Shell {
  readonly nav: HTMLElement;
  readonly account: HTMLElement;
  readonly status: HTMLElement;
  readonly main: HTMLElement;
}

function shell(): Shell {
  const main = document.getElementById('main') ?? h('main', { id: 'main', tabindex: '-1' });
  const nav = document.getElementById('nav') ?? h('ul', { id: 'nav' });
  const account = document.getElementById('account') ?? h('div', { id: 'account' });
  const status = document.getElementById('status') ?? h('div', { id: 'status', role: 'status' });
  document.getElementById('skip-link')?.addEventListener('click', (event) => {
    // The hash is the router's: move focus without touching it.
    event.preventDefault();
    main.focus();
  });
  return { nav, account, status, main };
}

async function boot(): Promise<void> {
  const parts = shell();
  let config: AppConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    showConfigError(parts, error);
    return;
  }
  const auth = new Auth(config);
  const start = await auth.start();

  let statusTimer: ReturnType<typeof setTimeout> | undefined;
  const announce = (message: string) => {
    // The live region stays in the page (an element being shown is not reliably announced); CSS collapses it when empty.
    parts.status.textContent = message;
    if (statusTimer) clearTimeout(statusTimer);
    statusTimer = setTimeout(() => {
      parts.status.textContent = '';
    }, 8000);
  };
  const api = new Api(config.apiPath, auth);
  let offers: Promise<Offers> | undefined;
  let me: Promise<Awaited<ReturnType<Api['me']>> | undefined> | undefined;
  const context: AppContext = {
    config,
    auth,
    api,
    announce,
    offers: () => {
      offers ??= api.offers();
      offers.catch(() => {
        offers = undefined;
      });
      return offers;
    },
    me: (force = false) => {
      if (!auth.signedIn) return Promise.resolve(undefined);
      if (force || !me) {
        me = api.me();
        me.catch(() => {
          me = undefined;
        });
      }
      return me;
    },
    uploads: new UploadCenter(api, announce),
  };

  let scope: Scope | undefined;
  let firstRender = true;
  const render = () => {
    scope?.dispose();
    const current = new Scope();
    scope = current;
    const location = parseHash(window.location.hash);
    renderHeader(context, parts, location.route);
    const view = location.route.name === 'not-found' ? undefined : VIEWS[location.route.name];
    if (view) {
      void Promise.resolve(view(context, parts.main, current, location)).catch((error: unknown) => {
        if (current.alive) parts.main.replaceChildren(errorBox(messageOf(error), button('Reload', () => window.location.reload())));
      });
    } else {
      notFound(parts.main);
    }
    if (start.error && firstRender) {
      parts.main.prepend(errorBox(start.error, button('Sign in again', () => void auth.signIn())));
    }
    if (!firstRender) {
      // Move focus to the new page's heading so keyboard and screen reader users start there.
      window.scrollTo(0, 0);
      (parts.main.querySelector('h1') ?? parts.main).focus({ preventScroll: true });
    }
    firstRender = false;
  };

  window.addEventListener('hashchange', render);
  let wasSignedIn = auth.signedIn;
  auth.onChange(() => {
    me = undefined;
    if (auth.signedIn !== wasSignedIn) {
      wasSignedIn = auth.signedIn;
      if (!auth.signedIn) announce('You are signed out.');
      render();
    } else {
      renderHeader(context, parts, parseHash(window.location.hash).route);
    }
  });
  render();
}

function renderHeader(context: AppContext, parts: Shell, route: Route): void {
  const { auth } = context;
  const section = sectionOf(route);
  const link = (name: 'catalog' | 'studio' | 'admin', href: string, label: string) =>
    h('li', {}, h('a', { 'href': href, 'aria-current': section === name ? 'page' : undefined, 'data-testid': `nav-${name}` }, label));
  parts.nav.replaceChildren(...[
    link('catalog', '#/', 'Catalog'),
    auth.hasGroup('creators', 'admins') ? link('studio', '#/studio', 'Studio') : undefined,
    auth.hasGroup('admins') ? link('admin', '#/admin', 'Admin') : undefined,
  ].filter((item): item is HTMLLIElement => item !== undefined));
  if (auth.signedIn) {
    const email = auth.user?.email ?? 'Signed in';
    parts.account.replaceChildren(
      h('span', { 'class': 'user-email', 'data-testid': 'user-email', 'title': email }, email),
      button('Sign out', () => void auth.signOut(), { 'data-testid': 'sign-out' }),
    );
  } else {
    parts.account.replaceChildren(button('Sign in', () => void auth.signIn(), { 'class': 'primary', 'data-testid': 'sign-in' }));
  }
}

function showConfigError(parts: Shell, error: unknown): void {
  document.title = `Not configured · ${PLATFORM_NAME}`;
  parts.nav.replaceChildren();
  parts.account.replaceChildren();
  parts.main.replaceChildren(
    h('h1', {}, 'This site is not configured'),
    errorBox(error instanceof ConfigError ? `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.` : messageOf(error),
      button('Try again', () => window.location.reload())),
    note('The deployment writes /config.json next to index.html with the sign-in and API settings. Redeploy the platform, or check the file.'),
  );
}

void boot();
