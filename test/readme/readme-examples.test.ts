import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Every ```ts block of the README type-checks as a file of a user's CDK app,
 * in the manner of jsii-rosetta: the block's imports stay at the top of the
 * file and the rest becomes the constructor body of a `Stack`, below a short
 * fixture of names an example may use without defining them. `cdk-secure-vod`
 * resolves to this repository's `src/` (as the published package's `lib/`
 * would); every other import resolves from node_modules. One program checks
 * all blocks, each its own virtual file.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const README = path.join(ROOT, 'README.md');
/** Where the virtual files live: inside the repository, so node_modules resolves as for a user. */
const VIRTUAL_DIR = path.join(ROOT, 'test', 'readme', '__examples__');

/**
 * What an example may assume. Each name is either a placeholder for the
 * user's own resource (`my...`) or a construct an earlier README section
 * created, typed as it created it. Anything else an example uses must be
 * defined or imported by the example itself. The aliases start with `$` so
 * that an example's own imports never clash with them.
 */
const FIXTURE = `import * as $cdk from 'aws-cdk-lib';
import type * as $lambda from 'aws-cdk-lib/aws-lambda';
import type * as $constructs from 'constructs';
import type * as $vod from 'cdk-secure-vod';

/** The user's own API function (a placeholder, as rosetta's \`myFunction\`). */
declare const myApiFunction: $lambda.Function;
/** "Upload": \`const uploads = new SecureUploadBucket(...)\`. */
declare const uploads: $vod.SecureUploadBucket;
/** "Transcode": \`const pipeline = new HlsTranscodePipeline(...)\`. */
declare const pipeline: $vod.HlsTranscodePipeline;
/** "Delivery": \`const delivery = new SignedCookieDistribution(...)\`. */
declare const delivery: $vod.SignedCookieDistribution;
`;

interface Block {
  /** Line of the opening fence in README.md, 1-based. */
  readonly line: number;
  readonly code: string;
}

/** The README's ```ts (or ```typescript) blocks. */
function typeScriptBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(lines[i]);
    if (!open) {
      continue;
    }
    const [, indent, fence] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trimStart().startsWith(fence); j++) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    }
    blocks.push({ line: i + 1, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

interface Example {
  readonly fileName: string;
  readonly text: string;
  /** README line of each line of `text`; undefined for fixture lines. */
  readonly readmeLines: Array<number | undefined>;
}

/**
 * The block as a user's file: its import declarations first (where a module
 * must have them), then the fixture, then the rest of the block as the body of
 * a Stack's constructor, so `this` is a Stack and `await` is not allowed.
 */
function exampleFile(block: Block, fileName: string): Example {
  const source = ts.createSourceFile(fileName, block.code, ts.ScriptTarget.ES2022, true);
  const imports = source.statements.filter((s) => ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s));
  let body = block.code;
  const importLines: Array<[string, number]> = [];
  for (const statement of imports) {
    const start = statement.getStart(source);
    const text = block.code.slice(start, statement.end);
    const firstLine = source.getLineAndCharacterOfPosition(start).line;
    text.split('\n').forEach((line, k) => importLines.push([line, block.line + 1 + firstLine + k]));
    // Blank the import out, keeping line breaks, so the body's lines keep their numbers.
    body = body.slice(0, start) + text.replace(/[^\n]/g, ' ') + body.slice(statement.end);
  }
  const out: Array<[string, number | undefined]> = [
    ...importLines,
    ...FIXTURE.split('\n').map((line): [string, undefined] => [line, undefined]),
    ['class ReadmeExample extends $cdk.Stack {', undefined],
    ['  constructor(scope: $constructs.Construct, id: string) {', undefined],
    ['    super(scope, id);', undefined],
    ...body.split('\n').map((line, k): [string, number] => [line, block.line + 1 + k]),
    ['  }', undefined],
    ['}', undefined],
    ['export {};', undefined],
  ];
  return { fileName, text: out.map(([line]) => line).join('\n'), readmeLines: out.map(([, line]) => line) };
}

/** The project's compiler options, as a user's app would have them, with `cdk-secure-vod` mapped to the sources. */
function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    rootDir: ROOT,
    // An example may show a value it does not go on to use.
    noUnusedLocals: false,
    noUnusedParameters: false,
    // A user's app has Node's types, not this repository's test types.
    types: ['node'],
    baseUrl: ROOT,
    paths: {
      'cdk-secure-vod': ['src/index.ts'],
      // The published package is `lib/` compiled from `src/`, with no `exports` map: deep imports reach it.
      'cdk-secure-vod/lib/*': ['src/*'],
    },
  };
}

/** One program over every example file, served from memory. */
function checkExamples(examples: readonly Example[]): Map<string, string[]> {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const virtual = new Map(examples.map((example) => [path.normalize(example.fileName), example]));
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const example = virtual.get(path.normalize(fileName));
    return example
      ? ts.createSourceFile(fileName, example.text, languageVersion, true)
      : getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate);
  };
  host.fileExists = (fileName) => virtual.has(path.normalize(fileName)) || fileExists.call(host, fileName);
  host.readFile = (fileName) => virtual.get(path.normalize(fileName))?.text ?? readFile.call(host, fileName);
  const program = ts.createProgram({ rootNames: examples.map((e) => e.fileName), options, host });
  const errors = new Map<string, string[]>();
  for (const example of examples) {
    const sourceFile = program.getSourceFile(example.fileName)!;
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    errors.set(example.fileName, diagnostics.map((diagnostic) => describeDiagnostic(example, diagnostic)));
  }
  return errors;
}

function describeDiagnostic(example: Example, diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (diagnostic.file === undefined || diagnostic.start === undefined) {
    return `TS${diagnostic.code}: ${message}`;
  }
  const line = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line;
  const readmeLine = example.readmeLines[line];
  return `${readmeLine === undefined ? 'fixture' : `README.md:${readmeLine}`}: TS${diagnostic.code}: ${message}`;
}

const blocks = typeScriptBlocks(fs.readFileSync(README, 'utf8'));
const examples = blocks.map((block) => exampleFile(block, path.join(VIRTUAL_DIR, `readme-line-${block.line}.ts`)));

/** Blocks that must fail, to show the harness catches what it is for. */
const probes = {
  good: { line: 1, code: "import { VodPlatform } from 'cdk-secure-vod';\nconst vod = new VodPlatform(this, 'Vod');\nuploads.grantIssueUploads(myApiFunction);" },
  topLevelAwait: { line: 1, code: 'const value = await Promise.resolve(1);' },
  undefinedName: { line: 1, code: "import { SecureUploadBucket } from 'cdk-secure-vod';\nnew SecureUploadBucket(this, 'U').grantIssueUploads(someFunctionNobodyDefined);" },
  missingImport: { line: 1, code: 'HlsLadder.standard();' },
  wrongProp: { line: 1, code: "import { SecureUploadBucket } from 'cdk-secure-vod';\nnew SecureUploadBucket(this, 'U', { noSuchProp: true });" },
};
const probeExamples = Object.entries(probes).map(([name, block]) => exampleFile(block, path.join(VIRTUAL_DIR, `probe-${name}.ts`)));

let errors: Map<string, string[]>;
beforeAll(() => {
  errors = checkExamples([...examples, ...probeExamples]);
}, 120_000);

test('the README has TypeScript examples', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

test.each(examples.map((example, i) => [blocks[i].line, example] as const))('README.md line %i type-checks', (_line, example) => {
  expect(errors.get(example.fileName)).toEqual([]);
});

describe('the harness', () => {
  const probeErrors = (name: keyof typeof probes) => errors.get(path.join(VIRTUAL_DIR, `probe-${name}.ts`))!;

  test('passes a correct example that uses the fixture', () => {
    expect(probeErrors('good')).toEqual([]);
  });

  test('refuses top-level await', () => {
    expect(probeErrors('topLevelAwait')).toEqual([expect.stringMatching(/^README\.md:2: TS13\d\d: .*'await'/)]);
  });

  test('refuses a name nobody defined, an import left out and a prop that does not exist, at their README lines', () => {
    expect(probeErrors('undefinedName')).toEqual([expect.stringMatching(/^README\.md:3: TS2304: Cannot find name 'someFunctionNobodyDefined'/)]);
    expect(probeErrors('missingImport')).toEqual([expect.stringMatching(/^README\.md:2: TS2304: Cannot find name 'HlsLadder'/)]);
    expect(probeErrors('wrongProp')).toEqual([expect.stringMatching(/^README\.md:3: TS2353: .*'noSuchProp'/)]);
  });

  test('keeps each example\'s imports at the top and the rest in a Stack\'s constructor', () => {
    const example = exampleFile({ line: 10, code: "import { A } from 'a';\nconst x = 1;\nimport {\n  B,\n} from 'b';" }, 'x.ts');
    const lines = example.text.split('\n');
    expect(lines.slice(0, 4)).toEqual(["import { A } from 'a';", 'import {', '  B,', "} from 'b';"]);
    expect(example.readmeLines.slice(0, 4)).toEqual([11, 13, 14, 15]);
    const constructorAt = lines.indexOf('    super(scope, id);');
    expect(lines[constructorAt + 2]).toBe('const x = 1;');
    expect(example.readmeLines[constructorAt + 2]).toBe(12);
  });
});
