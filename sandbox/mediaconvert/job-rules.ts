import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as ts from 'typescript';

/**
 * Checks a MediaConvert CreateJob request the way MediaConvert would before
 * it accepts the job: against the service's JSON model, and against rules of
 * the MediaConvert documentation that the model does not hold. The request is
 * in the SDK v3 form (PascalCase member names, as `CreateJobCommandInput`);
 * {@link fromWireNames} turns a request as it travels (camelCase JSON) into it.
 *
 * Every error is one string, `<dotted path>: <what is wrong>`, e.g.
 * `Settings.OutputGroups.0.Outputs.1.VideoDescription.Width: 5760 is above the maximum 4096`.
 */

/**
 * A shape of an AWS JSON service model, as the SDKs ship it. Structures have
 * `members`, lists a `member`, maps a `key` and a `value`. A reference is a
 * shape too: `shape` names one of the model's shapes. In the aws-sdk v2
 * minified model most shapes are written inline, and a shape without a `type`
 * is a string.
 */
export interface ModelShape {
  type?: string;
  shape?: string;
  /** The member's name on the wire (camelCase); the key of `members` is the SDK's name. */
  locationName?: string;
  members?: Record<string, ModelShape>;
  required?: string[];
  member?: ModelShape;
  key?: ModelShape;
  value?: ModelShape;
  enum?: string[];
  /** A regular expression a string matches. */
  pattern?: string;
  /** The smallest value of a number, or the shortest length of a string, list or map. */
  min?: number;
  /** The largest value of a number, or the longest length of a string, list or map. */
  max?: number;
}

/** An AWS JSON service model: MediaConvert's `mediaconvert-2017-08-29`. */
export interface ServiceModel {
  operations: Record<string, { input?: ModelShape }>;
  shapes: Record<string, ModelShape>;
}

export interface JobRuleOptions {
  /**
   * Allow the Professional tier features (multi-pass, automated ABR,
   * accelerated transcoding); reported as errors otherwise.
   * @default false
   */
  readonly professionalTier?: boolean;
  /**
   * Report only what MediaConvert documents it refuses, leaving out this
   * library's own rules (even sides, unique name modifiers, segments on GOP
   * boundaries, the Basic tier): what a stand-in answers with a 400.
   * @default false
   */
  readonly refusalsOnly?: boolean;
  /**
   * The service model to check against.
   * @default the aws-sdk v2 model with the SDK v3's enum values, see {@link defaultServiceModel}
   */
  readonly model?: ServiceModel;
}

const OPERATION = 'CreateJob';

/**
 * Reads a service model in the AWS JSON format: by default the one the
 * aws-sdk v2 package ships, `aws-sdk/apis/mediaconvert-2017-08-29.min.json`.
 * Another file in the same format can be given, gzipped or not, e.g. a
 * complete model (`.normal.json` of aws-sdk-js, or botocore's `service-2.json.gz`).
 */
