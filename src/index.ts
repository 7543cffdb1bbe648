export * from './upload/secure-upload-bucket';
export * from './transcode/hls-ladder';
export * from './transcode/hls-transcode-pipeline';
export * from './delivery/signing-key';
export * from './delivery/signed-cookie-distribution';
export * from './entitlement/entitlement-api';
export * from './platform/vod-platform';
export * from './platform/cost-estimate';
