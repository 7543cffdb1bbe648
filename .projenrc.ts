import { awscdk, javascript, ReleasableCommits } from 'projen';

/**
 * Lambda bundles: minified, with every library inlined by esbuild, the AWS SDK
 * clients included. The handlers read fields that only recent clients know
 * (Probe's rotation and sample aspect ratio, SearchJobs), so they ship the
 * client versions they were tested with instead of whatever version the
 * Lambda runtime bundles. Handler libraries are devDependencies only.
 */
const lambdaBundling = {
  externals: [],
  minify: true,
  sourcemap: false,
};

/**
 * Runtime code is marked by its name: a handler's entry point is `*.lambda.ts`,
 * and a module only handlers import is `*.lambda-shared.ts`. Both may use the
 * libraries esbuild inlines; construct code may not. The media signer is also
 * a module for users' own functions (`cdk-secure-vod/lib/delivery/media-signer`),
 * so it keeps its plain name.
 */
const runtimeCode = ['src/**/*.lambda.ts', 'src/**/*.lambda-shared.ts', 'src/delivery/media-signer.ts'];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-secure-vod',
  description:
    'A secure, serverless video-on-demand platform for AWS CDK: presigned uploads, adaptive HLS with MediaConvert, CloudFront signed-cookie playback and entitlements.',
  keywords: ['cdk', 'aws-cdk', 'awscdk', 'video', 'vod', 'hls', 'mediaconvert', 'cloudfront', 'signed-cookies', 's3'],
  license: 'Apache-2.0',
  author: 'cdk-secure-vod maintainers',
  authorAddress: 'maintainers@cdk-secure-vod.dev',
  repositoryUrl: 'https://github.com/cdk-secure-vod/cdk-secure-vod.git',
  homepage: 'https://github.com/cdk-secure-vod/cdk-secure-vod#readme',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',
  workflowNodeVersion: '20.x',

  // aws-cdk-lib 2.257.0 is the oldest release cdk-nag 3 supports.
  cdkVersion: '2.257.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~5.9.0',

  publishToPypi: { distName: 'cdk-secure-vod', module: 'cdk_secure_vod' },
  publishToMaven: {
    javaPackage: 'io.github.cdksecurevod',
    mavenGroupId: 'io.github.cdksecurevod',
    mavenArtifactId: 'cdk-secure-vod',
  },
  publishToNuget: { dotNetNamespace: 'CdkSecureVod', packageId: 'CdkSecureVod' },
  publishToGo: { moduleName: 'github.com/cdk-secure-vod/cdk-secure-vod-go' },

  // Releases: conventional commits decide the version, only feat/fix/perf/revert release.
  releasableCommits: ReleasableCommits.featuresAndFixes(),
  release: true,

  lambdaAutoDiscover: true,
  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    bundlingOptions: lambdaBundling,
  },
  integrationTestAutoDiscover: true,
  experimentalIntegRunner: true,

  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['.projenrc.ts', 'projenrc/**/*.ts', 'sandbox/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts'],
    compilerOptions: {},
  },
  eslintOptions: {
    // One program for everything eslint checks: the dev tsconfig covers src, test, sandbox and examples.
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
    dirs: ['src'],
    devdirs: ['test', 'sandbox', 'examples', 'bench', 'projenrc', '.projenrc.ts', 'web'],
  },
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 60_000,
      // The handlers' bundles and the generated constructs are not our own lines to cover.
      coveragePathIgnorePatterns: ['/node_modules/', '/assets/', '-function\\.ts$'],
    },
  },

  devDeps: [
    // handler libraries, inlined by esbuild
    // pinned: the bundles carry these exact versions (see lambdaBundling)
    '@aws-sdk/client-s3@3.1169.0',
    '@aws-sdk/client-mediaconvert@3.1169.0',
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/util-dynamodb',
    '@aws-sdk/client-eventbridge',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/cloudfront-signer',
    '@aws-sdk/client-lambda',
    '@aws-sdk/client-sqs',
    '@aws-sdk/client-cloudfront',
    '@aws-sdk/client-transcribe',
    'aws-jwt-verify',
    '@aws-sdk/s3-presigned-post',
    '@aws-sdk/s3-request-presigner',
    '@types/aws-lambda',
    '@aws-lambda-powertools/logger',
    '@aws-lambda-powertools/metrics',
    // decodes a scrub thumbnails tile and encodes the frame a creator picks as the poster
    'jpeg-js',
    // tests
    'aws-sdk-client-mock',
    // MediaConvert's published JSON service model (apis/mediaconvert-2017-08-29), to validate job requests
    'aws-sdk@^2',
    'cdk-nag@^3',
    // the other generation of cdk-nag, and the newest aws-cdk-lib, to prove both are clean
    'cdk-nag-2@npm:cdk-nag@^2',
    'aws-cdk-lib-latest@npm:aws-cdk-lib@^2.276.0',
    's3rver@^3.7.1',
    'dynalite@^4',
    'stripe',
    'playwright-core',
    'hls.js',
    // accessibility checks of the web app's pages in Chromium
    'axe-core',
    '@cdklabs/cdk-validator-cfnguard',
    'busboy@^1.6.0',
    '@types/busboy',
    // the sandbox and examples run TypeScript directly
    'aws-cdk@^2',
  ],
  gitignore: ['/.sandbox/', '/.bench/', '/cdk.out/', '/examples/cdk.out/', '*.d.ts.map'],
  sampleCode: false,
});