export function loadServiceModel(file = require.resolve('aws-sdk/apis/mediaconvert-2017-08-29.min.json'), operation = OPERATION): ServiceModel {
  const bytes = readFileSync(file);
  const model = JSON.parse((file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')) as ServiceModel;
  if (!model.operations?.[operation]?.input || typeof model.shapes !== 'object') {
    throw new Error(`${file} is not a service model with a ${operation} operation`);
  }
  return model;
}

let defaultModel: ServiceModel | undefined;

/**
 * The model requests are checked against unless told otherwise: the aws-sdk
 * v2 model, with the enum values of the SDK v3 the library sends requests
 * with. The v2 package ships its models minified: shapes, members, types and
 * `required` are kept, but `enum`, `min` and `max` are stripped (its
 * `VideoDescription.Width` is `{"locationName":"width","type":"integer"}`,
 * where the complete model has `__integerMin32Max8192`, min 32, max 8192).
 * The enum values are put back from `@aws-sdk/client-mediaconvert`'s type
 * declarations, which are generated from the same model; numeric limits have
 * no such source in the project, so they are only checked with a complete
 * model given as `options.model`.
 */
export function defaultServiceModel(): ServiceModel {
  defaultModel ??= withSdkEnums(loadServiceModel());
  return defaultModel;
}

/** Both kinds of errors: {@link validateAgainstServiceModel} and {@link validateDocumentedRules}. */
export function validateCreateJob(request: unknown, options: JobRuleOptions = {}): string[] {
  return [...validateAgainstServiceModel(request, options.model), ...validateDocumentedRules(request, options)];
}

// ---------------------------------------------------------------------------
// The service model
// ---------------------------------------------------------------------------

/**
 * The errors of a CreateJob request against the service model: members the
 * model does not have, values of the wrong type, enum values it does not list,
 * numbers or lengths outside its `min` and `max`, and missing required members.
 * Members set to `undefined` or `null` are absent, as the SDK leaves them out.
 */
export function validateAgainstServiceModel(request: unknown, model: ServiceModel = defaultServiceModel(), operation = OPERATION): string[] {
  const errors: string[] = [];
  checkShape(model, model.operations[operation].input!, request, '', errors);
  return errors;
}

/** The shape a reference stands for: a named shape of the model, or itself when it is written inline. */
function resolve(model: ServiceModel, ref: ModelShape): ModelShape {
  if (ref.shape === undefined) {
    return ref;
  }
  const shape = model.shapes[ref.shape];
  if (!shape) {
    throw new Error(`the service model has no shape ${ref.shape}`);
  }
  return shape;
}

function checkShape(model: ServiceModel, ref: ModelShape, value: unknown, path: string, errors: string[]): void {
  const shape = resolve(model, ref);
  const where = path === '' ? '(request)' : path;
  const fail = (message: string) => errors.push(`${where}: ${message}`);
  const type = shape.type ?? 'string';
  switch (type) {
    case 'structure': {
      if (!isRecord(value)) {
        fail(`expected an object, got ${describe(value)}`);
        return;
      }
      const members = shape.members ?? {};
      for (const [name, memberValue] of Object.entries(value)) {
        if (memberValue === undefined || memberValue === null) {
          continue;
        }
        const member = Object.prototype.hasOwnProperty.call(members, name) ? members[name] : undefined;
        if (member === undefined) {
          errors.push(`${childPath(path, name)}: unknown member ${name} (not in the model)`);
        } else {
          checkShape(model, member, memberValue, childPath(path, name), errors);
        }
      }
      for (const name of shape.required ?? []) {
        if (value[name] === undefined || value[name] === null) {
          errors.push(`${childPath(path, name)}: required member is missing`);
        }
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        fail(`expected a list, got ${describe(value)}`);
        return;
      }
      checkLength(shape, value.length, 'entries', fail);
      value.forEach((item, index) => checkShape(model, shape.member!, item, childPath(path, String(index)), errors));
      return;
    }
    case 'map': {
      if (!isRecord(value)) {
        fail(`expected a map (an object), got ${describe(value)}`);
        return;
      }
      const entries = Object.entries(value).filter(([, entry]) => entry !== undefined && entry !== null);
      checkLength(shape, entries.length, 'entries', fail);
      for (const [key, entry] of entries) {
        if (shape.key) {
          checkShape(model, shape.key, key, childPath(path, `(key ${key})`), errors);
        }
        checkShape(model, shape.value!, entry, childPath(path, key), errors);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') {
        fail(`expected a string, got ${describe(value)}`);
        return;
      }
      if (shape.enum && !shape.enum.includes(value)) {
        fail(`${JSON.stringify(value)} is not one of ${shape.enum.join(', ')}`);
        return;
      }
      checkLength(shape, value.length, 'characters', fail);
      checkPattern(shape, value, fail);
      return;
    }
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        fail(`expected a whole number, got ${describe(value)}`);
        return;
      }
      return checkRange(shape, value, fail);
    case 'double':
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        fail(`expected a number, got ${describe(value)}`);
        return;
      }
      return checkRange(shape, value, fail);
    case 'boolean':
      if (typeof value !== 'boolean') {
        fail(`expected true or false, got ${describe(value)}`);
      }
      return;
    case 'timestamp':
      if (!(value instanceof Date && !Number.isNaN(value.getTime())) && typeof value !== 'number'
        && !(typeof value === 'string' && !Number.isNaN(Date.parse(value)))) {
        fail(`expected a timestamp, got ${describe(value)}`);
      }
      return;
    case 'blob':
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
        fail(`expected bytes, got ${describe(value)}`);
      }
      return;
    default:
      fail(`the model's type ${type} is not one this validator knows`);
  }
}

