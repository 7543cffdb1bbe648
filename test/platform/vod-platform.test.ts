import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Duration, RemovalPolicy, Size, Stack, aws_certificatemanager as acm, aws_cognito as cognito, aws_s3 as s3, aws_sns as sns } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { HlsLadder, VodPlatform, VodPlatformProps } from '../../src';
import { VIEWER_ADDRESS_FUNCTION_CODE } from '../../src/contracts/viewer-address';
import { acknowledgements, maskedTemplate, nag2Findings, nagFindings } from '../helpers';

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

function build(configure?: (stack: Stack) => VodPlatformProps, context: Record<string, unknown> = {}) {
  const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, ...context } });
  const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
  const vod = new VodPlatform(stack, 'Vod', configure?.(stack));
  return { app, stack, vod };
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as any);

function distributionConfig(template: Template): any {
  const distributions = Object.values(template.findResources('AWS::CloudFront::Distribution'));
  expect(distributions).toHaveLength(1);
  return distributions[0].Properties.DistributionConfig;
}

function behaviors(config: any): Record<string, any> {
  return Object.fromEntries(config.CacheBehaviors.map((behavior: any) => [behavior.PathPattern, behavior]));
}

describe('VodPlatform with no props', () => {
  const { stack, vod } = build();
  const template = Template.fromStack(stack);
  const config = distributionConfig(template);
  const byPath = behaviors(config);

  test('one distribution serves the API, the signed media and the public posters', () => {
    expect(Object.keys(byPath)).toEqual(['videos/*.m3u8', 'videos/*', 'posters/*', 'api/*']);
    const keyGroup = [{ Ref: logicalId(stack, vod.delivery.keyGroup) }];
    expect(byPath['videos/*'].TrustedKeyGroups).toEqual(keyGroup);
    expect(byPath['videos/*.m3u8'].TrustedKeyGroups).toEqual(keyGroup);
    expect(byPath['posters/*'].TrustedKeyGroups).toBeUndefined();
    expect(config.DefaultRootObject).toBe('index.html');
  });

  test('/api/* reaches the HTTP API uncached, with every method and every viewer header but Host', () => {
    const api = byPath['api/*'];
    expect(api).toMatchObject({
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      ViewerProtocolPolicy: 'https-only',
    });
    expect(api.TrustedKeyGroups).toBeUndefined();
    const origin = config.Origins.find((o: any) => o.Id === api.TargetOriginId);
    expect(origin).toMatchObject({
      DomainName: { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [logicalId(stack, vod.api.httpApi), 'ApiEndpoint'] }] }] },
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
  });

  test('everything points at the one domain: cookies, upload CORS and the sign-in callback', () => {
    const domain = { 'Fn::GetAtt': [logicalId(stack, vod.delivery.distribution), 'DomainName'] };
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Answers the video platform\'s HTTP API routes',
      Environment: { Variables: Match.objectLike({ MEDIA_DOMAIN: domain, COOKIE_SAMESITE: 'Strict' }) },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: [{ 'Fn::Join': ['', ['https://', domain]] }] })] },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: [{ 'Fn::Join': ['', ['https://', domain, '/']] }],
      AllowedOAuthFlows: ['code'],
      GenerateSecret: false,
    });
    for (const group of ['creators', 'admins']) {
      template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: group });
    }
  });

  test('outputs the platform URL, the API URL, the user pool and its client, under names to script against', () => {
    const outputs = template.toJSON().Outputs;
    expect(Object.keys(outputs).sort()).toEqual(['VodApiUrl', 'VodPlatformUrl', 'VodRegion', 'VodSignInUrl', 'VodUserPoolClientId', 'VodUserPoolId']);
    const byName = (name: string) => outputs[name];
    expect(byName('VodPlatformUrl').Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack, vod.delivery.distribution), 'DomainName'] }]] });
    expect(byName('VodApiUrl').Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack, vod.delivery.distribution), 'DomainName'] }, '/api']] });
    expect(byName('VodUserPoolId').Value).toEqual({ Ref: logicalId(stack, vod.userPool) });
    expect(byName('VodUserPoolClientId').Value).toEqual({ Ref: logicalId(stack, vod.userPoolClient) });
  });

  test('alarms watch failed jobs, dead letters, the pipeline\'s scheduled check, API server errors and throttling', () => {
    expect(vod.alarms).toHaveLength(6);
    for (const metric of ['JobsFailed', 'ApproximateNumberOfMessagesVisible', 'Errors', '5xx', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric });
    }
  });

  test('every child is exposed', () => {
    expect(vod.pipeline.sourceBucket).toBe(vod.uploads.bucket);
    expect(vod.delivery.bucket).toBe(vod.pipeline.outputBucket);
    expect(vod.api.uploads).toBe(vod.uploads);
    expect(vod.api.delivery).toBe(vod.delivery);
  });

  test('no AwsSolutions or Serverless finding is left; every acknowledgement says why', () => {
    expect(nagFindings(stack)).toEqual([]);
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(10);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(40);
    }
  });

  test('snapshot', () => {
    expect(maskedTemplate(stack)).toMatchSnapshot();
  });
});

