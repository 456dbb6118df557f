// Producer id allocation that never hands out an id twice, even across crashes. Kafka's controller allocates
// blocks of 1000 ids (AllocateProducerIds) and records each block in its metadata log before a broker uses it;
// here the broker keeps the end of its current block in `<dataDir>/producer-id-block` ("version=1",
// "next.block.start=N"), written atomically (temp file, fsync, rename, directory fsync) before any id of the new
// block is returned. A restart therefore starts at the next block: ids of a half-used block are skipped, never
// reused.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseProperties } from '@tributary/protocol';
import { defaultSync, writeFileAtomic, type SyncFn } from '../../log/file-io';

export const PRODUCER_ID_BLOCK_FILE = 'producer-id-block';
export const PRODUCER_ID_BLOCK_SIZE = 1000n;

export class ProducerIdManager {
  private next: bigint;
  private blockEnd: bigint;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    start: bigint,
    private readonly sync: SyncFn,
  ) {
    this.next = start;
    this.blockEnd = start; // nothing may be handed out until a block is persisted
  }

  /** Reads the persisted block end of `dataDir` (0 on first start). */
  static open(dataDir: string, sync: SyncFn = defaultSync): ProducerIdManager {
    const file = path.join(dataDir, PRODUCER_ID_BLOCK_FILE);
    let start = 0n;
    try {
      const props = parseProperties(fs.readFileSync(file, 'utf8'));
      start = BigInt(props['next.block.start'] ?? '0');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: unreadable producer id block (${(e as Error).message})`);
    }
    return new ProducerIdManager(file, start, sync);
  }

  /** The next producer id (persisting a new block first when the current one is used up). */
  generate(): Promise<bigint> {
    const run = this.chain.then(async () => {
      if (this.next >= this.blockEnd) await this.persistBlock(this.next + PRODUCER_ID_BLOCK_SIZE);
      return this.next++;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Makes sure no id at or below `producerId` is handed out (ids found in the transaction log on load). */
  async ensureAbove(producerId: bigint): Promise<void> {
    await this.chain;
    if (this.next <= producerId) {
      this.next = producerId + 1n;
      if (this.blockEnd < this.next) this.blockEnd = this.next;
    }
  }

  private async persistBlock(end: bigint): Promise<void> {
    await writeFileAtomic(this.file, `#producer ids below this value may have been handed out\nversion=1\nnext.block.start=${end}\n`, this.sync);
    this.blockEnd = end;
  }
}
