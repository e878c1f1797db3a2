import { describe, expect, it } from 'vitest';
import { cprCipher, InvalidCprError, normaliseCpr } from '../server/citizens/cpr.ts';
import { DEMO_CITIZENS } from '../server/demo/data.ts';

describe('CPR numbers', () => {
  const cipher = cprCipher('a-test-key-that-is-long-enough-0123456789');

  it('accepts the usual ways of writing one and refuses the rest', () => {
    expect(normaliseCpr('010190-1234')).toBe('0101901234');
    expect(normaliseCpr(' 010190 1234 ')).toBe('0101901234');
    for (const bad of ['', '12345', '0101901234x', '320190-1234', '011390-1234']) {
      expect(() => normaliseCpr(bad)).toThrow(InvalidCprError);
    }
  });

  it('encrypts with a fresh IV each time and decrypts back', () => {
    const a = cipher.encrypt('010190-1234');
    const b = cipher.encrypt('0101901234');
    expect(a).not.toBe(b);
    expect(a).not.toContain('0101901234');
    expect(cipher.decrypt(a)).toBe('0101901234');
    expect(cipher.decrypt(b)).toBe('0101901234');
  });

  it('finds by a keyed hash that depends on the key', () => {
    expect(cipher.hash('010190-1234')).toBe(cipher.hash('0101901234'));
    expect(cprCipher('another-key-that-is-long-enough-9876543210').hash('0101901234')).not.toBe(cipher.hash('0101901234'));
  });

  it('refuses a tampered ciphertext', () => {
    const stored = cipher.encrypt('0101901234');
    const parts = stored.split('.');
    const body = Buffer.from(parts[3] as string, 'base64');
    body[0] = (body[0] as number) ^ 1;
    parts[3] = body.toString('base64');
    expect(() => cipher.decrypt(parts.join('.'))).toThrow();
  });

  it('gives the demo citizens test numbers that fail the modulus 11 check', () => {
    const weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
    for (const citizen of DEMO_CITIZENS) {
      const sum = [...citizen.cpr].reduce((acc, d, i) => acc + Number(d) * (weights[i] as number), 0);
      expect(sum % 11).not.toBe(0);
    }
    expect(new Set(DEMO_CITIZENS.map((c) => c.cpr)).size).toBe(40);
  });
});
