import { startSandbox } from './platform';

/** `npx projen sandbox`: the whole platform on loopback, until interrupted. */
async function main(): Promise<void> {
  const port = Number(process.env.SANDBOX_PORT ?? 4310);
  console.error('starting the sandbox: S3, DynamoDB, the sign-in stand-in, MediaConvert (ffmpeg), the handlers; seeding two videos...');
  const sandbox = await startSandbox({ port, log: (message) => console.error(message) });
  console.log(`Sandbox ready: ${sandbox.url}  (sign in as creator, viewer or admin; Ctrl-C to stop)`);
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
