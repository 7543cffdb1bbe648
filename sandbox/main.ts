import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { startSandbox } from './platform';

/** `npx projen sandbox`: the whole platform on loopback until interrupted; one line on the terminal when ready. */
async function main(): Promise<void> {
  const port = Number(process.env.SANDBOX_PORT ?? 4310);
  // The handlers' logs go to a file, as they would go to CloudWatch.
  const logDir = resolve(__dirname, '..', '.sandbox');
  mkdirSync(logDir, { recursive: true });
  const logFile = createWriteStream(join(logDir, 'sandbox.log'), { flags: 'a' });
  const terminal = process.stdout.write.bind(process.stdout);
  console.log = (...args: unknown[]) => logFile.write(`${format(...args)}\n`);
  console.info = console.log;
  process.stdout.write = ((chunk: string | Uint8Array) => logFile.write(chunk)) as typeof process.stdout.write;
  const sandbox = await startSandbox({ port, log: (message) => logFile.write(`${message}\n`) });
  terminal(`Sandbox ready: ${sandbox.url}  (sign in as creator, viewer or admin; logs in .sandbox/sandbox.log; Ctrl-C stops it)\n`);
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`the sandbox did not start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
