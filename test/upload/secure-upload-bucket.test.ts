import { App, Duration, RemovalPolicy, Size, Stack, aws_iam as iam, aws_kms as kms, aws_s3 as s3 } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SecureUploadBucket, SecureUploadBucketProps } from '../../src';
import { acknowledgements, maskedTemplate, nag2Findings, nagFindings } from '../helpers';

function build(props?: SecureUploadBucketProps) {
  const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
  const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const uploads = new SecureUploadBucket(stack, 'Uploads', props);
  return { app, stack, uploads };
}

function synth(props?: SecureUploadBucketProps) {
  const built = build(props);
  return { ...built, template: Template.fromStack(built.stack) };
}

function uploadBucketProps(template: Template): Record<string, any> {
  const buckets = template.findResources('AWS::S3::Bucket', { Properties: { CorsConfiguration: Match.anyValue() } });
  expect(Object.keys(buckets)).toHaveLength(1);
  return Object.values(buckets)[0].Properties;
}

function issuerEnvironment(template: Template): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function');
  expect(Object.keys(functions)).toHaveLength(1);
  return Object.values(functions)[0].Properties.Environment.Variables;
}

describe('SecureUploadBucket defaults', () => {
  const { stack, uploads, template } = synth();

  test('the bucket is private, encrypted with S3-managed keys, TLS-only, owner-enforced, versioned and retained', () => {
    const props = uploadBucketProps(template);
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    expect(props.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(props.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    // New sources are announced on EventBridge, in the bucket's own properties (no notifications custom resource).
    expect(props.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.hasResource('AWS::S3::Bucket', { Properties: { CorsConfiguration: Match.anyValue() }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: stack.getLogicalId(uploads.bucket.node.defaultChild as s3.CfnBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  test('incomplete multipart uploads are aborted after a day and old versions expire after 30 days; nothing is archived', () => {
    expect(uploadBucketProps(template).LifecycleConfiguration.Rules).toEqual([
      { Id: 'AbortIncompleteUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
      { Id: 'ExpireNoncurrentVersions', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' },
    ]);
  });

  test('browsers from any origin may POST and PUT, and read the ETag; synth warns about it', () => {
    expect(uploadBucketProps(template).CorsConfiguration.CorsRules).toEqual([{
      AllowedOrigins: ['*'], AllowedMethods: ['POST', 'PUT'], AllowedHeaders: ['*'], ExposedHeaders: ['ETag'], MaxAge: 3600,
    }]);
    Annotations.fromStack(stack).hasWarning('/Stack/Uploads', Match.stringLikeRegexp('allows browser uploads from any origin'));
  });

  test('server access logs go to a private log bucket that keeps them 90 days', () => {
    const logs = uploads.accessLogsBucket!.node.defaultChild as s3.CfnBucket;
    expect(uploadBucketProps(template).LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: stack.getLogicalId(logs) } });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ Id: 'ExpireAccessLogs', ExpirationInDays: 90, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Status: 'Enabled' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true }),
    });
  });

  test('the issuer runs on Node.js 24 arm64 with tracing, a one-year log group and the default settings', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 256, Timeout: 29, TracingConfig: { Mode: 'Active' },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: stack.getLogicalId(uploads.issuerLogGroup.node.defaultChild as any) } },
      Role: { 'Fn::GetAtt': [stack.getLogicalId(uploads.issuerFunction.role!.node.defaultChild as any), 'Arn'] },
    });
    expect(issuerEnvironment(template)).toEqual({
      UPLOAD_BUCKET: { Ref: stack.getLogicalId(uploads.bucket.node.defaultChild as s3.CfnBucket) },
      UPLOAD_MAX_BYTES: String(50 * 1024 ** 3),
      UPLOAD_MULTIPART_THRESHOLD_BYTES: String(100 * 1024 ** 2),
      UPLOAD_PART_BYTES: String(16 * 1024 ** 2),
      UPLOAD_CONTENT_TYPES: 'video/*',
      UPLOAD_URL_EXPIRY_SECONDS: '900',
      AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    });
  });

  test('the issuer may write only under uploads/, list only that prefix, and never read or delete', () => {
    const bucketArn = { 'Fn::GetAtt': [stack.getLogicalId(uploads.bucket.node.defaultChild as s3.CfnBucket), 'Arn'] };
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const s3Statements = statements.filter((statement) => [statement.Action].flat().some((action: string) => action.startsWith('s3:')));
    expect(s3Statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: { 'Fn::Join': ['', [bucketArn, '/uploads/*']] },
      },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': 'uploads/*' } } },
    ]);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  test('no AwsSolutions or Serverless finding is left, and every acknowledgement gives its reason', () => {
    expect(nagFindings(stack)).toEqual([]);
    const acks = acknowledgements(stack);
    expect(acks.map((ack) => ack.id)).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(uploads.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/uploads/*]`,
      'AwsSolutions-S1',
      'Serverless-LambdaDLQ',
    ]);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(40);
    }
  });

  test('snapshot', () => {
    expect(maskedTemplate(stack)).toMatchSnapshot();
  });
});

describe('SecureUploadBucket options', () => {
  test('named origins replace the wildcard and silence the warning', () => {
    const { stack, template } = synth({ allowedOrigins: ['https://video.example.com', 'http://localhost:3000'] });
    expect(uploadBucketProps(template).CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual(['https://video.example.com', 'http://localhost:3000']);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('any origin'))).toEqual([]);
  });

  test('a customer managed key encrypts with SSE-KMS and a bucket key, and the issuer may use it', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new SecureUploadBucket(stack, 'Uploads', { encryptionKey: key });
    const template = Template.fromStack(stack);
    expect(uploadBucketProps(template).BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] } },
      }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']) })]) },
    });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('sizes, types and expiry reach the issuer', () => {
    const { template } = synth({
      maxUploadSize: Size.tebibytes(5),
      multipartThreshold: Size.gibibytes(5),
      partSize: Size.mebibytes(64),
      allowedContentTypes: ['video/mp4', 'application/mxf'],
      uploadUrlExpiry: Duration.hours(2),
    });
    expect(issuerEnvironment(template)).toMatchObject({
      UPLOAD_MAX_BYTES: String(5 * 1024 ** 4),
      UPLOAD_MULTIPART_THRESHOLD_BYTES: String(5 * 1024 ** 3),
      UPLOAD_PART_BYTES: String(64 * 1024 ** 2),
      UPLOAD_CONTENT_TYPES: 'video/mp4,application/mxf',
      UPLOAD_URL_EXPIRY_SECONDS: '7200',
    });
  });

  test('sources can be archived to a colder class, and the lifecycle durations changed', () => {
    const { template } = synth({
      archiveAfter: Duration.days(90),
      archiveStorageClass: s3.StorageClass.DEEP_ARCHIVE,
      abortIncompleteUploadsAfter: Duration.days(3),
      noncurrentVersionRetention: Duration.days(7),
    });
    expect(uploadBucketProps(template).LifecycleConfiguration.Rules).toEqual([
      { Id: 'AbortIncompleteUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 }, Status: 'Enabled' },
      { Id: 'ExpireNoncurrentVersions', NoncurrentVersionExpiration: { NoncurrentDays: 7 }, Status: 'Enabled' },
      { Id: 'ArchiveSources', Prefix: 'uploads/', Transitions: [{ StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 90 }], Status: 'Enabled' },
    ]);
  });

  test('archiving defaults to Glacier Instant Retrieval, which MediaConvert reads directly', () => {
    const { template } = synth({ archiveAfter: Duration.days(30) });
    expect(uploadBucketProps(template).LifecycleConfiguration.Rules[2].Transitions).toEqual([{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }]);
  });

  test('removal policy, log retention, tracing and a given access log bucket are honoured', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const logs = new s3.Bucket(stack, 'Logs');
    const uploads = new SecureUploadBucket(stack, 'Uploads', {
      removalPolicy: RemovalPolicy.DESTROY, accessLogsBucket: logs, logRetention: 7, tracing: 'PassThrough' as any,
    });
    const template = Template.fromStack(stack);
    expect(uploads.accessLogsBucket).toBe(logs);
    template.hasResource('AWS::S3::Bucket', { Properties: { CorsConfiguration: Match.anyValue() }, DeletionPolicy: 'Delete' });
    expect(uploadBucketProps(template).LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: stack.getLogicalId(logs.node.defaultChild as s3.CfnBucket) }, LogFilePrefix: 'upload-bucket/',
    });
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'PassThrough' } });
  });

  test('a bucket of this app gets the CORS and lifecycle rules; no new bucket is made', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const mine = new s3.Bucket(stack, 'Mine');
    const uploads = new SecureUploadBucket(stack, 'Uploads', { bucket: mine, allowedOrigins: ['https://a.example'] });
    const template = Template.fromStack(stack);
    expect(uploads.bucket).toBe(mine);
    expect(uploads.accessLogsBucket).toBeUndefined();
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ['https://a.example'] })] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'AbortIncompleteUploads' })]) },
    });
  });

  test('an imported bucket is used as it is, with a warning about CORS and lifecycle', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const imported = s3.Bucket.fromBucketName(stack, 'Imported', 'existing-sources');
    new SecureUploadBucket(stack, 'Uploads', { bucket: imported, allowedOrigins: ['https://a.example'] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(issuerEnvironment(template).UPLOAD_BUCKET).toBe('existing-sources');
    Annotations.fromStack(stack).hasWarning('/Stack/Uploads', Match.stringLikeRegexp('cannot add CORS or lifecycle rules to an imported bucket'));
    // The finding on the imported bucket's literal ARN ("::" in its id) is acknowledged too.
    expect(nagFindings(stack)).toEqual([]);
    expect(acknowledgements(stack).map((a) => a.id)).toContain('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::existing-sources/uploads/*]');
  });
});

describe('SecureUploadBucket under cdk-nag 2', () => {
  test('the AwsSolutions and Serverless packs find nothing, its bucket made or imported: every acknowledgement reaches cdk-nag 2 too', () => {
    expect(nag2Findings(build().stack)).toEqual([]);
    const app = new App();
    const stack = new Stack(app, 'Stack');
    new SecureUploadBucket(stack, 'Uploads', { bucket: s3.Bucket.fromBucketName(stack, 'Imported', 'existing-sources'), allowedOrigins: ['https://a.example'] });
    expect(nag2Findings(stack)).toEqual([]);
  });
});

describe('SecureUploadBucket grants and metrics', () => {
  test('grantIssueUploads lets a function invoke the issuer, and nothing more', () => {
    const { stack, uploads } = build();
    const caller = new iam.Role(stack, 'Api', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    uploads.grantIssueUploads(caller);
    const template = Template.fromStack(stack);
    const issuer = stack.getLogicalId(uploads.issuerFunction.node.defaultChild as any);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(caller.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [issuer, 'Arn'] },
        }],
      },
    });
  });

  test('grantReadSources reads only the uploads/ prefix', () => {
    const { stack, uploads } = build();
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('mediaconvert.amazonaws.com') });
    uploads.grantReadSources(reader);
    const statements = Template.fromStack(stack).toJSON().Resources;
    const policy = Object.values(statements as Record<string, any>).find((r) =>
      r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(stack.getLogicalId(reader.node.defaultChild as iam.CfnRole)));
    const objectResources = JSON.stringify(policy.Properties.PolicyDocument.Statement[0].Resource);
    expect(objectResources).toContain('/uploads/*');
    expect(policy.Properties.PolicyDocument.Statement[0].Action).toEqual(['s3:GetObject*', 's3:GetBucket*', 's3:List*']);
  });

  test('metrics name the bucket and the signals operators watch', () => {
    const { stack, uploads } = synth();
    const bucketName = stack.resolve(uploads.bucket.bucketName);
    for (const [metric, name, statistic] of [
      [uploads.metricUploadsIssued(), 'UploadsIssued', 'Sum'],
      [uploads.metricUploadsRefused(), 'UploadsRefused', 'Sum'],
      [uploads.metricUploadsCompleted(), 'UploadsCompleted', 'Sum'],
    ] as const) {
      expect(metric.namespace).toBe('CdkSecureVod');
      expect(metric.metricName).toBe(name);
      expect(metric.statistic).toBe(statistic);
      expect(stack.resolve(metric.dimensions)).toEqual({ service: 'uploads', BucketName: bucketName });
    }
    expect(stack.resolve(uploads.metricStoredBytes().dimensions)).toEqual({ BucketName: bucketName, StorageType: 'StandardStorage' });
    expect(uploads.metricStoredBytes().period.toDays()).toBe(1);
    expect(uploads.metricObjectCount().metricName).toBe('NumberOfObjects');
    expect(uploads.metricIssuerErrors().metricName).toBe('Errors');
  });
});

describe('SecureUploadBucket validation', () => {
  test.each<[string, SecureUploadBucketProps, string]>([
    ['an upload limit over 5 TiB', { maxUploadSize: Size.tebibytes(6) }, 'maxUploadSize (bytes) must be a whole number from 1 to 5497558138880, got 6597069766656'],
    ['a threshold over 5 GiB', { multipartThreshold: Size.gibibytes(6) }, 'multipartThreshold (bytes) must be a whole number from 1 to 5368709120'],
    ['parts under 5 MiB', { partSize: Size.mebibytes(4) }, 'partSize (bytes) must be a whole number from 5242880'],
    ['an expiry under a minute', { uploadUrlExpiry: Duration.seconds(30) }, 'uploadUrlExpiry (seconds) must be a whole number from 60 to 604800, got 30'],
    ['an expiry over seven days', { uploadUrlExpiry: Duration.days(8) }, 'got 691200'],
    ['no content types', { allowedContentTypes: [] }, 'allowedContentTypes must name at least one media type'],
    ['a content type with parameters', { allowedContentTypes: ['video/mp4; codecs=avc1'] }, 'is not a lower-case media type'],
    ['an origin with a path', { allowedOrigins: ['https://example.com/app'] }, 'allowedOrigins entry "https://example.com/app" is not an origin'],
    ['an origin with a trailing slash', { allowedOrigins: ['https://example.com/'] }, 'is not an origin'],
  ])('throws on %s', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('throws when a key or log bucket is given with a brought bucket', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'brought-sources');
    expect(() => new SecureUploadBucket(stack, 'U1', { bucket, encryptionKey: new kms.Key(stack, 'K') }))
      .toThrow('encryptionKey applies only to a bucket this construct creates');
    expect(() => new SecureUploadBucket(stack, 'U2', { bucket, accessLogsBucket: new s3.Bucket(stack, 'L') }))
      .toThrow('accessLogsBucket applies only to a bucket this construct creates');
  });

  test('two upload buckets deploy side by side: no physical names', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    new SecureUploadBucket(stack, 'A');
    new SecureUploadBucket(stack, 'B');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 4);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/"(BucketName|FunctionName|RoleName|LogGroupName)"/);
  });
});
