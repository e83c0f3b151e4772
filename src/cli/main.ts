import { Command, CommanderError } from 'commander';
import { SnapshotError } from '../collect/snapshot.js';
import { ConfigError } from '../config/load.js';
import { registerAudit } from './commands/audit.js';
import { registerExposure } from './commands/exposure.js';
import { registerCollect } from './commands/collect.js';
import { registerDiff } from './commands/diff.js';
import { registerGenerate } from './commands/generate.js';
import { registerReach } from './commands/reach.js';
import { UsageError, type Io } from './io.js';
import { VERSION } from './version.js';

export { EXIT, type Io } from './io.js';

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY),
};

// The AWS SDK warns on every run under Node 20 that its releases after January 2027 need Node 22. The
// lock file pins the SDK, so the warning tells users nothing they can act on; setting the variable
// yourself keeps your choice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Runs the CLI with `argv` as Node passes it and returns the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const exit = { code: 0 };
  const program = new Command('rampart')
    .description('Audit the network security and workload stability of Kubernetes on AWS (EKS) from a snapshot of its configuration.')
    .version(VERSION, '-V, --version', 'print the Rampart version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  // Each command lives in its own module under commands/ and sets exit.code from its action.
  registerAudit(program, io, exit);
  registerExposure(program, io, exit);
  registerCollect(program, io, exit);
  registerDiff(program, io, exit);
  registerGenerate(program, io, exit);
  registerReach(program, io, exit);

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0; parse errors have already been printed.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError || error instanceof SnapshotError || error instanceof ConfigError) {
      io.stderr(`rampart: error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  return exit.code;
}
