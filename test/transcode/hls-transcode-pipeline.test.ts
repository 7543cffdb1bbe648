import {
  App, Duration, RemovalPolicy, Stack,
  aws_cloudwatch_actions as actions, aws_events as events, aws_iam as iam, aws_kms as kms, aws_s3 as s3, aws_sns as sns,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Acceleration, HlsLadder, HlsTranscodePipeline, HlsTranscodePipelineProps, QualityTuning, SecureUploadBucket } from '../../src';
import { transcriptionPrefix } from '../../src/transcode/transcription-names';
import { acknowledgements, maskedTemplate, nag2Findings, nagFindings } from '../helpers';

function build(props?: HlsTranscodePipelineProps, configure?: (stack: Stack) => HlsTranscodePipelineProps) {
  const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
  const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pipeline = new HlsTranscodePipeline(stack, 'Transcode', configure ? configure(stack) : props);
  return { app, stack, pipeline };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as any);
}

/** The pipeline settings the submit handler receives, resolved as CloudFormation would see them. */
function pipelineSettings(template: Template): any {
  const fn = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('submits its MediaConvert job') } });
  const value = Object.values(fn)[0].Properties.Environment.Variables.PIPELINE_SETTINGS;
  // Tokens render as Fn::Join parts; join the literal parts and mark the references.
  const parts = value['Fn::Join'] ? value['Fn::Join'][1] : [value];
  return JSON.parse(parts.map((part: unknown) => (typeof part === 'string' ? part : '<ref>')).join(''));
}

