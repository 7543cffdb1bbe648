import { App, Duration, Stack, aws_cognito as cognito, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  EntitlementApi, EntitlementApiProps, HlsTranscodePipeline, HlsTranscodePipelineProps, PremiumInterval, SecureUploadBucket, SignedCookieDistribution,
  SignedCookieDistributionProps,
} from '../../src';
import { API_ROUTES, STRIPE_WEBHOOK_ROUTE } from '../../src/entitlement/api-routes';
import { acknowledgements, maskedTemplate, nag2Findings, nagFindings } from '../helpers';

type ApiOptions = Omit<EntitlementApiProps, 'uploads' | 'pipeline' | 'delivery'>;

/** The API over its collaborators, served through their distribution unless a media domain is given. */
function build(configure?: (stack: Stack) => ApiOptions, synth = true, pipelineProps: Omit<HlsTranscodePipelineProps, 'sourceBucket'> = {},
  deliveryProps: Omit<SignedCookieDistributionProps, 'bucket'> = {}) {
  const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
  const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const uploads = new SecureUploadBucket(stack, 'Uploads');
  const pipeline = new HlsTranscodePipeline(stack, 'Transcode', { ...pipelineProps, sourceBucket: uploads.bucket });
  const delivery = new SignedCookieDistribution(stack, 'Delivery', { ...deliveryProps, bucket: pipeline.outputBucket });
  const options = configure?.(stack) ?? {};
  const api = new EntitlementApi(stack, 'Api', { uploads, pipeline, delivery, ...options });
  if (!options.mediaDomain) {
    api.routeThroughDelivery();
  }
  return { stack, api, template: synth ? Template.fromStack(stack) : undefined! };
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as any);