function checkRange(shape: ModelShape, value: number, fail: (message: string) => void): void {
  if (shape.min !== undefined && value < shape.min) {
    fail(`${value} is below the minimum ${shape.min}`);
  }
  if (shape.max !== undefined && value > shape.max) {
    fail(`${value} is above the maximum ${shape.max}`);
  }
}

function checkLength(shape: ModelShape, length: number, unit: string, fail: (message: string) => void): void {
  if (shape.min !== undefined && length < shape.min) {
    fail(`${length} ${unit}, fewer than the minimum ${shape.min}`);
  }
  if (shape.max !== undefined && length > shape.max) {
    fail(`${length} ${unit}, more than the maximum ${shape.max}`);
  }
}

/**
 * A request as it travels, with the model's wire names (camelCase, the
 * `locationName` of each member), renamed to the SDK's member names. Keys the
 * model does not know are kept as they are, for the validator to report; map
 * keys are data and are kept too.
 */
export function fromWireNames(request: unknown, model: ServiceModel = defaultServiceModel()): unknown {
  const rename = (ref: ModelShape, value: unknown): unknown => {
    const shape = resolve(model, ref);
    if (shape.type === 'structure' && isRecord(value)) {
      const members = Object.entries(shape.members ?? {});
      return Object.fromEntries(Object.entries(value).map(([key, entry]) => {
        const found = members.find(([name, member]) => (member.locationName ?? name) === key) ?? members.find(([name]) => name === key);
        return found ? [found[0], rename(found[1], entry)] : [key, entry];
      }));
    }
    if (shape.type === 'list' && Array.isArray(value)) {
      return value.map((item) => rename(shape.member!, item));
    }
    if (shape.type === 'map' && isRecord(value)) {
      return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, rename(shape.value!, entry)]));
    }
    return value;
  };
  return rename(model.operations[OPERATION].input!, request);
}

// ---------------------------------------------------------------------------
// Enum values from the SDK v3's type declarations
// ---------------------------------------------------------------------------

/**
 * A copy of `model` whose string members carry the enum values that
 * `@aws-sdk/client-mediaconvert` declares for them. The SDK's declarations
 * are read as TypeScript syntax: an interface per structure (its members
 * `Name?: Type | undefined`, lists `Type[]`, maps `Record<string, Type>`),
 * and an enum per `export declare const Name: { readonly A: "A"; ... }`.
 * The model and the interfaces are walked together from the operation's input
 * (`CreateJobRequest`). Throws when it finds no enum at all, so a change of
 * the SDK's layout cannot quietly switch the enum checks off.
 */
export function withSdkEnums(model: ServiceModel): ServiceModel {
  const copy = JSON.parse(JSON.stringify(model)) as ServiceModel;
  const declarations = readSdkDeclarations();
  const done = new Set<ModelShape>();
  let enums = 0;

  const visit = (ref: ModelShape, node: ts.TypeNode): void => {
    const shape = resolve(copy, ref);
    const type = withoutUndefined(node);
    const name = ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) ? type.typeName.text : undefined;
    switch (shape.type ?? 'string') {
      case 'structure': {
        const members = name === undefined ? undefined : declarations.interfaces.get(name);
        if (!members || done.has(shape)) {
          return;
        }
        done.add(shape);
        for (const [memberName, member] of Object.entries(shape.members ?? {})) {
          const memberType = members.get(memberName);
          if (memberType) {
            visit(member, memberType);
          }
        }
        return;
      }
      case 'list':
        if (ts.isArrayTypeNode(type)) {
          visit(shape.member!, type.elementType);
        }
        return;
      case 'map':
        if (name === 'Record' && ts.isTypeReferenceNode(type) && type.typeArguments?.length === 2) {
          visit(shape.value!, type.typeArguments[1]);
        }
        return;
      case 'string': {
        const values = name === undefined ? undefined : declarations.enums.get(name);
        if (values && !shape.enum) {
          shape.enum = values;
          enums++;
        }
        return;
      }
      default:
        return;
    }
  };

  const input = declarations.interfaces.get(`${OPERATION}Request`);
  if (!input) {
    throw new Error(`@aws-sdk/client-mediaconvert declares no ${OPERATION}Request interface`);
  }
  const root = resolve(copy, copy.operations[OPERATION].input!);
  for (const [name, member] of Object.entries(root.members ?? {})) {
    const memberType = input.get(name);
    if (memberType) {
      visit(member, memberType);
    }
  }
  if (enums === 0) {
    throw new Error('found no enum of @aws-sdk/client-mediaconvert for the service model: the SDK\'s declarations have changed');
  }
  return copy;
}

