import {
  App, Duration, Stack,
  aws_certificatemanager as acm, aws_cloudfront as cloudfront, aws_cloudfront_origins as origins,
  aws_iam as iam, aws_kms as kms, aws_lambda as lambda, aws_s3 as s3, aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SignedCookieDistribution, SignedCookieDistributionProps, SigningKey } from '../../src';
import { acknowledgements, maskedTemplate, nag2Findings, nagFindings } from '../helpers';

const PUBLIC_KEY_PEM = '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----\n';

function build(configure?: (stack: Stack) => SignedCookieDistributionProps) {
  const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
  const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
  const delivery = new SignedCookieDistribution(stack, 'Delivery', configure?.(stack));
  return { stack, delivery };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as any);
}

function distributionConfig(template: Template): any {
  return Object.values(template.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;
}

function cachePolicyOf(template: Template, ref: { Ref: string }): any {
  return template.toJSON().Resources[ref.Ref].Properties.CachePolicyConfig;
}

describe('SignedCookieDistribution defaults', () => {
  const { stack, delivery } = build();
  const template = Template.fromStack(stack);
  const config = distributionConfig(template);
  const keyGroup = { Ref: logicalId(stack, delivery.keyGroup) };

  test('reads a private bucket through origin access control, never an origin access identity', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0]).toMatchObject({ S3OriginConfig: { OriginAccessIdentity: '' }, OriginAccessControlId: { 'Fn::GetAtt': [expect.stringMatching(/OriginAccessControl/), 'Id'] } });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack, delivery.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 's3:GetObject',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
        })]),
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: Match.anyValue(),
    });
  });

  test('videos/* and everything else need the key group; posters/* is public', () => {
    expect(config.DefaultCacheBehavior.TrustedKeyGroups).toEqual([keyGroup]);
    const byPath = Object.fromEntries(config.CacheBehaviors.map((behavior: any) => [behavior.PathPattern, behavior]));
    expect(Object.keys(byPath)).toEqual(['videos/*.m3u8', 'videos/*', 'posters/*']);
    expect(byPath['videos/*.m3u8'].TrustedKeyGroups).toEqual([keyGroup]);
    expect(byPath['videos/*'].TrustedKeyGroups).toEqual([keyGroup]);
    expect(byPath['posters/*'].TrustedKeyGroups).toBeUndefined();
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.ViewerProtocolPolicy).toBe('https-only');
      expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD']);
      expect(behavior.OriginRequestPolicyId).toBeUndefined();
    }
  });

  test('no cookie, query string or header is in any cache key; playlists 30 s, segments and posters a day', () => {
    const byPath = Object.fromEntries(config.CacheBehaviors.map((behavior: any) => [behavior.PathPattern, behavior]));
    const ttl = { 'videos/*.m3u8': 30, 'videos/*': 86400, 'posters/*': 86400 } as Record<string, number>;
    for (const [path, seconds] of Object.entries(ttl)) {
      const policy = cachePolicyOf(template, byPath[path].CachePolicyId);
      expect(policy.ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({
        CookiesConfig: { CookieBehavior: 'none' },
        HeadersConfig: { HeaderBehavior: 'none' },
        QueryStringsConfig: { QueryStringBehavior: 'none' },
      });
      expect(policy).toMatchObject({ DefaultTTL: seconds, MaxTTL: seconds, MinTTL: 0 });
    }
  });

  test('HTTP/2 and HTTP/3, IPv6, access logs to a bucket that takes them, price class 100', () => {
    expect(config).toMatchObject({
      HttpVersion: 'http2and3',
      IPV6Enabled: true,
      PriceClass: 'PriceClass_100',
      Logging: { Bucket: { 'Fn::GetAtt': [logicalId(stack, delivery.logBucket), 'RegionalDomainName'] }, Prefix: 'cloudfront/' },
    });
    template.hasResourceProperties('AWS::S3::Bucket', { OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } });
  });

  test('security headers on every response, no CORS', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: Match.objectLike({
          StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true },
          ContentTypeOptions: { Override: true },
        }),
        CorsConfig: Match.absent(),
      },
    });
  });

  test('a signing key is generated at deploy time into a secret, and no private key is in the template', () => {
    template.hasResourceProperties('Custom::CloudFrontSigningKey', {
      ServiceToken: { 'Fn::GetAtt': [logicalId(stack, delivery.keyGeneratorFunction!), 'Arn'] },
      SecretArn: { Ref: logicalId(stack, delivery.signingKeySecret) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: logicalId(stack, delivery.keyGeneratorLogGroup!) } },
    });
    template.hasResourceProperties('AWS::CloudFront::PublicKey', {
      PublicKeyConfig: Match.objectLike({ EncodedKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('DefaultKeyPair'), 'PublicKeyPem'] } }),
    });
    template.hasResourceProperties('AWS::CloudFront::KeyGroup', {
      KeyGroupConfig: Match.objectLike({ Items: [{ Ref: logicalId(stack, delivery.publicKeys[0]) }] }),
    });
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/PRIVATE KEY|BEGIN RSA/);
    expect(Object.keys(template.toJSON().Outputs ?? {})).toEqual([]);
    expect(stack.resolve(delivery.keyPairId)).toEqual({ Ref: logicalId(stack, delivery.publicKeys[0]) });
  });

  test('the key generator may write and read only its key\'s secret', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('KeyGeneratorRole'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const secretStatements = statements.filter((s: any) => JSON.stringify(s.Action).includes('secretsmanager'));
    expect(secretStatements.map((s: any) => s.Resource)).toEqual(secretStatements.map(() => ({ Ref: logicalId(stack, delivery.signingKeySecret) })));
  });

  test('no AwsSolutions or Serverless finding is left; what is acknowledged says why', () => {
    expect(nagFindings(stack)).toEqual([]);
    const acks = acknowledgements(stack);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(40);
    }
    expect(acks.filter((ack) => ack.path === 'Stack/Delivery/Distribution').map((ack) => ack.id))
      .toEqual(['AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR4']);
  });

  test('snapshot', () => {
    expect(maskedTemplate(stack)).toMatchSnapshot();
  });
});

