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
  /** Uploads the scheduled check moved on, and dead letters it handled again. */
  reconciled: 'UploadsReconciled',
} as const;

/** Environment variables of the transcode handlers. */
export const TRANSCODE_ENV = {
  settings: 'PIPELINE_SETTINGS',
  table: 'JOBS_TABLE',
  eventBus: 'STATUS_EVENT_BUS',
  /** The dead-letter queue the scheduled check drains. */
  deadLetters: 'DEAD_LETTER_QUEUE_URL',
  /** How long sources are kept after their video was deleted, in seconds. */
  sourceRetention: 'SOURCE_RETENTION_SECONDS',
} as const;

/**
 * The jobs table's one index, sparse: the uploads the scheduled check has
 * work with. An upload in flight (claimed, queued or encoding) is in it under
 * `IN_FLIGHT`, sorted by when it started, until its transcode completes or
 * fails; the uploads of a deleted video are under `EXPIRING`, sorted by when
 * their sources are to be removed. One index for both, because DynamoDB
 * creates one global secondary index per table update.
 */
export const WORK_INDEX = {
  name: 'work',
  partitionKey: 'work',
  sortKey: 'workAt',
  inFlight: 'IN_FLIGHT',
  expiring: 'EXPIRING',
} as const;

/** Sources of a deleted video are kept this long, unless the pipeline says otherwise. */
export const DEFAULT_SOURCE_RETENTION_SECONDS = 7 * 24 * 3600;
