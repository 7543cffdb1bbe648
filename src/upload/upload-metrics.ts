/**
 * The custom metrics the upload issuer publishes (CloudWatch embedded metric
 * format), named once here for the handler that emits them and the construct
 * that offers them to operators.
 */
export const UPLOAD_METRICS = {
  namespace: 'CdkSecureVod',
  /** Value of the `service` dimension. */
  service: 'uploads',
  /** Name of the dimension that holds the bucket name. */
  bucketDimension: 'BucketName',
  issued: 'UploadsIssued',
  refused: 'UploadsRefused',
  completed: 'UploadsCompleted',
} as const;
