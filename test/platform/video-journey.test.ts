import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, CreateJobCommandInput, MediaConvertClient, ProbeCommand } from '@aws-sdk/client-mediaconvert';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { startLocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { parseCookieHeader, verifySignedRequest } from '../../sandbox/cloudfront/signed-requests';
import { startIdentity } from '../../sandbox/identity/identity-server';
import { OUTPUT_LAYOUT, TranscodeStatusDetail } from '../../src/contracts/transcode-status';
import { handleKeyEvent } from '../../src/delivery/key-generator.lambda-shared';
import { MediaSigner } from '../../src/delivery/media-signer';
import { Authenticator } from '../../src/entitlement/auth.lambda-shared';
import { Catalog } from '../../src/entitlement/catalog.lambda-shared';
import { EntitlementStore } from '../../src/entitlement/entitlements.lambda-shared';
import { ApiDependencies, handleApiRequest } from '../../src/entitlement/routes.lambda-shared';
import { CATALOG_INDEXES, ENTITLEMENT_INDEXES } from '../../src/entitlement/schema';
import { consumeTranscodeStatus } from '../../src/entitlement/status-consumer.lambda-shared';
import { HlsLadder } from '../../src/transcode/hls-ladder';
import { handleJobEvent } from '../../src/transcode/job-status.lambda-shared';
import { retryUpload, submitUpload, SubmitDependencies } from '../../src/transcode/submit-job.lambda-shared';
import { createUploadS3Client, handleUploadRequest } from '../../src/upload/issue-upload.lambda-shared';
import { MEBIBYTE } from '../../src/upload/upload-settings';

/**
 * One video through the handlers of all four constructs, each fed what the
 * previous one produced: SignedCookieDistribution's key generator makes the
 * key; EntitlementApi creates the video and asks SecureUploadBucket's issuer
 * for an upload; HlsTranscodePipeline's submit handler takes the object at
 * the issued key and its status handler the job's events; EntitlementApi's
 * consumer applies the published status; a viewer's playback cookies then
 * open exactly the playlist the job wrote, checked as CloudFront would with
 * the generated public key. A field renamed on one side breaks this test.
 */

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

test('a video goes from upload to playback through every construct\'s handlers', async () => {
  const [db, identity] = await Promise.all([startLocalDynamoDB(), startIdentity()]);
  const cfnResponses = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => cfnResponses.listen(0, '127.0.0.1', resolve));
  try {
    await db.createTable('jobs', 'videoId', 'uploadId');
    await db.createTableWithIndexes('catalog.lambda-shared', ['videoId'], { [CATALOG_INDEXES.byCreator]: ['creatorId', 'createdAt'], [CATALOG_INDEXES.published]: ['listing', 'publishedAt'] });
    await db.createTableWithIndexes('entitlements.lambda-shared', ['userId', 'entitlementId'], { [ENTITLEMENT_INDEXES.byPaymentRef]: ['paymentRef'] });

    // SignedCookieDistribution: the custom resource generates the signing key.
    const secrets = new SecretsManagerClient({ region: 'us-east-1', credentials });
    const secretsMock = mockClient(secrets);
    secretsMock.on(PutSecretValueCommand).resolves({});
    const key = await handleKeyEvent(secrets, {
      RequestType: 'Create',
      ResponseURL: `http://127.0.0.1:${(cfnResponses.address() as AddressInfo).port}/`,
      StackId: 's',
      RequestId: 'r',
      LogicalResourceId: 'VodDeliveryDefaultKeyPair',
      ResourceProperties: { SecretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:k' },
    });
    const privateKeyPem = secretsMock.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString!;
    const keyPairId = 'K1GENERATED';

    // HlsTranscodePipeline's handlers, with MediaConvert and EventBridge captured.
    const mediaconvert = new MediaConvertClient({ region: 'us-east-1', credentials });
    const mcMock = mockClient(mediaconvert);
    mcMock.on(ProbeCommand).resolves({
      ProbeResults: [{ Container: { Duration: 12, Tracks: [{ TrackType: 'video', VideoProperties: { Width: 1080, Height: 1920 } }, { TrackType: 'audio' }] } }],
    });
    mcMock.on(CreateJobCommand).resolves({ Job: { Id: 'job-1', Role: 'r', Settings: {} } });
    const eventbridge = new EventBridgeClient({ region: 'us-east-1', credentials });
    const ebMock = mockClient(eventbridge);
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const pipeline: SubmitDependencies = {
      documents: db.documents,
      tableName: 'jobs',
      events: eventbridge,
      mediaconvert,
      settings: {
        pipelineId: 'VodTranscode',
        roleArn: 'arn:aws:iam::1:role/mc',
        sourceBucket: 'sources',
        outputBucket: 'outputs',
        plan: { ladder: HlsLadder.standard()._toSpec(), segmentSeconds: 6, qualityTuning: 'SINGLE_PASS_HQ', posters: { intervalSeconds: 5, maxCaptures: 1 }, download: false, overrides: [] },
        acceleration: 'DISABLED',
        priority: 0,
      },
    };

    // EntitlementApi, with SecureUploadBucket's issuance and the distribution's key.
    const catalog = new Catalog(db.documents, 'catalog.lambda-shared');
    const api: ApiDependencies = {
      auth: new Authenticator({ issuer: identity.issuer, clientId: identity.clientId, jwksUri: identity.jwksUri }),
      catalog,
      entitlements: new EntitlementStore(db.documents, 'entitlements.lambda-shared'),
      uploads: (request) => handleUploadRequest({
        s3: createUploadS3Client({ region: 'us-east-1', credentials }),
        settings: {
          bucketName: 'sources',
          maxUploadBytes: 1024 * MEBIBYTE,
          multipartThresholdBytes: 100 * MEBIBYTE,
          partSizeBytes: 16 * MEBIBYTE,
          allowedContentTypes: ['video/*'],
          urlExpirySeconds: 900,
        },
      }, request),
      retryTranscode: (videoId, uploadId) => retryUpload(pipeline, { videoId, uploadId }),
      deleteVideoFiles: async () => { throw new Error('this journey deletes nothing'); },
      restoreVideoFiles: async () => { throw new Error('this journey deletes nothing'); },
      signer: async () => new MediaSigner(privateKeyPem, keyPairId),
      settings: { mediaDomain: 'd123.cloudfront.net', sessionSeconds: 300, sameSite: 'Strict' },
    };
    const call = async (routeKey: string, token: string | undefined, videoId?: string, body?: unknown) => {
      const result = await handleApiRequest(api, {
        routeKey,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        pathParameters: videoId ? { videoId } : undefined,
        body: body ? JSON.stringify(body) : undefined,
      });
      return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
    };
    const creator = identity.token('creator-1', ['creators']);

    // 1. The creator makes a draft and asks for an upload.
    const videoId = (await call('POST /api/videos', creator, undefined, { title: 'Portrait clip' })).json.id;
    const upload = await call('POST /api/videos/{videoId}/upload', creator, videoId, { size: 4_000_000, contentType: 'video/mp4' });
    expect(upload.statusCode).toBe(201);

    // 2. The object arrives at the issued key: the pipeline submits one job for this video and upload.
    const submitted = await submitUpload(pipeline, { bucket: { name: 'sources' }, object: { key: upload.json.key } });
    expect(submitted).toMatchObject({ outcome: 'submitted', jobId: 'job-1' });
    const job = mcMock.commandCalls(CreateJobCommand)[0].args[0].input as CreateJobCommandInput;
    expect(job.UserMetadata).toMatchObject({ videoId, uploadId: upload.json.uploadId });

    // 3. MediaConvert reports the job, naming the files after the job's destinations.
    const [hls, posters] = job.Settings!.OutputGroups!;
    const destination = hls.OutputGroupSettings!.HlsGroupSettings!.Destination!;
    const events = [
      { status: 'SUBMITTED' },
      { status: 'STATUS_UPDATE', jobProgress: { jobPercentComplete: 50 } },
      {
        status: 'COMPLETE',
        outputGroupDetails: [
          {
            type: 'HLS_GROUP',
            playlistFilePaths: [`${destination}.m3u8`],
            outputDetails: hls.Outputs!.map((o) => ({ outputFilePaths: [`${destination}${o.NameModifier}.m3u8`], durationInMs: 12_000, videoDetails: { widthInPx: o.VideoDescription!.Width, heightInPx: o.VideoDescription!.Height } })),
          },
          { type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: [`${posters.OutputGroupSettings!.FileGroupSettings!.Destination}.0000000.jpg`] }] },
        ],
      },
    ];
    for (const detail of events) {
      expect(await handleJobEvent({ ...pipeline, pipelineId: 'VodTranscode', outputBucket: 'outputs' }, {
        time: new Date().toISOString(), detail: { jobId: 'job-1', userMetadata: job.UserMetadata, ...detail },
      })).toBe('applied');
    }

    // 4. Each published status reaches the API's consumer, as the EventBridge rule delivers it.
    const published = ebMock.commandCalls(PutEventsCommand).map((c) => JSON.parse(c.args[0].input.Entries![0].Detail!) as TranscodeStatusDetail);
    expect(published.map((d) => d.state)).toEqual(['SUBMITTED', 'PROGRESSING', 'COMPLETE']);
    for (const detail of published) {
      expect(await consumeTranscodeStatus(catalog, { detail }, new Date())).toBe(true);
    }
    const ready = await call('GET /api/videos/{videoId}', creator, videoId);
    expect(ready.json).toMatchObject({
      state: 'READY',
      durationSeconds: 12,
      posterUrl: `https://d123.cloudfront.net/posters/${videoId}/poster.0000000.jpg`,
      renditions: [
        { width: 270, height: 480 }, { width: 360, height: 640 }, { width: 540, height: 960 },
        { width: 720, height: 1280 }, { width: 1080, height: 1920 },
      ],
    });

    // 5. Published, it plays: the cookies open exactly the playlist the job wrote, verified with the generated public key.
    expect((await call('POST /api/videos/{videoId}/publish', creator, videoId)).statusCode).toBe(200);
    const playback = await call('POST /api/videos/{videoId}/playback', identity.token('viewer-1'), videoId);
    expect(playback.statusCode).toBe(200);
    const playlistPath = new URL(playback.json.playlistUrl).pathname.slice(1);
    expect(`s3://outputs/${playlistPath}`).toBe(`${destination}.m3u8`);
    expect(playlistPath).toBe(OUTPUT_LAYOUT.masterPlaylist(videoId));
    const jar = parseCookieHeader(playback.cookies!.map((c) => c.split(';')[0]).join('; '));
    const trustedKeys = new Map([[keyPairId, key.Data.PublicKeyPem]]);
    const opens = (path: string) =>
      verifySignedRequest({ url: `https://d123.cloudfront.net/${path}`, cookies: jar, now: new Date(), trustedKeys }).allowed;
    expect(opens(playlistPath)).toBe(true);
    expect(opens(`${OUTPUT_LAYOUT.videoFolder(videoId)}master_1080x1920.m3u8`)).toBe(true);
    expect(opens(OUTPUT_LAYOUT.masterPlaylist('another-video'))).toBe(false);
  } finally {
    await Promise.all([db.close(), identity.close(), new Promise<void>((resolve) => cfnResponses.close(() => resolve()))]);
  }
});