/**
 * The CloudFormation Guard rules of AWS Control Tower. Each rule the platform
 * does not satisfy is listed with why; a new finding fails this test.
 */
const GUARD_EXCEPTIONS: Record<string, string> = {
  api_gw_v2_authorization_type_configured_check: 'Routes are authorized in the handler with aws-jwt-verify; public routes need no token; Stripe signs its webhook.',
  lambda_function_public_access_prohibited_check: 'These are API Gateway\'s invoke permissions, each limited by SourceArn to this API\'s route.',
  lambda_inside_vpc_check: 'The handlers reach only AWS service endpoints; a VPC would add NAT cost and cold-start latency for no private resource.',
  cloudwatch_log_group_encrypted_check: 'CloudWatch Logs encrypts every log group at rest; a customer key per group costs a KMS key and its key policy.',
  cloudwatch_alarm_action_check: 'Alarms notify the alarmTopic when one is given; without it they show in CloudWatch only.',
  cloudfront_origin_failover_enabled_check: 'One origin bucket per Region; failover would need a replicated bucket in another Region.',
  cloudfront_custom_ssl_certificate_check: 'Only without domainNames and certificate: the *.cloudfront.net name uses CloudFront\'s certificate.',
  cloudfront_sni_enabled_check: 'Only without domainNames and certificate: SNI applies to a custom certificate.',
  cloudfront_security_policy_check: 'Only without domainNames and certificate: the *.cloudfront.net name gets CloudFront\'s own TLS policy.',
  s3_bucket_default_encryption_kms_check: 'Buckets use SSE-S3 by default (uploads take encryptionKey); S3 server access logs can only go to SSE-S3 buckets.',
  s3_bucket_logging_enabled_check: 'Only the access log buckets: logging a log bucket into itself would loop.',
  s3_event_notifications_enabled_check: 'Nothing consumes the object events of the output and log buckets; the upload bucket sends them to EventBridge.',
  s3_bucket_object_lock_enabled_check: 'Object Lock would stop lifecycle expiry of logs and replaced renditions; sources are versioned and retained.',
  sqs_dlq_check: 'These queues are themselves the dead-letter queues.',
};

