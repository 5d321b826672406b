import { parseArgs } from 'node:util';
import type { Config } from '../config';
import { TributaryError } from '../errors';
import { buildFakeGateway, ensureFakeGatewayKey, type Faults } from '../gateway';

/**
 * `tributary gateway [fault options]`: the fake payment gateway (src/gateway/fake.ts) on the host and port of
 * PAYMENT_GATEWAY_URL, until SIGINT/SIGTERM. For the demo and tests only: its state is in memory.
 */

export const GATEWAY_USAGE = `  gateway [--decline-rate R] [--timeout-rate R] [--lost-answer-rate R] [--fail-rate R] [--slow-ms N]
          [--duplicate-callbacks] [--callback-url URL]
                                 the fake payment gateway on PAYMENT_GATEWAY_URL (demo and tests; rates 0-1)`;

const RATES = ['decline-rate', 'timeout-rate', 'lost-answer-rate', 'fail-rate'] as const;

function number(flag: string, raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new TributaryError('input.invalid', `--${flag} needs a number from 0 to ${max}, not '${raw}'`);
  }
  return value;
}

/** The fault options of the command line. */
export function parseGatewayArgs(args: string[]): { faults: Partial<Faults>; callbackUrl?: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        ...Object.fromEntries(RATES.map((flag) => [flag, { type: 'string' as const }])),
        'slow-ms': { type: 'string' },
        'duplicate-callbacks': { type: 'boolean' },
        'callback-url': { type: 'string' },
      },
    });
  } catch (error) {
    throw new TributaryError('input.invalid', `gateway: ${(error as Error).message}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const rate = (flag: (typeof RATES)[number]) => number(flag, values[flag] as string | undefined, 1);
  const faults: Partial<Faults> = {
    declineRate: rate('decline-rate') ?? 0,
    timeoutRate: rate('timeout-rate') ?? 0,
    lostAnswerRate: rate('lost-answer-rate') ?? 0,
    failRate: rate('fail-rate') ?? 0,
    slowMs: number('slow-ms', values['slow-ms'] as string | undefined, 600_000) ?? 0,
    duplicateCallbacks: values['duplicate-callbacks'] === true,
  };
  const callbackUrl = values['callback-url'] as string | undefined;
  return { faults, ...(callbackUrl === undefined ? {} : { callbackUrl }) };
}

export async function gatewayCommand(
  config: Config,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  const options = parseGatewayArgs(args);
  const apiKey = ensureFakeGatewayKey(config);
  const { app } = buildFakeGateway({ apiKey, ...options });
  const url = new URL(config.paymentGatewayUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  await app.listen({ host: url.hostname, port });
  say(
    `fake payment gateway on ${config.paymentGatewayUrl} (key in ${config.paymentGatewayKeyFile}); Ctrl-C stops it`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.close();
  return 0;
}
