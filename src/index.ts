export * from './upload/secure-upload-bucket';
export * from './transcode/hls-ladder';
export * from './transcode/hls-transcode-pipeline';