function guardViolations(configure?: (stack: Stack) => VodPlatformProps): Record<string, string[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'guard-'));
  try {
    const app = new App({ outdir, context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
    const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
    new VodPlatform(stack, 'Vod', configure?.(stack));
    const assembly = app.synth();
    const report = new CfnGuardValidator({ controlTowerRulesEnabled: true })
      .validate({ templatePaths: [join(outdir, assembly.getStackByName('Stack').templateFile)] });
    return Object.fromEntries(report.violations.map((v) => [v.ruleName, v.violatingResources.map((r) => r.resourceLogicalId).sort()]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('CloudFormation Guard, Control Tower rules', () => {
  test('with no props, the only findings are the explained exceptions', () => {
    const violations = guardViolations();
    expect(Object.keys(violations).sort()).toEqual(Object.keys(GUARD_EXCEPTIONS).sort());
    expect(violations.s3_bucket_logging_enabled_check.every((id) => /AccessLogs|DeliveryLogs/.test(id))).toBe(true);
  });

  test('with a custom domain and certificate, the default-domain exceptions go away', () => {
    const violations = guardViolations((s) => ({
      domainNames: ['video.example.com'],
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc'),
      alarmTopic: new sns.Topic(s, 'Ops', { enforceSSL: true }),
    }));
    for (const rule of ['cloudfront_custom_ssl_certificate_check', 'cloudfront_sni_enabled_check', 'cloudfront_security_policy_check', 'cloudwatch_alarm_action_check']) {
      expect(violations[rule]).toBeUndefined();
    }
  });
});

describe('VodPlatform teardown', () => {
  const retainedOf = (template: Template) => Object.entries(template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
    .filter(([, resource]) => resource.DeletionPolicy !== undefined && resource.DeletionPolicy !== 'Delete')
    .map(([id, resource]) => `${resource.Type} ${id.replace(/[0-9A-F]{8}$/, '')}`)
    .sort();

  test('by default the data, the accounts and the logs are retained, and nothing else', () => {
    expect(retainedOf(Template.fromStack(build().stack))).toEqual([
      'AWS::Cognito::UserPool VodApiUserPool',
      'AWS::DynamoDB::Table VodApiCatalog',
      'AWS::DynamoDB::Table VodApiEntitlements',
      'AWS::DynamoDB::Table VodTranscodeJobs',
      'AWS::Logs::LogGroup VodApiAccessLogs',
      'AWS::Logs::LogGroup VodApiApiLogs',
      'AWS::Logs::LogGroup VodApiStatusLogs',
      'AWS::Logs::LogGroup VodApiWebhookLogs',
      'AWS::Logs::LogGroup VodDeliveryKeyGeneratorLogs',
      'AWS::Logs::LogGroup VodTranscodeReconcileLogs',
      'AWS::Logs::LogGroup VodTranscodeStatusLogs',
      'AWS::Logs::LogGroup VodTranscodeSubmitLogs',
      'AWS::Logs::LogGroup VodUploadsIssuerLogs',
      'AWS::S3::Bucket VodDeliveryLogs',
      'AWS::S3::Bucket VodTranscodeOutput',
      'AWS::S3::Bucket VodTranscodeOutputAccessLogs',
      'AWS::S3::Bucket VodUploadsAccessLogs',
      'AWS::S3::Bucket VodUploadsBucket',
      'AWS::S3::Bucket VodWebAppAccessLogs',
    ]);
  });

  test('a development stack with RemovalPolicy.DESTROY keeps nothing: every bucket is emptied on delete, the pool is unprotected', () => {
    const { stack } = build(() => ({ removalPolicy: RemovalPolicy.DESTROY }));
    const template = Template.fromStack(stack);
    expect(retainedOf(template)).toEqual([]);
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket'));
    const emptied = Object.values(template.findResources('Custom::S3AutoDeleteObjects')).map((resource) => resource.Properties.BucketName.Ref);
    expect(emptied.sort()).toEqual(buckets.sort());
    template.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'INACTIVE' });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('cdk-nag 2 finds nothing in a development stack either', () => {
    expect(nag2Findings(build(() => ({ removalPolicy: RemovalPolicy.DESTROY })).stack)).toEqual([]);
  });
});

describe('VodPlatform outputs', () => {
  test('two platforms in one stack, one of them nested, have outputs of their own', () => {
    const stack = new Stack(new App(), 'Stack');
    new VodPlatform(stack, 'Vod');
    new VodPlatform(new Construct(stack, 'Staging'), 'Vod');
    const names = Object.keys(Template.fromStack(stack).toJSON().Outputs).sort();
    expect(names).toEqual(expect.arrayContaining(['VodPlatformUrl', 'StagingVodPlatformUrl', 'VodUserPoolId', 'StagingVodUserPoolId']));
    expect(names).toHaveLength(12);
  });
});

describe('VodPlatform with encrypted segments', () => {
  test('keys are answered on the platform\'s own domain, and the platform stays cdk-nag clean', () => {
    const { stack, vod } = build(() => ({ pipeline: { encryptSegments: true }, api: { streamLimit: 3 } }));
    const template = Template.fromStack(stack);
    const submit = template.findResources('AWS::Lambda::Function')[logicalId(stack, vod.pipeline.submitFunction as any)];
    const settings = JSON.stringify(submit.Properties.Environment.Variables.PIPELINE_SETTINGS);
    expect(settings).toContain('\\"keyServerUrl\\":\\"https://');
    expect(settings).toContain(logicalId(stack, vod.delivery.distribution as any));
    // The key route is behind the API's behaviour, which caches nothing and passes the viewer's cookies on.
    expect(behaviors(distributionConfig(template))['api/*']).toMatchObject({ CachePolicyId: CACHING_DISABLED, OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST });
    expect(nagFindings(stack)).toEqual([]);
    expect(() => build(() => ({ pipeline: { encryptSegments: true } }))).toThrow('set streamLimit');
  });
});

describe('VodPlatform with playback bound to the viewer\'s address', () => {
  test('the distribution serves IPv4 only, its /api/* behaviour runs the function that tells the API the viewer\'s address, and cdk-nag stays clean', () => {
    const { stack, vod } = build(() => ({ pipeline: { encryptSegments: true }, api: { streamLimit: 3, bindPlaybackToViewerIp: true } }));
    const template = Template.fromStack(stack);
    const config = distributionConfig(template);
    expect(config.IPV6Enabled).toBe(false);
    const functions = template.findResources('AWS::CloudFront::Function');
    expect(Object.keys(functions)).toHaveLength(1);
    const [functionId] = Object.keys(functions);
    expect(functions[functionId].Properties).toMatchObject({ FunctionCode: VIEWER_ADDRESS_FUNCTION_CODE, FunctionConfig: { Runtime: 'cloudfront-js-2.0' } });
    // A CloudFront Function's name is account-wide: it carries the Region, as the platform's other CloudFront names do.
    expect(JSON.stringify(functions[functionId].Properties.Name)).toContain('us-east-1');
    const api = behaviors(config)['api/*'];
    expect(api.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } }]);
    // Every viewer header but Host reaches the API, the function's among them.
    expect(api.OriginRequestPolicyId).toBe(ALL_VIEWER_EXCEPT_HOST);
    for (const [path, behavior] of Object.entries(behaviors(config))) {
      if (path !== 'api/*') {
        expect(behavior.FunctionAssociations).toBeUndefined();
      }
    }
    const apiFunction = template.findResources('AWS::Lambda::Function')[logicalId(stack, vod.api.apiFunction as any)];
    expect(apiFunction.Properties.Environment.Variables.BIND_PLAYBACK_TO_VIEWER_ADDRESS).toBe('cloudfront');
    // The API's origin sends a header whose value the template holds only as a reference to a generated secret, which the API function reads.
    const apiOrigin = config.Origins.find((origin: any) => origin.Id === api.TargetOriginId);
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    const [secretId] = Object.keys(secrets).filter((id) => id.includes('OriginVerifySecret'));
    expect(secrets[secretId].Properties.GenerateSecretString).toMatchObject({ PasswordLength: 48, ExcludePunctuation: true });
    expect(apiOrigin.OriginCustomHeaders).toEqual([{
      HeaderName: 'x-vod-origin-verify',
      HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] },
    }]);
    expect(apiFunction.Properties.Environment.Variables.ORIGIN_VERIFY_SECRET_ARN).toEqual({ Ref: secretId });
    expect(vod.api.viewerAddressFunction).toBeDefined();
    expect(logicalId(stack, vod.api.originVerifySecret as any)).toBe(secretId);
    expect(nagFindings(stack)).toEqual([]);
  });

  test('unbound, the distribution serves IPv6 too and the API behaviour runs no function', () => {
    const { stack, vod } = build();
    const template = Template.fromStack(stack);
    expect(distributionConfig(template).IPV6Enabled).toBe(true);
    template.resourceCountIs('AWS::CloudFront::Function', 0);
    expect(vod.api.viewerAddressFunction).toBeUndefined();
    expect(vod.api.originVerifySecret).toBeUndefined();
    const apiFunction = template.findResources('AWS::Lambda::Function')[logicalId(stack, vod.api.apiFunction as any)];
    expect(apiFunction.Properties.Environment.Variables.BIND_PLAYBACK_TO_VIEWER_ADDRESS).toBeUndefined();
  });

  test('IPv6 turned back on with binding is refused: CloudFront\'s IpAddress condition is for IPv4', () => {
    expect(() => build(() => ({ api: { bindPlaybackToViewerIp: true }, delivery: { enableIpv6: true } })))
      .toThrow('bindPlaybackToViewerIp needs a delivery distribution with IPv6 off');
  });
});

describe('VodPlatform refuses what it sets itself', () => {
  test.each<[string, (stack: Stack) => VodPlatformProps, string]>([
    ['the upload bucket\'s allowed origins', () => ({ uploads: { allowedOrigins: ['https://a.example'] } }), 'uploads.allowedOrigins (the platform allows its own domain; add others with corsAllowedOrigins)'],
    ['the pipeline\'s source bucket', (s) => ({ pipeline: { sourceBucket: new s3.Bucket(s, 'Other') } }), 'pipeline.sourceBucket'],
    ['the distribution\'s bucket', (s) => ({ delivery: { bucket: new s3.Bucket(s, 'Other') } }), 'delivery.bucket'],
    ['the distribution\'s domain', () => ({ delivery: { domainNames: ['video.example.com'] } }), 'delivery.domainNames (use domainNames)'],
    ['the distribution\'s CORS origins', () => ({ delivery: { corsAllowedOrigins: ['https://a.example'] } }), 'delivery.corsAllowedOrigins (use corsAllowedOrigins)'],
    ['the key server', () => ({ pipeline: { encryptSegments: true, keyServerUrl: 'https://keys.example' }, api: { streamLimit: 3 } }),
      'pipeline.keyServerUrl (the platform answers content keys on its own URL)'],
  ])('refuses %s instead of ignoring it', (_name, configure, message) => {
    expect(() => build(configure)).toThrow(`VodPlatform at Stack/Vod sets these itself, so they cannot be given: ${message}`);
  });

  test('a brought user pool gets the groups the API checks', () => {
    const { stack } = build((s) => ({ userPool: cognito.UserPool.fromUserPoolId(s, 'Pool', 'us-east-1_Existing') }));
    const groups = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolGroup')).map((group) => group.Properties);
    expect(groups).toEqual(expect.arrayContaining([
      expect.objectContaining({ UserPoolId: 'us-east-1_Existing', GroupName: 'creators' }),
      expect.objectContaining({ UserPoolId: 'us-east-1_Existing', GroupName: 'admins' }),
    ]));
  });
});

describe('VodPlatform in two Regions of one account', () => {
  /** The names of the CloudFront resources that are named per account (public keys, key groups, policies, origin access controls). */
  function accountScopedNames(region: string): string[] {
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
    const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region } });
    new VodPlatform(stack, 'Vod', { webAppBucket: new s3.Bucket(stack, 'WebApp', { enforceSSL: true }) });
    type Resource = { Type: string; Properties: Record<string, any> };
    const resources = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Resource>);
    return resources
      .filter((resource) => resource.Type.startsWith('AWS::CloudFront::') && resource.Type !== 'AWS::CloudFront::Distribution')
      .map((resource) => {
        const config = Object.entries(resource.Properties).find(([key]) => key.endsWith('Config'))?.[1];
        return `${resource.Type} ${JSON.stringify(config?.Name)}`;
      });
  }

  test('every CloudFront name the platform generates carries the Region, so the same stack deploys to a second Region', () => {
    const ireland = accountScopedNames('eu-west-1');
    const virginia = accountScopedNames('us-east-1');
    // public key, key group, response headers policy, two origin access controls, three cache policies
    expect(ireland.length).toBeGreaterThanOrEqual(8);
    for (const name of ireland) {
      expect(name).toMatch(/-eu-west-1"$/);
      expect(virginia).not.toContain(name);
    }
  });
});

