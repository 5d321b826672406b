import { TributaryError } from '../../../errors';
import type { Contribution, ContributionLine } from '../contribution';

/**
 * Contributions to and from table rows: the column list every statement on a contributions table uses,
 * the parameter that turns back into rows, and the row a select returns.
 */

export const CONTRIBUTION_COLUMNS = `order_id, version, customer_id, customer_name, customer_email, created_at,
  day, status, currency, total_amount, lines`;

/**
 * The rows of `contributionsParam`, as a table `c`: one jsonb parameter rather than an array per column,
 * so the lines (JSON already) are not escaped again into an array literal, and PostgreSQL parses one
 * document in C.
 */
export function contributionRecords(param: number): string {
  return `jsonb_to_recordset($${param}::jsonb) as c(order_id text, version int, customer_id text,
    customer_name text, customer_email text, created_at timestamptz, day date, status text, currency text,
    total_amount bigint, lines jsonb)`;
}

/** The parameter of `contributionRecords`. */
export function contributionsParam(contributions: readonly Contribution[]): string {
  return JSON.stringify(
    contributions.map((c) => ({
      order_id: c.orderId,
      version: c.version,
      customer_id: c.customerId,
      customer_name: c.customerName,
      customer_email: c.customerEmail,
      created_at: c.createdAt,
      day: c.day,
      status: c.status,
      currency: c.currency,
      total_amount: c.totalAmount,
      lines: c.lines,
    })),
  );
}

/** The select list that `fromContributionRow` reads (dates as text: pg would parse them as local time). */
export const CONTRIBUTION_SELECT = (alias: string) => `${alias}.order_id, ${alias}.version,
  ${alias}.customer_id, ${alias}.customer_name, ${alias}.customer_email,
  to_char(${alias}.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
  ${alias}.day::text as day, ${alias}.status, ${alias}.currency, ${alias}.total_amount::text as total_amount,
  ${alias}.lines`;

export interface ContributionRow {
  order_id: string;
  version: number;
  customer_id: string;
  customer_name: string;
  customer_email: string;
  created_at: string;
  day: string;
  status: Contribution['status'];
  currency: string;
  total_amount: string;
  lines: ContributionLine[];
}

export function fromContributionRow(row: ContributionRow): Contribution {
  const totalAmount = Number(row.total_amount);
  if (!Number.isSafeInteger(totalAmount)) {
    throw new TributaryError('internal', `order ${row.order_id} has a total beyond safe integers`);
  }
  return {
    orderId: row.order_id,
    version: row.version,
    customerId: row.customer_id,
    customerName: row.customer_name,
    customerEmail: row.customer_email,
    createdAt: row.created_at,
    day: row.day,
    status: row.status,
    currency: row.currency,
    totalAmount,
    lines: row.lines,
  };
}