function statementsOf(template: Template, roleLogicalId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('encryptSegments', () => {
  test('off by default: no content keys table, no encryption in the settings', () => {
    const { stack, pipeline } = build();
    expect(pipeline.contentKeysTable).toBeUndefined();
    expect(pipelineSettings(Template.fromStack(stack)).encryption).toBeUndefined();
  });

  test('on: a retained keys table with point-in-time recovery; the submit and check handlers make, read and remove keys, nothing else does', () => {
    const { stack, pipeline } = build({ encryptSegments: true, keyServerUrl: 'https://media.example.com' });
    const template = Template.fromStack(stack);
    const keysId = logicalId(stack, pipeline.contentKeysTable as any);
    expect(template.findResources('AWS::DynamoDB::Table')[keysId]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'videoId', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
    expect(pipelineSettings(template).encryption).toEqual({ keyServerUrl: 'https://media.example.com', keysTable: '<ref>' });
    const onKeys = (fn: { role?: unknown }) => statementsOf(template, logicalId(stack, fn.role as any))
      .filter((statement) => JSON.stringify(statement.Resource).includes(keysId))
      .flatMap((statement) => [statement.Action].flat()).sort();
    expect(onKeys(pipeline.submitFunction)).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(onKeys(pipeline.reconcileFunction)).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(onKeys(pipeline.statusFunction)).toEqual([]);
    // No key in the template: keys are made at run time, one per video.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/StaticKeyValue|staticKeyValue/);
    expect(nagFindings(stack)).toEqual([]);
  });

  test('needs the key server\'s origin, and only an origin', () => {
    expect(() => build({ encryptSegments: true })).toThrow('encryptSegments needs keyServerUrl');
    for (const bad of ['media.example.com', 'https://media.example.com/api', 'ftp://x y']) {
      expect(() => build({ encryptSegments: true, keyServerUrl: bad })).toThrow('keyServerUrl must be an origin');
    }
  });
});

describe('HlsTranscodePipeline defaults', () => {
  const { stack, pipeline } = build();
  const template = Template.fromStack(stack);

  test('each handler\'s log group and each rule is exposed, and is the one wired', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('submits its MediaConvert job'),
      LoggingConfig: { LogGroup: { Ref: logicalId(stack, pipeline.submitLogGroup) } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Turns MediaConvert job events into transcode status',
      LoggingConfig: { LogGroup: { Ref: logicalId(stack, pipeline.statusLogGroup) } },
    });
    const rule = (construct: events.IRule) => template.toJSON().Resources[logicalId(stack, construct)].Properties;
    expect(rule(pipeline.sourceCreatedRule).Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack, pipeline.submitFunction), 'Arn'] });
    expect(rule(pipeline.jobStateRule).Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack, pipeline.statusFunction), 'Arn'] });
  });

  test('with no props it creates its upload bucket, a private output bucket and a jobs table with PITR', () => {
    expect(pipeline.uploads).toBeInstanceOf(SecureUploadBucket);
    expect(pipeline.sourceBucket).toBe(pipeline.uploads!.bucket);
    template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      CorsConfiguration: Match.anyValue(),
    });
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        LoggingConfiguration: Match.anyValue(),
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        CorsConfiguration: Match.absent(),
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: { Rules: [{ Id: 'ExpireNoncurrentVersions', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }] },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'videoId', KeyType: 'HASH' }, { AttributeName: 'uploadId', KeyType: 'RANGE' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Retain',
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  test('the submit handler hears of new objects under uploads/ of the source bucket only', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: logicalId(stack, pipeline.sourceBucket) }] }, object: { key: [{ prefix: 'uploads/' }] } },
      },
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [logicalId(stack, pipeline.submitFunction), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, pipeline.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
      })],
    });
  });

  test('the status handler hears only this pipeline\'s job events', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.mediaconvert'],
        'detail-type': ['MediaConvert Job State Change'],
        'detail': { userMetadata: { 'cdk-secure-vod-pipeline': [pipeline.pipelineId] }, status: Match.arrayWith(['COMPLETE', 'ERROR']) },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack, pipeline.statusFunction), 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
  });

  test('both handlers send failed asynchronous invocations to the dead-letter queue after two retries', () => {
    for (const fn of [pipeline.submitFunction, pipeline.statusFunction]) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(stack, fn) },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, pipeline.deadLetterQueue), 'Arn'] } } },
      });
    }
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  test('alarms watch failed jobs, dead letters and the scheduled check', () => {
    expect(pipeline.alarms).toHaveLength(3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, pipeline.reconcileFunction) } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'JobsFailed',
      Namespace: 'CdkSecureVod',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: Match.arrayWith([{ Name: 'Pipeline', Value: pipeline.pipelineId }, { Name: 'service', Value: 'transcode' }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
  });

  test('MediaConvert\'s role reads only uploads/ and writes only videos/ and posters/', () => {
    const statements = statementsOf(template, logicalId(stack, pipeline.mediaConvertRole));
    const source = { 'Fn::GetAtt': [logicalId(stack, pipeline.sourceBucket), 'Arn'] };
    const output = { 'Fn::GetAtt': [logicalId(stack, pipeline.outputBucket), 'Arn'] };
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [source, '/uploads/*']] } },
      { Effect: 'Allow', Action: 's3:PutObject', Resource: [{ 'Fn::Join': ['', [output, '/videos/*']] }, { 'Fn::Join': ['', [output, '/posters/*']] }] },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'mediaconvert.amazonaws.com' } })] },
    });
  });

  test('the submit handler creates jobs in the Default queue, probes, and passes only the MediaConvert role', () => {
    const statements = statementsOf(template, logicalId(stack, pipeline.submitFunction.role!));
    expect(statements).toEqual(expect.arrayContaining([
      {
        Effect: 'Allow',
        // SearchJobs finds a job an earlier try created, in the same queue.
        Action: ['mediaconvert:CreateJob', 'mediaconvert:SearchJobs'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':mediaconvert:eu-west-1:111111111111:queues/Default']] },
      },
      { Effect: 'Allow', Action: 'mediaconvert:Probe', Resource: '*' },
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': [logicalId(stack, pipeline.mediaConvertRole), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' } },
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: { 'Fn::GetAtt': [logicalId(stack, pipeline.jobsTable), 'Arn'] },
      },
      expect.objectContaining({ Action: 'events:PutEvents' }),
    ]));
    const statusStatements = statementsOf(template, logicalId(stack, pipeline.statusFunction.role!));
    expect(JSON.stringify(statusStatements)).not.toMatch(/mediaconvert|iam:PassRole/);
    // S3: only what the thumbnails track needs, reading playlists and writing the track.
    const output = { 'Fn::GetAtt': [logicalId(stack, pipeline.outputBucket as any), 'Arn'] };
    expect(statusStatements.filter((statement) => JSON.stringify(statement.Action).includes('s3:'))).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [output, '/videos/*.m3u8']] } },
      { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [output, '/videos/*/thumbnails.vtt']] } },
    ]);
  });

  test('scrub thumbnails are on: the plan asks for image-based trick play', () => {
    expect(pipelineSettings(template).plan.trickPlay).toEqual({ intervalSeconds: 5, thumbnailLongSide: 320, tileColumns: 5, tileRows: 5 });
  });

  test('trickPlay false: no trick play in the plan and no S3 access for the status handler', () => {
    const off = build({ trickPlay: false });
    const offTemplate = Template.fromStack(off.stack);
    expect(pipelineSettings(offTemplate).plan.trickPlay).toBeUndefined();
    expect(JSON.stringify(statementsOf(offTemplate, logicalId(off.stack, off.pipeline.statusFunction.role!)))).not.toMatch(/s3:/);
  });

  test('no automatic captions unless asked for: no speech plan, no Transcribe rule or permission', () => {
    expect(pipelineSettings(template).plan.speech).toBeUndefined();
    expect(pipeline.transcriptionStateRule).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toMatch(/transcribe/i);
  });

  test('automatic captions: the plan asks for speech, the status handler starts and reads this pipeline\'s jobs only, and hears when they finish', () => {
    const on = build({ automaticCaptions: { identifyLanguage: true, languageOptions: ['en-US', 'fr-FR'] } });
    const onTemplate = Template.fromStack(on.stack);
    expect(pipelineSettings(onTemplate).plan.speech).toEqual({ languageOptions: ['en-US', 'fr-FR'], dataAccessRoleArn: '<ref>' });
    // Queued jobs read and write with Transcribe's own role, which the handler may pass to Transcribe only.
    onTemplate.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'transcribe.amazonaws.com' } })] },
    });
    const transcribeRole = JSON.stringify(statementsOf(onTemplate, logicalId(on.stack, on.pipeline.transcriptionRole!)));
    expect(transcribeRole).toContain('/videos/*/speech.mp3');
    expect(transcribeRole).toContain('/videos/*/transcript/*');
    expect(transcribeRole).not.toContain('transcribe:');
    const prefix = transcriptionPrefix(on.pipeline.pipelineId);
    onTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.transcribe'],
        'detail-type': ['Transcribe Job State Change'],
        'detail': { TranscriptionJobStatus: ['COMPLETED', 'FAILED'], TranscriptionJobName: [{ prefix }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(on.stack, on.pipeline.statusFunction), 'Arn'] } })],
    });
    const statements = JSON.stringify(statementsOf(onTemplate, logicalId(on.stack, on.pipeline.statusFunction.role!)));
    expect(statements).toContain(`:transcription-job/${prefix}*`);
    // StartTranscriptionJob has no resource-level permissions; GetTranscriptionJob reads this pipeline's jobs only.
    expect(statements).toContain('{"Action":"transcribe:StartTranscriptionJob","Effect":"Allow","Resource":"*"}');
    expect(statements).toMatch(new RegExp(`"Action":"transcribe:GetTranscriptionJob","Effect":"Allow","Resource":\\{"Fn::Join":\\["",\\[[^\\]]*:transcription-job/${prefix}\\*"`));
    expect(statements).toContain('/videos/*/speech.mp3');
    expect(statements).toContain('/videos/*/transcript/*');
    expect(statements).toContain('"iam:PassedToService":"transcribe.amazonaws.com"');
    expect(nagFindings(on.stack)).toEqual([]);
    expect(nag2Findings(on.stack)).toEqual([]);
    expect(pipelineSettings(Template.fromStack(build({ automaticCaptions: {} }).stack)).plan.speech).toEqual({ languageCode: 'en-US', dataAccessRoleArn: '<ref>' });
  });

  test('the handlers run on Node.js 24 arm64 with tracing and get the pipeline settings', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } }, 4);
    const settings = pipelineSettings(template);
    expect(settings).toMatchObject({
      pipelineId: pipeline.pipelineId,
      acceleration: 'DISABLED',
      priority: 0,
      plan: {
        ladder: HlsLadder.standard()._toSpec(),
        segmentSeconds: 6,
        qualityTuning: 'SINGLE_PASS_HQ',
        posters: { intervalSeconds: 5, maxCaptures: 3 },
        download: false,
        overrides: [],
      },
    });
  });

  test('a sparse index of uploads in flight, and a check every 5 minutes of those in flight over 30 minutes, draining the dead letters', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      // One index: DynamoDB creates one global secondary index per table update.
      GlobalSecondaryIndexes: [{
        IndexName: 'work',
        KeySchema: [{ AttributeName: 'work', KeyType: 'HASH' }, { AttributeName: 'workAt', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' },
      }],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack, pipeline.reconcileFunction), 'Arn'] } })],
    });
    expect(pipelineSettings(template).reconcile).toEqual({ stuckAfterSeconds: 1800, maxSubmitTries: 5 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DEAD_LETTER_QUEUE_URL: { Ref: logicalId(stack, pipeline.deadLetterQueue) } }) },
    });
    const statements = statementsOf(template, logicalId(stack, pipeline.reconcileFunction.role!));
    expect(statements).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: 'mediaconvert:GetJob', Resource: '*' },
      expect.objectContaining({ Action: expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']) }),
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: [
          { 'Fn::GetAtt': [logicalId(stack, pipeline.jobsTable), 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack, pipeline.jobsTable), 'Arn'] }, '/index/work']] },
        ],
      },
    ]));
  });

  test('deleting a video: the submit handler removes every version under videos/ and posters/, the check under uploads/ after 7 days', () => {
    expect(pipelineSettings(template).sourceRetentionSeconds).toBe(7 * 24 * 3600);
    const output = { 'Fn::GetAtt': [logicalId(stack, pipeline.outputBucket), 'Arn'] };
    const source = { 'Fn::GetAtt': [logicalId(stack, pipeline.sourceBucket), 'Arn'] };
    const submit = statementsOf(template, logicalId(stack, pipeline.submitFunction.role!));
    expect(submit).toEqual(expect.arrayContaining([
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:ListBucketVersions'],
        Resource: output,
        Condition: { StringLike: { 's3:prefix': ['videos/*', 'posters/*'] } },
      },
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        Resource: [{ 'Fn::Join': ['', [output, '/videos/*']] }, { 'Fn::Join': ['', [output, '/posters/*']] }],
      },
    ]));
    // The submit handler never deletes a source.
    expect(JSON.stringify(submit.filter((s: { Action: unknown }) => JSON.stringify(s.Action).includes('Delete')))).not.toContain('uploads/');
    expect(statementsOf(template, logicalId(stack, pipeline.reconcileFunction.role!))).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'], Resource: { 'Fn::Join': ['', [source, '/uploads/*']] } },
    ]));
  });

  test('no AwsSolutions or Serverless finding is left, and every acknowledgement gives its reason', () => {
    expect(nagFindings(stack)).toEqual([]);
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(40);
    }
    expect(acks.filter((ack) => ack.path.endsWith('/MediaConvertRole')).map((ack) => ack.id).sort()).toEqual([
      `AwsSolutions-IAM5[Resource::<${logicalId(stack, pipeline.outputBucket)}.Arn>/posters/*]`,
      `AwsSolutions-IAM5[Resource::<${logicalId(stack, pipeline.outputBucket)}.Arn>/videos/*]`,
      `AwsSolutions-IAM5[Resource::<${logicalId(stack, pipeline.sourceBucket)}.Arn>/uploads/*]`,
    ]);
  });

  test('snapshot', () => {
    expect(maskedTemplate(stack)).toMatchSnapshot();
  });
});

describe('HlsTranscodePipeline under cdk-nag 2', () => {
  test('the AwsSolutions and Serverless packs find nothing: every acknowledgement reaches cdk-nag 2 too', () => {
    expect(nag2Findings(build().stack)).toEqual([]);
  });
});

describe('HlsTranscodePipeline options', () => {
  test('brought buckets are used: the source gets EventBridge notifications, and KMS keys are granted', () => {
    const { stack, pipeline } = build(undefined, (s) => {
      const uploads = new SecureUploadBucket(s, 'Uploads', { encryptionKey: new kms.Key(s, 'SourceKey', { enableKeyRotation: true }) });
      const output = new s3.Bucket(s, 'Out', {
        encryption: s3.BucketEncryption.KMS, encryptionKey: new kms.Key(s, 'OutKey', { enableKeyRotation: true }), enforceSSL: true,
      });
      return { sourceBucket: uploads.bucket, outputBucket: output };
    });
    const template = Template.fromStack(stack);
    expect(pipeline.uploads).toBeUndefined();
    template.resourceCountIs('AWS::S3::Bucket', 3); // uploads, its access logs, the output
    const onKey = (key: string) => statementsOf(template, logicalId(stack, pipeline.mediaConvertRole))
      .filter((statement: { Resource: unknown }) => JSON.stringify(statement.Resource).includes(key))
      .flatMap((statement: { Action: string | string[] }) => [statement.Action].flat());
    // MediaConvert writes large outputs as multipart uploads, which on an SSE-KMS bucket need kms:Decrypt too.
    expect(onKey('OutKey')).toEqual(expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']));
    expect(onKey('SourceKey')).toEqual(expect.arrayContaining(['kms:Decrypt']));
    expect(onKey('SourceKey')).not.toContain('kms:GenerateDataKey*');
  });

  test('an imported source bucket gets a warning to turn on EventBridge notifications', () => {
    const { stack } = build(undefined, (s) => ({ sourceBucket: s3.Bucket.fromBucketName(s, 'Imported', 'existing-sources') }));
    Annotations.fromStack(stack).hasWarning('/Stack/Transcode', Match.stringLikeRegexp('turn on Amazon EventBridge notifications'));
  });

  test('ladder, segments, tuning, posters, download, acceleration, queue and priority reach the submit handler', () => {
    const { stack, pipeline } = build({
      ladder: HlsLadder.uhd(),
      segmentLength: Duration.seconds(4),
      qualityTuning: QualityTuning.MULTI_PASS_HQ,
      posterCount: 0,
      downloadRendition: true,
      acceleration: Acceleration.PREFERRED,
      queueArn: 'arn:aws:mediaconvert:eu-west-1:111111111111:queues/vod',
      priority: 10,
    });
    const template = Template.fromStack(stack);
    expect(pipelineSettings(template)).toMatchObject({
      queueArn: 'arn:aws:mediaconvert:eu-west-1:111111111111:queues/vod',
      acceleration: 'PREFERRED',
      priority: 10,
      plan: { ladder: HlsLadder.uhd()._toSpec(), segmentSeconds: 4, qualityTuning: 'MULTI_PASS_HQ', download: true },
    });
    expect(pipelineSettings(template).plan.posters).toBeUndefined();
    const checked = build({ stuckJobThreshold: Duration.hours(2), stuckJobCheckInterval: Duration.minutes(15) });
    const checkedTemplate = Template.fromStack(checked.stack);
    expect(pipelineSettings(checkedTemplate).reconcile).toEqual({ stuckAfterSeconds: 7200, maxSubmitTries: 5 });
    checkedTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    expect(JSON.stringify(statementsOf(template, logicalId(stack, pipeline.submitFunction.role!)))).toContain('queues/vod');
  });

  test('settings overrides are carried to the handler, in order', () => {
    const { stack, pipeline } = build();
    pipeline.addSettingsOverride('OutputGroups.0.OutputGroupSettings.HlsGroupSettings.ProgramDateTime', 'INCLUDE');
    pipeline.addSettingsOverride('AdAvailOffset', 0);
    expect(pipelineSettings(Template.fromStack(stack)).plan.overrides).toEqual([
      { path: 'OutputGroups.0.OutputGroupSettings.HlsGroupSettings.ProgramDateTime', value: 'INCLUDE' },
      { path: 'AdAvailOffset', value: 0 },
    ]);
  });

  test('alarms notify the given action; the event bus, removal policy and log retention are honoured', () => {
    // three alarms: failed jobs, dead letters, the scheduled check
    const { stack } = build(undefined, (s) => ({
      alarmAction: new actions.SnsAction(new sns.Topic(s, 'Ops', { enforceSSL: true })),
      eventBus: new events.EventBus(s, 'Bus'),
      removalPolicy: RemovalPolicy.DESTROY,
      logRetention: 14,
    }));
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('^Ops') }] }, 3);
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STATUS_EVENT_BUS: { Ref: Match.stringLikeRegexp('^Bus') } }) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });

  test('onStatus makes a rule for this pipeline\'s events of the given states', () => {
    const { stack, pipeline } = build();
    pipeline.onStatus('Ready', {}, ['COMPLETE', 'ERROR']);
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['cdk-secure-vod.transcode'],
        'detail-type': ['Video Transcode Ready', 'Video Transcode Failed'],
        'detail': { pipelineId: [pipeline.pipelineId] },
      },
    });
    expect(() => pipeline.onStatus('Bad', {}, ['DONE'])).toThrow('unknown transcode state "DONE"');
  });

  test('grantRetry lets a caller invoke the submit handler', () => {
    const { stack, pipeline } = build();
    const api = new iam.Role(stack, 'Api', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    pipeline.grantRetry(api);
    expect(JSON.stringify(statementsOf(Template.fromStack(stack), logicalId(stack, api)))).toContain('lambda:InvokeFunction');
  });

  test('grantCaptionWrites reads any video\'s files but writes only caption files and master playlists', () => {
    const { stack, pipeline } = build();
    const api = new iam.Role(stack, 'Api', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    pipeline.grantCaptionWrites(api);
    const statements = statementsOf(Template.fromStack(stack), logicalId(stack, api));
    const resources = (action: string) => JSON.stringify(statements
      .filter((statement: any) => JSON.stringify(statement.Action).includes(action)).map((statement: any) => statement.Resource));
    expect(resources('s3:PutObject')).toContain('/videos/*/captions/*');
    expect(resources('s3:PutObject')).toContain('/videos/*/master.m3u8');
    expect(resources('s3:PutObject')).not.toMatch(/\/videos\/\*"/);
    expect(resources('s3:GetObject')).toMatch(/\/videos\/\*"/);
    // ListBucket on the bucket, without an s3:prefix condition a GetObject request could never meet: a missing key is then NoSuchKey.
    expect(statements).toContainEqual(expect.objectContaining({ Action: 's3:ListBucket', Resource: expect.anything() }));
    expect(JSON.stringify(statements.filter((statement: any) => statement.Action === 's3:ListBucket'))).not.toContain('Condition');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('grantPosterPicks reads thumbnails tracks and tiles, and writes and deletes only picked posters', () => {
    const { stack, pipeline } = build();
    const api = new iam.Role(stack, 'Api', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    pipeline.grantPosterPicks(api);
    const statements = statementsOf(Template.fromStack(stack), logicalId(stack, api));
    const resources = (action: string) => JSON.stringify(statements
      .filter((statement: any) => JSON.stringify(statement.Action).includes(action)).map((statement: any) => statement.Resource));
    expect(resources('s3:PutObject')).toMatch(/"\/posters\/\*\/picked-\*"\]/);
    expect(resources('s3:DeleteObject')).toBe(resources('s3:PutObject'));
    // Not the pipeline's own posters, nor anything under videos/.
    expect(resources('s3:PutObject')).not.toMatch(/\/posters\/\*"|\/videos\//);
    expect(resources('s3:GetObject')).toContain('/videos/*/thumbnails.vtt');
    expect(resources('s3:GetObject')).toContain('/videos/*.jpg');
    expect(resources('s3:GetObject')).not.toMatch(/\/videos\/\*"|\/posters\//);
    // ListBucket on the bucket, without an s3:prefix condition a GetObject request could never meet: a missing key is then NoSuchKey.
    expect(statements).toContainEqual(expect.objectContaining({ Action: 's3:ListBucket', Resource: expect.anything() }));
    expect(JSON.stringify(statements.filter((statement: any) => statement.Action === 's3:ListBucket'))).not.toContain('Condition');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('the cost of the pipeline\'s ladder counts the download when there is one', () => {
    expect(build({ downloadRendition: true }).pipeline.outputMinutesPerSourceMinute(1080))
      .toEqual({ sdMinutes: 3, hdMinutes: 3, uhdMinutes: 0, totalMinutes: 6, professionalTier: false });
    expect(build().pipeline.outputMinutesPerSourceMinute().totalMinutes).toBe(5);
  });

  test('two pipelines in one stack have distinct ids and no physical names', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const a = new HlsTranscodePipeline(stack, 'A');
    const b = new HlsTranscodePipeline(stack, 'B');
    expect(a.pipelineId).not.toBe(b.pipelineId);
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toMatch(/"(BucketName|FunctionName|RoleName|TableName|QueueName)":\s*"/);
  });
});

describe('HlsTranscodePipeline validation', () => {
  test.each<[string, HlsTranscodePipelineProps, string]>([
    ['a fractional segment', { segmentLength: Duration.millis(6500) }, 'segmentLength must be a whole number of seconds from 1 to 60'],
    ['a long segment', { segmentLength: Duration.minutes(2) }, 'segmentLength must be a whole number of seconds from 1 to 60, got 2 minutes'],
    ['too many posters', { posterCount: 51 }, 'posterCount must be a whole number from 0 to 50, got 51'],
    ['a zero poster interval', { posterInterval: Duration.seconds(0) }, 'posterInterval must be a whole number of seconds from 1 to 3600'],
    ['a priority out of range', { priority: 51 }, 'priority must be a whole number from -50 to 50, got 51'],
    ['a stuck-job threshold under a minute', { stuckJobThreshold: Duration.seconds(30) }, 'stuckJobThreshold must be a whole number of seconds from 60 to 604800'],
    ['a check interval over a day', { stuckJobCheckInterval: Duration.days(2) }, 'stuckJobCheckInterval must be a whole number of seconds from 60 to 86400'],
    ['a source retention under an hour', { sourceRetention: Duration.minutes(5) }, 'sourceRetention must be a whole number of seconds from 3600'],
    ['a language that is not Transcribe\'s', { automaticCaptions: { languageCode: 'english' } }, 'automaticCaptions.language codes are Amazon Transcribe\'s, such as "en-US", got "english"'],
    ['language options without identification', { automaticCaptions: { languageOptions: ['en-US', 'fr-FR'] } }, 'automaticCaptions.languageOptions go with identifyLanguage'],
    ['one language option', { automaticCaptions: { identifyLanguage: true, languageOptions: ['en-US'] } }, 'languageOptions needs two or more languages to choose among, got 1'],
  ])('throws on %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('throws on a malformed override path', () => {
    const { pipeline } = build();
    expect(() => pipeline.addSettingsOverride('OutputGroups..Name', 1)).toThrow('settings override path must be dotted names and indexes');
  });

  test('synth fails when the overrides would not fit in the handler\'s environment', () => {
    const { app, pipeline } = build();
    pipeline.addSettingsOverride('Inputs.0.FileInput', 'x'.repeat(4000));
    expect(() => app.synth()).toThrow(/Lambda environments hold 4 KB/);
  });
});
