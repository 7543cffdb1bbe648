import {
  Arn, Duration, Lazy, Names, RemovalPolicy, Stack, Token,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  aws_logs as logs,
  aws_s3 as s3,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { HlsLadder, LadderCostEstimate } from './hls-ladder';
import type { EncodingPlan, SpeechPlan } from './job-settings.lambda-shared';
import { JobStatusFunction } from './job-status-function';
import { ReconcileJobsFunction } from './reconcile-jobs-function';
import { SubmitJobFunction } from './submit-job-function';
import { TRANSCODE_ENV, TRANSCODE_METRICS, WORK_INDEX } from './transcode-metrics';
import { transcriptionPrefix } from './transcription-names';
import { DEFAULT_TRICK_PLAY } from './trick-play.lambda-shared';
import { SOURCE_PREFIX } from '../contracts/source-keys';
import { JOB_METADATA_KEYS, OUTPUT_LAYOUT, TRANSCODE_DETAIL_TYPES, TRANSCODE_EVENT_SOURCE } from '../contracts/transcode-status';
import { bucketRemoval, createAccessLogsBucket, enableEventBridgeNotifications, SECURE_BUCKET_DEFAULTS, versionedLifecycle } from '../internal/buckets';
import { handlerBasics } from '../internal/handlers';
import { serviceMetric } from '../internal/metrics';
import { acknowledge, acknowledgeWildcardResource } from '../internal/nag';
import { createDeadLetterQueue } from '../internal/queues';
import { tableDefaults } from '../internal/tables';
import { SecureUploadBucket } from '../upload/secure-upload-bucket';

/**
 * How many passes MediaConvert makes over each rendition.
 */
export enum QualityTuning {
  /** Fastest; MediaConvert's Basic tier. */
  SINGLE_PASS = 'SINGLE_PASS',
  /** Balanced quality and speed; MediaConvert's Basic tier. */
  SINGLE_PASS_HQ = 'SINGLE_PASS_HQ',
  /** Best quality per bit; billed at MediaConvert's Professional tier. */
  MULTI_PASS_HQ = 'MULTI_PASS_HQ',
}

/**
 * MediaConvert's accelerated transcoding, a Professional tier feature.
 */
export enum Acceleration {
  /** Never accelerate. */
  DISABLED = 'DISABLED',
  /** Accelerate every job; a job whose settings do not allow it fails. */
  ENABLED = 'ENABLED',
  /** Accelerate the jobs that allow it. */
  PREFERRED = 'PREFERRED',
}

/**
 * How automatic captions are made with Amazon Transcribe.
 */
export interface AutomaticCaptionsOptions {
  /**
   * The language spoken in the videos, as an Amazon Transcribe language code
   * such as `en-US` or `fr-FR`. Ignored when `identifyLanguage` is set.
   *
   * @default 'en-US'
   */
  readonly languageCode?: string;

  /**
   * Have Amazon Transcribe identify each video's language instead.
   *
   * @default false
   */
  readonly identifyLanguage?: boolean;

  /**
   * With `identifyLanguage`, the language codes it chooses among: two or
   * more, which makes identification more accurate.
   *
   * @default - every language Amazon Transcribe identifies
   */
  readonly languageOptions?: string[];
}

/**
 * Properties of an HlsTranscodePipeline.
 */
export interface HlsTranscodePipelineProps {
  /**
   * The bucket sources are uploaded to, under `uploads/`. Pass a
   * SecureUploadBucket's `bucket`. EventBridge notifications are turned on for
   * a bucket of this app; an imported bucket must have them on already.
   *
   * @default - a new SecureUploadBucket
   */
  readonly sourceBucket?: s3.IBucket;

  /**
   * The bucket renditions are written to: `videos/<id>/` for the HLS ladder
   * (and the MP4 download), `posters/<id>/` for poster frames.
   *
   * @default - a new private, encrypted bucket with access logs
   */
  readonly outputBucket?: s3.IBucket;

  /**
   * The renditions of every source.
   *
   * @default HlsLadder.standard()
   */
  readonly ladder?: HlsLadder;

  /**
   * Length of HLS segments, in whole seconds from 1 to 60.
   *
   * @default Duration.seconds(6)
   */
  readonly segmentLength?: Duration;

  /**
   * Encoding passes per rendition. An automatic ladder always uses multi-pass.
   *
   * @default QualityTuning.SINGLE_PASS_HQ
   */
  readonly qualityTuning?: QualityTuning;

  /**
   * How many poster frames to capture, from 0 (none) to 50.
   *
   * @default 3
   */
  readonly posterCount?: number;

  /**
   * Time between poster frames, the first at the start, in whole seconds.
   *
   * @default Duration.seconds(5)
   */
  readonly posterInterval?: Duration;

  /**
   * Also encode an MP4 for download at `videos/<id>/download.mp4` (the top
   * rendition, at most 1080 on its short side).
   *
   * @default false
   */
  readonly downloadRendition?: boolean;

  /**
   * Scrub thumbnails: MediaConvert's image-based trick play on the HLS group
   * (a 320-pixel thumbnail every 5 seconds, tiled 5x5 into JPEG images, with
   * an images-only playlist referenced by `#EXT-X-IMAGE-STREAM-INF` in the
   * master playlist), and a WebVTT thumbnails track at
   * `videos/<id>/thumbnails.vtt` written when the job completes.
   *
   * @default true
   */
  readonly trickPlay?: boolean;

  /**
   * Automatic captions: each encode of a source with sound also gets an
   * audio-only MP3 (`videos/<id>/speech.mp3`), and once the video is READY
   * an Amazon Transcribe job turns its speech into WebVTT subtitles, which
   * the pipeline announces (`Video Captions Transcribed`) for the catalog to
   * add as a caption track marked automatic. A failure is recorded and never
   * holds the video back. Transcribe is billed per second of audio.
   *
   * @default - no automatic captions
   */
  readonly automaticCaptions?: AutomaticCaptionsOptions;

  /**
   * HLS AES-128 encryption of every segment: each video gets its own random
   * 16-byte content key, kept in the `contentKeysTable` (never in the output
   * bucket, a template or a log) and given to MediaConvert in the job's
   * settings, and the media playlists name `keyServerUrl`'s key route as the
   * key's URI. Segments in the bucket and at the CDN are then ciphertext. An
   * EntitlementApi given this pipeline answers the key only to a player
   * holding a live playback session of that video, so it needs a
   * `streamLimit`. AES-128 is not DRM: a viewer's player holds the key.
   * Within a VodPlatform, the platform's URL is the key server.
   *
   * @default false
   */
  readonly encryptSegments?: boolean;

  /**
   * The origin players fetch content keys from, where an EntitlementApi
   * answers `GET /api/videos/{videoId}/key`: the platform's URL, such as
   * `https://media.example.com`. Required with `encryptSegments`, outside a
   * VodPlatform.
   *
   * @default - the VodPlatform's URL; none outside one
   */
  readonly keyServerUrl?: string;

  /**
   * Accelerated transcoding.
   *
   * @default Acceleration.DISABLED
   */
  readonly acceleration?: Acceleration;

  /**
   * ARN of the MediaConvert queue jobs go to. MediaConvert has no L2
   * construct; pass the `attrArn` of a `CfnQueue` or the ARN of a queue you own.
   *
   * @default - the account's on-demand Default queue
   */
  readonly queueArn?: string;

  /**
   * Priority of the jobs in their queue, from -50 to 50.
   *
   * @default 0
   */
  readonly priority?: number;

  /**
   * How long an upload may stay in flight (being submitted, queued or
   * encoding) before the scheduled check compares it with MediaConvert. A
   * check of a job that is still encoding only records its progress, so a
   * short bound costs a GetJob call per long job and check, nothing more.
   *
   * @default Duration.minutes(30)
   */
  readonly stuckJobThreshold?: Duration;

  /**
   * How often the scheduled check runs. It also handles again the events and
   * invocations waiting in the dead-letter queue.
   *
   * @default Duration.minutes(5)
   */
  readonly stuckJobCheckInterval?: Duration;

  /**
   * How long the sources of a deleted video are kept before the scheduled
   * check removes them (every version), so that an admin can undo a mistaken
   * delete. Its renditions and posters are removed at once.
   *
   * @default Duration.days(7)
   */
  readonly sourceRetention?: Duration;

  /**
   * The bus status events are published to.
   *
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * Where the pipeline's alarms notify, for example an SNS topic action.
   *
   * @default - the alarms notify nobody; see `alarms`
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;

  /**
   * What happens to what this pipeline creates when it leaves the stack: the
   * jobs table, a new output bucket and its access-log bucket, the handlers'
   * log groups. With `RemovalPolicy.DESTROY` the buckets are emptied (every
   * version) and deleted, for development stacks.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the handlers' logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * X-Ray tracing of the handlers.
   *
   * @default lambda.Tracing.ACTIVE
   */
  readonly tracing?: lambda.Tracing;
}

/**
 * Turns every upload into an adaptive HLS ladder with MediaConvert.
 *
 * When a source arrives under `uploads/`, a handler probes it and submits one
 * job (a duplicated or retried event submits nothing more), with renditions
 * that keep the source's orientation and aspect ratio and never upscale it.
 * A second handler turns MediaConvert's job events into status, written with
 * conditional updates so that duplicate or out-of-order events change nothing,
 * and published to EventBridge (`source: cdk-secure-vod.transcode`) for the
 * catalog and for integrators. Failures keep their source and record why.
 */
export class HlsTranscodePipeline extends Construct {
  /** The bucket sources arrive in. */
  public readonly sourceBucket: s3.IBucket;

  /** The upload bucket this pipeline created; set only when no `sourceBucket` was given. */
  public readonly uploads?: SecureUploadBucket;

  /** The bucket renditions and posters are written to. */
  public readonly outputBucket: s3.IBucket;

  /** The role MediaConvert assumes: it reads `uploads/*` and writes `videos/*` and `posters/*`, nothing else. */
  public readonly mediaConvertRole: iam.IRole;

  /** The handler that probes sources and submits jobs. */
  public readonly submitFunction: lambda.IFunction;

  /** The handler that turns job events into status. */
  public readonly statusFunction: lambda.IFunction;

  /** The submit handler's log group. */
  public readonly submitLogGroup: logs.ILogGroup;

  /** The status handler's log group. */
  public readonly statusLogGroup: logs.ILogGroup;

  /** The scheduled check: uploads in flight too long against MediaConvert's GetJob, and dead letters handled again. */
  public readonly reconcileFunction: lambda.IFunction;

  /** The scheduled check's log group. */
  public readonly reconcileLogGroup: logs.ILogGroup;

  /** The schedule of the check. */
  public readonly reconcileRule: events.IRule;

  /** The rule that sends each new source under `uploads/` to the submit handler. */
  public readonly sourceCreatedRule: events.IRule;

  /** The rule that sends this pipeline's MediaConvert job events to the status handler. */
  public readonly jobStateRule: events.IRule;

  /** One record per upload: its state, progress, job, outputs or failure. Keys `videoId`, `uploadId`. */
  public readonly jobsTable: dynamodb.ITable;

  /** Where events and invocations that failed every retry are kept. */
  public readonly deadLetterQueue: sqs.IQueue;

  /** The bus status events go to. */
  public readonly eventBus: events.IEventBus;

  /** Failed jobs, dead letters and errors of the scheduled check; each notifies `alarmAction` when one was given. */
  public readonly alarms: cloudwatch.Alarm[];

  /** The rule sending this pipeline's finished Amazon Transcribe jobs to the status handler; set with `automaticCaptions`. */
  public readonly transcriptionStateRule?: events.Rule;

  /** The role Amazon Transcribe assumes for a queued job (reads `videos/<id>/speech.mp3`, writes `videos/<id>/transcript/`); set with `automaticCaptions`. */
  public readonly transcriptionRole?: iam.IRole;

  /**
   * The content keys of encrypted videos (partition key `videoId`), when the
   * pipeline encrypts segments. Losing it makes every encrypted video
   * unplayable: it is retained by default and has point-in-time recovery.
   */
  public readonly contentKeysTable?: dynamodb.ITable;

  /** Unique to this pipeline: jobs carry it in their user metadata, status events in their detail. */
  public readonly pipelineId: string;

  /** The ladder every source is encoded into. */
  public readonly ladder: HlsLadder;

  /** Whether an MP4 download is encoded besides the ladder. */
  public readonly downloadRendition: boolean;

  private readonly overrides: Array<{ path: string; value: unknown }> = [];

  constructor(scope: Construct, id: string, props: HlsTranscodePipelineProps = {}) {
    super(scope, id);
    const settings = this.validate(props);
    this.ladder = props.ladder ?? HlsLadder.standard();
    this.downloadRendition = props.downloadRendition ?? false;
    this.pipelineId = Names.uniqueId(this);

    if (props.sourceBucket) {
      enableEventBridgeNotifications(this, props.sourceBucket);
    } else {
      this.uploads = new SecureUploadBucket(this, 'Uploads');
    }
    this.sourceBucket = props.sourceBucket ?? this.uploads!.bucket;
    this.outputBucket = props.outputBucket ?? this.createOutputBucket(settings.removalPolicy);
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.jobsTable = this.createJobsTable(settings.removalPolicy);
    if (props.encryptSegments) {
      this.contentKeysTable = new dynamodb.Table(this, 'ContentKeys', {
        ...tableDefaults(settings.removalPolicy),
        partitionKey: { name: 'videoId', type: dynamodb.AttributeType.STRING },
      });
    }
    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetters', 'the pipeline\'s failed invocations and undeliverable events');
    this.mediaConvertRole = this.createMediaConvertRole();

    const queueArn = props.queueArn ?? Arn.format({ service: 'mediaconvert', resource: 'queues', resourceName: 'Default' }, Stack.of(this));
    const environment = this.handlerEnvironment(props, settings, queueArn);
    const submit = this.createSubmitFunction(props, settings.removalPolicy, environment, queueArn);
    this.submitFunction = submit;
    this.submitLogGroup = submit.logGroup;
    const status = new JobStatusFunction(this, 'StatusFunction',
      this.asyncHandlerOptions('Status', 'Turns MediaConvert job events into transcode status', props, settings.removalPolicy, environment,
        props.automaticCaptions ? 'Amazon Transcribe\'s StartTranscriptionJob has no resource-level permissions (Service Authorization Reference); the jobs it starts are named after this pipeline.' : undefined));
    this.statusFunction = status;
    if (props.trickPlay !== false) {
      // On COMPLETE, the status handler reads the master and images-only playlists and writes the WebVTT thumbnails track.
      const playlists = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*.m3u8`);
      const tracks = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*/thumbnails.vtt`);
      status.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [playlists] }));
      status.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [tracks] }));
      this.outputBucket.encryptionKey?.grantEncryptDecrypt(status);
      acknowledgeWildcardResource(status.role!, playlists,
        'The status handler reads the playlists of whichever video completes, named after its id: only .m3u8 objects under videos/.');
      acknowledgeWildcardResource(status.role!, tracks,
        'The status handler writes the thumbnails track of whichever video completes, named after its id: only videos/<id>/thumbnails.vtt.');
    }
    if (props.automaticCaptions) {
      this.transcriptionRole = this.grantTranscription(status);
    }
    this.statusLogGroup = status.logGroup;
    const reconcile = this.createReconcileFunction(props, settings.removalPolicy, environment, queueArn);
    if (this.contentKeysTable) {
      // Both submit jobs (the check resumes stranded submissions) and handle deletions, which remove a video's key.
      for (const fn of [submit, reconcile]) {
        fn.addToRolePolicy(new iam.PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [this.contentKeysTable.tableArn],
        }));
      }
    }
    this.reconcileFunction = reconcile;
    this.reconcileLogGroup = reconcile.logGroup;
    this.reconcileRule = this.createReconcileSchedule(reconcile, settings.checkInterval);
    for (const fn of [submit, status]) {
      acknowledge(fn, {
        id: 'Serverless-LambdaDLQ',
        reason: 'Failed asynchronous invocations go to an on-failure destination, the pipeline\'s dead-letter queue, which keeps the request and the error together as a DLQ would not.',
      });
    }
    this.sourceCreatedRule = this.createSourceCreatedRule(submit);
    this.jobStateRule = this.createJobStateRule(status);
    if (props.automaticCaptions) {
      this.transcriptionStateRule = new events.Rule(this, 'TranscriptionStateChanged', {
        description: 'This pipeline\'s Amazon Transcribe jobs, finished, become automatic captions',
        eventPattern: {
          source: ['aws.transcribe'],
          detailType: ['Transcribe Job State Change'],
          detail: {
            TranscriptionJobStatus: ['COMPLETED', 'FAILED'],
            TranscriptionJobName: [{ prefix: transcriptionPrefix(this.pipelineId) }],
          },
        },
        targets: [this.retriedTarget(status)],
      });
    }
    this.alarms = this.createAlarms(reconcile, props.alarmAction);
    this.node.addValidation({ validate: () => this.validateEnvironmentSize() });
  }


  private validate(props: HlsTranscodePipelineProps) {
    const posterCount = props.posterCount ?? 3;
    const priority = props.priority ?? 0;
    const checkInterval = props.stuckJobCheckInterval ?? Duration.minutes(5);
    const settings = {
      segmentSeconds: wholeSeconds('segmentLength', props.segmentLength ?? Duration.seconds(6), 1, 60),
      posterCount,
      posterSeconds: wholeSeconds('posterInterval', props.posterInterval ?? Duration.seconds(5), 1, 3600),
      priority,
      stuckAfterSeconds: wholeSeconds('stuckJobThreshold', props.stuckJobThreshold ?? Duration.minutes(30), 60, 7 * 24 * 3600),
      checkInterval,
      sourceRetentionSeconds: wholeSeconds('sourceRetention', props.sourceRetention ?? Duration.days(7), 3600, 365 * 24 * 3600),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    wholeSeconds('stuckJobCheckInterval', checkInterval, 60, 24 * 3600);
    if (!Number.isInteger(posterCount) || posterCount < 0 || posterCount > 50) {
      throw new Error(`HlsTranscodePipeline at ${this.node.path}: posterCount must be a whole number from 0 to 50, got ${posterCount}`);
    }
    if (!Number.isInteger(priority) || priority < -50 || priority > 50) {
      throw new Error(`HlsTranscodePipeline at ${this.node.path}: priority must be a whole number from -50 to 50, got ${priority}`);
    }
    if (props.encryptSegments && !props.keyServerUrl) {
      throw new Error(`HlsTranscodePipeline at ${this.node.path}: encryptSegments needs keyServerUrl, the origin where an EntitlementApi answers `
        + 'content keys (the platform\'s URL, such as https://media.example.com)');
    }
    if (props.keyServerUrl && !Token.isUnresolved(props.keyServerUrl) && !/^https?:\/\/[^/?#\s]+\/?$/.test(props.keyServerUrl)) {
      throw new Error(`HlsTranscodePipeline at ${this.node.path}: keyServerUrl must be an origin such as https://media.example.com, got ${props.keyServerUrl}`);
    }
    return settings;
  }

  private createOutputBucket(removalPolicy: RemovalPolicy): s3.Bucket {
    return new s3.Bucket(this, 'Output', {
      ...SECURE_BUCKET_DEFAULTS,
      // Renditions replaced by a new encode stay recoverable for a while.
      ...versionedLifecycle(30),
      ...bucketRemoval(removalPolicy),
      serverAccessLogsBucket: createAccessLogsBucket(this, 'OutputAccessLogs', Duration.days(90), removalPolicy),
    });
  }

  private createJobsTable(removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Jobs', {
      ...tableDefaults(removalPolicy),
      partitionKey: { name: 'videoId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'uploadId', type: dynamodb.AttributeType.STRING },
    });
    // Sparse: only uploads the scheduled check has work with carry its keys.
    table.addGlobalSecondaryIndex({
      indexName: WORK_INDEX.name,
      partitionKey: { name: WORK_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: WORK_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    return table;
  }

  /** MediaConvert reads sources and writes outputs with this role, and may touch nothing else. */
  private createMediaConvertRole(): iam.Role {
    const role = new iam.Role(this, 'MediaConvertRole', {
      assumedBy: new iam.ServicePrincipal('mediaconvert.amazonaws.com'),
      description: 'Reads uploaded sources and writes HLS renditions and posters',
    });
    const sources = this.sourceBucket.arnForObjects(`${SOURCE_PREFIX}*`);
    const videoOutputs = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*`);
    const posterOutputs = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.postersPrefix}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [sources] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [videoOutputs, posterOutputs] }));
    this.sourceBucket.encryptionKey?.grantDecrypt(role);
    // S3 needs kms:Decrypt besides kms:GenerateDataKey for a multipart upload to an SSE-KMS bucket, as MediaConvert makes for large outputs.
    this.outputBucket.encryptionKey?.grantEncryptDecrypt(role);
    const prefixReason = 'MediaConvert names its files after each source\'s video id, so the role reads any source under uploads/ and writes any file under videos/ and posters/, and nothing else.';
    for (const resource of [sources, videoOutputs, posterOutputs]) {
      acknowledgeWildcardResource(role, resource, prefixReason);
    }
    return role;
  }

  /** What every handler of the pipeline reads at start-up. */
  private handlerEnvironment(props: HlsTranscodePipelineProps, settings: ReturnType<HlsTranscodePipeline['validate']>, queueArn: string) {
    const speech = speechPlan(this.node.path, props.automaticCaptions);
    const plan = (): EncodingPlan => ({
      ladder: this.ladder._toSpec(),
      segmentSeconds: settings.segmentSeconds,
      qualityTuning: props.qualityTuning ?? QualityTuning.SINGLE_PASS_HQ,
      posters: settings.posterCount > 0 ? { intervalSeconds: settings.posterSeconds, maxCaptures: settings.posterCount } : undefined,
      download: this.downloadRendition,
      trickPlay: props.trickPlay === false ? undefined : DEFAULT_TRICK_PLAY,
      speech: speech && this.transcriptionRole ? { ...speech, dataAccessRoleArn: this.transcriptionRole.roleArn } : speech,
      overrides: this.overrides,
    });
    return {
      [TRANSCODE_ENV.settings]: Lazy.string({
        produce: () => Stack.of(this).toJsonString({
          pipelineId: this.pipelineId,
          roleArn: this.mediaConvertRole.roleArn,
          queueArn,
          sourceBucket: this.sourceBucket.bucketName,
          outputBucket: this.outputBucket.bucketName,
          plan: plan(),
          acceleration: props.acceleration ?? Acceleration.DISABLED,
          priority: settings.priority,
          reconcile: { stuckAfterSeconds: settings.stuckAfterSeconds, maxSubmitTries: MAX_SUBMIT_TRIES },
          sourceRetentionSeconds: settings.sourceRetentionSeconds,
          encryption: this.contentKeysTable ? { keyServerUrl: props.keyServerUrl, keysTable: this.contentKeysTable.tableName } : undefined,
        }),
      }),
      [TRANSCODE_ENV.table]: this.jobsTable.tableName,
      [TRANSCODE_ENV.eventBus]: this.eventBus.eventBusName,
    };
  }

  /**
   * The options of a handler invoked asynchronously: its role reads and writes
   * the jobs table and publishes status; failures go to the dead-letter queue.
   */
  private asyncHandlerOptions(
    name: string, description: string, props: HlsTranscodePipelineProps, removalPolicy: RemovalPolicy,
    environment: Record<string, string>, otherWildcardReason?: string,
  ): lambda.FunctionOptions {
    const { role, functionOptions } = handlerBasics(this, name, {
      description, logRetention: props.logRetention, tracing: props.tracing, otherWildcardReason, removalPolicy,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      resources: [this.jobsTable.tableArn],
    }));
    this.eventBus.grantPutEventsTo(role);
    return {
      ...functionOptions,
      timeout: Duration.seconds(60),
      environment,
      // Asynchronous invocations that fail every retry, or grow too old, are kept with their context.
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    };
  }

  private createSubmitFunction(
    props: HlsTranscodePipelineProps, removalPolicy: RemovalPolicy, environment: Record<string, string>, queueArn: string,
  ): SubmitJobFunction {
    const submit = new SubmitJobFunction(this, 'SubmitFunction', this.asyncHandlerOptions('Submit', 'Probes each new source and submits its MediaConvert job',
      props, removalPolicy, environment, 'MediaConvert\'s Probe has no resource-level permissions.'));
    this.grantSubmitJobs(submit, queueArn);
    // A deleted video's renditions and posters go at once, every version.
    grantRemoveVersions(submit, this.outputBucket, [OUTPUT_LAYOUT.videosPrefix, OUTPUT_LAYOUT.postersPrefix],
      'Deleting a video removes every file under its folders, videos/<id>/ and posters/<id>/, whose ids are known only when it is deleted.');
    return submit;
  }

  /** What submitting a job takes: probe and read the source, create and search jobs in the queue, pass MediaConvert its role. */
  private grantSubmitJobs(fn: lambda.Function, queueArn: string): void {
    const sources = this.sourceBucket.arnForObjects(`${SOURCE_PREFIX}*`);
    // SearchJobs finds a job an earlier try created; its resource is the queue (Service Authorization Reference).
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['mediaconvert:CreateJob', 'mediaconvert:SearchJobs'], resources: [queueArn] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['mediaconvert:Probe'], resources: ['*'] }));
    // Probe reads the source with the caller's permissions.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [sources] }));
    this.sourceBucket.encryptionKey?.grantDecrypt(fn);
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.mediaConvertRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' } },
    }));
    acknowledgeWildcardResource(fn.role!, sources, 'The probe reads the new source, whose key is known only when it arrives under uploads/; nothing else is readable.');
  }

  /** The scheduled check: run again by its next tick, so no retries and no dead letters of its own. */
  private createReconcileFunction(
    props: HlsTranscodePipelineProps, removalPolicy: RemovalPolicy, environment: Record<string, string>, queueArn: string,
  ): ReconcileJobsFunction {
    const { role, functionOptions } = handlerBasics(this, 'Reconcile', {
      description: 'Checks uploads in flight too long against MediaConvert and handles dead letters again',
      logRetention: props.logRetention,
      tracing: props.tracing,
      removalPolicy,
      otherWildcardReason: 'MediaConvert\'s Probe has no resource-level permissions, and GetJob reads jobs whose ids MediaConvert assigns when it creates them.',
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      resources: [this.jobsTable.tableArn, `${this.jobsTable.tableArn}/index/${WORK_INDEX.name}`],
    }));
    this.eventBus.grantPutEventsTo(role);
    const fn = new ReconcileJobsFunction(this, 'ReconcileFunction', {
      ...functionOptions,
      timeout: Duration.minutes(5),
      environment: { ...environment, [TRANSCODE_ENV.deadLetters]: this.deadLetterQueue.queueUrl },
      retryAttempts: 0,
    });
    this.grantSubmitJobs(fn, queueArn);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['mediaconvert:GetJob'], resources: ['*'] }));
    this.deadLetterQueue.grantConsumeMessages(fn);
    // Dead letters of deletions are handled again by the check too; the sources of deleted videos go once their retention ran out.
    grantRemoveVersions(fn, this.outputBucket, [OUTPUT_LAYOUT.videosPrefix, OUTPUT_LAYOUT.postersPrefix],
      'A deletion handled again from the dead-letter queue removes every file under videos/<id>/ and posters/<id>/.');
    grantRemoveVersions(fn, this.sourceBucket, [SOURCE_PREFIX],
      'The check removes the sources of deleted videos, under uploads/<id>/, whose ids are known only when they are deleted.');
    for (const rule of ['Serverless-LambdaAsyncFailureDestination', 'Serverless-LambdaDLQ']) {
      acknowledge(fn, { id: rule, reason: NO_RETRIES });
    }
    return fn;
  }

  private createReconcileSchedule(fn: lambda.IFunction, interval: Duration): events.Rule {
    const schedule = new events.Rule(this, 'ReconcileSchedule', {
      description: 'Checks uploads in flight too long, and dead letters, of the transcode pipeline',
      schedule: events.Schedule.rate(interval),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });
    acknowledge(schedule, { id: 'Serverless-EventBusDLQ', reason: NO_RETRIES });
    return schedule;
  }

  /** A rule target that retries for a day and keeps what still fails in the dead-letter queue. */
  private retriedTarget(fn: lambda.IFunction): targets.LambdaFunction {
    return new targets.LambdaFunction(fn, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(24) });
  }

  private createSourceCreatedRule(submit: lambda.IFunction): events.Rule {
    return new events.Rule(this, 'SourceCreated', {
      description: 'New sources under uploads/ start a transcode',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [this.sourceBucket.bucketName] }, object: { key: [{ prefix: SOURCE_PREFIX }] } },
      },
      targets: [this.retriedTarget(submit)],
    });
  }

  /**
   * What starting and reading transcription jobs takes: Amazon Transcribe
   * reads the media and writes its output with the caller's permissions
   * ("the identity must have permission to access the S3 bucket", Amazon
   * Transcribe Developer Guide), so the handler may read the audio-only files
   * and write the transcript folders, and act on this pipeline's jobs only.
   */
  private grantTranscription(fn: lambda.Function): iam.Role {
    const jobs = Stack.of(this).formatArn({ service: 'transcribe', resource: 'transcription-job', resourceName: `${transcriptionPrefix(this.pipelineId)}*` });
    const speech = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*/speech.mp3`);
    const transcripts = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*/transcript/*`);
    // A job Transcribe queues (past the concurrent job quota) reads and writes with a role of its own.
    const role = new iam.Role(this, 'TranscribeRole', {
      assumedBy: new iam.ServicePrincipal('transcribe.amazonaws.com'),
      description: 'Amazon Transcribe reads the audio-only files and writes transcripts of queued transcription jobs',
    });
    for (const principal of [fn.role!, role]) {
      principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [speech] }));
      principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [transcripts] }));
      this.outputBucket.encryptionKey?.grantEncryptDecrypt(principal);
      acknowledgeWildcardResource(principal, speech, 'Amazon Transcribe reads the audio-only file of whichever video completes, with the caller\'s permissions or, for a queued job, its role\'s: only videos/<id>/speech.mp3.');
      acknowledgeWildcardResource(principal, transcripts, 'Amazon Transcribe writes the transcript of whichever video completes, with the caller\'s permissions or, for a queued job, its role\'s: only into videos/<id>/transcript/.');
    }
    // StartTranscriptionJob has no resource type in the Service Authorization Reference, so it takes "*";
    // GetTranscriptionJob takes the job's ARN, so it reads this pipeline's jobs only.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['transcribe:StartTranscriptionJob'], resources: ['*'] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['transcribe:GetTranscriptionJob'], resources: [jobs] }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'], resources: [role.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'transcribe.amazonaws.com' } },
    }));
    acknowledgeWildcardResource(fn.role!, jobs, 'Transcription jobs are named after this pipeline and each video: only jobs whose names start with the pipeline\'s prefix are read.');
    return role;
  }

  private createJobStateRule(status: lambda.IFunction): events.Rule {
    return new events.Rule(this, 'JobStateChanged', {
      description: 'This pipeline\'s MediaConvert job events become transcode status',
      eventPattern: {
        source: ['aws.mediaconvert'],
        detailType: ['MediaConvert Job State Change'],
        detail: {
          status: ['SUBMITTED', 'PROGRESSING', 'STATUS_UPDATE', 'COMPLETE', 'ERROR', 'CANCELED'],
          userMetadata: { [JOB_METADATA_KEYS.pipeline]: [this.pipelineId] },
        },
      },
      targets: [this.retriedTarget(status)],
    });
  }

  private createAlarms(reconcile: lambda.IFunction, action?: cloudwatch.IAlarmAction): cloudwatch.Alarm[] {
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string) => new cloudwatch.Alarm(this, id, {
      metric,
      alarmDescription: description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const alarms = [
      alarm('JobsFailedAlarm', this.metricJobsFailed(), 'A transcode failed; its source is kept and the jobs table records why'),
      alarm('DeadLettersAlarm', this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
        'An event or invocation of the transcode pipeline failed every retry and waits in the dead-letter queue'),
      alarm('ReconcileErrorsAlarm', reconcile.metricErrors({ period: Duration.minutes(15), statistic: cloudwatch.Stats.SUM }),
        'The transcode pipeline\'s scheduled check failed; uploads in flight too long and dead letters wait for it'),
    ];
    if (action) {
      alarms.forEach((each) => each.addAlarmAction(action));
    }
    return alarms;
  }

  private validateEnvironmentSize(): string[] {
    const size = JSON.stringify(this.overrides).length + JSON.stringify(this.ladder._toSpec()).length;
    return size > 3000
      ? [`the ladder and settings overrides take ${size} characters; Lambda environments hold 4 KB, so keep them under 3000`]
      : [];
  }

  /**
   * Sets a raw MediaConvert job setting after the pipeline has built the
   * settings for a source: an escape hatch for what the props do not cover.
   * `path` is dotted; numbers index arrays, e.g.
   * `OutputGroups.0.OutputGroupSettings.HlsGroupSettings.ProgramDateTime`.
   * Overrides are applied in order; `undefined` removes a setting. An override
   * that points past an array's end fails the job with reason
   * `SETTINGS_OVERRIDE` instead of being ignored.
   */
  public addSettingsOverride(path: string, value: any): void {
    if (Token.isUnresolved(path) || !/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$/.test(path)) {
      throw new Error(`settings override path must be dotted names and indexes such as "OutputGroups.0.Name", got ${JSON.stringify(path)}`);
    }
    this.overrides.push({ path, value });
  }

  /**
   * Lets `grantee` invoke the submit handler with
   * `{ action: 'retry', videoId, uploadId }` to transcode a failed upload again.
   */
  public grantRetry(grantee: iam.IGrantable): iam.Grant {
    // The unqualified function only: no versions or aliases, so no wildcard.
    return iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [this.submitFunction.functionArn] });
  }

  /**
   * Lets `grantee` invoke the submit handler with
   * `{ action: 'delete-video', videoId }` (remove a deleted video's renditions
   * and posters now, and its sources after `sourceRetention`) and
   * `{ action: 'restore-video', videoId, uploadId }` (undo that while the
   * source is kept: the upload fails with the reason `RESTORED`, to be
   * transcoded again).
   */
  public grantDeleteVideos(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [this.submitFunction.functionArn] });
  }

  /**
   * Lets `grantee` read, write and delete objects under `videos/` of the
   * output bucket: what adds caption tracks to transcoded videos (a WebVTT
   * file and its playlist per language, and the master playlist rewritten to
   * list them) without encoding anything again.
   */
  public grantCaptionWrites(grantee: iam.IGrantable): iam.Grant {
    const videoObjects = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*`);
    const captionFiles = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*/captions/*`);
    const masters = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*/master.m3u8`);
    // Reads the master playlist and the first segment's start time; writes only caption files and master playlists.
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [videoObjects] });
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject', 's3:DeleteObject'], resourceArns: [captionFiles, masters] }));
    // Without ListBucket, S3 answers a missing key with AccessDenied instead of NoSuchKey (GetObject, Amazon S3 API
    // Reference). Unconditioned: a GetObject request has no s3:prefix, so a ListBucket limited by prefix would not count.
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.outputBucket.bucketArn] }));
    this.outputBucket.encryptionKey?.grantEncryptDecrypt(grantee);
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResource(grantee.grantPrincipal, videoObjects,
        'Captions are added to whichever video its owner captions: the master playlist and the first segment of any video under videos/ are read, not posters or sources.');
      acknowledgeWildcardResource(grantee.grantPrincipal, captionFiles,
        'Caption files go into the captions/ folder of whichever video its owner captions, named after its id and the language.');
      acknowledgeWildcardResource(grantee.grantPrincipal, masters,
        'A caption change rewrites the master playlist of whichever video its owner captions, to list the tracks.');
    }
    return grant;
  }

  /**
   * Lets `grantee` make a video's poster from its scrub thumbnails: read the
   * WebVTT thumbnails track and the JPEG tile images under `videos/`, and
   * write and delete picked posters, `posters/<id>/picked-<ms>.jpg`, and
   * nothing else under `posters/` (the pipeline's own captures stay as
   * MediaConvert wrote them).
   */
  public grantPosterPicks(grantee: iam.IGrantable): iam.Grant {
    const tracks = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*/thumbnails.vtt`);
    const tiles = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.videosPrefix}*.jpg`);
    const picked = this.outputBucket.arnForObjects(`${OUTPUT_LAYOUT.postersPrefix}*/${OUTPUT_LAYOUT.pickedPosterBaseName}*`);
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [tracks, tiles] });
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject', 's3:DeleteObject'], resourceArns: [picked] }));
    // Without ListBucket, S3 answers a missing thumbnails track with AccessDenied instead of NoSuchKey (see grantCaptionWrites).
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.outputBucket.bucketArn] }));
    this.outputBucket.encryptionKey?.grantEncryptDecrypt(grantee);
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResource(grantee.grantPrincipal, tracks,
        'A poster is picked from the thumbnails track of whichever video its owner chooses, named after its id: only videos/<id>/thumbnails.vtt.');
      acknowledgeWildcardResource(grantee.grantPrincipal, tiles,
        'The thumbnail is cut out of a tile image the video\'s thumbnails track names; MediaConvert names the tiles after the master playlist, so only the .jpg extension is known.');
      acknowledgeWildcardResource(grantee.grantPrincipal, picked,
        'A picked poster is written under a new name each time, posters/<id>/picked-<ms>.jpg, and the one it replaces deleted; the pipeline\'s own posters are out of reach.');
    }
    return grant;
  }

  /**
   * A rule on the status bus matching this pipeline's events of the given states
   * (all four when none are given).
   */
  public onStatus(id: string, options: events.OnEventOptions = {}, states?: string[]): events.Rule {
    const detailTypes = (states ?? Object.keys(TRANSCODE_DETAIL_TYPES)).map((state) => {
      const detailType = (TRANSCODE_DETAIL_TYPES as Record<string, string>)[state];
      if (!detailType) {
        throw new Error(`unknown transcode state ${JSON.stringify(state)}; expected one of ${Object.keys(TRANSCODE_DETAIL_TYPES).join(', ')}`);
      }
      return detailType;
    });
    const rule = new events.Rule(this, id, {
      eventBus: this.eventBus,
      description: options.description,
      ruleName: options.ruleName,
      crossStackScope: options.crossStackScope,
      eventPattern: {
        ...options.eventPattern,
        source: [TRANSCODE_EVENT_SOURCE],
        detailType: detailTypes,
        detail: { ...options.eventPattern?.detail, pipelineId: [this.pipelineId] },
      },
    });
    if (options.target) {
      rule.addTarget(options.target);
    }
    return rule;
  }

  /** Jobs submitted. Sum over 5 minutes by default. */
  public metricJobsSubmitted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.pipelineMetric(TRANSCODE_METRICS.submitted, props);
  }

  /** Transcodes completed. Sum over 5 minutes by default. */
  public metricJobsCompleted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.pipelineMetric(TRANSCODE_METRICS.completed, props);
  }

  /** Transcodes failed, by MediaConvert or before a job (unusable source). Sum over 5 minutes by default. */
  public metricJobsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.pipelineMetric(TRANSCODE_METRICS.failed, props);
  }

  /**
   * Output minutes per source minute of this pipeline's ladder, by resolution
   * class, counting the MP4 download when the pipeline makes one.
   */
  public outputMinutesPerSourceMinute(sourceShortSide?: number): LadderCostEstimate {
    return this.ladder.outputMinutesPerSourceMinute({ sourceShortSide, download: this.downloadRendition });
  }

  private pipelineMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return serviceMetric(TRANSCODE_METRICS, metricName, { [TRANSCODE_METRICS.pipelineDimension]: this.pipelineId }, props);
  }
}

/** Transient faults after which the scheduled check fails a submission, so the creator can retry it. */
const MAX_SUBMIT_TRIES = 5;

const NO_RETRIES = 'The scheduled check is not retried and keeps no dead letters: its next run, minutes later, does the same work again, and its errors raise an alarm.';

/** Lets a function list and delete every version of the objects under some prefixes of a bucket. */
function grantRemoveVersions(fn: lambda.Function, bucket: s3.IBucket, prefixes: string[], reason: string): void {
  const objects = prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`));
  fn.addToRolePolicy(new iam.PolicyStatement({
    actions: ['s3:ListBucket', 's3:ListBucketVersions'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resources: objects }));
  for (const resource of objects) {
    acknowledgeWildcardResource(fn.role!, resource, reason);
  }
}

