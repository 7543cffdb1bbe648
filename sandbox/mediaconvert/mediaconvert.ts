import { spawn } from 'node:child_process';
import { createCipheriv, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MediaConvertJobRegistry, RegisteredJob } from './job-registry';
import { fromWireNames, validateCreateJob } from './job-rules';

/**
 * A stand-in for AWS Elemental MediaConvert: Probe answers from ffprobe, and
 * CreateJob encodes what the job settings ask for (the HLS renditions with
 * their sizes, bitrates, GOPs and segment length, muxed audio when the
 * settings have it, poster frame captures, an MP4 download) with ffmpeg into
 * the settings' S3 destinations, emitting the job-state events MediaConvert
 * emits. Settings arrive as the SDK sends them: camelCase JSON.
 */
export interface MediaConvertEvent {
  readonly 'version': '0';
  readonly 'id': string;
  readonly 'detail-type': 'MediaConvert Job State Change';
  readonly 'source': 'aws.mediaconvert';
  readonly 'time': string;
  readonly 'detail': Record<string, unknown>;
}

/** An error MediaConvert answers, with the name its SDK raises (`BadRequestException`, ...) and the HTTP status. */
export class MediaConvertError extends Error {
  constructor(readonly code: string, readonly status: number, message: string) {
    super(message);
    this.name = code;
  }
}

export interface MediaConvertOptions {
  readonly s3: S3Client;
  readonly emit: (event: MediaConvertEvent) => void;
  /**
   * Whether an event reaches EventBridge. MediaConvert's job events are
   * delivered at least once ("Durable", EventBridge events reference), so a
   * test can lose or repeat them here to see the pipeline hold.
   * @default every event, once
   */
  readonly deliver?: (event: MediaConvertEvent) => 'deliver' | 'lose' | 'duplicate';
  /** Told when a job fails, with ffmpeg's output. */
  readonly onError?: (jobId: string, error: Error) => void;
}

interface Rendition { name: string; width: number; height: number; maxBitrate: number; gopSeconds: number }

export class MediaConvertStandIn {
  /** MediaConvert's record of jobs: tokens honoured for a minute, SearchJobs, GetJob. */
  public readonly registry = new MediaConvertJobRegistry();
  /** Jobs still running, for whoever waits for the sandbox to settle. */
  public readonly running = new Set<Promise<void>>();
  /** Sources already fetched for a probe, reused by the job that follows it. */
  private readonly fetched = new Map<string, { dir: string; file: string }>();
  /** Every job created, with its request as the SDK sent it. */
  public readonly jobs: Array<{ readonly id: string; readonly request: Record<string, any> }> = [];

  constructor(private readonly options: MediaConvertOptions) {}

