import {
  Aws, CfnOutput, Duration, Fn, Lazy,
  aws_certificatemanager as acm,
  aws_cloudfront as cloudfront,
  aws_cloudfront_origins as origins,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as actions,
  aws_cognito as cognito,
  aws_s3 as s3,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SignedCookieDistribution, SignedCookieDistributionProps } from '../delivery/signed-cookie-distribution';
import { EntitlementApi, EntitlementApiProps } from '../entitlement/entitlement-api';
import { regionalOriginAccessControl } from '../internal/names';
import { HlsTranscodePipeline, HlsTranscodePipelineProps } from '../transcode/hls-transcode-pipeline';
import { SecureUploadBucket, SecureUploadBucketProps } from '../upload/secure-upload-bucket';

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
   * The bucket holding a player web app (`index.html` at its root), served on
   * the default path through origin access control.
   *
   * @default - no web app: the default path needs signed access like the media
   */
  readonly webAppBucket?: s3.IBucket;

  /**
   * Origins of players on other sites. Their cookies are then sent cross-site
   * (`SameSite=None`) and the media answers them with exact-origin CORS.
   *
   * @default - none: the player is on the platform's domain
   */
  readonly corsAllowedOrigins?: string[];

  /**
   * The user pool whose users sign in.
   *
   * @default - a new user pool: email sign-in, strong passwords, optional TOTP, groups `creators` and `admins`
   */
  readonly userPool?: cognito.IUserPool;

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
   * Where the platform's alarms notify.
   *
   * @default - the alarms notify nobody; see `alarms`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Props of the upload bucket. The platform sets its allowed origins to its own domain (and the CORS origins).
   *
   * @default - SecureUploadBucket's defaults
   */
  readonly uploads?: SecureUploadBucketProps;

  /**
   * Props of the transcode pipeline. The platform sets `sourceBucket`.
   *
   * @default - HlsTranscodePipeline's defaults
   */
  readonly pipeline?: HlsTranscodePipelineProps;

  /**
   * Props of the distribution. The platform sets `bucket`, `domainNames`,
   * `certificate`, `corsAllowedOrigins` and, with a web app, `defaultBehavior`.
   *
   * @default - SignedCookieDistribution's defaults
   */
  readonly delivery?: SignedCookieDistributionProps;

  /**
   * Props of the API. The platform sets the composed parts, the user pool,
   * the media domain and the callback URLs.
   *
   * @default - EntitlementApi's defaults
   */
  readonly api?: EntitlementApiProps;
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
  public readonly alarms: cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: VodPlatformProps = {}) {
    super(scope, id);

    const corsOrigins = props.corsAllowedOrigins ?? [];
    // The platform's own origin, known once the distribution exists.
    const platformOrigin = Lazy.string({ produce: () => `https://${this.delivery.domainName}` });

    this.uploads = new SecureUploadBucket(this, 'Uploads', {
      ...props.uploads,
      allowedOrigins: [platformOrigin, ...corsOrigins],
    });
    this.pipeline = new HlsTranscodePipeline(this, 'Transcode', { ...props.pipeline, sourceBucket: this.uploads.bucket });
    const webApp = props.webAppBucket
      ? origins.S3BucketOrigin.withOriginAccessControl(props.webAppBucket, { originAccessControl: regionalOriginAccessControl(this, 'WebAppAccessControl') })
      : undefined;
    this.delivery = new SignedCookieDistribution(this, 'Delivery', {
      ...props.delivery,
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
    this.url = `https://${this.delivery.domainName}`;

    this.api = new EntitlementApi(this, 'Api', {
      ...props.api,
      uploads: this.uploads,
      pipeline: this.pipeline,
      delivery: this.delivery,
      userPool: props.userPool ?? props.api?.userPool,
      userPoolClient: props.userPoolClient ?? props.api?.userPoolClient,
      selfSignUpEnabled: props.selfSignUpEnabled ?? props.api?.selfSignUpEnabled,
      requireMfa: props.requireMfa ?? props.api?.requireMfa,
      mediaDomain: this.delivery.domainName,
      crossSiteCookies: corsOrigins.length > 0,
      callbackUrls: [`${this.url}/`, ...(props.api?.callbackUrls ?? [])],
    });
    this.userPool = this.api.userPool;
    this.userPoolClient = this.api.userPoolClient;
    this.apiUrl = `${this.url}/api`;

    // The API on the same domain: never cached; every viewer header but Host (API Gateway routes by its own) reaches it.
    const apiDomain = Fn.select(2, Fn.split('/', this.api.httpApi.apiEndpoint));
    this.delivery.distribution.addBehavior('api/*', new origins.HttpOrigin(apiDomain, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    }), {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      compress: true,
    });

    const alarm = (name: string, metric: cloudwatch.IMetric, description: string, threshold = 1) =>
      new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    this.alarms = [
      ...this.pipeline.alarms,
      alarm('ApiServerErrorsAlarm', this.api.metricServerErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        'The API answered 5 or more server errors in 5 minutes', 5),
      alarm('ApiThrottledAlarm', this.api.apiFunction.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        'Lambda throttled the API function: raise its concurrency or the account limit'),
      alarm('StatusDeadLettersAlarm',
        this.api.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
        'A transcode status could not be applied to the catalog and waits in the API\'s dead-letter queue'),
    ];
    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      this.alarms.forEach((each) => (each as cloudwatch.Alarm).addAlarmAction(action));
    }

    new CfnOutput(this, 'PlatformUrl', { value: this.url, description: 'The player, the API (/api) and the media (/videos) on one domain' });
    new CfnOutput(this, 'ApiUrl', { value: this.apiUrl, description: 'Base URL of the API' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'Region', { value: Aws.REGION });
  }
}