// jsii 6 prints an end-of-life notice on Node.js 20, which the machines here run.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');

// The npm package carries lib/, assets/, .jsii and docs only.
['/sandbox/', '/examples/', '/scripts/', '/.ci/', '/bench/', '/.bench/', '/web/', '/docs/', '/tsconfig.dev.json', '/cdk.out/', '/.sandbox/', '/test-reports/', '/coverage/']
  .forEach((p) => project.addPackageIgnore(p));

// Handler code may import the libraries esbuild inlines (devDependencies); construct code may not.
project.eslint?.addOverride({
  files: runtimeCode,
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }] },
});

// The web app runs in browsers: its own tsconfig (with the DOM), checked and linted on its own.
project.tsconfigDev.addExclude('web/src');
project.tryFindObjectFile('.eslintrc.json')?.addOverride('parserOptions.project', ['./tsconfig.dev.json', './web/tsconfig.json']);
// The web app's libraries (hls.js) are bundled into it by esbuild, as the handlers' are.
project.eslint?.addOverride({
  files: ['web/**/*.ts'],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }] },
});

// `npm ci` needs this pin on Node.js 20: newer unrs-resolver builds require Node 22 APIs.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// Tests run against the bundled handlers, so build them first. A fresh clone installs what it lacks.
const ensureDeps = 'bash scripts/ensure-deps.sh';
project.testTask.prependExec('tsc --noEmit -p web/tsconfig.json', { name: 'type-check the web app' });
project.testTask.prependExec('tsc --noEmit -p tsconfig.dev.json', { name: 'type-check src, tests, sandbox and examples' });
// The web app is built with the handlers, into assets/web, which the npm package carries and VodPlatform deploys.
project.bundler.bundleTask.exec('ts-node --project tsconfig.dev.json web/build.ts', { name: 'build the web app' });
project.testTask.prependSpawn(project.bundler.bundleTask);
project.testTask.prependExec(ensureDeps);

// Only the JavaScript package can be built on a machine without the JVM, .NET, Go and
// Python toolchains; the release workflow packages each jsii language on a host that has it
// (`npx projen package-all` does all of them where every toolchain is installed).
const packageTask = project.tasks.tryFind('package')!;
packageTask.reset();
packageTask.spawn(project.tasks.tryFind('package:js')!);

// The main job: the whole platform offline, with the real handlers, on http://localhost:4310.
const sandbox = project.addTask('sandbox', {
  description: 'Run the whole platform on this machine with the real handlers (SANDBOX_PORT, default 4310)',
});
sandbox.exec(ensureDeps);
sandbox.spawn(project.bundler.bundleTask);
// The AWS SDK warns that Node.js 20 support ends; on this machine that is known, and the sandbox prints one line.
sandbox.exec('ts-node --project tsconfig.dev.json sandbox/main.ts', { env: { NODE_NO_WARNINGS: '1' } });

const example = project.addTask('example', { description: 'Synthesize the example platform and list the resources it would deploy' });
example.exec(ensureDeps);
example.spawn(project.bundler.bundleTask);
example.exec('ts-node --project tsconfig.dev.json examples/describe-app.ts');

// Benchmarks: ratios against baselines measured in the same run, written to bench/results.json.
const bench = project.addTask('bench', { description: 'Measure speed and size against their floors' });
bench.exec(ensureDeps);
bench.spawn(project.bundler.bundleTask);
bench.exec('ts-node --project tsconfig.dev.json bench/run.ts', { env: { NODE_NO_WARNINGS: '1' } });

// Integration apps are synthesized with ts-node; the test task type-checks them already, so ts-node only transpiles.
for (const name of ['integ', 'integ:update']) {
  project.tasks.tryFind(name)?.env('TS_NODE_TRANSPILE_ONLY', 'true');
}

// Integration snapshots keep templates and asset hashes; the bundles themselves are rebuilt by every synth.
project.gitignore.exclude('/test/*.snapshot/asset.*');

project.synth();
