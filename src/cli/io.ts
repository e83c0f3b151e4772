/** Exit codes a CI pipeline can gate on. */
/** `partly` is for `reach`: some of the connections a query names are allowed and others are denied. */
export const EXIT = { ok: 0, findings: 1, usage: 2, partly: 3 } as const;

/** Errors caused by the user's input or arguments: printed as one line, exit 2, no stack trace. */
export class UsageError extends Error {}

/** The output streams of a command. Tests pass their own to capture output. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTty: boolean;
}

/** The exit code a command's action sets for main() to return. */
export interface ExitState {
  code: number;
}
