import {
  Duration, Names, RemovalPolicy, Token,
  aws_apigateway as apigateway,
  aws_apigatewayv2 as apigwv2,
  aws_apigatewayv2_integrations as integrations,
  aws_cloudwatch as cloudwatch,
  aws_cognito as cognito,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  aws_logs as logs,
  aws_secretsmanager as secretsmanager,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { API_ENV, API_METRICS } from './api-environment';
import { ApiFunction } from './api-function';
import { API_ROUTES, STRIPE_WEBHOOK_ROUTE } from './api-routes';
import { ADMINS_GROUP, CATALOG_INDEXES, CREATORS_GROUP, ENTITLEMENT_INDEXES } from './schema';
import { StatusConsumerFunction } from './status-consumer-function';
import { StripeWebhookFunction } from './stripe-webhook-function';
import { TRANSCODE_EVENT_SOURCE } from '../contracts/transcode-status';
import { SignedCookieDistribution } from '../delivery/signed-cookie-distribution';
import { handlerBasics } from '../internal/handlers';
import { acknowledge } from '../internal/nag';
import { HlsTranscodePipeline } from '../transcode/hls-transcode-pipeline';
import { SecureUploadBucket } from '../upload/secure-upload-bucket';

/**
 * Properties of an EntitlementApi.
 */
export interface EntitlementApiProps {
  /**
   * The user pool whose access tokens the API accepts. Its groups `creators`
   * and `admins` decide who may upload and who may grant.
   *
   * @default - a new user pool: email sign-in, strong passwords, optional TOTP MFA, the two groups
   */
  readonly userPool?: cognito.IUserPool;

  /**
   * The app client whose access tokens the API accepts.
   *
   * @default - a new public client on the user pool with the authorization code flow and PKCE
   */
  readonly userPoolClient?: cognito.IUserPoolClient;

  /**
   * Where creators upload; the API asks its issuer for uploads.
   *
   * @default - a new SecureUploadBucket
   */
  readonly uploads?: SecureUploadBucket;

  /**
   * The pipeline whose status events move videos through their life.
   *
   * @default - a new HlsTranscodePipeline over `uploads`
   */
  readonly pipeline?: HlsTranscodePipeline;

  /**
   * The distribution whose key signs playback cookies.
   *
   * @default - a new SignedCookieDistribution over the pipeline's output
   */
  readonly delivery?: SignedCookieDistribution;

  /**
   * The host viewers fetch media from, which cookies are signed for (VodPlatform passes its one domain).
   *
   * @default - the distribution's domain
   */
  readonly mediaDomain?: string;

  /**
   * How long a playback session's cookies last; the player refreshes them before.
   *
   * @default Duration.minutes(5)
   */
  readonly playbackSessionDuration?: Duration;

  /**
   * Issue cookies with `SameSite=None`, for a player on another site than the media.
   *
   * @default false (`SameSite=Strict`)
   */
  readonly crossSiteCookies?: boolean;

  /**
   * Callback URLs of the app client this construct creates.
   *
   * @default ['http://localhost:3000/']
   */
  readonly callbackUrls?: string[];

  /**
   * Whether viewers may sign up by themselves in a user pool this construct creates.
   *
   * @default true
   */
  readonly selfSignUpEnabled?: boolean;

  /**
   * Whether a user pool this construct creates requires a second factor (TOTP).
   *
   * @default false (offered, not required)
   */
  readonly requireMfa?: boolean;

  /**
   * The secret holding the Stripe webhook endpoint's signing secret (`whsec_...`).
   *
   * @default - a new secret with a random value: set it to the endpoint's secret; until then every event is refused
   */
  readonly stripeWebhookSecret?: secretsmanager.ISecret;

  /**
   * Steady-state requests per second the API accepts, and the burst above it.
   *
   * @default 100 and 200
   */
  readonly throttleRateLimit?: number;

  /** @default 200 */
  readonly throttleBurstLimit?: number;

  /**
   * What happens to the tables (and a new user pool) when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the handlers' and the access logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The platform's HTTP API: creators manage and upload videos, anyone browses
 * the published catalog, viewers start playback sessions (signed cookies for
 * one video, after checking its access mode and their entitlement), admins
 * grant and revoke entitlements, and Stripe's webhook grants and revokes them
 * too.
 *
 * Every request's access token is verified in the handler with aws-jwt-verify
 * (issuer, client, token use, expiry, signature by the pool's JWKS, which is
 * fetched once per container); what a route allows is decided from the
 * token's groups on every request, so no cached authorization ever carries
 * from one route to another.
 */
export class EntitlementApi extends Construct {
  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;

  /** The API's `$default` stage: throttling and access logs. */
  public readonly stage: apigwv2.IHttpStage;

  /** The stage's access logs, one JSON line per request. */
  public readonly accessLogGroup: logs.ILogGroup;

  /** The base URL of the routes (`<endpoint>/api`). */
  public readonly apiUrl: string;

  /** The user pool whose tokens are accepted. */
  public readonly userPool: cognito.IUserPool;

  /** The app client whose tokens are accepted. */
  public readonly userPoolClient: cognito.IUserPoolClient;

  /** Videos: key `videoId`; indexes `byCreator` and `published`. */
  public readonly catalogTable: dynamodb.ITable;

  /** Entitlements and handled Stripe events: keys `userId`, `entitlementId`; index `byPaymentRef`. */
  public readonly entitlementsTable: dynamodb.ITable;

  /** The function answering the routes. */
  public readonly apiFunction: lambda.IFunction;

  /** The function answering Stripe's webhook. */
  public readonly webhookFunction: lambda.IFunction;

  /** The function applying transcode status to the catalog. */
  public readonly statusFunction: lambda.IFunction;

  /** The API function's log group. */
  public readonly apiLogGroup: logs.ILogGroup;

  /** The webhook function's log group. */
  public readonly webhookLogGroup: logs.ILogGroup;

  /** The status function's log group. */
  public readonly statusLogGroup: logs.ILogGroup;

  /** The rule that sends the pipeline's transcode status events to the status function. */
  public readonly statusRule: events.IRule;

  /** The secret holding Stripe's webhook signing secret. */
  public readonly stripeWebhookSecret: secretsmanager.ISecret;

  /** Where status events that could not be applied are kept. */
  public readonly deadLetterQueue: sqs.IQueue;

  /** The composed parts, created when not given. */
  public readonly uploads: SecureUploadBucket;
  public readonly pipeline: HlsTranscodePipeline;
  public readonly delivery: SignedCookieDistribution;

  private readonly metricsScope: string;

  constructor(scope: Construct, id: string, props: EntitlementApiProps = {}) {
    super(scope, id);

    const sessionSeconds = (props.playbackSessionDuration ?? Duration.minutes(5)).toSeconds();
    const rateLimit = props.throttleRateLimit ?? 100;
    const burstLimit = props.throttleBurstLimit ?? 200;
    const errors: string[] = [];
    if (Token.isUnresolved(sessionSeconds) || !Number.isInteger(sessionSeconds) || sessionSeconds < 60 || sessionSeconds > 3600) {
      errors.push(`playbackSessionDuration must be whole seconds from 1 minute to 1 hour, got ${sessionSeconds} seconds`);
    }
    if (!Number.isInteger(rateLimit) || rateLimit < 1 || !Number.isInteger(burstLimit) || burstLimit < 1) {
      errors.push(`throttle limits must be whole numbers of at least 1, got ${rateLimit} and ${burstLimit}`);
    }
    if (props.userPoolClient && !props.userPool) {
      errors.push('userPoolClient needs the userPool it belongs to');
    }
    if (errors.length > 0) {
      throw new Error(`invalid EntitlementApi props: ${errors.join('; ')}`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.metricsScope = Names.uniqueId(this);

    this.uploads = props.uploads ?? new SecureUploadBucket(this, 'Uploads');
    this.pipeline = props.pipeline ?? new HlsTranscodePipeline(this, 'Transcode', { sourceBucket: this.uploads.bucket });
    this.delivery = props.delivery ?? new SignedCookieDistribution(this, 'Delivery', { bucket: this.pipeline.outputBucket });

    this.userPool = props.userPool ?? this.createUserPool(props.selfSignUpEnabled ?? true, props.requireMfa ?? false, removalPolicy);
    this.userPoolClient = props.userPoolClient ?? this.userPool.addClient('WebClient', {
      generateSecret: false,
      // SRP for apps; admin password auth lets an operator with IAM rights get a token from the AWS CLI.
      authFlows: { userSrp: true, adminUserPassword: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls ?? ['http://localhost:3000/'],
        logoutUrls: props.callbackUrls ?? ['http://localhost:3000/'],
      },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    const table = (name: string, partitionKey: string, sortKey?: string) => new dynamodb.Table(this, name, {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: sortKey ? { name: sortKey, type: dynamodb.AttributeType.STRING } : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    const catalog = table('Catalog', 'videoId');
    catalog.addGlobalSecondaryIndex({
      indexName: CATALOG_INDEXES.byCreator,
      partitionKey: { name: 'creatorId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
    });
    catalog.addGlobalSecondaryIndex({
      indexName: CATALOG_INDEXES.published,
      partitionKey: { name: 'listing', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'publishedAt', type: dynamodb.AttributeType.STRING },
    });
    const entitlements = new dynamodb.Table(this, 'Entitlements', {
      partitionKey: { name: 'userId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'entitlementId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'ttl',
      removalPolicy,
    });
    entitlements.addGlobalSecondaryIndex({
      indexName: ENTITLEMENT_INDEXES.byPaymentRef,
      partitionKey: { name: 'paymentRef', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    this.catalogTable = catalog;
    this.entitlementsTable = entitlements;

    this.stripeWebhookSecret = props.stripeWebhookSecret ?? new secretsmanager.Secret(this, 'StripeWebhookSecret', {
      description: 'Signing secret (whsec_...) of the Stripe webhook endpoint; set it after creating the endpoint in Stripe',
    });
    if (!props.stripeWebhookSecret) {
      acknowledge(this.stripeWebhookSecret, {
        id: 'AwsSolutions-SMG4',
        reason: 'The value is the signing secret Stripe issues for the webhook endpoint; it is rolled in Stripe and copied here, which Secrets Manager rotation cannot do.',
      });
    }

    const issuer = `https://cognito-idp.${this.userPool.env.region}.amazonaws.com/${this.userPool.userPoolId}`;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    // Each table and each index by its own ARN: no wildcards.
    const tableAccess = (role: iam.IGrantable, target: dynamodb.ITable, actions: string[], indexes: readonly string[]) => {
      role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: actions.map((action) => `dynamodb:${action}`),
        resources: [target.tableArn, ...indexes.map((index) => `${target.tableArn}/index/${index}`)],
      }));
    };

    const api = handlerBasics(this, 'Api', { description: 'Answers the video platform\'s HTTP API routes', logRetention });
    const apiFunction = new ApiFunction(this, 'ApiFunction', {
      ...api.functionOptions,
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment: {
        [API_ENV.catalogTable]: catalog.tableName,
        [API_ENV.entitlementsTable]: entitlements.tableName,
        [API_ENV.issuer]: issuer,
        [API_ENV.clientId]: this.userPoolClient.userPoolClientId,
        [API_ENV.uploadIssuer]: this.uploads.issuerFunction.functionName,
        [API_ENV.transcodeSubmit]: this.pipeline.submitFunction.functionName,
        [API_ENV.mediaDomain]: props.mediaDomain ?? this.delivery.domainName,
        [API_ENV.sessionSeconds]: String(sessionSeconds),
        [API_ENV.sameSite]: props.crossSiteCookies ? 'None' : 'Strict',
        [API_ENV.metricsScope]: this.metricsScope,
      },
    });
    this.apiFunction = apiFunction;
    this.apiLogGroup = api.logGroup;
    tableAccess(apiFunction, catalog, ['GetItem', 'PutItem', 'UpdateItem', 'Query'], Object.values(CATALOG_INDEXES));
    tableAccess(apiFunction, entitlements, ['GetItem', 'PutItem', 'DeleteItem', 'Query'], []);
    this.uploads.grantIssueUploads(apiFunction);
    this.pipeline.grantRetry(apiFunction);
    this.delivery.bindSigner(apiFunction);
    acknowledge(apiFunction, {
      id: 'Serverless-LambdaDLQ',
      reason: 'API Gateway invokes the API synchronously; a failure is answered to the client, so there is no event to keep.',
    });

    const webhook = handlerBasics(this, 'Webhook', { description: 'Answers Stripe\'s webhook', logRetention });
    const webhookFunction = new StripeWebhookFunction(this, 'WebhookFunction', {
      ...webhook.functionOptions,
      timeout: Duration.seconds(29),
      environment: {
        [API_ENV.entitlementsTable]: entitlements.tableName,
        [API_ENV.stripeSecret]: this.stripeWebhookSecret.secretArn,
      },
    });
    this.webhookFunction = webhookFunction;
    this.webhookLogGroup = webhook.logGroup;
    tableAccess(webhookFunction, entitlements, ['PutItem', 'UpdateItem', 'DeleteItem', 'Query'], Object.values(ENTITLEMENT_INDEXES));
    this.stripeWebhookSecret.grantRead(webhookFunction);
    acknowledge(webhookFunction, {
      id: 'Serverless-LambdaDLQ',
      reason: 'API Gateway invokes the webhook synchronously; Stripe retries an event that was not answered 2xx, so there is no event to keep.',
    });

    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14),
    });
    this.deadLetterQueue = deadLetters;
    for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
      acknowledge(deadLetters, {
        id: rule,
        reason: 'This queue is itself where status events that could not be applied end; it has nowhere further to send them.',
      });
    }
    const consumer = handlerBasics(this, 'Status', { description: 'Applies transcode status to the video catalog', logRetention });
    const statusFunction = new StatusConsumerFunction(this, 'StatusFunction', {
      ...consumer.functionOptions,
      timeout: Duration.seconds(30),
      environment: { [API_ENV.catalogTable]: catalog.tableName },
      onFailure: new destinations.SqsDestination(deadLetters),
      retryAttempts: 2,
    });
    this.statusFunction = statusFunction;
    this.statusLogGroup = consumer.logGroup;
    tableAccess(statusFunction, catalog, ['UpdateItem'], []);
    acknowledge(statusFunction, {
      id: 'Serverless-LambdaDLQ',
      reason: 'Failed asynchronous invocations go to an on-failure destination, the API\'s dead-letter queue, which keeps the event and the error together.',
    });
    this.statusRule = new events.Rule(this, 'TranscodeStatus', {
      description: 'The pipeline\'s transcode status moves videos through their life',
      eventBus: this.pipeline.eventBus,
      eventPattern: { source: [TRANSCODE_EVENT_SOURCE], detail: { pipelineId: [this.pipeline.pipelineId] } },
      targets: [new targets.LambdaFunction(statusFunction, { deadLetterQueue: deadLetters, retryAttempts: 8, maxEventAge: Duration.hours(24) })],
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention });
    this.accessLogGroup = accessLogs;
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Video platform API: catalog, uploads, playback sessions, entitlements',
      createDefaultStage: false,
    });
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          time: '$context.requestTime',
          method: '$context.httpMethod',
          routeKey: '$context.routeKey',
          status: '$context.status',
          responseLength: '$context.responseLength',
          latency: '$context.responseLatency',
          integrationLatency: '$context.integrationLatency',
        })),
      },
    });
    const apiIntegration = new integrations.HttpLambdaIntegration('Api', apiFunction);
    for (const routeKey of API_ROUTES) {
      this.addRoute(routeKey, apiIntegration);
    }
    this.addRoute(STRIPE_WEBHOOK_ROUTE, new integrations.HttpLambdaIntegration('StripeWebhook', webhookFunction));
    acknowledge(this.httpApi, {
      id: 'AwsSolutions-APIG4',
      reason: 'Routes are authorized in the handler: aws-jwt-verify checks each access token (issuer, client, token use, expiry, JWKS signature) and the route checks its groups; the catalog list and public playback need no token, and Stripe\'s webhook is authenticated by its signature.',
    });
    this.apiUrl = `${this.httpApi.apiEndpoint}/api`;
  }

  /** Playback sessions issued. Sum over 5 minutes by default. */
  public metricSessionsIssued(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric(API_METRICS.sessionsIssued, props);
  }

  /** Playback sessions denied (no such video, sign-in needed, not entitled). Sum over 5 minutes by default. */
  public metricSessionsDenied(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric(API_METRICS.sessionsDenied, props);
  }

  /** Answers of the API in the 5xx range. */
  public metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.httpApi.metricServerError(props);
  }

  private apiMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: API_METRICS.namespace,
      metricName,
      dimensionsMap: { service: API_METRICS.service, [API_METRICS.scopeDimension]: this.metricsScope },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  private addRoute(routeKey: string, integration: apigwv2.HttpRouteIntegration): void {
    const [method, path] = routeKey.split(' ');
    this.httpApi.addRoutes({ path, methods: [method as apigwv2.HttpMethod], integration });
  }

  private createUserPool(selfSignUpEnabled: boolean, requireMfa: boolean, removalPolicy: RemovalPolicy): cognito.UserPool {
    const pool = new cognito.UserPool(this, 'UserPool', {
      signInAliases: { email: true },
      autoVerify: { email: true },
      selfSignUpEnabled,
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: requireMfa ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    pool.addGroup('Creators', { groupName: CREATORS_GROUP, description: 'May create, upload and publish videos' });
    pool.addGroup('Admins', { groupName: ADMINS_GROUP, description: 'May grant and revoke entitlements, and moderate any video' });
    if (!requireMfa) {
      acknowledge(pool, {
        id: 'AwsSolutions-COG2',
        reason: 'MFA is offered (TOTP) but not required, so viewers can sign up and watch without a second factor; requireMfa turns it on.',
      });
    }
    for (const rule of ['AwsSolutions-COG3', 'AwsSolutions-COG8']) {
      acknowledge(pool, {
        id: rule,
        reason: 'Cognito threat protection needs the Plus feature plan, billed per monthly active user; pass your own pool on that plan to turn it on.',
      });
    }
    return pool;
  }
}
