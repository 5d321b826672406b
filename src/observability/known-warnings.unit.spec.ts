import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Runs a snippet in a fresh Node process (the warning listener is process-wide) and returns its stderr. */
function stderrOf(snippet: string): string {
  const module = join(__dirname, 'known-warnings.ts');
  const code = `require(${JSON.stringify(module)}).silenceKnownWarnings(); ${snippet}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8' }).stderr;
}

describe('known warnings', () => {
  it("kafkajs's negative-timeout warning is not printed", () => {
    expect(stderrOf(`process.emitWarning('-5 is a negative number.', 'TimeoutNegativeWarning');`)).toBe('');
  });

  it('every other warning is still printed', () => {
    expect(stderrOf(`process.emitWarning('something else', 'SomeOtherWarning');`)).toMatch(
      /SomeOtherWarning: something else/,
    );
  });
});
