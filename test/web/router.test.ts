import { hrefFor, parseHash, Route, sectionOf } from '../../web/src/router';

describe('parseHash', () => {
  test.each<[string, Route]>([
    ['', { name: 'catalog' }],
    ['#', { name: 'catalog' }],
    ['#/', { name: 'catalog' }],
    ['#/watch/abc-123_X', { name: 'watch', videoId: 'abc-123_X' }],
    ['#/watch/abc/', { name: 'watch', videoId: 'abc' }],
    ['#/studio', { name: 'studio' }],
    ['#/studio/v1', { name: 'studio-video', videoId: 'v1' }],
    ['#/admin', { name: 'admin' }],
    ['#/watch', { name: 'not-found', path: '/watch' }],
    ['#/watch/..', { name: 'not-found', path: '/watch/..' }],
    ['#/watch/a%2Fb', { name: 'not-found', path: '/watch/a%2Fb' }],
    ['#/watch/%E0%A4%A', { name: 'not-found', path: '/watch/%E0%A4%A' }],
    ['#/watch/v1/extra', { name: 'not-found', path: '/watch/v1/extra' }],
    ['#/nowhere', { name: 'not-found', path: '/nowhere' }],
  ])('%p', (hash, route) => {
    expect(parseHash(hash).route).toEqual(route);
  });

  test('a query inside the hash is read', () => {
    expect(parseHash('#/watch/v1?checkout=success')).toEqual({ route: { name: 'watch', videoId: 'v1' }, query: { checkout: 'success' } });
    expect(parseHash('#/?checkout=cancelled&x=a%20b').query).toEqual({ checkout: 'cancelled', x: 'a b' });
    expect(parseHash('#/studio').query).toEqual({});
  });

  test('hrefFor writes what parseHash reads', () => {
    const routes: Route[] = [{ name: 'catalog' }, { name: 'watch', videoId: 'v1' }, { name: 'studio' }, { name: 'studio-video', videoId: 'v2' }, { name: 'admin' }];
    for (const route of routes) {
      expect(parseHash(hrefFor(route)).route).toEqual(route);
    }
    expect(hrefFor({ name: 'watch', videoId: 'v1' }, { checkout: 'success' })).toBe('#/watch/v1?checkout=success');
  });

  test('sections for the navigation', () => {
    expect(sectionOf({ name: 'watch', videoId: 'v' })).toBe('catalog');
    expect(sectionOf({ name: 'studio-video', videoId: 'v' })).toBe('studio');
    expect(sectionOf({ name: 'not-found', path: '/x' })).toBeUndefined();
  });
});
