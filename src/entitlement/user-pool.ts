import { Aws, Duration, Fn, Names, RemovalPolicy, aws_cognito as cognito } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ADMINS_GROUP, CREATORS_GROUP } from './schema';
import { acknowledge } from '../internal/nag';

/** The groups the API checks in every token, with what each may do. */
export const API_GROUPS = [
  { id: 'Creators', name: CREATORS_GROUP, description: 'May create, upload and publish videos' },
  { id: 'Admins', name: ADMINS_GROUP, description: 'May grant and revoke entitlements, and moderate any video' },
] as const;

/**
 * A user pool for the platform: email sign-in (verified), 12-character
 * passwords with every character class, TOTP offered or required, recovery
 * by email, deletion protection unless it is to be destroyed, and the groups
 * the API checks.
 */
export function createUserPool(scope: Construct, options: {
  selfSignUpEnabled: boolean; requireMfa: boolean; removalPolicy: RemovalPolicy; email?: cognito.UserPoolEmail;
}): cognito.UserPool {
  const pool = new cognito.UserPool(scope, 'UserPool', {
    // Managed login needs Essentials or Plus; on Lite a domain serves only the classic hosted UI.
    featurePlan: cognito.FeaturePlan.ESSENTIALS,
    email: options.email,
    signInAliases: { email: true },
    autoVerify: { email: true },
    selfSignUpEnabled: options.selfSignUpEnabled,
    standardAttributes: { email: { required: true, mutable: true } },
    passwordPolicy: {
      minLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    mfa: options.requireMfa ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
    mfaSecondFactor: { otp: true, sms: false },
    accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
    deletionProtection: options.removalPolicy === RemovalPolicy.RETAIN,
    removalPolicy: options.removalPolicy,
  });
  for (const group of API_GROUPS) {
    pool.addGroup(group.id, { groupName: group.name, description: group.description });
  }
  if (!options.requireMfa) {
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

/**
 * The public app client of a web app: the authorization code flow with PKCE,
 * no secret, token revocation, one-hour access tokens and 30-day refresh
 * tokens. SRP and admin password sign-in stay available for operators.
 */
export function createWebClient(pool: cognito.IUserPool, callbackUrls: string[]): cognito.UserPoolClient {
  return pool.addClient('WebClient', {
    generateSecret: false,
    // SRP for apps; admin password auth lets an operator with IAM rights get a token from the AWS CLI.
    authFlows: { userSrp: true, adminUserPassword: true },
    oAuth: {
      flows: { authorizationCodeGrant: true },
      scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
      callbackUrls,
      logoutUrls: callbackUrls,
    },
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    accessTokenValidity: Duration.hours(1),
    idTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.days(30),
  });
}

/**
 * Gives a brought user pool the groups the API checks. A pool defined in this
 * app gets each group it does not define yet; an imported pool gets both
 * unless `createGroups` is false (the pool has them already: CloudFormation
 * cannot create a group that exists).
 */
export function ensureApiGroups(scope: Construct, pool: cognito.IUserPool, createGroups: boolean): void {
  if (!createGroups) {
    return;
  }
  const defined = definedGroupNames(pool);
  for (const group of API_GROUPS) {
    if (!defined.has(group.name)) {
      new cognito.CfnUserPoolGroup(scope, `${group.id}Group`, {
        userPoolId: pool.userPoolId, groupName: group.name, description: group.description,
      });
    }
  }
}

/** Names of the groups defined in this app for the pool (none are known of an imported pool). */
function definedGroupNames(pool: cognito.IUserPool): Set<string> {
  const names = new Set<string>();
  for (const construct of pool.node.root.node.findAll()) {
    if (construct instanceof cognito.CfnUserPoolGroup && construct.userPoolId === pool.userPoolId && construct.groupName) {
      names.add(construct.groupName);
    }
  }
  return names;
}

/** Where people sign in: a Cognito prefix domain, or a custom domain with its certificate. */
export interface SignInDomainOptions {
  readonly domainPrefix?: string;
  readonly customDomain?: cognito.CustomDomainOptions;
}

/**
 * Gives the pool a domain serving managed login (sign-in, sign-up, email
 * verification, password reset) and Cognito's OAuth 2.0 endpoints. Without a
 * prefix or a custom domain, the prefix is `vod-` with a hash of the
 * construct's path and the first group of the stack's id (a UUID): prefix
 * domains are shared by every account of a Region, so a name derived from
 * the stack's name alone could be taken already.
 */
export function addSignInDomain(scope: Construct, pool: cognito.IUserPool, options: SignInDomainOptions = {}): cognito.UserPoolDomain {
  if (options.domainPrefix !== undefined && options.customDomain !== undefined) {
    throw new Error('give a domainPrefix or a customDomain for the sign-in domain, not both');
  }
  // Cognito refuses prefixes holding these words (its CreateUserPoolDomain answers "reserved word").
  const reserved = ['aws', 'amazon', 'cognito'].find((word) => options.domainPrefix?.toLowerCase().includes(word));
  if (reserved) {
    throw new Error(`the sign-in domainPrefix ${JSON.stringify(options.domainPrefix)} holds "${reserved}", which Cognito does not allow in a prefix`);
  }
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  const derived = Fn.join('-', ['vod', Names.uniqueId(scope).slice(-8).toLowerCase(), Fn.select(0, Fn.split('-', stackUuid))]);
  return new cognito.UserPoolDomain(scope, 'SignInDomain', {
    userPool: pool,
    managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    ...(options.customDomain
      ? { customDomain: options.customDomain }
      : { cognitoDomain: { domainPrefix: options.domainPrefix ?? derived } }),
  });
}

/**
 * Managed login serves an app client's pages only once the client has a
 * branding style: this assigns Cognito's default style, which the console's
 * branding editor can change later.
 */
export function addManagedLoginStyle(scope: Construct, pool: cognito.IUserPool, client: cognito.IUserPoolClient): cognito.CfnManagedLoginBranding {
  return new cognito.CfnManagedLoginBranding(scope, 'SignInStyle', {
    userPoolId: pool.userPoolId,
    clientId: client.userPoolClientId,
    useCognitoProvidedValues: true,
  });
}
