// Every decoder failure is a ProtocolError: truncated input, a length field that cannot be satisfied by the
// bytes present, or a value outside its domain. Callers (the broker's transport) close one connection on it.

export type ProtocolErrorKind = 'truncated' | 'invalid-length' | 'malformed' | 'unsupported-version' | 'corrupt';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly kind: ProtocolErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const truncated = (what: string, need: number, have: number): ProtocolError =>
  new ProtocolError('truncated', `truncated ${what}: need ${need} bytes, ${have} left`);
