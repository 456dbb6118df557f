// Version ranges as Kafka's message JSON writes them ("0+", "3-7", "5", "none"), and the small algebra the emitter
// needs: intersect, contains, and "what test on `version` selects this range, given the versions possible here".

export interface VersionRange {
  readonly lo: number;
  /** Inclusive; Infinity for an open range ("3+"). */
  readonly hi: number;
}

export const NO_VERSIONS: VersionRange = { lo: 0, hi: -1 };
export const ALL_VERSIONS: VersionRange = { lo: 0, hi: Infinity };

export function parseVersions(spec: string | undefined, what: string): VersionRange {
  if (spec === undefined) throw new Error(`${what}: missing version range`);
  const s = spec.trim();
  if (s === 'none') return NO_VERSIONS;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Infinity };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`${what}: cannot parse version range ${JSON.stringify(spec)}`);
}

export const isEmpty = (r: VersionRange): boolean => r.lo > r.hi;

export const intersect = (a: VersionRange, b: VersionRange): VersionRange => {
  const r = { lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) };
  return isEmpty(r) ? NO_VERSIONS : r;
};

export const contains = (r: VersionRange, v: number): boolean => v >= r.lo && v <= r.hi;

/** Versions below `n`: what a field is before it became tagged. */
export const below = (n: number): VersionRange => (n <= 0 ? NO_VERSIONS : { lo: 0, hi: n - 1 });

export function formatVersions(r: VersionRange): string {
  if (isEmpty(r)) return 'none';
  if (r.hi === Infinity) return `${r.lo}+`;
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`;
}

/**
 * A condition on the variable `version` that holds exactly for the versions of `set` within `possible` (the
 * versions the surrounding code can run at): `true` or `false` when it is decided statically, else an expression.
 */
export type Cond = boolean | string;

export function versionCond(set: VersionRange, possible: VersionRange): Cond {
  const r = intersect(set, possible);
  if (isEmpty(r)) return false;
  const lowBound = r.lo > possible.lo;
  const highBound = r.hi < possible.hi;
  if (lowBound && highBound) return r.lo === r.hi ? `version === ${r.lo}` : `version >= ${r.lo} && version <= ${r.hi}`;
  if (lowBound) return `version >= ${r.lo}`;
  if (highBound) return `version <= ${r.hi}`;
  return true;
}