  public async probe(request: { inputFiles: Array<{ fileUrl: string }> }): Promise<unknown> {
    const probeResults = [];
    for (const { fileUrl } of request.inputFiles) {
      const work = mkdtempSync(join(tmpdir(), 'probe-'));
      try {
        let file: string;
        try {
          file = await this.download(fileUrl, work);
        } catch (error) {
          throw new MediaConvertError('NotFoundException', 404, `the input file ${fileUrl} could not be read: ${(error as Error).message}`);
        }
        this.forget(fileUrl);
        this.fetched.set(fileUrl, { dir: work, file });
        let info: any;
        try {
          info = JSON.parse(await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]));
        } catch {
          // A file that is no media at all: MediaConvert answers 400 ("a problem in the request").
          throw new MediaConvertError('BadRequestException', 400, `unable to probe ${fileUrl}: the file is not a media file MediaConvert can read`);
        }
        probeResults.push({
          container: {
            format: containerFormat(info.format),
            duration: Number(info.format?.duration ?? 0),
            tracks: (info.streams ?? []).filter((s: any) => s.codec_type === 'video' || s.codec_type === 'audio').map((s: any) => s.codec_type === 'video'
              ? {
                trackType: 'video',
                videoProperties: { width: s.width, height: s.height, ...(rotation(s) ? { rotation: rotation(s) } : {}), ...sampleAspect(s) },
              }
              : { trackType: 'audio', audioProperties: { channels: s.channels, sampleRate: Number(s.sample_rate) } }),
          },
        });
      } catch (error) {
        rmSync(work, { recursive: true, force: true });
        throw error;
      }
    }
    return { probeResults };
  }

  /**
   * Starts a job; the same client request token within a minute answers the
   * same job, as MediaConvert does. A request that breaks MediaConvert's
   * service model, or a documented rule it enforces, is refused with 400.
   */
  public async createJob(request: Record<string, any>): Promise<Record<string, unknown>> {
    const problems = validateCreateJob(fromWireNames(request), { refusalsOnly: true });
    if (problems.length > 0) {
      throw new MediaConvertError('BadRequestException', 400, problems.join('; '));
    }
    const { job, created } = this.registry.create({
      clientRequestToken: request.clientRequestToken,
      inputFile: request.settings?.inputs?.[0]?.fileInput ?? '',
      queue: request.queue,
      userMetadata: request.userMetadata,
      settings: request.settings,
    });
    if (created) {
      this.jobs.push({ id: job.id, request });
      const work = this.encode(job.id, request).finally(() => this.running.delete(work));
      this.running.add(work);
    }
    return this.describe(job);
  }

  /** GetJob, as the SDK's wire format has it (camelCase). */
  public getJob(id: string): Record<string, unknown> {
    const job = this.registry.get(id);
    if (!job) {
      throw new MediaConvertError('NotFoundException', 404, `the job ${id} could not be found`);
    }
    return this.describe(job);
  }

  /** SearchJobs, as the SDK's wire format has it. */
  public searchJobs(query: URLSearchParams): Record<string, unknown> {
    const page = this.registry.search({
      inputFile: query.get('inputFile') ?? undefined,
      queue: query.get('queue') ?? undefined,
      status: query.get('status') ?? undefined,
      order: query.get('order') ?? undefined,
      maxResults: query.has('maxResults') ? Number(query.get('maxResults')) : undefined,
      nextToken: query.get('nextToken') ?? undefined,
    });
    return { jobs: page.jobs.map((job) => this.describe(job)), nextToken: page.nextToken };
  }

  private describe(job: RegisteredJob): Record<string, unknown> {
    return {
      id: job.id,
      createdAt: job.createdAt.getTime() / 1000,
      status: job.status,
      jobPercentComplete: job.percentComplete,
      errorCode: job.errorCode,
      errorMessage: job.errorMessage,
      queue: job.queue,
      role: 'arn:aws:iam::000000000000:role/sandbox-mediaconvert',
      settings: job.settings,
      userMetadata: job.userMetadata,
      outputGroupDetails: job.outputGroupDetails?.map((group) => ({
        outputDetails: group.outputDetails.map((output) => ({
          durationInMs: output.durationInMs,
          videoDetails: { widthInPx: output.widthInPx, heightInPx: output.heightInPx },
        })),
      })),
    };
  }

  private async encode(jobId: string, request: Record<string, any>): Promise<void> {
    const metadata = request.userMetadata ?? {};
    const job = this.registry.get(jobId)!;
    const event = (status: string, detail: Record<string, unknown> = {}) => {
      if (status !== 'STATUS_UPDATE') {
        job.status = status as RegisteredJob['status'];
      }
      const percent = (detail.jobProgress as { jobPercentComplete?: number } | undefined)?.jobPercentComplete;
      if (percent !== undefined) {
        job.percentComplete = percent;
      }
      const emitted: MediaConvertEvent = {
        'version': '0',
        'id': randomUUID(),
        'detail-type': 'MediaConvert Job State Change',
        'source': 'aws.mediaconvert',
        'time': new Date().toISOString(),
        'detail': { timestamp: Date.now(), accountId: '000000000000', queue: 'Default', jobId, status, userMetadata: metadata, ...detail },
      };
      const fate = this.options.deliver?.(emitted) ?? 'deliver';
      if (fate !== 'lose') {
        this.options.emit(emitted);
      }
      if (fate === 'duplicate') {
        this.options.emit(emitted);
      }
    };
    const work = mkdtempSync(join(tmpdir(), 'mediaconvert-'));
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      event('SUBMITTED');
      const settings = request.settings;
      const fileUrl: string = settings.inputs[0].fileInput;
      const source = this.fetched.get(fileUrl)?.file ?? await this.download(fileUrl, work);
      const duration = Number(JSON.parse(await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', source])).format?.duration ?? 0);
      event('PROGRESSING', { jobProgress: { jobPercentComplete: 0, currentPhase: 'TRANSCODING' } });

      const plan = planEncode(settings, source, work);
      const { renditions, withAudio, hlsDestination, hlsDir, captures, download, downloadFile, trickPlay, speech, speechFile, encryption } = plan;
      let reported = 0;
      await run('ffmpeg', plan.args, (line) => {
        const match = /^out_time_ms=(\d+)/.exec(line);
        const percent = match && duration > 0 ? Math.min(99, Math.floor(Number(match[1]) / 1e4 / duration)) : undefined;
        if (percent !== undefined && percent >= reported + 20) {
          reported = percent;
          event('STATUS_UPDATE', { jobProgress: { jobPercentComplete: percent, currentPhase: 'TRANSCODING' } });
        }
      });
      if (encryption) {
        renditions.forEach((r) => encryptRendition(hlsDir, `${r.name}.m3u8`, encryption));
      }
      const imageStream: string[] = [];
      if (trickPlay) {
        const prefix = `${baseName(hlsDestination)}${TRICK_PLAY_SUFFIX}_`;
        const tiles = readdirSync(hlsDir).filter((name) => name.startsWith(prefix) && name.endsWith('.jpg')).sort();
        const { playlist, kept } = imagesOnlyPlaylist(trickPlay, tiles, duration);
        tiles.filter((name) => !kept.includes(name)).forEach((name) => rmSync(join(hlsDir, name)));
        const playlistName = `${baseName(hlsDestination)}${TRICK_PLAY_SUFFIX}.m3u8`;
        writeFileSync(join(hlsDir, playlistName), playlist);
        const bytes = kept.reduce((sum, name) => sum + statSync(join(hlsDir, name)).size, 0);
        const bandwidth = Math.max(1, Math.ceil(bytes * 8 / Math.max(duration, 1)));
        imageStream.push(`#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=${bandwidth},RESOLUTION=${trickPlay.width}x${trickPlay.height},CODECS="jpeg",URI="${playlistName}"`);
      }
      writeFileSync(join(hlsDir, `${baseName(hlsDestination)}.m3u8`), [
        '#EXTM3U', '#EXT-X-VERSION:3',
        ...renditions.flatMap((r) => [`#EXT-X-STREAM-INF:BANDWIDTH=${r.maxBitrate + (withAudio ? 128_000 : 0)},RESOLUTION=${r.width}x${r.height}`, `${r.name}.m3u8`]),
        ...imageStream,
        '',
      ].join('\n'));

      await this.uploadFolder(hlsDir, folderOf(hlsDestination));
      // Each frame-capture output is reported by its last image only, as MediaConvert reports it.
      const captureLasts: string[] = [];
      for (const capture of captures) {
        const paths = await this.uploadFolder(capture.dir, folderOf(capture.destination));
        if (paths.length > 0) {
          captureLasts.push(paths[paths.length - 1]);
        }
      }
      const downloadPath = downloadFile
        ? (await this.uploadFiles([downloadFile], folderOf(download.outputGroupSettings.fileGroupSettings.destination)))[0]
        : undefined;
      const speechPath = speechFile
        ? (await this.uploadFiles([speechFile], folderOf(speech.outputGroupSettings.fileGroupSettings.destination)))[0]
        : undefined;
      const durationInMs = Math.round(duration * 1000);
      job.outputGroupDetails = settings.outputGroups.map((group: any) => ({
        outputDetails: (group.outputs ?? []).map((output: any) => ({
          durationInMs, widthInPx: output.videoDescription?.width, heightInPx: output.videoDescription?.height,
        })),
      }));
      event('COMPLETE', {
        outputGroupDetails: [
          {
            type: 'HLS_GROUP',
            playlistFilePaths: [`${hlsDestination}.m3u8`],
            outputDetails: renditions.map((r) => ({
              outputFilePaths: [`${folderOf(hlsDestination)}${r.name}.m3u8`], durationInMs, videoDetails: { widthInPx: r.width, heightInPx: r.height },
            })),
          },
          ...captureLasts.map((last) => ({ type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: [last], durationInMs }] })),
          ...(downloadPath ? [{ type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: [downloadPath], durationInMs }] }] : []),
          ...(speechPath ? [{ type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: [speechPath], durationInMs }] }] : []),
        ],
      });
    } catch (error) {
      this.options.onError?.(jobId, error as Error);
      job.errorCode = 1999;
      job.errorMessage = String((error as Error).message).slice(0, 500);
      event('ERROR', { errorCode: job.errorCode, errorMessage: job.errorMessage });
    } finally {
      rmSync(work, { recursive: true, force: true });
      this.forget(request.settings?.inputs?.[0]?.fileInput);
    }
  }

  private forget(fileUrl: string | undefined): void {
    const cached = fileUrl ? this.fetched.get(fileUrl) : undefined;
    if (cached) {
      rmSync(cached.dir, { recursive: true, force: true });
      this.fetched.delete(fileUrl!);
    }
  }

  private async download(s3Url: string, dir: string): Promise<string> {
    const { bucket, key } = parseS3Url(s3Url);
    const object = await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const file = join(dir, 'source');
    await pipeline(object.Body as Readable, createWriteStream(file));
    return file;
  }

  private async uploadFolder(dir: string, s3Folder: string): Promise<string[]> {
    return this.uploadFiles(readdirSync(dir).sort().map((name) => join(dir, name)), s3Folder);
  }

  private async uploadFiles(paths: string[], s3Folder: string): Promise<string[]> {
    const { bucket, key: prefix } = parseS3Url(s3Folder);
    // Eight at a time, as MediaConvert writes its outputs in parallel.
    const names = paths.map((path) => path.split('/').pop()!);
    for (let i = 0; i < paths.length; i += 8) {
      await Promise.all(paths.slice(i, i + 8).map((path, j) => this.options.s3.send(new PutObjectCommand({
        Bucket: bucket, Key: `${prefix}${names[i + j]}`, Body: readFileSync(path), ContentType: contentType(names[i + j]),
      }))));
    }
    return names.map((name) => `s3://${bucket}/${prefix}${name}`);
  }
}