function wholeSeconds(name: string, duration: Duration, min: number, max: number): number {
  const millis = duration.toMilliseconds();
  const seconds = millis / 1000;
  if (Token.isUnresolved(millis) || !Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new Error(`${name} must be a whole number of seconds from ${min} to ${max}, got ${Token.isUnresolved(millis) ? 'a token' : duration.toHumanString()}`);
  }
  return seconds;
}

/** Amazon Transcribe language codes: a language and a region, such as `en-US`. */
const TRANSCRIBE_LANGUAGE = /^[a-z]{2,3}-[A-Z]{2}$/;

function speechPlan(path: string, options: AutomaticCaptionsOptions | undefined): SpeechPlan | undefined {
  if (!options) {
    return undefined;
  }
  const fail = (message: string): never => {
    throw new Error(`HlsTranscodePipeline at ${path}: automaticCaptions.${message}`);
  };
  const codes = options.identifyLanguage ? options.languageOptions : [options.languageCode ?? 'en-US'];
  for (const code of codes ?? []) {
    if (!Token.isUnresolved(code) && !TRANSCRIBE_LANGUAGE.test(code)) {
      fail(`language codes are Amazon Transcribe's, such as "en-US", got ${JSON.stringify(code)}`);
    }
  }
  if (!options.identifyLanguage) {
    if (options.languageOptions) {
      fail('languageOptions go with identifyLanguage');
    }
    return { languageCode: options.languageCode ?? 'en-US' };
  }
  if (options.languageOptions && options.languageOptions.length < 2) {
    fail(`languageOptions needs two or more languages to choose among, got ${options.languageOptions.length}`);
  }
  return { ...(options.languageOptions ? { languageOptions: options.languageOptions } : {}) };
}
