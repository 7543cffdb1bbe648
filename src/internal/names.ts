import { Lazy, Names, Stack, aws_cloudfront as cloudfront } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/** The longest AWS Region name, with room to spare (`ap-southeast-5`, `us-gov-west-1`, ...). */
const REGION_ROOM = 20;

/**
 * A physical name unique to `scope` and to the stack's Region, for resources
 * whose names are unique per account rather than per Region: CloudFront
 * public keys, key groups, response headers policies and origin access
 * controls. CDK's generated names for these hold no Region (its cache policy
 * names do), so the same stack deployed to a second Region of one account
 * would collide.
 */
export function regionalName(scope: IConstruct, maxLength: number): string {
  const unique = Names.uniqueResourceName(scope, { maxLength: maxLength - REGION_ROOM - 1, separator: '-' });
  return `${unique}-${Stack.of(scope).region}`;
}

/** An origin access control for S3 whose name carries the stack's Region. */
export function regionalOriginAccessControl(scope: Construct, id: string): cloudfront.S3OriginAccessControl {
  const control: cloudfront.S3OriginAccessControl = new cloudfront.S3OriginAccessControl(scope, id, {
    originAccessControlName: Lazy.string({ produce: () => regionalName(control, 64) }),
    description: 'Signs requests to the S3 origin (SigV4)',
  });
  return control;
}
