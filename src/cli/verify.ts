import { Pool } from 'pg';
import type { Config } from '../config';
import { TributaryError } from '../errors';
import { CHECKS, formatReport, verifyPipeline, type CheckName } from '../verify';
import { withSessionOptions } from '../db/pool';
import { databaseUrlFor } from './database';
import { elasticsearchClient, kafkaClient } from '../clients';
import { gatewayFor } from '../gateway';
import { captureKeyOf } from '../saga';
import type { CaptureLookup } from '../verify';

/** The saga check's question to the gateway: the capture made with the order's key, if any. */
export function gatewayLookup(config: Config): CaptureLookup {
  const gateway = gatewayFor(config);
  return (orderId) => gateway.findCapture(captureKeyOf(orderId));
}

export interface VerifyArgs {
  since?: Date;
  checks: CheckName[];
  /** Ask the payment gateway for each saga's capture (`--gateway`). */
  askGateway: boolean;
}

function parseChecks(value: string | undefined): CheckName[] {
  const names = (value ?? '').split(',').filter((n) => n !== '');
  const unknown = names.filter((n) => !(CHECKS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new TributaryError(
      'input.invalid',
      `--checks takes a list of ${CHECKS.join(', ')}; got '${value ?? ''}'`,
    );
  }
  return names as CheckName[];
}

export function parseVerifyArgs(args: readonly string[]): VerifyArgs {
  const parsed: VerifyArgs = { checks: [...CHECKS], askGateway: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[i + 1];
    if (arg === '--since') {
      if (value === undefined || Number.isNaN(Date.parse(value))) {
        throw new TributaryError(
          'input.invalid',
          `--since needs an ISO 8601 time, e.g. 2026-11-23T10:00:00Z`,
        );
      }
      parsed.since = new Date(value);
      i++;
    } else if (arg === '--checks') {
      parsed.checks = parseChecks(value);
      i++;
    } else if (arg === '--gateway') {
      parsed.askGateway = true;
    } else {
      throw new TributaryError(
        'input.invalid',
        `unknown verify option '${arg}': expected --since, --checks or --gateway`,
      );
    }
  }
  return parsed;
}

/**
 * `verify [--since <ISO time>] [--checks kafka,search,reporting,saga] [--gateway]`: compares Kafka and both
 * read models with the event store, and checks the fulfilment saga's outcome (with `--gateway`, against the
 * payment gateway's captures too); exit 0 when everything matches, 5 when something is off.
 */
export async function verifyCommand(
  config: Config,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  const { since, checks, askGateway } = parseVerifyArgs(args);
  // Read-only: verify compares, it never repairs.
  const pool = new Pool({ connectionString: withSessionOptions(databaseUrlFor(config, 'readonly')), max: 3 });
  const es = elasticsearchClient(config);
  const kafka = kafkaClient(config, { clientId: 'tributary-verify' });
  try {
    const report = await verifyPipeline(
      {
        pool,
        es,
        kafka,
        topicPrefix: config.topicPrefix,
        indexPrefix: config.indexPrefix,
        captures: askGateway ? gatewayLookup(config) : undefined,
      },
      since ? { since } : {},
      checks,
    );
    say(formatReport(report));
    return report.ok ? 0 : 5;
  } finally {
    // The report (or the error being thrown) is the outcome; a failure to close must not replace it.
    await es.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
  }
}
