import { roleNames } from './names';
import { GRANTEES, grantStatements, PROJECTOR_TABLES, TABLE_GRANTS } from './privileges';

describe('the grants table', () => {
  const roles = roleNames('tributary_');

  it('gives no role but the owner UPDATE or DELETE on events, and only the API and the saga INSERT', () => {
    for (const grantee of GRANTEES) {
      const rights = TABLE_GRANTS.events?.[grantee] ?? [];
      expect(rights).not.toContain('update');
      expect(rights).not.toContain('delete');
      if (grantee !== 'api' && grantee !== 'saga') expect(rights).not.toContain('insert');
    }
  });

  it('lets the relay write its dead-letter table only', () => {
    const written = Object.entries(TABLE_GRANTS)
      .filter(([, grants]) => (grants.relay ?? []).some((p) => p !== 'select'))
      .map(([table]) => table);
    expect(written).toEqual(['relay_dead_letters']);
  });

  it('revokes every table from every role before granting, so a right removed here leaves the database too', () => {
    const statements = grantStatements(roles);
    const revoke = statements.indexOf(
      'revoke all on table events from public, "tributary_api", "tributary_relay", "tributary_search", "tributary_reporting", "tributary_readonly", "tributary_saga"',
    );
    const grant = statements.indexOf('grant select, insert on table events to "tributary_api"');
    expect(revoke).toBeGreaterThanOrEqual(0);
    expect(grant).toBeGreaterThan(revoke);
    expect(statements.filter((s) => s.startsWith('revoke all on table'))).toHaveLength(
      Object.keys(TABLE_GRANTS).length,
    );
  });

  it('keeps each projector to its own rows of the shared projector tables, and lets readers read all', () => {
    const statements = grantStatements(roles).map((s) => s.replace(/\s+/g, ' '));
    for (const table of PROJECTOR_TABLES) {
      expect(statements).toContain(`alter table ${table} enable row level security`);
    }
    expect(statements).toContain(
      `create policy "tributary_search_rows" on projection_parked for all to "tributary_search" using (projector = 'search') with check (projector = 'search')`,
    );
    expect(statements).toContain(
      `create policy "tributary_readonly_rows" on projection_parked for select to "tributary_readonly" using (true)`,
    );
    // The search projector has no rights on applied events (reporting's), so no policy either.
    expect(statements.some((s) => s.includes('"tributary_search_rows" on projection_applied_events'))).toBe(
      false,
    );
  });

  it('refuses a prefix that would make a role name longer than PostgreSQL keeps', () => {
    expect(() => roleNames('p'.repeat(60))).toThrow(/longer than 63 characters/);
  });
});