function statementsOfRole(template: Template, roleLogicalId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('EntitlementApi defaults', () => {
  const { stack, api, template } = build();

  test('a user pool with email sign-in, a strong password policy, optional TOTP, and the creators and admins groups', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: {
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        MfaConfiguration: 'OPTIONAL',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        Policies: {
          PasswordPolicy: {
            MinimumLength: 12,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
            TemporaryPasswordValidityDays: 3,
          },
        },
        DeletionProtection: 'ACTIVE',
      },
      DeletionPolicy: 'Retain',
    });
    for (const group of ['creators', 'admins']) {
      template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: group });
    }
  });

  test('a public app client with the authorization code flow (PKCE) and token revocation', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
      CallbackURLs: ['http://localhost:3000/'],
    });
  });

  test('catalog and entitlements tables with point-in-time recovery, retained, with the indexes the routes use', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'videoId', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: 'byCreator', KeySchema: [{ AttributeName: 'creatorId', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }] }),
          Match.objectLike({ IndexName: 'published', KeySchema: [{ AttributeName: 'listing', KeyType: 'HASH' }, { AttributeName: 'publishedAt', KeyType: 'RANGE' }] }),
          Match.objectLike({ IndexName: 'byState', KeySchema: [{ AttributeName: 'state', KeyType: 'HASH' }, { AttributeName: 'updatedAt', KeyType: 'RANGE' }] }),
        ],
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }, { AttributeName: 'entitlementId', KeyType: 'RANGE' }],
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byPaymentRef', Projection: { ProjectionType: 'KEYS_ONLY' } })],
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('an HTTP API with every route, Stripe\'s on its own function, throttled and access-logged as JSON', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => route.Properties.RouteKey).sort();
    expect(routes).toEqual([...API_ROUTES, STRIPE_WEBHOOK_ROUTE].sort());
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"routeKey":"\\$context.routeKey"') },
    });
    const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));
    expect(integrations).toHaveLength(2);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/AWS::ApiGatewayV2::Authorizer/);
  });

  test('the stage, its access log group, each function\'s log group and the status rule are exposed, and are the ones wired', () => {
    const resources = template.toJSON().Resources;
    const props = (construct: { node: { defaultChild?: unknown } }) => resources[logicalId(stack, construct)].Properties;
    expect(props(api.stage).AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logicalId(stack, api.accessLogGroup), 'Arn'] });
    expect(props(api.apiFunction).LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(stack, api.apiLogGroup) } });
    expect(props(api.webhookFunction).LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(stack, api.webhookLogGroup) } });
    expect(props(api.statusFunction).LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(stack, api.statusLogGroup) } });
    expect(props(api.statusRule).Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack, api.statusFunction), 'Arn'] });
  });

  test('the API function verifies tokens of this pool\'s client and signs for the distribution\'s domain', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Answers the video platform\'s HTTP API routes',
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({
          JWT_ISSUER: { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', { Ref: logicalId(stack, api.userPool) }]] },
          JWT_CLIENT_ID: { Ref: logicalId(stack, api.userPoolClient) },
          MEDIA_DOMAIN: { 'Fn::GetAtt': [logicalId(stack, api.delivery.distribution), 'DomainName'] },
          PLAYBACK_SESSION_SECONDS: '300',
          COOKIE_SAMESITE: 'Strict',
          MEDIA_KEY_PAIR_ID: Match.anyValue(),
          MEDIA_SIGNING_SECRET_ARN: Match.anyValue(),
        }),
      },
    });
  });

  test('each function may touch only what it needs, by exact ARN', () => {
    const api_ = statementsOfRole(template, logicalId(stack, api.apiFunction.role!));
    const catalogArn = { 'Fn::GetAtt': [logicalId(stack, api.catalogTable), 'Arn'] };
    expect(api_).toEqual(expect.arrayContaining([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: [catalogArn, ...['byCreator', 'published', 'byState'].map((index) => ({ 'Fn::Join': ['', [catalogArn, `/index/${index}`]] }))],
      },
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [logicalId(stack, api.uploads.issuerFunction), 'Arn'] } },
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [logicalId(stack, api.pipeline.submitFunction), 'Arn'] } },
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: logicalId(stack, api.delivery.signingKeySecret) } },
    ]));
    expect(JSON.stringify(api_)).not.toContain(logicalId(stack, api.stripeWebhookSecret));
    // Under posters/ the API writes and deletes the posters creators pick, never the pipeline's own captures.
    const writes = JSON.stringify(api_.filter((statement: any) => /s3:(PutObject|DeleteObject)/.test(JSON.stringify(statement.Action))).map((statement: any) => statement.Resource));
    expect(writes.match(/\/posters\/[^"]*/g)).toEqual(['/posters/*/picked-*']);
    const webhook = JSON.stringify(statementsOfRole(template, logicalId(stack, api.webhookFunction.role!)));
    expect(webhook).toContain(logicalId(stack, api.stripeWebhookSecret));
    expect(webhook).not.toContain(logicalId(stack, api.catalogTable));
    expect(statementsOfRole(template, logicalId(stack, api.statusFunction.role!)))
      .toEqual(expect.arrayContaining([{ Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: catalogArn }]));
  });

  test('streamLimit: a sessions table of leases (user, slot) with TTL, the API told the limit and allowed only what leases need', () => {
    expect(api.sessionsTable).toBeUndefined();
    const limited = build((s) => { void s; return { streamLimit: 3 }; });
    const table = limited.template.findResources('AWS::DynamoDB::Table')[logicalId(limited.stack, limited.api.sessionsTable!)].Properties;
    expect(table).toMatchObject({
      KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }, { AttributeName: 'slot', KeyType: 'RANGE' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const variables = limited.template.findResources('AWS::Lambda::Function')[logicalId(limited.stack, limited.api.apiFunction)].Properties.Environment.Variables;
    expect(variables).toMatchObject({ STREAM_LIMIT: '3', PLAYBACK_SESSIONS_TABLE: { Ref: logicalId(limited.stack, limited.api.sessionsTable!) } });
    const statements = statementsOfRole(limited.template, logicalId(limited.stack, limited.api.apiFunction.role!))
      .filter((statement) => JSON.stringify(statement.Resource).includes(logicalId(limited.stack, limited.api.sessionsTable!)));
    expect(statements.flatMap((statement) => [statement.Action].flat()).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(nagFindings(limited.stack)).toEqual([]);
    for (const bad of [0, 1.5, 101]) {
      expect(() => build(() => ({ streamLimit: bad }), false)).toThrow('streamLimit must be a whole number from 1 to 100');
    }
  });

  test('encrypted segments: the API reads content keys (only reads), needs a stream limit, and the key route is on API Gateway', () => {
    const encrypted = build(() => ({ streamLimit: 3 }), true, { encryptSegments: true, keyServerUrl: 'https://media.example.com', automaticCaptions: {} });
    const keysId = logicalId(encrypted.stack, encrypted.api.pipeline.contentKeysTable as any);
    const functions = encrypted.template.findResources('AWS::Lambda::Function');
    const apiVariables = functions[logicalId(encrypted.stack, encrypted.api.apiFunction)].Properties.Environment.Variables;
    expect(apiVariables.CONTENT_KEYS_TABLE).toEqual({ Ref: keysId });
    const onKeys = (role: string) => statementsOfRole(encrypted.template, role)
      .filter((statement) => JSON.stringify(statement.Resource).includes(keysId))
      .flatMap((statement) => [statement.Action].flat());
    expect(onKeys(logicalId(encrypted.stack, encrypted.api.apiFunction.role!))).toEqual(['dynamodb:GetItem']);
    // Automatic captions are timed from a decrypted segment.
    expect(onKeys(logicalId(encrypted.stack, encrypted.api.statusFunction.role!))).toEqual(['dynamodb:GetItem']);
    encrypted.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /api/videos/{videoId}/key' });
    expect(nagFindings(encrypted.stack)).toEqual([]);
    expect(() => build(() => ({}), false, { encryptSegments: true, keyServerUrl: 'https://media.example.com' }))
      .toThrow('a content key is answered only to a live playback session, which exists with a stream limit: set streamLimit');
  });

  test('bound to the viewer\'s address: needs IPv6 off and the API routed through the distribution, whose function\'s header it reads', () => {
    expect(() => build(() => ({ bindPlaybackToViewerIp: true }), false))
      .toThrow('bindPlaybackToViewerIp needs a delivery distribution with IPv6 off (SignedCookieDistribution enableIpv6: false)');
    const variable = (built: ReturnType<typeof build>) => built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack, built.api.apiFunction)]
      .Properties.Environment.Variables.BIND_PLAYBACK_TO_VIEWER_ADDRESS;
    const routed = build(() => ({ bindPlaybackToViewerIp: true }), true, {}, { enableIpv6: false });
    expect(variable(routed)).toBe('cloudfront');
    routed.template.resourceCountIs('AWS::CloudFront::Function', 1);
    expect(routed.api.bindsPlaybackToViewerIp).toBe(true);
    expect(nagFindings(routed.stack)).toEqual([]);
    // Behind a proxy of one's own the API would see the proxy's address: refused at synth.
    const proxied = build(() => ({ bindPlaybackToViewerIp: true, mediaDomain: 'media.example.com' }), false, {}, { enableIpv6: false });
    expect(() => Template.fromStack(proxied.stack)).toThrow('bindPlaybackToViewerIp reads the viewer\'s address from the delivery distribution');
  });

  test('the status function touches no media without automatic captions; with them, it writes caption tracks as the caption routes do', () => {
    const status = (of: ReturnType<typeof build>) => JSON.stringify(statementsOfRole(of.template, logicalId(of.stack, of.api.statusFunction.role!)));
    const env = (of: ReturnType<typeof build>) => of.template.findResources('AWS::Lambda::Function')[logicalId(of.stack, of.api.statusFunction)].Properties.Environment.Variables;
    expect(status({ stack, api, template })).not.toMatch(/s3:/);
    expect(env({ stack, api, template }).MEDIA_OUTPUT_BUCKET).toBeUndefined();
    const captioned = build(undefined, true, { automaticCaptions: {} });
    expect(status(captioned)).toContain('"s3:PutObject","s3:DeleteObject"');
    expect(status(captioned)).toContain('/videos/*/captions/*');
    expect(status(captioned)).toContain('dynamodb:GetItem');
    expect(env(captioned).MEDIA_OUTPUT_BUCKET).toEqual({ Ref: logicalId(captioned.stack, captioned.api.pipeline.outputBucket) });
    expect(nagFindings(captioned.stack)).toEqual([]);
  });

  test('the status function hears this pipeline\'s transcode events, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['cdk-secure-vod.transcode'], detail: { pipelineId: [api.pipeline.pipelineId] } },
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [logicalId(stack, api.statusFunction), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, api.deadLetterQueue), 'Arn'] } },
      })],
    });
  });

  test('no AwsSolutions or Serverless finding is left; every acknowledgement says why', () => {
    expect(nagFindings(stack)).toEqual([]);
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(10);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(40);
    }
    expect(acknowledgements(stack).filter((ack) => ack.path.startsWith('Stack/Api/HttpApi')).map((ack) => ack.id)).toEqual(['AwsSolutions-APIG4']);
  });

  test('metrics for sessions issued and denied, and server errors', () => {
    expect(api.metricSessionsIssued().metricName).toBe('PlaybackSessionsIssued');
    expect(api.metricSessionsDenied().metricName).toBe('PlaybackSessionsDenied');
    expect(stack.resolve(api.metricSessionsIssued().dimensions)).toEqual({ service: 'entitlement', Api: expect.stringMatching(/^StackApi/) });
    expect(api.metricServerErrors().metricName).toBe('5xx');
  });

  test('snapshot', () => {
    expect(maskedTemplate(stack)).toMatchSnapshot();
  });
});

