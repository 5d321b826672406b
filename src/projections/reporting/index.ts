/**
 * The reporting read model: daily orders and revenue by status and currency, per-customer lifetime totals
 * and top SKUs, in PostgreSQL tables fed by the projector runtime, rebuilt with shadow tables and a swap.
 */
export { createReportingProjection, type ReportingProjectionOptions } from './projection';
export { applyReportingEvents, contributionOfEvent, type ApplyOptions, type ApplyResult } from './apply';
export { contributionOf, type Contribution, type ContributionLine } from './contribution';
export { CONTRIBUTION_SELECT, fromContributionRow, type ContributionRow } from './sql/contribution-rows';
export {
  reportDeltas,
  type ContributionChange,
  type CustomerDelta,
  type DailyDelta,
  type ReportDeltas,
  type SkuDelta,
} from './deltas';
export { LIVE_TABLES, REPORTING_PROJECTOR, SHADOW_TABLES, type ReportTables } from './tables';
export { createReportingShadow, dropReportingShadow } from './rebuild/create-shadow';
export { fillReportingShadow } from './rebuild/fill-shadow';
export { finishReportingShadow } from './rebuild/finish-shadow';
export { catchUpReportingShadow } from './rebuild/catch-up-shadow';
export { swapReportingTables, type SwapResult } from './rebuild/swap-tables';
export { dailyReport, type DailyReportQuery, type DailyReportRow } from './queries/daily-report';
export { customerReport, type CustomerReport, type CustomerTotals } from './queries/customer-report';
export { topSkus, type TopSkuRow, type TopSkusBy, type TopSkusQuery } from './queries/top-skus';
export { createReportQueries, type ReportQueries } from './queries/report-queries';