interface SdkDeclarations {
  /** Interface name to its members' declared types. */
  readonly interfaces: Map<string, Map<string, ts.TypeNode>>;
  /** Enum name to its values. */
  readonly enums: Map<string, string[]>;
}

function readSdkDeclarations(): SdkDeclarations {
  // The package's `main` is dist-cjs/index.js; its declarations are in dist-types/models.
  const folder = join(dirname(require.resolve('@aws-sdk/client-mediaconvert')), '..', 'dist-types', 'models');
  const interfaces = new Map<string, Map<string, ts.TypeNode>>();
  const enums = new Map<string, string[]>();
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.d.ts'))) {
    const source = ts.createSourceFile(file, readFileSync(join(folder, file), 'utf8'), ts.ScriptTarget.Latest);
    for (const statement of source.statements) {
      if (ts.isInterfaceDeclaration(statement)) {
        const members = new Map<string, ts.TypeNode>();
        for (const member of statement.members) {
          if (ts.isPropertySignature(member) && member.type && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name))) {
            members.set(member.name.text, member.type);
          }
        }
        interfaces.set(statement.name.text, members);
      } else if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name) && declaration.type && ts.isTypeLiteralNode(declaration.type)) {
            const values = declaration.type.members.flatMap((member) => ts.isPropertySignature(member) && member.type
              && ts.isLiteralTypeNode(member.type) && ts.isStringLiteral(member.type.literal) ? [member.type.literal.text] : []);
            if (values.length > 0) {
              enums.set(declaration.name.text, values);
            }
          }
        }
      }
    }
  }
  return { interfaces, enums };
}

/** `T | undefined` (or `(T)`) as `T`. */
function withoutUndefined(node: ts.TypeNode): ts.TypeNode {
  if (ts.isParenthesizedTypeNode(node)) {
    return withoutUndefined(node.type);
  }
  if (ts.isUnionTypeNode(node)) {
    const types = node.types.filter((type) => type.kind !== ts.SyntaxKind.UndefinedKeyword);
    return types.length === 1 ? withoutUndefined(types[0]) : node;
  }
  return node;
}

// ---------------------------------------------------------------------------
// Documented rules the model does not hold
// ---------------------------------------------------------------------------

/** The largest H.264 frame, either way round. */
const H264_MAX_LONG_SIDE = 4096;
const H264_MAX_SHORT_SIDE = 2160;

/** Output group types whose outputs form an ABR stack. */
const ABR_GROUP_TYPES: ReadonlySet<string> = new Set(['HLS_GROUP_SETTINGS', 'DASH_ISO_GROUP_SETTINGS', 'CMAF_GROUP_SETTINGS', 'MS_SMOOTH_GROUP_SETTINGS']);

/** One output of one output group, with the paths errors name. */
interface OutputAt {
  readonly group: Record<string, unknown>;
  readonly groupPath: string;
  readonly output: Record<string, unknown>;
  readonly path: string;
  readonly automated: boolean;
}