describe('SignedCookieDistribution under cdk-nag 2', () => {
  test('the AwsSolutions and Serverless packs find nothing: every acknowledgement reaches cdk-nag 2 too', () => {
    expect(nag2Findings(build().stack)).toEqual([]);
  });
});

describe('SignedCookieDistribution options', () => {
  test('a custom domain with its certificate requires TLS 1.2 (2021), and CFR4 is then satisfied, not acknowledged', () => {
    const { stack } = build((s) => ({
      domainNames: ['video.example.com'],
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc'),
    }));
    const config = distributionConfig(Template.fromStack(stack));
    expect(config).toMatchObject({ Aliases: ['video.example.com'], ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' } });
    expect(nagFindings(stack)).toEqual([]);
    expect(acknowledgements(stack).map((ack) => ack.id)).not.toContain('AwsSolutions-CFR4');
  });

  test('a media bucket encrypted with a customer managed key: the key lets this distribution (and only CloudFront) decrypt', () => {
    const { stack } = build((s) => ({
      bucket: new s3.Bucket(s, 'Media', {
        encryption: s3.BucketEncryption.KMS, encryptionKey: new kms.Key(s, 'MediaKey', { enableKeyRotation: true }), enforceSSL: true,
      }),
    }));
    const template = Template.fromStack(stack);
    // CloudFront's origin access control reads SSE-KMS objects when the key policy allows the
    // cloudfront.amazonaws.com principal kms:Decrypt for the distribution (CloudFront Developer Guide).
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 'kms:Decrypt',
          Condition: { ArnLike: { 'AWS:SourceArn': Match.anyValue() } },
        })]),
      },
    });
  });

  test('a brought key pair is trusted and signs, with no generator', () => {
    const { stack, delivery } = build((s) => ({
      signingKeys: [SigningKey.fromPublicKeyPem('Mine', PUBLIC_KEY_PEM, secretsmanager.Secret.fromSecretNameV2(s, 'S', 'my-signing-key'))],
    }));
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::CloudFrontSigningKey', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.hasResourceProperties('AWS::CloudFront::PublicKey', { PublicKeyConfig: Match.objectLike({ EncodedKey: PUBLIC_KEY_PEM }) });
    expect(delivery.keyGeneratorFunction).toBeUndefined();
    expect(delivery.keyGeneratorLogGroup).toBeUndefined();
    expect(nagFindings(stack)).toEqual([]);
  });

  test('rotation: the key group trusts every key while the first one signs', () => {
    const { stack, delivery } = build(() => ({ signingKeys: [SigningKey.generate('Spring'), SigningKey.generate('Winter')] }));
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::CloudFrontSigningKey', 2);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::CloudFront::KeyGroup', {
      KeyGroupConfig: Match.objectLike({ Items: delivery.publicKeys.map((key) => ({ Ref: logicalId(stack, key) })) }),
    });
    expect(delivery.publicKeys).toHaveLength(2);
    expect(stack.resolve(delivery.signerEnvironment)).toEqual({
      MEDIA_KEY_PAIR_ID: { Ref: logicalId(stack, delivery.publicKeys[0]) },
      MEDIA_SIGNING_SECRET_ARN: { Ref: stack.getLogicalId(stack.node.findChild('Delivery').node.findChild('SpringKeySecret').node.defaultChild as any) },
    });
  });

  test('cross-origin players: exact origins echoed with credentials, Origin in the cache key', () => {
    const { stack } = build(() => ({ corsAllowedOrigins: ['https://player.example.com', 'http://localhost:5173'] }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        CorsConfig: Match.objectLike({
          AccessControlAllowOrigins: { Items: ['https://player.example.com', 'http://localhost:5173'] },
          AccessControlAllowCredentials: true,
          OriginOverride: true,
        }),
      },
    });
    for (const policy of Object.values(template.findResources('AWS::CloudFront::CachePolicy'))) {
      expect(policy.Properties.CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig)
        .toEqual({ HeaderBehavior: 'whitelist', Headers: ['Origin'] });
    }
  });

  test('WAF, geo restriction, price class, cache durations and a default behavior pass through', () => {
    const { stack } = build(() => ({
      webAclId: 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/vod/abc',
      geoRestriction: cloudfront.GeoRestriction.allowlist('DE', 'FR'),
      priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
      playlistCacheDuration: Duration.seconds(5),
      defaultBehavior: { origin: new origins.HttpOrigin('app.example.com') },
    }));
    const template = Template.fromStack(stack);
    const config = distributionConfig(template);
    expect(config).toMatchObject({
      WebACLId: 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/vod/abc',
      Restrictions: { GeoRestriction: { Locations: ['DE', 'FR'], RestrictionType: 'whitelist' } },
      PriceClass: 'PriceClass_All',
    });
    expect(config.DefaultCacheBehavior.TrustedKeyGroups).toBeUndefined();
    expect(config.Origins).toHaveLength(2);
    const playlists = config.CacheBehaviors.find((b: any) => b.PathPattern === 'videos/*.m3u8');
    expect(cachePolicyOf(template, playlists.CachePolicyId)).toMatchObject({ DefaultTTL: 5 });
    expect(acknowledgements(stack).map((ack) => ack.id)).not.toEqual(expect.arrayContaining(['AwsSolutions-CFR1']));
  });
});

