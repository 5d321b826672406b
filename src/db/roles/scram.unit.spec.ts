import { createHmac } from 'node:crypto';
import { scramVerifier } from './scram';

describe('scramVerifier', () => {
  it("matches RFC 7677's SCRAM-SHA-256 example: the server signature from its ServerKey is the RFC's", () => {
    const verifier = scramVerifier('pencil', {
      salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
      iterations: 4096,
    });
    const match = /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$([^:]+):(.+)$/.exec(verifier);
    expect(match).not.toBeNull();
    const authMessage =
      'n=user,r=rOprNGfwEbeRWgbNEkqO,' +
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,' +
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const serverKey = Buffer.from(match![2]!, 'base64');
    expect(createHmac('sha256', serverKey).update(authMessage).digest('base64')).toBe(
      '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
    );
  });

  it('salts every verifier afresh, so two roles with one password store different verifiers', () => {
    expect(scramVerifier('same')).not.toBe(scramVerifier('same'));
    expect(scramVerifier('same')).not.toContain('same');
  });
});