/**
 * The errors of a CreateJob request against MediaConvert's documentation, for
 * what the service model cannot say. Parts of the request that are not there
 * or of the wrong type are skipped: {@link validateAgainstServiceModel}
 * reports those.
 *
 * Rules (a) (frame size), (b), (c) (name modifier missing), (f) and (g) are
 * refusals MediaConvert documents. The evenness of (a), uniqueness in (c), (d)
 * and (e) are this library's rules: MediaConvert may accept such a job, but
 * encodes it differently than asked (extra I-frames, outputs overwriting each
 * other) or bills it at the Professional tier.
 */
export function validateDocumentedRules(request: unknown, options: Pick<JobRuleOptions, 'professionalTier' | 'refusalsOnly'> = {}): string[] {
  const ownRules = !options.refusalsOnly;
  const tierRules = ownRules && !options.professionalTier;
  const errors: string[] = [];
  const outputs = outputsOf(request);
  const groups = list(at(request, 'Settings', 'OutputGroups'));

  for (const item of outputs) {
    const video = at(item.output, 'VideoDescription');
    const codec = at(video, 'CodecSettings', 'Codec');
    const width = at(video, 'Width');
    const height = at(video, 'Height');
    const videoPath = `${item.path}.VideoDescription`;

    if (codec === 'H_264') {
      const h264 = at(video, 'CodecSettings', 'H264Settings');
      const h264Path = `${videoPath}.CodecSettings.H264Settings`;
      // (a) MediaConvert User Guide, "Supported output resolution maximums by codec"
      // (https://docs.aws.amazon.com/mediaconvert/latest/ug/supported-output-resolution-maximums-by-codec.html):
      // "AVC (H.264) | 4096x2160 or 2160x4096".
      if (isNumber(width) && isNumber(height)) {
        if (Math.max(width, height) > H264_MAX_LONG_SIDE || Math.min(width, height) > H264_MAX_SHORT_SIDE) {
          errors.push(`${videoPath}: an H.264 frame of ${width}x${height} is larger than MediaConvert encodes, `
            + `${H264_MAX_LONG_SIDE}x${H264_MAX_SHORT_SIDE} or ${H264_MAX_SHORT_SIDE}x${H264_MAX_LONG_SIDE}`);
        }
      } else {
        for (const [name, side] of [['Width', width], ['Height', height]] as const) {
          if (isNumber(side) && side > H264_MAX_LONG_SIDE) {
            errors.push(`${videoPath}.${name}: ${side} is more than H.264's largest side, ${H264_MAX_LONG_SIDE}`);
          }
        }
      }
      // (a) Even sides: the library's own rule. With 4:2:0 chroma an H.264 frame is cropped in
      // steps of 2 luma samples each way (ITU-T H.264, 7.4.2.1.1, CropUnitX/CropUnitY), so an odd
      // side cannot be coded exactly; 4:2:2 profiles only need an even width.
      const is422 = typeof at(h264, 'CodecProfile') === 'string' && String(at(h264, 'CodecProfile')).startsWith('HIGH_422');
      if (ownRules && isNumber(width) && width % 2 !== 0) {
        errors.push(`${videoPath}.Width: ${width} is odd; H.264 with 4:2:0 chroma needs even sides`);
      }
      if (ownRules && isNumber(height) && height % 2 !== 0 && !is422) {
        errors.push(`${videoPath}.Height: ${height} is odd; H.264 with 4:2:0 chroma needs even sides`);
      }
      // (b) MediaConvert API Reference, H264Settings.MaxBitrate: "Maximum bitrate in bits/second.
      // [...] Required when Rate control mode is QVBR." With automated ABR MediaConvert chooses
      // the bitrates of the renditions itself (AutomatedAbrSettings.MaxAbrBitrate bounds them).
      if (at(h264, 'RateControlMode') === 'QVBR' && at(h264, 'MaxBitrate') === undefined && !item.automated) {
        errors.push(`${h264Path}.MaxBitrate: required when RateControlMode is QVBR`);
      }
    }

    // (d) HLS segments on GOP boundaries. MediaConvert API Reference, HlsGroupSettings.SegmentLengthControl:
    // with "Exact", the segment length given is kept but "this might result in additional I-frames in the
    // output GOP"; with "Multiple of GOP", MediaConvert "will round up the segment lengths to match the next
    // GOP boundary". Either way a segment length that is not a whole number of GOPs is not encoded as asked,
    // so this library's rule is that a GOP given in seconds divides SegmentLength (10 when unset:
    // "When you don't specify a value, MediaConvert defaults to 10", HlsGroupSettings.SegmentLength).
    const hls = at(item.group, 'OutputGroupSettings', 'HlsGroupSettings');
    if (ownRules && isRecord(hls)) {
      const segment = at(hls, 'SegmentLength') ?? 10;
      for (const [key, settings] of codecSettings(video)) {
        const gop = at(settings, 'GopSize');
        if (at(settings, 'GopSizeUnits') === 'SECONDS' && isNumber(gop) && gop > 0 && isNumber(segment)) {
          const gops = segment / gop;
          if (Math.abs(gops - Math.round(gops)) > 1e-9) {
            errors.push(`${item.groupPath}.OutputGroupSettings.HlsGroupSettings.SegmentLength: ${segment} seconds is not a whole number of `
              + `the ${gop}-second GOPs of ${videoPath}.CodecSettings.${key}`);
          }
        }
      }
    }

    // (e) Basic tier: multi-pass. MediaConvert API Reference, H264Settings.QualityTuningLevel:
    // "Multi pass HQ [...] Outputs that use this feature incur pro-tier pricing."
    if (tierRules) {
      for (const [key, settings] of codecSettings(video)) {
        if (at(settings, 'QualityTuningLevel') === 'MULTI_PASS_HQ') {
          errors.push(`${videoPath}.CodecSettings.${key}.QualityTuningLevel: MULTI_PASS_HQ is a Professional tier feature (multi-pass encoding)`);
        }
      }
    }

    // (f) Automated ABR. MediaConvert User Guide, "Job settings limitations for automated ABR"
    // (https://docs.aws.amazon.com/mediaconvert/latest/ug/feature-restrictions-for-automated-abr.html):
    // "Your output Video codec must be AVC (H.264) or HEVC (H.265)", "Your output video Scaling behavior
    // must be Default, Stretch to output, Fit, or Fill. You can't use Fit without upscaling.",
    // "Set qualityTuningLevel to MULTI_PASS_HQ.", "Set rateControlMode to QVBR."
    if (item.automated && isRecord(video)) {
      if (codec !== 'H_264' && codec !== 'H_265') {
        errors.push(`${videoPath}.CodecSettings.Codec: automated ABR encodes H_264 or H_265, not ${String(codec)}`);
      }
      const scaling = at(video, 'ScalingBehavior');
      if (scaling !== undefined && !['DEFAULT', 'STRETCH_TO_OUTPUT', 'FIT', 'FILL'].includes(String(scaling))) {
        errors.push(`${videoPath}.ScalingBehavior: automated ABR needs DEFAULT, STRETCH_TO_OUTPUT, FIT or FILL, not ${String(scaling)}`);
      }
      for (const [key, settings] of codecSettings(video).filter(([name]) => name === 'H264Settings' || name === 'H265Settings')) {
        if (at(settings, 'RateControlMode') !== 'QVBR') {
          errors.push(`${videoPath}.CodecSettings.${key}.RateControlMode: automated ABR needs QVBR, got ${String(at(settings, 'RateControlMode'))}`);
        }
        if (at(settings, 'QualityTuningLevel') !== 'MULTI_PASS_HQ') {
          errors.push(`${videoPath}.CodecSettings.${key}.QualityTuningLevel: automated ABR needs MULTI_PASS_HQ, got ${String(at(settings, 'QualityTuningLevel'))}`);
        }
      }
    }
  }

  // (c) MediaConvert API Reference, Output.NameModifier: "When you create multiple outputs in the same
  // output group, Name modifier is required." Outputs of a group share the destination's base file
  // name, so two outputs with the same modifier write the same files: this library also wants them unique.
  groups.forEach((group, index) => {
    const groupOutputs = list(at(group, 'Outputs'));
    if (groupOutputs.length < 2) {
      return;
    }
    const seen = new Map<string, number>();
    groupOutputs.forEach((output, outputIndex) => {
      const path = `Settings.OutputGroups.${index}.Outputs.${outputIndex}.NameModifier`;
      const modifier = at(output, 'NameModifier');
      if (typeof modifier !== 'string' || modifier === '') {
        errors.push(`${path}: required, the output group has ${groupOutputs.length} outputs`);
      } else if (ownRules && seen.has(modifier)) {
        errors.push(`${path}: ${JSON.stringify(modifier)} is already the name modifier of Settings.OutputGroups.${index}.Outputs.${seen.get(modifier)}`);
      } else {
        seen.set(modifier, outputIndex);
      }
    });
  });

  const automatedGroups = groups.flatMap((group, index) => at(group, 'AutomatedEncodingSettings') === undefined ? [] : [index]);
  // (e) Basic tier: automated ABR needs MULTI_PASS_HQ (rule f), which incurs pro-tier pricing.
  if (tierRules) {
    for (const index of automatedGroups) {
      errors.push(`Settings.OutputGroups.${index}.AutomatedEncodingSettings: automated ABR is a Professional tier feature`);
    }
  }
  // (f) "In a job that includes an automated ABR output group, all ABR output groups must use automated ABR."
  // and AutomatedAbrSettings.MaxRenditions, "will never exceed this limit", is 3 to 15 (the model's
  // __integerMin3Max15, whose limits the minified model drops).
  if (automatedGroups.length > 0) {
    groups.forEach((group, index) => {
      const type = at(group, 'OutputGroupSettings', 'Type');
      if (typeof type === 'string' && ABR_GROUP_TYPES.has(type) && !automatedGroups.includes(index)) {
        errors.push(`Settings.OutputGroups.${index}: a ${type} group in a job with automated ABR must use automated ABR too`);
      }
    });
  }
  for (const index of automatedGroups) {
    const renditions = at(groups[index], 'AutomatedEncodingSettings', 'AbrSettings', 'MaxRenditions');
    if (renditions !== undefined && !(isNumber(renditions) && Number.isInteger(renditions) && renditions >= 3 && renditions <= 15)) {
      errors.push(`Settings.OutputGroups.${index}.AutomatedEncodingSettings.AbrSettings.MaxRenditions: ${String(renditions)} is not a whole number from 3 to 15`);
    }
  }

  // (h) Image-based trick play. MediaConvert API Reference, HlsImageBasedTrickPlaySettings: ThumbnailWidth
  // "Must be divisible by 8" (8 to 4096), ThumbnailHeight "Must be divisible by 2" (2 to 4096) and "If
  // following the aspect ratio would lead to a total tile height greater than 4096, then the job will be
  // rejected", TileWidth "Set a value between 1 and 512", TileHeight "Set a value between 1 and 2048";
  // the settings are "applicable when imageBasedTrickPlay is ADVANCED".
  groups.forEach((group, index) => {
    const hls = at(group, 'OutputGroupSettings', 'HlsGroupSettings');
    const trick = at(hls, 'ImageBasedTrickPlaySettings');
    if (!isRecord(trick)) {
      return;
    }
    const path = `Settings.OutputGroups.${index}.OutputGroupSettings.HlsGroupSettings.ImageBasedTrickPlaySettings`;
    if (ownRules && at(hls, 'ImageBasedTrickPlay') !== 'ADVANCED') {
      errors.push(`${path}: applies only when ImageBasedTrickPlay is ADVANCED`);
    }
    const whole = (name: string, min: number, max: number, step = 1) => {
      const value = at(trick, name);
      if (value !== undefined && !(isNumber(value) && Number.isInteger(value) && value >= min && value <= max && value % step === 0)) {
        errors.push(`${path}.${name}: ${String(value)} is not a whole number from ${min} to ${max}${step > 1 ? `, divisible by ${step}` : ''}`);
      }
    };
    whole('ThumbnailWidth', 8, 4096, 8);
    whole('ThumbnailHeight', 2, 4096, 2);
    whole('TileWidth', 1, 512);
    whole('TileHeight', 1, 2048);
    const thumbnailHeight = at(trick, 'ThumbnailHeight');
    const rows = at(trick, 'TileHeight') ?? 1;
    if (isNumber(thumbnailHeight) && isNumber(rows) && thumbnailHeight * rows > 4096) {
      errors.push(`${path}: a tile image ${thumbnailHeight * rows} pixels high is more than 4096`);
    }
    const interval = at(trick, 'ThumbnailInterval');
    if (at(trick, 'IntervalCadence') === 'FOLLOW_CUSTOM' && !(isNumber(interval) && interval > 0)) {
      errors.push(`${path}.ThumbnailInterval: required and positive when IntervalCadence is FOLLOW_CUSTOM`);
    }
  });

  // (e) Basic tier: acceleration. MediaConvert User Guide, "Accelerated transcoding"
  // (https://docs.aws.amazon.com/mediaconvert/latest/ug/accelerated-transcoding.html):
  // "Accelerated transcoding is a Professional tier feature." PREFERRED accelerates when it can.
  const acceleration = at(request, 'AccelerationSettings', 'Mode');
  if (tierRules && (acceleration === 'ENABLED' || acceleration === 'PREFERRED')) {
    errors.push(`AccelerationSettings.Mode: ${acceleration} is a Professional tier feature (accelerated transcoding)`);
  }

  // (g) MediaConvert User Guide, "File group with a frame capture output"
  // (https://docs.aws.amazon.com/mediaconvert/latest/ug/file-group-with-frame-capture-output.html):
  // "You can create frame capture outputs only in jobs that also have a regular audio and video output.
  // MediaConvert doesn't support jobs that consist only of a frame capture output." A regular video
  // output is required here; audio is not, for sources without audio (see the report of the test).
  const captures = outputs.filter((item) => at(item.output, 'VideoDescription', 'CodecSettings', 'Codec') === 'FRAME_CAPTURE');
  const regularVideo = outputs.some((item) => {
    const codec = at(item.output, 'VideoDescription', 'CodecSettings', 'Codec');
    return codec !== undefined && codec !== 'FRAME_CAPTURE';
  });
  if (captures.length > 0 && !regularVideo) {
    for (const item of captures) {
      errors.push(`${item.path}: a frame capture output needs a regular video output in the same job`);
    }
  }
  return errors;
}

