// DescribeLogDirs (key 35), v0-v4: the broker's one log directory (absolute path) with, per requested partition
// (all when `topics` is null), its size on disk, offset lag 0 (the log end is the high watermark on a single node)
// and isFutureKey false (no replica moves between directories). Topics with none of the requested partitions are
// left out, as Kafka does. v4 adds the volume's total and usable bytes (statfs); if the directory cannot be read the
// result carries KAFKA_STORAGE_ERROR.
import { statfs } from 'node:fs/promises';
import * as path from 'node:path';
import { ApiKey, ErrorCode, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '@tributary/protocol';
import { defineHandler } from './handler';

type Topic = DescribeLogDirsResponse['results'][number]['topics'][number];

export const describeLogDirs = defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, { min: 0, max: 4 }, async (req, ctx) => {
  const { logs } = ctx.broker;
  const logDir = path.resolve(logs.dataDir);
  const wanted = req.topics === null ? undefined : new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)]));
  let space: { total: bigint; usable: bigint };
  try {
    const s = await statfs(logDir, { bigint: true });
    space = { total: s.blocks * s.bsize, usable: s.bavail * s.bsize };
  } catch (err) {
    ctx.broker.logger.warn({ err, logDir }, 'cannot describe the log directory');
    return { throttleTimeMs: 0, errorCode: 0, results: [{ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir, topics: [], totalBytes: -1n, usableBytes: -1n }] };
  }
  const topics: Topic[] = [];
  for (const t of logs.topics()) {
    const partitions: Topic['partitions'] = [];
    for (let p = 0; p < t.partitions; p++) {
      if (wanted && !wanted.get(t.name)?.has(p)) continue;
      const log = logs.log(t.name, p);
      if (log) partitions.push({ partitionIndex: p, partitionSize: BigInt(log.size), offsetLag: 0n, isFutureKey: false });
    }
    if (partitions.length) topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, errorCode: 0, results: [{ errorCode: 0, logDir, topics, totalBytes: space.total, usableBytes: space.usable }] };
});