/** The ffmpeg run that encodes a job's settings (camelCase, as the SDK sends them) from `source` into `work`. */
export function planEncode(settings: any, source: string, work: string) {
  const groups: any[] = settings.outputGroups;
  const hls = groups.find((g) => g.outputGroupSettings?.type === 'HLS_GROUP_SETTINGS');
  const files = groups.filter((g) => g.outputGroupSettings?.type === 'FILE_GROUP_SETTINGS');
  if (!hls || !hls.outputs?.every((o: any) => o.videoDescription?.width && o.videoDescription?.height)) {
    throw new Error('the sandbox encodes HLS groups with a fixed ladder only');
  }
  const withAudio = hls.outputs.some((o: any) => (o.audioDescriptions ?? []).length > 0);
  const hlsDestination: string = hls.outputGroupSettings.hlsGroupSettings.destination;
  const segment = Number(hls.outputGroupSettings.hlsGroupSettings.segmentLength ?? 6);
  const renditions: Rendition[] = hls.outputs.map((o: any) => ({
    name: `${baseName(hlsDestination)}${o.nameModifier ?? ''}`,
    width: o.videoDescription.width,
    height: o.videoDescription.height,
    maxBitrate: o.videoDescription.codecSettings?.h264Settings?.maxBitrate ?? 2_000_000,
    gopSeconds: o.videoDescription.codecSettings?.h264Settings?.gopSize ?? 2,
  }));
  const captureGroups = files.filter((g) => g.outputs?.[0]?.videoDescription?.codecSettings?.codec === 'FRAME_CAPTURE');
  const download = files.find((g) => g.outputs?.[0]?.containerSettings?.container === 'MP4');
  // An audio-only output in no container (RAW), as automatic captions ask for: MP3 is the codec they use.
  const speech = files.find((g) => g.outputs?.[0]?.containerSettings?.container === 'RAW' && !g.outputs[0].videoDescription
    && g.outputs[0].audioDescriptions?.[0]?.codecSettings?.codec === 'MP3');
  const trickPlay = trickPlayOf(hls.outputGroupSettings.hlsGroupSettings);

  const hlsDir = join(work, 'hls');
  mkdirSync(hlsDir);
  const encryption = encryptionOf(hls.outputGroupSettings.hlsGroupSettings);
  const split = renditions.length + captureGroups.length + (download ? 1 : 0) + (trickPlay ? 1 : 0);
  const filters = [`[0:v]split=${split}${Array.from({ length: split }, (_, i) => `[v${i}]`).join('')}`];
  const args = ['-y', '-v', 'error', '-nostats', '-progress', 'pipe:1', '-i', source];
  const outputs: string[] = [];
  renditions.forEach((r, i) => {
    filters.push(`[v${i}]scale=${r.width}:${r.height},setsar=1[o${i}]`);
    outputs.push(
      '-map', `[o${i}]`, ...(withAudio ? ['-map', '0:a:0?', '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000'] : []),
      '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-crf', '23',
      '-maxrate', String(r.maxBitrate), '-bufsize', String(2 * r.maxBitrate), '-pix_fmt', 'yuv420p',
      '-force_key_frames', `expr:gte(t,n_forced*${r.gopSeconds})`, '-sc_threshold', '0',
      '-f', 'hls', '-hls_time', String(segment), '-hls_playlist_type', 'vod',
      '-hls_segment_filename', join(hlsDir, `${r.name}_%05d.ts`), join(hlsDir, `${r.name}.m3u8`),
    );
  });
  // Frame captures: MediaConvert numbers them from 0 with seven digits (FrameCaptureSettings, MediaConvert API Reference).
  const captures = captureGroups.map((group, i) => {
    const capture = group.outputs[0].videoDescription;
    const every = Number(capture.codecSettings.frameCaptureSettings.framerateDenominator ?? 5)
      / Number(capture.codecSettings.frameCaptureSettings.framerateNumerator ?? 1);
    const count = Number(capture.codecSettings.frameCaptureSettings.maxCaptures ?? 1);
    const destination: string = group.outputGroupSettings.fileGroupSettings.destination;
    const dir = join(work, `captures-${i}`);
    mkdirSync(dir);
    filters.push(`[v${renditions.length + i}]fps=1/${every},scale=${capture.width}:${capture.height}[p${i}]`);
    outputs.push('-map', `[p${i}]`, '-frames:v', String(count), '-start_number', '0', '-q:v', '3',
      join(dir, `${baseName(destination)}${group.outputs[0].nameModifier ?? ''}.%07d.jpg`));
    return { dir, destination };
  });
  // Image-based trick play: one thumbnail every interval, tiled row by row into JPEG images next to the playlists.
  if (trickPlay) {
    filters.push(`[v${split - 1}]fps=1/${trickPlay.interval},scale=${trickPlay.width}:${trickPlay.height},setsar=1,`
      + `tile=${trickPlay.columns}x${trickPlay.rows}[t]`);
    outputs.push('-map', '[t]', '-start_number', '1', '-q:v', '4', join(hlsDir, `${baseName(hlsDestination)}${TRICK_PLAY_SUFFIX}_%05d.jpg`));
  }
  let downloadFile: string | undefined;
  if (download) {
    const video = download.outputs[0].videoDescription;
    downloadFile = join(work, `${baseName(download.outputGroupSettings.fileGroupSettings.destination)}.mp4`);
    filters.push(`[v${split - 1 - (trickPlay ? 1 : 0)}]scale=${video.width}:${video.height},setsar=1[d]`);
    outputs.push('-map', '[d]', ...(withAudio ? ['-map', '0:a:0?', '-c:a', 'aac', '-b:a', '128k'] : []),
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', downloadFile);
  }
  let speechFile: string | undefined;
  if (speech && withAudio) {
    const mp3 = speech.outputs[0].audioDescriptions[0].codecSettings.mp3Settings ?? {};
    speechFile = join(work, `${baseName(speech.outputGroupSettings.fileGroupSettings.destination)}.${speech.outputs[0].extension ?? 'mp3'}`);
    outputs.push('-map', '0:a:0', '-vn', '-c:a', 'libmp3lame', '-b:a', String(mp3.bitrate ?? 64_000), '-ac', String(mp3.channels ?? 1),
      '-ar', String(mp3.sampleRate ?? 44_100), speechFile);
  }
  args.push('-filter_complex', filters.join(';'), ...outputs);
  return { args, renditions, withAudio, hlsDestination, hlsDir, captures, download, downloadFile, trickPlay, speech, speechFile, encryption };
}

/** AES-128 with a static key, as an HLS group's settings ask for it (camelCase). */
interface HlsEncryption {
  readonly key: Buffer;
  readonly url: string;
  /** InitializationVectorInManifest INCLUDE: each segment's IV written in the playlist. */
  readonly ivInManifest: boolean;
}

/** The encryption an HLS group asks for, if any; what the stand-in does not model (SAMPLE_AES, SPEKE, a constant IV) it refuses. */
function encryptionOf(hls: any): HlsEncryption | undefined {
  const encryption = hls?.encryption;
  if (!encryption) {
    return undefined;
  }
  const key = encryption.staticKeyProvider?.staticKeyValue;
  if (encryption.type !== 'STATIC_KEY' || encryption.encryptionMethod !== 'AES128' || encryption.constantInitializationVector
    || typeof key !== 'string' || !/^[0-9a-fA-F]{32}$/.test(key) || !encryption.staticKeyProvider?.url) {
    throw new Error('the sandbox encrypts HLS with AES128 and a static key (32 hex characters, with a URL) only');
  }
  return { key: Buffer.from(key, 'hex'), url: encryption.staticKeyProvider.url, ivInManifest: encryption.initializationVectorInManifest === 'INCLUDE' };
}

/**
 * Encrypts a rendition's segments as MediaConvert does with a static key:
 * each whole segment AES-128-CBC with PKCS#7 padding, its IV following the
 * segment number (here its media sequence number), as the API reference says
 * of HlsEncryptionSettings without ConstantInitializationVector, and the
 * media playlist given `#EXT-X-KEY:METHOD=AES-128,URI=...` with each
 * segment's IV when InitializationVectorInManifest is INCLUDE (RFC 8216,
 * 4.3.2.4), or once without one, for players to take the sequence number.
 * ffmpeg's own HLS encryption is not used: without an IV it encrypts every
 * segment with IV 0 and says so once, which is not what MediaConvert does.
 */
export function encryptRendition(dir: string, playlistName: string, encryption: HlsEncryption): void {
  const playlistFile = join(dir, playlistName);
  const lines = readFileSync(playlistFile, 'utf8').split('\n');
  let sequence = BigInt(/^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(lines.join('\n'))?.[1] ?? '0');
  const out: string[] = [];
  let keyWritten = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('#EXTINF:')) {
      const segment = lines[i + 1];
      const iv = Buffer.from(sequence.toString(16).padStart(32, '0'), 'hex');
      const file = join(dir, segment);
      const cipher = createCipheriv('aes-128-cbc', encryption.key, iv);
      writeFileSync(file, Buffer.concat([cipher.update(readFileSync(file)), cipher.final()]));
      if (encryption.ivInManifest) {
        out.push(`#EXT-X-KEY:METHOD=AES-128,URI="${encryption.url}",IV=0x${iv.toString('hex').toUpperCase()}`);
      } else if (!keyWritten) {
        out.push(`#EXT-X-KEY:METHOD=AES-128,URI="${encryption.url}"`);
      }
      keyWritten = true;
      sequence += 1n;
    }
    out.push(line);
  }
  writeFileSync(playlistFile, out.join('\n'));
}

