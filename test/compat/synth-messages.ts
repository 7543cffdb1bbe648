import { App, Stack } from 'aws-cdk-lib';
import { VodPlatform } from '../../src';

/**
 * Synthesizes `new VodPlatform(this, 'Vod')` in a plain app, as a new `cdk init`
 * project would, and prints the aws-cdk-lib version with every warning and
 * error synth reported (what `cdk synth --strict` fails on), as JSON.
 */
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Vod', { env: { account: '111111111111', region: 'eu-west-1' } });
new VodPlatform(stack, 'Vod');
const assembly = app.synth();
const messages = assembly.getStackByName(stack.stackName).messages
  .filter((message) => message.level !== 'info')
  .map((message) => `${message.level} at ${message.id}: ${String(message.entry.data)}`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
console.log(JSON.stringify({ version: require('aws-cdk-lib/package.json').version, messages }));
