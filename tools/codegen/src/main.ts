// `npm run codegen`: regenerates packages/protocol/src/generated from tools/codegen/kafka-messages.
// Options: --input <dir> and --output <dir> (defaults relative to the repository root).
import * as path from 'node:path';
import { generate } from './generate';

export { generate, render } from './generate';

const repoRoot = path.resolve(__dirname, '../../..');
export const DEFAULT_INPUT = path.join(repoRoot, 'tools/codegen/kafka-messages');
export const DEFAULT_OUTPUT = path.join(repoRoot, 'packages/protocol/src/generated');

function main(argv: string[]): void {
  const arg = (flag: string, fallback: string): string => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] ? path.resolve(argv[i + 1]) : fallback;
  };
  const input = arg('--input', DEFAULT_INPUT);
  const output = arg('--output', DEFAULT_OUTPUT);
  const files = generate(input, output);
  console.log(`codegen: wrote ${files.length} files to ${path.relative(process.cwd(), output) || '.'}`);
}

if (require.main === module) main(process.argv.slice(2));