/** Every output of every output group, in order. */
function outputsOf(request: unknown): OutputAt[] {
  return list(at(request, 'Settings', 'OutputGroups')).flatMap((group, groupIndex) => {
    if (!isRecord(group)) {
      return [];
    }
    const groupPath = `Settings.OutputGroups.${groupIndex}`;
    const automated = group.AutomatedEncodingSettings !== undefined && group.AutomatedEncodingSettings !== null;
    return list(group.Outputs).flatMap((output, index) => isRecord(output)
      ? [{ group, groupPath, output, path: `${groupPath}.Outputs.${index}`, automated }]
      : []);
  });
}

/** The codec's own settings of a video description (`H264Settings`, `FrameCaptureSettings`, ...), with their key. */
function codecSettings(video: unknown): Array<[string, Record<string, unknown>]> {
  const settings = at(video, 'CodecSettings');
  if (!isRecord(settings)) {
    return [];
  }
  return Object.entries(settings).flatMap(([key, value]): Array<[string, Record<string, unknown>]> =>
    key.endsWith('Settings') && isRecord(value) ? [[key, value]] : []);
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** The value at `keys` under `value`, or undefined where a step is not an object. */
function at(value: unknown, ...keys: string[]): unknown {
  let node = value;
  for (const key of keys) {
    if (!isRecord(node)) {
      return undefined;
    }
    node = node[key];
  }
  return node ?? undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function childPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (typeof value === 'string') {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return `${typeof value} ${value}`;
  }
  return value === null ? 'null' : typeof value;
}

/** A string against the model's pattern, where the pattern is one JavaScript reads the same way. */
function checkPattern(shape: ModelShape, value: string, fail: (message: string) => void): void {
  const pattern = shape.pattern;
  if (!pattern) {
    return;
  }
  let expression: RegExp;
  try {
    expression = new RegExp(pattern, 'u');
  } catch {
    return;
  }
  if (!expression.test(value)) {
    fail(`${JSON.stringify(value)} does not match the pattern ${pattern}`);
  }
}