describe('VodPlatform under cdk-nag 2', () => {
  test('the AwsSolutions and Serverless packs find nothing over the whole platform: every acknowledgement reaches cdk-nag 2 too', () => {
    expect(nag2Findings(build().stack)).toEqual([]);
  });
});

describe('VodPlatform front door', () => {
  const deployment = (template: Template) => Object.values(template.findResources('Custom::CDKBucketDeployment'))[0]?.Properties;

  test('the user pool gets a managed login domain with a prefix unique to the stack, and the app client its style', () => {
    const { stack, vod } = build();
    const template = Template.fromStack(stack);
    const domain = Object.values(template.findResources('AWS::Cognito::UserPoolDomain'))[0].Properties;
    expect(domain.ManagedLoginVersion).toBe(2);
    // vod-<hash of the path>-<first group of the stack id's UUID>
    expect(JSON.stringify(domain.Domain)).toContain('AWS::StackId');
    expect(JSON.stringify(domain.Domain)).toMatch(/"vod-[0-9a-f]{8}"/);
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', {
      UseCognitoProvidedValues: true, ClientId: { Ref: logicalId(stack, vod.userPoolClient as any) },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'], AllowedOAuthFlowsUserPoolClient: true, GenerateSecret: false,
    });
    const signIn = JSON.stringify(template.toJSON().Outputs.VodSignInUrl.Value);
    expect(signIn).toContain('.auth.us-east-1.amazoncognito.com/login?client_id=');
    expect(signIn).toContain('redirect_uri=https%3A%2F%2F');
  });

  test('two platforms in one stack get different sign-in prefixes', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
    new VodPlatform(stack, 'One');
    new VodPlatform(stack, 'Two');
    const prefixes = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolDomain')).map((d) => JSON.stringify(d.Properties.Domain));
    expect(new Set(prefixes).size).toBe(2);
  });

  test('a prefix or a custom domain of your own, and email through SES', () => {
    const { stack } = build(() => ({
      signIn: { domainPrefix: 'my-videos', email: cognito.UserPoolEmail.withSES({ fromEmail: 'no-reply@example.com', sesRegion: 'us-east-1' }) },
    }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'my-videos' });
    template.hasResourceProperties('AWS::Cognito::UserPool', { EmailConfiguration: Match.objectLike({ EmailSendingAccount: 'DEVELOPER', From: 'no-reply@example.com' }) });
    const custom = build((s) => ({
      signIn: { customDomain: { domainName: 'login.example.com', certificate: acm.Certificate.fromCertificateArn(s, 'C', 'arn:aws:acm:us-east-1:111111111111:certificate/x') } },
    }));
    Template.fromStack(custom.stack).hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'login.example.com', ManagedLoginVersion: 2 });
    expect(custom.vod.signInUrl).toBe('https://login.example.com');
  });

  test('a prefix with a word Cognito reserves is refused at synth', () => {
    expect(() => build(() => ({ signIn: { domainPrefix: 'my-aws-videos' } }))).toThrow('holds "aws", which Cognito does not allow in a prefix');
    expect(() => build(() => ({ signIn: { domainPrefix: 'x', customDomain: { domainName: 'a.example.com', certificate: {} as any } } })))
      .toThrow('not both');
  });

  test('every name of the platform is a callback of the app client', () => {
    const { stack } = build((s) => ({
      domainNames: ['video.example.com', 'www.video.example.com'],
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc'),
    }));
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://video.example.com/', 'https://www.video.example.com/'],
      LogoutURLs: ['https://video.example.com/', 'https://www.video.example.com/'],
    });
  });

  test('a brought pool with a domain of its own keeps it, and a brought client keeps its style', () => {
    const { stack, vod } = build((s) => {
      const pool = cognito.UserPool.fromUserPoolId(s, 'Pool', 'us-east-1_Existing');
      return {
        userPool: pool,
        createUserPoolGroups: false,
        userPoolClient: cognito.UserPoolClient.fromUserPoolClientId(s, 'Client', 'existingclient'),
        signIn: { existingDomainUrl: 'https://auth.example.com/' },
      };
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    template.resourceCountIs('AWS::Cognito::ManagedLoginBranding', 0);
    expect(vod.signInUrl).toBe('https://auth.example.com');
  });

  test('the web app is deployed to a private bucket on the default path, with a /config.json of the stack\'s values', () => {
    const { stack, vod } = build();
    const template = Template.fromStack(stack);
    const config = distributionConfig(template);
    const origin = config.Origins.find((o: any) => o.Id === config.DefaultCacheBehavior.TargetOriginId);
    expect(origin.DomainName['Fn::GetAtt'][0]).toBe(logicalId(stack, vod.webAppBucket as any));
    expect(config.DefaultCacheBehavior.TrustedKeyGroups).toBeUndefined();
    const props = deployment(template);
    expect(props.DestinationBucketName).toEqual({ Ref: logicalId(stack, vod.webAppBucket as any) });
    expect(props.Prune).toBe(true);
    expect(props.SourceObjectKeys).toHaveLength(2);
    expect(props.DistributionPaths).toEqual(['/', '/index.html', '/config.json']);
    // config.json: its values are markers replaced at deploy time with the stack's
    const markers = JSON.stringify(props.SourceMarkers);
    expect(markers).toContain(logicalId(stack, vod.userPoolClient as any));
    expect(markers).toContain('cognito-idp.');
    expect(markers).toContain(logicalId(stack, vod.signInDomain as any));
    template.hasResourceProperties('AWS::S3::Bucket', { PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }) });
  });

  test('deployWebApp: false leaves the default path signed; your own bucket is served as it is', () => {
    const none = Template.fromStack(build(() => ({ deployWebApp: false })).stack);
    none.resourceCountIs('Custom::CDKBucketDeployment', 0);
    expect(distributionConfig(none).DefaultCacheBehavior.TrustedKeyGroups).toHaveLength(1);
    const own = Template.fromStack(build((s) => ({ webAppBucket: new s3.Bucket(s, 'Mine', { enforceSSL: true }) })).stack);
    own.resourceCountIs('Custom::CDKBucketDeployment', 0);
    // Deployed into your own bucket, the app leaves your other files there.
    const ours = Template.fromStack(build((s) => ({ webAppBucket: new s3.Bucket(s, 'Mine', { enforceSSL: true }), deployWebApp: true })).stack);
    ours.resourceCountIs('Custom::CDKBucketDeployment', 1);
    expect(deployment(ours).Prune).toBe(false);
  });

  test('the deployment handler of CDK leaves no cdk-nag finding, in both generations', () => {
    expect(nagFindings(build().stack)).toEqual([]);
    expect(nag2Findings(build().stack)).toEqual([]);
  });
});