describe('EntitlementApi under cdk-nag 2', () => {
  test('the AwsSolutions and Serverless packs find nothing: every acknowledgement reaches cdk-nag 2 too', () => {
    expect(nag2Findings(build(undefined, false).stack)).toEqual([]);
  });
});

describe('EntitlementApi options', () => {
  test('a given user pool and client are used: no pool or client is made, and the pool gets the groups the API checks', () => {
    const { template } = build((s) => {
      const pool = cognito.UserPool.fromUserPoolId(s, 'Pool', 'eu-west-1_Existing');
      return { userPool: pool, userPoolClient: cognito.UserPoolClient.fromUserPoolClientId(s, 'Client', 'existing-client') };
    });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    for (const group of ['creators', 'admins']) {
      template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { UserPoolId: 'eu-west-1_Existing', GroupName: group });
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ JWT_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Existing', JWT_CLIENT_ID: 'existing-client' }) },
    });
  });

  test('an imported pool that has the groups already gets none with createUserPoolGroups: false', () => {
    const { template } = build((s) => ({ userPool: cognito.UserPool.fromUserPoolId(s, 'Pool', 'eu-west-1_Existing'), createUserPoolGroups: false }));
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', 0);
  });

  test('a pool of this app gets only the groups it lacks', () => {
    const { template } = build((s) => {
      const pool = new cognito.UserPool(s, 'OwnPool');
      pool.addGroup('Mine', { groupName: 'creators' });
      return { userPool: pool };
    });
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map((group) => group.Properties.GroupName).sort();
    expect(groups).toEqual(['admins', 'creators']);
  });

  test('synth fails when the API is neither routed through the distribution nor told its media domain: its cookies would never reach the media', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const uploads = new SecureUploadBucket(stack, 'Uploads');
    const pipeline = new HlsTranscodePipeline(stack, 'Transcode', { sourceBucket: uploads.bucket });
    const delivery = new SignedCookieDistribution(stack, 'Delivery', { bucket: pipeline.outputBucket });
    new EntitlementApi(stack, 'Api', { uploads, pipeline, delivery });
    expect(() => app.synth()).toThrow(/cookies set by the API's execute-api host never reach the media: call routeThroughDelivery\(\)/);
  });

  test('routed through the distribution, the API answers under /api/* of the media\'s domain, uncached, with every method', () => {
    const { stack, template } = build();
    const config = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;
    const behavior = config.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === 'api/*');
    expect(behavior).toMatchObject({ ViewerProtocolPolicy: 'https-only', AllowedMethods: expect.arrayContaining(['POST', 'DELETE', 'PATCH']) });
    expect(stack.resolve(behavior.CachePolicyId)).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
  });

  test('throws when the pipeline transcodes another bucket than the one uploads go to', () => {
    const stack = new Stack(new App(), 'Stack');
    const uploads = new SecureUploadBucket(stack, 'Uploads');
    const pipeline = new HlsTranscodePipeline(stack, 'Transcode');
    const delivery = new SignedCookieDistribution(stack, 'Delivery', { bucket: pipeline.outputBucket });
    expect(() => new EntitlementApi(stack, 'Api', { uploads, pipeline, delivery })).toThrow('invalid EntitlementApi props at Stack/Api: the pipeline must transcode the uploads bucket');
  });

  test('media domain, session length, cross-site cookies, callbacks, throttling and the Stripe secret are honoured', () => {
    const { template } = build((s) => ({
      mediaDomain: 'video.example.com',
      playbackSessionDuration: Duration.minutes(10),
      crossSiteCookies: true,
      callbackUrls: ['https://video.example.com/'],
      throttleRateLimit: 10,
      throttleBurstLimit: 20,
      stripeWebhookSecret: secretsmanager.Secret.fromSecretNameV2(s, 'Stripe', 'stripe/whsec'),
      selfSignUpEnabled: false,
    }));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MEDIA_DOMAIN: 'video.example.com', PLAYBACK_SESSION_SECONDS: '600', COOKIE_SAMESITE: 'None' }) },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: ['https://video.example.com/'] });
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 } });
    template.resourcePropertiesCountIs('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('Stripe') }, 0);
  });

  test.each<[string, ApiOptions, string]>([
    ['a session under a minute', { playbackSessionDuration: Duration.seconds(30) }, 'playbackSessionDuration must be whole seconds from 1 minute to 1 hour'],
    ['a session over an hour', { playbackSessionDuration: Duration.hours(2) }, 'got 7200 seconds'],
    ['a zero rate limit', { throttleRateLimit: 0 }, 'throttle limits must be whole numbers of at least 1'],
    ['a fractional premium price', { premiumPrice: { amount: 9.99, currency: 'usd', interval: PremiumInterval.MONTH } }, 'premiumPrice must be a whole amount'],
    ['a premium price in an upper-case currency', { premiumPrice: { amount: 999, currency: 'USD', interval: PremiumInterval.MONTH } }, 'lowercase ISO 4217'],
  ])('throws on %s', (_name, props, message) => {
    expect(() => build(() => props)).toThrow(message);
  });

  test('checkout: the Stripe API key is read by the API function only, by ARN; the premium price and the return URL are settings', () => {
    const { stack, api, template } = build((s) => ({
      stripeApiKey: secretsmanager.Secret.fromSecretCompleteArn(s, 'Key', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:stripe/api-key-AbCdEf'),
      premiumPrice: { amount: 999, currency: 'eur', interval: PremiumInterval.MONTH },
    }));
    const variables = Object.values(template.findResources('AWS::Lambda::Function'))
      .find((fn) => fn.Properties.Environment?.Variables?.STRIPE_API_KEY_SECRET_ARN)!.Properties.Environment.Variables;
    expect(variables.STRIPE_API_KEY_SECRET_ARN).toBe('arn:aws:secretsmanager:eu-west-1:111111111111:secret:stripe/api-key-AbCdEf');
    expect(JSON.parse(variables.PREMIUM_PRICE)).toEqual({ amount: 999, currency: 'eur', interval: 'month' });
    expect(JSON.stringify(variables.APP_URL)).toContain(logicalId(stack, api.delivery.distribution));
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes('stripe/api-key'));
    expect(readers).toHaveLength(1);
    expect(JSON.stringify(readers[0].Properties.Roles)).toContain(stack.getLogicalId(api.apiFunction.role!.node.defaultChild as any));
    expect(JSON.stringify(template.toJSON())).not.toMatch(/sk_(test|live)_/);
  });

  test('without a Stripe API key or a premium price, the API has no checkout settings', () => {
    const { template } = build();
    const all = JSON.stringify(template.toJSON());
    expect(all).not.toContain('STRIPE_API_KEY_SECRET_ARN');
    expect(all).not.toContain('PREMIUM_PRICE');
  });

  test('throws on a client without its pool', () => {
    expect(() => build((s) => ({ userPoolClient: cognito.UserPoolClient.fromUserPoolClientId(s, 'C', 'x') })))
      .toThrow('userPoolClient needs the userPool it belongs to');
  });
});
