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
} as const;

/**
 * The sparse index of uploads in flight: an item is in it from its claim until
 * its transcode completes or fails, so a scheduled check finds the ones whose
 * events were lost without reading the whole table.
 */
export const IN_FLIGHT_INDEX = {
  name: 'inFlight',
  partitionKey: 'inFlight',
  sortKey: 'inFlightSince',
  /** The one partition value of the index. */
  value: 'IN_FLIGHT',
} as const;
