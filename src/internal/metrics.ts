import { Duration, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';

/**
 * One of the library's own metrics (embedded metric format, published by a
 * handler): the namespace, the `service` dimension and the dimension that
 * tells one construct's from another's. A sum over 5 minutes unless `props`
 * says otherwise.
 */
export function serviceMetric(
  names: { readonly namespace: string; readonly service: string },
  metricName: string,
  scope: { readonly [dimension: string]: string },
  props?: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: names.namespace,
    metricName,
    dimensionsMap: { service: names.service, ...scope },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    ...props,
  });
}
