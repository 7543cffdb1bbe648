import {
  Aws, CfnOutput, Duration, Lazy, RemovalPolicy, Stack,
  aws_certificatemanager as acm,
  aws_cloudfront as cloudfront,
  aws_cloudfront_origins as origins,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as actions,
  aws_cognito as cognito,
  aws_logs as logs,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { createWebAppBucket, deployWebApp, userPoolIssuer } from './web-app';
import { SignedCookieDistribution, SignedCookieDistributionProps } from '../delivery/signed-cookie-distribution';
import { EntitlementApi, PremiumPrice } from '../entitlement/entitlement-api';
import { addManagedLoginStyle, addSignInDomain } from '../entitlement/user-pool';
import { regionalOriginAccessControl } from '../internal/names';
import { HlsTranscodePipeline, HlsTranscodePipelineProps } from '../transcode/hls-transcode-pipeline';
import { SecureUploadBucket, SecureUploadBucketProps } from '../upload/secure-upload-bucket';

/**
 * Where and how people sign in.
 */
export interface VodPlatformSignInOptions {
  /**
   * The prefix of a Cognito domain, `<prefix>.auth.<region>.amazoncognito.com`.
   * Prefixes are shared by every AWS account of a Region.
   *
   * @default - `vod-` with a hash of the platform's path and the first group of the stack's id
   */
  readonly domainPrefix?: string;

  /**
   * A domain of your own for the sign-in pages instead of a Cognito prefix
   * domain, with its certificate in us-east-1.
   *
   * @default - a Cognito prefix domain
   */
  readonly customDomain?: cognito.CustomDomainOptions;

  /**
   * The base URL of a domain the brought user pool has already
   * (`https://auth.example.com`, or `https://<prefix>.auth.<region>.amazoncognito.com`);
   * no domain is added then. Its app client needs a managed login style.
   *
   * @default - the platform adds a domain to the user pool
   */
  readonly existingDomainUrl?: string;

  /**
   * How a user pool the platform creates sends email (verification codes,
   * password resets), for example `cognito.UserPoolEmail.withSES(...)`.
   * Cognito's default sender allows a small daily number of emails per user
   * pool, enough to try the platform, not to run it.
   *
   * @default - Cognito's default sender
   */
  readonly email?: cognito.UserPoolEmail;
}

/**
 * Options of the platform's API: what the platform does not set itself.
 */
export interface VodPlatformApiOptions {
  /**
   * How long a playback session's cookies last; the player refreshes them before.
   *
   * @default Duration.minutes(5)
   */
  readonly playbackSessionDuration?: Duration;

  /**
   * How many playback sessions a signed-in user may hold at once (1 to 100);
   * over it, starting one answers 429 with the user's sessions, for the app
   * to offer stopping one. Needed with the pipeline's `encryptSegments`.
   *
   * @default - no limit
   */
  readonly streamLimit?: number;

  /**
   * Bind each playback session (its cookies, download URLs and, with
   * encrypted segments, its key) to the viewer's IPv4 address; the platform's
   * distribution then serves IPv4 only. See
   * `EntitlementApiProps.bindPlaybackToViewerIp` for the trade-offs (viewers
   * whose network changes their address between requests).
   *
   * @default false
   */
  readonly bindPlaybackToViewerIp?: boolean;

  /**
   * Callback URLs of the app client besides the platform's own domain (for
   * example a local development server).
   *
   * @default - the platform's domain only
   */
  readonly callbackUrls?: string[];

  /**
   * The secret holding the Stripe webhook endpoint's signing secret (`whsec_...`).
   *
   * @default - a new secret with a random value: set it to the endpoint's secret; until then every event is refused
   */
  readonly stripeWebhookSecret?: secretsmanager.ISecret;

  /**
   * The secret holding Stripe's secret API key, with which the API creates
   * Checkout Sessions for videos for purchase and premium.
   *
   * @default - no checkout: admins grant videos and premium
   */
  readonly stripeApiKey?: secretsmanager.ISecret;

  /**
   * The price of a premium membership, sold through Stripe Checkout as a subscription.
   *
   * @default - no premium offer
   */
  readonly premiumPrice?: PremiumPrice;

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
   * What happens to the catalog and entitlements tables (and a new user pool) when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the API's handler and access logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Properties of a VodPlatform.
 */
export interface VodPlatformProps {
  /**
   * Custom domain names of the platform (the player, the API and the media
   * share them). Needs `certificate`.
   *
   * @default - the distribution's own `*.cloudfront.net` name
   */
  readonly domainNames?: string[];

  /**
   * The certificate for `domainNames`, in us-east-1.
   *
   * @default - CloudFront's default certificate
   */
  readonly certificate?: acm.ICertificate;

  /**
   * A bucket holding your own web app (`index.html` at its root), served on
   * the default path through origin access control instead of the
   * platform's.
   *
   * @default - a new private bucket with the platform's web app
   */
  readonly webAppBucket?: s3.IBucket;

  /**
   * Whether to deploy the platform's web app (the catalog, the player,
   * checkout, the creators' studio and the admins' page) and its
   * `/config.json` into the web app bucket on every deploy. Without it and
   * without `webAppBucket`, there is no web app: the default path needs
   * signed access like the media.
   *
   * @default - true, unless `webAppBucket` is given
   */
  readonly deployWebApp?: boolean;

  /**
   * Where and how people sign in: a domain with managed login (sign-up,
   * email verification, password reset) on the user pool.
   *
   * @default - a Cognito prefix domain derived from the stack, Cognito's email sender
   */
  readonly signIn?: VodPlatformSignInOptions;

  /**
   * Origins of players on other sites. Their cookies are then sent cross-site
   * (`SameSite=None`) and the media answers them with exact-origin CORS.
   *
   * @default - none: the player is on the platform's domain
   */
  readonly corsAllowedOrigins?: string[];

  /**
   * The user pool whose users sign in. The platform adds the groups its API
   * checks, `creators` and `admins` (see `createUserPoolGroups`).
   *
   * @default - a new user pool: email sign-in, strong passwords, optional TOTP, groups `creators` and `admins`
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
   * The app client the player signs in with.
   *
   * @default - a new public client with the authorization code flow and PKCE, calling back to the platform's domain
   */
  readonly userPoolClient?: cognito.IUserPoolClient;

  /**
   * Whether people may sign up by themselves (in a user pool the platform creates).
   *
   * @default true
   */
  readonly selfSignUpEnabled?: boolean;

  /**
   * Whether a second factor is required (in a user pool the platform creates).
   *
   * @default false
   */
  readonly requireMfa?: boolean;

  /**
   * What happens to everything the platform creates when it leaves the stack
   * (on `cdk destroy`, or when removed from the app). `RemovalPolicy.RETAIN`
   * keeps the buckets (uploads, renditions, every log bucket), the tables,
   * the user pool and the log groups, so no upload, account or log is lost
   * by accident. `RemovalPolicy.DESTROY` is for development stacks: buckets
   * are emptied, every version, and everything is deleted. A child's own
   * `removalPolicy` wins over this one.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Where the platform's alarms notify.
   *
   * @default - the alarms notify nobody; see `alarms`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Props of the upload bucket. The platform sets `allowedOrigins` itself, to
   * its own domain and `corsAllowedOrigins`; giving them here is refused.
   *
   * @default - SecureUploadBucket's defaults
   */
  readonly uploads?: SecureUploadBucketProps;

  /**
   * Props of the transcode pipeline. The platform sets `sourceBucket` and
   * `keyServerUrl` itself; giving them here is refused. With
   * `encryptSegments`, the API needs a `streamLimit`.
   *
   * @default - HlsTranscodePipeline's defaults
   */
  readonly pipeline?: HlsTranscodePipelineProps;

  /**
   * Props of the distribution. The platform sets `bucket`, `domainNames`,
   * `certificate`, `corsAllowedOrigins` and, with a web app, `defaultBehavior`
   * itself (the last four from its own props); giving them here is refused.
   *
   * @default - SignedCookieDistribution's defaults
   */
  readonly delivery?: SignedCookieDistributionProps;

  /**
   * Options of the API. The platform gives it the composed parts, the user
   * pool (see `userPool`), its domain, and its callback URL.
   *
   * @default - EntitlementApi's defaults
   */
  readonly api?: VodPlatformApiOptions;
}

/**
 * The whole video-on-demand platform on one CloudFront domain: `/api/*` to
 * the API (never cached, viewer headers but Host forwarded, every method),
 * `/videos/*` to signed media, `/posters/*` public, and the default path to
 * your player. The player, the API and the media share one origin, so the
 * playback cookies are first-party and no CORS is needed.
 */
export class VodPlatform extends Construct {
  /** Where creators upload. */
  public readonly uploads: SecureUploadBucket;

  /** The transcode pipeline. */
  public readonly pipeline: HlsTranscodePipeline;

  /** The distribution serving the player, the API and the media. */
  public readonly delivery: SignedCookieDistribution;

  /** The API. */
  public readonly api: EntitlementApi;

  /** The user pool. */
  public readonly userPool: cognito.IUserPool;

  /** The app client. */
  public readonly userPoolClient: cognito.IUserPoolClient;

  /** `https://<domain>`: the player, the API under `/api` and the media under `/videos`. */
  public readonly url: string;

  /** `https://<domain>/api`. */
  public readonly apiUrl: string;

  /** Failed transcodes, dead letters, API errors and throttling. */
  public readonly alarms: cloudwatch.Alarm[];

  /** The domain of the sign-in pages, unless the brought user pool's is used. */
  public readonly signInDomain?: cognito.UserPoolDomain;

  /** Base URL of the sign-in pages and Cognito's OAuth 2.0 endpoints (`/oauth2/authorize`, `/oauth2/token`, `/logout`). */
  public readonly signInUrl: string;

  /** The bucket the web app is served from, if there is a web app. */
  public readonly webAppBucket?: s3.IBucket;

  constructor(scope: Construct, id: string, props: VodPlatformProps = {}) {
    super(scope, id);
    this.refuseWhatThePlatformSets(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const deployApp = props.deployWebApp ?? props.webAppBucket === undefined;
    this.webAppBucket = props.webAppBucket ?? (deployApp ? createWebAppBucket(this, removalPolicy) : undefined);

    this.uploads = new SecureUploadBucket(this, 'Uploads', {
      removalPolicy,
      ...props.uploads,
      // The platform's own origin, known once the distribution exists, and the other players'.
      allowedOrigins: [Lazy.string({ produce: () => this.url }), ...props.corsAllowedOrigins ?? []],
    });
    this.pipeline = new HlsTranscodePipeline(this, 'Transcode', {
      removalPolicy,
      ...props.pipeline,
      sourceBucket: this.uploads.bucket,
      // The API answers keys on the platform's domain, known once the distribution exists.
      keyServerUrl: props.pipeline?.encryptSegments ? Lazy.string({ produce: () => this.url }) : undefined,
    });
    this.delivery = this.createDelivery(props, removalPolicy);
    this.url = `https://${this.delivery.domainName}`;
    this.api = this.createApi(props, removalPolicy);
    // The API on the same domain as the player and the media, so its cookies are first-party.
    this.api.routeThroughDelivery();
    this.userPool = this.api.userPool;
    this.userPoolClient = this.api.userPoolClient;
    this.apiUrl = `${this.url}/api`;
    if (props.signIn?.existingDomainUrl) {
      this.signInUrl = props.signIn.existingDomainUrl.replace(/\/+$/, '');
    } else {
      this.signInDomain = addSignInDomain(this, this.userPool, props.signIn);
      this.signInUrl = props.signIn?.customDomain ? `https://${props.signIn.customDomain.domainName}` : this.signInDomain.baseUrl();
    }
    if (!props.userPoolClient) {
      addManagedLoginStyle(this, this.userPool, this.userPoolClient);
    }
    if (deployApp && this.webAppBucket) {
      deployWebApp(this, {
        bucket: this.webAppBucket,
        // Your own bucket may hold files of yours: they stay.
        prune: props.webAppBucket === undefined,
        distribution: this.delivery.distribution,
        config: {
          region: Aws.REGION,
          clientId: this.userPoolClient.userPoolClientId,
          signInUrl: this.signInUrl,
          issuer: userPoolIssuer(this.userPool.userPoolId),
          apiPath: '/api',
          scopes: ['openid', 'email', 'profile'],
        },
      });
    }
    this.alarms = [...this.pipeline.alarms, ...this.createApiAlarms()];
    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      this.alarms.forEach((each) => each.addAlarmAction(action));
    }
    this.createOutputs();
  }

  /** The distribution over the pipeline's output, with the web app (when there is one) on the default path. */
  private createDelivery(props: VodPlatformProps, removalPolicy: RemovalPolicy): SignedCookieDistribution {
    const webApp = this.webAppBucket
      ? origins.S3BucketOrigin.withOriginAccessControl(this.webAppBucket, { originAccessControl: regionalOriginAccessControl(this, 'WebAppAccessControl') })
      : undefined;
    return new SignedCookieDistribution(this, 'Delivery', {
      removalPolicy,
      ...props.delivery,
      // Cookies bound to an address name an IPv4 one; an explicit enableIpv6: true is left for the API to refuse.
      enableIpv6: props.delivery?.enableIpv6 ?? !(props.api?.bindPlaybackToViewerIp ?? false),
      bucket: this.pipeline.outputBucket,
      domainNames: props.domainNames,
      certificate: props.certificate,
      corsAllowedOrigins: props.corsAllowedOrigins,
      defaultBehavior: webApp ? {
        origin: webApp,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
        compress: true,
      } : props.delivery?.defaultBehavior,
    });
  }

  private createApi(props: VodPlatformProps, removalPolicy: RemovalPolicy): EntitlementApi {
    return new EntitlementApi(this, 'Api', {
      removalPolicy,
      ...props.api,
      uploads: this.uploads,
      pipeline: this.pipeline,
      delivery: this.delivery,
      userPool: props.userPool,
      userPoolClient: props.userPoolClient,
      createUserPoolGroups: props.createUserPoolGroups,
      selfSignUpEnabled: props.selfSignUpEnabled,
      userPoolEmail: props.signIn?.email,
      requireMfa: props.requireMfa,
      crossSiteCookies: (props.corsAllowedOrigins ?? []).length > 0,
      // Every name of the platform may serve the web app, so each is a place to come back to after sign-in.
      callbackUrls: [`${this.url}/`, ...(props.domainNames ?? []).slice(1).map((name) => `https://${name}/`), ...(props.api?.callbackUrls ?? [])],
    });
  }

  /** The API's server errors and throttling, and status events the catalog could not apply. */
  private createApiAlarms(): cloudwatch.Alarm[] {
    const alarm = (name: string, metric: cloudwatch.IMetric, description: string, threshold = 1) =>
      new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    return [
      alarm('ApiServerErrorsAlarm', this.api.metricServerErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        'The API answered 5 or more server errors in 5 minutes', 5),
      alarm('ApiThrottledAlarm', this.api.apiFunction.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        'Lambda throttled the API function: raise its concurrency or the account limit'),
      alarm('StatusDeadLettersAlarm',
        this.api.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
        'A transcode status could not be applied to the catalog and waits in the API\'s dead-letter queue'),
    ];
  }


  /**
   * Stack outputs with names to script against: the platform's construct path
   * in the stack (`Vod` for `new VodPlatform(this, 'Vod')`) and what it is,
   * such as `VodPlatformUrl`, `VodApiUrl`, `VodUserPoolId`, `VodUserPoolClientId`
   * and `VodRegion`; two platforms of one stack differ by their ids.
   */
  private createOutputs(): void {
    const stack = Stack.of(this);
    const prefix = this.node.scopes.slice(this.node.scopes.indexOf(stack) + 1).map((scope) => scope.node.id.replace(/[^A-Za-z0-9]/g, '')).join('');
    const output = (name: string, value: string, description: string) => {
      new CfnOutput(this, name, { value, description }).overrideLogicalId(`${prefix}${name}`);
    };
    output('PlatformUrl', this.url, 'The player, the API (/api) and the media (/videos) on one domain');
    output('ApiUrl', this.apiUrl, 'Base URL of the API');
    output('UserPoolId', this.userPool.userPoolId, 'The user pool people sign in to');
    output('UserPoolClientId', this.userPoolClient.userPoolClientId, 'The app client the web app signs in with');
    output('SignInUrl', `${this.signInUrl}/login?client_id=${this.userPoolClient.userPoolClientId}&response_type=code&redirect_uri=https%3A%2F%2F${this.delivery.domainName}%2F`,
      'Managed login: sign in or sign up, then land on the web app');
    output('Region', Aws.REGION, 'The Region of the platform\'s API, tables and pipeline');
  }

  /** Props of the children that the platform sets itself are refused, never silently ignored. */
  private refuseWhatThePlatformSets(props: VodPlatformProps): void {
    const refused: string[] = [];
    const given = (group: string, value: object | undefined, fields: Record<string, string>) => {
      for (const [field, instead] of Object.entries(fields)) {
        if ((value as Record<string, unknown> | undefined)?.[field] !== undefined) {
          refused.push(`${group}.${field} (${instead})`);
        }
      }
    };
    given('uploads', props.uploads, { allowedOrigins: 'the platform allows its own domain; add others with corsAllowedOrigins' });
    given('pipeline', props.pipeline, {
      sourceBucket: 'the platform transcodes its own upload bucket; bring one with uploads.bucket',
      keyServerUrl: 'the platform answers content keys on its own URL',
    });
    given('delivery', props.delivery, {
      bucket: 'the platform serves its pipeline\'s output; bring one with pipeline.outputBucket',
      domainNames: 'use domainNames',
      certificate: 'use certificate',
      corsAllowedOrigins: 'use corsAllowedOrigins',
      ...(props.webAppBucket !== undefined || (props.deployWebApp ?? true) ? { defaultBehavior: 'the web app is the default behavior; deployWebApp: false without webAppBucket frees it' } : {}),
    });
    if (refused.length > 0) {
      throw new Error(`VodPlatform at ${this.node.path} sets these itself, so they cannot be given: ${refused.join('; ')}`);
    }
  }
}
