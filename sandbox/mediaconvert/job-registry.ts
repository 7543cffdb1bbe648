import { randomUUID } from 'node:crypto';

/**
 * MediaConvert's record of jobs, as its API documents it, for the sandbox's
 * stand-in and for tests that mock the SDK client:
 *
 * - CreateJob with a client request token already used within one minute of
 *   that successful request answers the original job; after that minute the
 *   same token makes a new job ("Preventing duplicate jobs", MediaConvert
 *   API Reference).
 * - SearchJobs filters by input file (a URL or part of one), queue and status,
 *   newest first by default, at most twenty jobs a page with a next token.
 * - GetJob answers a job by id, or NotFound.
 */
export interface RegisteredJob {
  readonly id: string;
  readonly createdAt: Date;
  readonly clientRequestToken?: string;
  readonly inputFile: string;
  readonly queue?: string;
  readonly userMetadata: Record<string, string>;
  /** The request's settings, as the caller sent them. */
  readonly settings: unknown;
  status: 'SUBMITTED' | 'PROGRESSING' | 'COMPLETE' | 'CANCELED' | 'ERROR';
  percentComplete?: number;
  errorCode?: number;
  errorMessage?: string;
  /** Per output group, per output: what COMPLETE measured. */
  outputGroupDetails?: Array<{ outputDetails: Array<{ durationInMs?: number; widthInPx?: number; heightInPx?: number }> }>;
}

export interface CreateJobInput {
  readonly clientRequestToken?: string;
  readonly inputFile: string;
  readonly queue?: string;
  readonly userMetadata?: Record<string, string>;
  readonly settings: unknown;
}

/** The window in which MediaConvert answers a repeated client request token with the original job. */
export const CLIENT_REQUEST_TOKEN_WINDOW_MS = 60_000;

/** SearchJobs and ListJobs answer at most this many jobs a page. */
export const JOBS_PAGE_SIZE = 20;

export class MediaConvertJobRegistry {
  /** Every job created, oldest first. */
  public readonly jobs: RegisteredJob[] = [];

  constructor(private readonly clock: () => number = Date.now) {}

  /** Answers the job and whether it is new (false when a token within its window answered an earlier job). */
  public create(input: CreateJobInput): { job: RegisteredJob; created: boolean } {
    const now = this.clock();
    if (input.clientRequestToken) {
      const earlier = [...this.jobs].reverse().find((job) => job.clientRequestToken === input.clientRequestToken);
      if (earlier && now - earlier.createdAt.getTime() < CLIENT_REQUEST_TOKEN_WINDOW_MS) {
        return { job: earlier, created: false };
      }
    }
    const job: RegisteredJob = {
      id: `${now}-${randomUUID().slice(0, 6)}`,
      createdAt: new Date(now),
      clientRequestToken: input.clientRequestToken,
      inputFile: input.inputFile,
      queue: input.queue,
      userMetadata: { ...input.userMetadata },
      settings: input.settings,
      status: 'SUBMITTED',
    };
    this.jobs.push(job);
    return { job, created: true };
  }

  public get(id: string): RegisteredJob | undefined {
    return this.jobs.find((job) => job.id === id);
  }

  /** SearchJobs: newest first unless `order` is ASCENDING; `nextToken` is the index to continue from. */
  public search(filter: {
    inputFile?: string; queue?: string; status?: string; order?: string; maxResults?: number; nextToken?: string;
  }): { jobs: RegisteredJob[]; nextToken?: string } {
    const matching = this.jobs.filter((job) =>
      (!filter.inputFile || job.inputFile.includes(filter.inputFile))
      && (!filter.queue || job.queue === filter.queue || (job.queue ?? '').endsWith(`/${filter.queue}`))
      && (!filter.status || job.status === filter.status));
    const ordered = filter.order === 'ASCENDING' ? matching : [...matching].reverse();
    const start = Number(filter.nextToken ?? 0);
    const size = Math.min(filter.maxResults ?? JOBS_PAGE_SIZE, JOBS_PAGE_SIZE);
    const page = ordered.slice(start, start + size);
    return { jobs: page, nextToken: start + size < ordered.length ? String(start + size) : undefined };
  }
}
