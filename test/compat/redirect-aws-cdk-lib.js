// Loaded with `node -r` before anything else: every `aws-cdk-lib` import resolves to the
// second, newest aws-cdk-lib installed as `aws-cdk-lib-latest`, so the library's own
// sources synthesize against it unchanged.
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const redirected = request === 'aws-cdk-lib' || request.startsWith('aws-cdk-lib/') ? request.replace(/^aws-cdk-lib/, 'aws-cdk-lib-latest') : request;
  return resolve.call(this, redirected, ...rest);
};
