/** A value for a message: JSON, cut to `max` characters; `nothing` when absent. */
export function describeValue(value: unknown, max = 80): string {
  if (value === undefined) {
    return 'nothing';
  }
  const json = JSON.stringify(value) ?? String(value);
  return json.length > max ? `${json.slice(0, max - 3)}...` : json;
}
