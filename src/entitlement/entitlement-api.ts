import {
  Duration, Fn, Lazy, Names, RemovalPolicy, Token,
  aws_apigateway as apigateway,
  aws_apigatewayv2 as apigwv2,
  aws_apigatewayv2_integrations as integrations,
  aws_cloudfront as cloudfront,
  aws_cloudfront_origins as origins,
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
import { CATALOG_INDEXES, ENTITLEMENT_INDEXES } from './schema';
import { StatusConsumerFunction } from './status-consumer-function';
import { StripeWebhookFunction } from './stripe-webhook-function';
import { createUserPool, createWebClient, ensureApiGroups } from './user-pool';
import { TRANSCODE_EVENT_SOURCE } from '../contracts/transcode-status';
import { ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_FUNCTION_CODE, ViewerAddressSource } from '../contracts/viewer-address';
import { SignedCookieDistribution } from '../delivery/signed-cookie-distribution';
import { handlerBasics } from '../internal/handlers';
import { serviceMetric } from '../internal/metrics';
import { acknowledge } from '../internal/nag';
import { createDeadLetterQueue } from '../internal/queues';
import { tableDefaults } from '../internal/tables';
import { HlsTranscodePipeline } from '../transcode/hls-transcode-pipeline';
import { SecureUploadBucket } from '../upload/secure-upload-bucket';

/**
 * Properties of an EntitlementApi.
 */
/**
 * A recurring price, in the smallest unit of its currency.
 */
export interface PremiumPrice {
  /** For example 999 for $9.99. */
  readonly amount: number;
  /** ISO 4217 code, lowercase, for example `usd`. */
  readonly currency: string;
  /** How often it is billed. */
  readonly interval: PremiumInterval;
}

/** How often a premium membership is billed. */
export enum PremiumInterval {
  MONTH = 'month',
  YEAR = 'year',
}

export interface EntitlementApiProps {
  /**
   * Where creators upload; the API asks its issuer for uploads.
   */
  readonly uploads: SecureUploadBucket;

  /**
   * The pipeline whose status events move videos through their life, and
   * which transcodes a failed upload again.
   */
  readonly pipeline: HlsTranscodePipeline;

  /**
   * The distribution whose key signs playback cookies.
   */
  readonly delivery: SignedCookieDistribution;

  /**
   * The host cookies are set for and media URLs point at. Browsers keep a
   * cookie only for the host that set it, so the API must be answered on this
   * host: route the API through the distribution with `routeThroughDelivery()`
   * (VodPlatform does), or name the host on which a proxy of your own serves
   * both the API and the media. Synth fails when neither is done, because
   * cookies set by the `execute-api` host never reach the media.
   *
   * @default - the distribution's domain, once `routeThroughDelivery()` was called
   */
  readonly mediaDomain?: string;

  /**
   * The user pool whose access tokens the API accepts. Its groups `creators`
   * and `admins` decide who may upload and who may grant; they are added to a
   * brought pool (see `createUserPoolGroups`).
   *
   * @default - a new user pool: email sign-in, strong passwords, optional TOTP MFA, the two groups
   */
  readonly userPool?: cognito.IUserPool;

  /**
   * Whether to create the `creators` and `admins` groups in a brought user
   * pool. A pool defined in this app gets only the groups it lacks; set this
   * to false for an imported pool that has them already.
   *
   * @default true
   */
  readonly createUserPoolGroups?: boolean;

  /**
   * The app client whose access tokens the API accepts.
   *
   * @default - a new public client on the user pool with the authorization code flow and PKCE
   */
  readonly userPoolClient?: cognito.IUserPoolClient;

  /**
   * How long a playback session's cookies last; the player refreshes them before.
   *
   * @default Duration.minutes(5)
   */
  readonly playbackSessionDuration?: Duration;

  /**
   * How many playback sessions a signed-in user may hold at once. Each
   * session is then a lease in a sessions table (taken with a conditional
   * write, renewed by the player, freed when it ends or lapses); over the
   * limit the playback route answers 429 with the user's live sessions, so the
   * app can offer to stop one. Ending a session (`DELETE /api/me/sessions/{id}`)
   * or all of a user's (`DELETE /api/admin/users/{id}/sessions`) refuses their
   * renewals: playback stops within one cookie lifetime
   * (`playbackSessionDuration`). Viewers who are not signed in are not counted.
   *
   * @default - no limit, and no sessions table
   */
  readonly streamLimit?: number;

  /**
   * Bind each playback session to the viewer's IPv4 address: its cookies'
   * policy gets an `IpAddress` condition for that one address (`/32`), so
   * CloudFront refuses them from anywhere else; download URLs likewise, and
   * with encrypted segments the session's key is answered at that address
   * only. A renewal from a new address (a phone moving from Wi-Fi to mobile
   * data) moves the session there; the web app's player renews as soon as
   * media answers 403, so playback stalls for a moment and goes on.
   *
   * The trade-offs: mobile networks and some corporate networks send one
   * device's requests from several addresses (carrier-grade NAT pools,
   * load-balanced proxies), and such viewers see segments refused; many
   * people behind one NAT share an address, so binding does not tell them
   * apart (a stream limit does). The delivery distribution must have IPv6
   * off (`enableIpv6: false`), as CloudFront's `IpAddress` condition is for
   * IPv4. The viewer's address is read from a header a CloudFront Function
   * on the distribution's `/api/*` behaviour sets, so the API must be routed
   * through the distribution (`routeThroughDelivery()`, as VodPlatform does);
   * synth fails otherwise. The distribution also sends the API an origin
   * header with a generated secret, and the API trusts the address header
   * only beside it, so a call to the API's own endpoint names no address.
   *
   * @default false
   */
  readonly bindPlaybackToViewerIp?: boolean;

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
   * How a user pool the API creates sends email (verification codes, password
   * resets): through Amazon SES from your verified address, with your
   * account's SES quotas. Cognito's own sender allows only a small number of
   * emails a day per user pool, enough to try the platform.
   *
   * @default - Cognito's default sender
   */
  readonly userPoolEmail?: cognito.UserPoolEmail;

  /**
   * The secret holding Stripe's secret API key (`sk_live_...`, or better a
   * restricted key `rk_...` that may only write Checkout Sessions), with
   * which the API creates Checkout Sessions. It is read at run time, never
   * put in the template, a log or an answer.
   *
   * @default - no checkout: videos for purchase and premium are granted by admins
   */
  readonly stripeApiKey?: secretsmanager.ISecret;

  /**
   * The price of a premium membership, sold as a Stripe subscription.
   *
   * @default - no premium offer: premium is granted by admins
   */
  readonly premiumPrice?: PremiumPrice;

  /**
   * The secret holding the Stripe webhook endpoint's signing secret (`whsec_...`).
   *
   * @default - a new secret with a random value: set it to the endpoint's secret; until then every event is refused
   */
  readonly stripeWebhookSecret?: secretsmanager.ISecret;

  /**
   * Steady-state requests per second the API accepts.
   *
   * @default 100
   */
  readonly throttleRateLimit?: number;

  /**
   * Requests the API accepts in a burst above the steady rate.
   *
   * @default 200
   */
  readonly throttleBurstLimit?: number;

  /**
   * What happens to what this construct creates when it leaves the stack: the
   * tables, a new user pool (deletion protection is on unless it is
   * destroyed) and the log groups. The Stripe secret is deleted with the
   * stack either way (after Secrets Manager's recovery window).
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

  /**
   * The base URL of the routes on API Gateway's own endpoint
   * (`<endpoint>/api`). Players call the API on the media's host instead; with
   * `bindPlaybackToViewerIp`, playback and key requests here are refused.
   */
  public readonly apiUrl: string;

  /** The user pool whose tokens are accepted. */
  public readonly userPool: cognito.IUserPool;

  /** The app client whose tokens are accepted. */
  public readonly userPoolClient: cognito.IUserPoolClient;

  /** Videos: key `videoId`; indexes `byCreator` and `published`. */
  public readonly catalogTable: dynamodb.ITable;

  /** Entitlements and handled Stripe events: keys `userId`, `entitlementId`; index `byPaymentRef`. */
  public readonly entitlementsTable: dynamodb.ITable;

  /** Playback sessions as leases (`userId`, `slot`); set with `streamLimit`. */
  public readonly sessionsTable?: dynamodb.ITable;

  /** How many playback sessions a signed-in user may hold at once; undefined for no limit. */
  public readonly streamLimit?: number;

  /** Whether playback sessions are bound to the viewer's IPv4 address. */
  public readonly bindsPlaybackToViewerIp: boolean;

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

  /** The secret holding Stripe's API key, when checkout is on. */
  public readonly stripeApiKey?: secretsmanager.ISecret;

  /** The premium membership's price, when premium is sold. */
  public readonly premiumPrice?: PremiumPrice;

  /** Where status events that could not be applied are kept. */
  public readonly deadLetterQueue: sqs.IQueue;

  /** Where creators upload. */
  public readonly uploads: SecureUploadBucket;

  /** The pipeline the catalog follows. */
  public readonly pipeline: HlsTranscodePipeline;

  /** The distribution whose key signs playback cookies. */
  public readonly delivery: SignedCookieDistribution;

  private readonly metricsScope: string;
  private readonly apiHandler: lambda.Function;
  private readonly removalPolicy: RemovalPolicy;
  private readonly explicitMediaDomain?: string;
  private routedThroughDelivery = false;
  private addressFunction?: cloudfront.IFunction;
  private originSecret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: EntitlementApiProps) {
    super(scope, id);
    const settings = this.validate(props);
    this.removalPolicy = settings.removalPolicy;
    this.metricsScope = Names.uniqueId(this);
    this.explicitMediaDomain = props.mediaDomain;
    this.uploads = props.uploads;
    this.pipeline = props.pipeline;
    this.delivery = props.delivery;

    this.userPool = props.userPool ?? createUserPool(this, {
      selfSignUpEnabled: props.selfSignUpEnabled ?? true,
      requireMfa: props.requireMfa ?? false,
      removalPolicy: settings.removalPolicy,
      email: props.userPoolEmail,
    });
    if (props.userPool) {
      ensureApiGroups(this, props.userPool, props.createUserPoolGroups ?? true);
    }
    this.userPoolClient = props.userPoolClient ?? createWebClient(this.userPool, props.callbackUrls ?? ['http://localhost:3000/']);
    this.catalogTable = this.createCatalogTable(settings.removalPolicy);
    this.entitlementsTable = this.createEntitlementsTable(settings.removalPolicy);
    this.streamLimit = streamLimitOf(this.node.path, props.streamLimit);
    this.bindsPlaybackToViewerIp = props.bindPlaybackToViewerIp ?? false;
    if (this.bindsPlaybackToViewerIp && props.delivery.ipv6Enabled) {
      throw new Error(`invalid EntitlementApi props at ${this.node.path}: bindPlaybackToViewerIp needs a delivery distribution with IPv6 off `
        + '(SignedCookieDistribution enableIpv6: false): CloudFront\'s IpAddress condition in signed cookies is for IPv4 addresses');
    }
    if (props.pipeline.contentKeysTable && this.streamLimit === undefined) {
      throw new Error(`invalid EntitlementApi props at ${this.node.path}: the pipeline encrypts segments, and a content key is answered only to `
        + 'a live playback session, which exists with a stream limit: set streamLimit (from 1 to 100)');
    }
    if (this.streamLimit !== undefined) {
      // Items past their expiry are free slots already; TTL only keeps the table small.
      this.sessionsTable = new dynamodb.Table(this, 'Sessions', {
        ...tableDefaults(settings.removalPolicy),
        partitionKey: stringKey('userId'),
        sortKey: { name: 'slot', type: dynamodb.AttributeType.NUMBER },
        timeToLiveAttribute: 'ttl',
      });
    }
    this.stripeWebhookSecret = props.stripeWebhookSecret ?? this.createStripeWebhookSecret();
    this.stripeApiKey = props.stripeApiKey;
    this.premiumPrice = props.premiumPrice;

    const api = this.createApiFunction(settings.sessionSeconds, props.crossSiteCookies ?? false, settings.logRetention);
    this.apiFunction = api.fn;
    this.apiHandler = api.fn;
    this.apiLogGroup = api.logGroup;
    const webhook = this.createWebhookFunction(settings.logRetention);
    this.webhookFunction = webhook.fn;
    this.webhookLogGroup = webhook.logGroup;
    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetters', 'status events that could not be applied');
    const status = this.createStatusFunction(settings.logRetention);
    this.statusFunction = status.fn;
    this.statusLogGroup = status.logGroup;
    this.statusRule = this.createStatusRule();

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: settings.logRetention, removalPolicy: settings.removalPolicy });
    this.httpApi = this.createHttpApi();
    this.stage = this.createStage(settings.rateLimit, settings.burstLimit);
    this.addRoutes();
    this.apiUrl = `${this.httpApi.apiEndpoint}/api`;
    this.node.addValidation({ validate: () => this.validateMediaDomain() });
    this.node.addValidation({
      validate: () => (this.bindsPlaybackToViewerIp && !this.routedThroughDelivery ? [
        'bindPlaybackToViewerIp reads the viewer\'s address from the delivery distribution, which must serve the API: call routeThroughDelivery() '
        + '(VodPlatform does); behind a proxy of your own the API would see the proxy\'s address',
      ] : []),
    });
  }

  /**
   * Serves the API under `/api/*` of the delivery distribution, so the player,
   * the API and the media share one host and the playback cookies the API
   * sets reach the media: never cached, every method, every viewer header but
   * Host (API Gateway routes by its own). With `bindPlaybackToViewerIp` it
   * also puts the viewer-address CloudFront Function on that behaviour and
   * makes the secret its origin header carries. VodPlatform calls it.
   */
  public routeThroughDelivery(): void {
    if (this.routedThroughDelivery) {
      return;
    }
    this.routedThroughDelivery = true;
    const apiDomain = Fn.select(2, Fn.split('/', this.httpApi.apiEndpoint));
    this.originSecret = this.bindsPlaybackToViewerIp ? this.createOriginVerifySecret() : undefined;
    // Behind CloudFront the API sees an edge server's address; this function hands it the viewer's.
    this.addressFunction = this.bindsPlaybackToViewerIp ? new cloudfront.Function(this, 'ViewerAddressFunction', {
      code: cloudfront.FunctionCode.fromInline(VIEWER_ADDRESS_FUNCTION_CODE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'Tells the platform API the viewer address its playback cookies are bound to',
    }) : undefined;
    this.delivery.distribution.addBehavior('api/*', new origins.HttpOrigin(apiDomain, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      // A dynamic reference, resolved by CloudFormation at deploy: the template holds the secret's ARN, never its value.
      customHeaders: this.originSecret ? { [ORIGIN_VERIFY_HEADER]: this.originSecret.secretValue.unsafeUnwrap() } : undefined,
    }), {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      compress: true,
      functionAssociations: this.addressFunction
        ? [{ eventType: cloudfront.FunctionEventType.VIEWER_REQUEST, function: this.addressFunction }]
        : undefined,
    });
  }

  /**
   * The CloudFront Function that tells the API the viewer's address: set
   * once the API is routed through the delivery distribution with
   * `bindPlaybackToViewerIp`.
   */
  public get viewerAddressFunction(): cloudfront.IFunction | undefined {
    return this.addressFunction;
  }

  /**
   * The secret whose value the distribution sends the API in its origin
   * header, so the API trusts the viewer's address from it alone: set once the
   * API is routed through the delivery distribution with
   * `bindPlaybackToViewerIp`.
   */
  public get originVerifySecret(): secretsmanager.ISecret | undefined {
    return this.originSecret;
  }

  /** Playback sessions issued. Sum over 5 minutes by default. */
  public metricSessionsIssued(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric(API_METRICS.sessionsIssued, props);
  }

  /**
   * Playback sessions denied (no such video, sign-in needed, not entitled, or
   * bound to the viewer's address and no address to bind to). Sum over 5
   * minutes by default.
   */
  public metricSessionsDenied(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric(API_METRICS.sessionsDenied, props);
  }

  /** Answers of the API in the 5xx range. */
  public metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.httpApi.metricServerError(props);
  }

  private apiMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return serviceMetric(API_METRICS, metricName, { [API_METRICS.scopeDimension]: this.metricsScope }, props);
  }

  private addRoute(routeKey: string, integration: apigwv2.HttpRouteIntegration): void {
    const [method, path] = routeKey.split(' ');
    this.httpApi.addRoutes({ path, methods: [method as apigwv2.HttpMethod], integration });
  }

  private validate(props: EntitlementApiProps) {
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
    const price = props.premiumPrice;
    if (price && (!Number.isInteger(price.amount) || price.amount < 1 || price.amount > 99_999_999 || !/^[a-z]{3}$/.test(price.currency))) {
      errors.push(`premiumPrice must be a whole amount from 1 to 99999999 in the smallest unit of a lowercase ISO 4217 currency, got ${JSON.stringify(price)}`);
    }
    if (props.pipeline.sourceBucket !== props.uploads.bucket) {
      errors.push('the pipeline must transcode the uploads bucket the API issues uploads to (its sourceBucket is another bucket)');
    }
    if (errors.length > 0) {
      throw new Error(`invalid EntitlementApi props at ${this.node.path}: ${errors.join('; ')}`);
    }
    return {
      sessionSeconds,
      rateLimit,
      burstLimit,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    };
  }

  private validateMediaDomain(): string[] {
    return this.routedThroughDelivery || this.explicitMediaDomain !== undefined ? [] : [
      'browsers keep a cookie only for the host that set it, so playback cookies set by the API\'s execute-api host never reach the media: '
      + 'call routeThroughDelivery() to serve the API on the distribution\'s domain (as VodPlatform does), '
      + 'or give mediaDomain, the host on which a proxy of yours serves both the API and the media',
    ];
  }

  /** The media host the API signs cookies for: the explicit one, or the distribution's. */
  private mediaDomain(): string {
    return this.explicitMediaDomain ?? this.delivery.domainName;
  }

  private createCatalogTable(removalPolicy: RemovalPolicy): dynamodb.Table {
    const catalog = new dynamodb.Table(this, 'Catalog', { ...tableDefaults(removalPolicy), partitionKey: stringKey('videoId') });
    catalog.addGlobalSecondaryIndex({ indexName: CATALOG_INDEXES.byCreator, partitionKey: stringKey('creatorId'), sortKey: stringKey('createdAt') });
    catalog.addGlobalSecondaryIndex({ indexName: CATALOG_INDEXES.published, partitionKey: stringKey('listing'), sortKey: stringKey('publishedAt') });
    // Admins' lists of recent and failed videos. DynamoDB adds one index per table update, so an upgrade adds just this one.
    catalog.addGlobalSecondaryIndex({ indexName: CATALOG_INDEXES.byState, partitionKey: stringKey('state'), sortKey: stringKey('updatedAt') });
    return catalog;
  }

  private createEntitlementsTable(removalPolicy: RemovalPolicy): dynamodb.Table {
    const entitlements = new dynamodb.Table(this, 'Entitlements', {
      ...tableDefaults(removalPolicy),
      partitionKey: stringKey('userId'),
      sortKey: stringKey('entitlementId'),
      timeToLiveAttribute: 'ttl',
    });
    entitlements.addGlobalSecondaryIndex({
      indexName: ENTITLEMENT_INDEXES.byPaymentRef, partitionKey: stringKey('paymentRef'), projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    return entitlements;
  }

  /**
   * The value the distribution sends the API in its origin header, so the API
   * trusts the viewer's address only from the distribution: random, made by
   * Secrets Manager, read by the API function alone.
   */
  private createOriginVerifySecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'OriginVerifySecret', {
      description: 'Sent by the platform\'s distribution to its API in an origin header, so the API trusts the viewer address header from it alone',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: this.removalPolicy,
    });
    acknowledge(secret, {
      id: 'AwsSolutions-SMG4',
      reason: 'The value is written into the distribution\'s origin header when the stack deploys (a dynamic reference); a rotation would change it in Secrets Manager alone, and the API would refuse the distribution\'s address header until CloudFormation next updated the distribution. It never appears in the template or a log; whoever may read the distribution\'s configuration or the secret sees it.',
    });
    secret.grantRead(this.apiHandler);
    this.apiHandler.addEnvironment(API_ENV.originVerifySecret, secret.secretArn);
    return secret;
  }

  private createStripeWebhookSecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'StripeWebhookSecret', {
      description: 'Signing secret (whsec_...) of the Stripe webhook endpoint; set it after creating the endpoint in Stripe',
    });
    acknowledge(secret, {
      id: 'AwsSolutions-SMG4',
      reason: 'The value is the signing secret Stripe issues for the webhook endpoint; it is rolled in Stripe and copied here, which Secrets Manager rotation cannot do.',
    });
    return secret;
  }

  private createApiFunction(sessionSeconds: number, crossSiteCookies: boolean, logRetention: logs.RetentionDays) {
    const basics = handlerBasics(this, 'Api', { description: 'Answers the video platform\'s HTTP API routes', logRetention, removalPolicy: this.removalPolicy });
    const fn = new ApiFunction(this, 'ApiFunction', {
      ...basics.functionOptions,
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment: {
        [API_ENV.catalogTable]: this.catalogTable.tableName,
        [API_ENV.entitlementsTable]: this.entitlementsTable.tableName,
        [API_ENV.issuer]: `https://cognito-idp.${this.userPool.env.region}.amazonaws.com/${this.userPool.userPoolId}`,
        [API_ENV.clientId]: this.userPoolClient.userPoolClientId,
        [API_ENV.uploadIssuer]: this.uploads.issuerFunction.functionName,
        [API_ENV.transcodeSubmit]: this.pipeline.submitFunction.functionName,
        [API_ENV.outputBucket]: this.pipeline.outputBucket.bucketName,
        [API_ENV.distributionId]: this.delivery.distribution.distributionId,
        [API_ENV.mediaDomain]: Lazy.string({ produce: () => this.mediaDomain() }),
        [API_ENV.sessionSeconds]: String(sessionSeconds),
        [API_ENV.sameSite]: crossSiteCookies ? 'None' : 'Strict',
        [API_ENV.metricsScope]: this.metricsScope,
        [API_ENV.appUrl]: Lazy.string({ produce: () => `https://${this.mediaDomain()}` }),
        ...(this.stripeApiKey ? { [API_ENV.stripeApiKey]: this.stripeApiKey.secretArn } : {}),
        ...(this.premiumPrice ? { [API_ENV.premiumPrice]: JSON.stringify(this.premiumPrice) } : {}),
        ...(this.sessionsTable ? { [API_ENV.sessionsTable]: this.sessionsTable.tableName, [API_ENV.streamLimit]: String(this.streamLimit) } : {}),
        ...(this.pipeline.contentKeysTable ? { [API_ENV.contentKeysTable]: this.pipeline.contentKeysTable.tableName } : {}),
        ...(this.bindsPlaybackToViewerIp ? {
          [API_ENV.viewerAddress]: ADDRESS_FROM_DISTRIBUTION,
        } : {}),
      },
    });
    if (this.sessionsTable) {
      grantTable(fn, this.sessionsTable, ['PutItem', 'UpdateItem', 'Query'], []);
    }
    if (this.pipeline.contentKeysTable) {
      // The key route reads keys; only the pipeline makes and removes them.
      grantTable(fn, this.pipeline.contentKeysTable, ['GetItem'], []);
    }
    this.stripeApiKey?.grantRead(fn);
    grantTable(fn, this.catalogTable, ['GetItem', 'PutItem', 'UpdateItem', 'Query'], Object.values(CATALOG_INDEXES));
    grantTable(fn, this.entitlementsTable, ['GetItem', 'PutItem', 'DeleteItem', 'Query'], []);
    this.uploads.grantIssueUploads(fn);
    this.pipeline.grantRetry(fn);
    this.pipeline.grantDeleteVideos(fn);
    // Caption tracks: their files beside the renditions, and the master playlist invalidated at the CDN once it lists them.
    this.pipeline.grantCaptionWrites(fn);
    // Posters picked from the scrub thumbnails: written beside the pipeline's posters, the replaced one invalidated at the CDN.
    this.pipeline.grantPosterPicks(fn);
    this.delivery.grantInvalidate(fn);
    this.delivery.bindSigner(fn);
    acknowledge(fn, {
      id: 'Serverless-LambdaDLQ',
      reason: 'API Gateway invokes the API synchronously; a failure is answered to the client, so there is no event to keep.',
    });
    return { fn, logGroup: basics.logGroup };
  }

  private createWebhookFunction(logRetention: logs.RetentionDays) {
    const basics = handlerBasics(this, 'Webhook', { description: 'Answers Stripe\'s webhook', logRetention, removalPolicy: this.removalPolicy });
    const fn = new StripeWebhookFunction(this, 'WebhookFunction', {
      ...basics.functionOptions,
      timeout: Duration.seconds(29),
      environment: {
        [API_ENV.entitlementsTable]: this.entitlementsTable.tableName,
        [API_ENV.stripeSecret]: this.stripeWebhookSecret.secretArn,
      },
    });
    grantTable(fn, this.entitlementsTable, ['PutItem', 'UpdateItem', 'DeleteItem', 'Query'], Object.values(ENTITLEMENT_INDEXES));
    this.stripeWebhookSecret.grantRead(fn);
    acknowledge(fn, {
      id: 'Serverless-LambdaDLQ',
      reason: 'API Gateway invokes the webhook synchronously; Stripe retries an event that was not answered 2xx, so there is no event to keep.',
    });
    return { fn, logGroup: basics.logGroup };
  }

  private createStatusFunction(logRetention: logs.RetentionDays) {
    const basics = handlerBasics(this, 'Status', { description: 'Applies transcode status to the video catalog', logRetention, removalPolicy: this.removalPolicy });
    // With automatic captions, the pipeline's transcriptions become caption tracks here.
    const automaticCaptions = this.pipeline.transcriptionStateRule !== undefined;
    const fn = new StatusConsumerFunction(this, 'StatusFunction', {
      ...basics.functionOptions,
      timeout: Duration.seconds(30),
      environment: {
        [API_ENV.catalogTable]: this.catalogTable.tableName,
        [API_ENV.distributionId]: this.delivery.distribution.distributionId,
        ...(automaticCaptions ? { [API_ENV.outputBucket]: this.pipeline.outputBucket.bucketName } : {}),
        ...(automaticCaptions && this.pipeline.contentKeysTable ? { [API_ENV.contentKeysTable]: this.pipeline.contentKeysTable.tableName } : {}),
      },
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
    });
    grantTable(fn, this.catalogTable, automaticCaptions ? ['GetItem', 'UpdateItem'] : ['UpdateItem'], []);
    if (automaticCaptions) {
      // Automatic captions are added as caption tracks are: their files beside the renditions, the master playlist rewritten.
      this.pipeline.grantCaptionWrites(fn);
      if (this.pipeline.contentKeysTable) {
        // An encrypted video's first segment is decrypted to time the track.
        grantTable(fn, this.pipeline.contentKeysTable, ['GetItem'], []);
      }
    }
    // A deleted video's renditions and posters are invalidated once the pipeline has removed them.
    this.delivery.grantInvalidate(fn);
    acknowledge(fn, {
      id: 'Serverless-LambdaDLQ',
      reason: 'Failed asynchronous invocations go to an on-failure destination, the API\'s dead-letter queue, which keeps the event and the error together.',
    });
    return { fn, logGroup: basics.logGroup };
  }

  private createStatusRule(): events.Rule {
    return new events.Rule(this, 'TranscodeStatus', {
      description: 'The pipeline\'s transcode status moves videos through their life',
      eventBus: this.pipeline.eventBus,
      eventPattern: { source: [TRANSCODE_EVENT_SOURCE], detail: { pipelineId: [this.pipeline.pipelineId] } },
      targets: [new targets.LambdaFunction(this.statusFunction, {
        deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(24),
      })],
    });
  }

  private createHttpApi(): apigwv2.HttpApi {
    const httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Video platform API: catalog, uploads, playback sessions, entitlements',
      createDefaultStage: false,
    });
    acknowledge(httpApi, {
      id: 'AwsSolutions-APIG4',
      reason: 'Routes are authorized in the handler: aws-jwt-verify checks each access token (issuer, client, token use, expiry, JWKS signature) and the route checks its groups; the catalog list and public playback need no token, a content key is answered against the playback session its cookie names, and Stripe\'s webhook is authenticated by its signature.',
    });
    return httpApi;
  }

  private createStage(rateLimit: number, burstLimit: number): apigwv2.HttpStage {
    return new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
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
  }

  private addRoutes(): void {
    const apiIntegration = new integrations.HttpLambdaIntegration('Api', this.apiFunction);
    for (const routeKey of API_ROUTES) {
      this.addRoute(routeKey, apiIntegration);
    }
    this.addRoute(STRIPE_WEBHOOK_ROUTE, new integrations.HttpLambdaIntegration('StripeWebhook', this.webhookFunction));
  }
}

function stringKey(name: string): dynamodb.Attribute {
  return { name, type: dynamodb.AttributeType.STRING };
}

/** Each table and each index by its own ARN: no wildcards. */
function grantTable(grantee: iam.IGrantable, table: dynamodb.ITable, actions: string[], indexes: readonly string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: actions.map((action) => `dynamodb:${action}`),
    resources: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index}`)],
  }));
}

/** The API reads the viewer's address from the header of the distribution's function. */
const ADDRESS_FROM_DISTRIBUTION: ViewerAddressSource = 'cloudfront';

function streamLimitOf(path: string, limit: number | undefined): number | undefined {
  if (limit !== undefined && (Token.isUnresolved(limit) || !Number.isInteger(limit) || limit < 1 || limit > 100)) {
    throw new Error(`invalid EntitlementApi props at ${path}: streamLimit must be a whole number from 1 to 100, got ${limit}`);
  }
  return limit;
}
