import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { JobStoreDependencies } from './job-store.lambda-shared';
import { PipelineSettings } from './submit-job.lambda-shared';
import { TRANSCODE_ENV, TRANSCODE_METRICS } from './transcode-metrics';
import { Documents } from '../internal/documents.lambda-shared';
import { requiredEnv } from '../internal/environment.lambda-shared';

/** What both transcode handlers build once per container from their environment. */
export interface TranscodeRuntime {
  readonly settings: PipelineSettings;
  readonly store: JobStoreDependencies;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function transcodeRuntime(env: Record<string, string | undefined>): TranscodeRuntime {
  const read = (name: string) => requiredEnv(env, name);
  const settings = JSON.parse(read(TRANSCODE_ENV.settings)) as PipelineSettings;
  for (const field of ['pipelineId', 'roleArn', 'sourceBucket', 'outputBucket', 'plan'] as const) {
    if (!settings[field]) {
      throw new Error(`${TRANSCODE_ENV.settings} has no ${field}`);
    }
  }
  return {
    settings,
    store: {
      documents: new Documents(new DynamoDBClient({})),
      tableName: read(TRANSCODE_ENV.table),
      events: new EventBridgeClient({}),
      eventBusName: env[TRANSCODE_ENV.eventBus] || undefined,
    },
    logger: new Logger({ serviceName: TRANSCODE_METRICS.service }),
    metrics: new Metrics({
      namespace: TRANSCODE_METRICS.namespace,
      serviceName: TRANSCODE_METRICS.service,
      defaultDimensions: { [TRANSCODE_METRICS.pipelineDimension]: settings.pipelineId },
    }),
  };
}
