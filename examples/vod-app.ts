import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { VodPlatform } from '../src';

/** The whole platform in one line. */
export class VodStack extends Stack {
  public readonly vod: VodPlatform;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.vod = new VodPlatform(this, 'Vod');
  }
}

export function buildExampleApp(outdir?: string, context: Record<string, unknown> = {}): { app: App; stack: VodStack } {
  const app = new App({ outdir, context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, ...context } });
  const stack = new VodStack(app, 'CdkSecureVod');
  return { app, stack };
}

if (require.main === module) {
  buildExampleApp().app.synth();
}
