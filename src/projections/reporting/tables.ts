/**
 * The reporting tables, as one set: the live set that queries read and the projector writes, and the
 * shadow set a rebuild fills before swapping it in. The write operations take a set, so the same SQL
 * (and delta logic) updates either. Names are constants, never input: they are spliced into SQL.
 */
export interface ReportTables {
  readonly contributions: string;
  readonly daily: string;
  readonly customers: string;
  readonly skus: string;
}

function tableSet(suffix: string): ReportTables {
  return {
    contributions: `report_order_contributions${suffix}`,
    daily: `report_daily${suffix}`,
    customers: `report_customers${suffix}`,
    skus: `report_skus${suffix}`,
  };
}

export const LIVE_TABLES: ReportTables = tableSet('');
export const SHADOW_TABLES: ReportTables = tableSet('_next');

/**
 * The tables in the order every writer touches them (contributions first, then daily, customers, skus):
 * writers that take their locks in one order cannot deadlock on each other's tables.
 */
export function tablesInLockOrder(tables: ReportTables): string[] {
  return [tables.contributions, tables.daily, tables.customers, tables.skus];
}

/** The projector name under which the reporting projection records the events it applied. */
export const REPORTING_PROJECTOR = 'reporting';