/**
 * What MediaConvert calls the images-only playlist and its tile images is not
 * documented (HlsImageBasedTrickPlay only says it "creates a child manifest
 * for each set of images"): the stand-in names them `<master>_thumbnails.m3u8`
 * and `<master>_thumbnails_00001.jpg`, .... Nothing reads these names: the
 * thumbnails track follows the master's `#EXT-X-IMAGE-STREAM-INF` URI.
 */
const TRICK_PLAY_SUFFIX = '_thumbnails';

interface TrickPlayOutput {
  readonly interval: number;
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
}

/** The tiled thumbnails an HLS group asks for with ImageBasedTrickPlay ADVANCED (camelCase settings), if any. */
function trickPlayOf(hls: any): TrickPlayOutput | undefined {
  if (hls?.imageBasedTrickPlay !== 'ADVANCED') {
    return undefined;
  }
  const settings = hls.imageBasedTrickPlaySettings ?? {};
  const width = Number(settings.thumbnailWidth ?? 312);
  // The documented defaults: ThumbnailWidth 312; the stand-in takes 16:9 when the height is left to the aspect ratio.
  return {
    interval: Number(settings.thumbnailInterval ?? 10),
    width,
    height: Number(settings.thumbnailHeight ?? Math.round(width * 9 / 16 / 2) * 2),
    columns: Number(settings.tileWidth ?? 1),
    rows: Number(settings.tileHeight ?? 1),
  };
}

