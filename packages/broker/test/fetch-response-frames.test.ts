// The Fetch response is sent in pieces so that large record sets are written as read from the log, not copied into
// the frame. The pieces must add up to exactly the bytes the generated encoder produces, at every version.
import { randomBytes } from 'node:crypto';
import {
  ApiKey,
  createFetchResponse,
  createFetchResponsePartitionData,
  decodeResponse,
  encodeResponse,
  type FetchResponse,
} from '@tributary/protocol';
import { encodeFetchResponse } from '../src/handlers/fetch';

const KiB = 1024;

function response(records: (Buffer | null)[][]): FetchResponse {
  return createFetchResponse({
    throttleTimeMs: 7,
    sessionId: 0,
    responses: records.map((parts, t) => ({
      topic: `topic-${t}`,
      topicId: `00000000-0000-0000-0000-00000000000${t + 1}`,
      partitions: parts.map((r, p) =>
        createFetchResponsePartitionData({
          partitionIndex: p,
          highWatermark: 1000n + BigInt(p),
          lastStableOffset: 990n,
          logStartOffset: 3n,
          abortedTransactions: p === 1 ? [{ producerId: 42n, firstOffset: 5n }] : null,
          // a non-default tagged field (v12+) after the records of every other partition
          currentLeader: p % 2 === 0 ? { leaderId: 1, leaderEpoch: 3 } : { leaderId: -1, leaderEpoch: -1 },
          records: r,
        }),
      ),
    })),
  });
}

describe('Fetch response frames', () => {
  const big = randomBytes(300 * KiB);
  const atThreshold = randomBytes(16 * KiB);
  const small = randomBytes(100);
  const body = response([
    [big, small, null, atThreshold],
    [Buffer.alloc(0), randomBytes(2 * 1024 * KiB)],
  ]);

  it.each([4, 5, 7, 11, 12, 13, 15, 16, 17])('v%i: the pieces concatenate to exactly the generated encoding', (version) => {
    const pieces = encodeFetchResponse(version, 1234, body);
    const expected = encodeResponse(ApiKey.Fetch, version, 1234, body);
    expect(Array.isArray(pieces)).toBe(true);
    const whole = Buffer.concat(pieces as Buffer[]);
    expect(whole.equals(expected)).toBe(true);
    expect(decodeResponse(whole, ApiKey.Fetch, version).body.responses[0].partitions[0].records!.equals(big)).toBe(true);
  });

  it('sends large record sets by reference, without copying them', () => {
    const pieces = encodeFetchResponse(12, 1, body) as Buffer[];
    expect(pieces).toContain(big);
    expect(pieces).toContain(atThreshold);
    expect(pieces).not.toContain(small); // below the threshold: copied into the encoded fields
  });

  it('encodes as one buffer when no record set is large', () => {
    const plain = response([[small, null]]);
    const out = encodeFetchResponse(11, 9, plain);
    expect(Buffer.isBuffer(out)).toBe(true);
    expect((out as Buffer).equals(encodeResponse(ApiKey.Fetch, 11, 9, plain))).toBe(true);
  });

  it('leaves the response object it was given unchanged', () => {
    encodeFetchResponse(13, 1, body);
    expect(body.responses[0].partitions[0].records).toBe(big);
  });
});
