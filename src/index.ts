export * from './upload/secure-upload-bucket';
