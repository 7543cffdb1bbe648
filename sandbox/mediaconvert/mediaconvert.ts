import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

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

export interface MediaConvertOptions {
  readonly s3: S3Client;
  readonly emit: (event: MediaConvertEvent) => void;
  /** Told when a job fails, with ffmpeg's output. */
  readonly onError?: (jobId: string, error: Error) => void;
}

interface Rendition { name: string; width: number; height: number; maxBitrate: number; gopSeconds: number }

export class MediaConvertStandIn {
  private readonly jobsByToken = new Map<string, { id: string; at: number }>();
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
        const file = await this.download(fileUrl, work);
        this.forget(fileUrl);
        this.fetched.set(fileUrl, { dir: work, file });
        const info = JSON.parse(await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]));
        probeResults.push({
          container: {
            duration: Number(info.format?.duration ?? 0),
            tracks: (info.streams ?? []).filter((s: any) => s.codec_type === 'video' || s.codec_type === 'audio').map((s: any) => s.codec_type === 'video'
              ? { trackType: 'video', videoProperties: { width: s.width, height: s.height, ...(rotation(s) ? { rotation: rotation(s) } : {}) } }
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

  /** Starts a job; the same client request token within a minute answers the same job, as MediaConvert does. */
  public async createJob(request: Record<string, any>): Promise<Record<string, unknown>> {
    const token = request.clientRequestToken as string | undefined;
    const known = token ? this.jobsByToken.get(token) : undefined;
    if (known && Date.now() - known.at < 60_000) {
      return { id: known.id, status: 'SUBMITTED', userMetadata: request.userMetadata };
    }
    const id = `${Date.now()}-${randomUUID().slice(0, 6)}`;
    if (token) {
      this.jobsByToken.set(token, { id, at: Date.now() });
    }
    this.jobs.push({ id, request });
    const work = this.encode(id, request).finally(() => this.running.delete(work));
    this.running.add(work);
    return { id, status: 'SUBMITTED', role: request.role, settings: request.settings, userMetadata: request.userMetadata };
  }

  private async encode(jobId: string, request: Record<string, any>): Promise<void> {
    const metadata = request.userMetadata ?? {};
    const event = (status: string, detail: Record<string, unknown> = {}) => this.options.emit({
      'version': '0',
      'id': randomUUID(),
      'detail-type': 'MediaConvert Job State Change',
      'source': 'aws.mediaconvert',
      'time': new Date().toISOString(),
      'detail': { timestamp: Date.now(), accountId: '000000000000', queue: 'Default', jobId, status, userMetadata: metadata, ...detail },
    });
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
      const { renditions, withAudio, hlsDestination, hlsDir, posters, posterDir, download, downloadFile } = plan;
      let reported = 0;
      await run('ffmpeg', plan.args, (line) => {
        const match = /^out_time_ms=(\d+)/.exec(line);
        const percent = match && duration > 0 ? Math.min(99, Math.floor(Number(match[1]) / 1e4 / duration)) : undefined;
        if (percent !== undefined && percent >= reported + 20) {
          reported = percent;
          event('STATUS_UPDATE', { jobProgress: { jobPercentComplete: percent, currentPhase: 'TRANSCODING' } });
        }
      });
      writeFileSync(join(hlsDir, `${baseName(hlsDestination)}.m3u8`), [
        '#EXTM3U', '#EXT-X-VERSION:3',
        ...renditions.flatMap((r) => [`#EXT-X-STREAM-INF:BANDWIDTH=${r.maxBitrate + (withAudio ? 128_000 : 0)},RESOLUTION=${r.width}x${r.height}`, `${r.name}.m3u8`]),
        '',
      ].join('\n'));

      await this.uploadFolder(hlsDir, folderOf(hlsDestination));
      const posterPaths = posterDir ? await this.uploadFolder(posterDir, folderOf(posters.outputGroupSettings.fileGroupSettings.destination)) : [];
      const downloadPath = downloadFile
        ? (await this.uploadFiles([downloadFile], folderOf(download.outputGroupSettings.fileGroupSettings.destination)))[0]
        : undefined;
      const durationInMs = Math.round(duration * 1000);
      event('COMPLETE', {
        outputGroupDetails: [
          {
            type: 'HLS_GROUP',
            playlistFilePaths: [`${hlsDestination}.m3u8`],
            outputDetails: renditions.map((r) => ({
              outputFilePaths: [`${folderOf(hlsDestination)}${r.name}.m3u8`], durationInMs, videoDetails: { widthInPx: r.width, heightInPx: r.height },
            })),
          },
          ...(posterPaths.length > 0 ? [{ type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: posterPaths, durationInMs }] }] : []),
          ...(downloadPath ? [{ type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: [downloadPath], durationInMs }] }] : []),
        ],
      });
    } catch (error) {
      this.options.onError?.(jobId, error as Error);
      event('ERROR', { errorCode: 1999, errorMessage: String((error as Error).message).slice(0, 500) });
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
  const posters = files.find((g) => g.outputs?.[0]?.videoDescription?.codecSettings?.codec === 'FRAME_CAPTURE');
  const download = files.find((g) => g.outputs?.[0]?.containerSettings?.container === 'MP4');

  const hlsDir = join(work, 'hls');
  mkdirSync(hlsDir);
  const split = renditions.length + (posters ? 1 : 0) + (download ? 1 : 0);
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
  let posterDir: string | undefined;
  if (posters) {
    const capture = posters.outputs[0].videoDescription;
    const every = Number(capture.codecSettings.frameCaptureSettings.framerateDenominator ?? 5);
    const count = Number(capture.codecSettings.frameCaptureSettings.maxCaptures ?? 1);
    posterDir = join(work, 'posters');
    mkdirSync(posterDir);
    filters.push(`[v${renditions.length}]fps=1/${every},scale=${capture.width}:${capture.height}[p]`);
    outputs.push('-map', '[p]', '-frames:v', String(count), '-start_number', '0', '-q:v', '3',
      join(posterDir, `${baseName(posters.outputGroupSettings.fileGroupSettings.destination)}.%07d.jpg`));
  }
  let downloadFile: string | undefined;
  if (download) {
    const video = download.outputs[0].videoDescription;
    downloadFile = join(work, `${baseName(download.outputGroupSettings.fileGroupSettings.destination)}.mp4`);
    filters.push(`[v${split - 1}]scale=${video.width}:${video.height},setsar=1[d]`);
    outputs.push('-map', '[d]', ...(withAudio ? ['-map', '0:a:0?', '-c:a', 'aac', '-b:a', '128k'] : []),
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', downloadFile);
  }
  args.push('-filter_complex', filters.join(';'), ...outputs);
  return { args, renditions, withAudio, hlsDestination, hlsDir, posters, posterDir, download, downloadFile };
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
