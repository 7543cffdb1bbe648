/**
 * The custom metrics the transcode handlers publish (CloudWatch embedded
 * metric format), named once for the handlers and the construct.
 */
export const TRANSCODE_METRICS = {
  namespace: 'CdkSecureVod',
  /** Value of the `service` dimension. */
  service: 'transcode',
  /** Name of the dimension that holds the pipeline id. */
  pipelineDimension: 'Pipeline',
  submitted: 'JobsSubmitted',
  completed: 'JobsCompleted',
  failed: 'JobsFailed',
} as const;

/** Environment variables of the transcode handlers. */
export const TRANSCODE_ENV = {
  settings: 'PIPELINE_SETTINGS',
  table: 'JOBS_TABLE',
  eventBus: 'STATUS_EVENT_BUS',
} as const;
