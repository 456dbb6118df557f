// The logging the log layer needs: recovery warnings (torn tails, rebuilt indexes) and lifecycle notes.
// Compatible with pino and console; the default writes warnings to stderr and drops info.

export interface LogLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const defaultLogLogger: LogLogger = {
  info: () => undefined,
  warn: (message) => console.warn(`[log] ${message}`),
};
