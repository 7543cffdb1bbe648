import { Token } from 'aws-cdk-lib';

/** Whether `origin` is a web origin such as `https://video.example.com` (scheme, host, optional port; no path). A token is taken as one. */
export function isOrigin(origin: string): boolean {
  return Token.isUnresolved(origin) || /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin);
}
