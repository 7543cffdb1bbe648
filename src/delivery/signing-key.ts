import {
  CustomResource, Lazy, Token,
  aws_cloudfront as cloudfront,
  aws_lambda as lambda,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { regionalName } from '../internal/names';

/** A signing key as a distribution uses it. */
export interface BoundSigningKey {
  /** The public key the distribution's key group trusts. */
  readonly publicKey: cloudfront.IPublicKey;
  /** The secret whose value is the private key, PEM; read by whoever signs. */
  readonly privateKeySecret: secretsmanager.ISecret;
}

/**
 * A key pair that signs CloudFront cookies and URLs: generated at deploy time,
 * or brought by you.
 */
export abstract class SigningKey {
  /**
   * An RSA key pair generated at deploy time by a custom resource. The private
   * key goes straight into a new Secrets Manager secret and never into the
   * template, a log or an output. It is made once: stack updates keep it.
   *
   * @param name names the key among the distribution's keys (letters and digits); change it to rotate.
   */
  public static generate(name: string = 'Default'): SigningKey {
    return new GeneratedSigningKey(checkName(name));
  }

  /**
   * A key pair you made: its public key (PEM) and a secret whose value is its
   * private key (PEM).
   *
   * @param name names the key among the distribution's keys (letters and digits)
   */
  public static fromPublicKeyPem(name: string, publicKeyPem: string, privateKeySecret: secretsmanager.ISecret): SigningKey {
    if (!Token.isUnresolved(publicKeyPem) && !/^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----\s*$/.test(publicKeyPem.trim())) {
      throw new Error('publicKeyPem must be a PEM public key ("-----BEGIN PUBLIC KEY-----" ...), as CloudFront takes it');
    }
    return new ImportedSigningKey(checkName(name), publicKeyPem, privateKeySecret);
  }

  /** The key's name among the distribution's keys. */
  public abstract readonly name: string;

  /**
   * @internal
   * @param generator the function that generates keys, made on first use
   */
  public abstract _bind(scope: Construct, generator: () => lambda.IFunction): BoundSigningKey;
}

class GeneratedSigningKey extends SigningKey {
  constructor(public readonly name: string) {
    super();
  }

  public _bind(scope: Construct, generator: () => lambda.IFunction): BoundSigningKey {
    const secret = new secretsmanager.Secret(scope, `${this.name}KeySecret`, {
      description: 'Private key that signs CloudFront cookies and URLs (PEM); written once by the key generator',
    });
    const fn = generator();
    secret.grantWrite(fn);
    secret.grantRead(fn);
    const pair = new CustomResource(scope, `${this.name}KeyPair`, {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::CloudFrontSigningKey',
      properties: { SecretArn: secret.secretArn, KeySize: '2048' },
    });
    const publicKey: cloudfront.PublicKey = new cloudfront.PublicKey(scope, `${this.name}PublicKey`, {
      encodedKey: pair.getAttString('PublicKeyPem'),
      comment: 'Verifies signed cookies and URLs; the private key is in Secrets Manager',
      publicKeyName: Lazy.string({ produce: () => regionalName(publicKey, 128) }),
    });
    return { publicKey, privateKeySecret: secret };
  }
}

class ImportedSigningKey extends SigningKey {
  constructor(public readonly name: string, private readonly pem: string, private readonly secret: secretsmanager.ISecret) {
    super();
  }

  public _bind(scope: Construct): BoundSigningKey {
    const publicKey: cloudfront.PublicKey = new cloudfront.PublicKey(scope, `${this.name}PublicKey`, {
      encodedKey: this.pem,
      comment: 'Verifies signed cookies and URLs',
      publicKeyName: Lazy.string({ produce: () => regionalName(publicKey, 128) }),
    });
    return { publicKey, privateKeySecret: this.secret };
  }
}

function checkName(name: string): string {
  if (!/^[A-Za-z0-9]{1,32}$/.test(name)) {
    throw new Error(`a signing key name is 1 to 32 letters and digits, got ${JSON.stringify(name)}`);
  }
  return name;
}