describe('SignedCookieDistribution grants', () => {
  test('grantSign reads the active key\'s secret and nothing else; bindSigner also sets the environment', () => {
    const { stack, delivery } = build();
    const fn = new lambda.Function(stack, 'Api', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=()=>{}') });
    delivery.bindSigner(fn);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: {
          MEDIA_KEY_PAIR_ID: { Ref: logicalId(stack, delivery.publicKeys[0]) },
          MEDIA_SIGNING_SECRET_ARN: { Ref: logicalId(stack, delivery.signingKeySecret) },
        },
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(logicalId(stack, fn.role!)))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([{
      Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: logicalId(stack, delivery.signingKeySecret) },
    }]);
  });

  test('grantInvalidate allows invalidations of this distribution only', () => {
    const { stack, delivery } = build();
    const role = new iam.Role(stack, 'Ops', { assumedBy: new iam.AccountRootPrincipal() });
    delivery.grantInvalidate(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'cloudfront:CreateInvalidation' })] },
    });
  });

  test('playlistUrl names the master playlist on the viewer-facing domain', () => {
    const { delivery } = build((s) => ({
      domainNames: ['video.example.com'], certificate: acm.Certificate.fromCertificateArn(s, 'C', 'arn:aws:acm:us-east-1:111111111111:certificate/abc'),
    }));
    expect(delivery.playlistUrl('v1')).toBe('https://video.example.com/videos/v1/master.m3u8');
    // Without a domain of its own, the URL names the distribution's domain.
    const plain = build();
    expect(plain.stack.resolve(plain.delivery.playlistUrl('v1'))).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(plain.stack, plain.delivery.distribution), 'DomainName'] }, '/videos/v1/master.m3u8']],
    });
  });
});

describe('SignedCookieDistribution validation', () => {
  test.each<[string, (s: Stack) => SignedCookieDistributionProps, string]>([
    ['no signing keys', () => ({ signingKeys: [] }), 'signingKeys must hold at least one key'],
    ['two keys of one name', () => ({ signingKeys: [SigningKey.generate('A'), SigningKey.generate('A')] }), 'signing key names must be distinct, got A, A'],
    ['a domain without certificate', () => ({ domainNames: ['video.example.com'] }), 'domainNames and certificate go together'],
    ['a wildcard CORS origin', () => ({ corsAllowedOrigins: ['*'] }), 'corsAllowedOrigins entry "*" is not an origin'],
    ['a CORS origin with a path', () => ({ corsAllowedOrigins: ['https://a.example/player'] }), 'is not an origin'],
  ])('throws on %s', (_name, configure, message) => {
    expect(() => build(configure)).toThrow(message);
  });

  test('throws on bad key names and public keys', () => {
    expect(() => SigningKey.generate('my-key')).toThrow('a signing key name is 1 to 32 letters and digits, got "my-key"');
    const stack = new Stack(new App(), 'S');
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'x');
    expect(() => SigningKey.fromPublicKeyPem('K', '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----', secret))
      .toThrow('publicKeyPem must be a PEM public key');
  });
});
