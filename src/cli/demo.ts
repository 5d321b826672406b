import { DEMO_DEFAULTS, runDemo, type DemoOptions, type DemoOutput } from '../demo';
import { TributaryError } from '../errors';

/**
 * `demo [--exit-after-tour] [--commands N] [--customers N] [--rate N] [--logs DIR]`: see src/demo. The
 * components it starts get this process's environment, so they load the same configuration.
 */

const LIMITS = { commands: 100_000, customers: 10_000, rate: 10_000 } as const;

function parseDemoArgs(args: string[]): DemoOptions {
  const options: DemoOptions = { exitAfterTour: false, ...DEMO_DEFAULTS };
  const count = (flag: keyof typeof LIMITS, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > LIMITS[flag]) {
      throw new TributaryError('input.invalid', `--${flag} needs an integer from 1 to ${LIMITS[flag]}`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === '--exit-after-tour') options.exitAfterTour = true;
    else if (flag === '--commands') options.commands = count('commands', args[++i]);
    else if (flag === '--customers') options.customers = count('customers', args[++i]);
    else if (flag === '--rate') options.ratePerSecond = count('rate', args[++i]);
    else if (flag === '--logs' && args[i + 1]) options.logDir = args[++i];
    else {
      throw new TributaryError(
        'input.invalid',
        `unknown demo option '${flag}': expected --exit-after-tour, --commands N, --customers N, --rate N, --logs DIR`,
      );
    }
  }
  return options;
}

/** Lines on stdout; on a terminal the progress line is redrawn in place, elsewhere printed every 5 s. */
function terminalOutput(stream: NodeJS.WriteStream = process.stdout): DemoOutput {
  let progressShown = false;
  let lastProgressAt = 0;
  return {
    line(text) {
      stream.write(`${progressShown ? '\r\x1b[K' : ''}${text}\n`);
      progressShown = false;
    },
    progress(text) {
      if (stream.isTTY) {
        stream.write(`\r\x1b[K${text}`);
        progressShown = true;
      } else if (Date.now() - lastProgressAt >= 5_000) {
        stream.write(`${text}\n`);
        lastProgressAt = Date.now();
      }
    },
  };
}

export function demoCommand(args: string[]): Promise<number> {
  const options = parseDemoArgs(args);
  // eslint-disable-next-line no-restricted-properties -- the demo hands its environment to the processes it starts
  return runDemo(process.env, options, terminalOutput());
}
