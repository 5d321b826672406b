import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { PACKED_TARBALL } from './fixtures/packed';

/** Removes the tarball test/package-global-setup.ts packed, and its folder. */
export default function globalTeardown(): void {
  const tarball = process.env[PACKED_TARBALL];
  if (tarball) rmSync(dirname(tarball), { recursive: true, force: true });
}
