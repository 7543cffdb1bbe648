import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { MediaFiles } from './routes.lambda-shared';

/** The pipeline's output bucket, where caption tracks are written beside the renditions and picked posters beside the posters. */
export function s3MediaFiles(bucket: string): MediaFiles {
  const s3 = new S3Client({});
  return {
    read: async (key, maxBytes) => {
      try {
        const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: maxBytes ? `bytes=0-${maxBytes - 1}` : undefined }));
        return answer.Body ? await answer.Body.transformToByteArray() : undefined;
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
          return undefined;
        }
        throw error;
      }
    },
    write: async (key, body, contentType) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
    remove: async (key) => {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}