describe('VodPlatform options', () => {
  test('a custom domain carries the cookies, the callback and the outputs', () => {
    const { stack } = build((s) => ({
      domainNames: ['video.example.com'],
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc'),
    }));
    const template = Template.fromStack(stack);
    expect(distributionConfig(template).Aliases).toEqual(['video.example.com']);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MEDIA_DOMAIN: 'video.example.com' }) } });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: ['https://video.example.com/'] });
    expect(JSON.stringify(template.toJSON().Outputs)).toContain('https://video.example.com/api');
  });

  test('a web app bucket serves the default path, publicly, through origin access control', () => {
    const { stack } = build((s) => ({ webAppBucket: new s3.Bucket(s, 'Player', { enforceSSL: true }) }));
    const template = Template.fromStack(stack);
    const config = distributionConfig(template);
    expect(config.DefaultCacheBehavior.TrustedKeyGroups).toBeUndefined();
    const origin = config.Origins.find((o: any) => o.Id === config.DefaultCacheBehavior.TargetOriginId);
    expect(origin.DomainName['Fn::GetAtt'][0]).toMatch(/^Player/);
    expect(origin.OriginAccessControlId).toBeDefined();
  });

  test('cross-origin players: SameSite=None cookies, and their origins may upload and fetch media', () => {
    const { stack } = build(() => ({ corsAllowedOrigins: ['https://player.example.com'] }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ COOKIE_SAMESITE: 'None' }) } });
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: Match.arrayWith(['https://player.example.com']) })] },
    });
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: { CorsConfig: Match.objectLike({ AccessControlAllowOrigins: { Items: ['https://player.example.com'] } }) },
    });
  });

  test('per-child props reach each construct without undoing the composition', () => {
    const { stack, vod } = build(() => ({
      uploads: { maxUploadSize: Size.gibibytes(10) },
      pipeline: { ladder: HlsLadder.uhd(), downloadRendition: true },
      api: { playbackSessionDuration: Duration.minutes(10) },
      selfSignUpEnabled: false,
      requireMfa: true,
    }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ UPLOAD_MAX_BYTES: String(10 * 1024 ** 3) }) } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ PLAYBACK_SESSION_SECONDS: '600' }) } });
    expect(vod.pipeline.ladder.rungs.map((r) => r.shortSide)).toContain(2160);
    expect(vod.pipeline.sourceBucket).toBe(vod.uploads.bucket);
    template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON', AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('alarms notify the given topic', () => {
    const { stack } = build((s) => ({ alarmTopic: new sns.Topic(s, 'Ops', { enforceSSL: true }) }));
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('^Ops') }] }, 6);
  });
});
