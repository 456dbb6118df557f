// Raw-protocol group members for the wire-level tests: each member has its own connection (a parked JoinGroup
// holds back later responses on its connection, as in Kafka) and sends requests at exact versions.
import { ApiKey } from '@tributary/protocol';
import { WireClient } from '../support/wire-client';

export interface JoinOptions {
  version?: number;
  memberId?: string;
  groupInstanceId?: string | null;
  protocolType?: string;
  protocols?: { name: string; metadata: Buffer }[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  reason?: string | null;
}

export class WireMember {
  memberId = '';
  generationId = -1;
  constructor(
    readonly client: WireClient,
    readonly groupId: string,
    readonly groupInstanceId: string | null = null,
  ) {}

  static async connect(port: number, groupId: string, groupInstanceId: string | null = null): Promise<WireMember> {
    return new WireMember(await WireClient.connect(port), groupId, groupInstanceId);
  }

  /** JoinGroup; remembers the member id and generation it is given. */
  async join(opts: JoinOptions = {}): Promise<any> {
    const version = opts.version ?? 5;
    const r = await this.client.send(ApiKey.JoinGroup, version, {
      groupId: this.groupId,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? 10_000,
      memberId: opts.memberId ?? this.memberId,
      groupInstanceId: opts.groupInstanceId === undefined ? this.groupInstanceId : opts.groupInstanceId,
      protocolType: opts.protocolType ?? 'consumer',
      protocols: opts.protocols ?? [{ name: 'range', metadata: Buffer.from('m') }],
      reason: opts.reason ?? null,
    });
    if (r.memberId) this.memberId = r.memberId;
    if (r.errorCode === 0) this.generationId = r.generationId;
    return r;
  }

  /** JoinGroup, repeated once with the assigned id when the broker answers MEMBER_ID_REQUIRED. */
  async joinFully(opts: JoinOptions = {}): Promise<any> {
    const r = await this.join(opts);
    return r.errorCode === 79 ? this.join({ ...opts, memberId: r.memberId }) : r;
  }

  sync(assignments: Record<string, Buffer> = {}, opts: { version?: number; generationId?: number; protocolType?: string | null; protocolName?: string | null } = {}): Promise<any> {
    return this.client.send(ApiKey.SyncGroup, opts.version ?? 3, {
      groupId: this.groupId,
      generationId: opts.generationId ?? this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      protocolType: opts.protocolType ?? null,
      protocolName: opts.protocolName ?? null,
      assignments: Object.entries(assignments).map(([memberId, assignment]) => ({ memberId, assignment })),
    });
  }

  async heartbeat(opts: { version?: number; generationId?: number; memberId?: string } = {}): Promise<number> {
    const r = await this.client.send(ApiKey.Heartbeat, opts.version ?? 3, {
      groupId: this.groupId,
      generationId: opts.generationId ?? this.generationId,
      memberId: opts.memberId ?? this.memberId,
      groupInstanceId: this.groupInstanceId,
    });
    return r.errorCode;
  }

  leave(version = 3): Promise<any> {
    return this.client.send(ApiKey.LeaveGroup, version, {
      groupId: this.groupId,
      memberId: this.memberId,
      members: [{ memberId: this.memberId, groupInstanceId: this.groupInstanceId, reason: 'test leaves' }],
    });
  }

  close(): void {
    this.client.close();
  }
}

export function commitBody(groupId: string, opts: { generationId?: number; memberId?: string; groupInstanceId?: string | null; topics: Record<string, { partition: number; offset: bigint; metadata?: string | null; leaderEpoch?: number }[]> }) {
  return {
    groupId,
    generationIdOrMemberEpoch: opts.generationId ?? -1,
    memberId: opts.memberId ?? '',
    groupInstanceId: opts.groupInstanceId ?? null,
    retentionTimeMs: -1n,
    topics: Object.entries(opts.topics).map(([name, partitions]) => ({
      name,
      partitions: partitions.map((p) => ({
        partitionIndex: p.partition,
        committedOffset: p.offset,
        committedLeaderEpoch: p.leaderEpoch ?? -1,
        commitTimestamp: -1n,
        committedMetadata: p.metadata === undefined ? '' : p.metadata,
      })),
    })),
  };
}

/** Per-partition error codes of an OffsetCommit response, as "topic/partition" -> code. */
export function commitErrors(r: any): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of r.topics) for (const p of t.partitions) out[`${t.name}/${p.partitionIndex}`] = p.errorCode;
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
