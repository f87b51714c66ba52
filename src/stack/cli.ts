/**
 * `npm run stack:up|down|status [-- services…] [--purge]`: thin wrapper over `startStack`,
 * `stopStack` and `stackStatus`. `up` attaches to whatever already runs (idempotent), leaves the
 * services running when it exits, prints the status table and exits non-zero with the StackError
 * (service, log file, last log lines) when something cannot start.
 */
import { join } from 'node:path';
import { formatStatusTable, stackStatus, startStack, stopStack } from './stack.js';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const services = rest.filter((a) => !a.startsWith('--'));
  switch (command) {
    case 'up': {
      const t0 = Date.now();
      const stack = await startStack({ services, reuse: true, quiet: flags.has('--quiet') });
      const startedNow = [...stack.started];
      // The services outlive this process; only a failure during start stops them.
      stack.detach();
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      const rows = await stack.status();
      console.log(formatStatusTable(rows));
      const fresh = startedNow.length === 0 && stack.attached.length > 0;
      console.log(
        fresh
          ? `\nstack already running (${stack.attached.join(', ')}); nothing started. ${seconds} s`
          : `\nstack ready in ${seconds} s; endpoints in ${join(stack.stateDir, 'env')}`,
      );
      return 0;
    }
    case 'down': {
      const outcome = await stopStack({ services, purge: flags.has('--purge') });
      const names = Object.keys(outcome);
      console.log(
        names.length === 0 ? 'nothing was running' : names.map((n) => `${n}: ${outcome[n]}`).join('\n'),
      );
      if (flags.has('--purge')) console.log('data purged');
      return 0;
    }
    case 'status': {
      const rows = await stackStatus();
      console.log(
        formatStatusTable(rows.filter((r) => services.length === 0 || services.includes(r.service))),
      );
      return rows.some((r) => r.state === 'dead' || r.state === 'unhealthy') ? 1 : 0;
    }
    default:
      console.error(
        'usage: stack:up [services…] [--quiet] | stack:down [services…] [--purge] | stack:status',
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`\nstack: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
