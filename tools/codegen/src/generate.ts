// Renders every generated file from a directory of message definitions, and writes them (replacing whatever the
// output directory held, since everything in it is generated).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { emitApis, emitIndex } from './emit-apis';
import { emitMessage, exportedNames, outputPath } from './emit-message';
import { loadMessages } from './schema';

/** Generated files by path relative to the output directory (forward slashes), in a stable order. */
export function render(inputDir: string): Map<string, string> {
  const messages = loadMessages(inputDir);
  const owners = new Map<string, string>();
  for (const m of messages) {
    for (const name of exportedNames(m)) {
      const other = owners.get(name);
      if (other !== undefined) throw new Error(`${m.source}: ${name} is also exported by ${other}`);
      owners.set(name, m.source);
    }
  }
  const files = new Map<string, string>();
  for (const m of messages) files.set(outputPath(m), emitMessage(m));
  files.set('apis.ts', emitApis(messages));
  files.set('index.ts', emitIndex(messages));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Regenerates `outputDir` from `inputDir`; returns the files written. */
export function generate(inputDir: string, outputDir: string): string[] {
  const files = render(inputDir);
  fs.rmSync(outputDir, { recursive: true, force: true });
  for (const [rel, text] of files) {
    const target = path.join(outputDir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
  return [...files.keys()];
}
