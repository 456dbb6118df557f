// Emits generated/apis.ts (the API table by key, header versions) and generated/index.ts (re-exports everything).
import { type Lines, objectLiteral, quote, tidy } from './code';
import { flexibleMin, GENERATED_HEADER, outputPath } from './emit-message';
import type { MessageSpec } from './schema';

const importPath = (msg: MessageSpec): string => `./${outputPath(msg).replace(/\.ts$/, '')}`;

export function emitApis(messages: MessageSpec[]): string {
  const requests = messages.filter((m) => m.kind === 'request').sort((a, b) => a.apiKey - b.apiKey);
  const responses = new Map(messages.filter((m) => m.kind === 'response').map((m) => [m.apiKey, m]));
  const apis = requests.map((req) => {
    const res = responses.get(req.apiKey);
    if (!res) throw new Error(`${req.source}: no response for API key ${req.apiKey}`);
    if (req.validVersions.lo !== res.validVersions.lo || req.validVersions.hi !== res.validVersions.hi) {
      throw new Error(`${req.name} and ${res.name} disagree on validVersions`);
    }
    if (flexibleMin(req) !== flexibleMin(res)) throw new Error(`${req.name} and ${res.name} disagree on flexibleVersions`);
    if (!req.name.endsWith('Request')) throw new Error(`${req.source}: request name ${req.name} does not end in Request`);
    return { req, res, name: req.name.slice(0, -'Request'.length) };
  });
  for (let i = 1; i < apis.length; i++) {
    if (apis[i].req.apiKey === apis[i - 1].req.apiKey) throw new Error(`API key ${apis[i].req.apiKey} is defined twice`);
  }

  const out: Lines = [
    GENERATED_HEADER,
    '// The API table: every request/response pair by API key, with the versions the definitions support, and the',
    '// header version each (key, version) uses.',
    "import type { MessageCodec } from '../primitives/message-codec';",
    ...apis.flatMap(({ req, res }) => [
      `import { ${req.name} } from '${importPath(req)}';`,
      `import { ${res.name} } from '${importPath(res)}';`,
    ]),
    '',
    "/** API keys by name (the definition's name without `Request`). */",
    'export const ApiKey = {',
    ...apis.map(({ req, name }) => `  ${name}: ${req.apiKey},`),
    '} as const;',
    '',
    'export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];',
    'export type ApiName = keyof typeof ApiKey;',
    '',
    '/** Request and response body types by API key. */',
    'export interface ApiMessages {',
    ...apis.map(({ req, res }) => `  ${req.apiKey}: { request: ${req.name}; response: ${res.name} };`),
    '}',
    '',
    'export interface ApiDefinition {',
    '  apiKey: number;',
    '  name: string;',
    '  request: MessageCodec<any>;',
    '  response: MessageCodec<any>;',
    '  minVersion: number;',
    '  maxVersion: number;',
    '  /** The first flexible version; Infinity when never flexible. */',
    '  flexibleMinVersion: number;',
    '  /** The highest version is still under development in this Kafka version (not to be advertised). */',
    '  latestVersionUnstable: boolean;',
    '  /** Which Kafka listeners serve the API (`broker`, `controller`, `zkBroker`). */',
    '  listeners: string[];',
    '}',
    '',
    '/** Every API, by key, in key order. */',
    'export const API_DEFINITIONS: ReadonlyMap<number, ApiDefinition> = new Map<number, ApiDefinition>([',
  ];
  for (const { req, res, name } of apis) {
    const f = flexibleMin(req);
    const entries = [
      `apiKey: ${req.apiKey}`,
      `name: ${quote(name)}`,
      `request: ${req.name}`,
      `response: ${res.name}`,
      `minVersion: ${req.validVersions.lo}`,
      `maxVersion: ${req.validVersions.hi}`,
      `flexibleMinVersion: ${f === Infinity ? 'Infinity' : f}`,
      `latestVersionUnstable: ${req.latestVersionUnstable}`,
      `listeners: [${req.listeners.map(quote).join(', ')}]`,
    ];
    const lit = objectLiteral(entries, `[${req.apiKey}, `, '],', 116);
    out.push(...lit.map((l) => `  ${l}`));
  }
  out.push(
    ']);',
    '',
    '/**',
    ' * The request header version for an API version: 2 when the version is flexible, else 1; 0 only for',
    ' * ControlledShutdown v0, which predates the client id. Unknown API keys get 1 (their client id can still be read).',
    ' */',
    'export function requestHeaderVersion(apiKey: number, apiVersion: number): number {',
    '  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;',
    '  const api = API_DEFINITIONS.get(apiKey);',
    '  return api !== undefined && apiVersion >= api.flexibleMinVersion ? 2 : 1;',
    '}',
    '',
    '/**',
    ' * The response header version: 1 when the version is flexible, else 0, except ApiVersions, whose responses always',
    ' * use header v0 so a client can read them whatever version it asked for (KIP-511).',
    ' */',
    'export function responseHeaderVersion(apiKey: number, apiVersion: number): number {',
    '  if (apiKey === ApiKey.ApiVersions) return 0;',
    '  const api = API_DEFINITIONS.get(apiKey);',
    '  return api !== undefined && apiVersion >= api.flexibleMinVersion ? 1 : 0;',
    '}',
    '',
  );
  return tidy(out.join('\n'));
}

export function emitIndex(messages: MessageSpec[]): string {
  const paths = messages.map(importPath).sort();
  return [
    GENERATED_HEADER,
    "export * from './apis';",
    ...paths.map((p) => `export * from '${p}';`),
    '',
  ].join('\n');
}
