import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildSync } from 'esbuild';
import { median } from './measure';
import { MEDIA_SIGNING_ENV } from '../src/contracts/media-signing';
import { API_ENV } from '../src/entitlement/api-environment';
import { HlsLadder } from '../src/transcode/hls-ladder';
import type { PipelineSettings } from '../src/transcode/submit-job.lambda-shared';
import { TRANSCODE_ENV } from '../src/transcode/transcode-metrics';
import { uploadSettingsToEnvironment } from '../src/upload/upload-settings';

const root = resolve(__dirname, '..');

/** What each handler reads at start-up; nothing here is reached over the network while loading. */
const HANDLER_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'a',
  AWS_SECRET_ACCESS_KEY: 'b',
  ...uploadSettingsToEnvironment({
    bucketName: 'sources',
    maxUploadBytes: 1024 ** 3,
    multipartThresholdBytes: 100 * 1024 ** 2,
    partSizeBytes: 16 * 1024 ** 2,
    allowedContentTypes: ['video/*'],
    urlExpirySeconds: 900,
  }),
  [TRANSCODE_ENV.settings]: JSON.stringify({
    pipelineId: 'P',
    roleArn: 'arn:aws:iam::1:role/r',
    sourceBucket: 's',
    outputBucket: 'o',
    plan: { ladder: HlsLadder.standard()._toSpec(), segmentSeconds: 6, qualityTuning: 'SINGLE_PASS_HQ', download: false, overrides: [] },
    acceleration: 'DISABLED',
    priority: 0,
    reconcile: { stuckAfterSeconds: 1800, maxSubmitTries: 5 },
  } satisfies PipelineSettings),
  [TRANSCODE_ENV.table]: 'jobs',
  [TRANSCODE_ENV.eventBus]: 'default',
  [API_ENV.catalogTable]: 'catalog.lambda-shared',
  [API_ENV.entitlementsTable]: 'entitlements.lambda-shared',
  [API_ENV.issuer]: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x',
  [API_ENV.clientId]: 'c',
  [API_ENV.uploadIssuer]: 'f',
  [API_ENV.transcodeSubmit]: 'f',
  [API_ENV.mediaDomain]: 'd.cloudfront.net',
  [API_ENV.sessionSeconds]: '300',
  [API_ENV.metricsScope]: 's',
  [MEDIA_SIGNING_ENV.keyPairId]: 'K',
  [MEDIA_SIGNING_ENV.privateKeySecretArn]: 'arn:aws:secretsmanager:us-east-1:1:secret:k',
  [API_ENV.stripeSecret]: 'arn:aws:secretsmanager:us-east-1:1:secret:s',
  NODE_NO_WARNINGS: '1',
};

function coldStart(script: string): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ...HANDLER_ENV }, stdio: 'ignore' });
  if (result.status !== 0) {
    throw new Error(`a cold start failed: ${script}`);
  }
  return performance.now() - started;
}

/**
 * Every bundled handler: its size, and its cold load (a fresh Node.js process
 * that loads the bundle and runs its start-up) against a fresh process that
 * loads nothing; medians of 7 alternating runs.
 */
/**
 * The submit handler bundled with its SDK clients (as shipped) against the
 * same handler with `@aws-sdk/client-*` left external and loaded from
 * node_modules, as a runtime-provided SDK would be: medians of 9 alternating
 * cold loads, and the ratio of the two.
 */
export function submitClientBenchmark() {
  const bundled = join(root, 'assets', 'transcode', 'submit-job.lambda', 'index.js');
  const dir = join(root, '.bench');
  mkdirSync(dir, { recursive: true });
  const external = join(dir, 'submit-job-external-sdk.js');
  // The same build as the shipped bundle, but with the clients left to node_modules.
  buildSync({
    entryPoints: [join(root, 'src', 'transcode', 'submit-job.lambda.ts')],
    bundle: true,
    platform: 'node',
    target: 'node24',
    minify: true,
    outfile: external,
    external: ['@aws-sdk/client-*'],
    tsconfig: join(root, 'tsconfig.dev.json'),
    logLevel: 'error',
  });
  const withSdk: number[] = [];
  const withoutSdk: number[] = [];
  for (let i = 0; i < 9; i++) {
    withSdk.push(coldStart(`require(${JSON.stringify(bundled)})`));
    withoutSdk.push(coldStart(`require(${JSON.stringify(external)})`));
  }
  return {
    name: 'submit handler cold load, SDK bundled',
    subject: `${median(withSdk).toFixed(0)} ms`,
    baseline: `${median(withoutSdk).toFixed(0)} ms, SDK clients external`,
    ratio: median(withSdk) / median(withoutSdk),
    target: 1.1,
  };
}

export function bundleBenchmarks() {
  // The handlers' bundles (`assets/<construct>/<name>.lambda/index.js`); the web app has a figure of its own.
  const bundles = readdirSync(join(root, 'assets')).flatMap((group) =>
    readdirSync(join(root, 'assets', group)).filter((name) => name.endsWith('.lambda'))
      .map((name) => ({ name: `${group}/${name.replace(/\.lambda$/, '')}`, path: join(root, 'assets', group, name, 'index.js') })));
  return bundles.map((bundle) => {
    const loads: number[] = [];
    const empties: number[] = [];
    for (let i = 0; i < 7; i++) {
      empties.push(coldStart(''));
      loads.push(coldStart(`require(${JSON.stringify(bundle.path)})`));
    }
    const sizeKb = statSync(bundle.path).size / 1024;
    const load = median(loads);
    const empty = median(empties);
    return { name: bundle.name, sizeKb, loadMs: load, emptyMs: empty, ratio: load / empty };
  });
}
