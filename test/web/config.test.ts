import { ConfigError, loadConfig, parseConfig } from '../../web/src/config';

const good = {
  region: 'us-east-1',
  clientId: '1example23456789',
  signInUrl: 'https://vod-123.auth.us-east-1.amazoncognito.com/',
  issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc',
  apiPath: '/api/',
  scopes: ['openid', 'email', 'profile'],
};

const answer = (status: number, body: string) => async () => ({ ok: status >= 200 && status < 300, status, text: async () => body });

describe('loadConfig', () => {
  test('reads and normalises a good configuration, revalidating the cached file', async () => {
    const fetchFn = jest.fn(answer(200, JSON.stringify(good)));
    await expect(loadConfig(fetchFn)).resolves.toEqual({
      region: 'us-east-1',
      clientId: '1example23456789',
      signInUrl: 'https://vod-123.auth.us-east-1.amazoncognito.com',
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc',
      apiPath: '/api',
      scopes: ['openid', 'email', 'profile'],
    });
    expect(fetchFn).toHaveBeenCalledWith('/config.json', { cache: 'no-cache', credentials: 'same-origin' });
  });

  test('the sandbox configuration (plain http on localhost) is accepted', async () => {
    const sandbox = { ...good, signInUrl: 'http://localhost:8080/auth', issuer: 'http://localhost:8080/auth' };
    await expect(loadConfig(answer(200, JSON.stringify(sandbox)))).resolves.toMatchObject({ signInUrl: 'http://localhost:8080/auth' });
  });

  test('a fetch failure says the file could not be loaded', async () => {
    const failing = async () => {
      throw new TypeError('Failed to fetch');
    };
    await expect(loadConfig(failing)).rejects.toThrow(new ConfigError('could not load /config.json: Failed to fetch'));
  });

  test('a missing file (404) says so', async () => {
    await expect(loadConfig(answer(404, 'Not Found'))).rejects.toThrow('could not load /config.json: the server answered 404');
  });

  test('a file that is not JSON says so', async () => {
    await expect(loadConfig(answer(200, '<html>'))).rejects.toThrow('/config.json is not valid JSON');
  });
});

describe('parseConfig', () => {
  test.each(['region', 'clientId', 'signInUrl', 'issuer', 'apiPath', 'scopes'])('a missing "%s" is named', (field) => {
    const config: Record<string, unknown> = { ...good };
    delete config[field];
    expect(() => parseConfig(config)).toThrow(new ConfigError(`/config.json lacks "${field}"`));
  });

  test.each([
    ['clientId', 42, '"clientId" in /config.json must be a non-empty string, got a number'],
    ['region', '', '"region" in /config.json must be a non-empty string, got ""'],
    ['scopes', 'openid email', '"scopes" in /config.json must be a non-empty array of scope names, got "openid email"'],
    ['scopes', [], '"scopes" in /config.json must be a non-empty array of scope names, got an array'],
    ['scopes', ['openid', 3], '"scopes" in /config.json must be a non-empty array of scope names, got an array'],
    ['signInUrl', 'vod.auth.example.com', '"signInUrl" in /config.json must be an absolute URL, got "vod.auth.example.com"'],
    ['issuer', 'javascript:alert(1)', '"issuer" in /config.json must be an http(s) URL, got "javascript:alert(1)"'],
    ['apiPath', 'https://other.example.com/api', '"apiPath" in /config.json must be a path on this origin such as "/api", got "https://other.example.com/api"'],
    ['apiPath', '//other.example.com/api', '"apiPath" in /config.json must be a path on this origin such as "/api", got "//other.example.com/api"'],
  ])('a wrong "%s" (%p) is refused', (field, value, message) => {
    expect(() => parseConfig({ ...good, [field]: value })).toThrow(new ConfigError(message));
  });

  test.each([[null, 'null'], [[good], 'an array'], ['config', '"config"']])('%p is not a configuration', (value, described) => {
    expect(() => parseConfig(value)).toThrow(`/config.json must hold a JSON object, got ${described}`);
  });
});