/**
 * The images-only playlist of the tile images ffmpeg wrote (Image Media
 * Playlist extension, as MediaConvert's trick play output follows Roku's
 * trick mode specification): each tile image an `#EXTINF` of the time its
 * thumbnails cover and an `#EXT-X-TILES` with the thumbnail RESOLUTION, the
 * LAYOUT (columns x rows) and each thumbnail's DURATION. A tile image that
 * starts after the end of the video (the fps filter's last frame) is dropped.
 */
export function imagesOnlyPlaylist(trickPlay: TrickPlayOutput, tiles: string[], duration: number): { playlist: string; kept: string[] } {
  const span = trickPlay.interval * trickPlay.columns * trickPlay.rows;
  const kept = tiles.filter((_, i) => i === 0 || i * span < duration - 1e-3);
  const lengths = kept.map((_, i) => Math.max(trickPlay.interval / 1000, Math.min(span, duration - i * span)));
  const playlist = [
    '#EXTM3U',
    `#EXT-X-TARGETDURATION:${Math.ceil(Math.max(...lengths))}`,
    '#EXT-X-VERSION:7',
    '#EXT-X-MEDIA-SEQUENCE:1',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-IMAGES-ONLY',
    ...kept.flatMap((name, i) => [
      `#EXTINF:${lengths[i].toFixed(3)},`,
      `#EXT-X-TILES:RESOLUTION=${trickPlay.width}x${trickPlay.height},LAYOUT=${trickPlay.columns}x${trickPlay.rows},DURATION=${trickPlay.interval.toFixed(3)}`,
      name,
    ]),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
  return { playlist, kept };
}

/** MediaConvert's name for a container, from ffprobe's format: `mp4` and `quicktime` are told apart by the major brand. */
function containerFormat(format: any): string | undefined {
  const names = String(format?.format_name ?? '').split(',');
  if (names.includes('mp4') || names.includes('mov')) {
    return String(format?.tags?.major_brand ?? '').trim() === 'qt' ? 'quicktime' : 'mp4';
  }
  if (names.includes('matroska') || names.includes('webm')) {
    return names.includes('webm') && format?.format_long_name?.includes('WebM') ? 'webm' : 'matroska';
  }
  return { mpegts: 'mpegts', avi: 'avi', mxf: 'mxf', mpeg: 'mpegps' }[names[0]];
}

/** The pixel aspect ratio, when the stream declares one other than square. */
function sampleAspect(stream: any): { sampleAspectRatio?: { numerator: number; denominator: number } } {
  const match = /^(\d+):(\d+)$/.exec(String(stream.sample_aspect_ratio ?? ''));
  if (!match || match[1] === match[2] || match[1] === '0') {
    return {};
  }
  return { sampleAspectRatio: { numerator: Number(match[1]), denominator: Number(match[2]) } };
}

function rotation(stream: any): number | undefined {
  const value = Number(stream.tags?.rotate ?? stream.side_data_list?.find((d: any) => d.rotation !== undefined)?.rotation ?? 0);
  const normalized = ((value % 360) + 360) % 360;
  return normalized === 0 ? undefined : normalized;
}

function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(url);
  if (!match) {
    throw new Error(`not an s3:// URL: ${url}`);
  }
  return { bucket: match[1], key: match[2] };
}

function baseName(destination: string): string {
  return destination.split('/').pop()!;
}

function folderOf(destination: string): string {
  return destination.slice(0, destination.lastIndexOf('/') + 1);
}

export function contentType(name: string): string {
  if (name.endsWith('.m3u8')) return 'application/vnd.apple.mpegurl';
  if (name.endsWith('.ts')) return 'video/mp2t';
  if (name.endsWith('.jpg')) return 'image/jpeg';
  if (name.endsWith('.mp4')) return 'video/mp4';
  if (name.endsWith('.mp3')) return 'audio/mpeg';
  return 'application/octet-stream';
}

/** Runs a command; answers its standard output, or throws with its standard error. */
export function run(command: string, args: string[], onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      if (onLine) {
        text.split('\n').forEach(onLine);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.slice(-800)}`))));
  });
}
